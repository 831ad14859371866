//! Issue 15, items 4 and 5, in `update` and the views: search, filters, zoom,
//! opening links, alerts, and a screen that fits 80×24 without cutting a
//! status word.

use super::action::{Action, Effect, Outcome};
use super::find::Filter;
use super::fixture::{Events, now, sample_model};
use super::layout::Zoom;
use super::model::{Mode, Model, Pane, Row};
use super::theme::Theme;
use super::update::update;
use crate::crew::Role;
use crate::timeline::{CiState, EventKind, Fact};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        let _ = update(m, Action::Type(c));
    }
}

fn step_ids(m: &Model) -> Vec<String> {
    m.ui.rows
        .iter()
        .filter_map(|r| match r {
            Row::Step(i) => Some(m.plan.steps[*i].id.0.clone()),
            Row::Phase(_) => None,
        })
        .collect()
}

fn selected_id(m: &Model) -> Option<String> {
    m.selected_step().map(|i| m.plan.steps[i].id.0.clone())
}

/// The screen as rows of text.
fn screen(m: &mut Model, w: u16, h: u16) -> Vec<String> {
    let _ = update(m, Action::Resize(w, h));
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    super::view::render(m, &Theme::monochrome(), area, &mut buf);
    buf.content
        .chunks(usize::from(w))
        .map(|r| r.iter().map(|c| c.symbol()).collect::<String>())
        .collect()
}

/// Status words as the cockpit writes them: none may appear cut (a proper
/// prefix followed by `…`, a border or the end of a row).
pub(crate) const STATUS_WORDS: &[&str] = &[
    "✔ published",
    "✔ tagged",
    "✔ merged",
    "✔ uploaded",
    "✔ passed",
    "✔ none",
    "○ not yet",
    "○ no PR yet",
    "◔ draft",
    "◔ open",
    "◔ running",
    "✖ failed",
    "✖ closed",
    "✖ broken",
    "✖ gone",
    "✖ yanked",
    "probe failing",
    "probe degraded",
    "gate: not today",
    "skipped",
    "override",
];

pub(crate) fn cut_status_words(rows: &[String]) -> Vec<String> {
    let mut cut = Vec::new();
    for row in rows {
        let chars: Vec<char> = row.chars().collect();
        for word in STATUS_WORDS {
            let w: Vec<char> = word.chars().collect();
            let shortest = if w[0].is_alphanumeric() { 4 } else { 3 };
            for len in shortest..w.len() {
                let prefix: String = w[..len].iter().collect();
                let mut from = 0;
                while let Some(i) = row[from..].find(&prefix) {
                    let at = row[..from + i].chars().count() + prefix.chars().count();
                    let next = chars.get(at).copied();
                    let before = (from + i)
                        .checked_sub(1)
                        .and_then(|b| row.get(b..from + i))
                        .and_then(|s| s.chars().last());
                    // A word start (not the middle of another word) cut at a border, `…` or the edge.
                    let starts = before.is_none_or(|c| !c.is_alphanumeric());
                    if starts && matches!(next, None | Some('…' | '│' | '┃' | '║')) {
                        cut.push(format!("{prefix}… in {row:?}"));
                    }
                    from += i + prefix.len();
                }
            }
        }
    }
    cut
}

#[test]
fn typing_a_search_filters_enter_jumps_and_n_walks_the_matches() {
    let mut m = sample_model(Role::Pilot, (120, 36));
    let before = m.ui.rows.len();
    let _ = update(&mut m, Action::Search);
    typed(&mut m, "feedstock");
    assert_eq!(step_ids(&m), ["cf-feedstock", "ar-feedstock"]);
    let events =
        m.ui.timeline_view
            .clone()
            .expect("the timeline is filtered");
    assert!(!events.is_empty() && events.len() < m.state.timeline.len());
    // Enter jumps to the first match from the selection on, and shows everything again.
    let _ = update(&mut m, Action::Submit);
    assert_eq!(m.ui.mode, Mode::Normal);
    assert_eq!(m.ui.rows.len(), before, "the whole checklist again");
    assert!(m.ui.search.is_some());
    let here = |m: &Model| match m.ui.focus {
        Some(Pane::Timeline) => (m.ui.focus, None, m.selected_timeline()),
        _ => (m.ui.focus, selected_id(m), None),
    };
    let first = here(&m);
    let said =
        m.ui.flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
    assert!(said.contains("match") && said.contains("n/N"), "{said}");
    // n walks on (through the steps, then the events), N comes back.
    let _ = update(&mut m, Action::NextMatch);
    let second = here(&m);
    assert_ne!(first, second);
    let _ = update(&mut m, Action::PrevMatch);
    assert_eq!(here(&m), first);
    // Esc ends the search; n is a note again.
    let _ = update(&mut m, Action::Cancel);
    assert!(m.ui.search.is_none());
}

