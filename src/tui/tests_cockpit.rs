//! Issue 15 in `update` and the pure helpers: the close question when the
//! last step completes, and "waiting on whom" in people and things.

use super::action::{Action, Effect};
use super::fixture::{Events, now, sample_model};
use super::model::{Mode, Model};
use super::panes::checklist::step_info;
use super::update::{CLOSE_QUESTION, update};
use crate::crew::Role;
use crate::timeline::{EventKind, Outcome, StepStatus};

/// Every open step skipped, as recorded events arriving from the store.
fn finish_all(m: &mut Model) {
    let mut ev = Events::default();
    for (i, st) in m.state.steps.iter().enumerate() {
        if !st.status.is_complete() {
            ev.push(
                "jane",
                Role::Pilot,
                now(),
                None,
                EventKind::StepSkipped {
                    step: m.plan.steps[i].id.clone(),
                    reason: "test".into(),
                },
            );
        }
    }
    // Ids that cannot collide with the sample's.
    for (n, e) in ev.events.iter_mut().enumerate() {
        e.id = crate::timeline::EventId::from(format!("fin{n:04}"));
        // The pilot on the roster: an author who holds no seat would be ignored.
        e.author = "jane".into();
    }
    update(
        m,
        Action::Recorded(ev.events.into_iter().map(std::sync::Arc::new).collect()),
    );
}

#[test]
fn the_pilot_is_asked_once_to_close_when_the_last_step_completes() {
    let mut m = sample_model(Role::Pilot, (120, 36));
    assert_eq!(m.ui.mode, Mode::Normal);
    finish_all(&mut m);
    let (done, total) = m.state.progress();
    assert_eq!(done, total);
    match &m.ui.mode {
        Mode::Confirm { step, permit, .. } => {
            assert_eq!(*step, CLOSE_QUESTION);
            assert!(matches!(
                permit.what(),
                EventKind::ReleaseClosed {
                    outcome: Outcome::Shipped,
                    ..
                }
            ));
        }
        other => panic!("no close question: {other:?}"),
    }
    // "Not yet": nothing written, and the question is not asked again.
    assert!(update(&mut m, Action::Confirm(false)).is_empty());
    update(&mut m, Action::Recorded(Vec::new()));
    update(&mut m, Action::Tick(now()));
    assert_eq!(m.ui.mode, Mode::Normal);
}

#[test]
fn yes_closes_the_release_as_shipped() {
    let mut m = sample_model(Role::Pilot, (80, 24));
    finish_all(&mut m);
    let effects = update(&mut m, Action::Confirm(true));
    assert!(
        matches!(effects.as_slice(), [Effect::Append { permit, .. }]
            if matches!(permit.what(), EventKind::ReleaseClosed { outcome: Outcome::Shipped, .. })),
        "{effects:?}"
    );
}

#[test]
fn only_the_pilot_is_asked() {
    for seat in [Role::Copilot, Role::JumpSeat] {
        let mut m = sample_model(seat, (80, 24));
        finish_all(&mut m);
        assert_eq!(m.ui.mode, Mode::Normal, "{seat}");
    }
}

#[test]
fn waiting_names_people_and_things_not_roles_and_probe_kinds() {
    let m = sample_model(Role::Copilot, (200, 50));
    let infos: Vec<String> = (0..m.plan.steps.len())
        .map(|i| step_info(&m, i).0)
        .collect();
    for info in &infos {
        assert!(!info.contains("feedstock_pr"), "{info}");
        assert!(!info.contains("waiting on channel"), "{info}");
    }
    // A ready pilot step, seen from the co-pilot's seat, names the pilot.
    let pilot_ready = m.plan.steps.iter().enumerate().find(|(i, s)| {
        s.role == crate::crew::StepRole::Pilot
            && s.probe.is_none()
            && m.state.steps[*i].status == StepStatus::Ready
            && s.gate.is_none()
    });
    if let Some((i, _)) = pilot_ready {
        assert_eq!(infos[i], "waiting on @jane (pilot)");
    }
    // A channel step names the channel and the subdirs still missing.
    let channel = m.plan.steps.iter().enumerate().find(|(i, s)| {
        matches!(s.probe, Some(crate::checklist::ProbeSpec::Channel { .. }))
            && m.state.steps[*i].status == StepStatus::Pending
    });
    if let Some((i, s)) = channel
        && let Some(crate::checklist::ProbeSpec::Channel { channel, .. }) = &s.probe
        && !infos[i].starts_with("probe")
    {
        assert!(
            infos[i].starts_with(&format!("waiting on {channel}: ")),
            "{}",
            infos[i]
        );
    }
}

#[test]
fn a_step_done_before_its_needs_is_flagged() {
    let mut m = sample_model(Role::Pilot, (200, 50));
    // The last step needs earlier ones that are not complete: sign it off anyway.
    let (i, step) = m
        .plan
        .steps
        .iter()
        .enumerate()
        .rev()
        .find(|(i, s)| {
            !s.needs.is_empty() && !m.state.steps[*i].status.is_complete() && s.probe.is_none()
        })
        .map(|(i, s)| (i, s.clone()))
        .expect("a step with needs");
    let mut ev = Events::default();
    ev.done("jane-early", Role::Pilot, now(), &step.id.0, None);
    ev.events[0].id = crate::timeline::EventId::from("early0001");
    update(
        &mut m,
        Action::Recorded(ev.events.into_iter().map(std::sync::Arc::new).collect()),
    );
    let (info, _) = step_info(&m, i);
    assert!(info.starts_with("⚠ done before "), "{info}");
}
