//! `flightdeck export` through the real binary: a temporary home, a real
//! checklist, and the log compared byte for byte before and after.

use std::path::Path;
use std::process::{Command, Output};

fn flightdeck(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("FLIGHTDECK_LOGIN", "jane")
        .env_remove("FLIGHTDECK_HOME")
        .env_remove("FLIGHTDECK_ROLE")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

fn started(home: &Path) -> std::path::PathBuf {
    ok(&flightdeck(
        home,
        &["start", "checklists/conda.toml", "--version", "26.11.0"],
    ));
    ok(&flightdeck(
        home,
        &["note", "CI | flaky, see `log`\nretrying"],
    ));
    home.join("releases/conda-26.11.0/events.jsonl")
}

#[test]
fn export_cli_writes_every_format_and_leaves_the_log_alone() {
    let home = tempfile::tempdir().expect("tempdir");
    let log = started(home.path());
    let before = std::fs::read(&log).expect("log");

    let md = ok(&flightdeck(home.path(), &["export", "--format", "md"]));
    assert!(
        md.starts_with("| Date | Time | Action | Link |\n| ---- | ---- | ------ | ---- |\n"),
        "{md}"
    );
    assert!(md.contains("| Release started by @jane | |"), "{md}");
    assert!(
        md.contains("| Note by @jane: CI \\| flaky, see \\`log\\`<br>retrying | |"),
        "{md}"
    );

    let csv = ok(&flightdeck(
        home.path(),
        &["export", "conda-26.11.0", "--format", "csv"],
    ));
    assert!(
        csv.starts_with("date,time,at,observed_at,actor,kind,action,link\r\n"),
        "{csv}"
    );

    let json = ok(&flightdeck(home.path(), &["export", "--format", "json"]));
    let events = flightdeck::export::json::parse(&json).expect("the JSON export parses");
    // The start, the crew it recorded, the note.
    assert_eq!(events.len(), 3);

    let pm = ok(&flightdeck(
        home.path(),
        &["export", "--format", "postmortem", "--starred"],
    ));
    assert!(pm.starts_with("# Post-mortem: conda 26.11.0\n"), "{pm}");

    assert_eq!(
        std::fs::read(&log).expect("log"),
        before,
        "export changed the log"
    );
}

#[test]
fn export_cli_writes_files_atomically_and_says_where() {
    let home = tempfile::tempdir().expect("tempdir");
    started(home.path());
    let target = home.path().join("pm.md");
    let out = ok(&flightdeck(
        home.path(),
        &[
            "export",
            "--format",
            "postmortem",
            "-o",
            target.to_str().expect("utf-8 path"),
        ],
    ));
    assert!(out.contains(&target.display().to_string()), "{out}");
    let written = std::fs::read_to_string(&target).expect("the file was written");
    assert!(written.contains("## Key durations"), "{written}");
    // No temporary file is left next to it.
    let names: Vec<_> = std::fs::read_dir(home.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
}

#[test]
fn export_cli_refuses_bad_times_with_exit_2() {
    let home = tempfile::tempdir().expect("tempdir");
    let log = started(home.path());
    let before = std::fs::read(&log).expect("log");
    for args in [
        &["export", "--since", "yesterday"][..],
        &["export", "--until", "2026-02-30"][..],
        &["export", "--since", "2026-11-11", "--until", "2026-11-10"][..],
        &["export", "--gap", "six hours"][..],
        &["export", "--format", "pdf"][..],
    ] {
        let out = flightdeck(home.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} wrote output");
    }
    let out = flightdeck(home.path(), &["export", "--since", "yesterday"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--since") && err.contains("RFC 3339"), "{err}");
    assert_eq!(std::fs::read(&log).expect("log"), before);
}

#[test]
fn export_cli_since_and_until_narrow_the_table() {
    let home = tempfile::tempdir().expect("tempdir");
    started(home.path());
    let md = ok(&flightdeck(
        home.path(),
        &["export", "--until", "2000-01-01"],
    ));
    assert_eq!(
        md,
        "| Date | Time | Action | Link |\n| ---- | ---- | ------ | ---- |\n"
    );
    let md = ok(&flightdeck(
        home.path(),
        &[
            "export",
            "--since",
            "2000-01-01 00:00",
            "--until",
            "2999-01-01T00:00:00Z",
        ],
    ));
    // Header, rule, the start, the crew, the note.
    assert_eq!(md.lines().count(), 5, "{md}");
}

#[test]
fn export_cli_gap_controls_the_quiet_rows() {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/export/home");
    let dots = |gap: &str| {
        let md = ok(&flightdeck(
            &home,
            &["export", "conda-26.11.0", "--gap", gap],
        ));
        md.matches("| … | … |").count()
    };
    assert_eq!(dots("6h"), 6);
    assert_eq!(dots("2d"), 1);
    assert_eq!(dots("0"), 0);
    assert_eq!(dots("off"), 0);
}
