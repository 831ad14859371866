//! Issue 14: the timeline tells the truth for someone who joins a release
//! after the world moved on — channel probes against the simulated world,
//! with the release's own (scaled) clock.

use crate::github_support;

use chrono::{DateTime, Utc};
use flightdeck::probe::ProbeSpec;
use flightdeck::probe::scheduler::SchedulerOptions;
use flightdeck::probe::sources::{self, SourceConfig};
use flightdeck::sim::{SimOptions, SimServer};
use flightdeck::store::Store;
use flightdeck::timeline::{Clock, EventKind, Fact};
use github_support::*;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// 200 sim seconds per real second. libmamba has been on conda-forge for two
/// hours when the crew joins; ten sim minutes later it is marked broken (moved
/// to the `broken` label). conda 26.11.0 lands on conda-forge at 13:20.
const WORLD: &str = r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 200

[[channels]]
name = "conda-forge"
sharded = true
subdirs = ["noarch", "linux-64", "osx-arm64"]
synthetic = { seed = 5, records = 500 }
packages = [
  { name = "libmamba", version = "2.3.1", build = "h7654321_0", subdirs = ["linux-64", "osx-arm64"], after = "-2h" },
]

[[happening]]
after = "10m"
kind = "package_broken"
channel = "conda-forge"
name = "libmamba"
version = "2.3.1"

[[happening]]
after = "20m"
kind = "package"
channel = "conda-forge"
name = "conda"
version = "26.11.0"
build = "py_0"
subdirs = ["noarch"]
"#;

async fn world() -> SimServer {
    SimServer::start(scenario("late-joiner", WORLD), SimOptions::default())
        .await
        .expect("sim starts")
}

fn sources_of(sim: &SimServer, cache: &std::path::Path) -> SourceConfig {
    SourceConfig {
        channels: ["conda-forge", "defaults"]
            .iter()
            .map(|n| ((*n).to_string(), sim.channel_url(n)))
            .collect::<BTreeMap<_, _>>(),
        cache_dir: cache.to_path_buf(),
        pypi_url: sim.pypi_url(),
    }
}

fn channel_probe(package: &str, version: &str, subdirs: &[&str]) -> ProbeSpec {
    ProbeSpec::Channel {
        channel: "conda-forge".into(),
        package: package.into(),
        version: version.into(),
        subdirs: subdirs.iter().map(|s| (*s).to_string()).collect(),
    }
}

/// Runs the channel probes until `done` holds on the log (or 30 s pass).
async fn poll(
    sim: &SimServer,
    cache: &std::path::Path,
    log: &Store,
    specs: Vec<ProbeSpec>,
    once: bool,
    done: impl Fn(&flightdeck::timeline::Events) -> bool,
) {
    let (tx, mut rx) = mpsc::channel(256);
    let (stop_tx, stop) = watch::channel(false);
    let clock = Clock::scaled(sim.clock(), 200.0);
    let task = tokio::spawn(sources::run(
        specs,
        sources_of(sim, cache),
        log.clone(),
        clock,
        tx,
        SchedulerOptions {
            once,
            interval: Duration::from_millis(300),
            jitter: 0.0,
            ..SchedulerOptions::default()
        },
        stop,
    ));
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !once && !log.with_events(&done) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !once {
        let _ = stop_tx.send(true);
    }
    let _ = task.await;
    drop(stop_tx);
    let _ = drain.await;
}

fn facts(log: &Store) -> Vec<(Fact, DateTime<Utc>, DateTime<Utc>)> {
    log.with_events(|events| {
        events
            .iter()
            .filter_map(|e| match &e.what {
                EventKind::Observed { fact, .. } => Some((fact.clone(), e.at, e.observed_at)),
                _ => None,
            })
            .collect()
    })
}

/// The simulated day: not the wall clock's.
fn on_sim_day(t: DateTime<Utc>) -> bool {
    t.format("%Y-%m-%d").to_string() == "2026-11-10"
}

