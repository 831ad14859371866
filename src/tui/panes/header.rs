//! The header: what is being released, who is in which seat, how long it has
//! been running, what the gates say, and how the probes and GitHub quota are doing.

use super::{ago, fit, hm};
use crate::crew::Role as Seat;
use crate::tui::model::Model;
use crate::tui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

fn seat_style(seat: Seat, theme: &Theme) -> ratatui::style::Style {
    theme.style(match seat {
        Seat::Pilot => Role::Pilot,
        Seat::Copilot => Role::Copilot,
        Seat::JumpSeat => Role::JumpSeat,
    })
}

/// The crew sync in a few words: what waits to go up, what went wrong.
fn sync_spans(s: &crate::crew::share::Report, theme: &Theme) -> Vec<Span<'static>> {
    let warning = theme.style(Role::Warning);
    let mut spans = Vec::new();
    if s.to_push > 0 {
        spans.push(Span::styled(format!("   ⇡ {} to push", s.to_push), warning));
    } else if s.error.is_none() {
        spans.push(Span::styled("   ⇅ synced", theme.style(Role::Muted)));
    }
    if s.error.is_some() {
        spans.push(Span::styled("   ⚠ share unreachable", warning));
    }
    let odd = s.refused.len() + s.warnings.len();
    if odd > 0 {
        spans.push(Span::styled(
            format!("   ⚠ {odd} share warning(s)"),
            warning,
        ));
    }
    spans
}

/// How long the release has run, to the minute: the header's clock changes
/// at most once a minute (the driver rechecks the frame when a minute turns),
/// and not at all once the release is closed.
fn since(m: &Model, started: chrono::DateTime<chrono::Utc>) -> String {
    if m.state.closed.is_some() {
        return started.format("%m-%d %H:%M UTC").to_string();
    }
    match minutes(m.now, started) {
        s if s < 60 => "under a minute ago".to_string(),
        s => format!("{} ago", super::duration(s)),
    }
}

/// Minutes from `then` to `now` as the wall clock turns them (in seconds):
/// the text changes exactly when the driver looks again.
fn minutes(now: chrono::DateTime<chrono::Utc>, then: chrono::DateTime<chrono::Utc>) -> i64 {
    (now.timestamp().div_euclid(60) - then.timestamp().div_euclid(60)) * 60
}

pub(crate) fn render(m: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let text = theme.style(Role::Text);
    let muted = theme.style(Role::Muted);
    let (done, total) = m.state.progress();

    let badge = match m.role {
        Seat::JumpSeat => " JUMP SEAT — read-only ".to_string(),
        r => format!(" {} ", r.badge()),
    };
    // Below 120 columns the header drops the release id and uses compact forms,
    // so probe health and the GitHub quota are never the part that is cut off.
    let narrow = area.width < 120;
    let mut l1 = vec![
        Span::styled(format!(" {} ", m.plan.title), theme.style(Role::Accent)),
        Span::styled(badge, seat_style(m.role, theme)),
    ];
    if !narrow {
        l1.push(Span::styled(format!("  {} as {}", m.release, m.me), muted));
    }
    l1.push(Span::styled(format!("  {done}/{total} steps"), text));
    // How the release ended comes before the clock, so a narrow header never cuts it.
    if let Some((o, s)) = &m.state.closed {
        l1.push(Span::styled(
            format!("  · {} by {}", format!("{o:?}").to_uppercase(), s.by),
            theme.style(Role::Ok),
        ));
    }
    if let Some(s) = &m.state.started {
        let by = if narrow {
            String::new()
        } else {
            format!(" by {}", s.by)
        };
        l1.push(Span::styled(
            format!("  · started {}{by}", since(m, s.at)),
            text,
        ));
    }

    let mut l2 = vec![Span::styled(" probes: ", muted)];
    if m.reports.is_empty() {
        l2.push(Span::styled("not running", muted));
    } else {
        let (ok, degraded, failing) = m.health_counts();
        let (h, d, f) = if narrow {
            ("", "", "")
        } else {
            (" healthy", " degraded", " failing")
        };
        l2.push(Span::styled(format!("✔ {ok}{h}"), theme.style(Role::Ok)));
        l2.push(Span::styled(" · ", muted));
        l2.push(Span::styled(
            format!("◔ {degraded}{d}"),
            if degraded > 0 {
                theme.style(Role::Pending)
            } else {
                muted
            },
        ));
        l2.push(Span::styled(" · ", muted));
        l2.push(Span::styled(
            format!("✖ {failing}{f}"),
            if failing > 0 {
                theme.style(Role::Failed)
            } else {
                muted
            },
        ));
    }
    l2.push(Span::styled("   GitHub: ", muted));
    match &m.quota {
        Some(q) => {
            let low = q.limit > 0 && u64::from(q.remaining) * 10 < u64::from(q.limit);
            let left = if narrow { "" } else { " requests left" };
            l2.push(Span::styled(
                format!("{}/{}{left}", q.remaining, q.limit),
                if low {
                    theme.style(Role::Warning)
                } else {
                    text
                },
            ));
            l2.push(Span::styled(format!(", resets {} UTC", hm(q.reset)), muted));
        }
        None => l2.push(Span::styled("quota unknown", muted)),
    }
    l2.push(Span::styled("   crew: ", muted));
    if m.crew.is_empty() {
        l2.push(Span::styled("—", muted));
    }
    for (i, (who, seat)) in m.crew.iter().enumerate() {
        if i > 0 {
            l2.push(Span::styled(", ", muted));
        }
        l2.push(Span::styled(format!("{who} ({seat})"), text));
        // When the crew shares the release: when each other member last wrote there.
        if let Some(at) = m.sync.as_ref().and_then(|s| {
            s.last_seen
                .iter()
                .find(|(login, _)| crate::crew::same_login(login, who))
                .map(|(_, at)| *at)
        }) && !crate::crew::same_login(who, &m.me)
        {
            l2.push(Span::styled(
                format!(" seen {}", ago(m.source_now(), at)),
                muted,
            ));
        }
    }
    if let Some(s) = &m.sync {
        l2.extend(sync_spans(s, theme));
    }
    if !m.state.ignored.is_empty() {
        l2.push(Span::styled(
            format!("   ⚠ {} untrusted ignored", m.state.ignored.len()),
            theme.style(Role::Warning),
        ));
    }

    let warnings = m.gate_warnings();
    let l3 = if !warnings.is_empty() {
        let mut spans = vec![Span::styled(" ⚠ ", theme.style(Role::Warning))];
        spans.push(Span::styled(
            fit_warnings(&warnings, usize::from(area.width).saturating_sub(3)),
            theme.style(Role::Warning),
        ));
        Line::from(spans)
    } else if let Some(i) = m.next_step() {
        let who = if m.role == Seat::JumpSeat {
            "next for the crew"
        } else {
            "next for you"
        };
        let s = &m.plan.steps[i];
        Line::from(vec![
            Span::styled(format!(" ▶ {who}: "), theme.style(Role::Next)),
            Span::styled(
                fit(&s.title, usize::from(area.width).saturating_sub(20)),
                text,
            ),
        ])
    } else if done == total {
        Line::from(Span::styled(
            " ✔ every step is complete",
            theme.style(Role::Ok),
        ))
    } else {
        Line::from(Span::styled(
            " nothing is ready for you right now — waiting on needs, probes or the crew",
            muted,
        ))
    };
    Paragraph::new(vec![Line::from(l1), Line::from(l2), l3]).render(area, buf);
}

