//! The checklist: phases that fold, each step with its status symbol, owner,
//! who signed it off and when, or what it waits for. The next step for this
//! seat is marked `▶`.

use super::{fit, frame, hm, pad, scroll_hint, selected, with_hint};
use crate::crew::StepRole;
use crate::probe::Health;
use crate::timeline::StepStatus;
use crate::tui::find::Filter;
use crate::tui::model::{Model, Pane, Row};
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The style a status is drawn in (its symbol carries the meaning without colour).
pub(crate) fn status_style(status: &StepStatus, theme: &Theme) -> Style {
    theme.style(match status {
        StepStatus::Blocked { .. } => Role::Blocked,
        StepStatus::Ready => Role::Text,
        StepStatus::Pending => Role::Pending,
        StepStatus::Done { .. } | StepStatus::Observed { .. } | StepStatus::Overridden { .. } => {
            Role::Ok
        }
        StepStatus::Skipped { .. } => Role::Muted,
    })
}

/// What the info column says about a step.
pub(crate) fn step_info(m: &Model, i: usize) -> (String, Role) {
    let step = &m.plan.steps[i];
    let st = &m.state.steps[i];
    if let Some(early) = crate::tui::waiting::done_before_needs(&m.plan, &m.state, i) {
        return (format!("⚠ {early}"), Role::Warning);
    }
    match &st.status {
        StepStatus::Done { by, .. } => (format!("{} {}", by.by, hm(by.at)), Role::Ok),
        StepStatus::Observed { at, .. } => (format!("seen {}", hm(*at)), Role::Ok),
        StepStatus::Overridden { by, .. } => {
            (format!("{} {} override", by.by, hm(by.at)), Role::Ok)
        }
        StepStatus::Skipped { by, .. } => (format!("skipped by {}", by.by), Role::Muted),
        StepStatus::Blocked { on } => {
            let on: Vec<&str> = on.iter().map(|s| s.0.as_str()).collect();
            (format!("needs {}", on.join(", ")), Role::Blocked)
        }
        StepStatus::Ready | StepStatus::Pending => {
            if let Some(g) = step
                .gate
                .as_ref()
                .and_then(|g| g.blocks(m.now, st.needs_done_at))
            {
                let short = if g.starts_with("soaking") {
                    g
                } else {
                    "gate: not today".to_string()
                };
                return (short, Role::Warning);
            }
            match (&st.status, step.probe.as_ref()) {
                (StepStatus::Pending, Some(p)) => match m.reports.get(&p.id()).map(|r| r.health) {
                    Some(Health::Failing) => ("probe failing".into(), Role::Failed),
                    Some(Health::Degraded) => ("probe degraded".into(), Role::Pending),
                    _ => (
                        format!("waiting on {}", crate::tui::waiting::thing(p, &m.state)),
                        Role::Pending,
                    ),
                },
                _ if m.is_mine(step.role) && m.role != crate::crew::Role::JumpSeat => {
                    ("ready".into(), Role::Text)
                }
                _ => (
                    format!(
                        "waiting on {}",
                        crate::tui::waiting::person(step.role, &m.crew)
                    ),
                    Role::Text,
                ),
            }
        }
    }
}

/// A shorter form of an info column entry that keeps its status word whole:
/// "waiting on" goes first (the column names who or what), then the names
/// beside "skipped" and "override" (the detail pane keeps the whole sentence).
fn short_info(info: String) -> String {
    if let Some(rest) = info.strip_prefix("waiting on ") {
        return rest.to_string();
    }
    if info.starts_with("skipped by ") {
        return "skipped".into();
    }
    if info.ends_with(" override") {
        return "override".into();
    }
    info
}

