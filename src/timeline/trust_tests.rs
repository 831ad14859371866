//! Forged events: what a hand-edited log or a stranger's comment may try.

use super::*;
use crate::checklist::{Checklist, StepId};
use crate::timeline::event::{EventId, Fact, Outcome};
use crate::timeline::fold::{StepStatus, fold};
use chrono::{DateTime, Duration, Utc};

const CHECKLIST: &str = r#"
schema = 1

[release]
name = "demo"
title = "demo {version}"
version_scheme = "calver"

[[packages]]
name = "demo"
repo = "example/demo"

[[phases]]
id = "p"
title = "Phase"

[[phases.steps]]
id = "mine"
title = "A pilot step"
role = "pilot"

[[phases.steps]]
id = "theirs"
title = "A co-pilot step"
role = "copilot"

[[phases.steps]]
id = "tag"
title = "Tag"
role = "pilot"
probe = { kind = "tag", repo = "{repo}", tag = "{version}" }
"#;

fn plan() -> Plan {
    Checklist::parse("demo.toml", CHECKLIST)
        .expect("checklist")
        .plan("26.11.0")
        .expect("plan")
}

fn t0() -> DateTime<Utc> {
    "2026-11-11T12:00:00Z".parse().expect("time")
}

fn ev(n: i64, author: &str, role: Role, what: EventKind) -> Event {
    Event {
        v: 1,
        id: EventId::from(format!("e{n:02}")),
        author: author.into(),
        role,
        seq: n as u64,
        at: t0() + Duration::minutes(n),
        observed_at: t0() + Duration::minutes(n),
        link: None,
        what,
    }
}

fn step(s: &str) -> StepId {
    StepId(s.into())
}

/// jane starts with bob as co-pilot and eve in the jump seat.
fn crewed() -> Vec<Event> {
    vec![
        ev(
            0,
            "jane",
            Role::Pilot,
            EventKind::ReleaseStarted {
                release: "demo-26.11.0".into(),
                version: "26.11.0".into(),
                checklist: "demo.toml".into(),
            },
        ),
        ev(
            1,
            "jane",
            Role::Pilot,
            EventKind::CrewAssigned {
                pilot: "jane".into(),
                copilot: Some("bob".into()),
                jump_seat: Some("eve".into()),
            },
        ),
    ]
}

fn status(events: &[Event], s: &str) -> &'static str {
    fold(&plan(), events)
        .step(&step(s))
        .map(|st| st.status.label())
        .unwrap_or("?")
}

#[test]
fn forged_lines_are_ignored_counted_and_never_folded() {
    let mut events = crewed();
    // A stranger signs off a pilot step, claiming the pilot's seat.
    events.push(ev(
        2,
        "mallory",
        Role::Pilot,
        EventKind::StepDone {
            step: step("mine"),
            note: None,
        },
    ));
    // The co-pilot aborts the release.
    events.push(ev(
        3,
        "bob",
        Role::Copilot,
        EventKind::ReleaseClosed {
            outcome: Outcome::Aborted,
            reason: Some("no".into()),
        },
    ));
    // The jump seat overrides a probe.
    events.push(ev(
        4,
        "eve",
        Role::JumpSeat,
        EventKind::StepOverridden {
            step: step("tag"),
            reason: "trust me".into(),
        },
    ));
    // The co-pilot claims the pilot's seat for a pilot step.
    events.push(ev(
        5,
        "bob",
        Role::Pilot,
        EventKind::StepDone {
            step: step("mine"),
            note: None,
        },
    ));
    let state = fold(&plan(), &events);
    assert_eq!(state.ignored.len(), 4, "{:#?}", state.ignored);
    assert_eq!(
        state.events.len(),
        2,
        "only the start and the crew are folded"
    );
    assert!(state.closed.is_none());
    assert_eq!(status(&events, "mine"), "ready");
    assert_eq!(status(&events, "tag"), "pending");
    assert!(
        state
            .ignored
            .get(0)
            .expect("ignored")
            .why
            .contains("not on the crew"),
        "{}",
        state.ignored.get(0).expect("ignored").why
    );
    assert!(
        state
            .ignored
            .get(1)
            .expect("ignored")
            .why
            .contains("only the pilot may start or close")
    );
    assert!(
        state
            .ignored
            .get(2)
            .expect("ignored")
            .why
            .contains("read-only")
    );
}

