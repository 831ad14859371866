//! The on-disk timeline: `events.jsonl`, append-only, one event per line.
//!
//! Rules (see design.md, "Reliability rules"):
//! - an event is acknowledged only after it is appended and fsynced;
//! - writers take an exclusive lock on the file for each append, so the cockpit,
//!   `flightdeck step` and `flightdeck poll` can share one log;
//! - a torn last line (a crash mid-write) is moved to `events.jsonl.broken` and
//!   truncated, with a warning;
//! - damage in the middle of the file is refused with the line and byte offset,
//!   and nothing is changed;
//! - each line carries a checksum (see [`super::event`] for the format), so
//!   damage that still parses as JSON is refused too; lines written before
//!   checksums existed have none and are read as before.

use super::checkpoint;
use super::event::{Event, EventId, EventKind, Fact, FactKey, SCHEMA_VERSION};
use super::events::Events;
use super::fold::State;
#[cfg(test)]
use super::line::SUM_LEN;
pub(crate) use super::line::crc32;
pub use super::line::line_of;
use super::line::{LineError, encode_line, parse_line};
pub(crate) use super::log_index::ReusedId;
use super::log_index::{Index, repeats};
use super::rules::{Book, Permit, Role, judge};
use crate::timeline::clock::Clock;
use chrono::{DateTime, Utc};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(
        "{path}: line {line} (byte {offset}) is damaged: {message}\n  nothing was changed; \
         the events before it are intact. Repair or remove that line by hand (keep a copy), then retry"
    )]
    Damaged {
        path: String,
        line: usize,
        offset: u64,
        message: String,
    },
    #[error(
        "{path}: line {line} was written by a newer flightdeck (event schema {found}, this one reads up to {SCHEMA_VERSION})\n  upgrade flightdeck to read this release"
    )]
    TooNew {
        path: String,
        line: usize,
        found: u32,
    },
    #[error("{path}: {action}: {source}")]
    Io {
        path: String,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl LogError {
    pub(super) fn io(path: &Path, action: &'static str, source: std::io::Error) -> LogError {
        LogError::Io {
            path: path.display().to_string(),
            action,
            source,
        }
    }

    /// Damage is the user's to repair (exit 2); an I/O failure is a runtime failure (exit 1).
    pub fn is_damage(&self) -> bool {
        !matches!(self, LogError::Io { .. })
    }
}

/// What opening a log had to repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    pub bytes: usize,
    pub(crate) moved_to: PathBuf,
}

impl std::fmt::Display for TornTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the timeline ended with an incomplete line ({} bytes, probably a crash mid-write); \
             it was never acknowledged, and was moved to {}",
            self.bytes,
            self.moved_to.display()
        )
    }
}

/// An open, writable timeline.
pub struct EventLog {
    path: PathBuf,
    file: File,
    /// Shared with the fold's state and the store's subscribers: one copy.
    /// Those a checkpoint covers are read from it when first needed.
    events: Events,
    /// Bytes of the file consumed as complete lines.
    read_to: u64,
    /// Lines (blank ones included) consumed, so messages name the line an editor shows.
    lines_read: usize,
    /// Each id once, with its place in `events`, and the facts recorded:
    /// built when a write first needs it ([`super::log_index`]).
    index: Option<Index>,
    author: String,
    role: Role,
    next_seq: u64,
    clock: Clock,
    /// Opened for reading only (the jump seat): never repairs, never appends.
    read_only: bool,
    /// Lines covered by the newest checkpoint this handle knows of.
    checkpointed: usize,
    /// That checkpoint's id, and how many events it covers.
    checkpoint: Option<(u64, usize)>,
    /// A line reused an earlier line's id for a different event: readers
    /// report it with both line numbers, which this handle does not keep, so
    /// it leaves the checkpoint to them.
    reused_seen: bool,
}

impl EventLog {
    /// A handle on `file` that has read nothing yet.
    fn fresh(
        path: &Path,
        file: File,
        author: &str,
        role: Role,
        clock: Clock,
        read_only: bool,
    ) -> EventLog {
        EventLog {
            path: path.to_path_buf(),
            file,
            events: Events::default(),
            read_to: 0,
            lines_read: 0,
            index: None,
            author: author.to_string(),
            role,
            next_seq: 1,
            clock,
            read_only,
            checkpointed: 0,
            checkpoint: None,
            reused_seen: false,
        }
    }