fn owner_label(r: StepRole) -> &'static str {
    match r {
        StepRole::Pilot => "pilot",
        StepRole::Copilot => "copilot",
        StepRole::Any => "any",
    }
}

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let focused = m.ui.focus == Some(Pane::Checklist);
    let (done, total) = m.state.progress();
    let filter = match (crate::tui::find::typing(m), m.ui.filter) {
        (Some(q), _) if !q.trim().is_empty() => format!(" · matching “{}”", fit(q.trim(), 20)),
        (_, f @ (Filter::MySteps | Filter::Alarms)) => format!(" · {}", f.label()),
        _ => String::new(),
    };
    let height = usize::from(area.height.saturating_sub(2));
    let below = m.ui.rows.len().saturating_sub(m.ui.offset + height);
    let block = with_hint(
        frame(
            format!(" Checklist {done}/{total}{filter} "),
            focused,
            theme,
        ),
        scroll_hint(m.ui.offset.min(m.ui.rows.len()), below),
        theme,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    if m.ui.rows.is_empty() {
        Paragraph::new(Span::styled(
            "no step matches — Esc or F shows them all",
            theme.style(Role::Muted),
        ))
        .render(inner, buf);
        return;
    }
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    let next = m.next_step();
    // The info column takes what its longest visible entry needs (up to 45%);
    // the title gets the rest. The owner column goes first when space is
    // short (the detail pane still shows it).
    let infos: Vec<(usize, (String, Role))> =
        m.ui.rows
            .iter()
            .skip(m.ui.offset)
            .take(height)
            .filter_map(|r| match r {
                Row::Step(i) => Some((*i, step_info(m, *i))),
                Row::Phase(_) => None,
            })
            .collect();
    let need = infos
        .iter()
        .map(|(_, (t, _))| unicode_width::UnicodeWidthStr::width(t.as_str()) + 1)
        .max()
        .unwrap_or(1);
    let role_w = if width >= 70 { 9 } else { 0 };
    // Titles first, up to their length: the info column then uses short forms.
    let title_need = infos
        .iter()
        .map(|(i, _)| unicode_width::UnicodeWidthStr::width(m.plan.steps[*i].title.as_str()))
        .max()
        .unwrap_or(0);
    // The floor keeps short forms whole; it never asks more than the column needs.
    let floor = if width >= 70 { 20 } else { 16.min(width / 3) }.min(need);
    let info_w = need
        .min(width * 45 / 100)
        .min(width.saturating_sub(4 + role_w + title_need).max(floor))
        .max(floor);
    let title_w = width.saturating_sub(4 + info_w + role_w);
    let mut lines = Vec::with_capacity(height);
    for (pos, row) in m.ui.rows.iter().enumerate().skip(m.ui.offset).take(height) {
        let on = pos == m.ui.cursor;
        let line = match *row {
            Row::Phase(p) => {
                let folded = m.ui.folded.contains(&p);
                let steps: Vec<usize> = (0..m.plan.steps.len())
                    .filter(|&i| m.plan.steps[i].phase == p)
                    .collect();
                let complete = steps
                    .iter()
                    .filter(|&&i| m.state.steps[i].status.is_complete())
                    .count();
                let title = m
                    .plan
                    .phases
                    .get(p)
                    .map(|ph| ph.title.as_str())
                    .unwrap_or("?");
                let style = selected(theme.style(Role::Accent), on, theme);
                let text = format!("{} {}", if folded { "▸" } else { "▾" }, title);
                let count = format!("{complete}/{}", steps.len());
                Line::from(vec![
                    Span::styled(pad(&text, width.saturating_sub(count.len() + 1)), style),
                    Span::styled(
                        format!(" {count}"),
                        selected(theme.style(Role::Muted), on, theme),
                    ),
                ])
            }
            Row::Step(i) => {
                let step = &m.plan.steps[i];
                let st = &m.state.steps[i].status;
                let is_next = next == Some(i);
                let marker = if is_next { "▶" } else { " " };
                let title_style = if is_next {
                    theme.style(Role::Next)
                } else if st.is_complete() {
                    theme.style(Role::Muted)
                } else {
                    theme.style(Role::Text)
                };
                let (info, info_role) = infos
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map(|(_, x)| x.clone())
                    .unwrap_or_else(|| step_info(m, i));
                let info = if unicode_width::UnicodeWidthStr::width(info.as_str()) >= info_w {
                    short_info(info)
                } else {
                    info
                };
                let mut spans = vec![
                    Span::styled(
                        format!(" {marker}"),
                        selected(theme.style(Role::Next), on, theme),
                    ),
                    Span::styled(
                        format!("{} ", st.symbol()),
                        selected(status_style(st, theme), on, theme),
                    ),
                    Span::styled(pad(&step.title, title_w), selected(title_style, on, theme)),
                ];
                if role_w > 0 {
                    let mine = m.is_mine(step.role);
                    let rs = if mine {
                        theme.style(Role::Text)
                    } else {
                        theme.style(Role::Muted)
                    };
                    spans.push(Span::styled(
                        format!(" {}", pad(owner_label(step.role), role_w - 1)),
                        selected(rs, on, theme),
                    ));
                }
                spans.push(Span::styled(
                    format!(" {}", pad(&info, info_w.saturating_sub(1))),
                    selected(theme.style(info_role), on, theme),
                ));
                Line::from(spans)
            }
        };
        lines.push(line);
    }
    Paragraph::new(lines).render(inner, buf);
}
