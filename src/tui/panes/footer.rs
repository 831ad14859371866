//! The status line: the last message (a sign-off, a copy, a refusal), or the
//! keys that matter in the focused pane.

use super::fit;
use crate::crew::Role as Seat;
use crate::tui::model::{FlashKind, Model, Pane};
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    if let Some(text) = crate::tui::find::typing(m) {
        let q = text.trim().to_lowercase();
        let count = if q.is_empty() {
            String::new()
        } else {
            let steps =
                m.ui.rows
                    .iter()
                    .filter(|r| matches!(r, crate::tui::model::Row::Step(_)))
                    .count();
            let events = crate::tui::nav::tl_len(m);
            format!("  {steps} steps, {events} events")
        };
        let typed = fit(text, width / 2);
        let rest = width.saturating_sub(4 + unicode_width::UnicodeWidthStr::width(typed.as_str()));
        let line = Line::from(vec![
            Span::styled(" / ", theme.style(Role::Accent)),
            Span::styled(typed, theme.style(Role::Text)),
            Span::styled("▏", theme.style(Role::Accent)),
            Span::styled(
                whole_items(&format!("{count} · Enter jumps · Esc cancels"), rest),
                theme.style(Role::Muted),
            ),
        ]);
        Paragraph::new(line).render(area, buf);
        return;
    }
    let line = match &m.ui.flash {
        Some(f) => {
            let role = match f.kind {
                FlashKind::Info => Role::Text,
                FlashKind::Ok => Role::Ok,
                FlashKind::Error => Role::Failed,
            };
            let mark = match f.kind {
                FlashKind::Error => "✖ ",
                _ => "",
            };
            Line::from(Span::styled(
                fit(&format!(" {mark}{}", f.text), width),
                theme.style(role),
            ))
        }
        None if m.ui.search.is_some() => {
            let s =
                m.ui.search
                    .as_ref()
                    .map(|s| (s.query.as_str(), s.at + 1, s.count));
            let (q, at, n) = s.unwrap_or_default();
            Line::from(Span::styled(
                fit(
                    &format!(
                        " search “{q}”: match {at} of {n} · n/N next/previous · Esc ends the search"
                    ),
                    width,
                ),
                theme.style(Role::Accent),
            ))
        }
        None => {
            let keys = match (m.ui.focus.unwrap_or(Pane::Checklist), m.role) {
                (_, Seat::JumpSeat) => {
                    " read-only: jump seat — ? help · Tab pane · / search · F filter · z zoom · c/l copy · o open · q quit"
                }
                (Pane::Checklist, _) => {
                    " ? help · Tab pane · space sign off · u undo · s skip · n note · / search · F filter · z zoom · c/l copy · o open · e export · q quit"
                }
                (Pane::Timeline, _) => {
                    " ? help · Tab pane · ↑↓ scroll · f follow · * star · n note · / search · F filter · z zoom · l copy · o open · q quit"
                }
                (Pane::Probes, _) => {
                    " ? help · Tab pane · ↑↓ move · l copy link · o open · F alarms · z zoom · n note · q quit"
                }
            };
            Line::from(Span::styled(
                whole_items(keys, width),
                theme.style(Role::Muted),
            ))
        }
    };
    Paragraph::new(line).render(area, buf);
}

/// As many whole ` · `-separated items as fit: a key's word is never cut
/// (`?` lists them all).
fn whole_items(keys: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = String::new();
    for item in keys.split(" · ") {
        let next = if out.is_empty() {
            item.to_string()
        } else {
            format!("{out} · {item}")
        };
        if next.width() > width {
            break;
        }
        out = next;
    }
    out
}
