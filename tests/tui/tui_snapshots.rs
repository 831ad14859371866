//! What the crew sees: snapshots of the cockpit (ratatui's `TestBackend`) for
//! each pane, each seat, both sizes, the overlays and the too-small screen.
//! Colours are checked by meaning: a "role map" says which semantic role
//! coloured each cell, and the dark and light themes must agree on it.

use flightdeck::crew::Role as Seat;
use flightdeck::tui::action::Action;
use flightdeck::tui::board::Line as BoardLine;
use flightdeck::tui::fixture::sample_model;
use flightdeck::tui::model::{Model, Pane, Row};
use flightdeck::tui::theme::{Role, Theme};
use flightdeck::tui::update::update;
use flightdeck::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

fn buffer(m: &Model, theme: &Theme) -> Buffer {
    let (w, h) = m.ui.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| view::render(m, theme, f.area(), f.buffer_mut()))
        .expect("draws");
    t.backend().buffer().clone()
}

/// The screen as text, trailing blanks trimmed.
fn text(buf: &Buffer) -> String {
    let w = usize::from(buf.area.width);
    buf.content
        .chunks(w.max(1))
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn screen(m: &Model) -> String {
    text(&buffer(m, &Theme::default_theme()))
}

/// Which role coloured each cell: `.` text, `m` muted, `a` accent, `o` ok,
/// `p` pending, `f` failed, `b` blocked, `w` warning, `*` star, `-` border,
/// `P`/`C`/`J` seat badges, `#` the selection; blank cells stay blank.
fn role_map(buf: &Buffer, theme: &Theme) -> String {
    let legend = [
        (Role::Pilot, 'P'),
        (Role::Copilot, 'C'),
        (Role::JumpSeat, 'J'),
        (Role::Failed, 'f'),
        (Role::Warning, 'w'),
        (Role::Star, '*'),
        (Role::Ok, 'o'),
        (Role::Pending, 'p'),
        (Role::Blocked, 'b'),
        (Role::Accent, 'a'),
        (Role::Border, '-'),
        (Role::Muted, 'm'),
        (Role::Text, '.'),
    ];
    let sel_bg = theme.style(Role::Selection).bg;
    let w = usize::from(buf.area.width);
    buf.content
        .chunks(w.max(1))
        .map(|row| {
            row.iter()
                .map(|c| {
                    if sel_bg.is_some() && Some(c.bg) == sel_bg {
                        return '#';
                    }
                    if c.symbol() == " " && c.bg == ratatui::style::Color::Reset {
                        return ' ';
                    }
                    legend
                        .iter()
                        .find(|(r, _)| {
                            let s = theme.style(*r);
                            s.fg.is_some_and(|fg| fg == c.fg) && s.bg.is_none_or(|bg| bg == c.bg)
                        })
                        .map(|(_, ch)| *ch)
                        .unwrap_or('?')
                })
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn select_step(m: &mut Model, id: &str) {
    let i = m
        .plan
        .steps
        .iter()
        .position(|s| s.id.0 == id)
        .expect("step");
    m.ui.cursor =
        m.ui.rows
            .iter()
            .position(|r| *r == Row::Step(i))
            .expect("shown");
    let _ = update(m, Action::Resize(m.ui.size.0, m.ui.size.1));
}

#[test]
fn pilot_80x24() {
    insta::assert_snapshot!(
        "pilot_dark_80x24",
        screen(&sample_model(Seat::Pilot, (80, 24)))
    );
}

#[test]
fn pilot_200x50() {
    insta::assert_snapshot!(
        "pilot_dark_200x50",
        screen(&sample_model(Seat::Pilot, (200, 50)))
    );
}

#[test]
fn copilot_200x50() {
    insta::assert_snapshot!(
        "copilot_dark_200x50",
        screen(&sample_model(Seat::Copilot, (200, 50)))
    );
}

#[test]
fn jump_seat_200x50() {
    insta::assert_snapshot!(
        "jump_seat_dark_200x50",
        screen(&sample_model(Seat::JumpSeat, (200, 50)))
    );
}

#[test]
fn jump_seat_trying_to_sign_off_80x24() {
    let mut m = sample_model(Seat::JumpSeat, (80, 24));
    select_step(&mut m, "docs");
    let _ = update(&mut m, Action::Activate);
    let s = screen(&m);
    assert!(
        s.lines()
            .last()
            .is_some_and(|l| l.contains("read-only: jump seat")),
        "{s}"
    );
    insta::assert_snapshot!("jump_seat_refused_80x24", s);
}

#[test]
fn copilot_refused_a_pilot_step_80x24() {
    let mut m = sample_model(Seat::Copilot, (80, 24));
    select_step(&mut m, "merge-back");
    let _ = update(&mut m, Action::Activate);
    insta::assert_snapshot!("copilot_refused_80x24", screen(&m));
}

#[test]
fn probe_board_focused_200x50() {
    let mut m = sample_model(Seat::Pilot, (200, 50));
    let _ = update(&mut m, Action::NextPane);
    // The degraded `defaults` row: the detail pane shows its error.
    m.ui.board_cursor = m
        .board
        .lines
        .iter()
        .position(|l| matches!(l, BoardLine::Channel { channel, .. } if channel == "defaults"))
        .expect("a defaults row");
    insta::assert_snapshot!("probes_focused_200x50", screen(&m));
}

#[test]
fn probe_board_focused_takes_more_of_the_right_column_80x24() {
    let mut m = sample_model(Seat::Copilot, (80, 24));
    let _ = update(&mut m, Action::NextPane);
    assert_eq!(m.ui.focus, Some(Pane::Probes));
    insta::assert_snapshot!("probes_focused_80x24", screen(&m));
}

#[test]
fn timeline_focused_on_a_starred_event_200x50() {
    let mut m = sample_model(Seat::Copilot, (200, 50));
    let _ = update(&mut m, Action::PrevPane);
    assert_eq!(m.ui.focus, Some(Pane::Timeline));
    for _ in 0..5 {
        let _ = update(&mut m, Action::Up);
    }
    insta::assert_snapshot!("timeline_focused_200x50", screen(&m));
}

#[test]
fn help_overlay_80x24() {
    let mut m = sample_model(Seat::Pilot, (80, 24));
    let _ = update(&mut m, Action::Help);
    insta::assert_snapshot!("help_pilot_checklist_80x24", screen(&m));
}

#[test]
fn help_overlay_marks_read_only_keys_for_the_jump_seat_200x50() {
    let mut m = sample_model(Seat::JumpSeat, (200, 50));
    let _ = update(&mut m, Action::PrevPane);
    let _ = update(&mut m, Action::Help);
    let s = screen(&m);
    assert!(
        s.contains("star / unstar the event  (read-only: jump seat)"),
        "{s}"
    );
    insta::assert_snapshot!("help_jump_seat_timeline_200x50", s);
}

#[test]
fn confirm_a_pilot_step_80x24() {
    let mut m = sample_model(Seat::Pilot, (80, 24));
    select_step(&mut m, "handoff");
    let _ = update(&mut m, Action::Activate);
    insta::assert_snapshot!("confirm_handoff_80x24", screen(&m));
}

#[test]
fn override_reason_field_200x50() {
    let mut m = sample_model(Seat::Pilot, (200, 50));
    select_step(&mut m, "on-defaults");
    let _ = update(&mut m, Action::Activate);
    for c in "the packaging team confirmed the upload".chars() {
        let _ = update(&mut m, Action::Type(c));
    }
    insta::assert_snapshot!("override_field_200x50", screen(&m));
}

#[test]
fn too_small() {
    let m = sample_model(Seat::Pilot, (40, 10));
    insta::assert_snapshot!("too_small_40x10", screen(&m));
}

#[test]
fn dark_role_map_80x24() {
    let m = sample_model(Seat::Pilot, (80, 24));
    let dark = Theme::default_theme();
    insta::assert_snapshot!("rolemap_dark_80x24", role_map(&buffer(&m, &dark), &dark));
}

#[test]
fn light_agrees_with_dark_on_every_meaning_80x24() {
    let m = sample_model(Seat::Pilot, (80, 24));
    let dark = Theme::default_theme();
    let (light, warnings) = Theme::load(Some("light"), None);
    assert!(warnings.is_empty());
    assert_ne!(
        light.style(Role::Text),
        dark.style(Role::Text),
        "light is not dark"
    );
    let light_map = role_map(&buffer(&m, &light), &light);
    assert!(
        !light_map.contains('?'),
        "a cell coloured outside the theme:\n{light_map}"
    );
    assert_eq!(light_map, role_map(&buffer(&m, &dark), &dark));
    insta::assert_snapshot!("rolemap_light_80x24", light_map);
    // Same words in either theme.
    assert_eq!(text(&buffer(&m, &light)), screen(&m));
}

#[test]
fn no_color_is_readable_monochrome() {
    let m = sample_model(Seat::Pilot, (200, 50));
    let mono = buffer(&m, &Theme::monochrome());
    let colours: Vec<_> = mono
        .content
        .iter()
        .filter(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset)
        .collect();
    assert!(
        colours.is_empty(),
        "{} coloured cells under NO_COLOR",
        colours.len()
    );
    // The words and symbols are the same as in colour: status never depends on colour.
    let s = text(&mono);
    assert_eq!(s, screen(&m));
    for symbol in ["✔", "○", "·", "★", "▶", "◔"] {
        assert!(s.contains(symbol), "no {symbol} on the monochrome screen");
    }
}

#[test]
fn search_typing_filters_both_lists_80x24() {
    let mut m = sample_model(Seat::Pilot, (80, 24));
    let _ = update(&mut m, Action::Search);
    for c in "feedstock".chars() {
        let _ = update(&mut m, Action::Type(c));
    }
    let s = screen(&m);
    assert!(s.contains("/ feedstock"), "{s}");
    insta::assert_snapshot!("search_feedstock_80x24", s);
}

#[test]
fn board_zoomed_and_alarms_only_80x24() {
    let mut m = sample_model(Seat::Pilot, (80, 24));
    let _ = update(&mut m, Action::NextPane);
    let _ = update(&mut m, Action::Zoom);
    let s = screen(&m);
    assert!(s.contains("defaults") && !s.contains("Checklist"), "{s}");
    insta::assert_snapshot!("board_zoomed_80x24", s);
    for _ in 0..2 {
        let _ = update(&mut m, Action::Filter);
    }
    insta::assert_snapshot!("board_zoomed_alarms_only_80x24", screen(&m));
}

#[test]
fn copy_without_osc52_shows_the_text_160x45() {
    let mut m = sample_model(Seat::Pilot, (160, 45));
    m.ui.osc52 = false;
    let _ = update(&mut m, Action::CopyCommand);
    let s = screen(&m);
    assert!(s.contains("git switch main"), "{s}");
    insta::assert_snapshot!("copy_shown_160x45", s);
}

#[test]
fn detail_zoomed_160x45() {
    let mut m = sample_model(Seat::Pilot, (160, 45));
    select_step(&mut m, "test-rc");
    let _ = update(&mut m, Action::ZoomDetail);
    let s = screen(&m);
    assert!(s.contains("signed by"), "{s}");
    insta::assert_snapshot!("detail_zoomed_160x45", s);
}
