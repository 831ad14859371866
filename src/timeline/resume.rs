//! A fold saved beside the log (`events.jsonl.fold`), so that a start folds
//! only the events after the checkpoint (issue 16): `status`, `export` and
//! the cockpit's first frame then cost about the same at 1,000 events and
//! at 1,000,000.
//!
//! It is the [`State`] of the events one checkpoint covers, for one plan,
//! without the events themselves: the state's events are named by their
//! positions in the checkpoint and read from it when first needed
//! ([`Events::picked`]). Like the checkpoint it is derived data, never the
//! truth. It is used only when all of these agree, and folding again is the
//! answer to anything else:
//! - the same format (raised with any change to [`State`] or to what the
//!   fold means) and build (its version and the event kinds it knows);
//! - the same plan (a fingerprint of it: an edited checklist folds again);
//! - the same checkpoint (its id, the digest of its directory) and number
//!   of events;
//! - its own digest (a garbled file), and every index it holds in range.
//!
//! It is saved when a fold covers exactly the events of the newest
//! checkpoint (a checkpoint is written every [`super::checkpoint::EVERY`]
//! lines), by whoever folded them: `status`, `export`, the cockpit's start.
//! Saving is best effort, written to a temporary file and renamed.

use super::checkpoint;
use super::event::Event;
use super::event::Sym;
use super::events::{Cold, Events};
use super::fold::{State, fold};
use super::packed;
use super::trust::IgnoredEvents;
use crate::checklist::Plan;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"FDFOLD\x00\x01";
/// Raised with any change to [`State`]'s fields or to what folding means
/// (a saved fold of another meaning must not be resumed).
const FORMAT: u32 = 1;
/// No saved fold of ours is this long.
const MAX: u64 = 1 << 30;

/// The magic, then the checkpoint's id and event count.
const KEY: usize = 24;

fn key_of(head: &[u8]) -> Option<(u64, usize)> {
    if head.len() < KEY || &head[..8] != MAGIC {
        return None;
    }
    let word = |at: usize| Some(u64::from_le_bytes(head[at..at + 8].try_into().ok()?));
    Some((word(8)?, usize::try_from(word(16)?).ok()?))
}

/// The saved fold's file: beside the log, named after it.
pub(crate) fn path_for(log: &Path) -> PathBuf {
    super::fsutil::beside(log, ".fold")
}

#[derive(Serialize, Deserialize)]
struct Saved<S> {
    format: u32,
    build: String,
    plan: u64,
    /// The checkpoint's id and how many events it covers.
    checkpoint: u64,
    events: usize,
    /// Per event of the state, its position in the checkpoint.
    #[serde(with = "packed")]
    order: Vec<usize>,
    /// The events the fold refused: their positions, and for each the
    /// index of why in `whys`.
    #[serde(with = "packed")]
    ignored: Vec<usize>,
    #[serde(with = "packed")]
    ignored_why: Vec<usize>,
    whys: Vec<String>,
    /// The state: owned when read back, borrowed when written.
    state: S,
}

/// The build the fold was saved by: its version and the event kinds it
/// knows ([`checkpoint::build`]). The layout of [`State`] and what the fold
/// means are this build's: [`FORMAT`] is raised with any change to either.
fn build() -> String {
    checkpoint::build()
}

/// A fingerprint of the plan: what the fold reads of it.
fn fingerprint(plan: &Plan) -> u64 {
    checkpoint::digest(format!("{plan:?}").as_bytes())
}

/// The state of `events` (a log's, in file order): resumed from the fold
/// saved for the checkpoint they start with and brought up to date, else
/// folded; and whether it should be saved (with a checkpoint of every event
/// if `newest`, the checkpoint covering them all, is `None`): when it is a
/// fold of them all, or `newest` has no fold saved yet.
pub(crate) fn resume(
    plan: &Plan,
    log: &Path,
    events: &Events,
    newest: Option<(u64, usize)>,
) -> (State, bool) {
    let cold = match events.cold_part() {
        Some((cold, None)) => Some(cold),
        _ => None,
    };
    let resumed = cold.and_then(|c| load(log, plan, c));
    let from = cold.map(|c| (c.id(), c.len()));
    // The fold saved for the newest checkpoint is the one resumed.
    let saved = resumed.is_some() && from == newest;
    let state = match resumed {
        Some(state) => state.caught_up(plan, events, from.map_or(0, |f| f.1)),
        None => fold(plan, events),
    };
    let extended = matches!(state.events.cold_part(), Some((_, Some(_))));
    let covering = newest.is_some_and(|(_, n)| n == events.len());
    let save = events.len() >= checkpoint::WORTH
        && !saved
        && (covering || !extended)
        && !damaged(events, &state);
    (state, save)
}

/// Whether a checkpoint frame behind these events did not read back: a
/// fold of them holds unknown events in their place and is never saved.
fn damaged(events: &Events, state: &State) -> bool {
    events.damaged() || state.events.damaged() || state.ignored.events().damaged()
}

