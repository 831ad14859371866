//! Crash test: a child process appending events is killed with SIGKILL at
//! random points, hundreds of times. After every restart, no acknowledged event
//! is lost or duplicated and the log opens cleanly.
//!
//! The child is this very test binary, re-run with `FLIGHTDECK_CRASH_CHILD`
//! set: it appends events in a loop and prints `ack <seq>` after each append
//! returns (that is, after the fsync).

use flightdeck::crew::Role;
use flightdeck::timeline::{Book, Clock, EventKind, EventLog, judge};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FLIGHTDECK_CRASH_CHILD";
const ROUNDS: usize = 300;

/// Entry point of the child process; a no-op in a normal test run.
#[test]
fn crash_child_entry() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let path = Path::new(&path);
    let (mut log, _) =
        EventLog::open(path, "crash", Role::Pilot, Clock::System).expect("child opens the log");
    let mut out = std::io::stdout().lock();
    loop {
        let note = EventKind::Note {
            text: "x".repeat(fastrand::usize(1..400)),
        };
        let permit = judge(&Book::without_plan(log.clock().now()), Role::Pilot, note)
            .confirmed()
            .expect("a note is allowed");
        let e = log.append(permit).expect("append");
        use std::io::Write;
        writeln!(out, "ack {}", e.seq).expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.jsonl");
    drop(EventLog::create(&path, "crash", Role::Pilot, Clock::System).expect("create"));
    let exe = std::env::current_exe().expect("test binary");
    let mut acked: Vec<u64> = Vec::new();
    let mut torn_repairs = 0;
    // libtest names the child test by its module path inside the test crate
    // (`crash::crash_child_entry` in the `cli` crate).
    let child_test = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::crash_child_entry"),
        None => "crash_child_entry".to_string(),
    };

    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                child_test.as_str(),
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(seq) = line
                    .strip_prefix("ack ")
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    let _ = tx.send(seq);
                }
            }
        });
        // Usually kill while the child is appending (after its first
        // acknowledgement, a random moment later); sometimes during start-up.
        if round % 10 != 0
            && let Ok(seq) = rx.recv_timeout(Duration::from_secs(10))
        {
            acked.push(seq);
        }
        let deadline = Instant::now() + Duration::from_micros(fastrand::u64(0..3000));
        while Instant::now() < deadline {
            std::hint::spin_loop();
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        reader.join().expect("reader");
        acked.extend(rx.try_iter());

        // Restart: the log must open cleanly (repairing at most a torn tail).
        let (log, torn) = EventLog::open(&path, "crash", Role::Pilot, Clock::System)
            .unwrap_or_else(|e| panic!("round {round}: the log must open after a crash: {e}"));
        torn_repairs += usize::from(torn.is_some());
        let seqs: Vec<u64> = log.events().iter().map(|e| e.seq).collect();
        let unique: HashSet<u64> = seqs.iter().copied().collect();
        assert_eq!(unique.len(), seqs.len(), "round {round}: duplicated events");
        for a in &acked {
            assert!(
                unique.contains(a),
                "round {round}: acknowledged event {a} was lost"
            );
        }
        // Sequence numbers are dense: nothing vanished from the middle.
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "round {round}: gap in the log"
        );
    }
    assert!(!acked.is_empty(), "the children acknowledged some events");
    eprintln!(
        "{ROUNDS} kills, {} acknowledged events, {torn_repairs} torn tails repaired",
        acked.len()
    );
}