#[tokio::test]
async fn a_version_that_vanished_between_two_runs_is_reported_gone_at_release_time() {
    let sim = world().await;
    let home = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", sim.clock());
    let probe = channel_probe("libmamba", "2.3.1", &["linux-64", "osx-arm64"]);

    // First run: the crew joins late, the version is there already.
    let log = open_log(&release, sim.clock());
    poll(&sim, cache.path(), &log, vec![probe.clone()], true, |_| {
        true
    })
    .await;
    let first = facts(&log);
    let available: Vec<_> = first
        .iter()
        .filter_map(|(f, at, _)| match f {
            Fact::Available { first_seen, .. } => Some((*at, *first_seen)),
            _ => None,
        })
        .collect();
    assert_eq!(available.len(), 2, "{first:?}");
    for (at, first_seen) in available {
        assert_eq!(at, t("2026-11-10T11:00:00Z"), "the record's upload time");
        assert_eq!(
            first_seen, None,
            "already there at the first look: uploaded only"
        );
    }
    drop(log);

    // Nothing runs while it is marked broken (sim 13:10, three real seconds in).
    while sim.clock() < t("2026-11-10T13:12:00Z") {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Second run, a new process: it learns from the log that the version was there.
    let log = open_log(&release, sim.clock());
    poll(&sim, cache.path(), &log, vec![probe], true, |_| true).await;
    let gone: Vec<_> = facts(&log)
        .into_iter()
        .filter(|(f, _, _)| matches!(f, Fact::Disappeared { .. } | Fact::LabelledBroken { .. }))
        .collect();
    let disappeared = gone
        .iter()
        .filter(|(f, _, _)| matches!(f, Fact::Disappeared { .. }))
        .count();
    let broken = gone
        .iter()
        .filter(|(f, _, _)| matches!(f, Fact::LabelledBroken { .. }))
        .count();
    assert_eq!((disappeared, broken), (2, 2), "{gone:?}");
    for (f, at, _) in &gone {
        assert!(
            on_sim_day(*at) && *at >= t("2026-11-10T13:10:00Z"),
            "{f:?} noticed at the release's time, not the wall clock: {at}"
        );
    }
}

#[tokio::test]
async fn a_version_watched_appearing_records_upload_and_first_sight() {
    let sim = world().await;
    let home = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", sim.clock());
    let log = open_log(&release, sim.clock());
    let probe = channel_probe("conda", "26.11.0", &["noarch"]);
    poll(&sim, cache.path(), &log, vec![probe], false, |events| {
        events.iter().any(|e| {
            matches!(
                &e.what,
                EventKind::Observed {
                    fact: Fact::Available { .. },
                    ..
                }
            )
        })
    })
    .await;
    let seen: Vec<_> = facts(&log)
        .into_iter()
        .filter_map(|(f, at, _)| match f {
            Fact::Available { first_seen, .. } => Some((at, first_seen)),
            _ => None,
        })
        .collect();
    let [(at, Some(first_seen))] = seen[..] else {
        panic!("one availability, watched appearing: {seen:?}");
    };
    assert_eq!(at, t("2026-11-10T13:20:00Z"), "the upload");
    assert!(
        on_sim_day(first_seen) && first_seen >= at,
        "first seen on the release's clock, after the upload: {first_seen}"
    );
    let events = log.snapshot();
    let e = events
        .iter()
        .find(|e| {
            matches!(
                &e.what,
                EventKind::Observed {
                    fact: Fact::Available { .. },
                    ..
                }
            )
        })
        .expect("the event");
    let plan = &release.plan;
    let sentence = flightdeck::export::describe(e, plan);
    assert!(
        sentence.starts_with("conda 26.11.0 available on conda-forge (noarch) — uploaded 13:20"),
        "{sentence}"
    );
    if first_seen.format("%H:%M").to_string() != "13:20" {
        assert!(
            sentence.ends_with(&format!("first seen {}", first_seen.format("%H:%M"))),
            "{sentence}"
        );
    }
}

/// A conda release six days old when the crew joins: tagged and published on
/// GitHub, on `defaults` for five days, never on `conda-forge`.
const OLD_RELEASE: &str = r#"
[clock]
start = "2026-11-20T09:00:00Z"
speed = 200

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[repos]]
name = "conda/conda"

[[happening]]
after = "-6d"
kind = "tag"
repo = "conda/conda"
tag = "26.11.0"
author = "jane"

[[happening]]
after = "-6d"
kind = "release_publish"
repo = "conda/conda"
tag = "26.11.0"
author = "jane"

[[channels]]
name = "defaults"
sharded = false
subdirs = ["noarch", "linux-64"]
synthetic = { seed = 6, records = 200 }
packages = [
  { name = "conda", version = "26.11.0", build = "py_0", subdirs = ["noarch"], after = "-5d" },
]

[[channels]]
name = "conda-forge"
sharded = true
subdirs = ["noarch", "linux-64"]
synthetic = { seed = 5, records = 200 }
packages = [
  { name = "conda", version = "26.9.0", build = "py_0", subdirs = ["noarch"], after = "-30d" },
]
"#;

/// A plan whose soak gate needs the tag: the soak counts from the tag's own time.
const SOAKING: &str = r#"
schema = 1

[release]
name = "conda"
title = "conda {version}"
version_scheme = "calver"

[[packages]]
name = "conda"
repo = "conda/conda"
channels = ["defaults", "conda-forge"]
subdirs = ["noarch"]

[[phases]]
id = "all"
title = "All"

[[phases.steps]]
id = "tag"
title = "Tag"
role = "pilot"
probe = { kind = "tag", repo = "{repo}", tag = "{version}" }

[[phases.steps]]
id = "on-conda-forge"
title = "On conda-forge"
role = "pilot"
probe = { kind = "channel", channel = "conda-forge", package = "conda" }

[[phases.steps]]
id = "on-defaults"
title = "On defaults"
role = "pilot"
probe = { kind = "channel", channel = "defaults", package = "conda" }

[[phases.steps]]
id = "all-clear"
title = "All-clear"
role = "pilot"
needs = ["tag"]
gate = { soak = "24h" }
"#;