    /// Starts from the log's checkpoint when one agrees with the file: only
    /// the tail behind it is read and parsed.
    fn seed(&mut self) {
        let Ok(len) = self.file.metadata().map(|m| m.len()) else {
            return;
        };
        let Some(prefix) = checkpoint::load(&self.path, &mut self.file, len) else {
            return;
        };
        self.reused_seen = !prefix.reused.is_empty();
        // The checkpoint holds each id once: no index is needed to take them.
        self.index = None;
        if let Some((cold, _)) = prefix.events.cold_part() {
            for (author, seq) in cold.seqs() {
                if *author == self.author {
                    self.next_seq = self.next_seq.max(seq.saturating_add(1));
                }
            }
        }
        self.events = prefix.events;
        self.checkpoint = Some((prefix.id, self.events.len()));
        self.read_to = prefix.covers;
        self.lines_read = prefix.lines;
        self.checkpointed = prefix.lines;
    }

    /// Writes a new checkpoint when enough lines follow the last one, or
    /// (`all`) when any do. Best effort: the checkpoint is derived data, and
    /// the log is the record.
    fn maybe_checkpoint(&mut self, all: bool) {
        let behind = self.lines_read.saturating_sub(self.checkpointed);
        if self.reused_seen
            || self.lines_read < checkpoint::WORTH
            || behind == 0
            || (behind < checkpoint::EVERY && !all)
        {
            return;
        }
        if let Ok(id) = checkpoint::write(
            &self.path,
            &mut self.file,
            self.read_to,
            self.lines_read,
            &self.events,
            &[],
        ) {
            self.checkpointed = self.lines_read;
            self.checkpoint = Some((id, self.events.len()));
        }
    }

