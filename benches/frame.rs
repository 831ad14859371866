//! Frame time of the cockpit against the design budget: a 300-step checklist
//! with a 10,000-event timeline drawn at 200×50 in under 2 ms, and nothing
//! drawn while idle. Ratios are against an empty frame measured in the same
//! run, so they hold across machines.
//!
//!     cargo bench --bench frame

use criterion::{Criterion, criterion_group};
use flightdeck::crew::Role;
use flightdeck::tui::action::Action;
use flightdeck::tui::fixture::{CONDA, at, big_model};
use flightdeck::tui::model::Model;
use flightdeck::tui::theme::Theme;
use flightdeck::tui::update::update;
use flightdeck::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::hint::black_box;
use std::time::{Duration, Instant};

const W: u16 = 200;
const H: u16 = 50;

fn scrolled(mut m: Model) -> Model {
    let _ = update(&mut m, Action::PrevPane);
    for _ in 0..40 {
        let _ = update(&mut m, Action::PageUp);
    }
    m
}

fn frames(c: &mut Criterion) {
    let theme = Theme::default_theme();
    let area = Rect::new(0, 0, W, H);
    let big = big_model(300, 10_000, (W, H));
    let big_scrolled = scrolled(big.clone());
    let mut g = c.benchmark_group("frame_200x50");
    g.bench_function("empty (baseline)", |b| {
        let mut buf = Buffer::empty(area);
        b.iter(|| {
            buf.reset();
            black_box(&buf);
        })
    });
    g.bench_function("300 steps + 10k events, following", |b| {
        let mut buf = Buffer::empty(area);
        b.iter(|| {
            buf.reset();
            view::render(black_box(&big), &theme, area, &mut buf);
        })
    });
    g.bench_function("300 steps + 10k events, scrolled", |b| {
        let mut buf = Buffer::empty(area);
        b.iter(|| {
            buf.reset();
            view::render(black_box(&big_scrolled), &theme, area, &mut buf);
        })
    });
    g.bench_function("300 steps + 10k events, through Terminal::draw", |b| {
        let mut t = match Terminal::new(TestBackend::new(W, H)) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let mut flip = false;
        b.iter(|| {
            // Alternate focus so each frame differs and the diff has work to do.
            flip = !flip;
            let m = if flip { &big } else { &big_scrolled };
            let _ = t.draw(|f| view::render(m, &theme, f.area(), f.buffer_mut()));
        })
    });
    g.finish();
}

/// Mean time of `f` over enough runs to take ~300 ms.
fn mean(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_millis(300) || n < 10 {
        f();
        n += 1;
    }
    start.elapsed() / n
}

