//! Sets of events held as the events' positions in a sequence (a few bytes
//! a slot, not a copy of each key): the log's index of ids and facts and the
//! fold's facts seen. A key is looked up by its hash, then confirmed on the
//! event it points at, so the sequence must be the one the positions were
//! taken in.
//!
//! Positions are `u32`: a log of 4 billion events would need over 700 GB of
//! memory for its events alone; past that an event is not remembered.

use super::event::{Event, EventKind, FactKey};
use super::events::Events;
use hashbrown::HashTable;
use std::sync::OnceLock;

#[derive(Clone, Default)]
pub(crate) struct Positions(HashTable<u32>);

impl Positions {
    pub(crate) fn with_capacity(n: usize) -> Positions {
        Positions(HashTable::with_capacity(n))
    }

    pub(crate) fn find(
        &self,
        events: &Events,
        hash: u64,
        is: impl Fn(&Event) -> bool,
    ) -> Option<usize> {
        let at = self
            .0
            .find(hash, |&p| event_at(events, p).is_some_and(&is))?;
        Some(*at as usize)
    }

    pub(crate) fn insert(
        &mut self,
        events: &Events,
        hash: u64,
        at: usize,
        hash_of: impl Fn(&Event) -> u64,
    ) {
        if let Ok(p) = u32::try_from(at) {
            self.0
                .insert_unique(hash, p, |&q| event_at(events, q).map_or(0, &hash_of));
        }
    }
}

fn event_at(events: &Events, p: u32) -> Option<&Event> {
    events.get(p as usize).map(|e| &**e)
}

/// The facts seen (each the key of an observation's fact), held as the
/// positions of the observations with 32 bits of their key: the table grows
/// without reading the events again, and a key is confirmed on an event
/// only when those bits agree (a saved fold reads few of its events). A set
/// read back ([`FactSet::of_entries`]) builds its table when first used: a
/// start that folds nothing more never does.
#[derive(Default)]
pub(crate) struct FactSet {
    table: OnceLock<HashTable<(u32, u32)>>,
    /// The entries, until the table is built.
    entries: Vec<(u32, u32)>,
}

/// The table's hash of 32 bits of a key: spread over 64 (the table takes
/// its control bits from the top).
fn spread(bits: u32) -> u64 {
    u64::from(bits).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn bits(key: FactKey) -> u32 {
    key.short() as u32
}

impl FactSet {
    pub(crate) fn with_capacity(n: usize) -> FactSet {
        FactSet {
            table: OnceLock::from(HashTable::with_capacity(n)),
            entries: Vec::new(),
        }
    }

    fn table(&self) -> &HashTable<(u32, u32)> {
        self.table.get_or_init(|| {
            let mut table = HashTable::with_capacity(self.entries.len());
            for &(p, k) in &self.entries {
                table.insert_unique(spread(k), (p, k), |&(_, k)| spread(k));
            }
            table
        })
    }

    fn table_mut(&mut self) -> Option<&mut HashTable<(u32, u32)>> {
        self.table();
        self.entries = Vec::new();
        self.table.get_mut()
    }

    pub(crate) fn contains(&self, events: &Events, key: FactKey) -> bool {
        let b = bits(key);
        self.table()
            .find(spread(b), |&(p, k)| {
                k == b && event_at(events, p).is_some_and(is_fact(key))
            })
            .is_some()
    }

    /// Remembers the observation at `at` (which `events` may not hold yet),
    /// of the fact `key`, unless the fact is known: whether it was new.
    pub(crate) fn insert(&mut self, events: &Events, key: FactKey, at: usize) -> bool {
        if self.contains(events, key) {
            return false;
        }
        if let Ok(p) = u32::try_from(at) {
            let b = bits(key);
            if let Some(table) = self.table_mut() {
                table.insert_unique(spread(b), (p, b), |&(_, k)| spread(k));
            }
        }
        true
    }

    pub(crate) fn remove(&mut self, events: &Events, key: FactKey) {
        let b = bits(key);
        let Some(table) = self.table_mut() else {
            return;
        };
        if let Ok(slot) = table.find_entry(spread(b), |&(p, k)| {
            k == b && event_at(events, p).is_some_and(is_fact(key))
        }) {
            slot.remove();
        }
    }

    /// Its entries (position, key bits), in no order.
    pub(crate) fn entries(&self) -> Box<dyn Iterator<Item = (u32, u32)> + '_> {
        match self.table.get() {
            Some(table) => Box::new(table.iter().copied()),
            None => Box::new(self.entries.iter().copied()),
        }
    }

    /// The set of `entries` ([`FactSet::entries`]).
    pub(crate) fn of_entries(entries: Vec<(u32, u32)>) -> FactSet {
        FactSet {
            table: OnceLock::new(),
            entries,
        }
    }
}

