//! The PyPI probe against the simulated world: an upload that lands during the run, a yank, and
//! repeat polls that cost nothing.

use std::time::Duration;

use chrono::TimeDelta;
use flightdeck::probe::pypi::{PypiChecker, PypiOptions, PypiQuery, PypiStatus};
use flightdeck::sim::{Scenario, SimOptions, SimServer};

const WORLD: &str = r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 200

[[pypi]]
name = "conda-store"
summary = "conda-store client"

[[happening]]
after = "-3d"
kind = "pypi_upload"
project = "conda-store"
version = "2025.10.0"

[[happening]]
after = "10m"
kind = "pypi_upload"
project = "conda_store"
version = "2025.11.0"

[[happening]]
after = "20m"
kind = "pypi_yank"
project = "conda-store"
version = "2025.10.0"
reason = "broken wheel"
"#;

async fn start() -> SimServer {
    let scenario = match Scenario::from_str("pypi_sim.toml", WORLD) {
        Ok(s) => s,
        Err(diags) => panic!(
            "{}",
            diags
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    SimServer::start(scenario, SimOptions::default())
        .await
        .expect("sim starts")
}

async fn poll_until(
    pypi: &PypiChecker,
    q: &PypiQuery,
    done: impl Fn(&PypiStatus) -> bool,
) -> PypiStatus {
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let status = pypi.check(q).await.status;
        if done(&status) || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn pypi_sim_upload_lands_and_repeat_polls_are_304s() {
    let sim = start().await;
    // The cockpit gets `--pypi-url` from the sim as printed: the JSON API root.
    let pypi = PypiChecker::with_options(PypiOptions::with_base_url(&sim.pypi_url()).expect("url"))
        .expect("checker");
    let q = PypiQuery::new("conda-store", "2025.11.0").expect("query");
    let status = poll_until(&pypi, &q, |s| matches!(s, PypiStatus::Uploaded { .. })).await;
    match status {
        PypiStatus::Uploaded {
            uploaded_at,
            files,
            yanked,
            ..
        } => {
            assert_eq!(
                uploaded_at,
                sim.sim_clock().start() + TimeDelta::minutes(10)
            );
            assert!(!files.is_empty());
            assert!(!yanked);
        }
        other => panic!("expected the upload, got {other:?}"),
    }
    let before = pypi.traffic();
    let again = pypi.check(&q).await;
    let after = pypi.traffic();
    assert!(matches!(again.status, PypiStatus::Uploaded { .. }));
    assert_eq!(
        after.not_modified - before.not_modified,
        1,
        "a repeat poll is a 304"
    );
    assert_eq!(after.body_bytes, before.body_bytes);
}

#[tokio::test]
async fn pypi_sim_yank_is_seen() {
    let sim = start().await;
    let pypi = PypiChecker::with_options(PypiOptions::with_base_url(&sim.pypi_url()).expect("url"))
        .expect("checker");
    let q = PypiQuery::new("conda-store", "2025.10.0").expect("query");
    let status = poll_until(&pypi, &q, |s| {
        matches!(s, PypiStatus::Uploaded { yanked: true, .. })
    })
    .await;
    match status {
        PypiStatus::Uploaded {
            yanked,
            yanked_reason,
            ..
        } => {
            assert!(yanked);
            assert_eq!(yanked_reason.as_deref(), Some("broken wheel"));
        }
        other => panic!("expected a yanked release, got {other:?}"),
    }
    let missing = pypi
        .check(&PypiQuery::new("conda-store", "2099.1.0").expect("query"))
        .await;
    assert_eq!(missing.status, PypiStatus::NotYet);
}

/// Issue 14: in the scaled-clock demo, what the PyPI checker notices carries the
/// release's (simulated) time, never the wall clock behind it.
#[tokio::test]
async fn pypi_sim_times_come_from_the_release_clock() {
    let sim = start().await;
    let clock = flightdeck::timeline::Clock::scaled(sim.clock(), 200.0);
    let pypi = PypiChecker::with_options(PypiOptions::with_base_url(&sim.pypi_url()).expect("url"))
        .expect("checker")
        .with_clock(clock);
    let q = PypiQuery::new("conda-store", "2025.10.0").expect("query");
    let report = pypi.check(&q).await;
    let PypiStatus::Uploaded { first_seen, .. } = report.status else {
        panic!("uploaded three days ago: {:?}", report.status);
    };
    for t in [report.checked_at, first_seen] {
        assert_eq!(
            t.format("%Y-%m-%d").to_string(),
            "2026-11-10",
            "the simulated day, not the wall clock: {t}"
        );
    }
}
