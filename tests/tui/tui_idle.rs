//! Idle work (issue 16): with live probes on a quiet world, a report whose
//! `last_ok` and `next_poll` moved but whose shown parts did not draws nothing.

use chrono::Duration as Span;
use flightdeck::checklist::Checklist;
use flightdeck::crew::Role;
use flightdeck::probe::{Health, ProbeMsg, ProbeReport};
use flightdeck::timeline::{Clock, Home};
use flightdeck::tui::app::Driver;
use flightdeck::tui::fixture::{CONDA, at};
use flightdeck::tui::model::Model;
use flightdeck::tui::theme::Theme;
use futures::channel::mpsc::unbounded;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

fn report(probe: &str, poll: i64, health: Health) -> ProbeMsg {
    let t = at(10, 10, 0) + Span::seconds(poll * 15);
    ProbeMsg::Report(ProbeReport {
        probe: probe.to_string(),
        health,
        last_ok: Some(t),
        error: None,
        summary: Some("nothing yet".into()),
        next_poll: Some(t + Span::seconds(15)),
    })
}

async fn run_with_polls(polls: i64, fail_last: bool) -> (u64, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let checklist = Checklist::parse("checklists/conda.toml", CONDA).expect("parses");
    let clock = Clock::Fixed(at(10, 10, 0));
    let release = Home::new(dir.path())
        .create(&checklist, CONDA, "26.11.0", "jane", clock.clone())
        .expect("created");
    let log = release
        .open_log("jane", Role::Pilot, clock.clone())
        .expect("log");
    let model = Model::new(
        &release.meta.id,
        release.plan.clone(),
        log.events(),
        Role::Pilot,
        "jane",
        clock.now(),
    );
    let terminal = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
    let mut d = Driver::new(
        terminal,
        model,
        Theme::default_theme(),
        flightdeck::store::Store::new(log),
        clock,
        Box::new(std::io::sink()),
    );
    let probes: Vec<String> = release.plan.probes().iter().map(|p| p.id()).collect();
    let (_tx, rx) = unbounded();
    let (ptx, prx) = tokio::sync::mpsc::channel(1024);
    let feed = async move {
        for poll in 0..polls {
            for p in &probes {
                let health = if fail_last && poll == polls - 1 {
                    Health::Failing
                } else {
                    Health::Healthy
                };
                let _ = ptx.send(report(p, poll, health)).await;
            }
            // Apart, so each poll could be a frame of its own.
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    d.run(rx, Some(prx), feed).await.expect("runs");
    let screen: String = d
        .terminal
        .backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol())
        .collect();
    (d.stats.draws, screen)
}

#[tokio::test]
async fn live_probes_on_a_quiet_world_draw_nothing_after_they_first_report() {
    let (draws, screen) = run_with_polls(12, false).await;
    println!("12 polls of every probe on a quiet world → {draws} frames");
    // The first frame, and the one that shows the probes as healthy.
    assert!(draws <= 2, "{draws} frames while nothing shown changed");
    assert!(screen.contains("healthy"), "{screen}");
}

#[tokio::test]
async fn a_report_that_changes_what_is_shown_still_draws() {
    let (draws, screen) = run_with_polls(6, true).await;
    assert!(draws >= 2, "{draws}");
    assert!(screen.contains("failing"), "{screen}");
    assert!(!screen.contains("✖ 0 failing"), "{screen}");
}
