//! Start-up, memory and append cost against the length of the log (issue 16).
//!
//! For 1k, 10k and 100k events (and 1M with `FLIGHTDECK_BENCH_1M=1`; it is
//! generated once into a temp dir) it prints the time and peak memory of what
//! `status` does (read the log, fold it), of the cockpit's first frame (read,
//! fold, build the model, draw) and of one append, and the growth factor per
//! decade. The goals are printed beside them: start-up under 150 ms and
//! resident memory under 50 MB at 100,000 events, start-up flat once a
//! checkpoint holds the fold, append constant.
//!
//!     cargo bench --bench log_scale

use chrono::Duration;
use flightdeck::checklist::{Checklist, StepId};
use flightdeck::crew::Role;
use flightdeck::timeline::{
    Book, Clock, Event, EventId, EventKind, EventLog, Fact, Home, Release, fold, judge, log,
};
use flightdeck::tui::fixture::{CONDA, at};
use flightdeck::tui::model::Model;
use flightdeck::tui::theme::Theme;
use flightdeck::tui::view;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

/// Peak resident memory since the last [`reset_peak`], in MB (Linux only).
fn peak_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak to what is resident now (`/proc/self/clear_refs`, Linux ≥ 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn event(steps: &[StepId], i: usize) -> Event {
    let subdirs = ["noarch", "linux-64", "osx-arm64", "win-64"];
    let what = match i % 10 {
        0..=4 => EventKind::Observed {
            probe: "bench".into(),
            fact: Fact::Available {
                channel: "conda-forge".into(),
                package: "conda".into(),
                version: format!("26.11.{}", i / 4),
                subdir: subdirs[i % 4].into(),
                build: "py_0".into(),
                file_name: format!("conda-26.11.{}-py_0.conda", i / 4),
                first_seen: None,
            },
        },
        5..=6 => EventKind::Note {
            text: format!("note {i}: \"quoted\", with a tab\tand ünïcode"),
        },
        7 => EventKind::StepDone {
            step: steps[i % steps.len()].clone(),
            note: None,
        },
        8 => EventKind::StepUndone {
            step: steps[i % steps.len()].clone(),
            reason: "again".into(),
        },
        _ => EventKind::Observed {
            probe: "bench".into(),
            fact: Fact::PrChecks {
                repo: "conda-forge/conda-feedstock".into(),
                number: 200 + (i as u64 % 50),
                sha: format!("{i:040x}"),
                state: flightdeck::timeline::CiState::Pending,
            },
        },
    };
    let t = at(10, 9, 0) + Duration::seconds(i as i64);
    Event {
        v: 1,
        id: EventId(format!("bench-{i:08}")),
        author: if i.is_multiple_of(3) { "jane" } else { "sam" }.into(),
        role: Role::Pilot,
        seq: i as u64 + 1,
        at: t,
        observed_at: t,
        link: None,
        what,
    }
}

/// A release whose log holds `n` events, written as this build writes them.
fn release_with(dir: &std::path::Path, n: usize) -> Option<Release> {
    let checklist = Checklist::parse("conda.toml", CONDA).ok()?;
    let home = Home::new(dir);
    let release = home
        .create(
            &checklist,
            CONDA,
            "26.11.0",
            "jane",
            Clock::Fixed(at(10, 9, 0)),
        )
        .ok()?;
    let steps: Vec<StepId> = release.plan.steps.iter().map(|s| s.id.clone()).collect();
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(release.events_path())
        .ok()?;
    let mut out = std::io::BufWriter::new(file);
    for i in 1..n {
        out.write_all(&log::line_of(&event(&steps, i))).ok()?;
    }
    out.flush().ok()?;
    Some(release)
}

#[derive(Clone, Copy, Default)]
struct Cost {
    ms: f64,
    mb: f64,
}

/// Median time of `runs` runs of `f`, and the peak memory above what was resident before.
fn measure(runs: usize, mut f: impl FnMut()) -> Cost {
    let mut times = Vec::new();
    let mut mb: f64 = 0.0;
    for _ in 0..runs {
        reset_peak();
        let base = peak_mb().unwrap_or(0.0);
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        mb = mb.max(peak_mb().unwrap_or(0.0) - base);
    }
    times.sort_by(f64::total_cmp);
    Cost {
        ms: times[times.len() / 2],
        mb,
    }
}

fn status(release: &Release) {
    let events = release.read_events().unwrap_or_default();
    let state = fold(&release.plan, &events);
    black_box(state.progress());
}

fn first_frame(release: &Release) {
    let Ok(log) = release.open_log("jane", Role::Pilot, Clock::Fixed(at(12, 9, 0))) else {
        return;
    };
    let model = Model::new(
        &release.meta.id,
        release.plan.clone(),
        log.events(),
        Role::Pilot,
        "jane",
        at(12, 9, 0),
    );
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    view::render(&model, &Theme::default_theme(), area, &mut buf);
    black_box(&buf);
}

fn append(log: &mut EventLog) {
    let permit = judge(
        &Book::without_plan(at(12, 9, 0)),
        Role::Pilot,
        EventKind::Note {
            text: "one more".into(),
        },
    )
    .confirmed();
    if let Ok(p) = permit {
        let _ = black_box(log.append(p));
    }
}

fn main() {
    let mut sizes = vec![1_000, 10_000, 100_000];
    if std::env::var_os("FLIGHTDECK_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    println!("== the log against its length (goals: status and first frame under 150 ms and");
    println!("   under 50 MB at 100,000 events; flat after a checkpoint; append constant) ==");
    println!(
        "{:>9}  {:>16}  {:>16}  {:>16}",
        "events", "status", "first frame", "append (fsync)"
    );
    let mut rows: Vec<(usize, Cost, Cost, Cost)> = Vec::new();
    for &n in &sizes {
        let Ok(dir) = tempfile::tempdir() else {
            eprintln!("no temp dir");
            return;
        };
        let Some(release) = release_with(dir.path(), n) else {
            eprintln!("could not build a {n}-event log");
            return;
        };
        let runs = if n >= 1_000_000 { 1 } else { 5 };
        let s = measure(runs, || status(&release));
        let f = measure(runs, || first_frame(&release));
        let Ok(mut log) = release.open_log("jane", Role::Pilot, Clock::Fixed(at(12, 9, 0))) else {
            return;
        };
        let a = measure(20, || append(&mut log));
        drop(log);
        println!(
            "{n:>9}  {:>8.1} ms {:>5.1} MB  {:>8.1} ms {:>5.1} MB  {:>8.2} ms {:>5.1} MB",
            s.ms, s.mb, f.ms, f.mb, a.ms, a.mb
        );
        rows.push((n, s, f, a));
    }
    println!("growth per decade (time ×, memory ×; goal: ×1 after the checkpoint, append ×1):");
    for w in rows.windows(2) {
        let ((n0, s0, f0, a0), (n1, s1, f1, a1)) = (w[0], w[1]);
        let r = |a: f64, b: f64| b / a.max(1e-9);
        println!(
            "  {n0:>7} → {n1:<7}  status ×{:.1} / ×{:.1}   first frame ×{:.1} / ×{:.1}   append ×{:.1}",
            r(s0.ms, s1.ms),
            r(s0.mb.max(0.1), s1.mb.max(0.1)),
            r(f0.ms, f1.ms),
            r(f0.mb.max(0.1), f1.mb.max(0.1)),
            r(a0.ms, a1.ms)
        );
    }
    if let Some((_, s, f, _)) = rows.iter().find(|r| r.0 == 100_000) {
        let verdict = |c: &Cost| {
            if c.ms < 150.0 && c.mb < 50.0 {
                "within the goal"
            } else {
                "OVER the goal"
            }
        };
        println!(
            "at 100,000 events: status {:.0} ms / {:.0} MB ({}), first frame {:.0} ms / {:.0} MB ({}); goal 150 ms / 50 MB",
            s.ms,
            s.mb,
            verdict(s),
            f.ms,
            f.mb,
            verdict(f)
        );
    }
}
