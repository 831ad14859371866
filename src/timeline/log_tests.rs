//! The log parser against hostile and old files (issue 13, item 6).

use super::*;
use crate::timeline::fold;
use std::fs;

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
"#;

fn clock() -> Clock {
    Clock::Fixed("2026-11-10T14:00:00Z".parse().expect("time"))
}

fn note(text: &str) -> Permit {
    judge(
        &Book::without_plan(clock().now()),
        Role::Pilot,
        EventKind::Note { text: text.into() },
    )
    .confirmed()
    .expect("a note")
}

/// A log of three notes, as this build writes it.
fn three_notes(dir: &Path) -> PathBuf {
    let path = dir.join("events.jsonl");
    let mut log = EventLog::create(&path, "jane", Role::Pilot, clock()).expect("create");
    for t in ["one", "two", "three"] {
        log.append(note(t)).expect("append");
    }
    path
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn damage_after_blank_lines_names_the_line_an_editor_shows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = three_notes(dir.path());
    let l = lines(&path);
    // Line 1, two blank lines, line 4, damage on line 5, then line 6.
    let text = format!("{}\n\n\n{}\n{{not json\n{}\n", l[0], l[1], l[2]);
    fs::write(&path, &text).expect("write");
    let offset = text.find("{not json").expect("damage") as u64;
    match EventLog::read(&path) {
        Err(LogError::Damaged {
            line, offset: at, ..
        }) => assert_eq!((line, at), (5, offset), "line 5, at its byte offset"),
        other => panic!("expected damage, got {other:?}"),
    }
    // The same through an open handle that reads the rest later.
    let err = EventLog::open(&path, "jane", Role::Pilot, clock())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("line 5 "), "{err}");
}

#[test]
fn an_unknown_kind_is_kept_shown_and_folds_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = three_notes(dir.path());
    let mut text = fs::read_to_string(&path).expect("read");
    // A newer build's kind under the same schema version, without a checksum.
    text.push_str(concat!(
        r#"{"v":1,"id":"future-1","author":"bob","role":"pilot","seq":1,"#,
        r#""at":"2026-11-10T14:01:00Z","observed_at":"2026-11-10T14:01:00Z","#,
        r#""what":{"kind":"release_paused","until":"tomorrow"}}"#,
        "\n"
    ));
    fs::write(&path, &text).expect("write");
    let (events, _) = EventLog::read(&path).expect("the log still reads");
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[3].what,
        EventKind::Unknown {
            of: "release_paused".into()
        }
    );
    let plan = crate::checklist::Checklist::parse("c.toml", CHECKLIST)
        .expect("checklist")
        .plan("26.11.0")
        .expect("plan");
    let state = fold(&plan, &events);
    assert!(state.notes.len() == 3 && state.closed.is_none());
    assert_eq!(state.timeline.len(), 4, "shown in the timeline");
    let sentence = crate::export::describe(&events[3], &plan);
    assert!(sentence.contains("Unknown event"), "{sentence}");
    // A writer opens it and appends after it.
    let (mut log, _) = EventLog::open(&path, "jane", Role::Pilot, clock()).expect("open");
    log.append(note("four")).expect("append");
}

#[test]
fn a_flipped_digit_that_still_parses_is_caught_by_the_checksum() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = three_notes(dir.path());
    let text = fs::read_to_string(&path).expect("read");
    let second = text.find('\n').expect("line 1") + 1;
    let at = second + text[second..].find("14:00:00").expect("a time");
    let mut bytes = text.into_bytes();
    bytes[at + 1] = b'3'; // 14:00 → 13:00, still a valid time
    fs::write(&path, &bytes).expect("write");
    match EventLog::read(&path) {
        Err(LogError::Damaged {
            line,
            offset,
            message,
            ..
        }) => {
            assert_eq!((line, offset), (2, second as u64));
            assert!(message.contains("checksum"), "{message}");
        }
        other => panic!("expected damage, got {other:?}"),
    }
}

#[test]
fn lines_without_a_checksum_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = three_notes(dir.path());
    // What an older build wrote: the same events, plain JSON.
    let (events, _) = EventLog::read(&path).expect("read");
    let old: String = events
        .iter()
        .map(|e| serde_json::to_string(e).expect("json") + "\n")
        .collect();
    assert!(!old.contains("\"sum\""));
    fs::write(&path, &old).expect("write");
    let (again, _) = EventLog::read(&path).expect("old lines read");
    assert_eq!(again, events);
    // New lines get a checksum; old ones stay as they are.
    let (mut log, _) = EventLog::open(&path, "jane", Role::Pilot, clock()).expect("open");
    log.append(note("four")).expect("append");
    let l = lines(&path);
    assert!(
        l[3].ends_with("\"}") && l[3].contains(",\"sum\":\""),
        "{}",
        l[3]
    );
    assert!(!l[0].contains("\"sum\""));
}

#[test]
fn the_checksum_is_crc32_of_the_line_without_it() {
    // The check value every CRC-32 (IEEE) implementation agrees on.
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = three_notes(dir.path());
    let line = &lines(&path)[0];
    let (body, sum) = line.split_at(line.len() - SUM_LEN);
    let without = format!("{body}}}");
    assert_eq!(&sum[8..16], format!("{:08x}", crc32(without.as_bytes())));
    let event: Event = serde_json::from_str(&without).expect("the rest is the event");
    assert_eq!(event.v, SCHEMA_VERSION);
}

#[test]
fn a_newer_schema_is_still_refused_when_it_parses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = three_notes(dir.path());
    let (events, _) = EventLog::read(&path).expect("read");
    let mut newer = (*events[0]).clone();
    newer.v = SCHEMA_VERSION + 1;
    fs::write(&path, serde_json::to_string(&newer).expect("json") + "\n").expect("write");
    assert!(matches!(
        EventLog::read(&path),
        Err(LogError::TooNew { line: 1, .. })
    ));
}
