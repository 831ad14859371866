//! A checkpoint of the log: derived data written beside `events.jsonl`
//! (`events.jsonl.checkpoint`), so that a start reads only the tail.
//!
//! It holds what reading the log's first `covers` bytes gave — the events in
//! file order, each id once, and the lines refused for reusing an id — in a
//! compact binary form ([`super::pack`]; the header is MessagePack), and the facts needed to trust it
//! cheaply. It is never the truth: it is used only when it agrees with the
//! log, and deleting it changes nothing anyone sees (the next start reads the
//! whole log and writes a new one). It holds no fold (a fold saved for one
//! plan is [`super::resume`]'s).
//!
//! Layout: the magic, the header, the frames of events (each decodes on its
//! own), the ids section (every event's id hash and position, sorted), a
//! directory (where each frame is, how many events it holds, its digest;
//! where the ids section is and its digest; each author's last sequence
//! number; the refused lines), then the directory's length and digest. A
//! start reads the header and the directory only; a frame or the ids
//! section is read and checked against its digest the first time it is
//! needed ([`super::events::Cold`]).
//!
//! Agreement, checked without reading the covered part of the log:
//! - the same checkpoint format and the same build (one that knows the same
//!   event kinds: a kind this build did not know was kept as `unknown`);
//! - the log is at least `covers` bytes long, and byte `covers - 1` ends a line;
//! - windows of the covered bytes (the first and last 512 bytes, and 64
//!   evenly spaced ones) have the CRC-32 they had when it was written: a log
//!   truncated, replaced by another release's, or rewritten there disagrees;
//! - its directory has the digest written after it, each frame the digest
//!   the directory gives (a garbled checkpoint). A frame found garbled only
//!   when it is read gives unknown events, and the checkpoint is removed so
//!   that the next start reads the log ([`super::events::Cold::damaged`]).
//!
//! What this does not see: a covered line changed in place, to the same
//! length, outside every window: such damage is found only when the whole
//! log is read again (after the checkpoint is deleted or disagrees).
//!
//! A checkpoint is written (temp file, then rename, so a reader sees the old
//! one or the new one) only for logs of at least [`WORTH`] lines, when the
//! tail behind the last one reaches [`EVERY`] lines: by a writer after an
//! append, and by a reader (`status`, `export`) that had to read that tail.
//! Writing it is best effort: failing to write it is not an error.

use super::event::{Event, EventKind, KNOWN_KINDS};
use super::events::{Cold, Events, FrameRef, Known, id_hash};
use super::log::ReusedId;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Logs shorter than this many lines are read whole: reading them costs
/// about as much as a checkpoint would.
pub(crate) const WORTH: usize = 1024;
/// A checkpoint is rewritten once this many lines follow what it covers.
pub(crate) const EVERY: usize = 1024;

const MAGIC: &[u8; 8] = b"FDCKPT\x00\x01";
/// 3: frames decode alone and a directory follows them; 2 had one stream of
/// frames; 1 was MessagePack of serde's events.
const FORMAT: u32 = 3;
/// No directory of ours is this long.
const MAX_DIRECTORY: u64 = 256 << 20;
const WINDOW: u64 = 512;
const SAMPLES: u64 = 64;

/// The checkpoint's file: beside the log, named after it.
pub(crate) fn path_for(log: &Path) -> PathBuf {
    super::fsutil::beside(log, ".checkpoint")
}

/// What a checkpoint must have been written by: this format, this version,
/// these event kinds.
pub(crate) fn build() -> String {
    format!("{} {}", env!("CARGO_PKG_VERSION"), KNOWN_KINDS.join(","))
}

/// The small part read first (and alone, by [`closed_hint`]).
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    build: String,
    /// Bytes of the log covered: complete lines only.
    covers: u64,
    /// Lines (blank ones included) in those bytes.
    lines: usize,
    /// Whether a covered event closes the release (a hint, as `was_closed` is).
    closed: bool,
    marks: Vec<Mark>,
}

