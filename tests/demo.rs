//! `flightdeck demo`, the README's first command, run headless as a newcomer
//! would run it in a pipe: the simulated release flies to the end and leaves a
//! complete, exportable timeline.

use std::process::Command;

fn flightdeck(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    c.env("FLIGHTDECK_HOME", home)
        .env("FLIGHTDECK_CONFIG", home.join("no-config.toml"))
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env("NO_COLOR", "1");
    c
}

#[test]
fn the_demo_flies_a_whole_release_and_leaves_an_exportable_timeline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo_home = dir.path().join("demo");
    let out = flightdeck(dir.path())
        .args(["demo", "--headless", "--speed", "3000", "--demo-home"])
        .arg(&demo_home)
        .output()
        .expect("run demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // True times from the world, not the time the demo saw them.
    for line in [
        "2026-11-10 13:30  conda 26.11.0 tagged on GitHub",
        "2026-11-10 13:35  conda 26.11.0 GitHub release published",
        "conda-forge/conda-feedstock PR #250 CI failed",
        "Bug filed: conda 26.11.0",
        "the scenario is over",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    assert!(stderr.contains("the demo release is kept in"), "{stderr}");

    // The release is a real one: status and the post-mortem read it.
    let status = flightdeck(dir.path())
        .arg("--home")
        .arg(&demo_home)
        .args(["status", "--json"])
        .output()
        .expect("status");
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(v["release"], "conda-26.11.0");
    let observed = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["status"] == "observed")
        .count();
    assert!(
        observed >= 4,
        "probe-backed steps completed themselves: {v}"
    );
    let pm = flightdeck(dir.path())
        .arg("--home")
        .arg(&demo_home)
        .args(["export", "--format", "postmortem"])
        .output()
        .expect("export");
    let doc = String::from_utf8_lossy(&pm.stdout);
    assert_eq!(pm.status.code(), Some(0), "{doc}");
    assert!(
        doc.contains("| 2026-11-10 | 13:30 | conda 26.11.0 tagged on GitHub |"),
        "{doc}"
    );
}

#[test]
fn a_bad_demo_request_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["demo", "--speed", "0"][..],
        &["demo", "--scenario", "no-such-world"],
    ] {
        let out = flightdeck(dir.path()).args(args).output().expect("run");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
