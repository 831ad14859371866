//! Start-up, memory and append cost against the length of the log (issue 16).
//!
//! For 1k, 10k and 100k events (and 1M with `FLIGHTDECK_BENCH_1M=1`) it
//! prints the median time and the peak memory (above what was resident
//! before) of what `status` does (read the log, fold it), of an export
//! (`export --format md`: read, fold, write the table), of the cockpit's
//! first frame (open the log, fold, build the model, draw) and of one append
//! (fsync included), and of recording an event in the cockpit (the append,
//! then folding it into the model: on its own when it sorts after everything,
//! else with everything again) — each start with the checkpoint beside the log, and
//! `status` also without one (the first start after it was deleted, which
//! writes it again). Then the real binary's `status` and `export` wall time,
//! process start included. Every figure is also given as a ratio to the
//! 1,000-event case of the same run, with the growth factor per decade, and
//! the peak resident size of fresh processes doing each (a working cockpit:
//! the first frame, then four events recorded and drawn, one sorting earlier).
//! Goals: `status`, `export` and the first frame under 150 ms and 50 MB at
//! 100,000 events; flat after the checkpoint; append constant.
//!
//!     cargo bench --bench log_scale
//!
//! `FLIGHTDECK_BENCH_BREAKDOWN=1` prints instead, per size, how a `status`
//! splits into reading (the checkpoint, then the tail), folding and
//! dropping, beside decoding the same events from JSON (where the time goes).
//! `FLIGHTDECK_BENCH_MAKE=N:DIR` only writes a release of N events into the
//! home DIR, and `FLIGHTDECK_BENCH_CHILD=status|export|frame|working:DIR` runs one
//! start against it (to profile one, e.g. under `perf record`).

use chrono::Duration;
use flightdeck::checklist::{Checklist, StepId};
use flightdeck::crew::Role;
use flightdeck::export::{ExportOptions, Format, export_to};
use flightdeck::timeline::{
    Book, Clock, Event, EventId, EventKind, EventLog, Fact, Home, Release, fold_owned, judge, log,
};
use flightdeck::tui::action::Action;
use flightdeck::tui::fixture::{CONDA, at};
use flightdeck::tui::model::Model;
use flightdeck::tui::theme::Theme;
use flightdeck::tui::update::update;
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
                version: format!("26.11.{}", i / 4).into(),
                subdir: subdirs[i % 4].into(),
                build: "py_0".into(),
                file_name: format!("conda-26.11.{}-py_0.conda", i / 4).into(),
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
                sha: format!("{i:040x}").into(),
                state: flightdeck::timeline::CiState::Pending,
            },
        },
    };
    let t = at(10, 9, 0) + Duration::seconds(i as i64);
    Event {
        v: 1,
        // Shaped as the ids this build writes (UUID v4), which are held compactly.
        id: EventId::from(format!("{i:08x}-0000-4000-8000-{:012x}", i * 7)),
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
    let Ok(state) = release.state() else {
        return;
    };
    black_box(state.progress());
    // As `status` does: the process's exit frees it.
    std::mem::forget(state);
}

/// `status` as the first start after the checkpoint and the saved fold were
/// deleted (it reads the whole log, folds it all, and writes both again).
fn status_cold(release: &Release) {
    for derived in [".checkpoint", ".fold"] {
        let mut name = release.events_path().into_os_string();
        name.push(derived);
        let _ = std::fs::remove_file(name);
    }
    status(release);
}

fn export_md(release: &Release) {
    let Ok(state) = release.state() else {
        return;
    };
    // As `export --format md -o FILE` writes it, a row at a time (to a sink:
    // the disk's speed is not what is measured here).
    let mut out = std::io::sink();
    let written = export_to(
        release,
        &state,
        &ExportOptions::new(Format::Md, at(12, 9, 0)),
        &mut out,
    );
    black_box(written.is_ok());
}

