//! The rule book: who may record what, and when a person must confirm first.
//!
//! One pure function, [`judge`], decides for every writer: the cockpit's
//! `update`, every command of the command line, the probes' observations and
//! the merge of other crew members' events. Its answer is a [`Verdict`]:
//!
//! - **accepted**: a [`Permit`], the only thing [`super::EventLog`] appends;
//! - **needs confirmation**, with the [`Reason`]s (a pilot-only step, a blocked
//!   step, a gate, an override of a probe): the cockpit asks y/n, the command
//!   line wants `--force` — the same question in two places;
//! - **refused**, worded for the person who tried ([`Refusal`]).
//!
//! Time-dependent rules (gates) read the release's clock, given as `now` in
//! the [`Book`], never the wall clock.

use super::event::EventKind;
use super::fold::{State, StepStatus};
use crate::checklist::{Plan, Step, StepId, StepRole};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who is sitting where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Runs the release; may do everything.
    Pilot,
    /// Mirrors the release; signs off `copilot` and `any` steps, adds notes.
    Copilot,
    /// Watches; changes nothing.
    JumpSeat,
}

impl Role {
    pub(crate) fn badge(self) -> &'static str {
        match self {
            Role::Pilot => "PILOT",
            Role::Copilot => "CO-PILOT",
            Role::JumpSeat => "JUMP SEAT",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Pilot => "pilot",
            Role::Copilot => "copilot",
            Role::JumpSeat => "jump-seat",
        })
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pilot" => Ok(Role::Pilot),
            "copilot" | "co-pilot" => Ok(Role::Copilot),
            "jump-seat" | "jumpseat" | "jump_seat" => Ok(Role::JumpSeat),
            other => Err(format!(
                "unknown role `{other}`: use pilot, copilot or jump-seat"
            )),
        }
    }
}

/// What a seat must be allowed to do for an event to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Start or close the release.
    ManageRelease,
    /// Sign off, undo or skip a manual step owned by the given role.
    SignOff(StepRole),
    /// Complete, skip or undo a probe-backed step by hand, ahead of its probe.
    Override,
    Note,
    Star,
    /// Record what a probe saw.
    Observe,
    /// Hand the controls to the co-pilot (or take them back).
    Handover,
}

/// The seat table. Deny by default: every allowed pair is listed.
fn seat_allows(role: Role, act: Act) -> bool {
    matches!(
        (role, act),
        (Role::Pilot, _)
            | (
                Role::Copilot,
                Act::SignOff(StepRole::Copilot | StepRole::Any)
            )
            | (Role::Copilot, Act::Note | Act::Star | Act::Observe)
    )
}

/// Why a person should look twice before an event is recorded. In the
/// cockpit each is a bullet of the y/n question; on the command line,
/// `--force` answers yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The step belongs to the pilot.
    PilotOnly,
    /// Some of the step's needs are not complete.
    Blocked(Vec<StepId>),
    /// A gate says to wait (a forbidden weekday, a soak not over).
    Gated(String),
    /// A probe-backed step is completed (or skipped) by hand, before its probe saw it.
    Override,
    /// The release is closed as shipped with this many steps not complete.
    Unfinished(usize),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::PilotOnly => f.write_str("a pilot-only step"),
            Reason::Blocked(on) => {
                let on: Vec<&str> = on.iter().map(|s| s.0.as_str()).collect();
                write!(f, "blocked: needs {} first", on.join(", "))
            }
            Reason::Gated(why) => write!(f, "gate: {why}"),
            Reason::Override => f.write_str("its probe has not seen it: this records it by hand"),
            Reason::Unfinished(1) => f.write_str("1 step is not complete"),
            Reason::Unfinished(n) => write!(f, "{n} steps are not complete"),
        }
    }
}

