//! A sequence of events that need not all be in memory: the events a
//! checkpoint covers stay in its file ([`Cold`]) and are decoded a frame at
//! a time, the first time one of them is read; the events after them (the
//! log's tail, what was appended or folded since) are held ([`Events`]'s
//! hot part). A start that reads a checkpoint and a saved fold touches only
//! the frames it shows (issue 16), not every event.
//!
//! A frame once decoded stays decoded: a reference to an event lives as
//! long as the sequence, as it does in a `Vec`. Reading every event (an
//! export, a search, folding all again) costs what it did before.

use super::event::{Event, EventId, EventKind};
use super::rules::Role;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Where a frame of a checkpoint's body is, and what it must read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct FrameRef {
    /// Offset in the checkpoint's file.
    pub(crate) at: u64,
    pub(crate) len: u32,
    pub(crate) count: u32,
    /// [`super::checkpoint::digest`] of its bytes.
    pub(crate) digest: u64,
}

/// The events a checkpoint covers, in the log's file order, decoded on demand.
pub(crate) struct Cold {
    path: PathBuf,
    file: Mutex<File>,
    frames: Vec<FrameRef>,
    /// Per frame, the position of its first event.
    first: Vec<usize>,
    len: usize,
    decoded: Box<[OnceLock<Frame>]>,
    damaged: AtomicBool,
    id: u64,
    /// Whether one of its events closes the release (its header says).
    closed: bool,
    /// Where every event's id hash ([`id_hash`]) is, with its position,
    /// sorted: a repeated id is found without decoding every frame. Read
    /// when first needed (a start with no tail needs none).
    ids_at: FrameRef,
    ids: OnceLock<Option<Vec<(u64, u32)>>>,
    /// Per author, the highest sequence number of its events.
    seqs: Vec<(String, u64)>,
}

/// A frame's events, once decoded.
type Frame = Box<[Arc<Event>]>;

/// What a [`Cold`] knows of its events without decoding them.
pub(crate) struct Known {
    /// The checkpoint's id (its directory's digest).
    pub(crate) id: u64,
    pub(crate) closed: bool,
    /// The section of id hashes and positions (`count`: one per event).
    pub(crate) ids: FrameRef,
    pub(crate) seqs: Vec<(String, u64)>,
}

/// Bytes of an id hash and its position in the ids section.
pub(crate) const ID_RECORD: usize = 12;

/// The ids section's bytes.
pub(crate) fn pack_ids(ids: &[(u64, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * ID_RECORD);
    for (h, p) in ids {
        out.extend_from_slice(&h.to_le_bytes());
        out.extend_from_slice(&p.to_le_bytes());
    }
    out
}

fn unpack_ids(bytes: &[u8]) -> Option<Vec<(u64, u32)>> {
    let records = bytes.chunks_exact(ID_RECORD);
    if !records.remainder().is_empty() {
        return None;
    }
    records
        .map(|r| {
            let (h, p) = r.split_at(8);
            Some((
                u64::from_le_bytes(h.try_into().ok()?),
                u32::from_le_bytes(p.try_into().ok()?),
            ))
        })
        .collect()
}

/// A hash of an id, the same in every process of this build.
pub(crate) fn id_hash(id: &EventId) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0xa409_3822_299f_31d0).hash_one(id)
}

