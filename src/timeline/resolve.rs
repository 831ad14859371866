//! Resolving a release's steps from what the fold gathered: each step's
//! own sign-offs or its probe's facts, then what its needs still block.

use super::availability::Availability;
use super::event::{CiState, Event, EventKind, Fact, Sym};
use super::events::Events;
use super::fold::{Signoff, StepState, StepStatus};
use crate::checklist::{Plan, ProbeSpec};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// What was folded since the steps were last resolved: which steps' own
/// status (and which channels' availability) may have changed.
#[derive(Debug, Default)]
pub(super) struct Touched {
    /// Everything (a fold from nothing).
    pub(super) all: bool,
    /// Plan steps with a new sign-off or undo.
    pub(super) steps: Vec<usize>,
    /// Probes with a new observation shown.
    pub(super) probes: Vec<Sym>,
}

impl Touched {
    fn probe(&self, p: &ProbeSpec) -> bool {
        self.all || self.probes.iter().any(|t| *t == p.id())
    }
}

/// Works out again each touched plan step's own status: its latest
/// sign-off, else what its probe observed (after it was last undone).
/// `own` holds one per plan step; untouched ones are kept.
pub(super) fn own_statuses(
    plan: &Plan,
    events: &Events,
    per_step: &[Vec<usize>],
    observations: &BTreeMap<Sym, Vec<usize>>,
    touched: &Touched,
    own: &mut Vec<Option<StepStatus>>,
) {
    own.resize(plan.steps.len(), None);
    for (s, (step, idx)) in plan.steps.iter().zip(per_step).enumerate() {
        let redo = touched.all
            || touched.steps.contains(&s)
            || step.probe.as_ref().is_some_and(|p| touched.probe(p));
        if !redo {
            continue;
        }
        let (manual, undone_at) = manual_status(events, idx);
        own[s] = manual.or_else(|| {
            step.probe.as_ref().and_then(|p| {
                let obs = observations
                    .get(p.id().as_str())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                probe_completion(p, events, obs, undone_at)
            })
        });
    }
}

/// Each plan step's state, in plan order, from the steps' own statuses
/// ([`own_statuses`]) and what their needs still block.
pub(super) fn steps(
    plan: &Plan,
    own: &[Option<StepStatus>],
    started: Option<&Signoff>,
) -> Vec<StepState> {
    // `needs` may point forward: own statuses first, then blocking.
    let index = plan.step_indices();

    plan.steps
        .iter()
        .zip(own)
        .map(|(step, mine)| {
            let mut blocked_on = Vec::new();
            // The needs' own (source) times: a release joined late does not soak
            // again what was done days ago. Without needs, from the start.
            let mut needs_done_at: Option<DateTime<Utc>> = step
                .needs
                .is_empty()
                .then(|| started.map(|s| s.at))
                .flatten();
            for need in &step.needs {
                let done = index
                    .get(need)
                    .and_then(|&j| own[j].as_ref())
                    .and_then(StepStatus::completed_at);
                match done {
                    Some(t) => needs_done_at = Some(needs_done_at.map_or(t, |d| d.max(t))),
                    None => blocked_on.push(need.clone()),
                }
            }
            let status = match mine {
                Some(s) => s.clone(),
                None if !blocked_on.is_empty() => StepStatus::Blocked {
                    on: blocked_on.clone(),
                },
                None if step.probe.as_ref().is_some_and(ProbeSpec::completes) => {
                    StepStatus::Pending
                }
                None => StepStatus::Ready,
            };
            StepState {
                id: step.id.clone(),
                status,
                needs_done_at: blocked_on.is_empty().then_some(needs_done_at).flatten(),
            }
        })
        .collect()
}