/// A refused event, worded for the person who tried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The seat may not record this at all.
    Seat { role: Role, act: Act },
    /// The event needs a reason (a skip, an undo, an override) or a text (a note).
    NeedsText,
    /// The release's state rules it out (already done, nothing to undo, no such step).
    State(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Seat {
                role: Role::JumpSeat,
                ..
            } => f.write_str("read-only: jump seat"),
            Refusal::Seat {
                role,
                act: Act::SignOff(owner),
            } => write!(
                f,
                "this step belongs to the {owner}; a {role} cannot sign it off"
            ),
            Refusal::Seat {
                act: Act::Override, ..
            } => {
                f.write_str(
                "only the pilot may override a probe-backed step (complete, skip or undo it by hand)",
            )
            }
            Refusal::Seat {
                act: Act::ManageRelease,
                ..
            } => f.write_str("only the pilot may start or close the release, or set its crew"),
            Refusal::Seat {
                act: Act::Handover,
                ..
            } => f.write_str("only the pilot may hand over the controls"),
            Refusal::Seat { role, act } => write!(f, "a {role} may not do that ({act:?})"),
            Refusal::NeedsText => f.write_str("a reason is required"),
            Refusal::State(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Refusal {}

/// The right to append one event as one seat. Only [`judge`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    seat: Role,
    what: EventKind,
}

impl Permit {
    #[cfg(test)]
    pub(crate) fn seat(&self) -> Role {
        self.seat
    }

    pub(crate) fn what(&self) -> &EventKind {
        &self.what
    }

    pub(crate) fn into_parts(self) -> (Role, EventKind) {
        (self.seat, self.what)
    }
}

/// What the rule book says about a proposed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted(Permit),
    /// Allowed once a person confirms (the cockpit's y, the command line's `--force`).
    NeedsConfirmation {
        reasons: Vec<Reason>,
        permit: Permit,
    },
    Refused(Refusal),
}

impl Verdict {
    /// The permit when the person confirmed (or nothing needed confirming).
    pub fn confirmed(self) -> Result<Permit, Refusal> {
        match self {
            Verdict::Accepted(p) | Verdict::NeedsConfirmation { permit: p, .. } => Ok(p),
            Verdict::Refused(r) => Err(r),
        }
    }
}

/// What the rules read: the plan, its folded state and the release's clock.
/// Without a plan (a log on its own) no step event can be judged.
#[derive(Debug, Clone, Copy)]
pub struct Book<'a> {
    pub(crate) plan: Option<&'a Plan>,
    pub(crate) state: Option<&'a State>,
    pub(crate) now: DateTime<Utc>,
}

impl<'a> Book<'a> {
    pub fn new(plan: &'a Plan, state: &'a State, now: DateTime<Utc>) -> Book<'a> {
        Book {
            plan: Some(plan),
            state: Some(state),
            now,
        }
    }

    /// For events that concern no step (notes, stars, observations, the release itself).
    pub fn without_plan(now: DateTime<Utc>) -> Book<'a> {
        Book {
            plan: None,
            state: None,
            now,
        }
    }
}

/// The act an event needs, given the step it concerns.
pub(crate) fn act_of(what: &EventKind, step: Option<&Step>) -> Act {
    let probe_backed = step.is_some_and(is_probe_backed);
    match what {
        // Unknown kinds are never written by this build (`judge_state` refuses them): the strictest act.
        EventKind::ReleaseStarted { .. }
        | EventKind::ReleaseClosed { .. }
        | EventKind::CrewAssigned { .. }
        | EventKind::Unknown { .. } => Act::ManageRelease,
        EventKind::Handover { .. } => Act::Handover,
        EventKind::StepOverridden { .. } => Act::Override,
        EventKind::StepDone { .. }
        | EventKind::StepSkipped { .. }
        | EventKind::StepUndone { .. } => {
            if probe_backed {
                Act::Override
            } else {
                Act::SignOff(step.map_or(StepRole::Pilot, |s| s.role))
            }
        }
        EventKind::Note { .. } => Act::Note,
        EventKind::Starred { .. } | EventKind::Unstarred { .. } => Act::Star,
        EventKind::Observed { .. } => Act::Observe,
    }
}

