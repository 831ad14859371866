//! The rule book, as a table: every act × seat × step kind × step state.
//! A change to the rules must change a row here.

use super::*;
use crate::checklist::Checklist;
use crate::timeline::event::{Event, EventId, Fact, SCHEMA_VERSION};
use crate::timeline::fold::fold;

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
id = "anyone"
title = "Anyone's step"
role = "any"

[[phases.steps]]
id = "tag"
title = "Tag"
role = "pilot"
probe = { kind = "tag", repo = "{repo}", tag = "{version}" }

[[phases.steps]]
id = "later"
title = "Needs anyone's step"
role = "any"
needs = ["anyone"]

[[phases.steps]]
id = "weekday"
title = "Never on a Wednesday"
role = "any"
gate = { not_on = ["wednesday"] }
"#;

fn plan() -> Plan {
    Checklist::parse("demo.toml", CHECKLIST)
        .expect("checklist")
        .plan("26.11.0")
        .expect("plan")
}

/// A Wednesday (the `weekday` step's gate).
fn now() -> DateTime<Utc> {
    "2026-11-11T12:00:00Z".parse().expect("time")
}

fn event(seq: u64, what: EventKind) -> Event {
    Event {
        v: SCHEMA_VERSION,
        id: EventId::from(format!("e{seq}")),
        author: "jane".into(),
        role: Role::Pilot,
        seq,
        at: now(),
        observed_at: now(),
        link: None,
        what,
    }
}

fn started() -> Event {
    event(
        1,
        EventKind::ReleaseStarted {
            release: "demo-26.11.0".into(),
            version: "26.11.0".into(),
            checklist: "demo.toml".into(),
        },
    )
}

fn id(s: &str) -> StepId {
    StepId(s.into())
}

/// What the table's cells say.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Want {
    Ok,
    Ask(&'static [&'static str]),
    Seat,
    Text,
    State(&'static str),
}

fn verdict_of(v: &Verdict) -> String {
    match v {
        Verdict::Accepted(_) => "ok".into(),
        Verdict::NeedsConfirmation { reasons, .. } => {
            let r: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            format!("ask {r:?}")
        }
        Verdict::Refused(r) => format!("refused: {r}"),
    }
}

fn check(events: &[Event], seat: Role, what: EventKind, want: Want) {
    let plan = plan();
    let state = fold(&plan, events);
    let book = Book::new(&plan, &state, now());
    let v = judge(&book, seat, what.clone());
    let ok = match (&want, &v) {
        (Want::Ok, Verdict::Accepted(p)) => p.what() == &what && p.seat() == seat,
        (Want::Ask(words), Verdict::NeedsConfirmation { reasons, permit }) => {
            permit.what() == &what
                && reasons.len() == words.len()
                && reasons
                    .iter()
                    .zip(words.iter())
                    .all(|(r, w)| r.to_string().contains(w))
        }
        (Want::Seat, Verdict::Refused(Refusal::Seat { .. })) => true,
        (Want::Text, Verdict::Refused(Refusal::NeedsText)) => true,
        (Want::State(words), Verdict::Refused(Refusal::State(why))) => why.contains(words),
        _ => false,
    };
    assert!(
        ok,
        "{seat} {what:?}: wanted {want:?}, got {}",
        verdict_of(&v)
    );
}

fn done(step: &str) -> EventKind {
    EventKind::StepDone {
        step: id(step),
        note: None,
    }
}
fn skip(step: &str, why: &str) -> EventKind {
    EventKind::StepSkipped {
        step: id(step),
        reason: why.into(),
    }
}
fn undo(step: &str, why: &str) -> EventKind {
    EventKind::StepUndone {
        step: id(step),
        reason: why.into(),
    }
}
fn overridden(step: &str, why: &str) -> EventKind {
    EventKind::StepOverridden {
        step: id(step),
        reason: why.into(),
    }
}

const P: Role = Role::Pilot;
const C: Role = Role::Copilot;
const J: Role = Role::JumpSeat;