impl Clone for FactSet {
    fn clone(&self) -> FactSet {
        FactSet {
            table: self.table.clone(),
            entries: self.entries.clone(),
        }
    }
}

fn fact_key(e: &Event) -> Option<FactKey> {
    match &e.what {
        EventKind::Observed { fact, .. } => Some(fact.key_hash()),
        _ => None,
    }
}

fn is_fact(key: FactKey) -> impl Fn(&Event) -> bool {
    move |e| fact_key(e) == Some(key)
}

impl PartialEq for FactSet {
    /// The same positions (of the same events: a state's own).
    fn eq(&self, other: &FactSet) -> bool {
        let sorted = |s: &FactSet| {
            let mut v: Vec<(u32, u32)> = s.entries().collect();
            v.sort_unstable();
            v
        };
        sorted(self) == sorted(other)
    }
}

impl std::fmt::Debug for FactSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FactSet({} facts)", self.entries().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::event::{EventId, Fact};
    use crate::timeline::rules::Role;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    fn observation(n: usize, pr: u64, merged: bool) -> Arc<Event> {
        let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        let repo = "conda/conda".into();
        let fact = if merged {
            Fact::PrMerged {
                repo,
                number: pr,
                by: None,
            }
        } else {
            Fact::PrOpened {
                repo,
                number: pr,
                title: "t".into(),
                author: "a".into(),
                head: "h".into(),
            }
        };
        Arc::new(Event {
            v: 1,
            id: EventId::from(format!("e{n}")),
            author: "jane".into(),
            role: Role::Pilot,
            seq: 1,
            at,
            observed_at: at,
            link: None,
            what: EventKind::Observed {
                probe: "p".into(),
                fact,
            },
        })
    }

    proptest! {
        /// From an empty table (so it grows and rehashes through the
        /// events), it holds exactly what a set of the keys would.
        #[test]
        fn a_fact_set_is_a_set_of_keys(facts in prop::collection::vec((0u64..40, any::<bool>(), any::<bool>()), 0..300)) {
            let mut events = Events::default();
            let mut set = FactSet::default();
            let mut reference: HashSet<FactKey> = HashSet::new();
            for (pr, merged, forget) in facts {
                let e = observation(events.len(), pr, merged);
                let EventKind::Observed { fact, .. } = &e.what else { unreachable!() };
                let key = fact.key_hash();
                prop_assert_eq!(set.contains(&events, key), reference.contains(&key));
                if forget {
                    set.remove(&events, key);
                    reference.remove(&key);
                } else {
                    prop_assert_eq!(set.insert(&events, key, events.len()), reference.insert(key));
                }
                events.push(e);
            }
            for (pr, merged) in (0..40).flat_map(|pr| [(pr, false), (pr, true)]) {
                let e = observation(0, pr, merged);
                let EventKind::Observed { fact, .. } = &e.what else { unreachable!() };
                let key = fact.key_hash();
                prop_assert_eq!(set.contains(&events, key), reference.contains(&key));
            }
        }
    }
}
