//! The checkpoint is derived data: whatever happens to it (or to the log
//! behind it), what a reader gets is what reading the whole log gives.

use super::*;
use crate::checklist::Checklist;
use crate::timeline::clock::Clock;
use crate::timeline::event::{EventId, Fact};
use crate::timeline::fold;
use crate::timeline::log::{EventLog, LogError, line_of};
use crate::timeline::merge::normalize;
use crate::timeline::rules::Role;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
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

fn t0() -> DateTime<Utc> {
    "2026-11-10T14:00:00Z".parse().expect("time")
}

/// Event number `i` of a generated log; `id` lets ids repeat.
fn event(i: usize, id: usize, kind: u8, secs: i64) -> Event {
    let what = match kind % 5 {
        0 => EventKind::Note {
            text: format!("note {i}: \"quoted\"\tünïcode"),
        },
        1 => EventKind::StepDone {
            step: crate::checklist::StepId("mine".into()),
            note: None,
        },
        2 => EventKind::StepUndone {
            step: crate::checklist::StepId("mine".into()),
            reason: format!("again {i}"),
        },
        3 => EventKind::Observed {
            probe: "tag".into(),
            fact: Fact::TagPushed {
                repo: "example/demo".into(),
                tag: format!("26.11.{}", i % 3).into(),
                sha: Some(format!("{i:040x}").into()),
            },
        },
        _ => EventKind::ReleaseClosed {
            outcome: crate::timeline::Outcome::Shipped,
            reason: None,
        },
    };
    let at = t0() + Duration::seconds(secs);
    Event {
        v: 1,
        id: EventId::from(format!("id-{id:04}")),
        author: "jane".into(),
        role: Role::Pilot,
        seq: i as u64 + 1,
        at,
        observed_at: at,
        link: None,
        what,
    }
}

fn start() -> Event {
    Event {
        v: 1,
        id: EventId::from("start"),
        author: "jane".into(),
        role: Role::Pilot,
        seq: 0,
        at: t0(),
        observed_at: t0(),
        link: None,
        what: EventKind::ReleaseStarted {
            release: "demo-26.11.0".into(),
            version: "26.11.0".into(),
            checklist: "demo.toml".into(),
        },
    }
}

/// A log of `n` lines (notes), written as this build writes them.
fn long_log(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("events.jsonl");
    let mut bytes = line_of(&start());
    for i in 1..n {
        bytes.extend(line_of(&event(i, i, (i % 4) as u8, i as i64)));
    }
    fs::write(&path, bytes).expect("write");
    path
}

/// What a reader gets: the events, a torn tail's length, the refused lines.
type Read = (Events, Option<usize>, Vec<ReusedId>);

fn read3(path: &Path) -> Result<Read, LogError> {
    EventLog::read_checked(path).map(|c| (c.events, c.torn, c.reused))
}

/// What reading the log gives without any checkpoint (on a copy of it).
fn whole(path: &Path) -> Result<Read, LogError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy.jsonl");
    fs::copy(path, &copy).expect("copy");
    // The copy's own checkpoint goes with its directory.
    read3(&copy)
}

fn checkpoint_covers(path: &Path) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    load(path, &mut file, len).map(|p| p.covers)
}

#[test]
fn a_long_log_gets_a_checkpoint_that_gives_the_same_events_and_deleting_it_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH + 10);
    assert!(!path_for(&path).exists());
    let first = read3(&path).expect("read");
    assert_eq!(first.0.len(), WORTH + 10);
    assert_eq!(
        checkpoint_covers(&path),
        Some(fs::metadata(&path).expect("len").len()),
        "a reader that read the whole log leaves a checkpoint of it"
    );
    assert_eq!(read3(&path).expect("again"), first);
    fs::remove_file(path_for(&path)).expect("delete");
    assert_eq!(read3(&path).expect("without"), first);
}

#[test]
fn a_short_log_gets_no_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), 10);
    read3(&path).expect("read");
    let (log, _) = EventLog::open(&path, "jane", Role::Pilot, Clock::Fixed(t0())).expect("open");
    drop(log);
    assert!(!path_for(&path).exists());
}

