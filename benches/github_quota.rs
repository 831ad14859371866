//! The GitHub budget of design.md: watching 20 probes for an hour at a 15 s
//! interval, with nothing changing, spends under 1 % of the 5,000 requests/hour
//! quota. One run against the simulated world, the hour simulated on a paused
//! clock, once with conditional requests (ETag / 304) and once without.
//!
//! `cargo bench --bench github_quota`

use flightdeck::checklist::Checklist;
use flightdeck::crew::Role;
use flightdeck::github::{ClientOptions, GithubClient, Token};
use flightdeck::probe::ProbeSpec;
use flightdeck::probe::scheduler::{self, SchedulerOptions};
use flightdeck::sim::{Scenario, SimOptions, SimServer};
use flightdeck::timeline::{Clock, Home};
use std::sync::Arc;
use std::time::Duration;

/// A quiet world: five repositories with a published release each, and nothing
/// happening for the hour. The quota is high so the run without ETags is not
/// throttled: it shows what it would cost.
const QUIET: &str = r#"
[scenario]
name = "quiet"

[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[github]
rate_limit = 1000000

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[repos]]
name = "org/a"
[[repos]]
name = "org/b"
[[repos]]
name = "org/c"
[[repos]]
name = "org/d"
[[repos]]
name = "org/e"

[[happening]]
after = "-1d"
kind = "issue"
repo = "org/a"
title = "an old issue about 1.0.0"
author = "sam"

[[happening]]
after = "2h"
kind = "issue"
repo = "org/a"
title = "the end"
author = "sam"
"#;

/// 20 probes that keep polling while nothing changes: per repository a release
/// not yet drafted, a release PR not yet opened, CI on main with nothing reported
/// yet, and the incident radar.
fn probes() -> Vec<ProbeSpec> {
    let mut out = Vec::new();
    for r in ["a", "b", "c", "d", "e"] {
        let repo = format!("org/{r}");
        out.push(ProbeSpec::Release {
            repo: repo.clone(),
            tag: "1.0.0".into(),
        });
        out.push(ProbeSpec::Pr {
            repo: repo.clone(),
            head: Some("changelog-1.0.0".into()),
            title: None,
            number: None,
        });
        out.push(ProbeSpec::Ci {
            repo: repo.clone(),
            reference: "main".into(),
        });
        out.push(ProbeSpec::IssuesMentioning {
            repo,
            version: "1.0.0".into(),
        });
    }
    out
}

struct Hour {
    requests: usize,
    counted: usize,
}

async fn one_hour(conditional: bool) -> Hour {
    let scenario = Scenario::from_str("quiet", QUIET).expect("the bench scenario parses");
    let sim = SimServer::start(
        scenario,
        SimOptions {
            speed: Some(1.0),
            ..SimOptions::default()
        },
    )
    .await
    .expect("the sim starts");
    let t0 = sim.clock();
    let home = tempfile::tempdir().expect("tempdir");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let text = std::fs::read_to_string(&path).expect("checklist");
    let checklist = Checklist::parse("conda.toml", &text).expect("checklist parses");
    let release = Home::new(home.path())
        .create(&checklist, &text, "26.11.0", "jane", Clock::Fixed(t0))
        .expect("release");
    let log = flightdeck::store::Store::new(
        release
            .open_log("jane", Role::Pilot, Clock::Fixed(t0))
            .expect("log"),
    );
    let client = GithubClient::new(
        &sim.github_api(),
        Token::new("sim-pilot-token"),
        ClientOptions {
            conditional,
            ..ClientOptions::default()
        },
    )
    .expect("client");
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let handle = scheduler::spawn_with(
        probes(),
        Ok(Arc::new(client)),
        log,
        Clock::scaled(t0, 1.0),
        tx,
        SchedulerOptions {
            interval: Duration::from_secs(15),
            ..SchedulerOptions::default()
        },
    );
    tokio::time::sleep(Duration::from_secs(3600)).await;
    handle.shutdown().await;
    let end = t0 + chrono::TimeDelta::hours(1);
    let reqs: Vec<_> = sim.requests().into_iter().filter(|r| r.at < end).collect();
    Hour {
        requests: reqs.len(),
        counted: reqs.iter().filter(|r| r.counted).count(),
    }
}

fn main() {
    // `cargo test --benches` runs this too; keep it to the one measurement.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let with = rt.block_on(one_hour(true));
    let without = rt.block_on(one_hour(false));
    let budget = 5000.0;
    println!(
        "github_quota: 20 probes, 15 s interval, one quiet hour (simulated on a paused clock)"
    );
    println!(
        "  with conditional requests:    {:>5} requests, {:>5} counted = {:.2}% of 5,000/h",
        with.requests,
        with.counted,
        with.counted as f64 / budget * 100.0
    );
    println!(
        "  without conditional requests: {:>5} requests, {:>5} counted = {:.2}% of 5,000/h",
        without.requests,
        without.counted,
        without.counted as f64 / budget * 100.0
    );
    println!(
        "  ratio: {:.1}x fewer counted requests with ETags (goal: under 1% = 50/h)",
        without.counted as f64 / with.counted.max(1) as f64
    );
    if with.counted as f64 > budget * 0.05 {
        eprintln!(
            "github_quota: OVER BUDGET: {} counted requests in the hour",
            with.counted
        );
        std::process::exit(1);
    }
}
