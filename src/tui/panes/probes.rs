//! The probe board: per package, tag and release, feedstock PRs with CI, and a
//! channel × subdir matrix saying since when the version is installable — with
//! the lag after the feedstock merge, so CDN propagation is visible.

use super::{ago, duration, frame, hm, pad, selected};
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

const LABEL: usize = 24;
const CELL: usize = 17;

fn ci(state: Option<CiState>) -> (&'static str, Role) {
    match state {
        Some(CiState::Success) => ("CI ✔ passed", Role::Ok),
        Some(CiState::Failure) => ("CI ✖ failed", Role::Failed),
        Some(CiState::Pending) => ("CI ◔ running", Role::Pending),
        None => ("CI not reported", Role::Muted),
    }
}

fn when(m: &Model, t: DateTime<Utc>) -> String {
    format!("{} ({} ago)", hm(t), ago(m.source_now(), t))
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

/// The spans of one board line (without selection).
pub fn spans(m: &Model, line: &BLine, theme: &Theme) -> Vec<(String, Role)> {
    let mut out: Vec<(String, Role)> = Vec::new();
    match line {
        BLine::Package { name, repo } => {
            out.push((name.clone(), Role::Accent));
            if !repo.is_empty() {
                out.push((format!("  {repo}"), Role::Muted));
            }
        }
        BLine::Tag { tag, at, .. } => {
            out.push((
                format!("  {}", pad(&format!("tag {tag}"), LABEL)),
                Role::Text,
            ));
            match at {
                Some(t) => out.push((format!("✔ tagged {}", when(m, *t)), Role::Ok)),
                None => out.push(("○ not yet".into(), Role::Pending)),
            }
        }
        BLine::Release {
            drafted, published, ..
        } => {
            out.push((format!("  {}", pad("GitHub release", LABEL)), Role::Text));
            match (published, drafted) {
                (Some(t), _) => out.push((format!("✔ published {}", when(m, *t)), Role::Ok)),
                (None, Some(t)) => out.push((format!("◔ draft since {}", hm(*t)), Role::Pending)),
                (None, None) => out.push(("○ not yet".into(), Role::Pending)),
            }
        }
        BLine::Pr {
            label, pr, alarm, ..
        } => {
            out.push((format!("  {} ", pad(label, LABEL - 1)), Role::Text));
            match pr {
                None => out.push(("○ no PR yet".into(), Role::Pending)),
                Some(p) => {
                    out.push((format!("#{} ", p.number), Role::Text));
                    if let Some(t) = p.merged {
                        out.push((format!("✔ merged {}", when(m, t)), Role::Ok));
                    } else if p.closed {
                        out.push(("✖ closed".into(), Role::Failed));
                    } else {
                        out.push(("◔ open".into(), Role::Pending));
                    }
                    // Unknown CI is worth saying only while the PR is open.
                    if p.ci.is_some() || (p.merged.is_none() && !p.closed) {
                        let (text, role) = ci(p.ci);
                        out.push((format!(" · {text}"), role));
                    }
                }
            }
            if let Some(a) = alarm {
                out.push((format!(" · ✖ {a}"), Role::Failed));
            }
        }
        BLine::Ci {
            reference, state, ..
        } => {
            out.push((
                format!("  {}", pad(&format!("CI {reference}"), LABEL)),
                Role::Text,
            ));
            let (text, role) = ci(*state);
            out.push((text.to_string(), role));
        }
        BLine::Subdirs(subdirs) => {
            out.push((format!("  {}", pad("channel", LABEL)), Role::Muted));
            for s in subdirs {
                out.push((pad(s, CELL), Role::Muted));
            }
        }
        BLine::Channel {
            channel,
            cells,
            merged,
            ..
        } => {
            out.push((format!("  {}", pad(channel, LABEL)), Role::Text));
            for c in cells {
                let (text, role) = match c {
                    None => ("".to_string(), Role::Muted),
                    Some(Cell::Available(t)) => match merged {
                        // Lag after the merge is what the crew waits on.
                        Some(mt) => (
                            format!("✔ {} +{}", hm(*t), duration((*t - *mt).num_seconds())),
                            Role::Ok,
                        ),
                        None => (format!("✔ {}", hm(*t)), Role::Ok),
                    },
                    Some(Cell::NotYet) => ("○ not yet".into(), Role::Pending),
                    Some(Cell::Gone) => ("✖ gone".into(), Role::Failed),
                    Some(Cell::Broken) => ("✖ broken".into(), Role::Failed),
                };
                out.push((pad(&text, CELL), role));
            }
            if let Some(mt) = merged {
                out.push((
                    format!("PR merged {} ago", ago(m.source_now(), *mt)),
                    Role::Muted,
                ));
            }
        }
        BLine::Pypi {
            package,
            at,
            yanked,
            ..
        } => {
            out.push((
                format!("  {}", pad(&format!("PyPI {package}"), LABEL)),
                Role::Text,
            ));
            match (at, yanked) {
                (_, true) => out.push(("✖ yanked".into(), Role::Failed)),
                (Some(t), false) => out.push((format!("✔ uploaded {}", when(m, *t)), Role::Ok)),
                (None, false) => out.push(("○ not yet".into(), Role::Pending)),
            }
        }
        BLine::Spread { tagged, channels } => {
            use crate::timeline::availability::{channel_skew, tag_to_first_channel};
            out.push((format!("  {}", pad("spread", LABEL)), Role::Text));
            let first = tagged.and_then(|t| tag_to_first_channel(t, channels));
            match (first, tagged) {
                // A record's timestamp is its build time, which can precede the tag.
                (Some(f), _) if f.lag.num_seconds() < 0 => out.push((
                    format!(
                        "first on {}, built {} before the tag",
                        f.channel,
                        duration(-f.lag.num_seconds())
                    ),
                    Role::Ok,
                )),
                (Some(f), _) => out.push((
                    format!(
                        "tag → first channel {} ({})",
                        duration(f.lag.num_seconds()),
                        f.channel
                    ),
                    Role::Ok,
                )),
                (None, Some(t)) => out.push((
                    format!(
                        "on no channel yet, {} after the tag",
                        ago(m.source_now(), *t)
                    ),
                    Role::Pending,
                )),
                (None, None) => out.push(("not tagged yet".into(), Role::Muted)),
            }
            for skew in channel_skew(channels, m.source_now(), crate::tui::model::SKEW_THRESHOLD) {
                out.push((
                    format!(
                        "  ⚠ skew: {} {} behind {}",
                        skew.behind,
                        duration(skew.lag.num_seconds()),
                        skew.ahead
                    ),
                    Role::Warning,
                ));
            }
        }
        BLine::Radar { issues, .. } => {
            out.push((format!("  {}", pad("new issues", LABEL)), Role::Text));
            let failing = line
                .probe()
                .and_then(|p| m.reports.get(p))
                .is_some_and(|r| r.health == crate::probe::Health::Failing);
            if *issues == 0 && failing {
                // A radar that cannot look has not seen "none".
                out.push(("? unknown: the radar is failing".into(), Role::Warning));
            } else if *issues == 0 {
                out.push(("✔ none mention this version".into(), Role::Ok));
            } else {
                out.push((format!("✖ {issues} mention this version"), Role::Failed));
            }
        }
    }
    if let Some((text, role)) = line.probe().and_then(|p| health(m, p)) {
        out.push((format!("  {text}"), role));
    }
    let _ = theme;
    out
}

pub fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let focused = m.ui.focus == Some(Pane::Probes);
    let block = frame(" Probes ".to_string(), focused, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if m.board.lines.is_empty() {
        Paragraph::new(Span::styled(
            "this checklist declares no probes",
            theme.style(Role::Muted),
        ))
        .render(inner, buf);
        return;
    }
    let height = usize::from(inner.height);
    let lines: Vec<Line> = m
        .board
        .lines
        .iter()
        .enumerate()
        .skip(m.ui.board_offset)
        .take(height)
        .map(|(pos, l)| {
            let on = focused && pos == m.ui.board_cursor;
            Line::from(
                spans(m, l, theme)
                    .into_iter()
                    .map(|(t, r)| Span::styled(t, selected(theme.style(r), on, theme)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
