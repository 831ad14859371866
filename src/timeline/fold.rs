//! `fold(plan, events) -> State`: the one place where the timeline becomes
//! the release's state. Pure and deterministic: the same events in any order
//! give the same state, because they are first put in timeline order
//! (by `at`, then id) and deduplicated by id.

use super::availability::Availability;
use super::event::{CiState, Event, EventId, EventKind, Fact, Outcome, Sym};
use super::milestones::Milestones;
use super::roster::Roster;
use super::trust::{Ignored, sift};
use crate::checklist::ProbeSpec;
use crate::checklist::{Plan, StepId};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// The derived state of a release. Never stored: always folded from the log.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Events in timeline order, each id once: shared with the log that
    /// read them (one copy of each event in a process).
    pub events: Vec<Arc<Event>>,
    /// Indices into `events` worth showing: the same fact seen by two crew
    /// members appears once (the earliest).
    pub timeline: Vec<usize>,
    pub(crate) started: Option<Signoff>,
    pub(crate) closed: Option<(Outcome, Signoff)>,
    /// One per plan step, in plan order.
    pub(crate) steps: Vec<StepState>,
    /// Indices into `events` of notes.
    pub(crate) notes: Vec<usize>,
    pub(crate) starred: BTreeSet<EventId>,
    /// Per probe id, indices into `events` of its observations.
    pub(crate) observations: BTreeMap<Sym, Vec<usize>>,
    /// Steps named by events that the plan does not have (a changed checklist).
    pub(crate) unknown_steps: BTreeSet<StepId>,
    /// The facts interpreted once: first tag, release, availability, merges.
    pub(crate) milestones: Milestones,
    /// Per package, when each watched channel had the version in every one of
    /// its subdirs (`None`: not yet). Labels (`…/label/rc`) are left out.
    pub availability: Availability,
    /// Who sits where now (after the last handover); `None` for a log from
    /// before rosters.
    pub(crate) roster: Option<Roster>,
    /// Indices into `events` of the crew's events (the roster, handovers).
    pub(crate) crew_changes: Vec<usize>,
    /// Events the rule book refused for their author's seat: never folded,
    /// never exported, shown as "N untrusted events ignored".
    pub(crate) ignored: Vec<Ignored>,
}

/// Who did something, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signoff {
    pub(crate) by: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) event: EventId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    /// Some `needs` are not complete yet.
    Blocked {
        on: Vec<StepId>,
    },
    /// Needs are complete; waiting for a crew member to sign it off.
    Ready,
    /// Needs are complete; waiting for its probe to observe the outside world.
    Pending,
    /// Signed off by hand.
    Done {
        by: Signoff,
        note: Option<String>,
    },
    /// Completed by its probe's observation.
    Observed {
        at: DateTime<Utc>,
        event: EventId,
    },
    /// A probe-backed step completed by hand, with the reason.
    Overridden {
        by: Signoff,
        reason: String,
    },
    Skipped {
        by: Signoff,
        reason: String,
    },
}

impl StepStatus {
    /// Done, observed, overridden or skipped: nothing more to do.
    pub(crate) fn is_complete(&self) -> bool {
        matches!(
            self,
            StepStatus::Done { .. }
                | StepStatus::Observed { .. }
                | StepStatus::Overridden { .. }
                | StepStatus::Skipped { .. }
        )
    }

    /// When it became complete.
    pub(crate) fn completed_at(&self) -> Option<DateTime<Utc>> {
        match self {
            StepStatus::Done { by, .. }
            | StepStatus::Overridden { by, .. }
            | StepStatus::Skipped { by, .. } => Some(by.at),
            StepStatus::Observed { at, .. } => Some(*at),
            _ => None,
        }
    }