    /// Creates a new, empty log (failing if one exists) and fsyncs its directory.
    pub fn create(
        path: &Path,
        author: &str,
        role: Role,
        clock: Clock,
    ) -> Result<EventLog, LogError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|e| LogError::io(path, "creating the timeline", e))?;
        file.sync_all()
            .map_err(|e| LogError::io(path, "syncing the timeline", e))?;
        if let Some(dir) = path.parent() {
            super::fsutil::sync_dir(dir)
                .map_err(|e| LogError::io(dir, "syncing the release directory", e))?;
        }
        Ok(EventLog::fresh(path, file, author, role, clock, false))
    }

    /// Opens a log to follow it without ever changing it (the jump seat): a
    /// torn last line is left for a writer to repair, and [`EventLog::refresh`]
    /// picks up what writers append.
    pub fn open_read_only(
        path: &Path,
        author: &str,
        role: Role,
        clock: Clock,
    ) -> Result<EventLog, LogError> {
        let file = OpenOptions::new()
            .read(true)
            .open(path)
            .map_err(|e| LogError::io(path, "opening the timeline", e))?;
        let mut log = EventLog::fresh(path, file, author, role, clock, true);
        log.seed();
        log.refresh()?;
        log.maybe_checkpoint(false);
        Ok(log)
    }

    /// Opens a log for writing, repairing a torn last line.
    pub fn open(
        path: &Path,
        author: &str,
        role: Role,
        clock: Clock,
    ) -> Result<(EventLog, Option<TornTail>), LogError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| LogError::io(path, "opening the timeline", e))?;
        let mut log = EventLog::fresh(path, file, author, role, clock, false);
        log.lock()?;
        log.seed();
        let result = log.catch_up();
        if result.is_ok() {
            log.maybe_checkpoint(false);
        }
        log.unlock();
        let torn = result?;
        Ok((log, torn))
    }

    /// Turns a log opened read-only into one that writes as `role` (a seat
    /// learned from what it read), keeping what it read: the file is opened
    /// again for appending, and a torn last line is repaired as [`EventLog::open`]
    /// repairs it. The log is read once, not once to learn the seat and
    /// again to write.
    pub(crate) fn into_writer(
        mut self,
        role: Role,
    ) -> Result<(EventLog, Option<TornTail>), LogError> {
        self.file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| LogError::io(&self.path, "opening the timeline", e))?;
        self.read_only = false;
        self.role = role;
        self.lock()?;
        let result = self.catch_up();
        if result.is_ok() {
            self.maybe_checkpoint(false);
        }
        self.unlock();
        let torn = result?;
        Ok((self, torn))
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    /// The state of the events read: the fold saved beside the log resumed
    /// when it agrees, else a fold of them all ([`super::resume`]). A fold of
    /// them all leaves a checkpoint of every event and the fold saved for
    /// it, so that the next start folds only what follows.
    pub fn state(&mut self, plan: &crate::checklist::Plan) -> State {
        let newest = self.checkpoint_covering();
        let (state, save) = super::resume::resume(plan, &self.path, &self.events, newest);
        if save {
            self.maybe_checkpoint(true);
            if let Some((id, _)) = self.checkpoint_covering() {
                let _ = super::resume::save(&self.path, plan, id, &self.events, &state);
            }
        }
        state
    }

    /// The newest checkpoint this handle knows of (its id, and how many
    /// events it covers) when it covers every event read.
    pub(crate) fn checkpoint_covering(&self) -> Option<(u64, usize)> {
        self.checkpoint.filter(|&(_, n)| n == self.events.len())
    }

    pub(crate) fn author(&self) -> &str {
        &self.author
    }

    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// The seat this log writes as from now on (a handover moved it).
    pub(crate) fn set_role(&mut self, role: Role) {
        self.role = role;
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Whether a fact was already recorded (by anyone writing to this log).
    pub(crate) fn has_fact(&mut self, fact: &Fact) -> bool {
        self.knows_fact(fact.key_hash())
    }

    fn knows_fact(&mut self, key: FactKey) -> bool {
        let (index, events) = self.index();
        index.has_fact(events, key)
    }

    /// Picks up events appended by other processes since the last read.
    /// Returns how many arrived.
    pub fn refresh(&mut self) -> Result<usize, LogError> {
        let before = self.events.len();
        let bytes = self.read_new()?;
        let (complete, _) = split_tail(&bytes);
        self.absorb(&bytes[..complete])?;
        Ok(self.events.len() - before)
    }

    /// Appends an event happening now. Only the rule book makes a [`Permit`].
    pub fn append(&mut self, permit: Permit) -> Result<Event, LogError> {
        self.append_with(permit, None, None)
    }

    /// Appends an event, acknowledging it only once it is on disk. `at` defaults to now.
    pub fn append_with(
        &mut self,
        permit: Permit,
        at: Option<DateTime<Utc>>,
        link: Option<String>,
    ) -> Result<Event, LogError> {
        let what = self.admit(permit)?;
        self.lock()?;
        let result = self.append_locked(what, at, link, None);
        self.unlock();
        result.map(|e| e.expect("append without a fact always writes"))
    }

    /// Records a probe's observation unless the same fact is already in the log.
    /// Observations go through the rule book like every other event.
    pub fn observe(
        &mut self,
        probe: &str,
        fact: Fact,
        at: Option<DateTime<Utc>>,
        link: Option<String>,
    ) -> Result<Option<Event>, LogError> {
        if self.has_fact(&fact) {
            return Ok(None);
        }
        let key = fact.key_hash();
        let what = EventKind::Observed {
            probe: probe.into(),
            fact,
        };
        let book = Book::without_plan(self.clock.now());
        let permit = judge(&book, self.role, what)
            .confirmed()
            .map_err(|r| self.refused(r.to_string()))?;
        let what = self.admit(permit)?;
        self.lock()?;
        let result = self.append_locked(what, at, link, Some(key));
        self.unlock();
        result
    }

    /// The writer's half of the gate: a permit judged for this log's seat.
    fn admit(&self, permit: Permit) -> Result<EventKind, LogError> {
        let (seat, what) = permit.into_parts();
        if seat != self.role {
            return Err(self.refused(format!(
                "the rule book judged this event for a {seat}, and this log writes as the {}",
                self.role
            )));
        }
        Ok(what)
    }

    fn refused(&self, why: String) -> LogError {
        LogError::io(
            &self.path,
            "appending to the timeline",
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, why),
        )
    }

    fn append_locked(
        &mut self,
        what: EventKind,
        at: Option<DateTime<Utc>>,
        link: Option<String>,
        fact_key: Option<FactKey>,
    ) -> Result<Option<Event>, LogError> {
        if self.read_only {
            return Err(LogError::io(
                &self.path,
                "appending to the timeline",
                std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "opened read-only (jump seat)",
                ),
            ));
        }
        // Another writer may have appended (or crashed mid-line) since we last looked.
        self.catch_up()?;
        if let Some(key) = fact_key
            && self.knows_fact(key)
        {
            return Ok(None);
        }
        let now = self.clock.now();
        let event = Event {
            v: SCHEMA_VERSION,
            id: EventId::random(),
            author: self.author.as_str().into(),
            role: self.role,
            seq: self.next_seq,
            at: at.unwrap_or(now),
            observed_at: now,
            link: link.map(Into::into),
            what,
        };
        let mut line = encode_line(&event)
            .map_err(|e| LogError::io(&self.path, "encoding an event", std::io::Error::other(e)))?;
        line.push(b'\n');
        if let Err(e) = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
        {
            // Leave no partial line behind for the next writer to trip over.
            let _ = self.file.set_len(self.read_to);
            return Err(LogError::io(&self.path, "appending to the timeline", e));
        }
        self.read_to += line.len() as u64;
        self.lines_read += 1;
        self.remember(Arc::new(event.clone()));
        self.maybe_checkpoint(false);
        Ok(Some(event))
    }

    /// Appends events other crew members recorded, as they wrote them (the
    /// crew sync; the fold judges them by the roster like every event). Ids
    /// already here are skipped; a different event reusing one is refused and
    /// returned. Returns (appended, refused).
    pub fn import(&mut self, events: Vec<Event>) -> Result<(Vec<Event>, Vec<Event>), LogError> {
        if self.read_only {
            return Err(self.refused("opened read-only".into()));
        }
        self.lock()?;
        let result = self.import_locked(events);
        self.unlock();
        result
    }

    fn import_locked(&mut self, events: Vec<Event>) -> Result<(Vec<Event>, Vec<Event>), LogError> {
        self.catch_up()?;
        let (mut appended, mut refused) = (Vec::new(), Vec::new());
        let mut fresh = Vec::new();
        for e in events {
            let at = self.position(&e.id);
            match at.and_then(|i| self.events.get(i)) {
                Some(have) if **have == e => {}
                Some(_) => refused.push(e),
                None => fresh.push(e),
            }
        }
        for e in fresh {
            if self.position(&e.id).is_some() {
                continue;
            }
            let mut line = serde_json::to_vec(&e).map_err(|err| {
                LogError::io(&self.path, "encoding an event", std::io::Error::other(err))
            })?;
            line.push(b'\n');
            if let Err(err) = self
                .file
                .write_all(&line)
                .and_then(|()| self.file.sync_data())
            {
                let _ = self.file.set_len(self.read_to);
                return Err(LogError::io(&self.path, "appending to the timeline", err));
            }
            self.read_to += line.len() as u64;
            self.lines_read += 1;
            self.remember(Arc::new(e.clone()));
            appended.push(e);
        }
        self.maybe_checkpoint(false);
        Ok((appended, refused))
    }

    /// Reads everything new; a torn tail found while holding the lock is moved aside.
    fn catch_up(&mut self) -> Result<Option<TornTail>, LogError> {
        let bytes = self.read_new()?;
        let (complete, tail) = split_tail(&bytes);
        self.absorb(&bytes[..complete])?;
        if tail == 0 {
            return Ok(None);
        }
        // Writers append whole lines under the lock we hold, so an incomplete
        // line now can only be a crashed writer's: it was never acknowledged.
        let broken = PathBuf::from(format!("{}.broken", self.path.display()));
        let mut aside = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&broken)
            .map_err(|e| LogError::io(&broken, "saving the torn line", e))?;
        aside
            .write_all(&bytes[complete..])
            .and_then(|()| aside.write_all(b"\n"))
            .and_then(|()| aside.sync_all())
            .map_err(|e| LogError::io(&broken, "saving the torn line", e))?;
        self.file
            .set_len(self.read_to)
            .and_then(|()| self.file.sync_all())
            .map_err(|e| LogError::io(&self.path, "truncating the torn line", e))?;
        Ok(Some(TornTail {
            bytes: tail,
            moved_to: broken,
        }))
    }

    fn read_new(&mut self) -> Result<Vec<u8>, LogError> {
        let mut bytes = Vec::new();
        self.file
            .seek(SeekFrom::Start(self.read_to))
            .and_then(|_| self.file.read_to_end(&mut bytes))
            .map_err(|e| LogError::io(&self.path, "reading the timeline", e))?;
        Ok(bytes)
    }

    fn absorb(&mut self, complete: &[u8]) -> Result<(), LogError> {
        let (events, lines) = parse_lines(&self.path, complete, self.read_to, self.lines_read)?;
        self.read_to += complete.len() as u64;
        self.lines_read += lines;
        self.events.reserve(events.len());
        if self.index.is_some() {
            for e in events {
                self.remember(Arc::new(e));
            }
            return Ok(());
        }
        // No index yet: repeats are found by one pass over what was read.
        let (keep, reused) = repeats(&self.events, &events);
        self.reused_seen |= reused;
        for (e, keep) in events.into_iter().zip(keep) {
            if keep {
                self.count_seq(&e);
                self.events.push(Arc::new(e));
            }
        }
        Ok(())
    }

    /// The index, built from the events read when first needed, and the
    /// events its positions name.
    fn index(&mut self) -> (&mut Index, &Events) {
        let events = &self.events;
        (self.index.get_or_insert_with(|| Index::of(events)), events)
    }

    /// Where the event with `id` is in `events`.
    fn position(&mut self, id: &EventId) -> Option<usize> {
        let (index, events) = self.index();
        index.get(events, id)
    }

    /// My next sequence number follows every event of mine.
    fn count_seq(&mut self, event: &Event) {
        if event.author == self.author {
            self.next_seq = self.next_seq.max(event.seq.saturating_add(1));
        }
    }

    fn remember(&mut self, event: Arc<Event>) {
        if let Some(i) = self.position(&event.id) {
            if self.events.get(i).is_none_or(|have| **have != *event) {
                self.reused_seen = true;
            }
            return;
        }
        let at = self.events.len();
        let (index, events) = self.index();
        index.add(events, at, &event);
        self.count_seq(&event);
        self.events.push(event);
    }

    fn lock(&self) -> Result<(), LogError> {
        self.file
            .lock()
            .map_err(|e| LogError::io(&self.path, "locking the timeline", e))
    }

    fn unlock(&self) {
        let _ = self.file.unlock();
    }
}

