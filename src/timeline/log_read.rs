//! Reading a log without a handle on it: `status`, `export`, the open
//! release's close hint. Starts from the checkpoint when one agrees with the
//! file, and writes a new one when the tail behind it was long (best effort).

use super::checkpoint::{self, Prefix};
use super::event::Event;
use super::events::Events;
use super::log::{EventLog, LogError, parse_numbered, split_tail};
use super::log_index::{ReusedId, refuse_reused};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// What reading a log found.
#[derive(Debug, PartialEq)]
pub(crate) struct Checked {
    pub(crate) events: Events,
    /// The bytes of a torn last line.
    pub(crate) torn: Option<usize>,
    /// The lines refused for reusing an id.
    pub(crate) reused: Vec<ReusedId>,
    /// The id of the checkpoint that covers exactly these events, if one does.
    pub(crate) covering: Option<u64>,
    /// Bytes and lines of the complete lines read.
    covers: u64,
    lines: usize,
}

impl Checked {
    /// The id of a checkpoint covering every event read: the one that does,
    /// else one written now (best effort: `None` when it cannot be).
    pub(crate) fn checkpoint_all(&self, path: &Path) -> Option<u64> {
        if self.covering.is_some() {
            return self.covering;
        }
        let mut file = File::open(path).ok()?;
        let (covers, lines) = (self.covers, self.lines);
        checkpoint::write(path, &mut file, covers, lines, &self.events, &self.reused).ok()
    }
}

impl EventLog {
    /// Reads a log without changing anything (exports, the jump seat, `status`).
    /// A torn last line is left in place and reported.
    pub fn read(path: &Path) -> Result<(Events, Option<usize>), LogError> {
        Self::read_checked(path).map(|c| (c.events, c.torn))
    }

    /// [`EventLog::read`], also naming the lines refused for reusing an id.
    /// Starts from the checkpoint when one agrees with the file, and writes
    /// a new one when the tail behind it was long (best effort).
    pub(crate) fn read_checked(path: &Path) -> Result<Checked, LogError> {
        let (mut file, len) = open_with_len(path)?;
        if let Some(prefix) = checkpoint::load(path, &mut file, len)
            && let Some(checked) = Self::read_tail(path, &mut file, prefix)?
        {
            return Ok(checked);
        }
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| LogError::io(path, "reading the timeline", e))?;
        let (complete, tail) = split_tail(&bytes);
        let (numbered, lines) = parse_numbered(path, &bytes[..complete], 0, 0)?;
        drop(bytes);
        let (events, refused) = refuse_reused(numbered);
        let events = Events::from(events);
        let mut id = None;
        if lines >= checkpoint::WORTH {
            id = checkpoint::write(path, &mut file, complete as u64, lines, &events, &refused).ok();
        }
        Ok(Checked {
            events,
            torn: (tail > 0).then_some(tail),
            reused: refused,
            covering: id,
            covers: complete as u64,
            lines,
        })
    }

    /// The checkpoint's events and those of the tail behind it; `None` when a
    /// tail line reuses an id of the covered part (the whole log is read
    /// then, to name both lines).
    fn read_tail(
        path: &Path,
        file: &mut File,
        prefix: Prefix,
    ) -> Result<Option<Checked>, LogError> {
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(prefix.covers))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| LogError::io(path, "reading the timeline", e))?;
        let (complete, tail) = split_tail(&bytes);
        let torn = (tail > 0).then_some(tail);
        let (numbered, lines) =
            parse_numbered(path, &bytes[..complete], prefix.covers, prefix.lines)?;
        let Prefix {
            mut events,
            mut reused,
            covers,
            lines: lines_before,
            id,
        } = prefix;
        if numbered.is_empty() {
            return Ok(Some(Checked {
                events,
                torn,
                reused,
                covering: Some(id),
                covers,
                lines: lines_before,
            }));
        }
        let repeats = |(_, e): &(usize, Event)| {
            events
                .cold_part()
                .is_some_and(|(cold, _)| cold.find(&e.id).is_some())
        };
        if numbered.iter().any(repeats) {
            return Ok(None);
        }
        let (fresh, refused) = refuse_reused(numbered);
        events.reserve(fresh.len());
        for e in fresh {
            events.push(e);
        }
        reused.extend(refused);
        let (covers, lines) = (covers + complete as u64, lines_before + lines);
        let mut id = None;
        if lines - lines_before >= checkpoint::EVERY {
            id = checkpoint::write(path, file, covers, lines, &events, &reused).ok();
        }
        Ok(Some(Checked {
            events,
            torn,
            reused,
            covering: id,
            covers,
            lines,
        }))
    }

    /// Whether the timeline records a close, learned without parsing it (a
    /// hint: see [`super::Release::was_closed`]): the checkpoint's header
    /// answers for what it covers, and only the tail is searched.
    pub(crate) fn mentions(path: &Path, tag: &str) -> Result<bool, LogError> {
        let (mut file, len) = open_with_len(path)?;
        let from = match checkpoint::closed_hint(path, &mut file, len) {
            Some((true, _)) => return Ok(true),
            Some((false, covers)) => covers,
            None => 0,
        };
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(from))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| LogError::io(path, "reading the timeline", e))?;
        Ok(String::from_utf8_lossy(&bytes).contains(tag))
    }
}

/// The log at `path` opened for reading, and its length.
fn open_with_len(path: &Path) -> Result<(File, u64), LogError> {
    let read = |e| LogError::io(path, "reading the timeline", e);
    let file = File::open(path).map_err(read)?;
    let len = file.metadata().map_err(read)?.len();
    Ok((file, len))
}