    /// A one-character symbol, so status never depends on color alone.
    pub(crate) fn symbol(&self) -> &'static str {
        match self {
            StepStatus::Blocked { .. } => "·",
            StepStatus::Ready => "○",
            StepStatus::Pending => "◔",
            StepStatus::Done { .. } | StepStatus::Observed { .. } => "✔",
            StepStatus::Overridden { .. } => "✚",
            StepStatus::Skipped { .. } => "⤼",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            StepStatus::Blocked { .. } => "blocked",
            StepStatus::Ready => "ready",
            StepStatus::Pending => "pending",
            StepStatus::Done { .. } => "done",
            StepStatus::Observed { .. } => "observed",
            StepStatus::Overridden { .. } => "overridden",
            StepStatus::Skipped { .. } => "skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepState {
    pub(crate) id: StepId,
    pub status: StepStatus,
    /// When every `need` was complete (for soak gates); `None` while blocked.
    pub needs_done_at: Option<DateTime<Utc>>,
}

/// An event as [`fold`] takes it: shared with a log (`Arc<Event>`: the
/// state shares it too) or owned (copied once, into the state).
pub trait Shared {
    fn shared(&self) -> Arc<Event>;
}

impl Shared for Event {
    fn shared(&self) -> Arc<Event> {
        Arc::new(self.clone())
    }
}

impl Shared for Arc<Event> {
    fn shared(&self) -> Arc<Event> {
        Arc::clone(self)
    }
}

/// Folds events into the state of the plan's release.
pub fn fold<E: Shared>(plan: &Plan, events: &[E]) -> State {
    fold_owned(plan, events.iter().map(Shared::shared).collect())
}

/// [`fold`], taking the events: the state keeps them, so a caller done with
/// them (`status`, `export`) holds one copy, not two.
pub fn fold_owned(plan: &Plan, events: Vec<Arc<Event>>) -> State {
    let sifted = sift(plan, super::merge::normalize(events));
    let events = sifted.events;
    let mut crew_changes = Vec::new();

    // Sized once (a set doubling holds both tables for a moment).
    let observed = events
        .iter()
        .filter(|e| matches!(e.what, EventKind::Observed { .. }))
        .count();
    let mut seen_facts = foldhash::HashSet::with_capacity_and_hasher(observed, Default::default());
    let mut timeline = Vec::with_capacity(events.len());
    let mut observations: BTreeMap<Sym, Vec<usize>> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut starred = BTreeSet::new();
    let mut started = None;
    let mut closed = None;
    let mut unknown_steps = BTreeSet::new();
    let mut milestones = Milestones::default();
    let step_ids: HashSet<&StepId> = plan.steps.iter().map(|s| &s.id).collect();
    let mut per_step: HashMap<&StepId, Vec<usize>> = HashMap::new();

    for (i, e) in events.iter().enumerate() {
        let signoff = || Signoff {
            by: e.author.to_string(),
            at: e.at,
            event: e.id.clone(),
        };
        match &e.what {
            EventKind::Observed { probe, fact } => {
                for earlier in fact.supersedes().into_iter().flatten() {
                    seen_facts.remove(&earlier);
                }
                if !seen_facts.insert(fact.key_hash()) {
                    continue;
                }
                match observations.get_mut(probe) {
                    Some(seen) => seen.push(i),
                    None => {
                        observations.insert(probe.clone(), vec![i]);
                    }
                }
                milestones.see(i, e);
            }
            EventKind::ReleaseStarted { .. } => {
                if started.is_none() {
                    started = Some(signoff());
                }
            }
            EventKind::ReleaseClosed { outcome, .. } => closed = Some((*outcome, signoff())),
            EventKind::Note { .. } => notes.push(i),
            EventKind::CrewAssigned { .. } | EventKind::Handover { .. } => crew_changes.push(i),
            EventKind::Starred { event } => {
                starred.insert(event.clone());
            }
            EventKind::Unstarred { event } => {
                starred.remove(event);
            }
            // Shown, never folded: this build cannot know what it means.
            EventKind::Unknown { .. } => {}
            EventKind::StepDone { step, .. }
            | EventKind::StepOverridden { step, .. }
            | EventKind::StepSkipped { step, .. }
            | EventKind::StepUndone { step, .. } => match step_ids.get(step) {
                Some(id) => per_step.entry(id).or_default().push(i),
                None => {
                    unknown_steps.insert(step.clone());
                }
            },
        }
        timeline.push(i);
    }

    // Resolve steps in plan order; `needs` may point forward, so compute
    // completion first, then blocking.
    let own: Vec<Option<StepStatus>> = plan
        .steps
        .iter()
        .map(|step| {
            let manual = per_step
                .get(&step.id)
                .map(|idx| manual_status(&events, idx));
            let (manual, undone_at) = manual.unwrap_or((None, None));
            if manual.is_some() {
                return manual;
            }
            step.probe.as_ref().and_then(|p| {
                let obs = observations
                    .get(p.id().as_str())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                probe_completion(p, &events, obs, undone_at)
            })
        })
        .collect();
    let index: HashMap<&StepId, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.id, i))
        .collect();

    let steps = plan
        .steps
        .iter()
        .zip(&own)
        .map(|(step, mine)| {
            let mut blocked_on = Vec::new();
            // The needs' own (source) times: a release joined late does not soak
            // again what was done days ago. Without needs, from the start.
            let mut needs_done_at: Option<DateTime<Utc>> = step
                .needs
                .is_empty()
                .then(|| started.as_ref().map(|s: &Signoff| s.at))
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
        .collect();

    let availability = channel_availability(plan, &events, &observations);
    State {
        events,
        timeline,
        started,
        closed,
        steps,
        notes,
        starred,
        observations,
        unknown_steps,
        milestones,
        availability,
        roster: sifted.roster,
        crew_changes,
        ignored: sifted.ignored,
    }
}

/// Per package, when each watched channel had the version in every one of its
/// subdirs. Labels (`…/label/rc`) are left out.
fn channel_availability(
    plan: &Plan,
    events: &[Arc<Event>],
    observations: &BTreeMap<Sym, Vec<usize>>,
) -> Availability {
    let mut out = Availability::new();
    for probe in plan.probes() {
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
    out
}

/// The latest manual resolution of a step, and when it was last undone.
fn manual_status(
    events: &[Arc<Event>],
    idx: &[usize],
) -> (Option<StepStatus>, Option<DateTime<Utc>>) {
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
    events: &[Arc<Event>],
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

impl State {
    /// (complete steps, all steps)
    pub fn progress(&self) -> (usize, usize) {
        let done = self.steps.iter().filter(|s| s.status.is_complete()).count();
        (done, self.steps.len())
    }

    pub fn step(&self, id: &StepId) -> Option<&StepState> {
        self.steps.iter().find(|s| &s.id == id)
    }

    pub(crate) fn event(&self, id: &EventId) -> Option<&Event> {
        self.events.iter().find(|e| &e.id == id).map(|e| &**e)
    }

    /// The facts a probe has observed, in timeline order.
    pub(crate) fn facts_of<'a>(
        &'a self,
        probe: &ProbeSpec,
    ) -> impl Iterator<Item = (&'a Event, &'a Fact)> + 'a {
        self.observations
            .get(probe.id().as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter_map(|&i| match &self.events[i].what {
                EventKind::Observed { fact, .. } => Some((&*self.events[i], fact)),
                _ => None,
            })
    }
}