#[tokio::test]
async fn a_late_joiner_reads_the_skew_the_soak_and_the_durations_from_the_source_times() {
    let sim = SimServer::start(scenario("old-release", OLD_RELEASE), SimOptions::default())
        .await
        .expect("sim starts");
    let home = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");
    let joined = sim.clock();
    let checklist =
        flightdeck::checklist::Checklist::parse("soaking.toml", SOAKING).expect("checklist parses");
    let release = flightdeck::timeline::Home::new(home.path())
        .create(&checklist, SOAKING, "26.11.0", "jane", Clock::Fixed(joined))
        .expect("release created");
    let log = open_log(&release, joined);
    let probes = plan_probes(&release.plan);
    let (handle, _msgs) = run(
        probes.clone(),
        client(&sim, Some(PILOT_TOKEN)),
        log.clone(),
        Clock::Fixed(joined),
        SchedulerOptions {
            once: true,
            ..SchedulerOptions::default()
        },
    );
    handle.join().await;
    poll(&sim, cache.path(), &log, probes, true, |_| true).await;

    let events = log.snapshot();
    let state = flightdeck::timeline::fold(&release.plan, &events);
    // The soak gate counts from the tag six days ago, not from the join.
    let all_clear = state
        .step(&flightdeck::checklist::StepId("all-clear".into()))
        .expect("the step");
    assert_eq!(all_clear.needs_done_at, Some(t("2026-11-14T09:00:00Z")));
    let gate = release.plan.steps.iter().find(|s| s.id.0 == "all-clear");
    let blocks = gate
        .and_then(|s| s.gate.as_ref())
        .and_then(|g| g.blocks(joined, all_clear.needs_done_at));
    assert!(
        blocks.as_deref().is_none_or(|b| !b.contains("soaking")),
        "nothing left to soak: {blocks:?}"
    );

    // `status --json`: per channel and subdir, and the skew.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["status", "--json"])
        .env("FLIGHTDECK_HOME", home.path())
        .env("FLIGHTDECK_LOGIN", "jane")
        .env("FLIGHTDECK_CONFIG", home.path().join("no-config.toml"))
        .env("NO_COLOR", "1")
        .output()
        .expect("status runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let channels = json["channels"].as_array().expect("channels");
    let of = |name: &str| {
        channels
            .iter()
            .find(|c| c["channel"] == name)
            .unwrap_or_else(|| panic!("{name} in {channels:?}"))
    };
    assert_eq!(of("defaults")["subdirs"][0]["subdir"], "noarch");
    assert_eq!(of("defaults")["subdirs"][0]["state"], "available");
    assert_eq!(of("defaults")["subdirs"][0]["at"], "2026-11-15T09:00:00Z");
    assert_eq!(of("conda-forge")["subdirs"][0]["state"], "not_yet");
    let skew = &json["skew"][0];
    assert_eq!(
        (&skew["ahead"], &skew["behind"]),
        (
            &serde_json::json!("defaults"),
            &serde_json::json!("conda-forge")
        )
    );
    assert!(
        skew["lag_seconds"].as_i64().unwrap_or(0) >= 5 * 86_400,
        "{skew}"
    );
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["status"])
        .env("FLIGHTDECK_HOME", home.path())
        .env("FLIGHTDECK_LOGIN", "jane")
        .env("FLIGHTDECK_CONFIG", home.path().join("no-config.toml"))
        .env("NO_COLOR", "1")
        .output()
        .expect("status runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("skew: conda on defaults"), "{text}");
    assert!(text.contains("✔ noarch 2026-11-15 09:00"), "{text}");
    assert!(text.contains("· noarch not yet"), "{text}");

    // The post-mortem, read long after: measured to the last observation, not today.
    let opts = flightdeck::export::ExportOptions::new(
        flightdeck::export::Format::Postmortem,
        t("2027-03-01T00:00:00Z"),
    );
    let doc = flightdeck::export::export(&release, &state, &opts).expect("exports");
    let row = |label: &str| {
        doc.lines()
            .find(|l| l.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("{label} in\n{doc}"))
            .to_string()
    };
    let start_tag = row("Start → tag");
    assert!(
        start_tag.contains("| n/a | started after the tag (late joiner)"),
        "{start_tag}"
    );
    assert!(
        !doc.contains("-6d") && !doc.contains("−"),
        "no negative durations:\n{doc}"
    );
    let skew_row = row("Channel skew (defaults vs conda-forge)");
    assert!(skew_row.contains("| ≥ 5d |"), "{skew_row}");
    assert!(
        skew_row.contains("defaults ahead of conda-forge")
            && skew_row.contains("conda-forge: not yet"),
        "{skew_row}"
    );
    assert!(
        doc.contains("- Channel skew: conda on defaults ahead of conda-forge by ≥ 5d; conda-forge: not yet (as of 2026-11-20"),
        "a finding:\n{doc}"
    );
    assert!(doc.contains("a late joiner"), "the summary says so:\n{doc}");
    let all_clear = row("First public → all-clear");
    assert!(all_clear.contains("| not yet |"), "{all_clear}");
    assert!(!doc.contains("| Start → all-clear |"), "{doc}");
}
