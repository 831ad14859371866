//! `flightdeck status`: where the release stands, by phase, what each open
//! step waits on (the cockpit's words, from [`crate::tui::waiting`]), each
//! channel's availability per subdir and any channel skew (text or JSON).

use crate::timeline::availability::{Skew, channel_skew};
use crate::timeline::matrix::{ChannelRow, channels};
use crate::timeline::rules;
use crate::timeline::{EventKind, Release, State, StepStatus};
use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use std::fmt::Write as _;

/// How many notes `status` shows, the latest.
const LATEST_NOTES: usize = 10;

/// `flightdeck status`: where the release stands, by phase.
pub(crate) fn status(release: &Release, json: bool) -> Result<()> {
    let state = release.state()?;
    let result = print_status(release, &state, json);
    super::leave_at_exit(state);
    result
}

fn print_status(release: &Release, state: &State, json: bool) -> Result<()> {
    // A closed release is read as it stood when it closed, not against today.
    let now = state.closed.as_ref().map_or_else(Utc::now, |(_, c)| c.at);
    if json {
        let value = status_json(release, state, now);
        println!(
            "{}",
            serde_json::to_string_pretty(&value).wrap_err("encoding status")?
        );
        return Ok(());
    }
    let (done, total) = state.progress();
    let mut out = String::new();
    let started = state
        .started
        .as_ref()
        .map(|s| {
            format!(
                " · started {} by {}",
                s.at.format("%Y-%m-%d %H:%M UTC"),
                s.by
            )
        })
        .unwrap_or_default();
    let closed = state
        .closed
        .as_ref()
        .map(|(o, s)| format!(" · {o} by {}", s.by))
        .unwrap_or_default();
    writeln!(
        out,
        "{} — {done}/{total} steps complete{started}{closed}",
        release.plan.title
    )?;
    if let Some(r) = &state.roster {
        writeln!(out, "crew: {}", super::crew::crew_line(r))?;
    }
    if let Some(line) = crate::crew::ignored_summary(state, &release.plan) {
        writeln!(out, "⚠ {line}")?;
    }
    // The same skew warnings as the cockpit's header, from the same fold.
    for warning in crate::timeline::skew_warnings(
        &state.availability,
        now,
        crate::timeline::availability::SKEW_THRESHOLD,
    ) {
        writeln!(out, "⚠ {warning}")?;
    }
    let channels = channels(&release.plan, state);
    if !channels.is_empty() {
        writeln!(out, "\nChannels")?;
        for c in &channels {
            let subdirs: Vec<String> = c
                .subdirs
                .iter()
                .map(|s| match s.at {
                    Some(at) => format!(
                        "{} {} {}",
                        s.state.symbol(),
                        s.subdir,
                        at.format("%Y-%m-%d %H:%M")
                    ),
                    None => format!("{} {} {}", s.state.symbol(), s.subdir, s.state.label()),
                })
                .collect();
            writeln!(
                out,
                "  {:<12} {:<14} {}",
                c.package,
                c.channel,
                subdirs.join(" · ")
            )?;
        }
    }
    let crew = crate::tui::waiting::crew_of(state);
    for (pi, phase) in release.plan.phases.iter().enumerate() {
        writeln!(out, "\n{}", phase.title)?;
        for (i, (step, st)) in release
            .plan
            .steps
            .iter()
            .zip(&state.steps)
            .enumerate()
            .filter(|(_, (s, _))| s.phase == pi)
        {
            let detail = match &st.status {
                StepStatus::Blocked { on } => format!(
                    "needs {}",
                    on.iter()
                        .map(|n| n.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                StepStatus::Ready => {
                    let who = crate::tui::waiting::waiting_on(&release.plan, state, i, &crew)
                        .unwrap_or_default();
                    step.gate
                        .as_ref()
                        .and_then(|g| g.blocks(now, st.needs_done_at))
                        .map(|g| format!("ready, but {g}"))
                        .unwrap_or_else(|| format!("ready, {who}"))
                }
                StepStatus::Pending => {
                    crate::tui::waiting::waiting_on(&release.plan, state, i, &crew)
                        .unwrap_or_default()
                }
                other => {
                    let done = rules::completion(other).unwrap_or_default();
                    match crate::tui::waiting::done_before_needs(&release.plan, state, i) {
                        Some(early) => format!("{done} ⚠ {early}"),
                        None => done,
                    }
                }
            };
            writeln!(
                out,
                "  {} {:<24} {:<8} {}  [{}]",
                st.status.symbol(),
                step.id.0,
                step.role,
                step.title,
                detail
            )?;
        }
    }
    if !state.notes.is_empty() {
        writeln!(out, "\nNotes")?;
        // A glance: the latest few (the export has them all).
        let earlier = state.notes.len().saturating_sub(LATEST_NOTES);
        if earlier > 0 {
            writeln!(
                out,
                "  … {earlier} earlier (all of them: flightdeck export)"
            )?;
        }
        for &i in &state.notes[earlier..] {
            let e = &state.events[i];
            if let EventKind::Note { text } = &e.what {
                writeln!(
                    out,
                    "  {} {}: {}",
                    e.at.format("%m-%d %H:%M"),
                    e.author,
                    text
                )?;
            }
        }
    }
    // Logins, notes and titles come from outside: harmless before the terminal.
    print!("{}", crate::export::sanitize::harmless(&out));
    Ok(())
}

fn status_json(release: &Release, state: &State, now: DateTime<Utc>) -> serde_json::Value {
    let (done, total) = state.progress();
    let steps: Vec<serde_json::Value> = release
        .plan
        .steps
        .iter()
        .zip(&state.steps)
        .map(|(step, st)| {
            let (by, at, reason) = match &st.status {
                StepStatus::Done { by, note } => (Some(by.by.clone()), Some(by.at), note.clone()),
                StepStatus::Overridden { by, reason } | StepStatus::Skipped { by, reason } => {
                    (Some(by.by.clone()), Some(by.at), Some(reason.clone()))
                }
                StepStatus::Observed { at, .. } => (Some("probe".to_string()), Some(*at), None),
                _ => (None, None, None),
            };
            serde_json::json!({
                "id": step.id,
                "phase": release.plan.phases.get(step.phase).map(|p| p.id.clone()),
                "title": step.title,
                "role": step.role,
                "status": st.status.label(),
                "by": by,
                "at": at,
                "reason": reason,
                "blocked_on": match &st.status { StepStatus::Blocked { on } => on.clone(), _ => vec![] },
                "gate": step.gate.as_ref().and_then(|g| g.blocks(now, st.needs_done_at)),
                "probe": step.probe.as_ref().map(|p| p.id()),
            })
        })
        .collect();
    serde_json::json!({
        "schema": 1,
        "release": release.meta.id,
        "version": release.meta.version,
        "title": release.plan.title,
        "started_at": state.started.as_ref().map(|s| s.at),
        "started_by": state.started.as_ref().map(|s| s.by.clone()),
        "outcome": state.closed.as_ref().map(|(o, _)| o.word()),
        "progress": { "complete": done, "total": total },
        "steps": steps,
        "notes": state.notes.len(),
        "events": state.events.len(),
        "crew": state.roster,
        "ignored": state.ignored.iter().map(|i| serde_json::json!({
            "id": i.event.id, "author": i.event.author, "why": i.why,
        })).collect::<Vec<_>>(),
        "channels": channels(&release.plan, state).iter().map(ChannelRow::json).collect::<Vec<_>>(),
        "skew": skews(state, now).iter().map(|(package, s)| serde_json::json!({
            "package": package,
            "ahead": s.ahead,
            "ahead_since": s.ahead_since,
            "behind": s.behind,
            "lag_seconds": s.lag.num_seconds(),
        })).collect::<Vec<_>>(),
    })
}

/// Every channel skew longer than the threshold at `now`, per package.
fn skews(state: &State, now: DateTime<Utc>) -> Vec<(String, Skew)> {
    state
        .availability
        .iter()
        .flat_map(|(package, channels)| {
            channel_skew(channels, now, crate::timeline::availability::SKEW_THRESHOLD)
                .into_iter()
                .map(move |s| (package.clone(), s))
        })
        .collect()
}