/// The CRC-32 of `len` bytes of the log at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Mark {
    at: u64,
    len: u32,
    crc: u32,
}

/// Where the frames are, after them.
#[derive(Debug, Serialize, Deserialize)]
struct Directory {
    frames: Vec<FrameRef>,
    /// [`super::pack::pack_reused`]'s bytes.
    #[serde(with = "super::packed::bytes")]
    reused: Vec<u8>,
    /// Where every event's id hash and position are, sorted, as 12-byte
    /// records (after the frames; read when first needed).
    ids: FrameRef,
    /// Per author, the highest sequence number of its events.
    seqs: Vec<(String, u64)>,
}

/// What the checkpoint says reading the log's first `covers` bytes gives.
#[derive(Debug)]
pub(crate) struct Prefix {
    pub(crate) events: Events,
    pub(crate) reused: Vec<ReusedId>,
    pub(crate) covers: u64,
    pub(crate) lines: usize,
    /// The directory's digest: which checkpoint this is, for a fold saved
    /// from its events ([`super::resume`]).
    pub(crate) id: u64,
}

/// The checkpoint of the log at `log` (open as `file`, `len` bytes long), if
/// there is one and it agrees with the log. Only its header and directory
/// are read: its events are read a frame at a time when first needed (see
/// [`Cold`]). A garbled length inside it is refused, never a huge allocation.
pub(crate) fn load(log: &Path, file: &mut File, len: u64) -> Option<Prefix> {
    let path = path_for(log);
    let mut cp = File::open(&path).ok()?;
    let header = read_header(&mut cp)?;
    if !agrees(&header, file, len) {
        return None;
    }
    let body = cp.stream_position().ok()?;
    let end = cp.seek(SeekFrom::End(0)).ok()?;
    let mut trailer = [0u8; 16];
    cp.seek(SeekFrom::Start(end.checked_sub(16)?)).ok()?;
    cp.read_exact(&mut trailer).ok()?;
    let (n, d) = trailer.split_at(8);
    let dir_len = u64::from_le_bytes(n.try_into().ok()?);
    let dir_at = (end - 16).checked_sub(dir_len).filter(|&at| at >= body)?;
    if dir_len > MAX_DIRECTORY {
        return None;
    }
    let mut raw = vec![0u8; dir_len as usize];
    cp.seek(SeekFrom::Start(dir_at)).ok()?;
    cp.read_exact(&mut raw).ok()?;
    let id = u64::from_le_bytes(d.try_into().ok()?);
    if digest(&raw) != id {
        return None;
    }
    let dir: Directory = rmp_serde::from_slice(&raw).ok()?;
    // The frames fill the body, in order, with nothing between them.
    let mut at = body;
    for f in &dir.frames {
        if f.at != at {
            return None;
        }
        at += u64::from(f.len);
    }
    if at != dir.ids.at || at + u64::from(dir.ids.len) != dir_at {
        return None;
    }
    let reused = super::pack::unpack_reused(&dir.reused)?;
    let known = Known {
        id,
        closed: header.closed,
        ids: dir.ids,
        seqs: dir.seqs,
    };
    let cold = Cold::new(path, cp, dir.frames, known)?;
    Some(Prefix {
        events: Events::cold(Arc::new(cold)),
        reused,
        covers: header.covers,
        lines: header.lines,
        id,
    })
}

/// Whether the covered part of the log records a close, and how many bytes
/// it covers, read from the checkpoint's header alone (the body is not read).
pub(crate) fn closed_hint(log: &Path, file: &mut File, len: u64) -> Option<(bool, u64)> {
    let mut cp = File::open(path_for(log)).ok()?;
    let header = read_header(&mut cp)?;
    agrees(&header, file, len).then_some((header.closed, header.covers))
}

fn read_header(cp: &mut impl Read) -> Option<Header> {
    let mut head = [0u8; 12];
    cp.read_exact(&mut head).ok()?;
    if &head[..8] != MAGIC {
        return None;
    }
    let header_len = u32::from_le_bytes(head[8..12].try_into().ok()?) as usize;
    if header_len > 1 << 20 {
        return None;
    }
    let mut raw = vec![0u8; header_len];
    cp.read_exact(&mut raw).ok()?;
    rmp_serde::from_slice(&raw).ok()
}

