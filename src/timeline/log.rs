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

use super::event::{Event, EventId, EventKind, Fact, KNOWN_KINDS, SCHEMA_VERSION};
use super::rules::{Book, Permit, Role, judge};
use crate::timeline::clock::Clock;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

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
    fn io(path: &Path, action: &'static str, source: std::io::Error) -> LogError {
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
    pub moved_to: PathBuf,
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
    events: Vec<Event>,
    /// Bytes of the file consumed as complete lines.
    read_to: u64,
    /// Lines (blank ones included) consumed, so messages name the line an editor shows.
    lines_read: usize,
    ids: HashSet<EventId>,
    facts: HashSet<String>,
    author: String,
    role: Role,
    next_seq: u64,
    clock: Clock,
    /// Opened for reading only (the jump seat): never repairs, never appends.
    read_only: bool,
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
            events: Vec::new(),
            read_to: 0,
            lines_read: 0,
            ids: HashSet::new(),
            facts: HashSet::new(),
            author: author.to_string(),
            role,
            next_seq: 1,
            clock,
            read_only,
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
        log.refresh()?;
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
        let result = log.catch_up();
        log.unlock();
        let torn = result?;
        Ok((log, torn))
    }

    /// Reads a log without changing anything (exports, the jump seat, `status`).
    /// A torn last line is left in place and reported.
    pub fn read(path: &Path) -> Result<(Vec<Event>, Option<usize>), LogError> {
        Self::read_checked(path).map(|(events, torn, _)| (events, torn))
    }

    /// [`EventLog::read`], also naming the lines refused for reusing an id.
    pub fn read_checked(path: &Path) -> Result<Checked, LogError> {
        let bytes =
            std::fs::read(path).map_err(|e| LogError::io(path, "reading the timeline", e))?;
        let (complete, tail) = split_tail(&bytes);
        let (numbered, _) = parse_numbered(path, &bytes[..complete], 0, 0)?;
        let (events, refused) = refuse_reused(numbered);
        Ok((events, (tail > 0).then_some(tail), refused))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn author(&self) -> &str {
        &self.author
    }

    pub fn role(&self) -> Role {
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
    pub fn has_fact(&self, fact: &Fact) -> bool {
        self.facts.contains(&fact.key())
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
        let key = fact.key();
        let what = EventKind::Observed {
            probe: probe.to_string(),
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
        fact_key: Option<String>,
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
        if let Some(key) = &fact_key
            && self.facts.contains(key)
        {
            return Ok(None);
        }
        let now = self.clock.now();
        let event = Event {
            v: SCHEMA_VERSION,
            id: EventId::random(),
            author: self.author.clone(),
            role: self.role,
            seq: self.next_seq,
            at: at.unwrap_or(now),
            observed_at: now,
            link,
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
        self.remember(event.clone());
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
        let known: std::collections::HashMap<&EventId, &Event> =
            self.events.iter().map(|e| (&e.id, e)).collect();
        let mut fresh = Vec::new();
        for e in events {
            match known.get(&e.id) {
                Some(have) if **have == e => {}
                Some(_) => refused.push(e),
                None => fresh.push(e),
            }
        }
        for e in fresh {
            if self.ids.contains(&e.id) {
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
            self.remember(e.clone());
            appended.push(e);
        }
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
        for e in events {
            self.remember(e);
        }
        Ok(())
    }

    fn remember(&mut self, event: Event) {
        if !self.ids.insert(event.id.clone()) {
            return;
        }
        if event.author == self.author {
            self.next_seq = self.next_seq.max(event.seq.saturating_add(1));
        }
        if let EventKind::Observed { fact, .. } = &event.what {
            for earlier in fact.supersedes() {
                self.facts.remove(&earlier);
            }
            self.facts.insert(fact.key());
        }
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
fn split_tail(bytes: &[u8]) -> (usize, usize) {
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
fn parse_numbered(
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

/// What [`EventLog::read_checked`] found: the events, the torn tail's length,
/// the lines refused for reusing an id.
pub type Checked = (Vec<Event>, Option<usize>, Vec<ReusedId>);

/// A line refused because its event reuses the id of a different, earlier event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReusedId {
    pub line: usize,
    pub first_line: usize,
    pub id: EventId,
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
fn refuse_reused(numbered: Vec<(usize, Event)>) -> (Vec<Event>, Vec<ReusedId>) {
    let mut first: std::collections::HashMap<EventId, (usize, usize)> =
        std::collections::HashMap::new();
    let mut events: Vec<Event> = Vec::with_capacity(numbered.len());
    let mut refused = Vec::new();
    for (line, e) in numbered {
        match first.get(&e.id) {
            Some(&(_, i)) if events[i] == e => {}
            Some(&(first_line, _)) => refused.push(ReusedId {
                line,
                first_line,
                id: e.id.clone(),
            }),
            None => {
                first.insert(e.id.clone(), (line, events.len()));
                events.push(e);
            }
        }
    }
    (events, refused)
}

enum LineError {
    Damaged(String),
    TooNew(u64),
}

/// The checksum suffix: `,"sum":"` + 8 hex digits + `"}`.
const SUM_OPEN: &[u8] = b",\"sum\":\"";
const SUM_LEN: usize = SUM_OPEN.len() + 8 + 2;

/// One line, straight into an event: the generic JSON value is built only
/// when that fails, to say why (too new, an unknown kind, damage).
fn parse_line(text: &[u8]) -> Result<Event, LineError> {
    verify_sum(text)?;
    let first = match serde_json::from_slice::<Event>(text) {
        Ok(event) if event.v > SCHEMA_VERSION => return Err(LineError::TooNew(event.v.into())),
        Ok(event) => return Ok(event),
        Err(e) => e,
    };
    let mut value: serde_json::Value = serde_json::from_slice(text)
        .map_err(|e| LineError::Damaged(format!("not JSON ({})", short(&e))))?;
    let v = value.get("v").and_then(|v| v.as_u64()).unwrap_or(0);
    if v > u64::from(SCHEMA_VERSION) {
        return Err(LineError::TooNew(v));
    }
    let invalid = || LineError::Damaged(format!("not a valid event ({})", short(&first)));
    // A kind from a newer build (same schema version): keep the event, fold nothing from it.
    let kind = value
        .get("what")
        .and_then(|w| w.get("kind"))
        .and_then(|k| k.as_str())
        .filter(|k| !KNOWN_KINDS.contains(k))
        .map(str::to_string)
        .ok_or_else(invalid)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "what".into(),
            serde_json::json!({ "kind": "unknown", "of": kind }),
        );
    }
    serde_json::from_value(value).map_err(|_| invalid())
}

/// Checks a line's checksum, if it has one (lines from before checksums have none).
fn verify_sum(text: &[u8]) -> Result<(), LineError> {
    let Some(cut) = text.len().checked_sub(SUM_LEN) else {
        return Ok(());
    };
    let (body, suffix) = text.split_at(cut);
    if !suffix.starts_with(SUM_OPEN) || !suffix.ends_with(b"\"}") {
        return Ok(());
    }
    let hex = &suffix[SUM_OPEN.len()..SUM_OPEN.len() + 8];
    let written = std::str::from_utf8(hex)
        .ok()
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or_else(|| LineError::Damaged("its checksum is not 8 hex digits".into()))?;
    let actual = crc32_finish(crc32_update(crc32_update(!0, body), b"}"));
    if actual != written {
        return Err(LineError::Damaged(format!(
            "checksum mismatch (the line says {written:08x}, its content gives {actual:08x}): \
             it was changed after it was written"
        )));
    }
    Ok(())
}

/// serde's message, cut short: it may repeat a damaged value whole (a 500 KB
/// string makes a 500 KB error), and the line and byte offset already say where.
fn short(e: &serde_json::Error) -> String {
    const MOST: usize = 200;
    let text = e.to_string();
    match text.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}… at column {}", &text[..cut], e.column()),
        None => text,
    }
}

/// An event as one line of the log (with its newline and checksum), for
/// benchmarks that build big logs without an fsync per event.
#[doc(hidden)]
pub fn line_of(event: &Event) -> Vec<u8> {
    let mut line = encode_line(event).unwrap_or_default();
    line.push(b'\n');
    line
}

/// An event as one line (without the newline), its checksum last.
fn encode_line(event: &Event) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(event)?;
    let sum = crc32_finish(crc32_update(!0, &line));
    line.pop(); // the closing brace, written back after the checksum
    line.extend_from_slice(SUM_OPEN);
    line.extend_from_slice(format!("{sum:08x}\"}}").as_bytes());
    Ok(line)
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it), one table lookup per byte.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc32_update(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

fn crc32_finish(crc: u32) -> u32 {
    !crc
}

#[cfg(test)]
fn crc32(bytes: &[u8]) -> u32 {
    crc32_finish(crc32_update(!0, bytes))
}

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
