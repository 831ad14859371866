//! The tracking issue's body for people: the checklist as a GitHub task list
//! (who signed off what, when), the channel × subdir matrix and the warnings,
//! so that whoever never runs flightdeck sees where the release stands in the
//! place conda's release process already looks. Markdown, from the fold.

use super::sanitize::harmless;
use crate::checklist::Plan;
use crate::timeline::matrix::{SubdirState, channels};
use crate::timeline::{State, StepStatus, availability};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// The title: "Release conda 26.11.0".
pub(crate) fn title(plan: &Plan) -> String {
    format!("Release {}", one_line(&plan.title))
}

/// The part of the body people read, as of `now`.
pub(crate) fn body(plan: &Plan, state: &State, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let (done, total) = state.progress();
    let _ = writeln!(out, "## {}\n", title(plan));
    let mut line = format!("**{done}/{total} steps complete**");
    if let Some(s) = &state.started {
        let _ = write!(line, " · started {} by {}", time(s.at), who(&s.by));
    }
    if let Some((outcome, s)) = &state.closed {
        let _ = write!(line, " · **{outcome}** {} by {}", time(s.at), who(&s.by));
    }
    let _ = writeln!(out, "{line}");
    if let Some(r) = &state.roster {
        let mut crew = vec![format!("{} (pilot)", who(&r.pilot))];
        if let Some(c) = &r.copilot {
            crew.push(format!("{} (co-pilot)", who(c)));
        }
        if let Some(j) = &r.jump_seat {
            crew.push(format!("{} (jump seat)", who(j)));
        }
        let _ = writeln!(out, "Crew: {}", crew.join(" · "));
    }
    let warnings = warnings(state, now);
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n### Warnings\n");
        for w in warnings {
            let _ = writeln!(out, "- ⚠ {w}");
        }
    }
    for (pi, phase) in plan.phases.iter().enumerate() {
        let _ = writeln!(out, "\n### {}\n", one_line(&phase.title));
        for (step, st) in plan
            .steps
            .iter()
            .zip(&state.steps)
            .filter(|(s, _)| s.phase == pi)
        {
            let title = one_line(&step.title);
            let _ = writeln!(out, "{}", task(&title, &st.status));
        }
    }
    let rows = channels(plan, state);
    if !rows.is_empty() {
        let mut subdirs: Vec<String> = rows
            .iter()
            .flat_map(|r| r.subdirs.iter().map(|s| s.subdir.clone()))
            .collect();
        subdirs.sort();
        subdirs.dedup();
        let _ = writeln!(out, "\n### Channels\n");
        let _ = writeln!(out, "| package | channel | {} |", subdirs.join(" | "));
        let _ = writeln!(out, "| --- | --- |{}", " --- |".repeat(subdirs.len()));
        for r in &rows {
            let cells: Vec<String> = subdirs
                .iter()
                .map(|sd| match r.subdirs.iter().find(|s| &s.subdir == sd) {
                    None => "".to_string(),
                    Some(s) => match (s.state, s.at) {
                        (SubdirState::NotYet, _) => "· not yet".to_string(),
                        (st, Some(at)) => format!("{} {} {}", st.symbol(), st.label(), time(at)),
                        (st, None) => format!("{} {}", st.symbol(), st.label()),
                    },
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&r.package),
                cell(&r.channel),
                cells.join(" | ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>Kept current by the pilot's flightdeck ({} UTC). Each crew member's events are in their own comments below.</sub>",
        now.format("%Y-%m-%d %H:%M")
    );
    out
}

/// One task-list line: `- [x] Tag 26.11.0 — @jane, 13:30 UTC`.
fn task(title: &str, status: &StepStatus) -> String {
    match status {
        StepStatus::Done { by, .. } => {
            format!("- [x] {title} — {}, {}", who(&by.by), time(by.at))
        }
        StepStatus::Observed { at, .. } => format!("- [x] {title} — observed {}", time(*at)),
        StepStatus::Overridden { by, reason } => format!(
            "- [x] {title} — overridden by {}, {}: {}",
            who(&by.by),
            time(by.at),
            one_line(reason)
        ),
        StepStatus::Skipped { by, reason } => format!(
            "- [x] ~~{title}~~ — skipped by {}, {}: {}",
            who(&by.by),
            time(by.at),
            one_line(reason)
        ),
        StepStatus::Blocked { on } => format!(
            "- [ ] {title} — needs {}",
            on.iter()
                .map(|s| format!("`{}`", s.0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StepStatus::Ready => format!("- [ ] {title} — ready"),
        StepStatus::Pending => format!("- [ ] {title} — waiting for its probe"),
    }
}

fn warnings(state: &State, now: DateTime<Utc>) -> Vec<String> {
    let mut out: Vec<String> =
        crate::timeline::skew_warnings(&state.availability, now, availability::SKEW_THRESHOLD)
            .into_iter()
            .map(|w| one_line(&w))
            .collect();
    if !state.ignored.is_empty() {
        out.push(format!(
            "{} untrusted event{} ignored (see `flightdeck status`)",
            state.ignored.len(),
            if state.ignored.len() == 1 { "" } else { "s" }
        ));
    }
    out
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A login as a mention (logins are GitHub names: no markup inside).
fn who(login: &str) -> String {
    format!("@{}", one_line(login))
}

/// Outside text on one line, harmless, and unable to open markup of its own.
pub(crate) fn one_line(text: &str) -> String {
    let flat: String = harmless(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.replace('<', "&lt;").replace('>', "&gt;")
}

fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::Checklist;
    use crate::timeline::fold;

    #[test]
    fn a_fresh_release_is_an_unticked_task_list_with_its_channel_matrix() {
        let text = std::fs::read_to_string("checklists/conda.toml").expect("checklist");
        let checklist = Checklist::parse("checklists/conda.toml", &text).expect("valid");
        let plan = checklist.plan("26.11.0").expect("plan");
        let state = fold::<crate::timeline::Event>(&plan, []);
        let now = "2026-11-10T14:00:00Z".parse().expect("time");
        let body = body(&plan, &state, now);
        assert!(body.starts_with("## Release conda 26.11.0\n"), "{body}");
        assert!(body.contains(&format!("**0/{} steps complete**", plan.steps.len())));
        assert!(body.contains("- [ ] "), "{body}");
        assert!(!body.contains("- [x] "), "{body}");
        assert!(body.contains("| package | channel |"), "{body}");
        assert!(body.contains("· not yet"), "{body}");
    }

    #[test]
    fn outside_text_cannot_open_markup_or_break_a_line() {
        assert_eq!(
            one_line("a\nb<img src=x>\u{1b}[2J"),
            "a b&lt;img src=x&gt;\\x1b[2J"
        );
        assert_eq!(cell("a|b"), "a\\|b");
    }
}
