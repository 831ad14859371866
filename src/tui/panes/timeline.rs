//! The timeline: one line per event, newest at the bottom. It follows the
//! newest event unless the crew member scrolled up; starred events carry `★`.
//! Only the visible lines are described, so 10,000 events cost nothing extra.

use super::{fit, frame, selected};
use super::{scroll_hint, with_hint};
use crate::export::{Actor, sentence};
use crate::timeline::EventKind;
use crate::tui::find::Filter;
use crate::tui::model::{Model, Pane};
use crate::tui::nav::{timeline_first, tl_len, tl_pos};
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let focused = m.ui.focus == Some(Pane::Timeline);
    let len = m.state.timeline.len();
    let shown = tl_len(m);
    let mode = if m.ui.selected_event.is_some() {
        "scrolled — f follows"
    } else {
        "following"
    };
    let filter = match (crate::tui::find::typing(m), m.ui.filter) {
        (Some(q), _) if !q.trim().is_empty() => format!(" · {shown} matching"),
        (_, f @ (Filter::Alarms | Filter::Starred)) => format!(" · {shown} {}", f.label()),
        _ => String::new(),
    };
    let height = usize::from(area.height.saturating_sub(2));
    let first = timeline_first(m, height);
    let below = shown.saturating_sub(first + height);
    let block = with_hint(
        frame(
            format!(
                " Timeline · {len} events · {} starred{filter} · {mode} ",
                m.state.starred.len()
            ),
            focused,
            theme,
        ),
        scroll_hint(first, below),
        theme,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let sel = m.selected_timeline();
    let lines: Vec<Line> = (first..shown)
        .take(height)
        .filter_map(|k| tl_pos(m, k))
        .filter_map(|pos| m.state.timeline.get(pos).map(|&i| (pos, i)))
        .map(|(pos, i)| {
            let e = &m.state.events[i];
            let on = focused && sel == Some(pos);
            let star = m.state.starred.contains(&e.id);
            let role = match &e.what {
                EventKind::Observed { fact, .. } if fact.is_alarm() => Role::Failed,
                EventKind::Observed { .. } => Role::Text,
                EventKind::Note { .. }
                | EventKind::CrewAssigned { .. }
                | EventKind::Handover { .. } => Role::Accent,
                EventKind::StepUndone { .. }
                | EventKind::StepSkipped { .. }
                | EventKind::StepOverridden { .. } => Role::Warning,
                EventKind::StepDone { .. }
                | EventKind::ReleaseStarted { .. }
                | EventKind::ReleaseClosed { .. } => Role::Ok,
                EventKind::Starred { .. }
                | EventKind::Unstarred { .. }
                | EventKind::Unknown { .. } => Role::Muted,
            };
            let who = if matches!(e.what, EventKind::Observed { .. }) {
                "probe".to_string()
            } else {
                e.author.to_string()
            };
            // A row from another year says so.
            let stamp = if chrono::Datelike::year(&e.at) == chrono::Datelike::year(&m.now) {
                e.at.format("%m-%d %H:%M").to_string()
            } else {
                e.at.format("%Y-%m-%d %H:%M").to_string()
            };
            let rest = width.saturating_sub(stamp.len() + 3 + 11);
            Line::from(vec![
                Span::styled(
                    format!("{stamp} "),
                    selected(theme.style(Role::Muted), on, theme),
                ),
                Span::styled(
                    if star { "★ " } else { "  " },
                    selected(theme.style(Role::Star), on, theme),
                ),
                Span::styled(
                    format!("{:<10} ", fit(&who, 10)),
                    selected(theme.style(Role::Muted), on, theme),
                ),
                Span::styled(
                    fit(&sentence(e, &m.plan, Actor::Omitted), rest),
                    selected(theme.style(role), on, theme),
                ),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use crate::crew::Role;
    use crate::tui::fixture::sample_model;
    use crate::tui::theme::Theme;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    fn text(m: &crate::tui::model::Model) -> String {
        let area = Rect::new(0, 0, 100, 40);
        let mut buf = Buffer::empty(area);
        super::render(m, &Theme::monochrome(), area, &mut buf);
        buf.content().iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn rows_from_another_year_show_the_year() {
        let mut m = sample_model(Role::Pilot, (100, 40));
        let year = m.state.events[0].at.format("%Y-").to_string();
        assert!(!text(&m).contains(&year), "this year's rows stay short");
        m.now += chrono::TimeDelta::days(400);
        assert!(text(&m).contains(&year), "last year's rows say so");
    }
}
