//! Draws the whole cockpit from borrowed state: the layout from
//! [`super::nav::areas_at`], then each pane, then any overlay.

use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use super::model::{Mode, Model};
use super::panes;
use super::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Renders the cockpit into `area` of `buf`.
pub fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let Some(a) = super::nav::areas_at(m, area.width, area.height) else {
        too_small(theme, area, buf);
        return;
    };
    // `areas` lays out from (0, 0); a frame always starts there.
    panes::header::render(m, theme, a.header, buf);
    if let Some(r) = a.checklist {
        panes::checklist::render(m, theme, r, buf);
    }
    if let Some(r) = a.probes {
        panes::probes::render(m, theme, r, buf);
    }
    if let Some(r) = a.detail {
        panes::detail::render(m, theme, r, buf);
    }
    if let Some(r) = a.timeline {
        panes::timeline::render(m, theme, r, buf);
    }
    panes::footer::render(m, theme, a.footer, buf);
    match m.ui.mode {
        Mode::Help => panes::help::render(m, theme, area, buf),
        Mode::Confirm { .. } | Mode::Input { .. } | Mode::Show { .. } => {
            panes::prompt::render(m, theme, area, buf)
        }
        // The search field is the status line.
        Mode::Normal | Mode::Search { .. } => {}
    }
}

fn too_small(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lines = vec![
        Line::from(Span::styled(
            "Terminal too small",
            theme.style(Role::Warning),
        )),
        Line::from(Span::styled(
            format!(
                "{}×{} — flightdeck needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
                area.width, area.height
            ),
            theme.style(Role::Text),
        )),
        Line::from(Span::styled(
            "Enlarge the window, or press q to quit.",
            theme.style(Role::Muted),
        )),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}