/// The fold saved for `cold`'s events and `plan`, if it agrees.
fn load(log: &Path, plan: &Plan, cold: &Arc<Cold>) -> Option<State> {
    use std::io::Read;
    let file = std::fs::File::open(path_for(log)).ok()?;
    let len = file.metadata().ok()?.len();
    if !((KEY + 8) as u64..=MAX).contains(&len) {
        return None;
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX).read_to_end(&mut bytes).ok()?;
    // The file may have changed since its length was read.
    if bytes.len() < KEY + 8 {
        return None;
    }
    let (head, rest) = bytes.split_at(KEY);
    let (body, digest) = rest.split_at(rest.len() - 8);
    if key_of(head) != Some((cold.id(), cold.len()))
        || u64::from_le_bytes(digest.try_into().ok()?) != checkpoint::digest(body)
    {
        return None;
    }
    let saved: Saved<State> = rmp_serde::from_slice(body).ok()?;
    if saved.format != FORMAT
        || saved.build != build()
        || saved.plan != fingerprint(plan)
        || saved.checkpoint != cold.id()
        || saved.events != cold.len()
    {
        return None;
    }
    let order: Vec<u32> = saved
        .order
        .iter()
        .map(|&p| u32::try_from(p).ok())
        .collect::<Option<_>>()?;
    let mut state = saved.state;
    state.events = Events::picked(Arc::clone(cold), order)?;
    let at: Vec<u32> = saved
        .ignored
        .iter()
        .map(|&p| u32::try_from(p).ok())
        .collect::<Option<_>>()?;
    let whys: Vec<Sym> = saved.whys.into_iter().map(Sym::from).collect();
    let why: Vec<u32> = saved
        .ignored_why
        .iter()
        .map(|&k| u32::try_from(k).ok())
        .collect::<Option<_>>()?;
    state.ignored = IgnoredEvents::of(Events::picked(Arc::clone(cold), at)?, why, whys)?;
    state.fits(plan).then_some(state)
}

/// Saves `state`, the fold of `events` (which checkpoint `id` covers).
/// Best effort: a fold not saved is folded again at the next start.
pub(crate) fn save(
    log: &Path,
    plan: &Plan,
    id: u64,
    events: &Events,
    state: &State,
) -> std::io::Result<()> {
    if damaged(events, state) {
        return Err(std::io::Error::other(
            "a checkpoint frame did not read back",
        ));
    }
    let positions = Positions::of(events);
    let at = |e: &Arc<Event>| {
        positions
            .at(events, e)
            .ok_or_else(|| std::io::Error::other("an event of the fold is not the log's"))
    };
    // Resumed, the events read from the checkpoint are named by their
    // positions already; those after them are the log's.
    let positions_of = |some: &Events| -> std::io::Result<Vec<usize>> {
        match some.cold_part() {
            Some((cold, Some(picked)))
                if events
                    .cold_part()
                    .is_some_and(|(c, _)| Arc::ptr_eq(c, cold)) =>
            {
                let mut order: Vec<usize> = picked.iter().map(|&p| p as usize).collect();
                for e in some.hot() {
                    order.push(at(e)?);
                }
                Ok(order)
            }
            _ => some.iter().map(at).collect(),
        }
    };
    let order = positions_of(&state.events)?;
    let ignored = positions_of(state.ignored.events())?;
    let ignored_why: Vec<usize> = state
        .ignored
        .why_indices()
        .iter()
        .map(|&k| k as usize)
        .collect();
    let whys: Vec<String> = state.ignored.whys().iter().map(|w| w.to_string()).collect();
    let saved = Saved {
        format: FORMAT,
        build: build(),
        plan: fingerprint(plan),
        checkpoint: id,
        events: events.len(),
        order,
        ignored,
        ignored_why,
        whys,
        state,
    };
    let body = rmp_serde::to_vec(&saved).map_err(std::io::Error::other)?;
    super::fsutil::write_derived(&path_for(log), |out| {
        out.write_all(MAGIC)?;
        out.write_all(&id.to_le_bytes())?;
        out.write_all(&(events.len() as u64).to_le_bytes())?;
        out.write_all(&body)?;
        out.write_all(&checkpoint::digest(&body).to_le_bytes())
    })
}

/// Where each event of a log is, found by the address of its shared copy:
/// only the events held are looked at (those read from a checkpoint are
/// found by their frame).
struct Positions(HashMap<*const Event, usize>);

impl Positions {
    fn of(events: &Events) -> Positions {
        let from = events.len() - events.hot().len();
        Positions(
            events
                .hot()
                .iter()
                .enumerate()
                .map(|(i, e)| (Arc::as_ptr(e), from + i))
                .collect(),
        )
    }

    fn at(&self, events: &Events, e: &Arc<Event>) -> Option<usize> {
        if let Some(&i) = self.0.get(&Arc::as_ptr(e)) {
            return Some(i);
        }
        let (cold, _) = events.cold_part()?;
        let (p, have) = cold.find(&e.id)?;
        Arc::ptr_eq(have, e).then_some(p)
    }
}

#[cfg(test)]
#[path = "resume_tests.rs"]
mod tests;
