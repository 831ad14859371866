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
//! - the same format and build (the layout of [`State`]);
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
use super::trust::IgnoredEvents;
use crate::checklist::Plan;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"FDFOLD\x00\x01";
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
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(".fold");
    log.with_file_name(name)
}

#[derive(Serialize, Deserialize)]
struct Saved {
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
    state: State,
}

fn build() -> String {
    env!("CARGO_PKG_VERSION").to_string()
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
    let save = events.len() >= checkpoint::WORTH && !saved && (covering || !extended);
    (state, save)
}

/// The fold saved for `cold`'s events and `plan`, if it agrees.
fn load(log: &Path, plan: &Plan, cold: &Arc<Cold>) -> Option<State> {
    use std::io::Read;
    let mut file = std::fs::File::open(path_for(log)).ok()?;
    let len = file.metadata().ok()?.len();
    if !((KEY + 8) as u64..=MAX).contains(&len) {
        return None;
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.read_to_end(&mut bytes).ok()?;
    let (head, rest) = bytes.split_at(KEY);
    let (body, digest) = rest.split_at(rest.len() - 8);
    if key_of(head) != Some((cold.id(), cold.len()))
        || u64::from_le_bytes(digest.try_into().ok()?) != checkpoint::digest(body)
    {
        return None;
    }
    let saved: Saved = rmp_serde::from_slice(body).ok()?;
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
    let saved = SavedRef {
        format: FORMAT,
        build: build(),
        plan: fingerprint(plan),
        checkpoint: id,
        events: events.len(),
        order: &order,
        ignored: &ignored,
        ignored_why: &ignored_why,
        whys,
        state,
    };
    let body = rmp_serde::to_vec(&saved).map_err(std::io::Error::other)?;
    let target = path_for(log);
    let tmp = target.with_extension(format!("fold.tmp-{}", std::process::id()));
    let result = (|| {
        let mut out = std::fs::File::create(&tmp)?;
        out.write_all(MAGIC)?;
        out.write_all(&id.to_le_bytes())?;
        out.write_all(&(events.len() as u64).to_le_bytes())?;
        out.write_all(&body)?;
        out.write_all(&checkpoint::digest(&body).to_le_bytes())?;
        drop(out);
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`Saved`], borrowing what it writes.
#[derive(Serialize)]
struct SavedRef<'a> {
    format: u32,
    build: String,
    plan: u64,
    checkpoint: u64,
    events: usize,
    #[serde(with = "packed")]
    order: &'a Vec<usize>,
    #[serde(with = "packed")]
    ignored: &'a Vec<usize>,
    #[serde(with = "packed")]
    ignored_why: &'a Vec<usize>,
    whys: Vec<String>,
    state: &'a State,
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

/// Lists of indices as MessagePack binary: four bytes each, read at the
/// speed of a copy rather than one number at a time.
pub(crate) mod packed {
    use serde::de::{Error, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    fn bytes_of(list: &[usize]) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(list.len() * 4);
        for &i in list {
            let i = u32::try_from(i).map_err(|_| "an index past 4 billion".to_string())?;
            out.extend_from_slice(&i.to_le_bytes());
        }
        Ok(out)
    }

    fn list_of(bytes: &[u8]) -> Option<Vec<usize>> {
        let words = bytes.chunks_exact(4);
        if !words.remainder().is_empty() {
            return None;
        }
        Some(
            words
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize)
                .collect(),
        )
    }

    /// One list, as bytes.
    pub(crate) struct Bin(pub(crate) Vec<usize>);

    impl Serialize for Bin {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }

    impl<'de> Deserialize<'de> for Bin {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bin, D::Error> {
            deserialize(d).map(Bin)
        }
    }

    pub(crate) fn serialize<S: Serializer>(list: &[usize], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&bytes_of(list).map_err(serde::ser::Error::custom)?)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<usize>, D::Error> {
        struct Words;
        impl Visitor<'_> for Words {
            type Value = Vec<usize>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes of 32-bit indices")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<usize>, E> {
                list_of(v).ok_or_else(|| E::custom("a length not a multiple of 4"))
            }
        }
        d.deserialize_bytes(Words)
    }

    /// Per probe, its list.
    pub(crate) mod map {
        use super::Bin;
        use crate::timeline::Sym;
        use serde::{Deserialize, Deserializer, Serializer};
        use std::collections::BTreeMap;

        pub(crate) fn serialize<S: Serializer>(
            map: &BTreeMap<Sym, Vec<usize>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            s.collect_seq(map.iter().map(|(k, v)| (k, Bin(v.clone()))))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<BTreeMap<Sym, Vec<usize>>, D::Error> {
            let pairs: Vec<(Sym, Bin)> = Deserialize::deserialize(d)?;
            Ok(pairs.into_iter().map(|(k, v)| (k, v.0)).collect())
        }
    }

    /// Per step, its list.
    pub(crate) mod lists {
        use super::Bin;
        use serde::{Deserialize, Deserializer, Serializer};

        pub(crate) fn serialize<S: Serializer>(
            lists: &[Vec<usize>],
            s: S,
        ) -> Result<S::Ok, S::Error> {
            s.collect_seq(lists.iter().map(|v| Bin(v.clone())))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<Vec<usize>>, D::Error> {
            let lists: Vec<Bin> = Deserialize::deserialize(d)?;
            Ok(lists.into_iter().map(|v| v.0).collect())
        }
    }

    /// The facts seen: positions, then the key bits of each.
    pub(crate) mod facts {
        use super::Bin;
        use crate::timeline::positions::FactSet;
        use serde::de::Error;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub(crate) fn serialize<S: Serializer>(set: &FactSet, s: S) -> Result<S::Ok, S::Error> {
            let (at, bits): (Vec<usize>, Vec<usize>) =
                set.entries().map(|(p, k)| (p as usize, k as usize)).unzip();
            (Bin(at), Bin(bits)).serialize(s)
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FactSet, D::Error> {
            let (at, bits): (Bin, Bin) = Deserialize::deserialize(d)?;
            if at.0.len() != bits.0.len() {
                return Err(D::Error::custom("positions and keys differ in number"));
            }
            Ok(FactSet::of_entries(
                at.0.iter()
                    .zip(&bits.0)
                    .map(|(&p, &k)| (p as u32, k as u32))
                    .collect(),
            ))
        }
    }
}

#[cfg(test)]
#[path = "resume_tests.rs"]
mod tests;