#[test]
fn n_is_next_match_only_while_a_search_is_on() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut m = sample_model(Role::Pilot, (120, 36));
    let n = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(matches!(
        super::action::key_action(&m, &n),
        Some(Action::Note)
    ));
    let _ = update(&mut m, Action::Search);
    typed(&mut m, "docs");
    let _ = update(&mut m, Action::Submit);
    assert!(matches!(
        super::action::key_action(&m, &n),
        Some(Action::NextMatch)
    ));
}

#[test]
fn esc_in_the_search_field_restores_the_list_and_the_cursor() {
    let mut m = sample_model(Role::Pilot, (120, 36));
    let (rows, cursor) = (m.ui.rows.clone(), m.ui.cursor);
    let _ = update(&mut m, Action::Search);
    typed(&mut m, "zzz-nothing");
    assert!(step_ids(&m).is_empty());
    let s = screen(&mut m, 120, 36).join("\n");
    assert!(s.contains("no step matches"), "{s}");
    assert!(
        s.contains("/ zzz-nothing"),
        "the field is the status line:\n{s}"
    );
    let _ = update(&mut m, Action::Cancel);
    assert_eq!((m.ui.rows.clone(), m.ui.cursor), (rows, cursor));
    let _ = update(&mut m, Action::Search);
    typed(&mut m, "zzz-nothing");
    let _ = update(&mut m, Action::Submit);
    assert!(
        m.ui.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("no step or event matches"))
    );
}

#[test]
fn filters_cycle_my_steps_alarms_and_starred() {
    let mut m = sample_model(Role::Copilot, (120, 36));
    let _ = update(&mut m, Action::Filter);
    assert_eq!(m.ui.filter, Filter::MySteps);
    let ids = step_ids(&m);
    assert!(ids.contains(&"cf-feedstock".to_string()), "{ids:?}");
    assert!(
        ids.contains(&"docs".to_string()),
        "anyone's steps are mine too"
    );
    assert!(
        !ids.contains(&"merge-back".to_string()),
        "the pilot's are not"
    );
    let _ = update(&mut m, Action::Filter);
    assert_eq!(m.ui.filter, Filter::Alarms);
    let alarms = m.ui.timeline_view.clone().expect("filtered");
    assert!(!alarms.is_empty());
    assert!(alarms.iter().all(|&p| super::find::event_alarm(&m, p)));
    // The bug filed against the release is an alarm.
    assert!(alarms.iter().any(|&p| {
        let e = &m.state.events[m.state.timeline[p]];
        matches!(
            &e.what,
            EventKind::Observed {
                fact: Fact::IssueFiled { .. },
                ..
            }
        )
    }));
    let board = m.ui.board_view.clone().expect("filtered");
    assert!(board.len() < m.board.lines.len());
    let _ = update(&mut m, Action::Filter);
    assert_eq!(m.ui.filter, Filter::Starred);
    let starred = m.ui.timeline_view.clone().expect("filtered");
    assert_eq!(starred.len(), m.state.starred.len());
    let s = screen(&mut m, 120, 36).join("\n");
    assert!(
        s.contains("1 starred · following") || s.contains("starred"),
        "{s}"
    );
    let _ = update(&mut m, Action::Filter);
    assert_eq!(m.ui.filter, Filter::All);
    assert!(m.ui.timeline_view.is_none() && m.ui.board_view.is_none());
}