#[test]
fn the_crew_signs_off_what_their_seats_allow() {
    let mut events = crewed();
    events.push(ev(
        2,
        "bob",
        Role::Copilot,
        EventKind::StepDone {
            step: step("theirs"),
            note: None,
        },
    ));
    events.push(ev(
        3,
        "bob",
        Role::Copilot,
        EventKind::Observed {
            probe: "tag example/demo@26.11.0".into(),
            fact: Fact::TagPushed {
                repo: "example/demo".into(),
                tag: "26.11.0".into(),
                sha: None,
            },
        },
    ));
    let state = fold(&plan(), &events);
    assert!(state.ignored.is_empty(), "{:#?}", state.ignored);
    assert_eq!(status(&events, "theirs"), "done");
    assert_eq!(status(&events, "tag"), "observed");
}

#[test]
fn a_handover_moves_the_seats_from_its_time_on() {
    let mut events = crewed();
    let close = |n, who: &str| {
        ev(
            n,
            who,
            Role::Pilot,
            EventKind::ReleaseClosed {
                outcome: Outcome::Shipped,
                reason: None,
            },
        )
    };
    // bob cannot close before the handover…
    events.push(close(2, "bob"));
    events.push(ev(
        3,
        "jane",
        Role::Pilot,
        EventKind::Handover { to: "bob".into() },
    ));
    // …jane cannot after it, bob can.
    events.push(close(4, "jane"));
    events.push(close(5, "bob"));
    let state = fold(&plan(), &events);
    let ignored: Vec<String> = state
        .ignored
        .iter()
        .map(|i| i.event.id.to_string())
        .collect();
    assert_eq!(ignored, ["e02", "e04"]);
    assert_eq!(
        state.closed.as_ref().map(|(_, s)| s.by.as_str()),
        Some("bob")
    );
    let roster = state.roster.expect("roster");
    assert_eq!(roster.pilot, "bob");
    assert_eq!(roster.copilot.as_deref(), Some("jane"));
}

#[test]
fn only_the_starter_sets_the_crew_and_only_the_pilot_hands_over() {
    let mut events = crewed();
    events.push(ev(
        2,
        "mallory",
        Role::Pilot,
        EventKind::CrewAssigned {
            pilot: "mallory".into(),
            copilot: None,
            jump_seat: None,
        },
    ));
    events.push(ev(
        3,
        "bob",
        Role::Copilot,
        EventKind::Handover { to: "bob".into() },
    ));
    events.push(ev(
        4,
        "jane",
        Role::Pilot,
        EventKind::Handover { to: "eve".into() },
    ));
    let state = fold(&plan(), &events);
    assert_eq!(state.ignored.len(), 3, "{:#?}", state.ignored);
    assert_eq!(state.roster.expect("roster").pilot, "jane");
}

#[test]
fn a_log_from_before_rosters_keeps_its_starter_as_pilot_and_caps_the_others() {
    let mut events = vec![crewed().remove(0)];
    events.push(ev(
        1,
        "bob",
        Role::Copilot,
        EventKind::StepDone {
            step: step("theirs"),
            note: None,
        },
    ));
    events.push(ev(
        2,
        "bob",
        Role::Pilot,
        EventKind::StepDone {
            step: step("mine"),
            note: None,
        },
    ));
    let state = fold(&plan(), &events);
    assert_eq!(status(&events, "theirs"), "done");
    assert_eq!(status(&events, "mine"), "ready");
    assert_eq!(state.ignored.len(), 1);
    assert!(matches!(
        state.step(&step("mine")).map(|s| &s.status),
        Some(StepStatus::Ready)
    ));
}
