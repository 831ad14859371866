//! Folding more events into a state ([`State::extend`]) gives the state of
//! folding them all, or declines and changes nothing.

use super::*;
use crate::checklist::Checklist;
use crate::timeline::rules::Role;
use chrono::Duration;
use proptest::prelude::*;

pub(crate) fn plan() -> Plan {
    Checklist::parse("conda.toml", include_str!("../../checklists/conda.toml"))
        .expect("valid")
        .plan("26.11.0")
        .expect("version")
}

const STEPS: &[&str] = &["release-issue", "cut-branch", "tag", "announce", "gone"];
const CREW: &[&str] = &["jane", "bob", "eve"];
const TAG_PROBE: &str = "tag conda/conda@26.11.0";
const CHANNEL_PROBE: &str = "channel conda-forge/conda==26.11.0 [noarch]";

/// conda 26.11.0 available in (or gone from) `subdir` of `channel`.
fn channel_fact(channel: &str, subdir: &str, gone: bool) -> Fact {
    let (channel, package, version, subdir) = (
        channel.into(),
        "conda".into(),
        "26.11.0".into(),
        subdir.into(),
    );
    if gone {
        Fact::Disappeared {
            channel,
            package,
            version,
            subdir,
        }
    } else {
        Fact::Available {
            channel,
            package,
            version,
            subdir,
            build: "py_0".into(),
            file_name: "conda-26.11.0-py_0.conda".into(),
            first_seen: None,
        }
    }
}

fn kind() -> impl Strategy<Value = EventKind> {
    let step = prop::sample::select(STEPS).prop_map(|s| StepId(s.to_string()));
    let who = prop::sample::select(CREW).prop_map(String::from);
    let subdir = prop::sample::select(vec!["noarch", "linux-64"]);
    let channel = |subdir: &str, gone: bool| EventKind::Observed {
        probe: CHANNEL_PROBE.into(),
        fact: channel_fact("conda-forge", subdir, gone),
    };
    prop_oneof![
        3 => step.clone().prop_map(|step| EventKind::StepDone { step, note: None }),
        1 => step.clone().prop_map(|step| EventKind::StepUndone { step, reason: "r".into() }),
        1 => step.prop_map(|step| EventKind::StepSkipped { step, reason: "r".into() }),
        2 => "[a-z]{0,4}".prop_map(|text| EventKind::Note { text }),
        1 => Just(EventKind::ReleaseStarted {
            release: "conda-26.11.0".into(),
            version: "26.11.0".into(),
            checklist: "conda.toml".into(),
        }),
        1 => (who.clone(), prop::option::of(who.clone())).prop_map(|(pilot, copilot)| {
            EventKind::CrewAssigned { pilot, copilot, jump_seat: None }
        }),
        1 => who.prop_map(|to| EventKind::Handover { to }),
        1 => Just(EventKind::Observed {
            probe: TAG_PROBE.into(),
            fact: Fact::TagPushed {
                repo: "conda/conda".into(),
                tag: "26.11.0".into(),
                sha: None,
            },
        }),
        2 => (subdir, any::<bool>()).prop_map(move |(s, gone)| channel(s, gone)),
        1 => Just(EventKind::ReleaseClosed { outcome: Outcome::Shipped, reason: None }),
    ]
}

/// Events with few distinct times (ties are common), by a small crew in any seat.
pub(crate) fn events() -> impl Strategy<Value = Vec<Event>> {
    let one = (
        0u32..500,
        0i64..6,
        prop::sample::select(CREW),
        prop::sample::select(vec![Role::Pilot, Role::Copilot, Role::JumpSeat]),
        kind(),
    )
        .prop_map(|(id, minute, author, role, what)| {
            let at = DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minute);
            Event {
                v: 1,
                id: EventId::from(format!("e{id:03}")),
                author: author.into(),
                role,
                seq: u64::from(id),
                at,
                observed_at: at,
                link: None,
                what,
            }
        });
    prop::collection::vec(one, 0..40)
}