/// As many whole warnings as fit, then how many more there are (the board
/// and the detail pane have them all): a warning is never cut mid-word.
fn fit_warnings(warnings: &[String], width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = String::new();
    for (i, w) in warnings.iter().enumerate() {
        let sep = if i == 0 { "" } else { "  ·  " };
        let rest = warnings.len() - i - 1;
        let tail = if rest > 0 {
            format!("  (+{rest} more)")
        } else {
            String::new()
        };
        if out.width() + sep.width() + w.width() + tail.width() <= width {
            out.push_str(sep);
            out.push_str(w);
            continue;
        }
        if i == 0 {
            // Not even the first fits whole: it is cut, with the count after it.
            return fit(&format!("{w}{tail}"), width);
        }
        out.push_str(&format!("  (+{} more)", warnings.len() - i));
        return out;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{EventKind, Outcome};
    use crate::tui::fixture::{Events, at, sample_model};

    /// The header's first line (the one with the clock), as text.
    fn header_at(m: &mut Model, now: chrono::DateTime<chrono::Utc>) -> String {
        m.now = now;
        let area = Rect::new(0, 0, 160, 3);
        let mut buf = Buffer::empty(area);
        render(m, &Theme::default_theme(), area, &mut buf);
        (0..area.width).map(|x| buf[(x, 0)].symbol()).collect()
    }

    #[test]
    fn the_clock_changes_only_when_a_minute_turns_and_not_after_the_close() {
        let mut m = sample_model(Seat::Pilot, (160, 40));
        if let Some(s) = m.state.started.as_mut() {
            s.at = at(13, 14, 30);
        }
        let minute = at(13, 15, 0);
        let same = header_at(&mut m, minute + chrono::Duration::seconds(1));
        assert!(same.contains("started 30m ago"), "{same}");
        assert_eq!(
            header_at(&mut m, minute + chrono::Duration::seconds(59)),
            same
        );
        assert_ne!(
            header_at(&mut m, minute + chrono::Duration::seconds(60)),
            same
        );

        let mut events = Events::default();
        events.events = m.state.events.iter().map(|e| (**e).clone()).collect();
        events.push(
            "jane",
            Seat::Pilot,
            at(13, 15, 0),
            None,
            EventKind::ReleaseClosed {
                outcome: Outcome::Shipped,
                reason: None,
            },
        );
        if let Some(last) = events.events.last_mut() {
            last.id = crate::timeline::EventId::from("the-close");
        }
        m.refold(&events.events);
        assert!(m.state.closed.is_some());
        let closed = header_at(&mut m, at(13, 16, 0));
        assert_eq!(header_at(&mut m, at(20, 9, 0)), closed);
    }
}
