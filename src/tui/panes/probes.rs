//! The probe board: per package, tag and release, feedstock PRs with CI, and a
//! channel × subdir matrix saying since when the version is installable — with
//! the lag after the feedstock merge, so CDN propagation is visible.
//!
//! It fits any width without cutting a status word: ages and times go first,
//! then labels are shortened, and the channel matrix falls back from
//! `✔ 14:02 +1h05m` to `✔ 14:02` to the bare symbol. Skew warnings get rows
//! of their own, wrapped, so they are never cut at the border.

use super::{Seg, ago, duration, fit, fit_segs, frame, hm, pad, scroll_hint, selected, with_hint};
use crate::probe::Health;
use crate::timeline::CiState;
use crate::tui::board::{Cell, Line as BLine};
use crate::tui::model::{Model, Pane};
use crate::tui::theme::{Role, Theme};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

/// The widest label column (tag, release, PR, channel names).
const LABEL: usize = 28;

/// One drawn row of the board: the board line it belongs to and its pieces.
pub(crate) type Row = (usize, Vec<(String, Role)>);

/// How much a channel cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `✔ 14:02 +1h05m`
    Full,
    /// `✔ 14:02`
    Time,
    /// `✔`
    Symbol,
}

fn ci(state: Option<CiState>) -> (&'static str, Role) {
    match state {
        Some(CiState::Success) => ("CI ✔ passed", Role::Ok),
        Some(CiState::Failure) => ("CI ✖ failed", Role::Failed),
        Some(CiState::Pending) => ("CI ◔ running", Role::Pending),
        None => ("CI not reported", Role::Muted),
    }
}

/// The probe's health, if it is not fine: (text, role).
fn health(m: &Model, probe: &str) -> Option<(String, Role)> {
    let r = m.reports.get(probe)?;
    match r.health {
        Health::Failing => Some(("✖ probe failing".into(), Role::Failed)),
        Health::Degraded => Some(("◔ probe degraded".into(), Role::Pending)),
        Health::Healthy | Health::Finished => None,
    }
}

fn label(text: String, width: usize) -> Seg {
    Seg::Label {
        text: format!("  {} ", pad(&text, width.saturating_sub(3))),
        role: Role::Text,
        min: 6,
    }
}

fn status(text: impl Into<String>, role: Role) -> Seg {
    Seg::Status(text.into(), role)
}

fn extra(text: String, role: Role, rank: u8) -> Seg {
    Seg::Extra { text, role, rank }
}

/// A time and its age, as details that go when space is short.
fn when(m: &Model, t: DateTime<Utc>, role: Role) -> [Seg; 2] {
    [
        extra(format!(" {}", hm(t)), role, 2),
        extra(format!(" ({} ago)", ago(m.source_now(), t)), Role::Muted, 3),
    ]
}

fn cell_text(c: &Option<Cell>, merged: Option<DateTime<Utc>>, form: Form) -> (String, Role) {
    match (c, form) {
        (None, _) => (String::new(), Role::Muted),
        (Some(Cell::Available(_)), Form::Symbol) => ("✔".into(), Role::Ok),
        (Some(Cell::Available(t)), Form::Time) => (format!("✔ {}", hm(*t)), Role::Ok),
        (Some(Cell::Available(t)), Form::Full) => match merged {
            // Lag after the merge is what the crew waits on.
            Some(mt) => (
                format!("✔ {} +{}", hm(*t), duration((*t - mt).num_seconds())),
                Role::Ok,
            ),
            None => (format!("✔ {}", hm(*t)), Role::Ok),
        },
        (Some(Cell::NotYet), Form::Symbol) => ("○".into(), Role::Pending),
        (Some(Cell::NotYet), _) => ("○ not yet".into(), Role::Pending),
        (Some(Cell::Gone), Form::Symbol) => ("✖".into(), Role::Failed),
        (Some(Cell::Gone), _) => ("✖ gone".into(), Role::Failed),
        (Some(Cell::Broken), Form::Symbol) => ("✖".into(), Role::Failed),
        (Some(Cell::Broken), _) => ("✖ broken".into(), Role::Failed),
    }
}

/// Words of `text` wrapped to `width`, each row indented by `indent`.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let room = width.saturating_sub(indent).max(8);
    let mut rows: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        if !cur.is_empty() && cur.width() + 1 + word.width() > room {
            rows.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    rows.push(cur);
    rows.into_iter()
        .map(|r| format!("{}{}", " ".repeat(indent), fit(&r, room)))
        .collect()
}

