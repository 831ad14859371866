//! Which events the fold may trust.
//!
//! An event is folded only when its author holds, on the roster at the
//! event's time, a seat the rule book allows for it. Everything else — a line
//! appended by hand, a stranger's sign-off, a co-pilot closing the release, a
//! jump seat overriding a probe — is set aside as [`Ignored`], counted and
//! shown, never folded or exported.
//!
//! The root of trust is the release's start: the author of the first
//! [`EventKind::ReleaseStarted`] records the crew ([`EventKind::CrewAssigned`]);
//! from then on seats change only by a handover the pilot made.

use super::event::{Event, EventId, EventKind};
use super::events::Events;
use super::roster::{Roster, lower, same_login};
use super::rules::{Role, act_of, seat_may, seat_may_record};
use super::sym::Sym;
use crate::checklist::Plan;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::sync::Arc;

/// An event the fold refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub(crate) event: Arc<Event>,
    pub(crate) why: String,
}

/// The events the fold refused, with why: read from the checkpoint when
/// first needed, as the state's events are (a hostile log may hold many),
/// each reason held once.
#[derive(Debug, Clone, Default)]
pub struct IgnoredEvents {
    events: Events,
    /// Per event, its reason's index in `whys`.
    why: Vec<u32>,
    whys: Vec<Sym>,
    /// Each reason's index in `whys` (a reason names a login: a hostile log
    /// may have many).
    index: HashMap<Sym, u32>,
}

/// One of [`IgnoredEvents`].
pub(crate) struct IgnoredRef<'a> {
    pub(crate) event: &'a Arc<Event>,
    pub(crate) why: &'a str,
}

impl IgnoredEvents {
    /// `events`, each refused for the reason `why` names in `whys`; `None`
    /// when they differ in number or a reason is missing.
    pub(crate) fn of(events: Events, why: Vec<u32>, whys: Vec<Sym>) -> Option<IgnoredEvents> {
        let fits = events.len() == why.len() && why.iter().all(|&k| (k as usize) < whys.len());
        let index = whys
            .iter()
            .enumerate()
            .map(|(k, w)| (w.clone(), k as u32))
            .collect();
        fits.then_some(IgnoredEvents {
            events,
            why,
            whys,
            index,
        })
    }

    pub(crate) fn push(&mut self, i: Ignored) {
        self.events.push(i.event);
        let why = Sym::from(i.why);
        let next = self.whys.len() as u32;
        let k = *self.index.entry(why.clone()).or_insert(next);
        if k == next {
            self.whys.push(why);
        }
        self.why.push(k);
    }

    pub fn len(&self) -> usize {
        self.why.len()
    }

    pub fn is_empty(&self) -> bool {
        self.why.is_empty()
    }

    pub(crate) fn get(&self, k: usize) -> Option<IgnoredRef<'_>> {
        Some(IgnoredRef {
            event: self.events.get(k)?,
            why: self.whys.get(*self.why.get(k)? as usize)?.as_str(),
        })
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = IgnoredRef<'_>> {
        (0..self.len()).filter_map(|k| self.get(k))
    }

    pub(crate) fn events(&self) -> &Events {
        &self.events
    }

    /// Per event, the index of its reason in [`IgnoredEvents::whys`].
    pub(crate) fn why_indices(&self) -> &[u32] {
        &self.why
    }

    pub(crate) fn whys(&self) -> &[Sym] {
        &self.whys
    }

    pub(crate) fn into_events(self) -> Vec<Arc<Event>> {
        self.events.into_vec()
    }
}

impl PartialEq for IgnoredEvents {
    /// The same events refused for the same reasons.
    fn eq(&self, other: &IgnoredEvents) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.event == b.event && a.why == b.why)
    }
}

/// What judging an event needs of the events before it: who started the
/// release, which event set its crew, and who sits where now. Carried by the
/// fold, so events that sort after all judged ones are judged without
/// judging the others again ([`Seats::can_extend`]).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Seats {
    starter: Option<(EventId, Sym)>,
    crew_id: Option<EventId>,
    roster: Option<Roster>,
}

impl Seats {
    /// The seats for judging `events` (timeline order) from the first.
    pub(crate) fn of<E: Borrow<Event>>(events: &[E]) -> Seats {
        let starter = events
            .iter()
            .map(Borrow::borrow)
            .find(|e| matches!(e.what, EventKind::ReleaseStarted { .. }))
            .map(|e| (e.id.clone(), e.author.clone()));
        // The crew applies from the very start, even to events that sort before
        // it (same second, smaller id).
        let crew = starter.as_ref().and_then(|(_, by)| {
            events.iter().map(Borrow::borrow).find(|e| {
                same_login(&e.author, by) && matches!(e.what, EventKind::CrewAssigned { .. })
            })
        });
        Seats {
            crew_id: crew.map(|e| e.id.clone()),
            roster: crew.and_then(|e| Roster::from_event(&e.what)),
            starter,
        }
    }