fn rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The numbers the design budgets, printed plainly after criterion's report.
fn summary() {
    let theme = Theme::default_theme();
    let area = Rect::new(0, 0, W, H);
    let big = big_model(300, 10_000, (W, H));
    let text = flightdeck::tui::fixture::big_checklist(300);
    let parse = mean(|| {
        let _ = black_box(flightdeck::checklist::Checklist::parse("big.toml", &text));
    });
    let events = big.state.events.clone();
    let fold = mean(|| {
        black_box(Model::new(
            &big.release,
            big.plan.clone(),
            &events,
            Role::Pilot,
            "jane",
            big.now,
        ));
    });
    let pure_fold = mean(|| {
        black_box(flightdeck::timeline::fold(&big.plan, &events));
    });
    let mut buf = Buffer::empty(area);
    let empty = mean(|| {
        buf.reset();
        black_box(&buf);
    });
    let frame = mean(|| {
        buf.reset();
        view::render(&big, &theme, area, &mut buf);
    });
    let mut refolded = big.clone();
    let refold = mean(|| refolded.refold(&events));
    // What the cockpit does per recorded event: a note after everything folds in on its own.
    let mut recording = big.clone();
    let last = events.iter().max_by_key(|e| e.at).expect("events").clone();
    let mut n = 0i64;
    let record = mean(|| {
        n += 1;
        let at = last.at + chrono::Duration::seconds(n);
        let note = flightdeck::timeline::Event {
            v: 1,
            id: flightdeck::timeline::EventId::from(format!("bench-note-{n:06}")),
            author: last.author.clone(),
            role: last.role,
            seq: u64::MAX / 2 + n as u64,
            at,
            observed_at: at,
            link: None,
            what: flightdeck::timeline::EventKind::Note {
                text: "recorded".into(),
            },
        };
        let _ = update(
            &mut recording,
            Action::Recorded(vec![std::sync::Arc::new(note)]),
        );
    });
    // Issue 15: the small screen, the filters and the search on the same model.
    let small = Rect::new(0, 0, 80, 24);
    let mut small_model = big.clone();
    let _ = update(&mut small_model, Action::Resize(80, 24));
    let mut small_buf = Buffer::empty(small);
    let frame_80x24 = mean(|| {
        small_buf.reset();
        view::render(&small_model, &theme, small, &mut small_buf);
    });
    let mut alarms = big.clone();
    for _ in 0..2 {
        let _ = update(&mut alarms, Action::Filter);
    }
    let frame_alarms = mean(|| {
        buf.reset();
        view::render(&alarms, &theme, area, &mut buf);
    });
    let mut searching = big.clone();
    let _ = update(&mut searching, Action::Search);
    let keystroke = mean(|| {
        // One letter typed and taken back: the live filter over every step and event, twice.
        let _ = update(&mut searching, Action::Type('x'));
        let _ = update(&mut searching, Action::Backspace);
    }) / 2;
    println!("\n== cockpit budgets (200×50, 300 steps, 10,000 events) ==");
    println!(
        "empty frame (baseline): {:>9.1} µs",
        empty.as_secs_f64() * 1e6
    );
    println!(
        "full frame:             {:>9.1} µs  = {:.0}× the empty frame, {:.1}% of the 2 ms budget",
        frame.as_secs_f64() * 1e6,
        frame.as_secs_f64() / empty.as_secs_f64().max(1e-9),
        frame.as_secs_f64() / 0.002 * 100.0
    );
    println!(
        "frame at 80×24:         {:>9.1} µs  = {:.0}× the empty 200×50 frame",
        frame_80x24.as_secs_f64() * 1e6,
        frame_80x24.as_secs_f64() / empty.as_secs_f64().max(1e-9)
    );
    println!(
        "frame, alarms only:     {:>9.1} µs  = {:.2}× the unfiltered frame (the view is cached)",
        frame_alarms.as_secs_f64() * 1e6,
        frame_alarms.as_secs_f64() / frame.as_secs_f64().max(1e-9)
    );
    println!(
        "search keystroke:       {:>9.1} ms  (filters 300 steps and 10,000 events live)",
        keystroke.as_secs_f64() * 1e3
    );
    println!(
        "parse the checklist:    {:>9.1} ms",
        parse.as_secs_f64() * 1e3
    );
    println!(
        "build the model:        {:>9.1} ms  (fold alone {:.1} ms; start budget 150 ms)",
        fold.as_secs_f64() * 1e3,
        pure_fold.as_secs_f64() * 1e3
    );
    println!(
        "re-fold, all events:    {:>9.1} ms",
        refold.as_secs_f64() * 1e3
    );
    println!(
        "record one event:       {:>9.3} ms  = {:.3}× the re-fold (folded on its own)",
        record.as_secs_f64() * 1e3,
        record.as_secs_f64() / refold.as_secs_f64().max(1e-9)
    );
    if let Some(mb) = rss_mb() {
        println!("resident now:           {mb:>9.1} MB  (this process, model and bench included)");
    }
    println!("draws while idle (1 s): {:>9}  (goal 0)", idle_draws(false));
    println!(
        "draws while idle with live probes (1 s, a poll of every probe each 100 ms): {}  (goal 0)",
        idle_draws(true)
    );
}

/// Runs the real driver for a second with nothing happening and counts frames
/// after the first (with `probes`, after the one showing them healthy): live
/// probes on a quiet world report a new `last_ok` and `next_poll` every poll.
fn idle_draws(probes: bool) -> u64 {
    use flightdeck::checklist::Checklist;
    use flightdeck::timeline::{Clock, Home};
    let Ok(dir) = tempfile::tempdir() else {
        return u64::MAX;
    };
    let Ok(checklist) = Checklist::parse("conda.toml", CONDA) else {
        return u64::MAX;
    };
    let clock = Clock::Fixed(at(10, 9, 0));
    let Ok(release) =
        Home::new(dir.path()).create(&checklist, CONDA, "26.11.0", "jane", clock.clone())
    else {
        return u64::MAX;
    };
    let Ok(log) = release.open_log("jane", Role::Pilot, clock.clone()) else {
        return u64::MAX;
    };
    let model = Model::new(
        &release.meta.id,
        release.plan.clone(),
        log.events(),
        Role::Pilot,
        "jane",
        clock.now(),
    );
    let terminal = Terminal::new(TestBackend::new(W, H)).unwrap_or_else(|e| match e {});
    let mut d = flightdeck::tui::app::Driver::new(
        terminal,
        model,
        Theme::default_theme(),
        flightdeck::store::Store::new(log),
        clock,
        Box::new(std::io::sink()),
    );
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return u64::MAX;
    };
    let (_tx, rx) = futures::channel::mpsc::unbounded();
    let ids: Vec<String> = release.plan.probes().iter().map(|p| p.id()).collect();
    let (ptx, prx) = tokio::sync::mpsc::channel(4096);
    let polls = async move {
        for poll in 0..10i64 {
            let t = at(10, 10, 0) + chrono::Duration::seconds(poll * 15);
            for id in &ids {
                let report = flightdeck::probe::ProbeReport {
                    probe: id.clone(),
                    health: flightdeck::probe::Health::Healthy,
                    last_ok: Some(t),
                    error: None,
                    summary: Some("nothing yet".into()),
                    next_poll: Some(t + chrono::Duration::seconds(15)),
                };
                let _ = ptx.send(flightdeck::probe::ProbeMsg::Report(report)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let shown_healthy = u64::from(probes);
    let _ = rt.block_on(async {
        if probes {
            d.run(rx, Some(prx), polls).await
        } else {
            d.run(rx, None, tokio::time::sleep(Duration::from_secs(1)))
                .await
        }
    });
    d.stats.draws.saturating_sub(1 + shown_healthy)
}

criterion_group!(benches, frames);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