fn shared(events: &[Event]) -> Vec<Arc<Event>> {
    events.iter().cloned().map(Arc::new).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any split: extending gives the fold of the whole, or declines and
    /// leaves the state as it was.
    #[test]
    fn extending_equals_folding_all_or_declines(all in events(), cut in 0usize..40) {
        let plan = plan();
        let all = crate::timeline::merge::normalize(all);
        let cut = cut.min(all.len());
        let (before, after) = all.split_at(cut);
        let mut state = fold(&plan, before);
        match state.extend(&plan, shared(after)) {
            Ok(()) => prop_assert_eq!(&state, &fold(&plan, &all)),
            Err(back) => {
                prop_assert_eq!(back.len(), after.len());
                prop_assert_eq!(&state, &fold(&plan, before));
            }
        }
    }

    /// A live cockpit: events arrive one at a time in timeline order, and
    /// only a start or a crew (applying from the very start) folds all again.
    #[test]
    fn events_arriving_in_order_fold_one_at_a_time(all in events()) {
        let plan = plan();
        let all = crate::timeline::merge::normalize(all);
        let mut state = fold::<Event>(&plan, []);
        for (n, e) in all.iter().enumerate() {
            let again = matches!(e.what, EventKind::ReleaseStarted { .. } | EventKind::CrewAssigned { .. });
            if state.extend(&plan, shared(std::slice::from_ref(e))).is_err() {
                prop_assert!(again, "declined {:?}", e.what);
                state = fold(&plan, &all[..=n]);
            }
            prop_assert_eq!(&state, &fold(&plan, &all[..=n]));
        }
    }
}

#[test]
fn an_event_sorting_before_the_last_is_declined() {
    let plan = plan();
    let at = DateTime::<Utc>::UNIX_EPOCH;
    let note = |id: &str, minute: i64| Event {
        v: 1,
        id: EventId::from(id),
        author: "jane".into(),
        role: Role::Pilot,
        seq: 1,
        at: at + Duration::minutes(minute),
        observed_at: at,
        link: None,
        what: EventKind::Note { text: id.into() },
    };
    let mut state = fold(&plan, &[note("b", 1)]);
    assert!(state.extend(&plan, shared(&[note("a", 1)])).is_err());
    assert!(state.extend(&plan, shared(&[note("c", 0)])).is_err());
    assert!(state.extend(&plan, shared(&[note("c", 1)])).is_ok());
    assert_eq!(state.notes.len(), 2);
}

/// The generated observations are the plan's own probes', so the properties
/// above exercise steps completed (and reopened) by probes.
#[test]
fn the_generated_observations_are_the_plans_probes() {
    let plan = plan();
    let ids: Vec<String> = plan.probes().iter().map(|p| p.id()).collect();
    for probe in [TAG_PROBE, CHANNEL_PROBE] {
        assert!(ids.iter().any(|id| id == probe), "{probe} not in {ids:?}");
    }
}

proptest! {
    /// A fold of a log's first events, caught up with the rest, is the fold
    /// of the whole log, whichever way it gets there.
    #[test]
    fn a_fold_caught_up_is_the_fold_of_the_whole(all in events(), cut in 0usize..45) {
        let plan = plan();
        let all = shared(&crate::timeline::merge::normalize(all));
        let prefix = fold(&plan, &all[..cut.min(all.len())]);
        prop_assert_eq!(prefix.caught_up(&plan, &Events::from(all.clone()), cut), fold(&plan, &all));
    }
}

/// The matrix groups a channel by name or URL: a loss recorded under the
/// URL and a return under the name are one subdir's history.
#[test]
fn a_channel_spelled_two_ways_is_one_row_of_the_matrix() {
    use crate::timeline::matrix::{SubdirState, channels};
    let plan = plan();
    let at = |m: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(m);
    let observed = |n: usize, channel: &str, gone: bool| {
        let fact = channel_fact(channel, "noarch", gone);
        Event {
            v: 1,
            id: EventId::from(format!("c{n}")),
            author: "jane".into(),
            role: Role::Pilot,
            seq: n as u64,
            at: at(n as i64),
            observed_at: at(n as i64),
            link: None,
            what: EventKind::Observed {
                probe: CHANNEL_PROBE.into(),
                fact,
            },
        }
    };
    let events = vec![
        observed(1, "conda-forge", false),
        observed(2, "https://conda.anaconda.org/conda-forge/", true),
        observed(3, "conda-forge", false),
        observed(4, "conda-forge", false),
    ];
    let state = fold(&plan, &events);
    let row = channels(&plan, &state)
        .into_iter()
        .find(|r| r.channel == "conda-forge")
        .expect("a conda-forge row");
    let noarch = row
        .subdirs
        .iter()
        .find(|s| s.subdir == "noarch")
        .expect("noarch");
    assert_eq!(
        (noarch.state, noarch.at),
        (SubdirState::Available, Some(at(3)))
    );
}
