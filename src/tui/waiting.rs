//! "Waiting on whom": the people and things a step waits for, named as a
//! release manager would ("@bob (co-pilot)", "conda-forge/conda-feedstock#250
//! (CI running)", "conda-forge: linux-64, osx-arm64"), and what deserves a
//! second look (a step completed before its needs). Pure: the cockpit's
//! checklist and detail panes and `flightdeck status` read the same words.

use crate::checklist::{Plan, ProbeSpec, StepRole};
use crate::crew::Role;
use crate::timeline::{CiState, EventKind, Fact, State, StepStatus};

/// Who is in the crew, by the seats their events were written from.
pub(crate) fn crew_of(state: &State) -> Vec<(String, Role)> {
    let writers = state.writers.iter();
    writers.map(|(a, r)| (a.to_string(), *r)).collect()
}

/// The person a manual step waits for: the crew member in its seat, or the
/// seat itself when nobody has sat there yet.
pub(crate) fn person(role: StepRole, crew: &[(String, Role)]) -> String {
    let seat = match role {
        StepRole::Pilot => Role::Pilot,
        StepRole::Copilot => Role::Copilot,
        StepRole::Any => {
            let names: Vec<String> = crew
                .iter()
                .filter(|(_, r)| *r != Role::JumpSeat)
                .map(|(a, _)| format!("@{a}"))
                .collect();
            return match names.as_slice() {
                [] => "the pilot or co-pilot".into(),
                [one] => format!("{one} (or the co-pilot)"),
                many => many.join(" or "),
            };
        }
    };
    let word = if seat == Role::Pilot {
        "pilot"
    } else {
        "co-pilot"
    };
    match crew.iter().find(|(_, r)| *r == seat) {
        Some((who, _)) => format!("@{who} ({word})"),
        None => format!("the {word}"),
    }
}

/// The thing a probe-backed step waits for, with what its probe last saw.
pub(crate) fn thing(spec: &ProbeSpec, state: &State) -> String {
    let facts: Vec<&Fact> = state
        .observations
        .get(spec.id().as_str())
        .into_iter()
        .flatten()
        .filter_map(|&i| match &state.events.get(i)?.what {
            EventKind::Observed { fact, .. } => Some(fact),
            _ => None,
        })
        .collect();
    match spec {
        ProbeSpec::Tag { repo, tag } => format!("tag {tag} on {repo}"),
        ProbeSpec::Release { repo, tag } => format!("the {tag} release on {repo}"),
        ProbeSpec::Pr { repo, .. }
        | ProbeSpec::FeedstockPr {
            feedstock: repo, ..
        } => pr_words(repo, &facts),
        ProbeSpec::Ci { repo, reference } => {
            let state = facts.iter().rev().find_map(|f| match f {
                Fact::Checks { state, .. } => Some(*state),
                _ => None,
            });
            format!("CI on {repo}@{reference} ({})", ci_words(state))
        }
        ProbeSpec::IssuesMentioning { repo, .. } => format!("the issue radar on {repo}"),
        ProbeSpec::Channel {
            channel,
            package,
            version,
            subdirs,
        } => {
            let missing: Vec<&str> = subdirs
                .iter()
                .filter(|sd| {
                    !facts.iter().any(|f| {
                        matches!(f, Fact::Available { channel: c, package: p, version: v, subdir: s, .. }
                            if c == channel && p == package && v == version && s == *sd)
                    })
                })
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                format!("{channel}: {package} {version}")
            } else {
                format!("{channel}: {}", missing.join(", "))
            }
        }
        ProbeSpec::Pypi { package, version } => format!("PyPI: {package} {version}"),
    }
}

fn pr_words(repo: &str, facts: &[&Fact]) -> String {
    let number = facts.iter().rev().find_map(|f| match f {
        Fact::PrOpened { number, .. } | Fact::PrChecks { number, .. } => Some(*number),
        _ => None,
    });
    let Some(number) = number else {
        return format!("a PR on {repo} (none opened yet)");
    };
    let ci = facts.iter().rev().find_map(|f| match f {
        Fact::PrChecks {
            number: n, state, ..
        } if *n == number => Some(*state),
        _ => None,
    });
    format!("{repo}#{number} ({})", ci_words(ci))
}

fn ci_words(state: Option<CiState>) -> &'static str {
    match state {
        None => "no CI yet",
        Some(CiState::Pending) => "CI running",
        Some(CiState::Success) => "CI passed, not merged",
        Some(CiState::Failure) => "CI failed",
    }
}

/// What step `i` waits on, in words: people for manual steps, things for
/// probe-backed ones, the unfinished needs for blocked ones. `None` for a
/// complete step.
pub(crate) fn waiting_on(
    plan: &Plan,
    state: &State,
    i: usize,
    crew: &[(String, Role)],
) -> Option<String> {
    let step = plan.steps.get(i)?;
    let st = state.steps.get(i)?;
    match &st.status {
        StepStatus::Pending => step
            .probe
            .as_ref()
            .map(|p| format!("waiting on {}", thing(p, state))),
        StepStatus::Ready => Some(format!("waiting on {}", person(step.role, crew))),
        StepStatus::Blocked { on } => {
            let on: Vec<&str> = on.iter().map(|s| s.0.as_str()).collect();
            Some(format!("needs {}", on.join(", ")))
        }
        _ => None,
    }
}

/// A complete step whose needs were not all complete when it was: flagged,
/// not hidden (someone signed off out of order, or a need was undone since).
pub(crate) fn done_before_needs(plan: &Plan, state: &State, i: usize) -> Option<String> {
    let step = plan.steps.get(i)?;
    let st = state.steps.get(i)?;
    let at = completed_at(&st.status)?;
    let early: Vec<&str> = step
        .needs
        .iter()
        .filter(|need| {
            state
                .step(need)
                .map(|n| completed_at(&n.status).is_none_or(|t| t > at))
                .unwrap_or(false)
        })
        .map(|n| n.0.as_str())
        .collect();
    (!early.is_empty()).then(|| format!("done before {}", early.join(", ")))
}

fn completed_at(status: &StepStatus) -> Option<chrono::DateTime<chrono::Utc>> {
    match status {
        StepStatus::Done { by, .. }
        | StepStatus::Overridden { by, .. }
        | StepStatus::Skipped { by, .. } => Some(by.at),
        StepStatus::Observed { at, .. } => Some(*at),
        _ => None,
    }
}
