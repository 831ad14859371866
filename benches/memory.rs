//! Memory over time (issue 13, item 9): the cockpit's model fed by every probe of the
//! shipped checklist, polling a simulated world every 15 s for 8 simulated hours on a
//! paused clock, while nothing new happens after the first hour. Prints the resident
//! size (Linux `/proc/self/statm`) after each simulated hour and the sim's request log.
//!
//! `cargo bench --bench memory`. What to look for: after the first hour (caches
//! filled, the release observed) the resident size stays flat, and the sim keeps at
//! most `REQUEST_LOG_CAP` requests however many it served. A benchmark, not a test:
//! resident size depends on the allocator and the machine.

use flightdeck::checklist::Checklist;
use flightdeck::config::Config;
use flightdeck::crew::Role;
use flightdeck::github::{ClientOptions, GithubClient, Token};
use flightdeck::probe::scheduler::{self, SchedulerOptions};
use flightdeck::sim::{Scenario, SimOptions, SimServer};
use flightdeck::timeline::{Clock, Home};
use flightdeck::tui::action::Action;
use flightdeck::tui::model::Model;
use flightdeck::tui::update::update;
use std::sync::Arc;
use std::time::Duration;

const HOURS: u32 = 8;

/// Resident set size in MB, or 0 where `/proc` is not available.
fn rss_mb() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

async fn run() {
    let scenario = Scenario::from_str(
        "conda-release",
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/conda-release.toml"),
        )
        .expect("scenario"),
    )
    .expect("the shipped scenario parses");
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
    let events = release.read_events().expect("events");
    let mut model = Model::new(
        &release.meta.id,
        release.plan.clone(),
        &events,
        Role::Pilot,
        "jane",
        t0,
    );
    let log = flightdeck::store::Store::new(
        release
            .open_log("jane", Role::Pilot, Clock::Fixed(t0))
            .expect("log"),
    );
    let client = GithubClient::new(
        &sim.github_api(),
        Token::new("sim-pilot-token"),
        ClientOptions::default(),
    )
    .expect("client");
    // Every source on the sim: GitHub, the channels and PyPI.
    let mut config = Config {
        home: home.path().to_path_buf(),
        cache_dir: home.path().join("cache"),
        github_api: Some(sim.github_api()),
        pypi_url: Some(sim.pypi_url()),
        ..Config::default()
    };
    let flags = sim.flags();
    for pair in flags.windows(2).filter(|w| w[0] == "--channel") {
        if let Some((name, url)) = pair[1].split_once('=') {
            config.channels.insert(name.to_string(), url.to_string());
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let handle = scheduler::spawn_with_config(
        release.plan.probes().into_iter().cloned().collect(),
        Ok(Arc::new(client)),
        log,
        Clock::scaled(t0, 1.0),
        tx,
        SchedulerOptions {
            interval: Duration::from_secs(15),
            ..SchedulerOptions::default()
        },
        &config,
    );
    println!("hour  resident MB  sim requests kept / served  timeline events");
    let mut first = None;
    for hour in 1..=HOURS {
        let until = tokio::time::Instant::now() + Duration::from_secs(3600);
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => { let _ = update(&mut model, Action::Probe(msg)); }
                    None => break,
                },
                () = tokio::time::sleep_until(until) => break,
            }
        }
        let now = t0 + chrono::TimeDelta::hours(i64::from(hour));
        let _ = update(&mut model, Action::Tick(now));
        let rss = rss_mb();
        first.get_or_insert(rss);
        println!(
            "{hour:>4}  {rss:>11.1}  {:>13} / {:<10}  {}",
            sim.requests().len(),
            sim.requests_served(),
            model.state.events.len()
        );
    }
    handle.shutdown().await;
    if let Some(first) = first {
        println!(
            "growth after the first hour: {:+.1} MB over {} hours",
            rss_mb() - first,
            HOURS - 1
        );
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(run());
}