    /// Whether `later` events (sorting after every event judged) can be
    /// judged from here: not when one would start the release or set its
    /// crew, which apply from the very start.
    pub(crate) fn can_extend(&self, later: &[Arc<Event>]) -> bool {
        later.iter().all(|e| match (&e.what, &self.starter) {
            (EventKind::ReleaseStarted { .. }, None) => false,
            (EventKind::CrewAssigned { .. }, Some((_, by))) => {
                self.crew_id.is_some() || !same_login(by, &e.author)
            }
            _ => true,
        })
    }

    /// Who sits where after the events judged so far.
    pub(crate) fn roster(&self) -> Option<&Roster> {
        self.roster.as_ref()
    }

    /// Judges the next event in timeline order: why it is not trusted, if it is not.
    pub(crate) fn judge(&mut self, plan: &Plan, e: &Event) -> Result<(), String> {
        match &e.what {
            EventKind::ReleaseStarted { .. } => match &self.starter {
                Some((id, _)) if *id == e.id => Ok(()),
                _ => Err("the release has already started".to_string()),
            },
            EventKind::CrewAssigned { .. } => {
                if self.crew_id.as_ref() == Some(&e.id) {
                    Ok(())
                } else if self
                    .starter
                    .as_ref()
                    .is_some_and(|(_, by)| same_login(by, &e.author))
                {
                    Err("the crew is set once, at start".to_string())
                } else {
                    Err(format!(
                        "@{} did not start the release and may not set its crew",
                        e.author
                    ))
                }
            }
            _ => {
                let roster = self.roster.as_ref();
                let starter = self.starter.as_ref().map(|(_, by)| &**by);
                let seat = lower(seat_at(roster, starter, e), e.role);
                let next = judge(plan, roster, seat, e).map_err(|why| {
                    format!("@{}, {}: {why}", e.author, seat_words(roster, seat, e))
                })?;
                if next.is_some() {
                    self.roster = next;
                }
                Ok(())
            }
        }
    }
}

/// The seat the author holds when the event happens.
fn seat_at(roster: Option<&Roster>, starter: Option<&str>, e: &Event) -> Role {
    match (roster, starter) {
        (Some(r), _) => r.seat_of(&e.author),
        // A log from before rosters: the starter flies; the others keep the
        // seat they claimed, never above the co-pilot's.
        (None, Some(by)) if same_login(by, &e.author) => Role::Pilot,
        (None, Some(_)) => lower(e.role, Role::Copilot),
        // Not even a start (a fragment of a log): only the rule book's seat table applies.
        (None, None) => e.role,
    }
}

fn seat_words(roster: Option<&Roster>, seat: Role, e: &Event) -> String {
    match roster {
        Some(r)
            if seat == Role::JumpSeat
                && r.seat_of(&e.author) == Role::JumpSeat
                && !r
                    .jump_seat
                    .as_deref()
                    .is_some_and(|j| same_login(j, &e.author)) =>
        {
            "not on the crew (jump seat)".to_string()
        }
        _ => format!("the {}", seat.badge().to_lowercase()),
    }
}

/// The rule book's seat table for one event; a handover also needs the roster
/// to allow it, and returns the roster it makes.
fn judge(
    plan: &Plan,
    roster: Option<&Roster>,
    seat: Role,
    e: &Event,
) -> Result<Option<Roster>, String> {
    if let EventKind::Handover { to } = &e.what {
        seat_may(seat, act_of(&e.what, None)).map_err(|r| r.to_string())?;
        let Some(r) = roster else {
            return Err("this release has no crew on record to hand over".to_string());
        };
        return r.handover(&e.author, to).map(Some);
    }
    // An event naming a step the plan lacks is kept (the fold lists it as an
    // unknown step) when the seat could have recorded it for a pilot's step.
    let step_known = e.what.step().is_none_or(|id| plan.step(id).is_some());
    let checked = if step_known {
        seat_may_record(Some(plan), seat, &e.what)
    } else {
        seat_may(seat, act_of(&e.what, None))
    };
    checked.map(|()| None).map_err(|r| r.to_string())
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