fn agrees(header: &Header, file: &mut File, len: u64) -> bool {
    header.format == FORMAT
        && header.build == build()
        && header.covers > 0
        && header.covers <= len
        && marks(file, header.covers).is_some_and(|m| m == header.marks)
}

/// The windows of the covered bytes that are checked, with their CRC-32 now.
/// The last window ends at `covers`, so its CRC also says a line ends there.
fn marks(file: &mut File, covers: u64) -> Option<Vec<Mark>> {
    let window = WINDOW.min(covers);
    let mut starts = vec![0, covers - window];
    let span = covers - window;
    starts.extend((1..SAMPLES).map(|k| span / SAMPLES * k));
    let mut buf = vec![0u8; window as usize];
    let mut out = Vec::with_capacity(starts.len());
    for at in starts {
        file.seek(SeekFrom::Start(at)).ok()?;
        file.read_exact(&mut buf).ok()?;
        out.push(Mark {
            at,
            len: window as u32,
            crc: super::log::crc32(&buf),
        });
    }
    if covers >= 1 {
        file.seek(SeekFrom::Start(covers - 1)).ok()?;
        let mut last = [0u8; 1];
        file.read_exact(&mut last).ok()?;
        if last[0] != b'\n' {
            return None;
        }
    }
    Some(out)
}

/// The digest of `bytes` (a frame, the directory).
pub(crate) fn digest(bytes: &[u8]) -> u64 {
    let mut d = Digest::new();
    d.update(bytes);
    d.finish(bytes.len() as u64)
}

/// A fast digest of the body (eight bytes a step), against a garbled file:
/// not against an adversary, who could as well edit the log.
struct Digest {
    h: u64,
    word: [u8; 8],
    filled: usize,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Digest {
    fn new() -> Digest {
        Digest {
            h: K,
            word: [0; 8],
            filled: 0,
        }
    }

    fn mix(&mut self, w: u64) {
        self.h = (self.h ^ w).wrapping_mul(K).rotate_left(31);
    }

    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.filled == 0 && bytes.len() >= 8 {
                let mut chunks = bytes.chunks_exact(8);
                for c in &mut chunks {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(c);
                    self.mix(u64::from_le_bytes(w));
                }
                bytes = chunks.remainder();
                continue;
            }
            let take = (8 - self.filled).min(bytes.len());
            self.word[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == 8 {
                self.mix(u64::from_le_bytes(self.word));
                self.filled = 0;
            }
        }
    }

    /// The digest of the `len` bytes given.
    fn finish(&mut self, len: u64) -> u64 {
        for i in 0..self.filled {
            self.mix(u64::from(self.word[i]));
        }
        self.mix(len);
        self.h ^ (self.h >> 29)
    }
}

/// The ids and sequence numbers of a checkpoint's events: those of the one
/// whose frames are copied, and those of the events after them.
fn known_of(copied: Option<&Cold>, rest: &[Arc<Event>]) -> Option<(Vec<(u64, u32)>, Seqs)> {
    let from = copied.map_or(0, Cold::len);
    let mut ids: Vec<(u64, u32)> = match copied {
        Some(c) => c.ids()?.to_vec(),
        None => Vec::new(),
    };
    let mut seqs: std::collections::BTreeMap<&str, u64> = copied
        .map(|c| c.seqs().iter().map(|(a, s)| (a.as_str(), *s)).collect())
        .unwrap_or_default();
    for (i, e) in rest.iter().enumerate() {
        ids.push((id_hash(&e.id), (from + i) as u32));
        let s = seqs.entry(e.author.as_str()).or_insert(e.seq);
        *s = (*s).max(e.seq);
    }
    ids.sort_unstable();
    let seqs = seqs.into_iter().map(|(a, s)| (a.to_string(), s)).collect();
    Some((ids, seqs))
}

