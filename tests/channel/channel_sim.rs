//! The channel probe against the simulated world (`flightdeck::sim::SimServer`): a release that
//! lands on `defaults` before `conda-forge`, a package marked broken, and channel faults.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::TimeDelta;
use flightdeck::probe::channel::{
    ChannelChecker, ChannelQuery, ChannelReport, CheckerOptions, RedEvent, SubdirStatus,
    broken_label, carry_forward, red_events,
};
use flightdeck::sim::{Scenario, SimOptions, SimServer};
use flightdeck::timeline::availability::channel_skew;
use rattler_conda_types::Subdir;

/// 200 sim seconds per real second: "after = 10m" is three real seconds after the start, which
/// leaves a loaded machine time for the "before" checks.
const WORLD: &str = r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 200

[[channels]]
name = "conda-forge"
sharded = true
subdirs = ["noarch", "linux-64", "osx-arm64"]
synthetic = { seed = 5, records = 3000 }
packages = [
  { name = "conda", version = "26.9.0", build = "py_0", subdirs = ["noarch"], after = "-30d" },
  { name = "libmamba", version = "2.3.1", build = "h7654321_0", subdirs = ["linux-64", "osx-arm64"], after = "-2h" },
]

[[channels]]
name = "defaults"
sharded = false
subdirs = ["noarch", "linux-64"]
synthetic = { seed = 6, records = 1000 }
packages = [
  { name = "conda", version = "26.11.0", build = "py_0", subdirs = ["noarch"], after = "-1h" },
]

[[happening]]
after = "10m"
kind = "package"
channel = "conda-forge"
name = "conda"
version = "26.11.0"
build = "py_0"
subdirs = ["noarch"]

[[happening]]
after = "20m"
kind = "package_broken"
channel = "conda-forge"
name = "libmamba"
version = "2.3.1"
"#;

