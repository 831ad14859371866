//! Merging crew members' logs: a union by event id, in timeline order.
//!
//! Union by id makes merging commutative, associative and idempotent. Two
//! different events can only share an id through a bug or tampering; then the
//! one with the greater encoding wins, so every crew member still agrees. (A
//! log on disk refuses the second such line first, with its line number, and
//! the sync refuses it on import; what may be trusted is decided in `fold`,
//! by the roster: see `trust`.)

use super::event::{Event, EventId};
use std::collections::BTreeMap;

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