/// The release's log opened for the pilot and the cockpit's model of it.
fn cockpit(release: &Release) -> Option<(EventLog, Model)> {
    let mut log = release
        .open_log("jane", Role::Pilot, Clock::Fixed(at(12, 9, 0)))
        .ok()?;
    // As `fly` starts: the fold saved beside the log resumed, else folded.
    let state = log.state(&release.plan);
    let model = Model::with_state(
        &release.meta.id,
        release.plan.clone(),
        state,
        Role::Pilot,
        "jane",
        at(12, 9, 0),
    );
    Some((log, model))
}

fn first_frame(release: &Release) {
    let Some((_, model)) = cockpit(release) else {
        return;
    };
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    view::render(&model, &Theme::default_theme(), area, &mut buf);
    black_box(&buf);
}

/// What the cockpit does per event recorded: append it (fsync included) at
/// `at`, then fold it into the model — on its own when it sorts after
/// everything (the crew's notes and sign-offs), else by folding all again
/// (an observation carrying an older source time).
fn record(log: &mut EventLog, model: &mut Model, at: chrono::DateTime<chrono::Utc>) {
    let Ok(permit) = note_permit() else {
        return;
    };
    if log.append_with(permit, Some(at), None).is_err() {
        return;
    }
    let Some(last) = log.events().last() else {
        return;
    };
    let _ = update(model, Action::Recorded(vec![std::sync::Arc::clone(last)]));
}

/// After every event of the bench's logs (they span at most 12 days).
fn later(k: i64) -> chrono::DateTime<chrono::Utc> {
    at(12, 9, 0) + Duration::days(30) + Duration::seconds(k)
}

/// A cockpit as a user works it: the first frame, then three notes recorded
/// in order and one sorting earlier (folded with everything again), each
/// drawn (the log's index is built on the first).
fn working(release: &Release) {
    let Some((mut log, mut model)) = cockpit(release) else {
        return;
    };
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    for when in [later(1), later(2), later(3), at(10, 9, 0)] {
        record(&mut log, &mut model, when);
        view::render(&model, &Theme::default_theme(), area, &mut buf);
    }
    black_box(&buf);
}

fn note_permit() -> Result<flightdeck::timeline::Permit, flightdeck::timeline::Refusal> {
    judge(
        &Book::without_plan(at(12, 9, 0)),
        Role::Pilot,
        EventKind::Note {
            text: "one more".into(),
        },
    )
    .confirmed()
}

fn append(log: &mut EventLog) {
    if let Ok(p) = note_permit() {
        let _ = black_box(log.append(p));
    }
}

/// Median wall time of the real binary running `args` against `home`.
fn binary(runs: usize, home: &std::path::Path, args: &[&str]) -> f64 {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let ok = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .arg("--home")
            .arg(home)
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("flightdeck {args:?} failed");
            return f64::NAN;
        }
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

struct Row {
    n: usize,
    /// status, status without a checkpoint, export, first frame, append,
    /// record in the cockpit (in order, sorting earlier).
    cost: [Cost; 7],
    /// The binary's `status` and `export`, ms.
    bin: [f64; 2],
    /// Peak resident MB of a fresh process: status, export, first frame, a
    /// working cockpit.
    rss: [f64; 4],
}

const NAMES: [&str; 7] = [
    "status",
    "status, no checkpoint",
    "export md",
    "first frame",
    "append (fsync)",
    "record in the cockpit (append, fold in)",
    "record sorting earlier (append, fold all)",
];

/// Runs one start in this process, fresh, and prints its peak resident size
/// (what `fly`, `status` or `export` would hold): `FLIGHTDECK_BENCH_CHILD=what:home`.
fn child(spec: &str) {
    let Some((what, home)) = spec.split_once(':') else {
        return;
    };
    let Ok(release) = Home::new(home).resolve(None) else {
        eprintln!("no release in {home}");
        return;
    };
    match what {
        "status" => status(&release),
        "export" => export_md(&release),
        "working" => working(&release),
        _ => first_frame(&release),
    }
    println!("{:.1}", peak_mb().unwrap_or(f64::NAN));
}

