//! Merging crew members' logs: a union by event id, in timeline order.
//!
//! Union by id makes merging commutative, associative and idempotent. Two
//! different events can only share an id through a bug or tampering; then the
//! one with the greater encoding wins, so every crew member still agrees. (A
//! log on disk refuses the second such line first, with its line number, and
//! the sync refuses it on import; what may be trusted is decided in `fold`,
//! by the roster: see `trust`.)

use super::event::{Event, EventId};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Merges two logs.
pub fn merge(a: &[Event], b: &[Event]) -> Vec<Event> {
    normalize(a.iter().chain(b).cloned().collect())
}

/// Orders events by (`at`, id) with each id once.
///
/// Works on indices (a hash of ids, a sort of positions) and moves each
/// event once: a start folds 100,000 events through here.
pub fn normalize(events: Vec<Event>) -> Vec<Event> {
    let mut keep = vec![true; events.len()];
    {
        let mut first: HashMap<&EventId, usize> = HashMap::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            match first.entry(&e.id) {
                Entry::Vacant(v) => {
                    v.insert(i);
                }
                Entry::Occupied(mut o) => {
                    let j = *o.get();
                    if events[j] != *e && encoding(e) > encoding(&events[j]) {
                        keep[j] = false;
                        o.insert(i);
                    } else {
                        keep[i] = false;
                    }
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..events.len()).filter(|&i| keep[i]).collect();
    // Ids are unique now, so the keys are too: an unstable sort is exact.
    order.sort_unstable_by(|&a, &b| events[a].order_key().cmp(&events[b].order_key()));
    let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
    order.iter().filter_map(|&i| slots[i].take()).collect()
}

fn encoding(e: &Event) -> String {
    serde_json::to_string(e).unwrap_or_default()
}