/// Per author, the highest sequence number.
type Seqs = Vec<(String, u64)>;

/// Writes the checkpoint of the log's first `covers` bytes (`lines` lines),
/// which read as `events` (file order, each id once) and `reused`. Frames
/// of the checkpoint `events` were read from are copied as they are (after
/// their digest is checked), not decoded and written again. Returns the new
/// checkpoint's id ([`Prefix::id`]).
pub(crate) fn write(
    log: &Path,
    file: &mut File,
    covers: u64,
    lines: usize,
    events: &Events,
    reused: &[ReusedId],
) -> std::io::Result<u64> {
    if events.len() > u32::MAX as usize {
        return Err(std::io::Error::other("too many events for a checkpoint"));
    }
    if events.damaged() {
        return Err(std::io::Error::other(
            "a checkpoint frame did not read back",
        ));
    }
    let marks = marks(file, covers)
        .ok_or_else(|| std::io::Error::other("the log changed under the checkpoint"))?;
    // The frames of a checkpoint whose events come first, in its order, are copied.
    let copied = match events.cold_part() {
        Some((cold, None)) => Some(cold),
        _ => None,
    };
    let rest = events.since(copied.map_or(0, |c| c.len()));
    if events.damaged() {
        return Err(std::io::Error::other(
            "a checkpoint frame did not read back",
        ));
    }
    let (ids, seqs) = known_of(copied.map(|c| &**c), &rest)
        .ok_or_else(|| std::io::Error::other("the checkpoint's ids did not read back"))?;
    let closes = |e: &Arc<super::event::Event>| matches!(e.what, EventKind::ReleaseClosed { .. });
    let header = Header {
        format: FORMAT,
        build: build(),
        covers,
        lines,
        closed: copied.is_some_and(|c| c.closed()) || rest.iter().any(closes),
        marks,
    };
    let header = rmp_serde::to_vec_named(&header).map_err(std::io::Error::other)?;
    let header_len = u32::try_from(header.len()).map_err(std::io::Error::other)?;
    let mut id = 0;
    super::fsutil::write_derived(&path_for(log), |out| {
        out.write_all(MAGIC)?;
        out.write_all(&header_len.to_le_bytes())?;
        out.write_all(&header)?;
        let mut at = (MAGIC.len() + 4 + header.len()) as u64;
        let mut frames = Vec::new();
        let mut emit = |bytes: &[u8], count: usize, out: &mut dyn Write| {
            let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
            out.write_all(bytes)?;
            frames.push(FrameRef {
                at,
                len,
                count: count as u32,
                digest: digest(bytes),
            });
            at += u64::from(len);
            std::io::Result::Ok(())
        };
        if let Some(cold) = copied {
            for (k, f) in cold.frames().iter().enumerate() {
                let bytes = cold
                    .raw(k)
                    .ok_or_else(|| std::io::Error::other("a checkpoint frame did not read back"))?;
                emit(&bytes, f.count as usize, out)?;
            }
        }
        let mut rest = rest.as_slice();
        while !rest.is_empty() {
            let (n, bytes) = super::pack::pack_frame(rest)?;
            emit(&bytes, n, out)?;
            rest = &rest[n..];
        }
        let ids = super::events::pack_ids(&ids);
        let ids_at = FrameRef {
            at,
            len: u32::try_from(ids.len()).map_err(std::io::Error::other)?,
            count: (ids.len() / super::events::ID_RECORD) as u32,
            digest: digest(&ids),
        };
        out.write_all(&ids)?;
        let dir = Directory {
            frames,
            reused: super::pack::pack_reused(reused),
            ids: ids_at,
            seqs,
        };
        let dir = rmp_serde::to_vec(&dir).map_err(std::io::Error::other)?;
        id = digest(&dir);
        out.write_all(&dir)?;
        out.write_all(&(dir.len() as u64).to_le_bytes())?;
        out.write_all(&id.to_le_bytes())
    })?;
    Ok(id)
}

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod tests;
