//! Property tests: `fold` is deterministic and order-free; `merge` is a
//! commutative, associative, idempotent union.

use chrono::{DateTime, Duration, Utc};
use flightdeck::checklist::{Checklist, Plan, StepId};
use flightdeck::crew::Role;
use flightdeck::timeline::{
    Event, EventId, EventKind, Fact, fold, merge, merge::normalize, skew_warnings,
};
use proptest::prelude::*;

fn plan() -> Plan {
    Checklist::parse("conda.toml", include_str!("../../checklists/conda.toml"))
        .expect("valid")
        .plan("26.11.0")
        .expect("version")
}

const STEPS: &[&str] = &[
    "release-issue",
    "cut-branch",
    "tag",
    "publish-release",
    "cf-feedstock",
    "on-conda-forge",
    "announce",
];

fn base() -> DateTime<Utc> {
    "2026-11-10T13:00:00Z".parse().expect("time")
}

fn kind() -> impl Strategy<Value = EventKind> {
    let step = prop::sample::select(STEPS).prop_map(|s| StepId(s.to_string()));
    let reason = "[a-z]{1,6}";
    prop_oneof![
        step.clone()
            .prop_map(|step| EventKind::StepDone { step, note: None }),
        (step.clone(), reason).prop_map(|(step, reason)| EventKind::StepSkipped { step, reason }),
        (step.clone(), reason).prop_map(|(step, reason)| EventKind::StepUndone { step, reason }),
        (step, reason).prop_map(|(step, reason)| EventKind::StepOverridden { step, reason }),
        "[a-z ]{0,10}".prop_map(|text| EventKind::Note { text }),
        Just(EventKind::Observed {
            probe: "tag conda/conda@26.11.0".into(),
            fact: Fact::TagPushed {
                repo: "conda/conda".into(),
                tag: "26.11.0".into(),
                sha: None
            },
        }),
        prop::sample::select(vec!["noarch", "linux-64"]).prop_map(|subdir| EventKind::Observed {
            probe: "channel conda-forge/conda==26.11.0 [noarch]".into(),
            fact: Fact::Available {
                channel: "conda-forge".into(),
                package: "conda".into(),
                version: "26.11.0".into(),
                subdir: subdir.into(),
                build: "py_0".into(),
                file_name: "conda-26.11.0-py_0.conda".into(),
                first_seen: None,
            },
        }),
    ]
}

/// Events with few distinct times, so ties are common.
fn event() -> impl Strategy<Value = Event> {
    (
        0u32..1000,
        0i64..4,
        prop::sample::select(vec!["jane", "bob"]),
        kind(),
    )
        .prop_map(|(id, minute, author, what)| {
            let at = base() + Duration::minutes(minute);
            Event {
                v: 1,
                id: EventId::from(format!("e{id:04}")),
                author: author.into(),
                role: if author == "jane" {
                    Role::Pilot
                } else {
                    Role::Copilot
                },
                seq: u64::from(id),
                at,
                observed_at: at,
                link: None,
                what,
            }
        })
}

fn log() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(event(), 0..30).prop_map(normalize)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fold_is_deterministic_and_ignores_input_order(events in log(), seed in any::<u64>()) {
        let plan = plan();
        let a = fold(&plan, &events);
        let mut shuffled = events.clone();
        fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
        let b = fold(&plan, &shuffled);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a, fold(&plan, &events));
    }

    #[test]
    fn merge_is_commutative_associative_and_idempotent(a in log(), b in log(), c in log()) {
        prop_assert_eq!(merge(&a, &b), merge(&b, &a));
        prop_assert_eq!(merge(&merge(&a, &b), &c), merge(&a, &merge(&b, &c)));
        prop_assert_eq!(merge(&a, &a), a.clone());
        // The merge is ordered by (at, id) and holds each id once.
        let m = merge(&a, &b);
        prop_assert!(m.windows(2).all(|w| w[0].order_key() < w[1].order_key()));
    }

    #[test]
    fn folding_a_merge_equals_folding_the_union(a in log(), b in log()) {
        let plan = plan();
        let mut union = a.clone();
        union.extend(b.iter().cloned());
        prop_assert_eq!(fold(&plan, merge(&a, &b)), fold(&plan, &union));
    }
}

