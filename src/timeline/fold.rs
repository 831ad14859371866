//! `fold(plan, events) -> State`: the one place where the timeline becomes
//! the release's state. Pure and deterministic: the same events in any order
//! give the same state, because they are first put in timeline order
//! (by `at`, then id) and deduplicated by id.

use super::availability::Availability;
use super::event::{Event, EventId, EventKind, Fact, Outcome, Sym};
use super::events::Events;
use super::matrix::{SubdirState, in_row, standing};
use super::milestones::Milestones;
use super::packed;
use super::positions::FactSet;
use super::resolve::{self, Touched};
use super::roster::Roster;
use super::rules::Role;
use super::trust::{Ignored, IgnoredEvents, Seats};
use crate::checklist::ProbeSpec;
use crate::checklist::{Plan, StepId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The derived state of a release: folded from the log, or resumed from a
/// fold saved beside it ([`super::resume`], derived data like a checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Events in timeline order, each id once: shared with the log that
    /// read them (one copy of each event in a process). A fold saved and
    /// resumed ([`super::resume`]) reads them from the log's checkpoint.
    #[serde(skip)]
    pub events: Events,
    /// Indices into `events` worth showing: the same fact seen by two crew
    /// members appears once (the earliest).
    #[serde(with = "packed")]
    pub timeline: Vec<usize>,
    pub(crate) started: Option<Signoff>,
    pub(crate) closed: Option<(Outcome, Signoff)>,
    /// One per plan step, in plan order.
    pub(crate) steps: Vec<StepState>,
    /// Indices into `events` of notes.
    #[serde(with = "packed")]
    pub(crate) notes: Vec<usize>,
    pub(crate) starred: BTreeSet<EventId>,
    /// Per probe id, indices into `events` of its observations.
    #[serde(with = "packed::map")]
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
    /// Indices into `events` of the channel observations that change where
    /// a version stands in a subdir of a channel probe's row
    /// ([`super::matrix`]): each availability, loss or breakage there
    /// except an availability right after another (it changes nothing).
    #[serde(with = "packed")]
    pub(crate) channel_marks: Vec<usize>,
    /// Indices into `events` of the crew's events (the roster, handovers).
    #[serde(with = "packed")]
    pub(crate) crew_changes: Vec<usize>,
    /// Who wrote the trusted events other than observations, with the seat
    /// each wrote from, in order of their first such event.
    pub(crate) writers: Vec<(Sym, Role)>,
    /// Events the rule book refused for their author's seat: never folded,
    /// never exported, shown as "N untrusted events ignored".
    #[serde(skip)]
    pub(crate) ignored: IgnoredEvents,
    /// What folding more events needs ([`State::extend`]).
    tally: Tally,
}

/// What the fold carries from one event to the next.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Tally {
    seats: Seats,
    /// The facts shown so far: a fact seen again (by a crew member, or a
    /// later poll) is folded once, the earliest.
    #[serde(with = "packed::facts")]
    seen_facts: FactSet,
    /// Per plan step, indices into `events` of its sign-offs and undos.
    #[serde(with = "packed::lists")]
    per_step: Vec<Vec<usize>>,
    /// The timeline key of the last event judged, trusted or not.
    last: Option<(DateTime<Utc>, EventId)>,
    /// Per plan step, its own status before its needs are considered
    /// (worked out again only for the steps new events touch).
    own: Vec<Option<StepStatus>>,
    /// Per channel probe of the plan (its index among the plan's probes)
    /// and subdir observed, whether the last observation there was an
    /// availability.
    channel_last: Vec<((u32, Sym), bool)>,
}

/// Who did something, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signoff {
    pub(crate) by: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) event: EventId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    pub(crate) id: StepId,
    pub status: StepStatus,
    /// When every `need` was complete (for soak gates); `None` while blocked.
    pub needs_done_at: Option<DateTime<Utc>>,
}

/// A channel probe of the plan: its index among the plan's probes, channel,
/// package and subdirs.
type ChannelProbe<'a> = (u32, &'a str, &'a str, &'a [String]);

/// What folding an event looks up in the plan, worked out once per fold.
struct Lookup<'a> {
    steps: HashMap<&'a StepId, usize>,
    channels: Vec<ChannelProbe<'a>>,
}

