//! One module per pane. Each draws from borrowed state (`&Model`, `&Theme`)
//! into a buffer region and never mutates anything.

pub mod checklist;
pub mod detail;
pub mod footer;
pub mod header;
pub mod help;
pub mod probes;
pub mod prompt;
pub mod timeline;

use super::theme::{Role, Theme};
use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};
use unicode_width::UnicodeWidthStr;

/// A pane's frame; the focused pane gets a thick accent border so focus
/// never depends on colour alone.
pub fn frame<'a>(title: String, focused: bool, theme: &Theme) -> Block<'a> {
    let (border, kind) = if focused {
        (theme.style(Role::BorderFocus), BorderType::Thick)
    } else {
        (theme.style(Role::Border), BorderType::Plain)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(border)
        .title(Span::styled(
            title,
            if focused {
                theme.style(Role::Title)
            } else {
                theme.style(Role::Muted)
            },
        ))
}

/// How long ago, compactly: `now`, `42s`, `5m`, `2h05m`, `3d4h`.
pub fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    duration((now - then).num_seconds())
}

/// A signed span of seconds, compactly (negative spans, from clock skew, read as `now`).
pub fn duration(secs: i64) -> String {
    match secs {
        s if s < 1 => "now".into(),
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// `HH:MM` (UTC).
pub fn hm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// Cuts text to a display width, marking the cut with `…`.
pub fn fit(text: &str, width: usize) -> String {
    // Every pane fits its text to a width: the one door to the screen for logins,
    // titles and notes from outside.
    let text = crate::export::sanitize::harmless_line(text);
    let text = text.as_ref();
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Pads (or cuts) text to exactly a display width.
pub fn pad(text: &str, width: usize) -> String {
    let t = fit(text, width);
    let w = t.width();
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

/// The style of a row: the selection on top of its own style.
pub fn selected(style: Style, on: bool, theme: &Theme) -> Style {
    if on {
        style.patch(theme.style(Role::Selection))
    } else {
        style
    }
}

/// A rectangle centered in `area`, at most `w`×`h`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(-5), "now");
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(7500), "2h05m");
        assert_eq!(duration(3 * 86_400 + 4 * 3600 + 5), "3d4h");
    }

    #[test]
    fn fitting_marks_the_cut() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(fit("✔✔✔✔", 3), "✔✔…");
    }
}
