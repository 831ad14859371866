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

pub fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
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
        None => {
            let keys = match (m.ui.focus.unwrap_or(Pane::Checklist), m.role) {
                (_, Seat::JumpSeat) => {
                    " ? help · Tab pane · ↑↓ move · c/l copy · e export · q quit — read-only: jump seat"
                }
                (Pane::Checklist, _) => {
                    " ? help · Tab pane · space sign off · u undo · s skip · n note · c/l copy · e export · q quit"
                }
                (Pane::Timeline, _) => {
                    " ? help · Tab pane · ↑↓ scroll · f follow · * star · n note · l copy link · q quit"
                }
                (Pane::Probes, _) => " ? help · Tab pane · ↑↓ move · l copy link · n note · q quit",
            };
            Line::from(Span::styled(fit(keys, width), theme.style(Role::Muted)))
        }
    };
    Paragraph::new(line).render(area, buf);
}
