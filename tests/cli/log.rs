//! The on-disk timeline: acknowledgement, torn tails, damage, sharing between processes.

use flightdeck::crew::Role;
use flightdeck::timeline::{Book, Clock, EventKind, EventLog, Fact, LogError, Permit, judge};
use std::fs;
use std::path::{Path, PathBuf};

fn clock() -> Clock {
    Clock::Fixed("2026-11-10T14:00:00Z".parse().expect("time"))
}

fn new_log(dir: &Path) -> (PathBuf, EventLog) {
    let path = dir.join("events.jsonl");
    let log = EventLog::create(&path, "jane", Role::Pilot, clock()).expect("create");
    (path, log)
}

/// A note, as the rule book lets `seat` record it (a note needs no plan).
fn note_as(seat: Role, text: &str) -> Permit {
    judge(
        &Book::without_plan(clock().now()),
        seat,
        EventKind::Note { text: text.into() },
    )
    .confirmed()
    .expect("the rule book accepts a note")
}

fn note(text: &str) -> Permit {
    note_as(Role::Pilot, text)
}

#[test]
fn appended_events_survive_reopening_with_sequence_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, mut log) = new_log(dir.path());
    let a = log.append(note("one")).expect("append");
    let b = log.append(note("two")).expect("append");
    assert_eq!((a.seq, b.seq), (1, 2));
    drop(log);
    let (mut log, torn) = EventLog::open(&path, "jane", Role::Pilot, clock()).expect("open");
    assert!(torn.is_none());
    assert_eq!(log.events().len(), 2);
    assert_eq!(
        log.append(note("three")).expect("append").seq,
        3,
        "sequence continues after reopen"
    );
}

#[test]
fn a_torn_last_line_is_moved_aside_and_truncated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, mut log) = new_log(dir.path());
    log.append(note("kept")).expect("append");
    drop(log);
    let good = fs::read(&path).expect("read");
    let mut torn = good.clone();
    let partial = br#"{"v":1,"id":"x","author":"ja"#;
    torn.extend_from_slice(partial);
    fs::write(&path, &torn).expect("write");

    // Reading for export changes nothing, and says so.
    let (events, tail) = EventLog::read(&path).expect("read-only open");
    assert_eq!((events.len(), tail), (1, Some(partial.len())));
    assert_eq!(
        fs::read(&path).expect("read"),
        torn,
        "a reader never modifies the log"
    );

    let (log, report) = EventLog::open(&path, "jane", Role::Pilot, clock()).expect("open repairs");
    let report = report.expect("torn tail reported");
    assert_eq!(report.bytes, partial.len());
    assert!(
        report.to_string().contains("events.jsonl.broken"),
        "{report}"
    );
    assert_eq!(log.events().len(), 1);
    assert_eq!(
        fs::read(&path).expect("read"),
        good,
        "truncated back to the last complete line"
    );
    let broken = fs::read_to_string(dir.path().join("events.jsonl.broken")).expect("moved aside");
    assert!(broken.starts_with(r#"{"v":1,"id":"x","author":"ja"#));
}

#[test]
fn damage_in_the_middle_is_refused_with_line_and_offset_and_nothing_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, mut log) = new_log(dir.path());
    log.append(note("one")).expect("append");
    log.append(note("two")).expect("append");
    drop(log);
    let text = fs::read_to_string(&path).expect("read");
    let first_len = text.lines().next().expect("line").len() + 1;
    let damaged = text
        .replacen("\"two\"", "\"two", 1)
        .replacen("\"one\"", "oops", 1);
    fs::write(&path, &damaged).expect("write");
    let err = match EventLog::open(&path, "jane", Role::Pilot, clock()) {
        Err(e) => e,
        Ok(_) => panic!("damage must be refused"),
    };
    assert!(err.is_damage());
    let msg = err.to_string();
    assert!(msg.contains("line 1 (byte 0)"), "{msg}");
    assert!(msg.contains("nothing was changed"), "{msg}");
    assert_eq!(fs::read_to_string(&path).expect("read"), damaged);
    assert!(!dir.path().join("events.jsonl.broken").exists());

    // Damage on line 2 is reported at line 2's byte offset.
    let damaged2 = text.replacen("\"two\"", "\"two", 1);
    fs::write(&path, &damaged2).expect("write");
    let Err(LogError::Damaged { line, offset, .. }) = EventLog::read(&path) else {
        panic!("damage must be refused")
    };
    assert_eq!((line, offset), (2, first_len as u64));
}

