//! One line per event, for the timeline pane and the detail pane.
//!
//! Local on purpose: `crate::export` is getting its own post-mortem wording;
//! the cockpit may switch to it once it exists. Keep this short and plain.

use crate::checklist::Plan;
use crate::timeline::{Event, EventKind, Fact, Outcome};

fn step_title(plan: &Plan, id: &crate::checklist::StepId) -> String {
    match plan.step(id) {
        Some(s) => format!("{} ({})", s.title, id),
        None => format!("`{id}` (not in this checklist)"),
    }
}

/// What happened, in one line.
pub fn describe(event: &Event, plan: &Plan) -> String {
    let v = &plan.version.full;
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
        EventKind::Observed { fact, .. } => describe_fact(fact, v),
    }
}

/// A fact of the outside world, in one line.
pub fn describe_fact(fact: &Fact, _version: &str) -> String {
    match fact {
        Fact::TagPushed { repo, tag, .. } => format!("{repo} {tag} tagged on GitHub"),
        Fact::ReleaseDrafted { repo, tag } => format!("{repo} {tag} release drafted"),
        Fact::ReleasePublished {
            repo,
            tag,
            prerelease,
        } => {
            format!(
                "{repo} {tag} {} published",
                if *prerelease {
                    "pre-release"
                } else {
                    "release"
                }
            )
        }
        Fact::PrOpened {
            repo,
            number,
            title,
            author,
            ..
        } => format!("{repo} PR #{number} opened by {author}: {title}"),
        Fact::PrChecks {
            repo,
            number,
            state,
            ..
        } => format!("{repo} PR #{number} CI {state}"),
        Fact::PrMerged { repo, number, by } => match by {
            Some(b) => format!("{repo} PR #{number} merged by {b}"),
            None => format!("{repo} PR #{number} merged"),
        },
        Fact::PrClosed { repo, number } => format!("{repo} PR #{number} closed without merging"),
        Fact::PrSuperseded {
            repo,
            number,
            by_number,
        } => format!("{repo} PR #{number} superseded by #{by_number}"),
        Fact::Checks {
            repo,
            reference,
            state,
            ..
        } => format!("{repo}@{reference} CI {state}"),
        Fact::CopyFailed {
            repo,
            number,
            title,
        } => format!("{repo} #{number}: {title}"),
        Fact::IssueFiled {
            repo,
            number,
            title,
            author,
        } => format!("{repo} issue #{number} by {author}: {title}"),
        Fact::Available {
            channel,
            package,
            version,
            subdir,
            ..
        } => {
            format!("{package} {version} available on {channel} ({subdir})")
        }
        Fact::Disappeared {
            channel,
            package,
            version,
            subdir,
        } => {
            format!("{package} {version} disappeared from {channel} ({subdir})")
        }
        Fact::LabelledBroken {
            channel,
            package,
            version,
            subdir,
        } => {
            format!("{package} {version} labelled broken on {channel} ({subdir})")
        }
        Fact::PypiUploaded {
            package,
            version,
            files,
        } => format!("{package} {version} uploaded to PyPI ({files} files)"),
        Fact::PypiYanked {
            package,
            version,
            reason,
        } => match reason {
            Some(r) => format!("{package} {version} yanked from PyPI — {r}"),
            None => format!("{package} {version} yanked from PyPI"),
        },
    }
}
