//! Helpers shared by the `github_*` and `poll_*` integration tests.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use flightdeck::checklist::{Checklist, Plan};
use flightdeck::crew::Role;
use flightdeck::github::{ClientOptions, GithubClient, Token};
use flightdeck::probe::scheduler::{self, SchedulerHandle, SchedulerOptions};
use flightdeck::probe::{ProbeMsg, ProbeSpec};
use flightdeck::sim::{Scenario, SimOptions, SimServer};
use flightdeck::store::Store;
use flightdeck::timeline::{Clock, EventKind, Fact, Home, Release};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

pub const PILOT_TOKEN: &str = "sim-pilot-token";

pub fn scenario(name: &str, text: &str) -> Scenario {
    match Scenario::from_str(name, text) {
        Ok(s) => s,
        Err(d) => panic!(
            "scenario {name} does not parse:\n{}",
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

pub fn builtin(name: &str) -> Scenario {
    scenario(
        name,
        flightdeck::sim::builtin(name).expect("a shipped scenario"),
    )
}

pub async fn start(s: Scenario, speed: f64) -> SimServer {
    SimServer::start(
        s,
        SimOptions {
            speed: Some(speed),
            ..SimOptions::default()
        },
    )
    .await
    .expect("the sim starts")
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("time literal")
}

/// A release of a shipped checklist, started at `at` in a fresh home.
pub fn release(
    home: &std::path::Path,
    checklist: &str,
    version: &str,
    at: DateTime<Utc>,
) -> Release {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("checklists")
        .join(checklist);
    let text = std::fs::read_to_string(&path).expect("checklist readable");
    let c = Checklist::parse(&path.display().to_string(), &text).expect("checklist parses");
    Home::new(home)
        .create(&c, &text, version, "jane", Clock::Fixed(at))
        .expect("release created")
}

pub fn open_log(r: &Release, at: DateTime<Utc>) -> Store {
    Store::new(
        r.open_log("jane", Role::Pilot, Clock::Fixed(at))
            .expect("log opens"),
    )
}

pub fn client(sim: &SimServer, token: Option<&str>) -> Arc<GithubClient> {
    Arc::new(
        GithubClient::new(
            &sim.github_api(),
            token.and_then(Token::new),
            ClientOptions::default(),
        )
        .expect("client builds"),
    )
}

pub fn plan_probes(plan: &Plan) -> Vec<ProbeSpec> {
    plan.probes().into_iter().cloned().collect()
}

/// Runs a scheduler; its messages are collected into the returned vector.
pub fn run(
    probes: Vec<ProbeSpec>,
    client: Arc<GithubClient>,
    log: Store,
    clock: Clock,
    opts: SchedulerOptions,
) -> (SchedulerHandle, Arc<Mutex<Vec<ProbeMsg>>>) {
    let (tx, mut rx) = mpsc::channel(1024);
    let handle = scheduler::spawn_with(probes, Ok(client), log, clock, tx, opts);
    let msgs = Arc::new(Mutex::new(Vec::new()));
    let sink = msgs.clone();
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            sink.lock().expect("not poisoned").push(m);
        }
    });
    (handle, msgs)
}

/// The observations in a log: (fact, at, link).
pub fn observed(log: &Store) -> Vec<(Fact, DateTime<Utc>, Option<String>)> {
    log.snapshot()
        .iter()
        .filter_map(|e| match &e.what {
            EventKind::Observed { fact, .. } => {
                Some((fact.clone(), e.at, e.link.as_deref().map(String::from)))
            }
            _ => None,
        })
        .collect()
}

/// The time a fact matching `f` was recorded with, failing with the whole list otherwise.
pub fn at_of(
    obs: &[(Fact, DateTime<Utc>, Option<String>)],
    what: &str,
    f: impl Fn(&Fact) -> bool,
) -> DateTime<Utc> {
    obs.iter()
        .find(|(fact, _, _)| f(fact))
        .map(|(_, at, _)| *at)
        .unwrap_or_else(|| panic!("no observation of {what}; observed:\n{}", dump(obs)))
}

pub fn dump(obs: &[(Fact, DateTime<Utc>, Option<String>)]) -> String {
    obs.iter()
        .map(|(f, at, l)| format!("  {at} {f:?} {}", l.as_deref().unwrap_or("-")))
        .collect::<Vec<_>>()
        .join("\n")
}