impl Cold {
    /// The events of `frames` in the checkpoint at `path` (open as `file`);
    /// `None` when a frame is empty or too long, or the ids section is not
    /// one record per event (its contents are checked when it is read).
    pub(crate) fn new(
        path: PathBuf,
        file: File,
        frames: Vec<FrameRef>,
        known: Known,
    ) -> Option<Cold> {
        let mut first = Vec::with_capacity(frames.len());
        let mut len = 0usize;
        for f in &frames {
            if f.count == 0 || f.count as usize > super::pack::FRAME {
                return None;
            }
            if f.len as usize > super::pack::MAX_FRAME {
                return None;
            }
            first.push(len);
            len += f.count as usize;
        }
        let Known {
            id,
            closed,
            ids,
            seqs,
        } = known;
        if ids.count as usize != len || ids.len as usize != len * ID_RECORD {
            return None;
        }
        let decoded = frames.iter().map(|_| OnceLock::new()).collect();
        Some(Cold {
            path,
            file: Mutex::new(file),
            frames,
            first,
            len,
            decoded,
            damaged: AtomicBool::new(false),
            id,
            closed,
            ids_at: ids,
            ids: OnceLock::new(),
            seqs,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The checkpoint's id ([`super::checkpoint::Prefix::id`]).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn closed(&self) -> bool {
        self.closed
    }

    /// Every event's id hash and position, sorted: read when first needed;
    /// when they no longer read back (see [`Cold::damaged`]), worked out
    /// from the events.
    pub(crate) fn ids(&self) -> Option<&[(u64, u32)]> {
        let ids = self.ids.get_or_init(|| {
            let f = self.ids_at;
            let read = self
                .read(f.at, f.len, f.digest)
                .and_then(|b| unpack_ids(&b))
                .filter(|ids| {
                    ids.len() == self.len
                        && ids.windows(2).all(|w| w[0] <= w[1])
                        && ids.iter().all(|&(_, p)| (p as usize) < self.len)
                });
            // Unreadable: found out once, then built from the events.
            read.or_else(|| {
                self.damage();
                let mut ids: Vec<(u64, u32)> = (0..self.len)
                    .filter_map(|p| Some((id_hash(&self.get(p)?.id), p as u32)))
                    .collect();
                ids.sort_unstable();
                Some(ids)
            })
        });
        ids.as_deref()
    }

    pub(crate) fn seqs(&self) -> &[(String, u64)] {
        &self.seqs
    }

    /// The event with `id`, found by its hash and confirmed on the event.
    pub(crate) fn find(&self, id: &EventId) -> Option<(usize, &Arc<Event>)> {
        let ids = self.ids()?;
        let h = id_hash(id);
        let from = ids.partition_point(|&(k, _)| k < h);
        ids[from..]
            .iter()
            .take_while(|&&(k, _)| k == h)
            .find_map(|&(_, p)| {
                let e = self.get(p as usize)?;
                (e.id == *id).then_some((p as usize, e))
            })
    }

    pub(crate) fn frames(&self) -> &[FrameRef] {
        &self.frames
    }

    /// The event at `pos` (file order), decoding its frame if this is the
    /// first read of it.
    pub(crate) fn get(&self, pos: usize) -> Option<&Arc<Event>> {
        if pos >= self.len {
            return None;
        }
        let k = self.first.partition_point(|&f| f <= pos) - 1;
        let frame = self.decoded[k].get_or_init(|| self.decode(k));
        frame.get(pos - self.first[k])
    }

    /// Where its id hashes are.
    #[cfg(test)]
    pub(crate) fn ids_section(&self) -> FrameRef {
        self.ids_at
    }

    /// How many frames have been decoded so far.
    #[cfg(test)]
    pub(crate) fn decoded(&self) -> usize {
        self.decoded.iter().filter(|f| f.get().is_some()).count()
    }

    /// Whether a frame did not read back as written (the file was changed
    /// in place after it was checked): its events read as unknown ones, and
    /// the checkpoint is removed so that the next start reads the log.
    pub(crate) fn damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// The bytes of frame `k`, checked against its digest.
    pub(crate) fn raw(&self, k: usize) -> Option<Vec<u8>> {
        let f = self.frames.get(k)?;
        self.read(f.at, f.len, f.digest)
    }

    /// `len` bytes of the file at `at`, checked against `digest`.
    fn read(&self, at: u64, len: u32, digest: u64) -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; len as usize];
        let mut file = self.file.lock().ok()?;
        file.seek(SeekFrom::Start(at)).ok()?;
        file.read_exact(&mut bytes).ok()?;
        (super::checkpoint::digest(&bytes) == digest).then_some(bytes)
    }

    /// Notes that part of the file no longer reads back as written.
    fn damage(&self) {
        self.damaged.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_file(&self.path);
    }

    fn decode(&self, k: usize) -> Frame {
        let count = self.frames[k].count as usize;
        let read = self
            .raw(k)
            .and_then(|b| super::pack::unpack_frame(&b))
            .filter(|events| events.len() == count);
        match read {
            Some(events) => events.into_boxed_slice(),
            None => {
                self.damage();
                (0..count)
                    .map(|i| Arc::new(unreadable(self.first[k] + i)))
                    .collect()
            }
        }
    }
}

