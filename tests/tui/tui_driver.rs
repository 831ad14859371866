//! The driver, headless: a real log on disk, `TestBackend` for the screen, a
//! channel for keys. It draws nothing while idle, picks up events another
//! process appends, coalesces a burst of probe reports, and writes what the
//! keys ask for.

use flightdeck::checklist::Checklist;
use flightdeck::crew::Role;
use flightdeck::probe::{Health, ProbeMsg, ProbeReport};
use flightdeck::timeline::{Clock, EventKind, EventLog, Home, Release};
use flightdeck::tui::app::Driver;
use flightdeck::tui::fixture::{CONDA, at};
use flightdeck::tui::model::Model;
use flightdeck::tui::theme::Theme;
use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

fn release(dir: &std::path::Path) -> Release {
    let checklist = Checklist::parse("checklists/conda.toml", CONDA).expect("parses");
    Home::new(dir)
        .create(
            &checklist,
            CONDA,
            "26.11.0",
            "jane",
            Clock::Fixed(at(10, 9, 0)),
        )
        .expect("created")
}

fn driver(release: &Release, role: Role) -> Driver<TestBackend> {
    let clock = Clock::Fixed(at(10, 10, 0));
    let me = if role == Role::Pilot { "jane" } else { "sam" };
    let log = release.open_log(me, role, clock.clone()).expect("log");
    let model = Model::new(
        &release.meta.id,
        release.plan.clone(),
        log.events(),
        role,
        me,
        clock.now(),
    );
    let terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut d = Driver::new(
        terminal,
        model,
        Theme::default_theme(),
        flightdeck::store::Store::new(log),
        clock,
        Box::new(std::io::sink()),
    );
    d.release = Some(release.clone());
    d
}

fn key(tx: &UnboundedSender<std::io::Result<Event>>, code: KeyCode) {
    let _ = tx.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
}

fn screen(d: &Driver<TestBackend>) -> String {
    let buf = d.terminal.backend().buffer();
    buf.content.iter().map(|c| c.symbol()).collect()
}

#[tokio::test]
async fn idle_means_no_frames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = release(dir.path());
    let mut d = driver(&r, Role::Pilot);
    let (tx, rx) = unbounded();
    let quit = async {
        // Three log refreshes and two clock ticks happen in here; nothing changes.
        tokio::time::sleep(Duration::from_millis(1700)).await;
    };
    d.run(rx, None, quit).await.expect("runs");
    drop(tx);
    println!(
        "draws while idle for 1.7 s: {} (the first frame only)",
        d.stats.draws
    );
    assert_eq!(d.stats.draws, 1, "only the first frame");
    assert_eq!(d.stats.refolds, 0);
}

#[tokio::test]
async fn another_process_signing_off_shows_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = release(dir.path());
    let mut d = driver(&r, Role::JumpSeat);
    let (_tx, rx) = unbounded();
    let path = r.events_path();
    let other = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        // `flightdeck step done release-issue` in another terminal.
        let (mut log, _) =
            EventLog::open(&path, "jane", Role::Pilot, Clock::Fixed(at(10, 10, 1))).expect("open");
        let plan = &r.plan;
        let state = flightdeck::timeline::fold(plan, log.events());
        let book = flightdeck::timeline::Book::new(plan, &state, at(10, 10, 1));
        let what = EventKind::StepDone {
            step: "release-issue".into(),
            note: None,
        };
        let permit = flightdeck::timeline::judge(&book, Role::Pilot, what)
            .confirmed()
            .expect("the pilot may sign it off");
        log.append(permit).expect("append");
        tokio::time::sleep(Duration::from_millis(900)).await;
    };
    d.run(rx, None, other).await.expect("runs");
    assert_eq!(d.stats.refolds, 1, "one re-fold for one new event");
    assert_eq!(d.stats.draws, 2, "the first frame and one for the change");
    assert_eq!(d.model.state.progress().0, 1);
    let s = screen(&d);
    assert!(s.contains("jane 10:01"), "the sign-off is on screen: {s}");
}

#[tokio::test]
async fn a_burst_of_probe_reports_is_one_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = release(dir.path());
    let mut d = driver(&r, Role::Pilot);
    let (_tx, rx) = unbounded();
    let (ptx, prx) = tokio::sync::mpsc::channel(256);
    let probes = r.plan.probes().iter().map(|p| p.id()).collect::<Vec<_>>();
    for round in 0..20 {
        for p in &probes {
            let health = if round == 19 && p.starts_with("channel defaults") {
                Health::Failing
            } else {
                Health::Healthy
            };
            ptx.send(ProbeMsg::Report(ProbeReport {
                probe: p.clone(),
                health,
                last_ok: None,
                error: None,
                summary: Some(format!("round {round}")),
                next_poll: None,
            }))
            .await
            .expect("queued");
        }
    }
    let quit = tokio::time::sleep(Duration::from_millis(300));
    d.run(rx, Some(prx), quit).await.expect("runs");
    println!("{} reports → {} frames", 20 * probes.len(), d.stats.draws);
    assert!(d.stats.draws <= 3, "{} frames for one burst", d.stats.draws);
    assert_eq!(d.model.health_counts(), (probes.len() - 1, 0, 1));
    assert!(screen(&d).contains("1 failing"));
}

/// Types the keys 30 ms apart (so frames are drawn between them), then quits.
async fn play(d: &mut Driver<TestBackend>, keys: &[KeyCode]) {
    let (tx, rx) = unbounded();
    let typing = async {
        for k in keys {
            key(&tx, *k);
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    d.run(rx, None, typing).await.expect("runs");
}

#[tokio::test]
async fn keys_write_to_the_log_and_the_jump_seat_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = release(dir.path());
    let mut d = driver(&r, Role::Pilot);
    // The cursor starts on the pilot's next step: release-issue (pilot-only: confirm).
    let mut keys = vec![KeyCode::Char(' '), KeyCode::Char('y'), KeyCode::Char('n')];
    keys.extend("hello".chars().map(KeyCode::Char));
    keys.extend([KeyCode::Enter, KeyCode::Char('e')]);
    play(&mut d, &keys).await;
    let (events, _) = EventLog::read(&r.events_path()).expect("read");
    assert!(events.iter().any(
        |e| matches!(&e.what, EventKind::StepDone { step, .. } if step.0 == "release-issue")
            && e.author == "jane"
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.what, EventKind::Note { text } if text == "hello"))
    );
    // `e` wrote the post-mortem beside the log, with the note in its timeline.
    assert!(
        screen(&d).contains("exported the post-mortem to"),
        "{}",
        screen(&d)
    );
    let postmortem = std::fs::read_to_string(r.dir.join("conda-26.11.0-postmortem.md"))
        .expect("the post-mortem file exists");
    assert!(postmortem.contains("Note by @jane: hello"), "{postmortem}");

    let before = std::fs::read(r.events_path()).expect("bytes");
    let mut d = driver(&r, Role::JumpSeat);
    let keys: Vec<KeyCode> = [' ', 'u', 's', 'n', '\t', '\t', ' ', '*']
        .iter()
        .map(|&k| {
            if k == '\t' {
                KeyCode::Tab
            } else {
                KeyCode::Char(k)
            }
        })
        .collect();
    play(&mut d, &keys).await;
    assert!(screen(&d).contains("read-only: jump seat"));
    assert_eq!(
        std::fs::read(r.events_path()).expect("bytes"),
        before,
        "the jump seat changed the log"
    );
}