#[test]
fn zoom_gives_one_pane_the_screen_and_back() {
    let mut m = sample_model(Role::Pilot, (80, 24));
    let _ = update(&mut m, Action::Zoom);
    assert_eq!(m.ui.zoom, Some(Zoom::Pane(Pane::Checklist)));
    let a = super::nav::areas(&m).expect("fits");
    assert!(a.probes.is_none() && a.timeline.is_none() && a.detail.is_none());
    assert_eq!(a.checklist.map(|r| r.height), Some(24 - 4));
    // Tab hands the screen to the next pane.
    let _ = update(&mut m, Action::NextPane);
    assert_eq!(m.ui.zoom, Some(Zoom::Pane(Pane::Probes)));
    let _ = update(&mut m, Action::Zoom);
    assert_eq!(m.ui.zoom, None);
    let _ = update(&mut m, Action::ZoomDetail);
    assert_eq!(m.ui.zoom, Some(Zoom::Detail));
    let _ = update(&mut m, Action::Cancel);
    assert_eq!(m.ui.zoom, None, "Esc leaves a zoom");
}

#[test]
fn o_opens_the_selected_link_and_without_an_opener_shows_it() {
    let mut m = sample_model(Role::JumpSeat, (120, 36));
    m.ui.focus = Some(Pane::Timeline);
    let url = m
        .state
        .events
        .iter()
        .rev()
        .find_map(|e| e.link.clone())
        .expect("a linked event");
    let _ = update(&mut m, Action::Bottom);
    let fx = update(&mut m, Action::Open);
    assert_eq!(fx, vec![Effect::Open(url.to_string())]);
    let _ = update(
        &mut m,
        Action::Outcome(Outcome::NotOpened {
            url: url.to_string(),
            why: "no browser opener found (xdg-open)".into(),
        }),
    );
    match &m.ui.mode {
        Mode::Show { title, text } => {
            assert_eq!(text, &url);
            assert!(title.contains("no browser opener found"), "{title}");
        }
        other => panic!("the link is not shown: {other:?}"),
    }
}

fn failing_ci() -> Vec<crate::timeline::Event> {
    let mut ev = Events::default();
    ev.observe(
        now(),
        "feedstock_pr AnacondaRecipes/conda-feedstock@26.11.0",
        "https://github.com/AnacondaRecipes/conda-feedstock/pull/89",
        Fact::PrChecks {
            repo: "AnacondaRecipes/conda-feedstock".into(),
            number: 89,
            sha: "0000aa".into(),
            state: CiState::Failure,
        },
    );
    ev.events[0].id = crate::timeline::EventId::from("ci-fails");
    ev.events
}