impl<'a> Lookup<'a> {
    fn of(plan: &'a Plan) -> Lookup<'a> {
        let channels = plan
            .probes()
            .into_iter()
            .enumerate()
            .filter_map(|(k, probe)| match probe {
                ProbeSpec::Channel {
                    channel,
                    package,
                    subdirs,
                    ..
                } => Some((k as u32, channel.as_str(), package.as_str(), &subdirs[..])),
                _ => None,
            })
            .collect();
        Lookup {
            steps: plan.step_indices(),
            channels,
        }
    }
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

impl<T: Shared> Shared for &T {
    fn shared(&self) -> Arc<Event> {
        (**self).shared()
    }
}

/// Folds events into the state of the plan's release.
pub fn fold<E: Shared>(plan: &Plan, events: impl IntoIterator<Item = E>) -> State {
    fold_owned(plan, events.into_iter().map(|e| e.shared()).collect())
}

/// [`fold`], taking the events: the state keeps them, so a caller done with
/// them (`status`, `export`) holds one copy, not two.
pub fn fold_owned(plan: &Plan, events: Vec<Arc<Event>>) -> State {
    let events = super::merge::normalize(events);
    // Sized once (a set doubling holds both tables for a moment).
    let observed = events
        .iter()
        .filter(|e| matches!(e.what, EventKind::Observed { .. }))
        .count();
    let mut state = State {
        events: Events::from(Vec::with_capacity(events.len())),
        timeline: Vec::with_capacity(events.len()),
        started: None,
        closed: None,
        steps: Vec::new(),
        notes: Vec::new(),
        starred: BTreeSet::new(),
        observations: BTreeMap::new(),
        unknown_steps: BTreeSet::new(),
        milestones: Milestones::default(),
        availability: Availability::new(),
        roster: None,
        channel_marks: Vec::new(),
        crew_changes: Vec::new(),
        writers: Vec::new(),
        ignored: IgnoredEvents::default(),
        tally: Tally {
            seats: Seats::of(&events),
            seen_facts: FactSet::with_capacity(observed),
            per_step: vec![Vec::new(); plan.steps.len()],
            last: None,
            own: Vec::new(),
            channel_last: Vec::new(),
        },
    };
    state.take(plan, events);
    state
}

impl State {
    /// Folds in events that sort after every event folded so far (the
    /// crew's notes and sign-offs as they are made; a probe's observation
    /// carries its source's older time and usually does not) without
    /// folding the others again:
    /// the same state as folding them all. The events must be new to the
    /// state (a log appends each id once). Gives them back when they cannot
    /// be folded so — one sorts earlier, or starts the release or sets its
    /// crew, which apply from the very start — and the caller folds all again.
    pub(crate) fn extend(
        &mut self,
        plan: &Plan,
        new: Vec<Arc<Event>>,
    ) -> Result<(), Vec<Arc<Event>>> {
        let new = super::merge::normalize(new);
        let later = match (&self.tally.last, new.first()) {
            (_, None) => return Ok(()),
            (Some((at, id)), Some(first)) => first.order_key() > (*at, id),
            (None, Some(_)) => true,
        };
        if !later || !self.tally.seats.can_extend(&new) {
            return Err(new);
        }
        self.take(plan, new);
        Ok(())
    }

    /// This fold of `events[..folded]` (a log's, in file order) brought up
    /// to date with the rest of `events`: extended when they sort after it,
    /// else `events` folded again.
    pub(crate) fn caught_up(mut self, plan: &Plan, events: &Events, folded: usize) -> State {
        if folded == events.len() {
            return self;
        }
        if folded < events.len() && self.extend(plan, events.since(folded)).is_ok() {
            return self;
        }
        fold(plan, events)
    }

    /// Judges and folds `events` (timeline order, after every event folded
    /// so far), then works out again the steps and channels they touch.
    fn take(&mut self, plan: &Plan, events: Vec<Arc<Event>>) {
        let lookup = Lookup::of(plan);
        if let Some(last) = events.last() {
            self.tally.last = Some((last.at, last.id.clone()));
        }
        // A fold from nothing works every step out; more events, the steps they touch.
        let mut touched = Touched {
            all: self.events.is_empty() && self.ignored.is_empty(),
            ..Touched::default()
        };
        for e in events {
            match self.tally.seats.judge(plan, &e) {
                Ok(()) => {
                    let i = self.events.len();
                    let writer = |(a, r): &(Sym, Role)| *a == e.author && *r == e.role;
                    if !matches!(e.what, EventKind::Observed { .. })
                        && !self.writers.iter().any(writer)
                    {
                        self.writers.push((e.author.clone(), e.role));
                    }
                    if self.see(i, &e, &lookup, &mut touched) {
                        self.timeline.push(i);
                    }
                    self.events.push(e);
                }
                Err(why) => self.ignored.push(Ignored { event: e, why }),
            }
        }
        self.roster = self.tally.seats.roster().cloned();
        let tally = &mut self.tally;
        resolve::own_statuses(
            plan,
            &self.events,
            &tally.per_step,
            &self.observations,
            &touched,
            &mut tally.own,
        );
        self.steps = resolve::steps(plan, &tally.own, self.started.as_ref());
        resolve::channel_availability(
            plan,
            &self.events,
            &self.observations,
            &touched,
            &mut self.availability,
        );
    }

    /// Folds the trusted event that will sit at `i`; whether the timeline shows it.
    fn see(&mut self, i: usize, e: &Event, lookup: &Lookup, touched: &mut Touched) -> bool {
        let signoff = || Signoff {
            by: e.author.to_string(),
            at: e.at,
            event: e.id.clone(),
        };
        match &e.what {
            EventKind::Observed { probe, fact } => {
                self.mark_channel(i, fact, &lookup.channels);
                for earlier in fact.supersedes().into_iter().flatten() {
                    self.tally.seen_facts.remove(&self.events, earlier);
                }
                if !self
                    .tally
                    .seen_facts
                    .insert(&self.events, fact.key_hash(), i)
                {
                    return false;
                }
                match self.observations.get_mut(probe) {
                    Some(seen) => seen.push(i),
                    None => {
                        self.observations.insert(probe.clone(), vec![i]);
                    }
                }
                if !touched.all && !touched.probes.contains(probe) {
                    touched.probes.push(probe.clone());
                }
                self.milestones.see(i, e);
            }
            EventKind::ReleaseStarted { .. } => {
                if self.started.is_none() {
                    self.started = Some(signoff());
                }
            }
            EventKind::ReleaseClosed { outcome, .. } => self.closed = Some((*outcome, signoff())),
            EventKind::Note { .. } => self.notes.push(i),
            EventKind::CrewAssigned { .. } | EventKind::Handover { .. } => {
                self.crew_changes.push(i)
            }
            EventKind::Starred { event } => {
                self.starred.insert(event.clone());
            }
            EventKind::Unstarred { event } => {
                self.starred.remove(event);
            }
            // Shown, never folded: this build cannot know what it means.
            EventKind::Unknown { .. } => {}
            EventKind::StepDone { step, .. }
            | EventKind::StepOverridden { step, .. }
            | EventKind::StepSkipped { step, .. }
            | EventKind::StepUndone { step, .. } => match lookup.steps.get(step) {
                Some(&s) => {
                    self.tally.per_step[s].push(i);
                    if !touched.all && !touched.steps.contains(&s) {
                        touched.steps.push(s);
                    }
                }
                None => {
                    self.unknown_steps.insert(step.clone());
                }
            },
        }
        true
    }
}

impl State {
    /// Notes the `i`th event in [`State::channel_marks`] if it changes a
    /// subdir's standing in a row of the matrix: the plan's channel probes,
    /// grouped as [`super::matrix`] groups them (a channel by name or URL).
    fn mark_channel(&mut self, i: usize, fact: &Fact, channels: &[ChannelProbe]) {
        let Some((c, p, sd, st)) = standing(fact) else {
            return;
        };
        let available = st == SubdirState::Available;
        let mut changes = false;
        for &(k, channel, package, subdirs) in channels {
            if !in_row(c, p, channel, package) || !subdirs.iter().any(|s| s.as_str() == sd.as_str())
            {
                continue;
            }
            let last = &mut self.tally.channel_last;
            let was = match last.iter_mut().find(|((q, s), _)| *q == k && s == sd) {
                Some((_, was)) => Some(std::mem::replace(was, available)),
                None => {
                    last.push(((k, sd.clone()), available));
                    None
                }
            };
            // An availability right after another changes nothing there.
            changes |= !(available && was == Some(true));
        }
        if changes {
            self.channel_marks.push(i);
        }
    }

    /// Whether every index this state holds names one of its events, and it
    /// has a place for every step of `plan` (a saved fold read back).
    pub(crate) fn fits(&self, plan: &Plan) -> bool {
        let n = self.events.len();
        let all = |v: &[usize]| v.iter().all(|&i| i < n);
        let m = &self.milestones;
        let seen = m.tags.iter().chain(&m.published).map(|t| t.event);
        let seen = seen.chain(m.available.iter().map(|a| a.event)).chain(
            m.prs_opened
                .iter()
                .chain(&m.merges)
                .chain(&m.issues)
                .map(|p| p.event),
        );
        let steps = plan.steps.len();
        self.steps.len() == steps
            && self.tally.per_step.len() == steps
            && self.tally.own.len() == steps
            && all(&self.timeline)
            && all(&self.notes)
            && all(&self.crew_changes)
            && all(&self.channel_marks)
            && self.observations.values().all(|v| all(v))
            && self.tally.per_step.iter().all(|v| all(v))
            && self
                .tally
                .seen_facts
                .entries()
                .all(|(p, _)| (p as usize) < n)
            && seen.into_iter().all(|i| i < n)
    }

    /// (complete steps, all steps)
    pub fn progress(&self) -> (usize, usize) {
        let done = self.steps.iter().filter(|s| s.status.is_complete()).count();
        (done, self.steps.len())
    }

    pub fn step(&self, id: &StepId) -> Option<&StepState> {
        self.steps.iter().find(|s| &s.id == id)
    }

    /// Indices into `events` of the sign-offs and undos of the plan's step `i`.
    pub(crate) fn step_events(&self, i: usize) -> &[usize] {
        self.tally.per_step.get(i).map_or(&[], Vec::as_slice)
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

#[cfg(test)]
#[path = "fold_tests.rs"]
pub(crate) mod tests;