/// The peak resident size of a fresh process doing `what` (see [`child`]), MB.
fn resident(what: &str, home: &std::path::Path) -> f64 {
    let Ok(exe) = std::env::current_exe() else {
        return f64::NAN;
    };
    std::process::Command::new(exe)
        .env(
            "FLIGHTDECK_BENCH_CHILD",
            format!("{what}:{}", home.display()),
        )
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(f64::NAN)
}

fn main() {
    if let Ok(spec) = std::env::var("FLIGHTDECK_BENCH_CHILD") {
        child(&spec);
        return;
    }
    // Only write a release to profile (see the module's documentation).
    if let Ok(spec) = std::env::var("FLIGHTDECK_BENCH_MAKE") {
        if let Some((n, dir)) = spec.split_once(':')
            && let Ok(n) = n.parse()
            && release_with(std::path::Path::new(dir), n).is_some()
        {
            return;
        }
        eprintln!("FLIGHTDECK_BENCH_MAKE=N:DIR could not write {spec}");
        std::process::exit(2);
    }
    let mut sizes = vec![1_000, 10_000, 100_000];
    if std::env::var_os("FLIGHTDECK_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    println!("== the log against its length (goals: status, export and first frame under 150 ms");
    println!("   and 50 MB at 100,000 events; flat after the checkpoint; append constant) ==");
    println!(
        "median ms / peak MB above the resident base; ×N: ratio to the 1,000-event case of this run"
    );
    let mut rows: Vec<Row> = Vec::new();
    for &n in &sizes {
        let Ok(dir) = tempfile::tempdir() else {
            eprintln!("no temp dir");
            return;
        };
        let Some(release) = release_with(dir.path(), n) else {
            eprintln!("could not build a {n}-event log");
            return;
        };
        let runs = if n >= 1_000_000 { 3 } else { 7 };
        let cold = measure(runs, || status_cold(&release));
        // The cold runs left a checkpoint: every start below reads only the tail.
        let s = measure(runs, || status(&release));
        if std::env::var_os("FLIGHTDECK_BENCH_BREAKDOWN").is_some() {
            println!("{n} events");
            for _ in 0..3 {
                breakdown(&release);
            }
            continue;
        }
        let e = measure(runs, || export_md(&release));
        let f = measure(runs, || first_frame(&release));
        let Some((mut log, mut model)) = cockpit(&release) else {
            return;
        };
        let a = measure(20, || append(&mut log));
        let mut k = 100;
        let rec = measure(20, || {
            k += 1;
            record(&mut log, &mut model, later(k));
        });
        let early = measure(5, || record(&mut log, &mut model, at(10, 9, 0)));
        drop((log, model));
        let id = release.meta.id.as_str();
        let out = dir.path().join("out.md");
        let out = out.to_string_lossy();
        let bin = [
            binary(runs, dir.path(), &["status", id]),
            binary(
                runs,
                dir.path(),
                &["export", id, "--format", "md", "-o", out.as_ref()],
            ),
        ];
        let rss = ["status", "export", "frame", "working"].map(|w| resident(w, dir.path()));
        rows.push(Row {
            n,
            cost: [s, cold, e, f, a, rec, early],
            bin,
            rss,
        });
    }
    let Some(base) = rows.first() else { return };
    let r = |a: f64, b: f64| b / a.max(1e-3);
    for (k, name) in NAMES.iter().enumerate() {
        println!("\n{name}");
        for row in &rows {
            let (c, b) = (row.cost[k], base.cost[k]);
            println!(
                "  {:>9} events  {:>9.2} ms ×{:<6.1} {:>6.1} MB ×{:.1}",
                row.n,
                c.ms,
                r(b.ms, c.ms),
                c.mb,
                r(b.mb.max(0.1), c.mb.max(0.1))
            );
        }
    }
    for (k, name) in [
        "binary: flightdeck status",
        "binary: flightdeck export --format md",
    ]
    .iter()
    .enumerate()
    {
        println!("\n{name} (process start included)");
        for row in &rows {
            println!(
                "  {:>9} events  {:>9.1} ms ×{:.1}",
                row.n,
                row.bin[k],
                r(base.bin[k], row.bin[k])
            );
        }
    }
    println!("\npeak resident MB of a fresh process (binary and libraries included)");
    for row in &rows {
        println!(
            "  {:>9} events  status {:>6.1} MB ×{:.1}   export {:>6.1} MB ×{:.1}   first frame {:>6.1} MB ×{:.1}   working cockpit {:>6.1} MB ×{:.1}",
            row.n,
            row.rss[0],
            r(base.rss[0], row.rss[0]),
            row.rss[1],
            r(base.rss[1], row.rss[1]),
            row.rss[2],
            r(base.rss[2], row.rss[2]),
            row.rss[3],
            r(base.rss[3], row.rss[3])
        );
    }
    println!("\ngrowth per decade (time ×; goal: ×1 after the checkpoint, append ×1):");
    for w in rows.windows(2) {
        let (lo, hi) = (&w[0], &w[1]);
        let parts: Vec<String> = NAMES
            .iter()
            .enumerate()
            .map(|(k, name)| format!("{name} ×{:.1}", r(lo.cost[k].ms, hi.cost[k].ms)))
            .collect();
        println!("  {:>7} → {:<7}  {}", lo.n, hi.n, parts.join(", "));
    }
    if let Some(row) = rows.iter().find(|r| r.n == 100_000) {
        // Memory is judged by a fresh process's peak resident size (what a
        // user's `status`, `export` or `fly` holds); the in-process peaks above
        // reuse what earlier runs freed.
        println!("\nat 100,000 events (goals: under 150 ms, under 50 MB resident):");
        for (name, ms, mb) in [
            ("status", Some(row.cost[0].ms), row.rss[0]),
            ("export md", Some(row.cost[2].ms), row.rss[1]),
            ("first frame", Some(row.cost[3].ms), row.rss[2]),
            (
                "working cockpit (first frame, 4 events recorded)",
                None,
                row.rss[3],
            ),
        ] {
            let verdict = if ms.is_none_or(|ms| ms < 150.0) && mb < 50.0 {
                "within the goals"
            } else {
                "OVER a goal"
            };
            let ms = ms.map(|ms| format!("{ms:.0} ms, ")).unwrap_or_default();
            println!("  {name}: {ms}{mb:.0} MB resident ({verdict})");
        }
        println!(
            "  status without a checkpoint (the first start after it was deleted; no goal): {:.0} ms",
            row.cost[1].ms
        );
        println!(
            "  binary status {:.0} ms, binary export {:.0} ms",
            row.bin[0], row.bin[1]
        );
        println!(
            "  recording an event in the cockpit: {:.2} ms in order, {:.1} ms sorting earlier (the append alone {:.2} ms)",
            row.cost[5].ms, row.cost[6].ms, row.cost[4].ms
        );
    }
}

#[allow(dead_code)]
fn breakdown(release: &Release) {
    let t = Instant::now();
    let events = release.read_events().unwrap_or_default();
    let read = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let state = fold_owned(&release.plan, events.into_vec());
    let folded = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    drop(state);
    let dropped = t.elapsed().as_secs_f64() * 1e3;
    let events = release.read_events().unwrap_or_default();
    let json = serde_json::to_vec(&events.to_vec()).unwrap_or_default();
    let t = Instant::now();
    let back: Vec<Event> = serde_json::from_slice(&json).unwrap_or_default();
    let jdecode = t.elapsed().as_secs_f64() * 1e3;
    black_box(back.len());
    println!(
        "  breakdown: read (the checkpoint and the tail) {read:.1} ms, fold {folded:.1} ms, drop {dropped:.1} ms; the same events decoded from JSON {jdecode:.1} ms"
    );
}