fn is_probe_backed(step: &Step) -> bool {
    step.probe.as_ref().is_some_and(|p| p.completes())
}

/// Whether `seat` may record `what` at all, whatever the release's state: the
/// check a reader applies to other members' events (their state may have
/// raced ours; the fold resolves the order).
pub(crate) fn seat_may_record(
    plan: Option<&Plan>,
    seat: Role,
    what: &EventKind,
) -> Result<(), Refusal> {
    let step = match (what.step(), plan) {
        (Some(id), Some(plan)) => Some(plan.step(id).ok_or_else(|| no_step(id))?),
        (Some(id), None) => return Err(no_step(id)),
        (None, _) => None,
    };
    seat_may(seat, act_of(what, step))
}

/// The seat table, for a caller that asks before it has an event (may this
/// seat run probes at all?).
pub(crate) fn seat_may(seat: Role, act: Act) -> Result<(), Refusal> {
    if seat_allows(seat, act) {
        Ok(())
    } else {
        Err(Refusal::Seat { role: seat, act })
    }
}

fn no_step(id: &StepId) -> Refusal {
    Refusal::State(format!("this release has no step `{id}`"))
}

/// The rule book. Checks, in order: the seat (so the jump seat hears
/// "read-only", not a request for a reason), the release's state, the text a
/// reason needs, then what deserves a confirmation.
pub fn judge(book: &Book, seat: Role, what: EventKind) -> Verdict {
    if let Err(r) = seat_may_record(book.plan, seat, &what) {
        return Verdict::Refused(r);
    }
    match judge_state(book, &what) {
        Ok(reasons) => {
            let permit = Permit { seat, what };
            if reasons.is_empty() {
                Verdict::Accepted(permit)
            } else {
                Verdict::NeedsConfirmation { reasons, permit }
            }
        }
        Err(r) => Verdict::Refused(r),
    }
}

fn judge_state(book: &Book, what: &EventKind) -> Result<Vec<Reason>, Refusal> {
    let closed = book.state.and_then(|s| s.closed.as_ref()).is_some();
    match what {
        EventKind::ReleaseStarted { .. } => {
            if book.state.is_some_and(|s| s.started.is_some()) {
                return Err(Refusal::State("the release has already started".into()));
            }
            Ok(Vec::new())
        }
        EventKind::ReleaseClosed { outcome, .. } => {
            if closed {
                return Err(Refusal::State("the release is already closed".into()));
            }
            // Aborting or rolling back half-way is what those outcomes are
            // for; calling it shipped with steps open deserves a second look.
            let open = book.state.map_or(0, |s| {
                let (done, total) = s.progress();
                total - done
            });
            if *outcome == super::event::Outcome::Shipped && open > 0 {
                return Ok(vec![Reason::Unfinished(open)]);
            }
            Ok(Vec::new())
        }
        EventKind::CrewAssigned { pilot, .. } => {
            if book.state.is_some_and(|s| s.roster.is_some()) {
                return Err(Refusal::State(
                    "the crew is set once, at start: hand over the controls with `flightdeck crew handover LOGIN`".into(),
                ));
            }
            non_empty(pilot).map(|()| Vec::new())
        }
        EventKind::Handover { to } => {
            let Some(roster) = book.state.and_then(|s| s.roster.as_ref()) else {
                return Err(Refusal::State(
                    "this release has no crew on record (it predates rosters): there is no co-pilot to hand over to".into(),
                ));
            };
            // The seat check passed: whoever asks is the pilot.
            roster
                .handover(&roster.pilot, to)
                .map(|_| Vec::new())
                .map_err(Refusal::State)
        }
        EventKind::Note { text } => non_empty(text).map(|()| Vec::new()),
        EventKind::Unknown { of } => Err(Refusal::State(format!(
            "this build does not know events of kind `{of}`"
        ))),
        EventKind::Starred { .. } | EventKind::Unstarred { .. } | EventKind::Observed { .. } => {
            Ok(Vec::new())
        }
        EventKind::StepDone { step, .. }
        | EventKind::StepOverridden { step, .. }
        | EventKind::StepSkipped { step, .. }
        | EventKind::StepUndone { step, .. } => {
            // `seat_may_record` found the step, so both exist.
            let (Some(plan), Some(state)) = (book.plan, book.state) else {
                return Err(no_step(step));
            };
            let Some(def) = plan.step(step) else {
                return Err(no_step(step));
            };
            let status = state
                .step(step)
                .map(|s| s.status.clone())
                .unwrap_or(StepStatus::Ready);
            judge_step(book, def, &status, state, what)
        }
    }
}

