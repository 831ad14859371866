//! Modal prompts: the y/n confirmation before a sign-off, and the one-line
//! text field for notes and reasons. The keys sit in the bottom border, so
//! they stay visible however long the text above them wraps.

use super::{centered, fit};
use crate::tui::model::{Mode, Model};
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = area.width.min(90);
    let inner_w = usize::from(width.saturating_sub(2)).max(1);
    let (title, keys, mut lines) = match &m.ui.mode {
        Mode::Confirm {
            step,
            verb,
            reasons,
            ..
        } => {
            let s = m.plan.steps.get(*step);
            let question = match s {
                _ if *step == crate::tui::update::CLOSE_QUESTION => {
                    format!("Close {} as shipped?", m.release)
                }
                Some(s) => format!("{verb} `{}`?", s.id.0),
                None => format!("{verb}?"),
            };
            let mut lines = vec![Line::from(Span::styled(question, theme.style(Role::Title)))];
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
            let keys = if *verb == "Sign off" {
                " y sign off · n cancel "
            } else if *verb == "Close" {
                " y shipped · n not yet "
            } else {
                " y yes · n cancel "
            };
            (" Confirm ", keys, lines)
        }
        Mode::Input { purpose, text } => {
            // Show the end of a long text: that is where the cursor is.
            let shown: String = {
                let n = text.chars().count();
                let skip = n.saturating_sub(inner_w.saturating_sub(3));
                text.chars().skip(skip).collect()
            };
            let lines = vec![
                Line::from(Span::styled(
                    purpose.prompt(&m.plan),
                    theme.style(Role::Title),
                )),
                Line::from(vec![
                    Span::styled("> ", theme.style(Role::Accent)),
                    Span::styled(shown, theme.style(Role::Text)),
                    Span::styled("▏", theme.style(Role::Accent)),
                ]),
            ];
            (" Text ", " Enter saves · Esc cancels ", lines)
        }
        Mode::Show { title, text } => {
            let lines = vec![
                Line::from(Span::styled(title.clone(), theme.style(Role::Title))),
                Line::from(Span::styled(
                    crate::export::sanitize::harmless_line(text).into_owned(),
                    theme.style(Role::Accent),
                )),
            ];
            (" Copy ", " any key closes ", lines)
        }
        _ => return,
    };
    if let Some(f) = &m.ui.flash {
        lines.push(Line::from(Span::styled(
            fit(&f.text, inner_w),
            theme.style(Role::Failed),
        )));
    }
    // Wrapped height, so nothing is cut at the bottom.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let h = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let r = centered(area, width, h);
    Clear.render(r, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(Line::from(Span::styled(keys, theme.style(Role::Accent))));
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(r, buf);
}