#[test]
fn steps_resolve_through_signoff_probe_undo_and_skip() {
    let plan = plan();
    let mk = |id: &str, minute: i64, what: EventKind| Event {
        v: 1,
        id: EventId::from(id),
        author: "jane".into(),
        role: Role::Pilot,
        seq: 1,
        at: base() + Duration::minutes(minute),
        observed_at: base() + Duration::minutes(minute),
        link: None,
        what,
    };
    let step = |s: &str| StepId(s.into());
    let status = |events: &[Event], s: &str| {
        fold(&plan, events)
            .step(&step(s))
            .expect("step")
            .status
            .label()
    };
    let mut events = vec![mk(
        "a",
        0,
        EventKind::ReleaseStarted {
            release: "conda-26.11.0".into(),
            version: "26.11.0".into(),
            checklist: "conda.toml".into(),
        },
    )];
    assert_eq!(status(&events, "release-issue"), "ready");
    assert_eq!(status(&events, "cut-branch"), "blocked");
    events.push(mk(
        "b",
        1,
        EventKind::StepDone {
            step: step("release-issue"),
            note: None,
        },
    ));
    assert_eq!(status(&events, "release-issue"), "done");
    assert_eq!(status(&events, "cut-branch"), "ready");
    // The tag step completes itself when its probe sees the tag, needs or not.
    events.push(mk(
        "c",
        2,
        EventKind::Observed {
            probe: "tag conda/conda@26.11.0".into(),
            fact: Fact::TagPushed {
                repo: "conda/conda".into(),
                tag: "26.11.0".into(),
                sha: None,
            },
        },
    ));
    assert_eq!(status(&events, "tag"), "observed");
    // Undo wins over observations recorded before it…
    events.push(mk(
        "d",
        3,
        EventKind::StepUndone {
            step: step("tag"),
            reason: "wrong commit".into(),
        },
    ));
    assert_eq!(status(&events, "tag"), "blocked");
    events.push(mk(
        "e",
        4,
        EventKind::StepSkipped {
            step: step("alert"),
            reason: "announced last week".into(),
        },
    ));
    assert_eq!(status(&events, "alert"), "skipped");
    let state = fold(&plan, &events);
    assert_eq!(state.progress(), (2, plan.steps.len()));
}

#[test]
fn channel_skew_is_warned_about_only_past_the_threshold_and_until_both_channels_have_it() {
    let plan = plan();
    let available = |id: &str, channel: &str, hour: i64, minute: i64| {
        let at = base() + Duration::hours(hour) + Duration::minutes(minute);
        Event {
            v: 1,
            id: EventId::from(id),
            author: "jane".into(),
            role: Role::Pilot,
            seq: 1,
            at,
            observed_at: at,
            link: None,
            what: EventKind::Observed {
                probe: format!("channel {channel}/conda==26.11.0 [noarch]").into(),
                fact: Fact::Available {
                    channel: channel.into(),
                    package: "conda".into(),
                    version: "26.11.0".into(),
                    subdir: "noarch".into(),
                    build: "py_0".into(),
                    file_name: "conda-26.11.0-py_0.conda".into(),
                    first_seen: None,
                },
            },
        }
    };
    let hour = chrono::TimeDelta::hours(1);
    let at = |h: i64, m: i64| base() + Duration::hours(h) + Duration::minutes(m);
    let mut events = vec![available("a", "defaults", 2, 30)];
    let state = fold(&plan, &events);
    assert_eq!(
        skew_warnings(&state.availability, at(3, 0), hour),
        Vec::<String>::new(),
        "30 minutes is within the threshold"
    );
    assert_eq!(
        skew_warnings(&state.availability, at(4, 0), hour),
        ["skew: conda on defaults 1h30m ahead of conda-forge"]
    );
    events.push(available("b", "conda-forge", 6, 30));
    let state = fold(&plan, &events);
    assert!(
        skew_warnings(&state.availability, at(7, 0), hour).is_empty(),
        "both channels have it"
    );
}

