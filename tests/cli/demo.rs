//! `flightdeck demo`, the README's first command, run headless as a newcomer
//! would run it in a pipe: the simulated release flies to the end and leaves a
//! complete, exportable timeline.

use crate::tmux_support;

use std::process::Command;
use std::time::{Duration, Instant};

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

/// Runs the headless demo in `seat` at high speed, with the simulated world's
/// request log; returns (stdout, the demo home, the requests).
fn crewed_demo(
    dir: &std::path::Path,
    seat: &str,
) -> (String, std::path::PathBuf, Vec<serde_json::Value>) {
    let demo_home = dir.join("demo");
    let log = dir.join("requests.jsonl");
    let out = flightdeck(dir)
        .args(["--role", seat, "demo", "--headless", "--speed", "3000"])
        .arg("--demo-home")
        .arg(&demo_home)
        .arg("--request-log")
        .arg(&log)
        .output()
        .expect("run demo");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("the scenario is over"), "{stdout}");
    assert!(
        stderr.contains(&format!("--home {} crew", demo_home.display())),
        "the closing hint names the seat's commands: {stderr}"
    );
    let requests = std::fs::read_to_string(&log)
        .expect("request log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (stdout, demo_home, requests)
}

/// The user's release as `status --json` reports it: step id → who signed it off.
fn signed_off(dir: &std::path::Path, home: &std::path::Path) -> Vec<(String, String)> {
    let status = flightdeck(dir)
        .arg("--home")
        .arg(home)
        .args(["status", "--json"])
        .output()
        .expect("status");
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["status"] == "done")
        .map(|s| {
            (
                s["id"].as_str().unwrap_or_default().to_string(),
                s["by"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Requests by `login` that are not reads.
fn writes_by<'a>(requests: &'a [serde_json::Value], login: &str) -> Vec<&'a serde_json::Value> {
    requests
        .iter()
        .filter(|r| r["login"] == login && r["method"] != "GET" && r["method"] != "HEAD")
        .collect()
}

#[test]
fn the_copilot_demo_shares_the_release_with_a_simulated_pilot_through_the_issue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, home, requests) = crewed_demo(dir.path(), "copilot");
    assert!(stdout.contains("you: @bob, co-pilot"), "{stdout}");
    // The pilot's sign-offs came down and are folded on bob's machine.
    assert!(stdout.contains("signed off by @jane (pilot)"), "{stdout}");
    let done = signed_off(dir.path(), &home);
    assert!(
        done.iter()
            .any(|(id, by)| id == "release-issue" && by == "jane"),
        "{done:?}"
    );
    assert!(
        done.iter().filter(|(_, by)| by == "jane").count() >= 4,
        "{done:?}"
    );
    // bob's events went up: his writes to the issue's comments succeeded, and
    // the pilot's machine (its own home) holds them, which only the issue carried.
    let comments = writes_by(&requests, "bob");
    assert!(
        comments.iter().any(|r| {
            r["path"].as_str().is_some_and(|p| p.contains("/comments"))
                && r["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
        }),
        "{comments:?}"
    );
    let janes = std::fs::read_to_string(home.join("crew/jane/releases/conda-26.11.0/events.jsonl"))
        .expect("the simulated pilot's log");
    let from_bob = janes
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["author"] == "bob")
        .count();
    assert!(from_bob > 0, "the pilot's machine has none of bob's events");
}

#[test]
fn the_jump_seat_demo_watches_both_simulated_pilots_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, home, requests) = crewed_demo(dir.path(), "jump-seat");
    assert!(stdout.contains("you: @sam, jump seat"), "{stdout}");
    for who in ["@jane (pilot)", "@bob (co-pilot)"] {
        assert!(stdout.contains(&format!("signed off by {who}")), "{stdout}");
    }
    let done = signed_off(dir.path(), &home);
    for who in ["jane", "bob"] {
        assert!(done.iter().any(|(_, by)| by == who), "{who}: {done:?}");
    }
    // sam read the issue, and wrote nothing at all.
    assert!(
        requests
            .iter()
            .any(|r| r["login"] == "sam" && r["method"] == "GET"),
        "sam never read the issue"
    );
    assert_eq!(
        writes_by(&requests, "sam"),
        Vec::<&serde_json::Value>::new()
    );
    // Nothing of sam's reached the log either.
    let events = std::fs::read_to_string(home.join("releases/conda-26.11.0/events.jsonl"))
        .expect("sam's log");
    assert!(!events.contains("\"author\":\"sam\""), "{events}");
}

#[test]
fn the_copilot_signs_off_in_the_demo_cockpit_and_it_reaches_the_simulated_pilot() {
    let Some(tmux) = tmux_support::Tmux::new() else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let demo_home = dir.path().join("demo");
    tmux.start(
        "bob",
        160,
        45,
        &format!(
            "env -u GH_TOKEN -u GITHUB_TOKEN -u FLIGHTDECK_LOGIN -u FLIGHTDECK_ROLE FLIGHTDECK_HOME={home} \
             FLIGHTDECK_CONFIG={home}/no-config.toml FLIGHTDECK_KEYRING=none TERM=xterm-256color \
             {bin} --role copilot demo --speed 200 --demo-home {demo}",
            home = dir.path().display(),
            bin = env!("CARGO_BIN_EXE_flightdeck"),
            demo = demo_home.display(),
        ),
    );
    let wait = Duration::from_secs(60);
    tmux.wait_for("bob", "CO-PILOT", wait);
    // The simulated pilot signs off the first step; the co-pilot's comes due,
    // and the header shows her as seen on the issue.
    tmux.wait_for("bob", "next for you: Alert", wait);
    tmux.wait_for("bob", "jane (pilot) seen", wait);
    // The checklist's first row is its first phase; alert is the third step.
    tmux.keys("bob", &["g", "Down", "Down", "Down", "Space"]);
    // bob's sign-off goes up, and jane's machine (her own home) folds it.
    let janes = demo_home.join("crew/jane/releases/conda-26.11.0/events.jsonl");
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(&janes).unwrap_or_default();
        let arrived = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|e| e["author"] == "bob" && e["what"]["step"] == "alert");
        if arrived {
            break;
        }
        assert!(
            start.elapsed() < wait,
            "bob's sign-off never reached the pilot's machine; bob's screen:\n{}",
            tmux.screen("bob")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.keys("bob", &["q"]);
    tmux.wait_for("bob", "the demo release is kept in", wait);
}