#[test]
fn signing_off_by_seat_and_step_owner() {
    let fresh = [started()];
    // seat, step, verdict
    let rows: &[(Role, &str, Want)] = &[
        (P, "mine", Want::Ask(&["pilot-only"])),
        (P, "theirs", Want::Ok),
        (P, "anyone", Want::Ok),
        (C, "mine", Want::Seat),
        (C, "theirs", Want::Ok),
        (C, "anyone", Want::Ok),
        (J, "mine", Want::Seat),
        (J, "theirs", Want::Seat),
        (J, "anyone", Want::Seat),
        // A probe-backed step is not signed off: it is overridden, with a reason.
        (P, "tag", Want::State("completes itself when its probe")),
        (C, "tag", Want::Seat),
        (J, "tag", Want::Seat),
        // Blocked and gated steps ask first, whoever signs them off.
        (P, "later", Want::Ask(&["blocked: needs anyone first"])),
        (C, "later", Want::Ask(&["blocked: needs anyone first"])),
        (J, "later", Want::Seat),
        (P, "weekday", Want::Ask(&["gate: Wednesday"])),
        (C, "weekday", Want::Ask(&["gate: Wednesday"])),
        (P, "nosuch", Want::State("no step `nosuch`")),
    ];
    for (seat, step, want) in rows {
        check(&fresh, *seat, done(step), want.clone());
    }
}

#[test]
fn overriding_skipping_and_undoing() {
    let fresh = [started()];
    let rows: &[(Role, EventKind, Want)] = &[
        // Overrides: pilot only, probe-backed steps only, with a reason, and asked.
        (
            P,
            overridden("tag", "tagged by hand"),
            Want::Ask(&["pilot-only", "probe has not seen it"]),
        ),
        (P, overridden("tag", "  "), Want::Text),
        (C, overridden("tag", "x"), Want::Seat),
        (J, overridden("tag", "x"), Want::Seat),
        (
            P,
            overridden("anyone", "x"),
            Want::State("no probe to override"),
        ),
        // Skips: a reason; a probe-backed step needs the pilot (it is an override).
        (P, skip("anyone", "not this time"), Want::Ok),
        (C, skip("anyone", "not this time"), Want::Ok),
        (C, skip("anyone", ""), Want::Text),
        (J, skip("anyone", "x"), Want::Seat),
        (C, skip("tag", "x"), Want::Seat),
        (
            P,
            skip("tag", "no tag this time"),
            Want::Ask(&["pilot-only", "probe has not seen it"]),
        ),
        (P, skip("later", "x"), Want::Ok),
        // Undo: only what is complete.
        (P, undo("anyone", "oops"), Want::State("nothing to undo")),
        (C, undo("mine", "oops"), Want::Seat),
        (J, undo("anyone", "oops"), Want::Seat),
    ];
    for (seat, what, want) in rows {
        check(&fresh, *seat, what.clone(), want.clone());
    }
}

#[test]
fn what_is_complete_cannot_be_completed_again_but_can_be_undone() {
    let log = [
        started(),
        event(2, done("anyone")),
        event(
            3,
            EventKind::Observed {
                probe: "tag example/demo@26.11.0".into(),
                fact: Fact::TagPushed {
                    repo: "example/demo".into(),
                    tag: "26.11.0".into(),
                    sha: None,
                },
            },
        ),
    ];
    let rows: &[(Role, EventKind, Want)] = &[
        (P, done("anyone"), Want::State("already done (by jane")),
        (C, skip("anyone", "x"), Want::State("already done")),
        (C, undo("anyone", "wrong"), Want::Ok),
        (C, undo("anyone", ""), Want::Text),
        (J, undo("anyone", "wrong"), Want::Seat),
        (
            P,
            overridden("tag", "x"),
            Want::State("already done (observed"),
        ),
        // Undoing what a probe saw is the pilot's.
        (P, undo("tag", "wrong commit"), Want::Ok),
        (C, undo("tag", "wrong commit"), Want::Seat),
        // `later` is no longer blocked.
        (C, done("later"), Want::Ok),
    ];
    for (seat, what, want) in rows {
        check(&log, *seat, what.clone(), want.clone());
    }
}

