//! Modal prompts: the y/n confirmation before a sign-off, and the one-line
//! text field for notes and reasons.

use super::{centered, fit};
use crate::tui::model::{Mode, Model};
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

pub fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let (title, mut lines) = match &m.ui.mode {
        Mode::Confirm { step, reasons } => {
            let s = m.plan.steps.get(*step);
            let mut lines = vec![Line::from(Span::styled(
                format!("Sign off `{}`?", s.map(|s| s.id.0.as_str()).unwrap_or("?")),
                theme.style(Role::Title),
            ))];
            if let Some(s) = s {
                lines.push(Line::from(Span::styled(
                    s.title.clone(),
                    theme.style(Role::Text),
                )));
            }
            for r in reasons {
                lines.push(Line::from(Span::styled(
                    format!("  • {r}"),
                    theme.style(Role::Warning),
                )));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled(" y ", theme.style(Role::Accent)),
                Span::styled("sign off    ", theme.style(Role::Text)),
                Span::styled(" n ", theme.style(Role::Accent)),
                Span::styled("cancel", theme.style(Role::Text)),
            ]));
            (" Confirm ", lines)
        }
        Mode::Input { purpose, text } => {
            let width = usize::from(area.width.min(90)).saturating_sub(6);
            // Show the end of a long text: that is where the cursor is.
            let shown: String = {
                let n = text.chars().count();
                let skip = n.saturating_sub(width.saturating_sub(2));
                text.chars().skip(skip).collect()
            };
            let lines = vec![
                Line::from(Span::styled(
                    fit(&purpose.prompt(&m.plan), width),
                    theme.style(Role::Title),
                )),
                Line::from(vec![
                    Span::styled("> ", theme.style(Role::Accent)),
                    Span::styled(shown, theme.style(Role::Text)),
                    Span::styled("▏", theme.style(Role::Accent)),
                ]),
                Line::from(Span::styled(
                    "Enter saves · Esc cancels",
                    theme.style(Role::Muted),
                )),
            ];
            (" Text ", lines)
        }
        _ => return,
    };
    if let Some(f) = &m.ui.flash {
        lines.push(Line::from(Span::styled(
            f.text.clone(),
            theme.style(Role::Failed),
        )));
    }
    let h = lines.len() as u16 + 2;
    let r = centered(area, 90, h);
    Clear.render(r, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(title, theme.style(Role::Title)));
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(r, buf);
}