/// Per package, when each watched channel had the version in every one of its
/// subdirs. Labels (`…/label/rc`) are left out. Only touched channels are
/// worked out again.
pub(super) fn channel_availability(
    plan: &Plan,
    events: &Events,
    observations: &BTreeMap<Sym, Vec<usize>>,
    touched: &Touched,
    out: &mut Availability,
) {
    for probe in plan.probes() {
        if !touched.probe(probe) {
            continue;
        }
        let ProbeSpec::Channel {
            channel, package, ..
        } = probe
        else {
            continue;
        };
        if channel.contains("/label/") {
            continue;
        }
        let obs = observations
            .get(probe.id().as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let at = probe_completion(probe, events, obs, None).and_then(|s| s.completed_at());
        out.entry(package.clone())
            .or_default()
            .insert(channel.clone(), at);
    }
}

/// The latest manual resolution of a step, and when it was last undone.
fn manual_status(events: &Events, idx: &[usize]) -> (Option<StepStatus>, Option<DateTime<Utc>>) {
    let mut status = None;
    let mut undone_at = None;
    for &i in idx {
        let e = &events[i];
        let by = Signoff {
            by: e.author.to_string(),
            at: e.at,
            event: e.id.clone(),
        };
        match &e.what {
            EventKind::StepDone { note, .. } => {
                status = Some(StepStatus::Done {
                    by,
                    note: note.clone(),
                })
            }
            EventKind::StepOverridden { reason, .. } => {
                status = Some(StepStatus::Overridden {
                    by,
                    reason: reason.clone(),
                })
            }
            EventKind::StepSkipped { reason, .. } => {
                status = Some(StepStatus::Skipped {
                    by,
                    reason: reason.clone(),
                })
            }
            EventKind::StepUndone { .. } => {
                status = None;
                undone_at = Some(e.at);
            }
            _ => {}
        }
    }
    (status, undone_at)
}

/// Whether a probe's observations complete its step. Observations recorded
/// before the step was last undone do not count.
fn probe_completion(
    probe: &ProbeSpec,
    events: &Events,
    obs: &[usize],
    undone_at: Option<DateTime<Utc>>,
) -> Option<StepStatus> {
    let mut facts = obs
        .iter()
        .map(|&i| &*events[i])
        .filter(|e| undone_at.is_none_or(|u| e.observed_at > u))
        .filter_map(|e| match &e.what {
            EventKind::Observed { fact, .. } => Some((e, fact)),
            _ => None,
        });
    let observed = |e: &Event| {
        Some(StepStatus::Observed {
            at: e.at,
            event: e.id.clone(),
        })
    };
    match probe {
        ProbeSpec::Tag { .. } => facts
            .into_iter()
            .find(|(_, f)| matches!(f, Fact::TagPushed { .. }))
            .and_then(|(e, _)| observed(e)),
        ProbeSpec::Release { .. } => facts
            .into_iter()
            .find(|(_, f)| matches!(f, Fact::ReleasePublished { .. }))
            .and_then(|(e, _)| observed(e)),
        ProbeSpec::Pr { .. } | ProbeSpec::FeedstockPr { .. } => facts
            .into_iter()
            .find(|(_, f)| matches!(f, Fact::PrMerged { .. }))
            .and_then(|(e, _)| observed(e)),
        ProbeSpec::Pypi { .. } => facts
            .into_iter()
            .find(|(_, f)| matches!(f, Fact::PypiUploaded { .. }))
            .and_then(|(e, _)| observed(e)),
        ProbeSpec::Ci { .. } => {
            let last = facts.rfind(|(_, f)| matches!(f, Fact::Checks { .. }));
            match last {
                Some((
                    e,
                    Fact::Checks {
                        state: CiState::Success,
                        ..
                    },
                )) => observed(e),
                _ => None,
            }
        }
        ProbeSpec::Channel { subdirs, .. } => {
            let mut latest: HashMap<&str, Option<&Event>> = HashMap::new();
            for (e, f) in facts {
                match f {
                    Fact::Available { subdir, .. } => {
                        latest.insert(subdir, Some(e));
                    }
                    Fact::Disappeared { subdir, .. } => {
                        latest.insert(subdir, None);
                    }
                    _ => {}
                }
            }
            let mut last: Option<&Event> = None;
            for s in subdirs {
                let e = latest.get(s.as_str()).copied().flatten()?;
                if last.is_none_or(|l| e.order_key() > l.order_key()) {
                    last = Some(e);
                }
            }
            last.and_then(observed)
        }
        ProbeSpec::IssuesMentioning { .. } => None,
    }
}