/// The rows of one board line at a width (most lines are one row).
fn line_rows(
    m: &Model,
    line: &BLine,
    width: usize,
    lw: usize,
    cells: (Form, usize),
) -> Vec<Vec<(String, Role)>> {
    let mut segs: Vec<Seg> = Vec::new();
    let mut more: Vec<Vec<(String, Role)>> = Vec::new();
    match line {
        BLine::Package { name, repo } => {
            segs.push(status(name.clone(), Role::Accent));
            if !repo.is_empty() {
                segs.push(extra(format!("  {repo}"), Role::Muted, 1));
            }
        }
        BLine::Tag { tag, at, .. } => {
            segs.push(label(format!("tag {tag}"), lw));
            match at {
                Some(t) => {
                    segs.push(status("✔ tagged", Role::Ok));
                    segs.extend(when(m, *t, Role::Ok));
                }
                None => segs.push(status("○ not yet", Role::Pending)),
            }
        }
        BLine::Release {
            drafted, published, ..
        } => {
            segs.push(label("GitHub release".into(), lw));
            match (published, drafted) {
                (Some(t), _) => {
                    segs.push(status("✔ published", Role::Ok));
                    segs.extend(when(m, *t, Role::Ok));
                }
                (None, Some(t)) => {
                    segs.push(status("◔ draft", Role::Pending));
                    segs.push(extra(format!(" since {}", hm(*t)), Role::Pending, 2));
                }
                (None, None) => segs.push(status("○ not yet", Role::Pending)),
            }
        }
        BLine::Pr {
            label: l,
            pr,
            alarm,
            ..
        } => {
            segs.push(label(l.clone(), lw));
            match pr {
                None => segs.push(status("○ no PR yet", Role::Pending)),
                Some(p) => {
                    segs.push(extra(format!("#{} ", p.number), Role::Text, 1));
                    if let Some(t) = p.merged {
                        segs.push(status("✔ merged", Role::Ok));
                        segs.extend(when(m, t, Role::Ok));
                    } else if p.closed {
                        segs.push(status("✖ closed", Role::Failed));
                    } else {
                        segs.push(status("◔ open", Role::Pending));
                    }
                    // Unknown CI is worth saying only while the PR is open.
                    if p.ci.is_some() || (p.merged.is_none() && !p.closed) {
                        let (text, role) = ci(p.ci);
                        segs.push(status(format!(" · {text}"), role));
                    }
                }
            }
            if let Some(a) = alarm {
                segs.push(Seg::Label {
                    text: format!(" · ✖ {}", crate::export::sanitize::harmless_line(a)),
                    role: Role::Failed,
                    min: 4,
                });
            }
        }
        BLine::Ci {
            reference, state, ..
        } => {
            segs.push(label(format!("CI {reference}"), lw));
            let (text, role) = ci(*state);
            segs.push(status(text, role));
        }
        BLine::Subdirs(subdirs) => {
            let mut row = vec![(
                format!("  {} ", pad("channel", lw.saturating_sub(3))),
                Role::Muted,
            )];
            for s in subdirs {
                row.push((pad(s, cells.1.saturating_sub(1)) + " ", Role::Muted));
            }
            return vec![row];
        }
        BLine::Channel {
            channel,
            cells: cs,
            merged,
            ..
        } => {
            let mut row = vec![(
                format!("  {} ", pad(channel, lw.saturating_sub(3))),
                Role::Text,
            )];
            for c in cs {
                let (text, role) = cell_text(c, *merged, cells.0);
                row.push((pad(&text, cells.1), role));
            }
            // The probe's health before the merge's age: a red probe matters more.
            let health = line
                .probe()
                .and_then(|p| health(m, p))
                .map(|(t, r)| (format!("  {t}"), r));
            let tail = merged.map(|mt| {
                (
                    format!("PR merged {} ago", ago(m.source_now(), mt)),
                    Role::Muted,
                )
            });
            let fits = |row: &Vec<(String, Role)>, t: &str| {
                row.iter().map(|(t, _)| t.width()).sum::<usize>() + t.width() <= width
            };
            match (tail, health) {
                (Some(t), Some(h)) if fits(&row, &format!("{}{}", t.0, h.0)) => {
                    row.push(t);
                    row.push(h);
                }
                (_, Some(h)) if fits(&row, &h.0) => row.push(h),
                (Some(t), None) if fits(&row, &t.0) => row.push(t),
                (_, Some(h)) => {
                    // No room beside the cells: the health gets a row of its own.
                    return vec![row, vec![(format!("  {}", h.0.trim_start()), h.1)]];
                }
                _ => {}
            }
            return vec![row];
        }
        BLine::Pypi {
            package,
            at,
            yanked,
            ..
        } => {
            segs.push(label(format!("PyPI {package}"), lw));
            match (at, yanked) {
                (_, true) => segs.push(status("✖ yanked", Role::Failed)),
                (Some(t), false) => {
                    segs.push(status("✔ uploaded", Role::Ok));
                    segs.extend(when(m, *t, Role::Ok));
                }
                (None, false) => segs.push(status("○ not yet", Role::Pending)),
            }
        }
        BLine::Spread { tagged, channels } => {
            use crate::timeline::availability::{channel_skew, tag_to_first_channel};
            segs.push(label("spread".into(), lw));
            let first = tagged.and_then(|t| tag_to_first_channel(t, channels));
            let (text, role) = match (first, tagged) {
                // A record's timestamp is its build time, which can precede the tag.
                (Some(f), _) if f.lag.num_seconds() < 0 => (
                    format!(
                        "first on {}, built {} before the tag",
                        f.channel,
                        duration(-f.lag.num_seconds())
                    ),
                    Role::Ok,
                ),
                (Some(f), _) => (
                    format!(
                        "tag → first channel {} ({})",
                        duration(f.lag.num_seconds()),
                        f.channel
                    ),
                    Role::Ok,
                ),
                (None, Some(t)) => (
                    format!(
                        "on no channel yet, {} after the tag",
                        ago(m.source_now(), *t)
                    ),
                    Role::Pending,
                ),
                (None, None) => ("not tagged yet".into(), Role::Muted),
            };
            segs.push(Seg::Label { text, role, min: 8 });
            for skew in channel_skew(channels, m.source_now(), crate::tui::model::SKEW_THRESHOLD) {
                let text = format!(
                    "⚠ skew: {} {} behind {}",
                    skew.behind,
                    duration(skew.lag.num_seconds()),
                    skew.ahead
                );
                more.extend(
                    wrap(&text, width, 4)
                        .into_iter()
                        .map(|r| vec![(r, Role::Warning)]),
                );
            }
        }
        BLine::Radar { issues, .. } => {
            segs.push(label("new issues".into(), lw));
            let failing = line
                .probe()
                .and_then(|p| m.reports.get(p))
                .is_some_and(|r| r.health == Health::Failing);
            if *issues == 0 && failing {
                // A radar that cannot look has not seen "none".
                segs.push(status("? unknown", Role::Warning));
                segs.push(extra(": the radar is failing".into(), Role::Warning, 1));
            } else if *issues == 0 {
                segs.push(status("✔ none", Role::Ok));
                segs.push(extra(" mention this version".into(), Role::Ok, 1));
            } else {
                segs.push(status(format!("✖ {issues}"), Role::Failed));
                segs.push(extra(" mention this version".into(), Role::Failed, 1));
            }
        }
    }
    if let Some((text, role)) = line.probe().and_then(|p| health(m, p)) {
        segs.push(status(format!("  {text}"), role));
    }
    let mut rows = vec![fit_segs(segs, width)];
    rows.extend(more);
    rows
}