#[test]
fn events_from_a_newer_schema_are_refused_not_misread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "{\"v\":99,\"what\":{}}\n").expect("write");
    let Err(err) = EventLog::read(&path) else {
        panic!("must refuse")
    };
    assert!(err.to_string().contains("newer flightdeck"), "{err}");
}

#[test]
fn two_writers_share_one_log_and_see_each_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, mut pilot) = new_log(dir.path());
    let (mut copilot, _) = EventLog::open(&path, "bob", Role::Copilot, clock()).expect("open");
    pilot.append(note("from jane")).expect("append");
    copilot
        .append(note_as(Role::Copilot, "from bob"))
        .expect("append");
    pilot.append(note("jane again")).expect("append");
    assert_eq!(copilot.refresh().expect("refresh"), 1);
    assert_eq!(pilot.events().len(), 3);
    assert_eq!(copilot.events().len(), 3);
    let (events, _) = EventLog::read(&path).expect("read");
    let seqs: Vec<(String, u64)> = events
        .iter()
        .map(|e| (e.author.to_string(), e.seq))
        .collect();
    assert_eq!(
        seqs,
        [("jane".into(), 1), ("bob".into(), 1), ("jane".into(), 2)]
    );
}

#[test]
fn a_fact_is_recorded_once_however_often_it_is_observed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, mut log) = new_log(dir.path());
    let fact = Fact::TagPushed {
        repo: "conda/conda".into(),
        tag: "26.11.0".into(),
        sha: None,
    };
    let when: chrono::DateTime<chrono::Utc> = "2026-11-10T13:00:00Z".parse().expect("time");
    let at = Some(when);
    let first = log
        .observe("tag conda/conda@26.11.0", fact.clone(), at, None)
        .expect("observe");
    assert_eq!(
        first.expect("recorded").at,
        when,
        "the source's time is kept"
    );
    assert!(
        log.observe("tag conda/conda@26.11.0", fact.clone(), at, None)
            .expect("observe")
            .is_none()
    );
    // Another process that opened the log earlier does not record it again either.
    let (mut other, _) = EventLog::open(&path, "bob", Role::Copilot, clock()).expect("open");
    let (mut stale, _) = EventLog::open(&path, "bob", Role::Copilot, clock()).expect("open");
    assert!(
        other
            .observe("tag conda/conda@26.11.0", fact.clone(), at, None)
            .expect("observe")
            .is_none()
    );
    drop(other);
    assert!(
        stale
            .observe("tag conda/conda@26.11.0", fact, at, None)
            .expect("observe")
            .is_none()
    );
    assert_eq!(EventLog::read(&path).expect("read").0.len(), 1);
}

#[test]
fn a_read_only_follower_never_repairs_or_writes_but_sees_new_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, mut writer) = new_log(dir.path());
    writer.append(note("one")).expect("append");
    let mut torn = fs::read(&path).expect("read");
    torn.extend_from_slice(b"{\"v\":1,\"id\":\"half");
    fs::write(&path, &torn).expect("write");
    let mut seat = EventLog::open_read_only(&path, "sam", Role::JumpSeat, clock()).expect("open");
    assert_eq!(seat.events().len(), 1);
    assert!(
        seat.append(note("nope")).is_err(),
        "a read-only log refuses appends"
    );
    assert_eq!(
        fs::read(&path).expect("read"),
        torn,
        "nothing repaired, nothing written"
    );
    assert!(!dir.path().join("events.jsonl.broken").exists());
    // A writer repairs the tail and appends; the follower sees it.
    drop(writer);
    let (mut writer, _) = EventLog::open(&path, "jane", Role::Pilot, clock()).expect("open");
    writer.append(note("two")).expect("append");
    assert_eq!(seat.refresh().expect("refresh"), 1);
}

#[test]
fn a_package_that_disappears_and_returns_is_recorded_each_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, mut log) = new_log(dir.path());
    let available = Fact::Available {
        channel: "conda-forge".into(),
        package: "conda".into(),
        version: "26.11.0".into(),
        subdir: "noarch".into(),
        build: "py_0".into(),
        file_name: "conda-26.11.0-py_0.conda".into(),
        first_seen: None,
    };
    let gone = Fact::Disappeared {
        channel: "conda-forge".into(),
        package: "conda".into(),
        version: "26.11.0".into(),
        subdir: "noarch".into(),
    };
    let probe = "channel conda-forge/conda==26.11.0 [noarch]";
    for (fact, recorded) in [
        (&available, true),
        (&available, false),
        (&gone, true),
        (&gone, false),
        (&available, true),
    ] {
        let e = log
            .observe(probe, fact.clone(), None, None)
            .expect("observe");
        assert_eq!(e.is_some(), recorded, "{fact:?}");
    }
}
