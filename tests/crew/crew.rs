//! The crew, driven as users would: the real binary, one home, several logins.
//! Seats come from the roster recorded at `start`; forged lines in the log are
//! ignored, counted and never exported.

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

    fn run_as(&self, login: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("FLIGHTDECK_HOME", self.path())
            .env("FLIGHTDECK_LOGIN", login)
            .env("FLIGHTDECK_CONFIG", self.path().join("no-config.toml"))
            .env_remove("FLIGHTDECK_ROLE")
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .env("NO_COLOR", "1")
            .output()
            .expect("run flightdeck")
    }

    fn events(&self) -> PathBuf {
        self.path().join("releases/conda-26.11.0/events.jsonl")
    }

    /// jane starts, bob co-pilots, eve watches.
    fn start(&self) {
        let out = self.run_as(
            "jane",
            &[
                "start",
                "checklists/conda.toml",
                "--version",
                "26.11.0",
                "--copilot",
                "bob",
                "--jump-seat",
                "eve",
            ],
        );
        ok(&out);
        assert!(
            stdout(&out).contains("crew: @jane pilot · @bob co-pilot · @eve jump seat"),
            "{}",
            text(&out)
        );
    }

    fn append(&self, line: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.events())
            .expect("log");
        writeln!(f, "{line}").expect("append");
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

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
}

fn refused(out: &Output, words: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    assert!(
        text(out).contains(words),
        "wanted {words:?} in:\n{}",
        text(out)
    );
}

#[test]
fn seats_come_from_the_roster_and_role_only_lowers_them() {
    let home = Home::new();
    home.start();
    let crew = home.run_as("bob", &["crew"]);
    ok(&crew);
    let s = stdout(&crew);
    assert!(s.contains("pilot      @jane"), "{s}");
    assert!(s.contains("co-pilot   @bob"), "{s}");
    assert!(s.contains("jump seat  @eve"), "{s}");
    assert!(s.contains("you: @bob, co-pilot"), "{s}");

    let before = std::fs::read(home.events()).expect("log");
    // bob claims the pilot's seat: the roster says co-pilot.
    refused(
        &home.run_as("bob", &["--role", "pilot", "step", "done", "release-issue"]),
        "belongs to the pilot",
    );
    // Not on the roster: the jump seat, whatever --role says.
    refused(
        &home.run_as("mallory", &["--role", "copilot", "note", "hi"]),
        "read-only: jump seat",
    );
    refused(&home.run_as("eve", &["note", "hi"]), "read-only: jump seat");
    // The pilot may lower the seat, never raise it.
    refused(
        &home.run_as("jane", &["--role", "jump-seat", "note", "hi"]),
        "read-only: jump seat",
    );
    assert_eq!(std::fs::read(home.events()).expect("log"), before);

    ok(&home.run_as("bob", &["step", "done", "alert", "--force"]));
    let status = stdout(&home.run_as("eve", &["status"]));
    assert!(status.contains("✔ alert"), "{status}");
    assert!(
        status.contains("crew: @jane pilot · @bob co-pilot · @eve jump seat"),
        "{status}"
    );
}

#[test]
fn the_pilot_hands_over_and_the_seats_swap() {
    let home = Home::new();
    home.start();
    refused(
        &home.run_as("bob", &["crew", "handover", "bob"]),
        "only the pilot may hand over",
    );
    refused(
        &home.run_as("jane", &["crew", "handover", "eve"]),
        "not the co-pilot",
    );
    let out = home.run_as("jane", &["crew", "handover", "bob"]);
    ok(&out);
    assert!(
        stdout(&out).contains("@bob has the controls. crew: @bob pilot · @jane co-pilot"),
        "{}",
        text(&out)
    );
    // Now bob flies: a pilot step is his (with --force, as for any pilot-only step).
    ok(&home.run_as("bob", &["step", "done", "release-issue", "--force"]));
    refused(
        &home.run_as("jane", &["step", "done", "cut-branch", "--force"]),
        "belongs to the pilot",
    );
    let crew = stdout(&home.run_as("jane", &["crew"]));
    assert!(
        crew.contains("Controls handed over by @jane to @bob"),
        "{crew}"
    );
    assert!(crew.contains("you: @jane, co-pilot"), "{crew}");
    // And back.
    ok(&home.run_as("bob", &["crew", "handover", "jane"]));
    assert!(stdout(&home.run_as("jane", &["crew"])).contains("you: @jane, pilot"));

    let pm = stdout(&home.run_as("eve", &["export", "--format", "postmortem"]));
    assert!(pm.contains("- **Pilot:** @jane, @bob"), "{pm}");
    assert!(pm.contains("- **Co-pilot:** @bob, @jane"), "{pm}");
    assert!(pm.contains("- **Jump seat:** @eve"), "{pm}");
    let md = stdout(&home.run_as("eve", &["export"]));
    assert!(md.contains("Controls handed over by @jane to @bob"), "{md}");
}