/// Splits off an incomplete last line: returns (bytes of complete lines, bytes of the tail).
pub(super) fn split_tail(bytes: &[u8]) -> (usize, usize) {
    let complete = bytes
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    (complete, bytes.len() - complete)
}

/// Parses complete lines; `base` is the byte offset of `bytes` in the file and
/// `lines_before` the number of lines (blank ones included) before it, so a
/// message names the line an editor shows. Returns the events and the number
/// of lines read.
fn parse_lines(
    path: &Path,
    bytes: &[u8],
    base: u64,
    lines_before: usize,
) -> Result<(Vec<Event>, usize), LogError> {
    let (numbered, lines) = parse_numbered(path, bytes, base, lines_before)?;
    Ok((numbered.into_iter().map(|(_, e)| e).collect(), lines))
}

/// [`parse_lines`], with each event's line number.
pub(super) fn parse_numbered(
    path: &Path,
    bytes: &[u8],
    base: u64,
    lines_before: usize,
) -> Result<(Vec<(usize, Event)>, usize), LogError> {
    // Lines are a few hundred bytes: a cheap guess saves most reallocations.
    let mut events = Vec::with_capacity(bytes.len() / 256);
    let mut offset = 0usize;
    let mut line_no = lines_before;
    for raw in bytes.split_inclusive(|b| *b == b'\n') {
        line_no += 1;
        let here = offset;
        offset += raw.len();
        let text = raw.strip_suffix(b"\n").unwrap_or(raw);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(text) {
            Ok(event) => events.push((line_no, event)),
            Err(LineError::TooNew(found)) => {
                return Err(LogError::TooNew {
                    path: path.display().to_string(),
                    line: line_no,
                    found: u32::try_from(found).unwrap_or(u32::MAX),
                });
            }
            Err(LineError::Damaged(message)) => {
                return Err(LogError::Damaged {
                    path: path.display().to_string(),
                    line: line_no,
                    offset: base + here as u64,
                    message,
                });
            }
        }
    }
    Ok((events, line_no - lines_before))
}

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
