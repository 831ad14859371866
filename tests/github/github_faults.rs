//! The polling discipline against a misbehaving GitHub (`scenarios/flaky-github.toml`),
//! on a paused clock, asserted from the server's own request log: free 304s while
//! nothing changes, backoff as GitHub asks, no panic on broken replies, recovery.

use crate::github_support;

use chrono::{DateTime, TimeDelta, Utc};
use flightdeck::probe::scheduler::SchedulerOptions;
use flightdeck::probe::{Health, ProbeMsg, ProbeReport, ProbeSpec};
use flightdeck::sim::RequestRecord;
use flightdeck::timeline::Clock;
use github_support::*;
use std::collections::BTreeMap;
use std::time::Duration;

const RADAR: &str = "issues_mentioning conda/conda@26.11.0";

#[tokio::test(start_paused = true)]
async fn flaky_github_is_polled_with_discipline_and_recovers() {
    // Speed 1: GitHub's seconds (retry-after, reset) are the scheduler's seconds.
    let sim = start(builtin("flaky-github"), 1.0).await;
    let t0 = sim.clock();
    let m = |minutes: i64| t0 + TimeDelta::minutes(minutes);
    let home = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", t0);
    let log = open_log(&release, t0);
    let probes = vec![
        ProbeSpec::Tag {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
        },
        ProbeSpec::Release {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
        },
        ProbeSpec::IssuesMentioning {
            repo: "conda/conda".into(),
            version: "26.11.0".into(),
        },
        ProbeSpec::Pr {
            repo: "conda/conda".into(),
            head: Some("changelog-26.11.0".into()),
            title: None,
            number: None,
        },
        ProbeSpec::Ci {
            repo: "conda/conda".into(),
            reference: "main".into(),
        },
    ];
    let (handle, msgs) = run(
        probes,
        client(&sim, Some(PILOT_TOKEN)),
        log.clone(),
        Clock::scaled(t0, 1.0),
        SchedulerOptions::default(),
    );
    tokio::time::sleep(Duration::from_secs(3 * 3600 + 300)).await;
    handle.shutdown().await;

    let reqs: Vec<RequestRecord> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/repos/"))
        .collect();
    let within =
        |a: DateTime<Utc>, b: DateTime<Utc>| reqs.iter().filter(move |r| r.at >= a && r.at < b);
    let show = |rs: &[&RequestRecord]| {
        rs.iter()
            .map(|r| {
                format!(
                    "  {} {} {} counted={}",
                    r.at.format("%H:%M:%S"),
                    r.status,
                    r.path,
                    r.counted
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };

    // 1. Nothing changes in the first ten minutes: after the first round, only free 304s.
    let quiet: Vec<&RequestRecord> = within(m(1), m(10)).collect();
    assert!(quiet.len() > 20, "probes keep polling:\n{}", show(&quiet));
    assert!(
        quiet.iter().all(|r| r.status == 304 && !r.counted),
        "an unchanged world must cost no quota:\n{}",
        show(&quiet)
    );
    // The tag and the release were found at once and are not polled again.
    assert_eq!(
        reqs.iter().filter(|r| r.path.contains("/releases")).count(),
        1
    );

    // 2. Server errors, HTML pages, truncated and malformed JSON: each probe backs off
    //    exponentially (15 s polls would send 40 requests per path in ten minutes).
    for (from, to, what) in [
        (10, 20, "502"),
        (115, 125, "HTML 503"),
        (130, 140, "truncated JSON"),
        (145, 155, "malformed JSON"),
    ] {
        let mut per_path: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
        for r in within(m(from), m(to)) {
            per_path.entry(r.path.as_str()).or_default().push(r.at);
        }
        assert!(!per_path.is_empty(), "{what}: polled at all");
        for (path, times) in &per_path {
            assert!(
                times.len() <= 6,
                "{what}: {path} retried {} times in 10 minutes",
                times.len()
            );
            let gaps: Vec<i64> = times
                .windows(2)
                .map(|w| (w[1] - w[0]).num_seconds())
                .collect();
            assert!(
                gaps.windows(2).all(|g| g[1] > g[0]),
                "{what}: {path} gaps must grow: {gaps:?}"
            );
        }
    }

    // 3. Secondary rate limits: wait what retry-after says, or at least 60 s, doubling while it lasts.
    let mut strikes = 0u32;
    for (i, r) in reqs.iter().enumerate() {
        let secondary =
            r.status == 403 && ((r.at >= m(55) && r.at < m(65)) || (r.at >= m(70) && r.at < m(80)));
        if r.status == 200 || r.status == 304 {
            strikes = 0;
        }
        if !secondary {
            continue;
        }
        strikes += 1;
        let want = (60i64 << (strikes - 1).min(10)).min(1800);
        if let Some(next) = reqs.get(i + 1) {
            let gap = (next.at - r.at).num_seconds();
            assert!(
                gap >= want,
                "secondary limit #{strikes} at {}: next request after {gap} s, wanted ≥ {want} s",
                r.at
            );
        }
    }
    assert!(
        strikes > 0
            || reqs
                .iter()
                .any(|r| r.status == 403 && r.at >= m(55) && r.at < m(80)),
        "secondary limits were met"
    );

    // 4. Quota exhausted (403, then 429): nothing until the reset (the window's end) + 1 s.
    for (from, to, status) in [(85, 95, 403), (100, 110, 429)] {
        let hits: Vec<&RequestRecord> = within(m(from), m(to)).collect();
        assert!(!hits.is_empty(), "the quota fault at {from}m was met");
        assert!(
            hits.iter().all(|r| r.status == status),
            "one request, then silence until the reset:\n{}",
            show(&hits)
        );
        assert_eq!(
            hits.len(),
            1,
            "one request, then silence until the reset:\n{}",
            show(&hits)
        );
        let next = within(m(to), m(to + 5)).next().expect("polling resumes");
        assert!(
            next.at >= m(to) + TimeDelta::seconds(1),
            "resumed at {} (reset {})",
            next.at,
            m(to)
        );
    }

    // 5. Recovery: from 175 m on, GitHub is well again and so is every probe.
    let late: Vec<&RequestRecord> = within(m(176), m(180)).collect();
    assert!(!late.is_empty());
    assert!(
        late.iter().all(|r| r.status == 304 && !r.counted),
        "{}",
        show(&late)
    );

    let msgs = msgs.lock().expect("not poisoned");
    let reports: Vec<&ProbeReport> = msgs
        .iter()
        .filter_map(|m| match m {
            ProbeMsg::Report(r) => Some(r),
            _ => None,
        })
        .collect();
    let last = |id: &str| {
        *reports
            .iter()
            .rev()
            .find(|r| r.probe == id)
            .expect("reported")
    };
    for id in [
        RADAR,
        "pr conda/conda head:changelog-26.11.0",
        "ci conda/conda@main",
    ] {
        let r = last(id);
        assert_eq!(
            (r.health, r.error.as_deref()),
            (Health::Healthy, None),
            "{id} recovered"
        );
    }
    assert_eq!(last("tag conda/conda@26.11.0").health, Health::Finished);
    // While broken, the radar went red and kept its last good word and its age.
    let broken: Vec<&&ProbeReport> = reports
        .iter()
        .filter(|r| r.probe == RADAR && r.health == Health::Failing)
        .collect();
    assert!(
        !broken.is_empty(),
        "several failures in a row turn a probe Failing"
    );
    assert!(
        broken
            .iter()
            .all(|r| r.last_ok.is_some() && r.summary.is_some() && r.error.is_some())
    );
    let errors: Vec<&str> = reports.iter().filter_map(|r| r.error.as_deref()).collect();
    for needle in [
        "502",
        "HTML",
        "truncated or malformed",
        "secondary rate limit",
        "quota exhausted",
        "no answer",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "no error mentions {needle}: {errors:?}"
        );
    }
    assert!(errors.iter().all(|e| !e.contains(PILOT_TOKEN)));
}

#[tokio::test(start_paused = true)]
async fn without_a_token_polls_stretch_to_the_hourly_budget() {
    let sim = start(builtin("flaky-github"), 1.0).await;
    let t0 = sim.clock();
    let home = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", t0);
    let log = open_log(&release, t0);
    let probes: Vec<ProbeSpec> = (0..5)
        .map(|i| ProbeSpec::Pr {
            repo: "conda/conda".into(),
            head: Some(format!("branch-{i}")),
            title: None,
            number: None,
        })
        .collect();
    let (handle, _msgs) = run(
        probes,
        client(&sim, None),
        log,
        Clock::scaled(t0, 1.0),
        SchedulerOptions::default(),
    );
    // The first ten minutes have no fault.
    tokio::time::sleep(Duration::from_secs(9 * 60)).await;
    handle.shutdown().await;
    let reqs = sim.requests();
    assert!(reqs.iter().all(|r| r.login.is_none()));
    // 60 an hour, 304s included: five probes get one round and wait, instead of 36 rounds each.
    assert_eq!(reqs.len(), 5, "{reqs:?}");
}

#[tokio::test(start_paused = true)]
async fn a_checklist_interval_overrides_the_default() {
    let sim = start(builtin("flaky-github"), 1.0).await;
    let t0 = sim.clock();
    let home = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", t0);
    let pr = |branch: &str| ProbeSpec::Pr {
        repo: "conda/conda".into(),
        head: Some(branch.into()),
        title: None,
        number: None,
    };
    let slow = pr("slow");
    let mut opts = SchedulerOptions::default();
    opts.intervals.insert(slow.id(), Duration::from_secs(120));
    let (handle, _msgs) = run(
        vec![pr("fast"), slow],
        client(&sim, Some(PILOT_TOKEN)),
        open_log(&release, t0),
        Clock::scaled(t0, 1.0),
        opts,
    );
    tokio::time::sleep(Duration::from_secs(9 * 60)).await;
    handle.shutdown().await;
    let count = |b: &str| {
        sim.requests()
            .iter()
            .filter(|r| r.path.contains(&format!("%3A{b}&")))
            .count()
    };
    // 9 minutes: every 15 s (±10 %) against every 2 minutes.
    assert!(
        (32..=41).contains(&count("fast")),
        "fast: {}",
        count("fast")
    );
    assert!((4..=6).contains(&count("slow")), "slow: {}", count("slow"));
}