async fn start(text: &str) -> SimServer {
    let scenario = match Scenario::from_str("channel_sim.toml", text) {
        Ok(s) => s,
        Err(diags) => panic!(
            "test scenario does not parse:\n{}",
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

/// `--channel NAME=URL` for every channel of the sim, as the cockpit would get them.
fn overrides(sim: &SimServer) -> BTreeMap<String, String> {
    ["conda-forge", "defaults"]
        .iter()
        .map(|name| ((*name).to_owned(), sim.channel_url(name)))
        .collect()
}

fn query(
    sim: &SimServer,
    channel: &str,
    package: &str,
    version: &str,
    subdirs: &[&str],
) -> ChannelQuery {
    ChannelQuery::parse(channel, &overrides(sim), package, version, subdirs).expect("query")
}

fn status(report: &ChannelReport, subdir: Subdir) -> &SubdirStatus {
    &report
        .subdirs
        .iter()
        .find(|s| s.subdir == subdir)
        .expect("subdir in report")
        .status
}

/// Polls until `done` holds (at most 40 s of real time).
async fn poll_until(
    checker: &ChannelChecker,
    q: &ChannelQuery,
    done: impl Fn(&ChannelReport) -> bool,
) -> ChannelReport {
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let report = checker.check(q).await;
        if done(&report) || std::time::Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn channel_sim_release_reaches_defaults_then_conda_forge() {
    let sim = start(WORLD).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let checker = ChannelChecker::new(cache.path()).expect("checker");
    let start_time = sim.sim_clock().start();

    let forge_q = query(&sim, "conda-forge", "conda", "26.11.0", &["noarch"]);
    let defaults_q = query(&sim, "defaults", "conda", "26.11", &["noarch", "linux-64"]);

    let defaults = checker.check(&defaults_q).await;
    match status(&defaults, Subdir::NoArch) {
        SubdirStatus::Available {
            timestamp,
            url,
            file_name,
            ..
        } => {
            assert_eq!(
                *timestamp,
                Some(start_time - TimeDelta::hours(1)),
                "the record's own time"
            );
            assert!(
                url.as_str().starts_with(&sim.channel_url("defaults")),
                "{url}"
            );
            assert!(url.as_str().ends_with(file_name.as_str()));
        }
        other => panic!("defaults has it from the start, got {other:?}"),
    }
    assert_eq!(status(&defaults, Subdir::Linux64), &SubdirStatus::NotYet);

    let forge = checker.check(&forge_q).await;
    if sim.clock() < start_time + TimeDelta::minutes(10) {
        assert_eq!(status(&forge, Subdir::NoArch), &SubdirStatus::NotYet);
        let mut availability = BTreeMap::new();
        availability.insert("defaults".to_owned(), defaults.first_seen());
        availability.insert("conda-forge".to_owned(), forge.first_seen());
        let skew = channel_skew(
            &availability,
            defaults.checked_at + TimeDelta::hours(3),
            TimeDelta::hours(2),
        );
        assert_eq!(skew.len(), 1);
        assert_eq!(
            (skew[0].ahead.as_str(), skew[0].behind.as_str()),
            ("defaults", "conda-forge")
        );
    }

    let forge = poll_until(&checker, &forge_q, ChannelReport::fully_available).await;
    match status(&forge, Subdir::NoArch) {
        SubdirStatus::Available { timestamp, .. } => {
            assert_eq!(*timestamp, Some(start_time + TimeDelta::minutes(10)));
        }
        other => panic!("conda-forge gets it ten sim minutes in, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_sim_repeat_poll_moves_no_body() {
    let sim = start(WORLD).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let checker = ChannelChecker::new(cache.path()).expect("checker");
    let q = query(
        &sim,
        "defaults",
        "conda",
        "26.11.0",
        &["noarch", "linux-64"],
    );
    let sharded_q = query(
        &sim,
        "conda-forge",
        "conda",
        "26.9.0",
        &["noarch", "linux-64", "osx-arm64"],
    );
    let first = (checker.check(&q).await, checker.check(&sharded_q).await);
    let seen = sim.requests().len();
    let second = (checker.check(&q).await, checker.check(&sharded_q).await);
    let repeat: Vec<_> = sim.requests().into_iter().skip(seen).collect();
    assert_eq!(first.0.subdirs, second.0.subdirs);
    assert_eq!(first.1.subdirs, second.1.subdirs);
    assert!(!repeat.is_empty(), "a repeat poll does ask");
    assert_eq!(
        repeat.iter().map(|r| r.bytes).sum::<u64>(),
        0,
        "a repeat poll moves no body: {repeat:#?}"
    );
    // Every GET is a 304. rattler also re-sends bodiless HEADs for `.zst`/`.bz2` on unsharded
    // subdirs each poll (its 14-day memo of them never holds: `jiff` refuses to add days to a
    // timestamp), which costs headers only.
    assert!(
        repeat
            .iter()
            .all(|r| (r.method == "GET" && r.status == 304) || r.method == "HEAD"),
        "{repeat:#?}"
    );
    assert!(
        repeat
            .iter()
            .filter(|r| r.method == "HEAD")
            .all(|r| r.path.starts_with("/channels/defaults/")),
        "sharded subdirs need no HEADs: {repeat:#?}"
    );
}

#[tokio::test]
async fn channel_sim_broken_package_is_two_red_events() {
    let sim = start(WORLD).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let checker = ChannelChecker::new(cache.path()).expect("checker");
    let main_q = query(
        &sim,
        "conda-forge",
        "libmamba",
        "2.3.1",
        &["linux-64", "osx-arm64"],
    );
    let label_q = query(
        &sim,
        &broken_label("conda-forge"),
        "libmamba",
        "2.3.1",
        &["linux-64", "osx-arm64"],
    );

    let main_before = checker.check(&main_q).await;
    assert!(main_before.fully_available(), "{main_before:?}");
    let label_before = checker.check(&label_q).await;
    assert!(
        red_events(None, &label_before).is_empty(),
        "nothing broken yet"
    );

    // Both subdirs go in one happening, but a poll may land between the two
    // subdirs' reads: wait until neither has it.
    let main_after = poll_until(&checker, &main_q, |r| {
        r.available_subdirs().next().is_none()
    })
    .await;
    let disappeared = red_events(Some(&main_before), &main_after);
    assert_eq!(disappeared.len(), 2, "{disappeared:?}");
    assert!(
        disappeared
            .iter()
            .all(|e| matches!(e, RedEvent::Disappeared { package, .. } if package == "libmamba"))
    );

    let known = carry_forward(None, &label_before);
    let label_after = poll_until(&checker, &label_q, ChannelReport::fully_available).await;
    let marked = red_events(Some(&known), &label_after);
    assert_eq!(marked.len(), 2, "{marked:?}");
    assert!(marked.iter().all(|e| matches!(e, RedEvent::MarkedBroken { channel, .. } if channel == "conda-forge/label/broken")));
}

const FAULTY: &str = r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[[channels]]
name = "conda-forge"
sharded = true
subdirs = ["noarch", "linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64"]
synthetic = { seed = 9, records = 1200 }
packages = [
  { name = "conda", version = "26.11.0", build = "py_0", subdirs = ["noarch"], after = "-1h" },
]

[[fault]]
kind = "truncated"
after = "-1h"
duration = "3h"
path = "/channels/conda-forge/linux-64/"

[[fault]]
kind = "malformed"
after = "-1h"
duration = "3h"
path = "/channels/conda-forge/linux-aarch64/"

[[fault]]
kind = "server_error"
status = 503
after = "-1h"
duration = "3h"
path = "/channels/conda-forge/osx-64/"

[[fault]]
kind = "drop"
after = "-1h"
duration = "3h"
path = "/channels/conda-forge/osx-arm64/"

[[fault]]
kind = "slow"
delay = "20s"
after = "-1h"
duration = "3h"
path = "/channels/conda-forge/win-64/"
"#;

#[tokio::test]
async fn channel_sim_faults_are_errors_with_urls_and_noarch_goes_on() {
    let sim = start(FAULTY).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let checker = ChannelChecker::with_options(
        cache.path(),
        CheckerOptions {
            subdir_timeout: Duration::from_secs(3),
            ..CheckerOptions::default()
        },
    )
    .expect("checker");
    let q = query(
        &sim,
        "conda-forge",
        "conda",
        "26.11.0",
        &[
            "noarch",
            "linux-64",
            "linux-aarch64",
            "osx-64",
            "osx-arm64",
            "win-64",
        ],
    );
    let started = std::time::Instant::now();
    let report = checker.check(&q).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a stalled subdir does not hold the rest"
    );
    assert!(
        status(&report, Subdir::NoArch).is_available(),
        "{report:#?}"
    );
    for entry in report.subdirs.iter().filter(|s| s.subdir != Subdir::NoArch) {
        match &entry.status {
            SubdirStatus::Error {
                url,
                message,
                transient,
            } => {
                assert!(
                    url.as_str()
                        .contains(&format!("/channels/conda-forge/{}", entry.subdir)),
                    "{}: {url} ({message})",
                    entry.subdir
                );
                assert!(*transient, "{}: {message}", entry.subdir);
            }
            other => panic!("{}: expected an error, got {other:?}", entry.subdir),
        }
    }
}
