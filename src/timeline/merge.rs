//! Merging crew members' logs: a union by event id, in timeline order.
//!
//! Union by id makes merging commutative, associative and idempotent. Two
//! different events can only share an id through a bug or tampering; then the
//! one with the greater encoding wins, so every crew member still agrees.

use super::event::{Event, EventId};
use super::rules::{Role, seat_may_record};
use crate::checklist::Plan;
use std::collections::{BTreeMap, HashMap};

/// Merges two logs.
pub fn merge(a: &[Event], b: &[Event]) -> Vec<Event> {
    normalize(a.iter().chain(b).cloned().collect())
}

/// Orders events by (`at`, id) with each id once.
pub fn normalize(events: Vec<Event>) -> Vec<Event> {
    let mut by_id: BTreeMap<EventId, Event> = BTreeMap::new();
    for e in events {
        match by_id.get(&e.id) {
            Some(existing) if existing == &e => {}
            Some(existing) => {
                if encoding(&e) > encoding(existing) {
                    by_id.insert(e.id.clone(), e);
                }
            }
            None => {
                by_id.insert(e.id.clone(), e);
            }
        }
    }
    let mut out: Vec<Event> = by_id.into_values().collect();
    out.sort_by(|x, y| x.order_key().cmp(&y.order_key()));
    out
}

fn encoding(e: &Event) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

/// Keeps the events a reader may trust: the author holds a seat in the crew,
/// claims that seat, and the rule book lets that seat record the event.
pub fn trusted(plan: &Plan, crew: &HashMap<String, Role>, events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| {
            let Some(&seat) = crew.get(&e.author) else {
                return false;
            };
            if seat != e.role {
                return false;
            }
            seat_may_record(Some(plan), seat, &e.what).is_ok()
        })
        .collect()
}
