//! The crew's budget (issue 11, design.md "Budgets"), in one run against the
//! simulated GitHub, with the very members the demo flies (`demo::crew::Member`:
//! each its own home and token, the real tracking-issue exchange):
//!
//! 1. GitHub requests per quiet hour for a three-person crew (pilot and
//!    co-pilot with tokens, the jump seat without), each exchanging at the
//!    interval its cockpit uses by default. The hour is simulated on a paused
//!    tokio clock (the sim's clock follows it); requests are counted in the
//!    sim's request log. Goal: under 1 % of 5,000 an hour per member with a
//!    token; the tokenless jump seat within 60 an hour.
//! 2. Writes (POST/PATCH in the request log) per 100 events: appended all at
//!    once then one exchange; one exchange after every event; and 1,000
//!    events in exchanges of 10.
//! 3. The time from a sign-off appended on the pilot's machine to it being
//!    folded on the co-pilot's, through two exchanges, on the real clock;
//!    against a baseline measured in the same run (one `GET /user` round trip),
//!    and what it means for a cockpit syncing every interval (goal: one sync
//!    interval plus 1 s).
//!
//! `cargo bench --bench crew`

use chrono::TimeDelta;
use flightdeck::checklist::Checklist;
use flightdeck::checklist::StepId;
use flightdeck::demo::crew::Member;
use flightdeck::github::{ClientOptions, GithubClient, Token};
use flightdeck::sim::{RequestRecord, Scenario, SimOptions, SimServer};
use flightdeck::timeline::{Clock, EventKind, Roster};
use std::path::Path;
use std::time::{Duration, Instant};

/// The three people and the repository; nothing happens for hours.
const QUIET: &str = r#"
[scenario]
name = "quiet-crew"

[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[github]
rate_limit = 5000
unauthenticated_rate_limit = 60

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[tokens]]
token = "sim-copilot-token"
login = "bob"
role = "copilot"

[[tokens]]
token = "sim-observer-token"
login = "sam"
role = "observer"

[[repos]]
name = "conda/conda"

[[happening]]
after = "3h"
kind = "issue"
repo = "conda/conda"
title = "the end"
author = "sam"
"#;

const PILOT: &str = "sim-pilot-token";
const COPILOT: &str = "sim-copilot-token";

fn checklist() -> (Checklist, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let text = std::fs::read_to_string(&path).expect("checklist");
    let checklist = Checklist::parse("checklists/conda.toml", &text).expect("checklist parses");
    (checklist, text)
}

fn roster() -> Roster {
    Roster {
        pilot: "jane".into(),
        copilot: Some("bob".into()),
        jump_seat: Some("sam".into()),
    }
}

async fn sim() -> SimServer {
    let scenario = Scenario::from_str("quiet-crew", QUIET).expect("the bench scenario parses");
    SimServer::start(
        scenario,
        SimOptions {
            speed: Some(1.0),
            ..SimOptions::default()
        },
    )
    .await
    .expect("the sim starts")
}

/// jane starts `version` and shares it; bob (token) and sam (none) join.
async fn crew(sim: &SimServer, home: &Path, version: &str) -> (Member, Member, Member) {
    let api = sim.github_api();
    let clock = Clock::scaled(sim.clock(), 1.0);
    let (checklist, text) = checklist();
    let jane = Member::start(
        &api,
        PILOT,
        &home.join("jane"),
        &checklist,
        &text,
        version,
        &roster(),
        "conda/conda",
        clock.clone(),
    )
    .await
    .expect("jane starts");
    let issue = jane.issue();
    let bob = Member::join(
        &api,
        Some(COPILOT),
        "bob",
        &home.join("bob"),
        &issue,
        clock.clone(),
    )
    .await
    .expect("bob joins");
    let sam = Member::join(&api, None, "sam", &home.join("sam"), &issue, clock)
        .await
        .expect("sam joins");
    (jane, bob, sam)
}

fn writes(requests: &[RequestRecord]) -> usize {
    requests
        .iter()
        .filter(|r| r.method == "POST" || r.method == "PATCH")
        .count()
}

struct Hour {
    login: &'static str,
    interval: Duration,
    requests: usize,
    counted: usize,
    writes: usize,
}

