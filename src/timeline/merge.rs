//! Merging crew members' logs: a union by event id, in timeline order.
//!
//! Union by id makes merging commutative, associative and idempotent. Two
//! different events can only share an id through a bug or tampering; then the
//! one with the greater encoding wins, so every crew member still agrees. (A
//! log on disk refuses the second such line first, with its line number, and
//! the sync refuses it on import; what may be trusted is decided in `fold`,
//! by the roster: see `trust`.)

use super::event::{Event, EventId};
use std::collections::hash_map::Entry;

/// Merges two logs.
pub fn merge(a: &[Event], b: &[Event]) -> Vec<Event> {
    normalize(a.iter().chain(b).cloned().collect())
}

/// Orders events by (`at`, id) with each id once.
///
/// Works on indices (a hash of ids, a sort of positions) and moves the
/// events in place: a start folds 100,000 events through here.
pub fn normalize<E: std::borrow::Borrow<Event>>(events: Vec<E>) -> Vec<E> {
    let mut keep = vec![true; events.len()];
    {
        let mut first: foldhash::HashMap<&EventId, usize> =
            foldhash::HashMap::with_capacity_and_hasher(events.len(), Default::default());
        for (i, e) in events.iter().enumerate() {
            let e = e.borrow();
            match first.entry(&e.id) {
                Entry::Vacant(v) => {
                    v.insert(i);
                }
                Entry::Occupied(mut o) => {
                    let j = *o.get();
                    let have = events[j].borrow();
                    if have != e && encoding(e) > encoding(have) {
                        keep[j] = false;
                        o.insert(i);
                    } else {
                        keep[i] = false;
                    }
                }
            }
        }
    }
    let mut events = events;
    let mut at = 0;
    events.retain(|_| {
        at += 1;
        keep[at - 1]
    });
    let mut order: Vec<usize> = (0..events.len()).collect();
    // Ids are unique now, so the keys are too: an unstable sort is exact.
    order.sort_unstable_by(|&a, &b| {
        events[a]
            .borrow()
            .order_key()
            .cmp(&events[b].borrow().order_key())
    });
    // Position p takes the event at order[p], in place (no second buffer of
    // events): follow each cycle of the permutation once, marking it done.
    for start in 0..order.len() {
        let mut cur = start;
        while order[cur] != usize::MAX {
            let next = order[cur];
            order[cur] = usize::MAX;
            if next == start {
                break;
            }
            events.swap(cur, next);
            cur = next;
        }
    }
    events
}

fn encoding(e: &Event) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::event::EventKind;
    use crate::timeline::rules::Role;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The definition: a union by id (the greater encoding wins a clash),
    /// then timeline order.
    fn reference(events: Vec<Event>) -> Vec<Event> {
        let mut by_id: BTreeMap<EventId, Event> = BTreeMap::new();
        for e in events {
            match by_id.get(&e.id) {
                Some(have) if *have == e || encoding(&e) <= encoding(have) => {}
                _ => {
                    by_id.insert(e.id.clone(), e);
                }
            }
        }
        let mut out: Vec<Event> = by_id.into_values().collect();
        out.sort_by(|x, y| x.order_key().cmp(&y.order_key()));
        out
    }

    fn event(id: u8, secs: i64, text: u8) -> Event {
        let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::seconds(secs);
        Event {
            v: 1,
            id: EventId::from(format!("e{id}")),
            author: "jane".into(),
            role: Role::Pilot,
            seq: 1,
            at,
            observed_at: at,
            link: None,
            what: EventKind::Note {
                text: format!("t{text}"),
            },
        }
    }

    proptest! {
        #[test]
        fn normalize_is_the_union_by_id_in_timeline_order(
            raw in prop::collection::vec((0u8..30, 0i64..20, 0u8..3), 0..80)
        ) {
            let events: Vec<Event> = raw.iter().map(|&(i, s, t)| event(i, s, t)).collect();
            prop_assert_eq!(normalize(events.clone()), reference(events));
        }
    }
}
