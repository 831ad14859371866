//! `poll --once` from cron on a quiet world (issue 16): once the first run
//! has seen the tag missing, a repeated run costs no counted GitHub request —
//! the 404s are remembered with their validators across processes.

use crate::github_support;

use github_support::*;
use std::path::Path;
use std::process::Output;

fn bin() -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    for var in [
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "FLIGHTDECK_HOME",
        "FLIGHTDECK_GITHUB_API",
        "FLIGHTDECK_ROLE",
    ] {
        c.env_remove(var);
    }
    c.env("FLIGHTDECK_CONFIG", "/nonexistent/flightdeck-config.toml");
    c.env("FLIGHTDECK_LOGIN", "jane");
    c.env("PATH", "/nonexistent");
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_poll_once_on_a_quiet_world_costs_no_counted_request() {
    // Real time: the scenario's tag is hours away, so the tag's ref is a 404.
    let sim = start(builtin("conda-release"), 1.0).await;
    let flags = sim.flags();
    let home = tempfile::tempdir().expect("tempdir");
    let checklist = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let o = bin()
        .arg("--home")
        .arg(home.path())
        .arg("start")
        .arg(&checklist)
        .args(["--version", "26.11.0"])
        .output()
        .await
        .expect("runs");
    assert!(o.status.success(), "{}", text(&o));
    let poll = || {
        let mut c = bin();
        c.arg("--home")
            .arg(home.path())
            .args(&flags)
            .args(["poll", "--once"])
            .env("GH_TOKEN", PILOT_TOKEN);
        c
    };
    let first = poll().output().await.expect("runs");
    assert!(first.status.success(), "{}", text(&first));
    let missing = sim
        .requests()
        .iter()
        .filter(|r| r.status == 404 && r.path.contains("/git/ref"))
        .count();
    assert!(missing > 0, "the first run asked for the missing tag");

    let before = sim.requests().len();
    let second = poll().output().await.expect("runs");
    assert!(second.status.success(), "{}", text(&second));
    let second_run = &sim.requests()[before..];
    assert!(!second_run.is_empty());
    let counted: Vec<String> = second_run
        .iter()
        .filter(|r| r.counted)
        .map(|r| format!("{} {}", r.status, r.path))
        .collect();
    assert!(
        counted.is_empty(),
        "the quiet second run cost quota: {counted:?}"
    );
}