fn forged(id: &str, author: &str, role: &str, what: &str) -> String {
    format!(
        r#"{{"v":1,"id":"{id}","author":"{author}","role":"{role}","seq":90,"at":"2030-01-01T10:00:00Z","observed_at":"2030-01-01T10:00:00Z","what":{what}}}"#
    )
}

#[test]
fn forged_lines_are_ignored_by_status_list_and_export() {
    let home = Home::new();
    home.start();
    // A stranger signs off a pilot step, the co-pilot aborts the release, the
    // jump seat overrides a probe.
    home.append(&forged(
        "f1",
        "mallory",
        "pilot",
        r#"{"kind":"step_done","step":"release-issue","note":"FORGED-SIGNOFF"}"#,
    ));
    home.append(&forged(
        "f2",
        "bob",
        "copilot",
        r#"{"kind":"release_closed","outcome":"aborted","reason":"FORGED-ABORT"}"#,
    ));
    home.append(&forged(
        "f3",
        "eve",
        "jump-seat",
        r#"{"kind":"step_overridden","step":"tag","reason":"FORGED-OVERRIDE"}"#,
    ));

    let status = home.run_as("eve", &["status"]);
    ok(&status);
    let s = stdout(&status);
    assert!(s.contains("3 untrusted events ignored"), "{s}");
    assert!(s.contains("@mallory, not on the crew"), "{s}");
    assert!(s.contains("conda 26.11.0 — 0/20 steps complete"), "{s}");
    assert!(!s.contains("· aborted by"), "{s}");
    assert!(s.contains("○ release-issue"), "{s}");

    let json = home.run_as("eve", &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["ignored"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["outcome"], serde_json::Value::Null);

    let list = home.run_as("eve", &["list"]);
    assert!(stdout(&list).contains("in progress"), "{}", text(&list));
    assert!(
        stdout(&list).contains("3 untrusted event(s) ignored"),
        "{}",
        text(&list)
    );

    for format in ["md", "csv", "json", "postmortem"] {
        let out = home.run_as("eve", &["export", "--format", format]);
        ok(&out);
        let body = stdout(&out);
        assert!(!body.contains("FORGED"), "{format}: {body}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("3 untrusted events ignored"),
            "{format}: {}",
            text(&out)
        );
    }
}

#[test]
fn a_different_event_reusing_an_id_is_refused_with_its_line() {
    let home = Home::new();
    home.start();
    ok(&home.run_as("jane", &["note", "the real note"]));
    let log = std::fs::read_to_string(home.events()).expect("log");
    let lines = log.lines().count();
    let last: serde_json::Value =
        serde_json::from_str(log.lines().last().expect("a line")).expect("json");
    let id = last["id"].as_str().expect("id");
    home.append(&forged(
        id,
        "jane",
        "pilot",
        r#"{"kind":"note","text":"a FORGED note"}"#,
    ));
    let status = home.run_as("eve", &["status"]);
    ok(&status);
    assert!(
        stdout(&status).contains("the real note"),
        "{}",
        text(&status)
    );
    assert!(!stdout(&status).contains("FORGED"), "{}", text(&status));
    let warning = format!(
        "line {} reuses the id {id} of line {lines} for a different event: refused",
        lines + 1
    );
    assert!(text(&status).contains(&warning), "{}", text(&status));
}

#[test]
fn a_bad_crew_is_refused_before_anything_is_created() {
    let home = Home::new();
    let start = |extra: &[&str]| {
        let mut args = vec!["start", "checklists/conda.toml", "--version", "26.11.0"];
        args.extend_from_slice(extra);
        home.run_as("jane", &args)
    };
    refused(&start(&["--copilot", "jane"]), "cannot sit in two seats");
    refused(&start(&["--copilot", "bob smith"]), "is not a GitHub login");
    refused(
        &start(&["--copilot", "bob", "--jump-seat", "BOB"]),
        "both co-pilot and jump seat",
    );
    assert!(!home.path().join("releases").exists());
}

/// Another machine: its own home, the same shared directory.
fn machine() -> Home {
    Home::new()
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_shared_directory_carries_the_crew_between_machines() {
    let shared = tempfile::tempdir().expect("shared dir");
    let share = format!("dir:{}", shared.path().display());
    let (jane, bob, eve) = (machine(), machine(), machine());
    let out = jane.run_as(
        "jane",
        &[
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.0",
            "--copilot",
            "bob",
            "--share",
            &share,
        ],
    );
    ok(&out);
    assert!(
        stdout(&out).contains("only as good as the directory's permissions"),
        "{}",
        text(&out)
    );
    let folder = shared.path().join("conda-26.11.0");
    ok(&jane.run_as("jane", &["sync", "--once"]));
    assert_eq!(
        lines_of(&folder.join("jane.jsonl")).len(),
        2,
        "start and crew"
    );

    let target = format!("dir:{}", folder.display());
    let joined = bob.run_as("bob", &["join", &target]);
    ok(&joined);
    assert!(
        stdout(&joined).contains("you: @bob, co-pilot"),
        "{}",
        text(&joined)
    );

    // bob signs off on his machine: appended locally, not pushed yet (as if
    // his machine crashed before the push)…
    ok(&bob.run_as("bob", &["step", "done", "alert", "--force"]));
    assert!(!folder.join("bob.jsonl").exists());
    // …the next exchange pushes it, and a second one pushes nothing twice.
    let s1 = bob.run_as("bob", &["sync", "--once"]);
    ok(&s1);
    assert!(stdout(&s1).contains("⇡ 1 pushed"), "{}", text(&s1));
    ok(&bob.run_as("bob", &["sync", "--once"]));
    assert_eq!(lines_of(&folder.join("bob.jsonl")).len(), 1);

    ok(&jane.run_as("jane", &["sync", "--once"]));
    let status = stdout(&jane.run_as("jane", &["status"]));
    assert!(status.contains("✔ alert"), "{status}");

    // The jump seat watches and writes nothing to the share.
    ok(&eve.run_as("eve", &["join", &target]));
    ok(&eve.run_as("eve", &["sync", "--once"]));
    assert!(!folder.join("eve.jsonl").exists());
    let status = stdout(&eve.run_as("eve", &["status"]));
    assert!(status.contains("✔ alert"), "{status}");

    // Forgeries: a stranger's file, an event by someone else in bob's file.
    std::fs::write(
        folder.join("mallory.jsonl"),
        format!(
            "{}\n",
            forged(
                "m1",
                "mallory",
                "pilot",
                r#"{"kind":"step_done","step":"release-issue","note":"FORGED"}"#
            )
        ),
    )
    .expect("write");
    let mut bobs = lines_of(&folder.join("bob.jsonl"));
    bobs.push(forged(
        "m2",
        "jane",
        "pilot",
        r#"{"kind":"release_closed","outcome":"aborted"}"#,
    ));
    std::fs::write(folder.join("bob.jsonl"), bobs.join("\n") + "\n").expect("write");
    let sync = jane.run_as("jane", &["sync", "--once"]);
    ok(&sync);
    assert!(
        text(&sync).contains("an event by @jane in @bob's file"),
        "{}",
        text(&sync)
    );
    let status = stdout(&jane.run_as("jane", &["status"]));
    assert!(status.contains("1 untrusted event ignored"), "{status}");
    assert!(status.contains("○ release-issue"), "{status}");
    assert!(!status.contains("· aborted"), "{status}");
}

#[test]
fn a_bad_share_is_a_clear_error() {
    let shared = tempfile::tempdir().expect("shared dir");
    let home = machine();
    let not_one = home.run_as(
        "bob",
        &["join", &format!("dir:{}", shared.path().display())],
    );
    refused(&not_one, "is not a flightdeck share");

    let pilot = machine();
    ok(&pilot.run_as(
        "jane",
        &[
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.0",
            "--share",
            &format!("dir:{}", shared.path().display()),
        ],
    ));
    let folder = shared.path().join("conda-26.11.0");
    let mut checklist = std::fs::read_to_string(folder.join("checklist.toml")).expect("read");
    checklist.push_str("\n# changed\n");
    std::fs::write(folder.join("checklist.toml"), checklist).expect("write");
    refused(
        &home.run_as("bob", &["join", &format!("dir:{}", folder.display())]),
        "sha256 does not match",
    );
    refused(
        &home.run_as("bob", &["join", "not a share"]),
        "give OWNER/REPO",
    );
    assert!(!home.path().join("releases/conda-26.11.0").exists());
}

#[test]
fn the_crew_can_come_from_the_rotation_and_the_post_mortem_names_it() {
    let home = Home::new();
    // Far in the future, so the team's release 1 is always the next one.
    let team = home.path().join("team.toml");
    std::fs::write(
        &team,
        r#"
[cadence]
start = 2099-01-01
every_months = 2
week = 2
weekday = "monday"

[[member]]
login = "bob"
name = "Bob Ross"
joined = 2098-11-02

[[member]]
login = "jane"
name = "Jane Doe"
joined = 2098-11-02
"#,
    )
    .expect("team file");
    let team = team.display().to_string();
    let args = [
        "start",
        "checklists/conda.toml",
        "--version",
        "26.11.0",
        "--crew-from-rotation",
        "--team",
        team.as_str(),
    ];
    let out = home.run_as("bob", &args);
    ok(&out);
    assert!(
        stdout(&out).contains("pilot @bob, co-pilot @jane"),
        "{}",
        text(&out)
    );
    let crew = home.run_as("jane", &["crew"]);
    ok(&crew);
    assert!(
        stdout(&crew).contains("@bob") && stdout(&crew).contains("@jane"),
        "{}",
        text(&crew)
    );
    let pm = home.run_as("jane", &["export", "--format", "postmortem"]);
    ok(&pm);
    let pm = stdout(&pm);
    assert!(pm.contains("@bob") && pm.contains("@jane"), "{pm}");
    // The flags and the rotation do not mix.
    let both = home.run_as(
        "bob",
        &[
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.1",
            "--crew-from-rotation",
            "--pilot",
            "bob",
        ],
    );
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
}