#[test]
fn a_start_reads_only_the_tail_behind_the_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH + 10);
    read3(&path).expect("read");
    // Damage a covered byte that no mark looks at: a reader trusting the
    // checkpoint never parses that line (which is how we know it reads only
    // the tail); without the checkpoint the damage is found.
    let mut bytes = fs::read(&path).expect("read");
    let covers = bytes.len() as u64;
    let step = (covers - WINDOW) / SAMPLES;
    let at = (step + WINDOW + 64) as usize;
    assert!((at as u64) < 2 * step, "between two marks");
    bytes[at] ^= 0x01;
    fs::write(&path, &bytes).expect("write");
    assert_eq!(
        read3(&path).expect("from the checkpoint").0.len(),
        WORTH + 10
    );
    fs::remove_file(path_for(&path)).expect("delete");
    let err = read3(&path).expect_err("the damage is found");
    assert!(err.to_string().contains("is damaged"), "{err}");
}

#[test]
fn a_truncated_log_is_not_read_from_a_checkpoint_that_covers_more() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH + 10);
    read3(&path).expect("read");
    let text = fs::read_to_string(&path).expect("read");
    let keep: String = text
        .lines()
        .take(WORTH / 2)
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&path, keep).expect("truncate");
    let read = read3(&path).expect("read");
    assert_eq!(read.0.len(), WORTH / 2);
    assert_eq!(read, whole(&path).expect("whole"));
}

#[test]
fn a_log_cut_and_regrown_to_the_same_length_disagrees_with_the_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH + 10);
    read3(&path).expect("read");
    // The last line replaced by another event of the same length.
    let text = fs::read_to_string(&path).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    let n = WORTH + 9;
    let mut other = event(n, n, (n % 4) as u8, n as i64);
    other.id = EventId::from(other.id.to_string().replacen("id-", "ID-", 1));
    let other = String::from_utf8(line_of(&other)).expect("utf-8");
    let replaced = format!("{}\n{other}", lines.join("\n"));
    assert_eq!(replaced.len(), text.len());
    fs::write(&path, replaced).expect("write");
    let read = read3(&path).expect("read");
    assert!(read.0.iter().any(|e| e.id.to_string().starts_with("ID-")));
    assert_eq!(read, whole(&path).expect("whole"));
}

#[test]
fn a_garbled_or_cut_checkpoint_is_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH + 10);
    let truth = read3(&path).expect("read");
    let cp = path_for(&path);
    let good = fs::read(&cp).expect("checkpoint");
    // In the directory, read and checked at every start (a frame or the
    // ids, read later, are `events_tests`' cases).
    let mut flipped = good.clone();
    let at = good.len() - 20;
    flipped[at] ^= 0x20;
    for bad in [
        flipped,
        good[..good.len() / 2].to_vec(),
        b"not a checkpoint".to_vec(),
        Vec::new(),
    ] {
        fs::write(&cp, &bad).expect("spoil");
        assert_eq!(read3(&path).expect("read"), truth);
        assert_eq!(fs::read(&cp).expect("rebuilt"), good, "rebuilt as it was");
        let (log, _) =
            EventLog::open(&path, "jane", Role::Pilot, Clock::Fixed(t0())).expect("open");
        assert_eq!(*log.events(), truth.0);
    }
}

