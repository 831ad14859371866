//! The help overlay (`?`): every key of the focused pane, from the same table
//! the keymap uses. In the jump seat, keys that would write are marked.

use super::centered;
use crate::crew::Role as Seat;
use crate::tui::action::{MODE_KEYS, bindings_for};
use crate::tui::model::{Model, Pane};
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

/// The help text for a pane, as (keys, what they do).
pub(crate) fn entries(pane: Pane, seat: Seat) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = bindings_for(pane)
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
            let mut help = b.help.to_string();
            if b.mutates && seat == Seat::JumpSeat {
                help.push_str("  (read-only: jump seat)");
            }
            (keys.join(" / "), help)
        })
        .collect();
    out.extend(
        MODE_KEYS
            .iter()
            .map(|(k, h)| (k.to_string(), h.to_string())),
    );
    out
}

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let pane = m.ui.focus.unwrap_or(Pane::Checklist);
    let entries = entries(pane, m.role);
    let h = (entries.len() as u16).saturating_add(2);
    let r = centered(area, 78, h);
    // On a short terminal the list scrolls (↑↓), and the border says what is hidden.
    let rows = usize::from(r.height.saturating_sub(2));
    let offset = m.ui.help_offset.min(entries.len().saturating_sub(rows));
    let below = entries.len().saturating_sub(offset + rows);
    Clear.render(r, buf);
    let name = match pane {
        Pane::Checklist => "checklist",
        Pane::Probes => "probe board",
        Pane::Timeline => "timeline",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(
            format!(" Keys — {name} · any key closes "),
            theme.style(Role::Title),
        ));
    let block = super::with_hint(
        block,
        super::scroll_hint(offset, below).map(|h| format!("{}· ↑↓ scroll ", h)),
        theme,
    );
    let lines: Vec<Line> = entries
        .into_iter()
        .skip(offset)
        .map(|(k, h)| {
            Line::from(vec![
                Span::styled(format!(" {k:<22}"), theme.style(Role::Accent)),
                Span::styled(h, theme.style(Role::Text)),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(r, buf);
}
