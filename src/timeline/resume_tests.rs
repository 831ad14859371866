//! A fold saved beside the log and resumed gives exactly the fold of the
//! whole log, or is not used.

use super::*;
use crate::timeline::event::{EventId, EventKind};
use crate::timeline::fold::tests::{events as random_events, plan};
use crate::timeline::line::line_of;
use crate::timeline::log::EventLog;
use crate::timeline::rules::Role;
use proptest::prelude::*;
use std::io::Write;

/// Notes before anything else: a log long enough for a checkpoint.
fn padding(n: usize) -> Vec<Event> {
    let start = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH - chrono::Duration::days(1);
    (0..n)
        .map(|i| {
            let at = start + chrono::Duration::seconds(i as i64);
            Event {
                v: 1,
                id: EventId::from(format!("pad{i:06}")),
                author: "jane".into(),
                role: Role::Pilot,
                seq: i as u64 + 1,
                at,
                observed_at: at,
                link: None,
                what: EventKind::Note {
                    text: format!("padding {i}"),
                },
            }
        })
        .collect()
}

fn append(path: &Path, events: &[Event]) {
    let bytes: Vec<u8> = events.iter().flat_map(line_of).collect();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("log");
    f.write_all(&bytes).expect("append");
}

/// A start by a writer (the cockpit, `note`): its state, and its events.
fn start(plan: &Plan, path: &Path) -> (State, Events) {
    let mut log =
        EventLog::open_read_only(path, "jane", Role::Pilot, crate::timeline::Clock::System)
            .expect("open");
    (log.state(plan), log.events().clone())
}

/// A start by a reader (`status`, `export`).
fn read(plan: &Plan, path: &Path) -> (State, Events) {
    let read = EventLog::read_checked(path).expect("read");
    let newest = read.covering.map(|id| (id, read.events.len()));
    let (state, save_it) = resume(plan, path, &read.events, newest);
    if save_it && let Some(id) = read.checkpoint_all(path) {
        save(path, plan, id, &read.events, &state).expect("saved");
    }
    (state, read.events)
}

fn resumed(state: &State) -> bool {
    matches!(state.events.cold_part(), Some((_, Some(_))))
}

fn renamed(events: Vec<Event>, prefix: &str) -> Vec<Event> {
    events
        .into_iter()
        .enumerate()
        .map(|(n, mut e)| {
            e.id = EventId::from(format!("{prefix}{n}-{}", e.id));
            e
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Saved, resumed, and resumed again after more lines: always the fold
    /// of every event of the log.
    #[test]
    fn a_resumed_fold_is_the_fold_of_the_whole(first in random_events(), more in random_events()) {
        let plan = plan();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.jsonl");
        append(&path, &padding(checkpoint::WORTH));
        // Each id once: a writer leaves the checkpoint to readers once a
        // line reuses an id (they name both lines), as `checkpoint_tests` shows.
        append(&path, &renamed(first, "f"));

        let (state, events) = start(&plan, &path);
        prop_assert_eq!(&state, &fold(&plan, &events));
        prop_assert!(path_for(&path).exists(), "saved");

        let (state, events) = start(&plan, &path);
        prop_assert!(resumed(&state));
        prop_assert_eq!(&state, &fold(&plan, &events));

        append(&path, &renamed(more.clone(), "m"));
        let (state, events) = start(&plan, &path);
        prop_assert_eq!(&state, &fold(&plan, &events));
        let (state, events) = start(&plan, &path);
        prop_assert!(resumed(&state), "resumed: extended, or saved again after folding all");
        prop_assert_eq!(&state, &fold(&plan, &events));

        // A reader does the same.
        append(&path, &renamed(more, "r"));
        let (state, events) = read(&plan, &path);
        prop_assert_eq!(&state, &fold(&plan, &events));
        let (state, events) = read(&plan, &path);
        prop_assert!(resumed(&state));
        prop_assert_eq!(&state, &fold(&plan, &events));
    }
}

#[test]
fn a_garbled_fold_or_another_plan_folds_again() {
    let plan = plan();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.jsonl");
    append(&path, &padding(checkpoint::WORTH + 10));
    let (truth, _) = start(&plan, &path);
    let saved = std::fs::read(path_for(&path)).expect("saved");
    for at in [0, KEY + 3, saved.len() / 2, saved.len() - 1] {
        let mut bad = saved.clone();
        bad[at] ^= 0x10;
        std::fs::write(path_for(&path), &bad).expect("garble");
        let (state, _) = start(&plan, &path);
        assert!(!resumed(&state), "garbled at {at}: not used");
        assert_eq!(state, truth);
        assert_eq!(
            std::fs::read(path_for(&path)).expect("saved"),
            saved,
            "saved again"
        );
    }
    std::fs::write(path_for(&path), &saved[..saved.len() / 3]).expect("cut");
    assert_eq!(start(&plan, &path).0, truth);
    // A checklist edited since: its own fold, not the saved one.
    let other = crate::checklist::Checklist::parse(
        "conda.toml",
        include_str!("../../checklists/conda.toml"),
    )
    .expect("valid")
    .plan("26.12.0")
    .expect("version");
    let (state, events) = start(&other, &path);
    assert!(!resumed(&state));
    assert_eq!(state, fold(&other, &events));
    assert!(resumed(&start(&other, &path).0), "then saved for it");
}

#[test]
fn a_start_from_a_saved_fold_decodes_almost_nothing() {
    let plan = plan();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.jsonl");
    append(&path, &padding(10 * super::super::pack::FRAME));
    start(&plan, &path);
    let (state, _) = start(&plan, &path);
    assert!(resumed(&state));
    let (cold, _) = state.events.cold_part().expect("cold");
    assert_eq!(cold.frames().len(), 10);
    black_box_status(&plan, &state);
    assert!(cold.decoded() <= 1, "{} frames decoded", cold.decoded());
}

/// What `status` reads of a state.
fn black_box_status(plan: &Plan, state: &State) {
    let _ = state.progress();
    let _ = crate::timeline::matrix::channels(plan, state);
    let _ = state.timeline.last().map(|&i| state.events[i].id.clone());
}
