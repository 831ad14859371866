//! One line per event, for the timeline pane and the detail pane.
//!
//! The world's facts read exactly as in exports ([`crate::export::describe_fact`]).
//! Crew actions are worded for a screen that already shows who acted in its
//! own column, so they say what was done, not by whom.

use crate::checklist::Plan;
use crate::export::describe_fact;
use crate::timeline::{Event, EventKind, Outcome};

fn step_title(plan: &Plan, id: &crate::checklist::StepId) -> String {
    match plan.step(id) {
        Some(s) => format!("{} ({})", s.title, id),
        None => format!("`{id}` (not in this checklist)"),
    }
}

/// What happened, in one line.
pub fn describe(event: &Event, plan: &Plan) -> String {
    match &event.what {
        EventKind::ReleaseStarted {
            release, checklist, ..
        } => format!("release {release} started from {checklist}"),
        EventKind::StepDone { step, note } => match note {
            Some(n) => format!("signed off: {} — {n}", step_title(plan, step)),
            None => format!("signed off: {}", step_title(plan, step)),
        },
        EventKind::StepOverridden { step, reason } => {
            format!("overridden: {} — {reason}", step_title(plan, step))
        }
        EventKind::StepSkipped { step, reason } => {
            format!("skipped: {} — {reason}", step_title(plan, step))
        }
        EventKind::StepUndone { step, reason } => {
            format!("undone: {} — {reason}", step_title(plan, step))
        }
        EventKind::Note { text } => format!("note: {text}"),
        EventKind::Starred { .. } => "starred an event".to_string(),
        EventKind::Unstarred { .. } => "unstarred an event".to_string(),
        EventKind::ReleaseClosed { outcome, reason } => {
            let o = match outcome {
                Outcome::Completed => "completed",
                Outcome::Aborted => "aborted",
            };
            match reason {
                Some(r) => format!("release {o} — {r}"),
                None => format!("release {o}"),
            }
        }
        EventKind::Observed { fact, .. } => describe_fact(fact, plan),
    }
}
