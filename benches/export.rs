//! Exporting a 10,000-event timeline (Markdown and JSON, plus CSV and the
//! post-mortem), against a baseline measured in the same run:
//! `serde_json::to_string` of the same events, i.e. the cost of merely
//! serializing the log.
//!
//! `cargo bench --bench export` prints criterion's figures, then one line per
//! export with its median time as a ratio to the baseline's.

use chrono::{DateTime, Duration, Utc};
use criterion::Criterion;
use flightdeck::checklist::{Checklist, StepId};
use flightdeck::crew::Role;
use flightdeck::export::{ExportOptions, Format, export};
use flightdeck::timeline::{
    CiState, Clock, Event, EventId, EventKind, Fact, Home, Release, State, fold,
};
use std::hint::black_box;
use std::time::Instant;

const EVENTS: usize = 10_000;

fn start() -> DateTime<Utc> {
    "2026-11-10T09:00:00Z".parse().expect("time")
}

/// A busy release: channel availability across six subdirs, CI churn on
/// feedstock PRs, sign-offs, notes that need escaping, bugs, stars, and a few
/// quiet nights.
fn events(release: &Release) -> Vec<Event> {
    let subdirs = [
        "noarch",
        "linux-64",
        "linux-aarch64",
        "osx-64",
        "osx-arm64",
        "win-64",
    ];
    let steps: Vec<StepId> = release.plan.steps.iter().map(|s| s.id.clone()).collect();
    let mut t = start();
    (0..EVENTS)
        .map(|i| {
            // Mostly seconds apart; every 2,000 events, a quiet night.
            t += if i % 2000 == 1999 {
                Duration::hours(9)
            } else {
                Duration::seconds(17)
            };
            let observe = |fact| EventKind::Observed {
                probe: "bench".into(),
                fact,
            };
            let what = match i % 10 {
                0..=3 => observe(Fact::Available {
                    channel: if i % 20 < 10 {
                        "conda-forge"
                    } else {
                        "defaults"
                    }
                    .into(),
                    package: "conda".into(),
                    version: format!("26.11.{}", i / 6).into(),
                    subdir: subdirs[i % subdirs.len()].into(),
                    build: "pyhd8ed1ab_0".into(),
                    file_name: format!("conda-26.11.{}-pyhd8ed1ab_0.conda", i / 6).into(),
                    first_seen: None,
                }),
                4 | 5 => observe(Fact::PrChecks {
                    repo: "conda-forge/conda-feedstock".into(),
                    number: 211 + (i / 100) as u64,
                    sha: format!("{i:08x}").into(),
                    state: if i % 30 == 4 {
                        CiState::Failure
                    } else {
                        CiState::Pending
                    },
                }),
                6 => EventKind::Note {
                    text: format!("run {i}: `conda info` | grep version\nlooks fine, \"really\""),
                },
                7 => EventKind::StepDone {
                    step: steps[i % steps.len()].clone(),
                    note: Some("ok".into()),
                },
                8 => observe(Fact::IssueFiled {
                    repo: "conda/conda".into(),
                    number: i as u64,
                    title: format!("26.11.0 regression #{i} with <html> and | pipes").into(),
                    author: "someone".into(),
                }),
                _ => EventKind::Starred {
                    event: EventId::from(format!("b{:05}", i - 1)),
                },
            };
            Event {
                v: 1,
                id: EventId::from(format!("b{i:05}")),
                author: if i % 3 == 0 { "bob" } else { "jane" }.into(),
                role: if i % 3 == 0 {
                    Role::Copilot
                } else {
                    Role::Pilot
                },
                seq: i as u64 + 1,
                at: t,
                observed_at: t,
                link: None,
                what,
            }
        })
        .collect()
}

fn setup() -> (tempfile::TempDir, Release, State) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/checklists/conda.toml");
    let text = std::fs::read_to_string(path).expect("checklist");
    let checklist = Checklist::parse("checklists/conda.toml", &text).expect("valid");
    let release = Home::new(dir.path())
        .create(&checklist, &text, "26.11.0", "jane", Clock::Fixed(start()))
        .expect("release");
    let state = fold(&release.plan, events(&release));
    (dir, release, state)
}

fn run(release: &Release, state: &State, format: Format) -> String {
    export(release, state, &ExportOptions::new(format, start())).expect("export")
}

fn baseline(state: &State) -> String {
    serde_json::to_string(&state.events.to_vec()).expect("serialize")
}

fn median(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let (_dir, release, state) = setup();
    assert_eq!(state.events.len(), EVENTS);
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("export_10k");
    group.sample_size(20);
    group.bench_function("baseline_serde_json_to_string", |b| {
        b.iter(|| black_box(baseline(&state)))
    });
    for format in [Format::Md, Format::Json, Format::Csv, Format::Postmortem] {
        group.bench_function(format.name(), |b| {
            b.iter(|| black_box(run(&release, &state, format)))
        });
    }
    group.finish();
    c.final_summary();

    // The same exports, timed against the baseline in this very run, so the
    // figures compare across machines.
    let base = median(|| {
        black_box(baseline(&state));
    });
    println!(
        "\nexport of {EVENTS} events, median of 21 runs, relative to serde_json::to_string of the events:"
    );
    println!("  baseline  {:>8.2} ms  1.00×", base * 1e3);
    for format in [Format::Md, Format::Json, Format::Csv, Format::Postmortem] {
        let t = median(|| {
            black_box(run(&release, &state, format));
        });
        println!(
            "  {:<9} {:>8.2} ms  {:.2}×",
            format.name(),
            t * 1e3,
            t / base
        );
    }
}