/// A crewed release: jane starts with bob as co-pilot; then events by jane,
/// bob and a stranger, handovers among them, each with its own id.
fn crewed_log() -> impl Strategy<Value = Vec<Event>> {
    let who = prop::sample::select(vec!["jane", "bob", "mallory"]);
    let what = prop_oneof![
        4 => kind(),
        1 => prop::sample::select(vec!["jane", "bob"])
            .prop_map(|to| EventKind::Handover { to: to.into() }),
        1 => Just(EventKind::ReleaseClosed {
            outcome: flightdeck::timeline::Outcome::Aborted,
            reason: None
        }),
    ];
    prop::collection::vec((0i64..6, who, any::<bool>(), what), 0..25).prop_map(|rows| {
        let first = |n: u32, what: EventKind| Event {
            v: 1,
            id: EventId::from(format!("a{n}")),
            author: "jane".into(),
            role: Role::Pilot,
            seq: u64::from(n),
            at: base(),
            observed_at: base(),
            link: None,
            what,
        };
        let mut events = vec![
            first(
                0,
                EventKind::ReleaseStarted {
                    release: "conda-26.11.0".into(),
                    version: "26.11.0".into(),
                    checklist: "conda.toml".into(),
                },
            ),
            first(
                1,
                EventKind::CrewAssigned {
                    pilot: "jane".into(),
                    copilot: Some("bob".into()),
                    jump_seat: None,
                },
            ),
        ];
        for (i, (minute, author, claims_pilot, what)) in rows.into_iter().enumerate() {
            let at = base() + Duration::minutes(minute);
            events.push(Event {
                v: 1,
                id: EventId::from(format!("e{i:03}")),
                author: author.into(),
                role: if claims_pilot {
                    Role::Pilot
                } else {
                    Role::Copilot
                },
                seq: i as u64,
                at,
                observed_at: at,
                link: None,
                what,
            });
        }
        events
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever order and chunking the crew's events arrive in (a sync brings
    /// them a few at a time), every member folds the same state: the same
    /// trusted events, the same ignored ones, the same roster.
    #[test]
    fn every_member_folds_the_same_state_whatever_order_and_chunking(
        events in crewed_log(),
        seed in any::<u64>(),
        cuts in prop::collection::vec(0usize..30, 0..5),
    ) {
        let plan = plan();
        let whole = fold(&plan, &events);
        let mut arriving = events.clone();
        fastrand::Rng::with_seed(seed).shuffle(&mut arriving);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.jsonl");
        let clock = flightdeck::timeline::Clock::Fixed(base());
        let mut log = flightdeck::timeline::EventLog::create(&path, "eve", Role::JumpSeat, clock)
            .expect("log");
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(arriving.len())).collect();
        cuts.push(arriving.len());
        cuts.sort_unstable();
        let mut from = 0;
        for to in cuts {
            let (appended, refused) = log.import(arriving[from..to].to_vec()).expect("import");
            prop_assert!(refused.is_empty());
            prop_assert_eq!(appended.len(), to - from);
            from = to;
            // A repeated chunk (a sync that re-reads a comment) adds nothing.
            let (again, _) = log.import(arriving[..to].to_vec()).expect("import");
            prop_assert!(again.is_empty());
        }
        let mine = fold(&plan, log.events());
        prop_assert_eq!(&mine, &whole);
        let (read, _) = flightdeck::timeline::EventLog::read(&path).expect("read");
        prop_assert_eq!(fold(&plan, &read), whole);
    }
}
