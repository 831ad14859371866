//! The detail pane: everything about the selected step, event or probe —
//! the command to copy, the link, the description, notes and reasons, and the
//! probe's last observation with its age.

use super::{ago, frame, hm, scroll_hint, with_hint};
use crate::export::{Actor, sentence};
use crate::timeline::{Event, EventKind, StepStatus};
use crate::tui::model::{Model, Pane};
use crate::tui::panes::checklist::{status_style, step_info};
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

struct Out<'t> {
    lines: Vec<Line<'static>>,
    theme: &'t Theme,
}

impl Out<'_> {
    fn kv(&mut self, key: &str, value: String, role: Role) {
        self.lines.push(Line::from(vec![
            Span::styled(format!("{key:<9} "), self.theme.style(Role::Muted)),
            Span::styled(harmless(value), self.theme.style(role)),
        ]));
    }

    fn text(&mut self, value: String, role: Role) {
        self.lines.push(Line::from(Span::styled(
            harmless(value),
            self.theme.style(role),
        )));
    }
}

/// Text from outside (authors, notes, links) made harmless for the screen.
fn harmless(value: String) -> String {
    match crate::export::sanitize::harmless_line(&value) {
        std::borrow::Cow::Borrowed(_) => value,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

fn observation(out: &mut Out, m: &Model, probe: &str) {
    out.kv("probe", probe.to_string(), Role::Text);
    match m.last_observation(probe) {
        Some(e) => out.kv(
            "last seen",
            format!(
                "{} — {} ({} ago)",
                sentence(e, &m.plan, Actor::Omitted),
                hm(e.at),
                ago(m.now, e.observed_at)
            ),
            Role::Text,
        ),
        None => out.kv("last seen", "nothing observed yet".into(), Role::Pending),
    }
    if let Some(r) = m.reports.get(probe) {
        let health = format!("{:?}", r.health).to_lowercase();
        let last = r
            .last_ok
            .map(|t| format!(", answered {} ago", ago(m.now, t)))
            .unwrap_or_default();
        let role = match r.health {
            crate::probe::Health::Failing => Role::Failed,
            crate::probe::Health::Degraded => Role::Pending,
            _ => Role::Ok,
        };
        out.kv("health", format!("{health}{last}"), role);
        if let Some(s) = &r.summary {
            out.kv("saw", s.clone(), Role::Text);
        }
        if let Some(err) = &r.error {
            out.kv("error", err.clone(), Role::Failed);
        }
    }
}

fn step(out: &mut Out, m: &Model, i: usize) {
    let step = &m.plan.steps[i];
    let st = &m.state.steps[i];
    out.lines.push(Line::from(vec![
        Span::styled(
            format!("{} ", st.status.symbol()),
            status_style(&st.status, out.theme),
        ),
        Span::styled(step.title.clone(), out.theme.style(Role::Title)),
    ]));
    out.kv(
        "step",
        format!("{} · owner: {}", step.id, step.role),
        Role::Text,
    );
    let (info, role) = step_info(m, i);
    let status = if info == st.status.label() {
        info
    } else {
        format!("{} — {info}", st.status.label())
    };
    out.kv("status", status, role);
    match &st.status {
        StepStatus::Done { by, note } => {
            out.kv(
                "signed by",
                format!("{} at {}", by.by, by.at.format("%Y-%m-%d %H:%M UTC")),
                Role::Ok,
            );
            if let Some(n) = note {
                out.kv("note", n.clone(), Role::Text);
            }
        }
        StepStatus::Observed { at, .. } => out.kv(
            "seen",
            format!("by its probe at {}", at.format("%Y-%m-%d %H:%M UTC")),
            Role::Ok,
        ),
        StepStatus::Overridden { by, reason } | StepStatus::Skipped { by, reason } => {
            out.kv(
                "by",
                format!("{} at {}", by.by, by.at.format("%Y-%m-%d %H:%M UTC")),
                Role::Text,
            );
            out.kv("reason", reason.clone(), Role::Text);
        }
        _ => {}
    }
    if !step.needs.is_empty() {
        let needs: Vec<String> = step
            .needs
            .iter()
            .map(|n| {
                let s = m
                    .plan
                    .step_index(n)
                    .map(|j| m.state.steps[j].status.symbol())
                    .unwrap_or("?");
                format!("{s} {n}")
            })
            .collect();
        out.kv("needs", needs.join("  "), Role::Text);
    }
    if let Some(g) = &step.gate {
        let verdict = g
            .blocks(m.now, st.needs_done_at)
            .unwrap_or_else(|| "open".into());
        out.kv("gate", verdict, Role::Warning);
    }
    if let Some(c) = &step.command {
        out.kv("command", c.clone(), Role::Accent);
        out.kv("", "c copies it".into(), Role::Muted);
    }
    if let Some(l) = &step.link {
        out.kv("link", l.clone(), Role::Accent);
        out.kv("", "l copies it · o opens it".into(), Role::Muted);
    }
    if let Some(d) = &step.description {
        out.text(d.clone(), Role::Text);
    }
    if let Some(p) = &step.probe {
        observation(out, m, &p.id());
    }
    let evs = m.state.step_events(i);
    if !evs.is_empty() {
        out.text("history".into(), Role::Muted);
        for &e in evs.iter().rev().take(6) {
            let e = &m.state.events[e];
            out.text(
                format!(
                    "  {} {}: {}",
                    hm(e.at),
                    e.author,
                    sentence(e, &m.plan, Actor::Omitted)
                ),
                Role::Text,
            );
        }
    }
}

fn event(out: &mut Out, m: &Model, e: &Event) {
    let star = if m.state.starred.contains(&e.id) {
        "★ "
    } else {
        ""
    };
    out.text(
        format!("{star}{}", sentence(e, &m.plan, Actor::Omitted)),
        Role::Title,
    );
    out.kv(
        "when",
        e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Role::Text,
    );
    if e.observed_at != e.at {
        out.kv(
            "recorded",
            format!(
                "{} ({} ago)",
                e.observed_at.format("%Y-%m-%d %H:%M:%S UTC"),
                ago(m.now, e.observed_at)
            ),
            Role::Muted,
        );
    }
    out.kv(
        "by",
        format!("{} ({}) #{}", e.author, e.role, e.seq),
        Role::Text,
    );
    if let Some(l) = &e.link {
        out.kv("link", l.to_string(), Role::Accent);
        out.kv("", "l copies it · o opens it".into(), Role::Muted);
    }
    match &e.what {
        EventKind::Note { text } => out.text(text.clone(), Role::Text),
        EventKind::Observed { probe, .. } => out.kv("probe", probe.to_string(), Role::Muted),
        _ => {}
    }
    out.kv("id", e.id.to_string(), Role::Muted);
}

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut out = Out {
        lines: Vec::new(),
        theme,
    };
    let title = match m.ui.focus {
        Some(Pane::Timeline) => {
            match m
                .selected_timeline()
                .and_then(|p| m.state.timeline.get(p))
                .map(|&i| &m.state.events[i])
            {
                Some(e) => event(&mut out, m, e),
                None => out.text("no events yet".into(), Role::Muted),
            }
            " Event "
        }
        Some(Pane::Probes) => {
            match m.board.lines.get(m.ui.board_cursor) {
                Some(l) => {
                    if let Some(p) = l.probe() {
                        observation(&mut out, m, p);
                    } else {
                        out.text("select a probe line for its details".into(), Role::Muted);
                    }
                    if let Some(link) = l.link() {
                        out.kv("link", link.to_string(), Role::Accent);
                        out.kv("", "l copies it · o opens it".into(), Role::Muted);
                    }
                }
                None => out.text("no probes".into(), Role::Muted),
            }
            " Probe "
        }
        _ => {
            match m.selected_step() {
                Some(i) => step(&mut out, m, i),
                None => out.text("a phase: Enter folds or unfolds it".into(), Role::Muted),
            }
            " Step "
        }
    };
    // Wrapped, the lines may outnumber the rows: say how many are hidden,
    // and how to see them all.
    let inner_w = usize::from(area.width.saturating_sub(2)).max(1);
    let rows: usize = out
        .lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let hidden = rows.saturating_sub(usize::from(area.height.saturating_sub(2)));
    let zoomed = m.ui.zoom == Some(crate::tui::layout::Zoom::Detail);
    let hint = match (hidden, zoomed) {
        (0, _) => None,
        (n, false) => Some(format!(" ↓ {n} more · d shows all ")),
        (n, true) => scroll_hint(0, n),
    };
    let block = with_hint(frame(title.to_string(), zoomed, theme), hint, theme);
    Paragraph::new(out.lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