#[test]
fn notes_stars_observations_and_the_release_itself() {
    let fresh = [started()];
    let note = |t: &str| EventKind::Note { text: t.into() };
    let star = EventKind::Starred {
        event: EventId::from("e1"),
    };
    let observed = EventKind::Observed {
        probe: "p".into(),
        fact: Fact::PypiUploaded {
            package: "demo".into(),
            version: "26.11.0".into(),
            files: 1,
        },
    };
    let close = EventKind::ReleaseClosed {
        outcome: crate::timeline::Outcome::Aborted,
        reason: None,
    };
    let ship = EventKind::ReleaseClosed {
        outcome: crate::timeline::Outcome::Shipped,
        reason: None,
    };
    let rows: &[(Role, EventKind, Want)] = &[
        (P, note("hi"), Want::Ok),
        (C, note("hi"), Want::Ok),
        (C, note(" "), Want::Text),
        (J, note("hi"), Want::Seat),
        (P, star.clone(), Want::Ok),
        (C, star.clone(), Want::Ok),
        (J, star, Want::Seat),
        (P, observed.clone(), Want::Ok),
        (C, observed.clone(), Want::Ok),
        (J, observed, Want::Seat),
        (P, close.clone(), Want::Ok),
        (C, close.clone(), Want::Seat),
        (J, close, Want::Seat),
        (P, ship.clone(), Want::Ask(&["steps are not complete"])),
        (C, ship, Want::Seat),
        (P, started().what, Want::State("already started")),
    ];
    for (seat, what, want) in rows {
        check(&fresh, *seat, what.clone(), want.clone());
    }
    let closed = [
        started(),
        event(
            2,
            EventKind::ReleaseClosed {
                outcome: crate::timeline::Outcome::Aborted,
                reason: None,
            },
        ),
    ];
    check(
        &closed,
        P,
        EventKind::ReleaseClosed {
            outcome: crate::timeline::Outcome::Shipped,
            reason: None,
        },
        Want::State("already closed"),
    );
}

#[test]
fn the_jump_seat_hears_read_only_before_anything_else() {
    let plan = plan();
    let state = fold(&plan, &[started()]);
    let book = Book::new(&plan, &state, now());
    for what in [skip("anyone", ""), undo("anyone", ""), done("later")] {
        match judge(&book, J, what) {
            Verdict::Refused(r) => assert_eq!(r.to_string(), "read-only: jump seat"),
            other => panic!("{}", verdict_of(&other)),
        }
    }
}

#[test]
fn a_note_or_reason_too_long_to_travel_is_refused_with_the_limit() {
    let plan = plan();
    let state = fold(&plan, &[started()]);
    let book = Book::new(&plan, &state, now());
    let long = "x".repeat(MAX_TEXT + 1);
    for what in [
        EventKind::Note { text: long.clone() },
        skip("theirs", &long),
    ] {
        match judge(&book, P, what) {
            Verdict::Refused(Refusal::State(why)) => {
                assert!(why.contains("at most 10000 characters"), "{why}")
            }
            other => panic!("{}", verdict_of(&other)),
        }
    }
    let fits = "x".repeat(MAX_TEXT);
    assert!(matches!(
        judge(&book, P, EventKind::Note { text: fits }),
        Verdict::Accepted(_)
    ));
}

#[test]
fn a_permit_is_for_one_seat_only() {
    let plan = plan();
    let state = fold(&plan, &[started()]);
    let book = Book::new(&plan, &state, now());
    let permit = judge(&book, C, done("theirs"))
        .confirmed()
        .expect("allowed");
    assert_eq!(permit.seat(), C);
}

fn crew(copilot: Option<&str>) -> EventKind {
    EventKind::CrewAssigned {
        pilot: "jane".into(),
        copilot: copilot.map(Into::into),
        jump_seat: None,
    }
}

fn handover(to: &str) -> EventKind {
    EventKind::Handover { to: to.into() }
}

#[test]
fn the_crew_is_set_once_by_the_pilot_and_only_the_pilot_hands_over() {
    let with_crew = [started(), event(2, crew(Some("bob")))];
    // Setting the crew: the pilot, once.
    check(&[started()], P, crew(Some("bob")), Want::Ok);
    check(&[started()], C, crew(Some("bob")), Want::Seat);
    check(&[started()], J, crew(Some("bob")), Want::Seat);
    check(&with_crew, P, crew(None), Want::State("set once"));
    // Handing over: to the co-pilot, by the pilot.
    check(&with_crew, P, handover("bob"), Want::Ok);
    check(&with_crew, P, handover("BOB"), Want::Ok);
    check(&with_crew, C, handover("bob"), Want::Seat);
    check(&with_crew, J, handover("bob"), Want::Seat);
    check(
        &with_crew,
        P,
        handover("eve"),
        Want::State("not the co-pilot"),
    );
    check(
        &with_crew,
        P,
        handover("jane"),
        Want::State("already the pilot"),
    );
    check(
        &[started(), event(2, crew(None))],
        P,
        handover("bob"),
        Want::State("no co-pilot"),
    );
    check(
        &[started()],
        P,
        handover("bob"),
        Want::State("no crew on record"),
    );
    match judge(
        &Book::new(&plan(), &fold(&plan(), &with_crew), now()),
        C,
        handover("bob"),
    ) {
        Verdict::Refused(r) => {
            assert_eq!(r.to_string(), "only the pilot may hand over the controls")
        }
        other => panic!("{}", verdict_of(&other)),
    }
}
