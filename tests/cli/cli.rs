//! The command line, driven as a user would: the real binary, a real home directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_as("jane", args)
    }

    fn run_as(&self, login: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("FLIGHTDECK_HOME", self.path())
            .env("FLIGHTDECK_LOGIN", login)
            .env("FLIGHTDECK_CONFIG", self.path().join("no-config.toml"))
            .env_remove("FLIGHTDECK_ROLE")
            .env("NO_COLOR", "1")
            .output()
            .expect("run flightdeck")
    }

    fn events(&self) -> PathBuf {
        self.path().join("releases/conda-26.11.0/events.jsonl")
    }

    fn start(&self) {
        // bob is the co-pilot: a seat comes from the roster, never from --role alone.
        let out = self.run(&[
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.0",
            "--copilot",
            "bob",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn shipped_checklists_pass_check() {
    let out = Home::new().run(&[
        "check",
        "checklists/conda.toml",
        "checklists/conda-store.toml",
        "checklists/conda-tandem.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out).matches(": ok (").count(), 3, "{}", text(&out));
}

#[test]
fn check_reports_every_error_with_its_place_and_exits_2() {
    let out = Home::new().run(&["check", "tests/fixtures/checklists/broken.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "tests/fixtures/checklists/broken.toml:5:18: bad version_scheme",
        "tests/fixtures/checklists/broken.toml:10:22: unknown subdir `linux64`",
        "tests/fixtures/checklists/broken.toml:18:14: unknown template variable `{verison}`",
        "tests/fixtures/checklists/broken.toml:21:18: unknown probe kind `tagg`",
        "tests/fixtures/checklists/broken.toml:29:1: unknown key `colour` in step `b`",
        "hint: did you mean `linux-64`?",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    assert!(
        !err.contains("Backtrace") && !err.contains("Location:"),
        "no backtraces for user mistakes:\n{err}"
    );
    let missing = Home::new().run(&["check", "nope.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing).contains("nope.toml:1:1: cannot read the checklist"),
        "{}",
        text(&missing)
    );
}

#[test]
fn a_release_from_start_to_sign_off() {
    let home = Home::new();
    home.start();
    let list = home.run(&["list"]);
    assert!(stdout(&list).contains("conda-26.11.0"), "{}", text(&list));
    assert!(stdout(&list).contains("in progress"), "{}", text(&list));

    // A pilot-only step asks first, as the cockpit does: `--force` is the yes.
    let ask = home.run(&["step", "done", "release-issue"]);
    assert_eq!(ask.status.code(), Some(2), "{}", text(&ask));
    assert!(
        text(&ask).contains("• a pilot-only step") && text(&ask).contains("add --force"),
        "{}",
        text(&ask)
    );
    let done = home.run(&["step", "done", "release-issue", "--force"]);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    assert!(
        stdout(&done).contains("release-issue: done by jane"),
        "{}",
        text(&done)
    );
    let note = home.run_as(
        "bob",
        &["--role", "copilot", "note", "canary builds look green"],
    );
    assert_eq!(note.status.code(), Some(0), "{}", text(&note));

    let status = home.run(&["status"]);
    let s = stdout(&status);
    assert!(s.contains("conda 26.11.0 — 1/20 steps complete"), "{s}");
    assert!(s.contains("✔ release-issue"), "{s}");
    assert!(
        !s.contains("needs release-issue"),
        "cut-branch is no longer blocked:\n{s}"
    );
    assert!(s.contains("bob: canary builds look green"), "{s}");

    let json = home.run(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("status --json is JSON");
    assert_eq!(v["progress"]["complete"], 1);
    let step = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == "release-issue")
        .expect("step")
        .clone();
    assert_eq!(
        (step["status"].as_str(), step["by"].as_str()),
        (Some("done"), Some("jane"))
    );

    // Every event names its author and role.
    let log = std::fs::read_to_string(home.events()).expect("log");
    let authors: Vec<(String, String)> = log
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("event");
            (
                v["author"].as_str().unwrap_or("").to_string(),
                v["role"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        authors,
        [
            // The start, then the crew it recorded.
            ("jane".into(), "pilot".into()),
            ("jane".into(), "pilot".into()),
            ("jane".into(), "pilot".into()),
            ("bob".into(), "copilot".into())
        ]
    );
}

#[test]
fn undo_and_skip_need_a_reason_and_probe_steps_need_an_override_reason() {
    let home = Home::new();
    home.start();
    let nothing = home.run(&["step", "undo", "release-issue", "--note", "x"]);
    assert_eq!(nothing.status.code(), Some(2), "{}", text(&nothing));
    assert!(
        text(&nothing).contains("there is nothing to undo"),
        "{}",
        text(&nothing)
    );
    let done = home.run(&["step", "done", "release-issue", "--force"]);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    let undo = home.run(&["step", "undo", "release-issue"]);
    assert_eq!(undo.status.code(), Some(2), "{}", text(&undo));
    assert!(
        text(&undo).contains("needs a reason: add --note"),
        "{}",
        text(&undo)
    );
    let skip = home.run(&[
        "step",
        "skip",
        "alert",
        "--note",
        "maintainers already know",
    ]);
    assert_eq!(skip.status.code(), Some(0), "{}", text(&skip));
    // `tag` is probe-backed: doing it by hand is an override and needs a
    // reason, then a yes (--force) to what the cockpit would ask.
    let no_reason = home.run(&["step", "done", "tag", "--force"]);
    assert_eq!(no_reason.status.code(), Some(2));
    assert!(
        text(&no_reason).contains("completes itself when its probe"),
        "{}",
        text(&no_reason)
    );
    let blocked = home.run(&["step", "done", "tag", "--note", "tagged by hand"]);
    assert_eq!(blocked.status.code(), Some(2));
    for reason in [
        "• a pilot-only step",
        "• blocked: needs release-pr first",
        "• its probe has not seen it",
    ] {
        assert!(
            text(&blocked).contains(reason),
            "{reason}: {}",
            text(&blocked)
        );
    }
    let forced = home.run(&[
        "step",
        "done",
        "tag",
        "--force",
        "--note",
        "the sim is down; tagged by hand",
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));
    assert!(
        stdout(&forced).contains("tag: overridden by jane"),
        "{}",
        text(&forced)
    );
    let again = home.run(&["step", "done", "tag", "--force", "--note", "x"]);
    assert!(
        text(&again).contains("already overridden"),
        "{}",
        text(&again)
    );
    let undone = home.run(&["step", "undo", "tag", "--note", "wrong commit"]);
    assert_eq!(undone.status.code(), Some(0), "{}", text(&undone));
}

#[test]
fn roles_are_enforced() {
    let home = Home::new();
    home.start();
    let before = std::fs::read(home.events()).expect("log");
    let copilot = home.run_as(
        "bob",
        &["--role", "copilot", "step", "done", "release-issue"],
    );
    assert_eq!(copilot.status.code(), Some(2));
    assert!(
        text(&copilot).contains("belongs to the pilot"),
        "{}",
        text(&copilot)
    );
    let jump = home.run_as("eve", &["--role", "jump-seat", "note", "hi"]);
    assert_eq!(jump.status.code(), Some(2));
    assert!(
        text(&jump).contains("read-only: jump seat"),
        "{}",
        text(&jump)
    );
    assert_eq!(
        std::fs::read(home.events()).expect("log"),
        before,
        "refused actions write nothing"
    );
}

#[test]
fn bad_input_is_refused_with_exit_2_and_changes_nothing() {
    let home = Home::new();
    let wrong = home.run(&["start", "checklists/conda.toml", "--version", "2026.11.0"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong).contains("not a calver version"),
        "{}",
        text(&wrong)
    );
    assert!(
        !home.path().join("releases/conda-2026.11.0").exists(),
        "nothing created"
    );

    let none = home.run(&["status"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none).contains("no release in progress"),
        "{}",
        text(&none)
    );

    home.start();
    let dup = home.run(&["start", "checklists/conda.toml", "--version", "26.11.0"]);
    assert_eq!(dup.status.code(), Some(2));
    assert!(text(&dup).contains("already exists"), "{}", text(&dup));

    let unknown = home.run(&["status", "conda-9.9.9"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown).contains("no release `conda-9.9.9`"),
        "{}",
        text(&unknown)
    );

    let typo = home.run(&["step", "done", "relase-issue"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo).contains("did you mean `release-issue`?"),
        "{}",
        text(&typo)
    );

    // A damaged log: refused with its place, and left exactly as it was.
    let log = home.events();
    let mut damaged = std::fs::read_to_string(&log).expect("log");
    // `start` records the release and its crew; the damage is the line after them.
    let first_damaged = format!("line {} (byte", damaged.lines().count() + 1);
    damaged.push_str("{not json}\n{\"v\":1}\n");
    std::fs::write(&log, &damaged).expect("write");
    for args in [
        &["status"][..],
        &["step", "done", "release-issue"],
        &["note", "x"],
    ] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains(&first_damaged),
            "{args:?}: {}",
            text(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&log).expect("log"), damaged);
}

#[test]
fn an_unwritable_home_is_a_clear_error() {
    let home = Home::new();
    let file = home.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "--home",
            file.to_str().expect("utf-8"),
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.0",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FLIGHTDECK_CONFIG", home.path().join("no-config.toml"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("choose a writable home with --home DIR or FLIGHTDECK_HOME"),
        "{}",
        text(&out)
    );
}

#[test]
fn every_command_has_help() {
    let home = Home::new();
    for cmd in [
        &["--help"][..],
        &["check", "--help"],
        &["start", "--help"],
        &["list", "--help"],
        &["status", "--help"],
        &["step", "done", "--help"],
        &["step", "undo", "--help"],
        &["note", "--help"],
        &["close", "--help"],
        &["completions", "--help"],
        &["export", "--help"],
        &["fly", "--help"],
        &["poll", "--help"],
    ] {
        let out = home.run(cmd);
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        assert!(
            stdout(&out).contains("Usage: flightdeck"),
            "{cmd:?}: {}",
            text(&out)
        );
    }
    let bad = home.run(&["step", "finish", "x"]);
    assert_eq!(bad.status.code(), Some(2), "usage errors exit 2");
}

/// Issue 15: a release ends (pilot only, through the rule book), closed ones
/// leave `list` and stop being the default, and old logs still read.
#[test]
fn a_release_is_closed_by_the_pilot_and_the_next_one_becomes_the_default() {
    let home = Home::new();
    home.start();
    let other = home.run(&[
        "start",
        "checklists/conda-store.toml",
        "--version",
        "2026.11.0",
    ]);
    assert_eq!(other.status.code(), Some(0), "{}", text(&other));
    let ambiguous = home.run(&["status"]);
    assert_eq!(ambiguous.status.code(), Some(2), "{}", text(&ambiguous));
    assert!(
        text(&ambiguous).contains("flightdeck close"),
        "{}",
        text(&ambiguous)
    );

    let copilot = home.run(&[
        "--role",
        "copilot",
        "close",
        "conda-26",
        "--outcome",
        "aborted",
    ]);
    assert_eq!(copilot.status.code(), Some(2), "{}", text(&copilot));
    assert!(
        text(&copilot).contains("ask the pilot"),
        "{}",
        text(&copilot)
    );
    // The seat is the roster's: bob, the co-pilot, claiming the pilot's seat
    // is refused too, and nothing is written.
    let before = std::fs::read(home.events()).expect("log");
    let claimed = home.run_as(
        "bob",
        &[
            "--role",
            "pilot",
            "close",
            "conda-26",
            "--outcome",
            "aborted",
        ],
    );
    assert_eq!(claimed.status.code(), Some(2), "{}", text(&claimed));
    assert!(
        text(&claimed).contains("ask the pilot"),
        "{}",
        text(&claimed)
    );
    assert_eq!(std::fs::read(home.events()).expect("log"), before);

    let unfinished = home.run(&["close", "conda-26", "--outcome", "shipped"]);
    assert_eq!(unfinished.status.code(), Some(2), "{}", text(&unfinished));
    assert!(
        text(&unfinished).contains("20 steps are not complete"),
        "{}",
        text(&unfinished)
    );
    assert!(
        text(&unfinished).contains("--force"),
        "{}",
        text(&unfinished)
    );

    let bad = home.run(&["close", "conda-26", "--outcome", "done"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("shipped, aborted or rolled-back"),
        "{}",
        text(&bad)
    );

    let closed = home.run(&[
        "close",
        "conda-26",
        "--outcome",
        "rolled-back",
        "--note",
        "bad solver",
    ]);
    assert_eq!(closed.status.code(), Some(0), "{}", text(&closed));
    assert!(
        stdout(&closed).contains("closed as rolled-back by jane"),
        "{}",
        text(&closed)
    );
    let again = home.run(&["close", "conda-26", "--outcome", "aborted"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already closed"), "{}", text(&again));

    // The one open release is now meant when none is named.
    let status = home.run(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert!(
        stdout(&status).starts_with("conda-store 2026.11.0"),
        "{}",
        text(&status)
    );

    let list = stdout(&home.run(&["list"]));
    assert!(!list.contains("conda-26.11.0"), "{list}");
    assert!(
        list.contains("1 closed release not shown: flightdeck list --all"),
        "{list}"
    );
    let all = stdout(&home.run(&["list", "--all"]));
    assert!(
        all.contains("conda-26.11.0") && all.contains("rolled-back"),
        "{all}"
    );
    let json = stdout(&home.run(&["list", "--all", "--json"]));
    assert!(json.contains("\"outcome\": \"rolled-back\""), "{json}");

    let old = home.run(&["status", "conda-26"]);
    assert!(
        stdout(&old).contains("· rolled-back by jane"),
        "{}",
        text(&old)
    );
    let pm = home.run(&["export", "conda-26", "--format", "postmortem"]);
    assert!(
        stdout(&pm).contains("was rolled back after"),
        "{}",
        text(&pm)
    );
    assert!(stdout(&pm).contains("bad solver"), "{}", text(&pm));
}

/// Logs written before `shipped` existed say `completed`: they read as shipped.
#[test]
fn an_old_log_closed_as_completed_reads_as_shipped() {
    let home = Home::new();
    home.start();
    let mut log = std::fs::read_to_string(home.events()).expect("log");
    log.push_str(
        r#"{"v":1,"id":"ev-old","author":"jane","role":"pilot","seq":2,"at":"2026-11-13T14:05:00Z","observed_at":"2026-11-13T14:05:00Z","what":{"kind":"release_closed","outcome":"completed"}}"#,
    );
    log.push('\n');
    std::fs::write(home.events(), log).expect("write");
    let all = home.run(&["list", "--all"]);
    assert!(stdout(&all).contains("shipped"), "{}", text(&all));
}

/// `flightdeck status | head`: the reader closing the pipe is no crash.
#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::Read;
    let home = Home::new();
    home.start();
    for args in [
        &["status"][..],
        &["export"],
        &["man"],
        &["completions", "bash"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("FLIGHTDECK_HOME", home.path())
            .env("FLIGHTDECK_CONFIG", home.path().join("no-config.toml"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // Read one byte, then close our end, as `head -c1` does.
        let mut first = [0u8; 1];
        let mut out = child.stdout.take().expect("stdout");
        let _ = out.read(&mut first);
        drop(out);
        let mut err = String::new();
        let _ = child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err);
        let status = child.wait().expect("wait");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(status.code(), Some(101), "{args:?}: {err}");
    }
}

/// A runtime failure is one or two plain sentences; the report is one -v away.
#[test]
fn a_runtime_failure_is_plain_in_a_pipe_and_detailed_with_v() {
    let home = Home::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = home.run(&["sim", "serve", "--port", &port]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(&port), "names the port: {err}");
    assert!(err.contains("--port"), "says what to do: {err}");
    assert!(!err.contains("Location"), "{err}");
    assert!(!err.contains('\u{1b}'), "no colour in a pipe: {err}");
    assert!(err.lines().count() <= 3, "{err}");
    let verbose = home.run(&["-v", "sim", "serve", "--port", &port]);
    assert!(text(&verbose).contains("Location"), "{}", text(&verbose));
}

/// Shell completions and the manual page come from the parser's own tree;
/// the global options are listed once, not under every subcommand.
#[test]
fn completions_man_page_and_help_without_repeated_globals() {
    let home = Home::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef flightdeck"),
        ("fish", "complete -c flightdeck"),
    ] {
        let out = home.run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(stdout(&out).contains(marker), "{shell}: {}", text(&out));
        assert!(stdout(&out).contains("close"), "{shell}");
    }
    let man = home.run(&["man"]);
    assert!(stdout(&man).starts_with(".ie"), "{}", text(&man));
    assert!(stdout(&man).contains("flightdeck"), "{}", text(&man));

    let top = stdout(&home.run(&["--help"]));
    assert!(
        top.contains("--home") && top.contains("Global options"),
        "{top}"
    );
    let status = stdout(&home.run(&["status", "--help"]));
    assert!(!status.contains("--github-api"), "{status}");
    assert!(status.contains("see `flightdeck --help`"), "{status}");
    // ...and still accepted after the subcommand.
    let list = home.run(&["list", "--home", home.path().to_str().expect("utf-8")]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list));

    let undo = stdout(&home.run(&["step", "undo", "--help"]));
    assert!(undo.contains("Has no effect"), "{undo}");
    assert!(!undo.contains("a gate that says wait"), "{undo}");
    let skip = stdout(&home.run(&["step", "skip", "--help"]));
    assert!(!skip.contains("a gate that says wait"), "{skip}");
    let done = stdout(&home.run(&["step", "done", "--help"]));
    assert!(done.contains("a gate that says wait"), "{done}");
}

/// `status` is a glance: the latest notes, and how many came before (the
/// export has them all).
#[test]
fn status_shows_the_latest_notes_and_counts_the_rest() {
    let home = Home::new();
    home.start();
    for n in 1..=12 {
        let out = home.run(&["note", &format!("note-{n:02}")]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let status = stdout(&home.run(&["status"]));
    assert!(status.contains("… 2 earlier"), "{status}");
    assert!(
        !status.contains("note-01") && !status.contains("note-02"),
        "{status}"
    );
    assert!(
        (3..=12).all(|n| status.contains(&format!("note-{n:02}"))),
        "{status}"
    );
    let export = stdout(&home.run(&["export", "--format", "csv", "-o", "-"]));
    assert!(
        (1..=12).all(|n| export.contains(&format!("note-{n:02}"))),
        "{export}"
    );
}

/// A long log: the first reader saves its fold beside the log, the next
/// ones resume it, and what anyone sees is the same — with the saved fold,
/// without it, and with it garbled.
#[test]
fn a_long_log_resumes_its_saved_fold_and_shows_the_same() {
    use flightdeck::timeline::{Event, EventId, EventKind, log::line_of};
    let home = Home::new();
    home.start();
    let start: chrono::DateTime<chrono::Utc> = "2030-01-01T00:00:00Z".parse().expect("time");
    let lines: Vec<u8> = (0..1100)
        .flat_map(|i| {
            let at = start + chrono::Duration::seconds(i);
            line_of(&Event {
                v: 1,
                id: EventId::from(format!("00000000-0000-4000-8000-{i:012x}")),
                author: "jane".into(),
                role: flightdeck::crew::Role::Pilot,
                seq: 1000 + i as u64,
                at,
                observed_at: at,
                link: None,
                what: EventKind::Note {
                    text: format!("long-{i:04}"),
                },
            })
        })
        .collect();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(home.events())
        .expect("log");
    std::io::Write::write_all(&mut log, &lines).expect("append");
    let show = |home: &Home| {
        let csv = stdout(&home.run(&["export", "--format", "csv", "-o", "-"]));
        let crew = stdout(&home.run(&["crew"]));
        (csv, crew)
    };
    let folded = home.events().with_file_name("events.jsonl.fold");
    let first = show(&home);
    assert!(first.0.contains("long-1099"), "{}", first.0);
    assert!(folded.exists(), "the fold is saved beside the log");
    assert_eq!(show(&home), first, "resumed");
    let mut bytes = std::fs::read(&folded).expect("fold");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x21;
    std::fs::write(&folded, &bytes).expect("garble");
    assert_eq!(show(&home), first, "garbled: folded again");
    std::fs::remove_file(&folded).expect("remove");
    std::fs::remove_file(home.events().with_file_name("events.jsonl.checkpoint")).expect("rm");
    assert_eq!(show(&home), first, "without either");
    // A writer resumes it too.
    let out = home.run(&["note", "after"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&home.run(&["status"])).contains("after"));
}