/// (1) Every member exchanging at its default interval for a quiet hour.
async fn quiet_hour(home: &Path) -> Vec<Hour> {
    let sim = sim().await;
    let (jane, bob, sam) = crew(&sim, home, "26.11.0").await;
    // One round first: the ETags are known, as in a cockpit that has been open a while.
    for m in [&jane, &bob, &sam] {
        m.exchange().await;
    }
    // The sim's clock has not moved yet: the hour starts after the requests so far.
    let t0 = sim.clock();
    let before = sim.requests().len();
    let mut tasks = Vec::new();
    let mut intervals = Vec::new();
    for m in [jane, bob, sam] {
        let every = m.sync_interval();
        intervals.push(every);
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                m.exchange().await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(3600)).await;
    for t in &tasks {
        t.abort();
    }
    let end = t0 + TimeDelta::hours(1);
    let log = sim.requests();
    assert_eq!(
        sim.requests_served() as usize,
        log.len(),
        "the sim's request log overflowed"
    );
    let hour: Vec<RequestRecord> = log[before..]
        .iter()
        .filter(|r| r.at < end)
        .cloned()
        .collect();
    let logins: [(&'static str, Option<&str>); 3] =
        [("jane", Some("jane")), ("bob", Some("bob")), ("sam", None)];
    let out = logins
        .iter()
        .zip(intervals)
        .map(|((name, login), interval)| {
            let mine: Vec<RequestRecord> = hour
                .iter()
                .filter(|r| r.login.as_deref() == *login)
                .cloned()
                .collect();
            Hour {
                login: name,
                interval,
                requests: mine.len(),
                counted: mine.iter().filter(|r| r.counted).count(),
                writes: writes(&mine),
            }
        })
        .collect();
    sim.shutdown().await;
    out
}

/// bob's writes while `events` notes are recorded, exchanging after every `batch`.
async fn writes_for(home: &Path, version: &str, events: usize, batch: usize) -> usize {
    let sim = sim().await;
    let (_jane, bob, _sam) = crew(&sim, home, version).await;
    let before = sim.requests().len();
    for i in 0..events {
        let note = EventKind::Note {
            text: format!("note {i}: the feedstock bot is slow today"),
        };
        bob.record(note, sim.clock()).await.expect("a note");
        if (i + 1) % batch == 0 || i + 1 == events {
            let r = bob.exchange().await;
            assert!(r.error.is_none(), "{:?}", r.error);
        }
    }
    let log = sim.requests();
    let mine: Vec<RequestRecord> = log[before.min(log.len())..]
        .iter()
        .filter(|r| r.login.as_deref() == Some("bob"))
        .cloned()
        .collect();
    sim.shutdown().await;
    writes(&mine)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

struct Latency {
    baseline: Duration,
    push: Duration,
    pull: Duration,
    total: Duration,
    runs: usize,
}

/// (3) A sign-off on jane's machine, folded on bob's: append, jane's
/// exchange, bob's exchange, bob's fold. On the real clock.
async fn latency(home: &Path, runs: usize) -> Latency {
    let sim = sim().await;
    let user = GithubClient::new(
        &sim.github_api(),
        Token::new(PILOT),
        ClientOptions::default(),
    )
    .expect("client");
    let mut baseline = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        user.user().await.expect("GET /user");
        baseline.push(t.elapsed());
    }
    let (mut push, mut pull, mut total) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        // A release each: its first step is the pilot's and ready at once.
        let (jane, bob, _sam) = crew(&sim, &home.join(i.to_string()), &format!("26.11.{i}")).await;
        let t = Instant::now();
        let step = EventKind::StepDone {
            step: StepId("release-issue".into()),
            note: None,
        };
        jane.record(step, sim.clock())
            .await
            .expect("jane signs off");
        let p = Instant::now();
        let up = jane.exchange().await;
        assert_eq!(up.pushed, 1, "{up:?}");
        push.push(p.elapsed());
        let q = Instant::now();
        let down = bob.exchange().await;
        assert!(down.pulled >= 1, "{down:?}");
        assert!(bob.sees_signed_off("release-issue", "jane"));
        pull.push(q.elapsed());
        total.push(t.elapsed());
    }
    sim.shutdown().await;
    Latency {
        baseline: median(baseline),
        push: median(push),
        pull: median(pull),
        total: median(total),
        runs,
    }
}

/// (3b) The same with both machines syncing on their own every `every`, as
/// two cockpits do: from the append on jane's machine until bob's fold shows
/// it (bob's log is looked at every 10 ms). Returns the median and the worst.
async fn live(home: &Path, runs: usize, every: Duration) -> (Duration, Duration) {
    let sim = sim().await;
    let mut took = Vec::new();
    for i in 0..runs {
        let (jane, bob, _sam) = crew(&sim, &home.join(i.to_string()), &format!("26.11.{i}")).await;
        let (jane, bob) = (std::sync::Arc::new(jane), std::sync::Arc::new(bob));
        // Each run the two cycles meet at another phase, and the sign-off
        // falls at another moment of jane's cycle.
        let bob_phase = every.mul_f64(((i * 5 + 3) % runs) as f64 / runs as f64);
        let loops: Vec<_> = [(jane.clone(), Duration::ZERO), (bob.clone(), bob_phase)]
            .into_iter()
            .map(|(m, phase)| {
                tokio::spawn(async move {
                    tokio::time::sleep(phase).await;
                    loop {
                        m.exchange().await;
                        tokio::time::sleep(every).await;
                    }
                })
            })
            .collect();
        tokio::time::sleep(every.mul_f64(i as f64 / runs as f64 + 0.05)).await;
        let t = Instant::now();
        let step = EventKind::StepDone {
            step: StepId("release-issue".into()),
            note: None,
        };
        jane.record(step, sim.clock())
            .await
            .expect("jane signs off");
        while !bob.sees_signed_off("release-issue", "jane") {
            assert!(t.elapsed() < every * 10, "never arrived");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        took.push(t.elapsed());
        for l in loops {
            l.abort();
        }
    }
    sim.shutdown().await;
    let worst = took.iter().max().copied().unwrap_or_default();
    (median(took), worst)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let hour = paused.block_on(quiet_hour(&dir.path().join("hour")));
    let batched = paused.block_on(writes_for(&dir.path().join("w1"), "26.11.0", 100, 100));
    let each = paused.block_on(writes_for(&dir.path().join("w2"), "26.11.0", 100, 1));
    let busy = paused.block_on(writes_for(&dir.path().join("w3"), "26.11.0", 1000, 10));
    drop(paused);
    let real = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let lat = real.block_on(latency(&dir.path().join("lat"), 15));
    let every = Duration::from_secs(2);
    let (live_median, live_worst) = real.block_on(live(&dir.path().join("live"), 8, every));

    println!("crew: three members on the simulated GitHub (demo::crew::Member, the real exchange)");
    println!(
        "(1) one quiet hour, each member at its default interval (simulated on a paused clock)"
    );
    let mut over = false;
    for h in &hour {
        let (share, goal, budget) = if h.login == "sam" {
            (
                format!(
                    "{:.0}% of the tokenless 60/h",
                    h.counted as f64 / 60.0 * 100.0
                ),
                "goal: within 60/h",
                60.0,
            )
        } else {
            (
                format!("{:.2}% of 5,000/h", h.counted as f64 / 5000.0 * 100.0),
                "goal: under 1% of 5,000/h = 50",
                50.0,
            )
        };
        println!(
            "  @{:<5} every {:>3} s: {:>4} requests, {:>3} counted ({share}), {} writes  [{goal}]",
            h.login,
            h.interval.as_secs(),
            h.requests,
            h.counted,
            h.writes
        );
        over |= h.counted as f64 >= budget;
    }
    println!("(2) writes (POST/PATCH) per 100 events, by the co-pilot");
    println!("  100 events, then one exchange:        {batched:>4} writes per 100 events");
    println!("  100 events, an exchange after each:   {each:>4} writes per 100 events");
    println!(
        "  1,000 events, an exchange every 10:   {:>6.1} writes per 100 events ({busy} in all)",
        busy as f64 / 10.0
    );
    println!(
        "(3) a sign-off on the pilot's machine folded on the co-pilot's (median of {} runs, real clock)",
        lat.runs
    );
    println!(
        "  baseline GET /user round trip: {:>7.1} ms",
        ms(lat.baseline)
    );
    println!(
        "  pilot's exchange (push):       {:>7.1} ms = {:.1}x baseline",
        ms(lat.push),
        ms(lat.push) / ms(lat.baseline).max(0.001)
    );
    println!(
        "  co-pilot's exchange (pull):    {:>7.1} ms = {:.1}x baseline",
        ms(lat.pull),
        ms(lat.pull) / ms(lat.baseline).max(0.001)
    );
    println!(
        "  append → folded, no waiting:   {:>7.1} ms = {:.1}x baseline",
        ms(lat.total),
        ms(lat.total) / ms(lat.baseline).max(0.001)
    );
    let interval = hour.first().map_or(10.0, |h| h.interval.as_secs_f64());
    let exchanges = (lat.push + lat.pull).as_secs_f64();
    println!(
        "  computed for cockpits exchanging every {interval:.0} s (the default): on average {:.2} s (half an interval on each side + the exchanges), at worst {:.2} s (two intervals + the exchanges)  [goal: interval + 1 s = {:.0} s]",
        interval + exchanges,
        2.0 * interval + exchanges,
        interval + 1.0
    );
    println!(
        "  measured, both machines exchanging every {} s on their own, at varied phases (8 runs): median {:.2} s, worst {:.2} s  [goal: interval + 1 s = {:.0} s]",
        every.as_secs(),
        live_median.as_secs_f64(),
        live_worst.as_secs_f64(),
        every.as_secs_f64() + 1.0
    );
    if over {
        eprintln!("crew: OVER BUDGET in the quiet hour");
        std::process::exit(1);
    }
}