/// The longest note or reason: it travels in the crew's share (a GitHub
/// comment holds 65,536 characters) and reads on one screen.
pub(crate) const MAX_TEXT: usize = 10_000;

fn non_empty(text: &str) -> Result<(), Refusal> {
    let n = text.chars().count();
    if text.trim().is_empty() {
        Err(Refusal::NeedsText)
    } else if n > MAX_TEXT {
        Err(Refusal::State(format!(
            "a note or reason holds at most {MAX_TEXT} characters, this one {n}: shorten it, or link to a document"
        )))
    } else {
        Ok(())
    }
}

fn judge_step(
    book: &Book,
    def: &Step,
    status: &StepStatus,
    state: &State,
    what: &EventKind,
) -> Result<Vec<Reason>, Refusal> {
    let id = &def.id;
    let probe_backed = is_probe_backed(def);
    let mut reasons = Vec::new();
    match what {
        EventKind::StepUndone { reason, .. } => {
            if !status.is_complete() {
                return Err(Refusal::State(format!(
                    "step `{id}` is {}: there is nothing to undo",
                    status.label()
                )));
            }
            non_empty(reason)?;
            return Ok(reasons);
        }
        EventKind::StepDone { .. } if probe_backed => {
            let probe = def.probe.as_ref().map(|p| p.id()).unwrap_or_default();
            return Err(Refusal::State(format!(
                "step `{id}` completes itself when its probe ({probe}) sees it; \
                 completing it by hand is an override, with a reason"
            )));
        }
        EventKind::StepOverridden { .. } if !probe_backed => {
            return Err(Refusal::State(format!(
                "step `{id}` has no probe to override: sign it off instead"
            )));
        }
        _ => {}
    }
    if let Some(by) = completion(status) {
        return Err(Refusal::State(format!("step `{id}` is already {by}")));
    }
    match what {
        EventKind::StepSkipped { reason, .. } | EventKind::StepOverridden { reason, .. } => {
            non_empty(reason)?
        }
        _ => {}
    }
    if def.role == StepRole::Pilot {
        reasons.push(Reason::PilotOnly);
    }
    if matches!(what, EventKind::StepSkipped { .. }) {
        // Skipping says the step will not happen: its needs and gates do not matter.
        if probe_backed {
            reasons.push(Reason::Override);
        }
        return Ok(reasons);
    }
    if let StepStatus::Blocked { on } = status {
        reasons.push(Reason::Blocked(on.clone()));
    }
    let needs_done_at = state.step(id).and_then(|s| s.needs_done_at);
    if let Some(why) = def
        .gate
        .as_ref()
        .and_then(|g| g.blocks(book.now, needs_done_at))
    {
        reasons.push(Reason::Gated(why));
    }
    if probe_backed {
        reasons.push(Reason::Override);
    }
    Ok(reasons)
}

/// How a complete step was completed, for "already …" messages.
pub(crate) fn completion(status: &StepStatus) -> Option<String> {
    let when = |at: &DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    match status {
        StepStatus::Done { by, .. } => Some(format!("done (by {} at {})", by.by, when(&by.at))),
        StepStatus::Observed { at, .. } => Some(format!("done (observed at {})", when(at))),
        StepStatus::Overridden { by, .. } => {
            Some(format!("overridden (by {} at {})", by.by, when(&by.at)))
        }
        StepStatus::Skipped { by, .. } => {
            Some(format!("skipped (by {} at {})", by.by, when(&by.at)))
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
