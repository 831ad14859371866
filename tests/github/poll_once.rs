//! `flightdeck poll --once`, the real binary against the simulated world:
//! it records what it sees, says so, and records nothing twice.

use crate::github_support;

use github_support::*;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

fn bin() -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    // Nothing from the developer's machine: no token, no config, no gh.
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

async fn run(c: &mut tokio::process::Command) -> Output {
    c.output().await.expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn events(home: &Path) -> Vec<serde_json::Value> {
    let path = home.join("releases/conda-26.11.0/events.jsonl");
    std::fs::read_to_string(path)
        .expect("events.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event per line"))
        .collect()
}

/// `flags`: where every source lives (the sim's `--github-api`, `--channel`s and
/// `--pypi-url`), so nothing reaches the internet.
async fn poll(home: &Path, flags: &[String], token: Option<&str>) -> Output {
    let mut c = bin();
    c.arg("--home")
        .arg(home)
        .args(flags)
        .args(["poll", "--once"]);
    if let Some(t) = token {
        c.env("GH_TOKEN", t);
    }
    run(&mut c).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_once_twice_records_nothing_new_the_second_time() {
    // The binary runs in real time: play the whole scenario out almost at once.
    let sim = start(builtin("conda-release"), 1.0e7).await;
    while !sim.finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let flags = sim.flags();
    let home = tempfile::tempdir().expect("tempdir");
    let checklist = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let o = run(bin()
        .arg("--home")
        .arg(home.path())
        .arg("start")
        .arg(&checklist)
        .args(["--version", "26.11.0"]))
    .await;
    assert!(o.status.success(), "{}", text(&o));

    let first = poll(home.path(), &flags, Some(PILOT_TOKEN)).await;
    let out = text(&first);
    assert_eq!(first.status.code(), Some(0), "{out}");
    assert!(out.contains("ok      tag conda/conda@26.11.0"), "{out}");
    assert!(out.contains("tag 26.11.0 at 2026-11-10 13:30 UTC"), "{out}");
    assert!(out.contains("2026-11-10 14:35 UTC  Bug filed:"), "{out}");
    assert!(
        out.contains("could not validate or copy the package"),
        "{out}"
    );
    // Channel probes answer too, with the package records' own times.
    assert!(
        out.contains("ok      channel defaults/conda==26.11.0"),
        "{out}"
    );
    assert!(
        out.contains("2026-11-10 15:30 UTC  conda 26.11.0 available on defaults (noarch)"),
        "{out}"
    );
    assert!(
        out.contains("2026-11-10 19:30 UTC  conda 26.11.0 available on conda-forge (noarch)"),
        "{out}"
    );
    assert!(
        !out.contains(PILOT_TOKEN),
        "the token never reaches the screen"
    );

    let after_first = events(home.path());
    let observed: Vec<&serde_json::Value> = after_first
        .iter()
        .filter(|e| e["what"]["kind"] == "observed")
        .collect();
    assert_eq!(observed.len(), 12, "10 GitHub facts and 2 channels: {out}");
    let tag = observed
        .iter()
        .find(|e| e["what"]["fact"]["fact"] == "tag_pushed")
        .expect("the tag is recorded");
    assert_eq!(
        tag["at"], "2026-11-10T13:30:00Z",
        "the tag's time, not the poll's"
    );
    assert_eq!(
        tag["link"],
        "https://github.com/conda/conda/releases/tag/26.11.0"
    );
    assert_eq!(tag["author"], "jane");
    let raw = std::fs::read_to_string(home.path().join("releases/conda-26.11.0/events.jsonl"))
        .expect("log");
    assert!(
        !raw.contains(PILOT_TOKEN),
        "the token never reaches the log"
    );

    let before = sim.requests().len();
    let second = poll(home.path(), &flags, Some(PILOT_TOKEN)).await;
    let out2 = text(&second);
    assert_eq!(second.status.code(), Some(0), "{out2}");
    assert!(out2.contains("nothing new recorded"), "{out2}");
    assert_eq!(
        events(home.path()).len(),
        after_first.len(),
        "nothing recorded twice"
    );
    // The ETag cache persisted under --home made every request of the second run a free 304.
    let second_run = &sim.requests()[before..];
    assert!(!second_run.is_empty());
    let counted: Vec<String> = second_run
        .iter()
        .filter(|r| r.counted)
        .map(|r| format!("{} {}", r.status, r.path))
        .collect();
    assert!(counted.is_empty(), "the second run cost quota: {counted:?}");
    let cache = std::fs::read_to_string(home.path().join("cache/github/etags.json"))
        .expect("the ETag cache is persisted");
    assert!(
        !cache.contains(PILOT_TOKEN),
        "the token never reaches the cache file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_once_fails_with_a_clear_error_and_no_token_when_github_refuses() {
    let sim = start(builtin("conda-release"), 1.0e7).await;
    let home = tempfile::tempdir().expect("tempdir");
    let checklist = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let o = run(bin()
        .arg("--home")
        .arg(home.path())
        .arg("start")
        .arg(&checklist)
        .args(["--version", "26.11.0"]))
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let secret = "ghp_Sup3rSecretTokenValue0123456789";
    let refused = poll(home.path(), &sim.flags(), Some(secret)).await;
    let out = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{out}");
    assert!(out.contains("GitHub refused the token"), "{out}");
    assert!(out.contains("did not answer"), "{out}");
    assert!(!out.contains(secret), "{out}");
    let raw = std::fs::read_to_string(home.path().join("releases/conda-26.11.0/events.jsonl"))
        .expect("log");
    assert!(!raw.contains(secret));

    // Nobody listening at all: an answer nonetheless, exit 1, no token.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let a = l.local_addr().expect("addr");
        drop(l);
        format!("http://{a}")
    };
    // GitHub down; the channels still point at the sim, never the internet.
    let mut flags = sim.flags();
    if let Some(i) = flags.iter().position(|f| f == "--github-api") {
        flags[i + 1] = closed;
    }
    let down = poll(home.path(), &flags, Some(secret)).await;
    let out = text(&down);
    assert_eq!(down.status.code(), Some(1), "{out}");
    assert!(out.contains("no answer from GitHub"), "{out}");
    assert!(!out.contains(secret), "{out}");
}
