//! Every terminal size from 0×0 to 250×80 draws without a panic, in every
//! pane and overlay; below the minimum the screen says how big it must be.

use flightdeck::crew::Role as Seat;
use flightdeck::tui::action::Action;
use flightdeck::tui::fixture::{big_model, sample_model};
use flightdeck::tui::layout::{MIN_HEIGHT, MIN_WIDTH};
use flightdeck::tui::model::Model;
use flightdeck::tui::theme::Theme;
use flightdeck::tui::update::update;
use flightdeck::tui::view;
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn draw(m: &mut Model, w: u16, h: u16) -> Buffer {
    let _ = update(m, Action::Resize(w, h));
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    view::render(m, &Theme::default_theme(), area, &mut buf);
    buf
}

fn text(buf: &Buffer) -> String {
    buf.content.iter().map(|c| c.symbol()).collect()
}

/// Puts the model in one of the states worth drawing.
fn setup(m: &mut Model, state: u8) {
    let keys: &[Action] = match state % 10 {
        0 => &[],
        1 => &[Action::NextPane],
        2 => &[Action::PrevPane, Action::Up, Action::Up],
        3 => &[Action::Help],
        4 => &[Action::Bottom, Action::Activate],
        5 => &[Action::Note, Action::Type('x')],
        6 => &[Action::Search, Action::Type('c'), Action::Type('o')],
        7 => &[Action::Filter, Action::Filter],
        8 => &[Action::NextPane, Action::Zoom],
        _ => &[Action::ZoomDetail, Action::Down],
    };
    for k in keys {
        let _ = update(m, k.clone());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_size_draws(w in 0u16..=250, h in 0u16..=80, seat in 0u8..3, state in 0u8..10) {
        let seat = [Seat::Pilot, Seat::Copilot, Seat::JumpSeat][usize::from(seat)];
        let mut m = sample_model(seat, (80, 24));
        setup(&mut m, state);
        let buf = draw(&mut m, w, h);
        if (w < MIN_WIDTH || h < MIN_HEIGHT) && w >= 40 && h >= 3 {
            prop_assert!(text(&buf).contains("Terminal too small"));
        }
    }
}

#[test]
fn edges_and_corners() {
    let mut m = sample_model(Seat::Pilot, (80, 24));
    let mut big = big_model(300, 2_000, (80, 24));
    for (w, h) in [
        (0, 0),
        (1, 1),
        (0, 80),
        (250, 0),
        (1, 80),
        (250, 1),
        (59, 15),
        (60, 16),
        (119, 40),
        (120, 40),
        (250, 80),
    ] {
        for state in 0..10 {
            setup(&mut m, state);
            let _ = draw(&mut m, w, h);
            setup(&mut big, state);
            let _ = draw(&mut big, w, h);
        }
    }
}

#[test]
fn too_small_names_the_size_it_needs() {
    let mut m = sample_model(Seat::Pilot, (80, 24));
    let s = text(&draw(&mut m, 50, 12));
    assert!(s.contains("50×12 — flightdeck needs at least 60×16"), "{s}");
    let s = text(&draw(&mut m, 60, 16));
    assert!(!s.contains("too small"), "60×16 is enough");
}
