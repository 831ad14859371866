//! A checkpoint of the log: derived data written beside `events.jsonl`
//! (`events.jsonl.checkpoint`), so that a start reads only the tail.
//!
//! It holds what reading the log's first `covers` bytes gave — the events in
//! file order, each id once, and the lines refused for reusing an id — in a
//! compact binary form ([`super::pack`]; the header is MessagePack), and the facts needed to trust it
//! cheaply. It is never the truth: it is used only when it agrees with the
//! log, and deleting it changes nothing anyone sees (the next start reads the
//! whole log and writes a new one). It holds no fold: `fold` runs on its
//! events with the plan at hand, so a changed checklist needs no rebuild.
//!
//! Agreement, checked without reading the covered part of the log:
//! - the same checkpoint format and the same build (one that knows the same
//!   event kinds: a kind this build did not know was kept as `unknown`);
//! - the log is at least `covers` bytes long, and byte `covers - 1` ends a line;
//! - windows of the covered bytes (the first and last 512 bytes, and 64
//!   evenly spaced ones) have the CRC-32 they had when it was written: a log
//!   truncated, replaced by another release's, or rewritten there disagrees;
//! - its own body has the digest written after it (a garbled checkpoint).
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
use super::log::ReusedId;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Logs shorter than this many lines are read whole: reading them costs
/// about as much as a checkpoint would.
pub(crate) const WORTH: usize = 1024;
/// A checkpoint is rewritten once this many lines follow what it covers.
pub(crate) const EVERY: usize = 1024;

const MAGIC: &[u8; 8] = b"FDCKPT\x00\x01";
/// 2: the body is [`super::pack`]'s (1 was MessagePack of serde's events).
const FORMAT: u32 = 2;
const WINDOW: u64 = 512;
const SAMPLES: u64 = 64;

/// The checkpoint's file: beside the log, named after it.
pub(crate) fn path_for(log: &Path) -> PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(".checkpoint");
    log.with_file_name(name)
}

/// What a checkpoint must have been written by: this format, this version,
/// these event kinds.
fn build() -> String {
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

/// What the checkpoint says reading the log's first `covers` bytes gives.
#[derive(Debug)]
pub(crate) struct Prefix {
    pub(crate) events: Vec<Arc<Event>>,
    pub(crate) reused: Vec<ReusedId>,
    pub(crate) covers: u64,
    pub(crate) lines: usize,
}

/// The checkpoint of the log at `log` (open as `file`, `len` bytes long), if
/// there is one and it agrees with the log. Its body is read a frame at a
/// time (see [`super::pack`]) and digested as it is read; what it decoded is
/// used only if the digest at its end agrees. A garbled length inside it is
/// refused, never a huge allocation.
pub(crate) fn load(log: &Path, file: &mut File, len: u64) -> Option<Prefix> {
    let mut cp = std::io::BufReader::with_capacity(1 << 16, File::open(path_for(log)).ok()?);
    let header = read_header(&mut cp)?;
    if !agrees(&header, file, len) {
        return None;
    }
    let mut digest = Digest::new();
    let mut body_len = 0u64;
    let (events, reused) = super::pack::unpack(&mut cp, &mut |bytes: &[u8]| {
        body_len += bytes.len() as u64;
        digest.update(bytes);
    })?;
    let mut trailer = [0u8; 16];
    cp.read_exact(&mut trailer).ok()?;
    let (n, d) = trailer.split_at(8);
    let whole = u64::from_le_bytes(n.try_into().ok()?) == body_len
        && u64::from_le_bytes(d.try_into().ok()?) == digest.finish(body_len)
        && cp.read(&mut [0u8; 1]).ok()? == 0;
    whole.then_some(Prefix {
        events,
        reused,
        covers: header.covers,
        lines: header.lines,
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

/// Passes bytes on to a writer, digesting them.
struct Digesting<W> {
    out: W,
    digest: Digest,
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Writes the checkpoint of the log's first `covers` bytes (`lines` lines),
/// which read as `events` (file order, each id once) and `reused`.
pub(crate) fn write(
    log: &Path,
    file: &mut File,
    covers: u64,
    lines: usize,
    events: &[Arc<Event>],
    reused: &[ReusedId],
) -> std::io::Result<()> {
    let marks = marks(file, covers)
        .ok_or_else(|| std::io::Error::other("the log changed under the checkpoint"))?;
    let header = Header {
        format: FORMAT,
        build: build(),
        covers,
        lines,
        closed: events
            .iter()
            .any(|e| matches!(e.what, EventKind::ReleaseClosed { .. })),
        marks,
    };
    let header = rmp_serde::to_vec_named(&header).map_err(std::io::Error::other)?;
    let header_len = u32::try_from(header.len()).map_err(std::io::Error::other)?;
    let target = path_for(log);
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let tmp = target.with_file_name(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
    ));
    // Derived data: no fsync. After a crash it is either whole, or it
    // disagrees with itself (the body digest) and is rebuilt.
    let result = (|| {
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        out.write_all(MAGIC)?;
        out.write_all(&header_len.to_le_bytes())?;
        out.write_all(&header)?;
        let mut body = Digesting {
            out,
            digest: Digest::new(),
        };
        let body_len = super::pack::pack(&mut body, events, reused)?;
        let Digesting {
            mut out,
            mut digest,
        } = body;
        out.write_all(&body_len.to_le_bytes())?;
        out.write_all(&digest.finish(body_len).to_le_bytes())?;
        out.flush()?;
        drop(out);
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod tests;