/// What stands for an event whose checkpoint frame no longer reads back.
fn unreadable(pos: usize) -> Event {
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    Event {
        v: 1,
        id: EventId::from(format!("unreadable-checkpoint-{pos}")),
        author: "flightdeck".into(),
        role: Role::Pilot,
        seq: 0,
        at,
        observed_at: at,
        link: None,
        what: EventKind::Unknown {
            of: "unreadable checkpoint (restart flightdeck to read the log)".into(),
        },
    }
}

/// A sequence of shared events: the first ones named in a [`Cold`]
/// checkpoint (all of it in its order, or the positions picked), then the
/// ones held.
#[derive(Clone, Default)]
pub struct Events {
    cold: Option<Arc<Cold>>,
    /// Positions in `cold` of the first events; `None`: all of `cold`, in order.
    picked: Option<Vec<u32>>,
    hot: Vec<Arc<Event>>,
}

impl Events {
    /// All of `cold`'s events, in its order.
    pub(crate) fn cold(cold: Arc<Cold>) -> Events {
        Events {
            cold: Some(cold),
            picked: None,
            hot: Vec::new(),
        }
    }

    /// The events of `cold` at `picked`; `None` when one is past its end.
    pub(crate) fn picked(cold: Arc<Cold>, picked: Vec<u32>) -> Option<Events> {
        if picked.iter().any(|&p| p as usize >= cold.len()) {
            return None;
        }
        Some(Events {
            cold: Some(cold),
            picked: Some(picked),
            hot: Vec::new(),
        })
    }

    fn cold_len(&self) -> usize {
        match (&self.cold, &self.picked) {
            (None, _) => 0,
            (Some(c), None) => c.len(),
            (Some(_), Some(p)) => p.len(),
        }
    }

    /// The checkpoint the first events are read from, and their positions
    /// in it (`None`: all of it, in its order).
    pub(crate) fn cold_part(&self) -> Option<(&Arc<Cold>, Option<&[u32]>)> {
        Some((self.cold.as_ref()?, self.picked.as_deref()))
    }

    /// The events held, after the cold ones.
    pub(crate) fn hot(&self) -> &[Arc<Event>] {
        &self.hot
    }

    pub fn len(&self) -> usize {
        self.cold_len() + self.hot.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&Arc<Event>> {
        let cold = self.cold_len();
        if i < cold {
            let pos = self.picked.as_ref().map_or(i, |p| p[i] as usize);
            self.cold.as_ref()?.get(pos)
        } else {
            self.hot.get(i - cold)
        }
    }

    pub fn first(&self) -> Option<&Arc<Event>> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&Arc<Event>> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            events: self,
            at: 0..self.len(),
        }
    }

    pub(crate) fn push(&mut self, e: Arc<Event>) {
        self.hot.push(e);
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        self.hot.reserve(n);
    }

    /// The events from the `from`th on, shared.
    pub fn since(&self, from: usize) -> Vec<Arc<Event>> {
        (from..self.len()).map(|i| Arc::clone(&self[i])).collect()
    }

    pub fn to_vec(&self) -> Vec<Arc<Event>> {
        self.since(0)
    }

    /// The events, shared (those held are moved, not copied).
    pub fn into_vec(self) -> Vec<Arc<Event>> {
        if self.cold.is_none() {
            return self.hot;
        }
        self.to_vec()
    }

    /// Whether a checkpoint frame behind these events did not read back.
    pub(crate) fn damaged(&self) -> bool {
        self.cold.as_ref().is_some_and(|c| c.damaged())
    }
}

impl From<Vec<Arc<Event>>> for Events {
    fn from(hot: Vec<Arc<Event>>) -> Events {
        Events {
            cold: None,
            picked: None,
            hot,
        }
    }
}

impl std::ops::Index<usize> for Events {
    type Output = Arc<Event>;

    fn index(&self, i: usize) -> &Arc<Event> {
        match self.get(i) {
            Some(e) => e,
            None => panic!("event {i} of {}", self.len()),
        }
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Arc<Event>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The events of an [`Events`], in order.
pub struct Iter<'a> {
    events: &'a Events,
    at: std::ops::Range<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Arc<Event>;

    fn next(&mut self) -> Option<&'a Arc<Event>> {
        self.events.get(self.at.next()?)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.at.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.events.get(self.at.next_back()?)
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl PartialEq for Events {
    fn eq(&self, other: &Events) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
