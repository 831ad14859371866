//! One module per pane. Each draws from borrowed state (`&Model`, `&Theme`)
//! into a buffer region and never mutates anything.

pub(crate) mod checklist;
pub(crate) mod detail;
pub(crate) mod footer;
pub(crate) mod header;
pub(crate) mod help;
pub(crate) mod probes;
pub(crate) mod prompt;
pub(crate) mod timeline;

use super::theme::{Role, Theme};
use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};
use unicode_width::UnicodeWidthStr;

/// A pane's frame; the focused pane gets a thick accent border so focus
/// never depends on colour alone.
pub(crate) fn frame<'a>(title: String, focused: bool, theme: &Theme) -> Block<'a> {
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
pub(crate) fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    duration((now - then).num_seconds())
}

/// A signed span of seconds, compactly (negative spans, from clock skew, read as `now`).
pub(crate) fn duration(secs: i64) -> String {
    match secs {
        s if s < 1 => "now".into(),
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// `HH:MM` (UTC).
pub(crate) fn hm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// Cuts text to a display width, marking the cut with `…`.
pub(crate) fn fit(text: &str, width: usize) -> String {
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
pub(crate) fn pad(text: &str, width: usize) -> String {
    let t = fit(text, width);
    let w = t.width();
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

/// One piece of a line that must fit a width, by what it may lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A status word with its symbol (`✔ published`, `○ not yet`): kept whole.
    Status(String, Role),
    /// A name or label: cut with `…` when nothing else can go (never below `min` columns).
    Label {
        text: String,
        role: Role,
        min: usize,
    },
    /// A detail (a time, an age): dropped whole when space is short, the
    /// highest `rank` first.
    Extra { text: String, role: Role, rank: u8 },
}

impl Seg {
    fn text(&self) -> &str {
        match self {
            Seg::Status(t, _) | Seg::Label { text: t, .. } | Seg::Extra { text: t, .. } => t,
        }
    }
}

/// Fits pieces to a width without cutting a status word: details go first
/// (whole), then labels are shortened; only a status wider than the whole
/// line is cut.
pub(crate) fn fit_segs(mut segs: Vec<Seg>, width: usize) -> Vec<(String, Role)> {
    let total = |segs: &[Seg]| segs.iter().map(|s| s.text().width()).sum::<usize>();
    while total(&segs) > width {
        let drop = segs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Seg::Extra { rank, .. } => Some((*rank, i)),
                _ => None,
            })
            .max();
        match drop {
            Some((_, i)) => {
                segs.remove(i);
            }
            None => break,
        }
    }
    let mut over = total(&segs).saturating_sub(width);
    // The last label first: a trailing title goes before the line's name.
    for s in segs.iter_mut().rev() {
        if over == 0 {
            break;
        }
        if let Seg::Label { text, min, .. } = s {
            let w = text.width();
            let keep = w.saturating_sub(over).max(*min).min(w);
            if keep < w {
                // A padded label keeps one space after its cut.
                let room = if text.ends_with(' ') {
                    keep.saturating_sub(1)
                } else {
                    keep
                };
                let trimmed = fit(text.trim_end(), room);
                over -= w - keep;
                *text = format!(
                    "{trimmed}{}",
                    " ".repeat(keep.saturating_sub(trimmed.width()))
                );
            }
        }
    }
    segs.into_iter()
        .map(|s| match s {
            Seg::Status(t, r)
            | Seg::Label {
                text: t, role: r, ..
            }
            | Seg::Extra {
                text: t, role: r, ..
            } => (t, r),
        })
        .collect()
}

/// The hint in a pane's bottom border when rows are hidden: `↓ 3 more`
/// (and `↑ 2 more` above), so a cut-off list never looks complete.
pub(crate) fn scroll_hint(above: usize, below: usize) -> Option<String> {
    match (above, below) {
        (0, 0) => None,
        (a, 0) => Some(format!(" ↑ {a} more ")),
        (0, b) => Some(format!(" ↓ {b} more ")),
        (a, b) => Some(format!(" ↑ {a} · ↓ {b} more ")),
    }
}

/// Puts a scroll hint in a frame's bottom border, on the right.
pub(crate) fn with_hint<'a>(block: Block<'a>, hint: Option<String>, theme: &Theme) -> Block<'a> {
    match hint {
        Some(h) => block.title_bottom(
            ratatui::text::Line::from(Span::styled(h, theme.style(Role::Accent))).right_aligned(),
        ),
        None => block,
    }
}

/// The style of a row: the selection on top of its own style.
pub(crate) fn selected(style: Style, on: bool, theme: &Theme) -> Style {
    if on {
        style.patch(theme.style(Role::Selection))
    } else {
        style
    }
}

/// A rectangle centered in `area`, at most `w`×`h`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
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
    fn fitting_pieces_drops_details_before_cutting_a_status_word() {
        let segs = || {
            vec![
                Seg::Label {
                    text: "  GitHub release      ".into(),
                    role: Role::Text,
                    min: 6,
                },
                Seg::Status("✔ published".into(), Role::Ok),
                Seg::Extra {
                    text: " 14:02".into(),
                    role: Role::Ok,
                    rank: 1,
                },
                Seg::Extra {
                    text: " (5m ago)".into(),
                    role: Role::Muted,
                    rank: 2,
                },
            ]
        };
        let joined = |w| -> String { fit_segs(segs(), w).into_iter().map(|s| s.0).collect() };
        assert_eq!(
            joined(60),
            "  GitHub release      ✔ published 14:02 (5m ago)"
        );
        assert_eq!(joined(40), "  GitHub release      ✔ published 14:02");
        assert_eq!(joined(33), "  GitHub release      ✔ published");
        assert_eq!(joined(20), "  GitHu… ✔ published");
        assert_eq!(joined(20).width(), 20);
        assert!(joined(12).contains("✔ published"), "{}", joined(12));
        assert_eq!(scroll_hint(0, 0), None);
        assert_eq!(scroll_hint(0, 3).as_deref(), Some(" ↓ 3 more "));
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
