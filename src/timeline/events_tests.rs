//! A checkpoint's events are read a frame at a time, when first needed, and
//! a frame that no longer reads back gives unknown events, never a panic.

use super::*;
use crate::timeline::checkpoint::{self, path_for};
use crate::timeline::line::line_of;
use crate::timeline::log::EventLog;

fn note(i: usize) -> Event {
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::seconds(i as i64);
    Event {
        v: 1,
        id: EventId::from(format!("n{i:05}")),
        author: if i.is_multiple_of(2) { "jane" } else { "bob" }.into(),
        role: Role::Pilot,
        seq: i as u64 + 1,
        at,
        observed_at: at,
        link: None,
        what: EventKind::Note {
            text: format!("note {i}"),
        },
    }
}

/// A log of `n` notes with its checkpoint, and the checkpoint's events.
fn checkpointed(dir: &std::path::Path, n: usize) -> (std::path::PathBuf, Events) {
    let path = dir.join("events.jsonl");
    let bytes: Vec<u8> = (0..n).flat_map(|i| line_of(&note(i))).collect();
    std::fs::write(&path, bytes).expect("log");
    EventLog::read_checked(&path).expect("read");
    let mut file = File::open(&path).expect("open");
    let len = file.metadata().expect("len").len();
    let prefix = checkpoint::load(&path, &mut file, len).expect("a checkpoint");
    (path, prefix.events)
}

fn cold_of(events: &Events) -> &Arc<Cold> {
    events.cold_part().expect("cold").0
}

#[test]
fn an_event_read_decodes_its_frame_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 3 * super::super::pack::FRAME + 5;
    let (_, events) = checkpointed(dir.path(), n);
    let cold = cold_of(&events);
    assert_eq!(events.len(), n);
    assert_eq!(cold.decoded(), 0, "opening decodes nothing");
    assert_eq!(**events.last().expect("last"), note(n - 1));
    assert_eq!(cold.decoded(), 1, "the last event, its frame only");
    let (at, found) = cold.find(&EventId::from("n00007")).expect("found by id");
    assert_eq!((at, &**found), (7, &note(7)));
    assert!(cold.find(&EventId::from("absent")).is_none());
    // The author's highest sequence number is known without decoding.
    assert!(cold.seqs().contains(&("jane".to_string(), n as u64)));
    // Read in full, they are the log's events, in its order.
    let all: Vec<Event> = events.iter().map(|e| (**e).clone()).collect();
    assert_eq!(all, (0..n).map(note).collect::<Vec<_>>());
    assert!(!events.damaged());
}

#[test]
fn a_frame_garbled_after_the_start_reads_as_unknown_events_and_the_checkpoint_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 2 * super::super::pack::FRAME + 1;
    let (path, events) = checkpointed(dir.path(), n);
    let cold = Arc::clone(cold_of(&events));
    // Changed in place, as no writer of ours does: the second frame.
    let frame = cold.frames()[1];
    let cp = path_for(&path);
    let mut bytes = std::fs::read(&cp).expect("checkpoint");
    bytes[(frame.at + u64::from(frame.len) / 2) as usize] ^= 0x55;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
        .expect("garble in place");
    assert_eq!(
        **events.first().expect("first"),
        note(0),
        "another frame reads"
    );
    let e = &events[super::super::pack::FRAME + 3];
    assert!(matches!(e.what, EventKind::Unknown { .. }), "{e:?}");
    assert!(events.damaged());
    assert!(!cp.exists(), "removed: the next start reads the log");
    // No checkpoint is written from damaged events.
    let mut file = File::open(&path).expect("open");
    let len = file.metadata().expect("len").len();
    assert!(checkpoint::write(&path, &mut file, len, n, &events, &[]).is_err());
    // And the log itself still reads whole.
    let again = EventLog::read_checked(&path).expect("read").events;
    assert_eq!(
        **again.get(super::super::pack::FRAME + 3).expect("event"),
        note(super::super::pack::FRAME + 3)
    );
}

/// Changes one byte of the checkpoint in place, as no writer of ours does.
fn garble(path: &std::path::Path, at: u64) {
    let cp = path_for(path);
    let mut bytes = std::fs::read(&cp).expect("checkpoint");
    bytes[at as usize] ^= 0x55;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
        .expect("garble in place");
}

#[test]
fn garbled_id_hashes_are_found_out_and_ids_are_still_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, events) = checkpointed(dir.path(), 1500);
    let cold = cold_of(&events);
    let ids = cold.ids_section();
    garble(&path, ids.at + u64::from(ids.len) / 3);
    let (at, e) = cold
        .find(&EventId::from("n01234"))
        .expect("found by reading them all");
    assert_eq!((at, &**e), (1234, &note(1234)));
    assert!(cold.find(&EventId::from("absent")).is_none());
    assert!(events.damaged());
    assert!(
        !path_for(&path).exists(),
        "removed: the next start reads the log"
    );
}

#[test]
fn picked_and_held_events_index_as_one_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, events) = checkpointed(dir.path(), 1100);
    let cold = Arc::clone(cold_of(&events));
    let mut picked = Events::picked(Arc::clone(&cold), vec![5, 1, 1099]).expect("in range");
    picked.push(Arc::new(note(2000)));
    let ids: Vec<String> = picked.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, ["n00005", "n00001", "n01099", "n02000"]);
    assert_eq!(picked.len(), 4);
    assert_eq!(picked.since(2).len(), 2);
    assert_eq!(
        picked
            .iter()
            .next_back()
            .map(|e| e.id.to_string())
            .as_deref(),
        Some("n02000")
    );
    // The same events held in memory compare equal.
    let held = Events::from(picked.to_vec());
    assert_eq!(held, picked);
    assert!(Events::picked(cold, vec![1100]).is_none(), "past the end");
}