#[test]
fn alerts_are_opt_in_and_name_what_happened() {
    let mut m = sample_model(Role::Pilot, (120, 36));
    assert!(
        update(
            &mut m,
            Action::Recorded(failing_ci().into_iter().map(std::sync::Arc::new).collect())
        )
        .is_empty(),
        "off by default"
    );
    let mut m = sample_model(Role::Pilot, (120, 36));
    m.ui.notify = true;
    let fx = update(
        &mut m,
        Action::Recorded(failing_ci().into_iter().map(std::sync::Arc::new).collect()),
    );
    match fx.as_slice() {
        [Effect::Notify(text)] => assert!(text.starts_with("CI failed"), "{text}"),
        other => panic!("no alert: {other:?}"),
    }
    // The same event again is nothing new.
    assert!(
        update(
            &mut m,
            Action::Recorded(failing_ci().into_iter().map(std::sync::Arc::new).collect())
        )
        .is_empty()
    );
    // Nor is the same failure seen a minute later by the co-pilot's probe
    // (another event of the same fact, which the timeline does not show).
    let mut again = failing_ci();
    again[0].id = crate::timeline::EventId::from("ci-fails-seen-by-bob");
    again[0].at += chrono::Duration::minutes(1);
    let shown = m.state.timeline.len();
    let fx = update(
        &mut m,
        Action::Recorded(again.into_iter().map(std::sync::Arc::new).collect()),
    );
    assert_eq!(
        m.state.timeline.len(),
        shown,
        "a repeated fact is not shown"
    );
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn a_step_becoming_yours_rings() {
    let mut m = sample_model(Role::Copilot, (120, 36));
    m.ui.notify = true;
    // The pilot signs off merge-back; docs (anyone's) was already ready, so
    // find a copilot step whose needs are about to complete.
    let waiting: Vec<usize> = (0..m.plan.steps.len())
        .filter(|&i| {
            super::notify::owns(Role::Copilot, m.plan.steps[i].role)
                && matches!(
                    m.state.steps[i].status,
                    crate::timeline::StepStatus::Blocked { .. }
                )
        })
        .collect();
    let Some(&target) = waiting.first() else {
        panic!("the sample has a blocked copilot step");
    };
    let mut ev = Events::default();
    for need in m.plan.steps[target].needs.clone() {
        let i = m.plan.step_index(&need).expect("a step");
        if !m.state.steps[i].status.is_complete() {
            ev.push(
                "jane",
                Role::Pilot,
                now(),
                None,
                EventKind::StepSkipped {
                    step: need.clone(),
                    reason: "test".into(),
                },
            );
        }
    }
    for (n, e) in ev.events.iter_mut().enumerate() {
        e.id = crate::timeline::EventId::from(format!("unblock{n}"));
    }
    let fx = update(
        &mut m,
        Action::Recorded(ev.events.into_iter().map(std::sync::Arc::new).collect()),
    );
    let title = &m.plan.steps[target].title;
    if matches!(
        m.state.steps[target].status,
        crate::timeline::StepStatus::Ready
    ) {
        assert!(
            fx.iter().any(
                |f| matches!(f, Effect::Notify(t) if t.contains("your step is ready") && t.contains(title.as_str()))
            ),
            "{fx:?}"
        );
    }
}

#[test]
fn no_status_word_is_cut_at_the_three_sizes_in_any_pane() {
    for (w, h) in [(80, 24), (120, 36), (160, 45)] {
        for seat in [Role::Pilot, Role::JumpSeat] {
            let mut m = sample_model(seat, (w, h));
            for pane in [Pane::Checklist, Pane::Probes, Pane::Timeline] {
                m.ui.focus = Some(pane);
                let rows = screen(&mut m, w, h);
                let cut = cut_status_words(&rows);
                assert!(
                    cut.is_empty(),
                    "{w}x{h} {pane:?}: {cut:#?}\n{}",
                    rows.join("\n")
                );
                let s = rows.join("\n");
                assert!(s.contains("Probes"), "{w}x{h}: the board is on screen");
                assert!(
                    s.contains("conda-forge"),
                    "{w}x{h}: the channel rows are on screen:\n{s}"
                );
            }
        }
    }
}

#[test]
fn hidden_rows_are_announced_and_the_detail_shows_the_whole_title_and_sign_off() {
    let mut m = sample_model(Role::Pilot, (80, 24));
    let s = screen(&mut m, 80, 24).join("\n");
    assert!(s.contains("more"), "a scroll hint at 80×24:\n{s}");
    // The detail pane, zoomed: the whole title, who signed off and when.
    let i = m
        .plan
        .steps
        .iter()
        .position(|s| s.id.0 == "cut-branch")
        .expect("step");
    m.ui.cursor =
        m.ui.rows
            .iter()
            .position(|r| *r == Row::Step(i))
            .expect("row");
    let _ = update(&mut m, Action::ZoomDetail);
    let s = screen(&mut m, 80, 24).join("\n");
    assert!(s.contains(&m.plan.steps[i].title), "{s}");
    assert!(s.contains("signed by jane at 2026-11-09 14:30 UTC"), "{s}");
}

#[test]
fn the_cut_detector_catches_a_cut() {
    assert!(!cut_status_words(&["│ ✔ publis│".to_string()]).is_empty());
    assert!(!cut_status_words(&["○ not ye…".to_string()]).is_empty());
    assert!(cut_status_words(&["✔ published │ not yet".to_string()]).is_empty());
}