#[test]
fn the_open_release_is_still_found_from_the_checkpoint_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH + 10);
    read3(&path).expect("read");
    assert!(path_for(&path).exists());
    assert!(!EventLog::mentions(&path, r#""kind":"release_closed""#).expect("hint"));
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    std::io::Write::write_all(&mut f, &line_of(&event(5000, 5000, 4, 9000))).expect("append");
    assert!(EventLog::mentions(&path, r#""kind":"release_closed""#).expect("hint"));
}

#[test]
fn a_writer_checkpoints_every_so_many_appends_and_starts_from_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH - 1);
    let clock = Clock::Fixed(t0());
    let (mut log, _) = EventLog::open(&path, "jane", Role::Pilot, clock.clone()).expect("open");
    assert!(!path_for(&path).exists());
    let note = |text: &str| {
        crate::timeline::judge(
            &crate::timeline::Book::without_plan(t0()),
            Role::Pilot,
            EventKind::Note { text: text.into() },
        )
        .confirmed()
        .expect("a note")
    };
    log.append(note("the 1024th line")).expect("append");
    assert_eq!(
        checkpoint_covers(&path),
        Some(fs::metadata(&path).expect("len").len())
    );
    log.append(note("after it")).expect("append");
    let (again, _) = EventLog::open(&path, "jane", Role::Pilot, clock).expect("reopen");
    assert_eq!(again.events(), log.events());
    let next = {
        let mut again = again;
        again.append(note("numbered on")).expect("append")
    };
    assert_eq!(next.seq, log.events().last().expect("one").seq + 1);
    assert_eq!(read3(&path).expect("read"), whole(&path).expect("whole"));
}

/// One generated line: an event (ids drawn from a small pool, so some repeat
/// exactly and some are reused for other events), or a blank line.
fn line_strategy() -> impl Strategy<Value = (u8, usize, u8, i64)> {
    (0u8..12, 0usize..40, 0u8..5, -50i64..500)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// For random logs and random checkpoint positions: the checkpoint and
    /// the tail give what the whole log gives — read, opened, and folded.
    #[test]
    fn checkpoint_and_tail_equal_the_whole_log(
        lines in prop::collection::vec(line_strategy(), 1..60),
        cut in 0usize..60,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.jsonl");
        let mut rendered: Vec<Vec<u8>> = vec![line_of(&start())];
        for (i, &(shape, id, kind, secs)) in lines.iter().enumerate() {
            rendered.push(match shape {
                0 => b"\n".to_vec(),
                // An exact repeat of an earlier line.
                1 if rendered.len() > 1 => rendered[id % rendered.len()].clone(),
                _ => line_of(&event(i, id, kind, secs)),
            });
        }
        let cut = 1 + cut % rendered.len();
        let prefix: Vec<u8> = rendered[..cut].concat();
        fs::write(&path, &prefix).expect("prefix");
        let (events, _, reused) = read3(&path).expect("prefix reads");
        {
            let mut f = File::open(&path).expect("open");
            write(&path, &mut f, prefix.len() as u64, cut, &events, &reused).expect("checkpoint");
        }
        let all: Vec<u8> = rendered.concat();
        fs::write(&path, &all).expect("whole");
        prop_assert_eq!(checkpoint_covers(&path), Some(prefix.len() as u64));

        let truth = whole(&path).expect("whole reads");
        let read = read3(&path).expect("reads");
        prop_assert_eq!(&read, &truth);

        let checklist = Checklist::parse("demo.toml", CHECKLIST).expect("checklist");
        let plan = checklist.plan("26.11.0").expect("plan");
        prop_assert_eq!(fold(&plan, &read.0), fold(&plan, &truth.0));
        prop_assert_eq!(normalize(read.0.to_vec()), normalize(truth.0.to_vec()));

        // A writer starting from the checkpoint holds what one reading it all holds.
        let copy = dir.path().join("copy.jsonl");
        fs::write(&copy, &all).expect("copy");
        let clock = Clock::Fixed(t0());
        let (from_cp, _) = EventLog::open(&path, "jane", Role::Pilot, clock.clone()).expect("open");
        let (from_all, _) = EventLog::open(&copy, "jane", Role::Pilot, clock).expect("open");
        prop_assert_eq!(from_cp.events(), from_all.events());
    }
}

#[test]
fn a_log_opened_from_its_checkpoint_still_knows_every_id_and_fact_when_it_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_log(dir.path(), WORTH + 10);
    read3(&path).expect("read, and checkpoint");
    assert!(checkpoint_covers(&path).is_some());
    // Behind the checkpoint: a line repeating a covered one exactly, and a
    // different event reusing a covered id.
    let mut tail = line_of(&event(3, 3, 3, 3));
    let mut forged = event(5, 5, 0, 5);
    forged.what = EventKind::Note {
        text: "not what id-0005 said".into(),
    };
    tail.extend(line_of(&forged));
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    std::io::Write::write_all(&mut f, &tail).expect("append");
    drop(f);

    let (mut log, _) =
        EventLog::open(&path, "jane", Role::Pilot, Clock::Fixed(t0())).expect("open");
    assert_eq!(log.events().len(), WORTH + 10, "neither tail line is taken");
    assert!(
        log.events()
            .iter()
            .all(|e| e.id != forged.id || **e != forged)
    );
    // Event 3 observed this fact before the checkpoint: it is not recorded again.
    let EventKind::Observed { fact, .. } = event(3, 3, 3, 3).what else {
        panic!("event 3 is an observation");
    };
    assert!(
        log.observe("tag", fact, None, None)
            .expect("observe")
            .is_none()
    );
    let imported = log
        .import(vec![event(7, 7, 3, 7), forged.clone()])
        .expect("import");
    assert!(imported.0.is_empty(), "nothing new");
    assert_eq!(
        imported.1,
        vec![forged],
        "a different event under a known id is refused"
    );
    assert_eq!(log.events().len(), WORTH + 10);
}