/// The board as drawn at a width: every shown line's rows, in order. The
/// cursor and the scroll offset are kept in these rows ([`crate::tui::nav`]).
pub(crate) fn rows(m: &Model, width: usize) -> Vec<Row> {
    let lw = (width * 2 / 5).clamp(14, LABEL).min(width);
    let columns = m
        .board
        .lines
        .iter()
        .filter_map(|l| match l {
            BLine::Subdirs(s) => Some(s.len()),
            _ => None,
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let room = width.saturating_sub(lw);
    let cells = if room >= columns * 17 {
        (Form::Full, 17)
    } else if room >= columns * 10 {
        (Form::Time, 10)
    } else {
        (Form::Symbol, (room / columns).clamp(2, 10))
    };
    let mut out = Vec::new();
    for l in crate::tui::nav::board_lines(m) {
        if let Some(line) = m.board.lines.get(l) {
            out.extend(
                line_rows(m, line, width, lw, cells)
                    .into_iter()
                    .map(|r| (l, r)),
            );
        }
    }
    out
}

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let focused = m.ui.focus == Some(Pane::Probes);
    let title = match m.ui.filter {
        crate::tui::find::Filter::Alarms => " Probes · alarms only ".to_string(),
        _ => " Probes ".to_string(),
    };
    let block = frame(title, focused, theme);
    let inner = block.inner(area);
    if m.board.lines.is_empty() {
        block.render(area, buf);
        Paragraph::new(Span::styled(
            "this checklist declares no probes",
            theme.style(Role::Muted),
        ))
        .render(inner, buf);
        return;
    }
    let height = usize::from(inner.height);
    let rows = rows(m, usize::from(inner.width));
    let offset = m.ui.board_offset.min(rows.len().saturating_sub(1));
    let below = rows.len().saturating_sub(offset + height);
    let block = with_hint(block, scroll_hint(offset, below), theme);
    block.render(area, buf);
    if rows.is_empty() {
        Paragraph::new(Span::styled(
            "no probe is in alarm — F for the next filter",
            theme.style(Role::Muted),
        ))
        .render(inner, buf);
        return;
    }
    let lines: Vec<Line> = rows
        .into_iter()
        .skip(offset)
        .take(height)
        .map(|(l, spans)| {
            let on = focused && l == m.ui.board_cursor;
            Line::from(
                spans
                    .into_iter()
                    .map(|(t, r)| Span::styled(t, selected(theme.style(r), on, theme)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
