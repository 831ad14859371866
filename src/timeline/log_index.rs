//! What a writing log remembers of the events it read: each id once (a line
//! repeating one is dropped, or refused when it is a different event), and
//! the facts recorded (a probe records a fact once).
//!
//! Built when a write first needs it, not when the log is opened: the cockpit
//! folds 100,000 events at start, and the fold's working memory and this
//! index are then never held at once (issue 16). Until it is built, lines
//! read are checked for repeats by [`repeats`], one pass over what was read.

use super::event::{Event, EventId, EventKind, FactKey};
use super::events::Events;
use super::positions::{FactSet, Positions};
use foldhash::{HashMap, HashMapExt};
use std::hash::BuildHasher;
use std::sync::Arc;

/// Ids and facts are kept as positions into the log's events
/// ([`Positions`]), not as copies: 5 bytes a slot instead of 33 and 17.
pub(crate) struct Index {
    hasher: foldhash::fast::RandomState,
    ids: Positions,
    facts: FactSet,
}

impl Index {
    /// The index of `events` (file order, each id once), sized once.
    pub(crate) fn of(events: &Events) -> Index {
        let observed = events
            .iter()
            .filter(|e| matches!(e.what, EventKind::Observed { .. }))
            .count();
        let mut index = Index {
            hasher: Default::default(),
            ids: Positions::with_capacity(events.len()),
            facts: FactSet::with_capacity(observed),
        };
        for (i, e) in events.iter().enumerate() {
            index.add(events, i, e);
        }
        index
    }

    /// Where the event with `id` is in the log's `events`.
    pub(crate) fn get(&self, events: &Events, id: &EventId) -> Option<usize> {
        self.ids
            .find(events, self.hasher.hash_one(id), |e| e.id == *id)
    }

    pub(crate) fn has_fact(&self, events: &Events, key: FactKey) -> bool {
        self.facts.contains(events, key)
    }

    /// Remembers `event`, about to sit at `i` in the log's `events` (whose
    /// id is not known yet; those before `i` are remembered).
    pub(crate) fn add(&mut self, events: &Events, i: usize, event: &Event) {
        let hasher = &self.hasher;
        self.ids.insert(events, hasher.hash_one(&event.id), i, |e| {
            hasher.hash_one(&e.id)
        });
        if let EventKind::Observed { fact, .. } = &event.what {
            for earlier in fact.supersedes().into_iter().flatten() {
                self.facts.remove(events, earlier);
            }
            self.facts.insert(events, fact.key_hash(), i);
        }
    }
}

/// Without an index: which of `fresh` (lines just read, in file order) to
/// keep — not those repeating the id of an event in `known` or of an earlier
/// fresh line — and whether a repeat was a different event (a reused id).
pub(crate) fn repeats(known: &Events, fresh: &[Event]) -> (Vec<bool>, bool) {
    let mut keep = vec![true; fresh.len()];
    let mut reused = false;
    let mut first: HashMap<&EventId, usize> = HashMap::with_capacity(fresh.len());
    for (i, e) in fresh.iter().enumerate() {
        if let Some(&j) = first.get(&e.id) {
            keep[i] = false;
            reused |= fresh[j] != *e;
        } else {
            first.insert(&e.id, i);
        }
    }
    let mut repeat = |have: &Event, i: usize| {
        // Every fresh line with this id repeats the known event.
        for (k, e) in fresh.iter().enumerate().skip(i) {
            if e.id == have.id {
                keep[k] = false;
                reused |= *have != *e;
            }
        }
    };
    // The events a checkpoint holds are found by their ids' hashes; the
    // others by one pass.
    if let Some((cold, None)) = known.cold_part() {
        for (id, &i) in &first {
            if let Some((_, have)) = cold.find(id) {
                repeat(have, i);
            }
        }
    }
    for have in known.hot() {
        if let Some(&i) = first.get(&have.id) {
            repeat(have, i);
        }
    }
    (keep, reused)
}

/// A line refused because its event reuses the id of a different, earlier event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReusedId {
    pub(crate) line: usize,
    pub(crate) first_line: usize,
    pub(crate) id: EventId,
}

impl std::fmt::Display for ReusedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} reuses the id {} of line {} for a different event: refused (ignored)",
            self.line, self.id, self.first_line
        )
    }
}

/// Keeps the first event of each id; a later, different event with the same
/// id is refused with its line (an exact repeat is harmless and dropped).
pub(crate) fn refuse_reused(numbered: Vec<(usize, Event)>) -> (Vec<Arc<Event>>, Vec<ReusedId>) {
    let mut first: HashMap<EventId, (usize, usize)> = HashMap::with_capacity(numbered.len());
    let mut events: Vec<Arc<Event>> = Vec::with_capacity(numbered.len());
    let mut refused = Vec::new();
    for (line, e) in numbered {
        match first.get(&e.id) {
            Some(&(_, i)) if *events[i] == e => {}
            Some(&(first_line, _)) => refused.push(ReusedId {
                line,
                first_line,
                id: e.id.clone(),
            }),
            None => {
                first.insert(e.id.clone(), (line, events.len()));
                events.push(Arc::new(e));
            }
        }
    }
    (events, refused)
}
