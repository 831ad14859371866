//! The checkpoint's body: events in a compact binary form that decodes
//! about ten times faster than their JSON lines (issue 16).
//!
//! Serde's tagged enums (how an event reads and writes as JSON) buffer every
//! field before they know the variant, and times are RFC 3339 text: decoding
//! 100,000 events that way cost as much as parsing the log. Here every
//! repeated text ([`Sym`]: logins, probes, links, channels, subdirs,
//! repositories) is written once in a table and named by its index, times
//! are seconds and nanoseconds, and each variant is a tag byte followed by
//! its fields in declaration order.
//!
//! It is written and read as frames of a few thousand events, each naming
//! every text it uses: a frame decodes on its own, when one of its events
//! is first read ([`super::events::Cold`]), and neither side holds the
//! whole encoding in memory at once.
//!
//! Derived data only: [`unpack_frame`] answers `None` for anything it cannot read
//! whole (an unknown tag, an index past the table, a length past the end,
//! bytes left over in a frame), and the log is read instead. The layout is tied to this
//! build (the checkpoint's header names the build); a field added to an
//! event must be added to [`pack_event`] and [`Reader::event`] alike (the
//! compiler's exhaustive matches point at both; `pack_tests` checks every
//! variant round-trips).

use super::event::{CiState, Event, EventId, EventKind, Fact, Outcome, Sym};
use super::log::ReusedId;
use super::rules::Role;
use crate::checklist::StepId;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Events per frame at most: a frame is decoded whole when any of its
/// events is first read.
pub(crate) const FRAME: usize = 2048;
/// A frame is closed once its events take this many bytes (long notes).
pub(crate) const FRAME_BYTES: usize = 4 << 20;
/// No frame of ours is this long; a longer length is garbage. The writer
/// refuses to write one (an event this large leaves the log without a
/// checkpoint: it is read whole, as before checkpoints).
pub(crate) const MAX_FRAME: usize = 64 << 20;

/// The next frame of `events`: how many of them it holds, and its bytes —
/// the texts it names, then its events. A frame names every text it uses,
/// so it decodes on its own ([`unpack_frame`]).
pub(crate) fn pack_frame(events: &[Arc<Event>]) -> std::io::Result<(usize, Vec<u8>)> {
    let mut w = Writer::default();
    let mut n = 0;
    while n < events.len() && n < FRAME && w.out.len() < FRAME_BYTES {
        pack_event(&mut w, &events[n]);
        n += 1;
    }
    let mut payload = Writer::default();
    payload.len(w.strings.len());
    for s in &w.strings {
        payload.text(s);
    }
    payload.len(n);
    payload.out.extend_from_slice(&w.out);
    if payload.out.len() > MAX_FRAME {
        return Err(std::io::Error::other("an event too large for a checkpoint"));
    }
    Ok((n, payload.out))
}

/// The events of a frame [`pack_frame`] wrote; `None` when `bytes` are not
/// that, whole.
pub(crate) fn unpack_frame(bytes: &[u8]) -> Option<Vec<Arc<Event>>> {
    let mut r = Reader {
        bytes,
        at: 0,
        table: Vec::new(),
    };
    // The table holds each text once: the thread's pool would only add a
    // lookup per text, and keep them all.
    for _ in 0..r.count(1)? {
        let s = Sym::unpooled(r.str()?);
        r.table.push(s);
    }
    let n = r.count(EVENT_MIN)?;
    if n > FRAME {
        return None;
    }
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        events.push(Arc::new(r.event()?));
    }
    (r.at == bytes.len()).then_some(events)
}

/// The lines refused for reusing an id, as bytes.
pub(crate) fn pack_reused(reused: &[ReusedId]) -> Vec<u8> {
    let mut w = Writer::default();
    w.len(reused.len());
    for r in reused {
        w.len(r.line);
        w.len(r.first_line);
        w.id(&r.id);
    }
    w.out
}

/// What [`pack_reused`] wrote; `None` when `bytes` are not that, whole.
pub(crate) fn unpack_reused(bytes: &[u8]) -> Option<Vec<ReusedId>> {
    let mut r = Reader {
        bytes,
        at: 0,
        table: Vec::new(),
    };
    // A line number, another and an id: three bytes at the least.
    let n = r.count(3)?;
    let mut reused = Vec::with_capacity(n);
    for _ in 0..n {
        reused.push(ReusedId {
            line: r.usize()?,
            first_line: r.usize()?,
            id: r.id()?,
        });
    }
    (r.at == bytes.len()).then_some(reused)
}

#[derive(Default)]
struct Writer<'a> {
    out: Vec<u8>,
    index: HashMap<&'a str, u32>,
    strings: Vec<&'a str>,
}

impl<'a> Writer<'a> {
    fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn len(&mut self, v: usize) {
        self.u64(v as u64);
    }

    fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    fn text(&mut self, s: &str) {
        self.len(s.len());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn opt_text(&mut self, s: Option<&str>) {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.text(s);
            }
        }
    }

    fn sym(&mut self, s: &'a Sym) {
        let next = self.strings.len() as u32;
        let i = *self.index.entry(s.as_str()).or_insert(next);
        if i == next {
            self.strings.push(s.as_str());
        }
        self.u64(u64::from(i));
    }

    fn opt_sym(&mut self, s: Option<&'a Sym>) {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.sym(s);
            }
        }
    }

    fn time(&mut self, t: &DateTime<Utc>) {
        let secs = t.timestamp();
        // Zigzag: times before 1970 stay short too.
        self.u64(((secs << 1) ^ (secs >> 63)) as u64);
        self.u64(u64::from(t.timestamp_subsec_nanos()));
    }

    fn id(&mut self, id: &EventId) {
        id.with_str(|s| self.text(s));
    }
}

fn pack_event<'a>(w: &mut Writer<'a>, e: &'a Event) {
    w.u64(u64::from(e.v));
    w.id(&e.id);
    w.sym(&e.author);
    w.byte(match e.role {
        Role::Pilot => 0,
        Role::Copilot => 1,
        Role::JumpSeat => 2,
    });
    w.u64(e.seq);
    w.time(&e.at);
    w.time(&e.observed_at);
    w.opt_sym(e.link.as_ref());
    match &e.what {
        EventKind::ReleaseStarted {
            release,
            version,
            checklist,
        } => {
            w.byte(0);
            w.text(release);
            w.text(version);
            w.text(checklist);
        }
        EventKind::StepDone { step, note } => {
            w.byte(1);
            w.text(&step.0);
            w.opt_text(note.as_deref());
        }
        EventKind::StepOverridden { step, reason } => {
            w.byte(2);
            w.text(&step.0);
            w.text(reason);
        }
        EventKind::StepSkipped { step, reason } => {
            w.byte(3);
            w.text(&step.0);
            w.text(reason);
        }
        EventKind::StepUndone { step, reason } => {
            w.byte(4);
            w.text(&step.0);
            w.text(reason);
        }
        EventKind::Note { text } => {
            w.byte(5);
            w.text(text);
        }
        EventKind::Starred { event } => {
            w.byte(6);
            w.id(event);
        }
        EventKind::Unstarred { event } => {
            w.byte(7);
            w.id(event);
        }
        EventKind::Observed { probe, fact } => {
            w.byte(8);
            w.sym(probe);
            pack_fact(w, fact);
        }
        EventKind::CrewAssigned {
            pilot,
            copilot,
            jump_seat,
        } => {
            w.byte(9);
            w.text(pilot);
            w.opt_text(copilot.as_deref());
            w.opt_text(jump_seat.as_deref());
        }
        EventKind::Handover { to } => {
            w.byte(10);
            w.text(to);
        }
        EventKind::ReleaseClosed { outcome, reason } => {
            w.byte(11);
            w.byte(match outcome {
                Outcome::Shipped => 0,
                Outcome::Aborted => 1,
                Outcome::RolledBack => 2,
            });
            w.opt_text(reason.as_deref());
        }
        EventKind::Unknown { of } => {
            w.byte(12);
            w.text(of);
        }
    }
}

fn ci(state: CiState) -> u8 {
    match state {
        CiState::Pending => 0,
        CiState::Success => 1,
        CiState::Failure => 2,
    }
}

fn pack_fact<'a>(w: &mut Writer<'a>, fact: &'a Fact) {
    match fact {
        Fact::TagPushed { repo, tag, sha } => {
            w.byte(0);
            w.sym(repo);
            w.sym(tag);
            w.opt_sym(sha.as_ref());
        }
        Fact::ReleaseDrafted { repo, tag } => {
            w.byte(1);
            w.sym(repo);
            w.sym(tag);
        }
        Fact::ReleasePublished {
            repo,
            tag,
            prerelease,
        } => {
            w.byte(2);
            w.sym(repo);
            w.sym(tag);
            w.byte(u8::from(*prerelease));
        }
        Fact::PrOpened {
            repo,
            number,
            title,
            author,
            head,
        } => {
            w.byte(3);
            w.sym(repo);
            w.u64(*number);
            w.sym(title);
            w.sym(author);
            w.sym(head);
        }
        Fact::PrChecks {
            repo,
            number,
            sha,
            state,
        } => {
            w.byte(4);
            w.sym(repo);
            w.u64(*number);
            w.sym(sha);
            w.byte(ci(*state));
        }
        Fact::PrMerged { repo, number, by } => {
            w.byte(5);
            w.sym(repo);
            w.u64(*number);
            w.opt_sym(by.as_ref());
        }
        Fact::PrClosed { repo, number } => {
            w.byte(6);
            w.sym(repo);
            w.u64(*number);
        }
        Fact::PrSuperseded {
            repo,
            number,
            by_number,
        } => {
            w.byte(7);
            w.sym(repo);
            w.u64(*number);
            w.u64(*by_number);
        }
        Fact::Checks {
            repo,
            reference,
            sha,
            state,
        } => {
            w.byte(8);
            w.sym(repo);
            w.sym(reference);
            w.sym(sha);
            w.byte(ci(*state));
        }
        Fact::CopyFailed {
            repo,
            number,
            title,
        } => {
            w.byte(9);
            w.sym(repo);
            w.u64(*number);
            w.sym(title);
        }
        Fact::IssueFiled {
            repo,
            number,
            title,
            author,
        } => {
            w.byte(10);
            w.sym(repo);
            w.u64(*number);
            w.sym(title);
            w.sym(author);
        }
        Fact::Available {
            channel,
            package,
            version,
            subdir,
            build,
            file_name,
            first_seen,
        } => {
            w.byte(11);
            w.sym(channel);
            w.sym(package);
            w.sym(version);
            w.sym(subdir);
            w.sym(build);
            w.sym(file_name);
            match first_seen {
                None => w.byte(0),
                Some(t) => {
                    w.byte(1);
                    w.time(t);
                }
            }
        }
        Fact::Disappeared {
            channel,
            package,
            version,
            subdir,
        }
        | Fact::LabelledBroken {
            channel,
            package,
            version,
            subdir,
        } => {
            w.byte(if matches!(fact, Fact::Disappeared { .. }) {
                12
            } else {
                13
            });
            w.sym(channel);
            w.sym(package);
            w.sym(version);
            w.sym(subdir);
        }
        Fact::PypiUploaded {
            package,
            version,
            files,
        } => {
            w.byte(14);
            w.sym(package);
            w.sym(version);
            w.len(*files);
        }
        Fact::PypiYanked {
            package,
            version,
            reason,
        } => {
            w.byte(15);
            w.sym(package);
            w.sym(version);
            w.opt_sym(reason.as_ref());
        }
    }
}

/// The fewest bytes an event takes (version, id, author, role, seq, two
/// times, no link, a kind with at least one field).
const EVENT_MIN: usize = 10;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    table: Vec<Sym>,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn u64(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }

    /// A count of items, each at least `min_size` bytes: never more than the
    /// bytes left can hold (a garbled count is refused, not allocated).
    fn count(&mut self, min_size: usize) -> Option<usize> {
        let n = self.usize()?;
        (n <= (self.bytes.len() - self.at) / min_size).then_some(n)
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = self.usize()?;
        let end = self.at.checked_add(n)?;
        let s = std::str::from_utf8(self.bytes.get(self.at..end)?).ok()?;
        self.at = end;
        Some(s)
    }

    fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }

    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.byte()? {
            0 => Some(None),
            1 => f(self).map(Some),
            _ => None,
        }
    }

    fn sym(&mut self) -> Option<Sym> {
        let i = self.usize()?;
        self.table.get(i).cloned()
    }

    fn time(&mut self) -> Option<DateTime<Utc>> {
        let z = self.u64()?;
        let secs = ((z >> 1) as i64) ^ -((z & 1) as i64);
        DateTime::from_timestamp(secs, self.u32()?)
    }

    fn id(&mut self) -> Option<EventId> {
        self.str().map(EventId::from)
    }

    fn ci(&mut self) -> Option<CiState> {
        Some(match self.byte()? {
            0 => CiState::Pending,
            1 => CiState::Success,
            2 => CiState::Failure,
            _ => return None,
        })
    }

    fn step(&mut self) -> Option<StepId> {
        self.string().map(StepId)
    }

    fn event(&mut self) -> Option<Event> {
        Some(Event {
            v: self.u32()?,
            id: self.id()?,
            author: self.sym()?,
            role: match self.byte()? {
                0 => Role::Pilot,
                1 => Role::Copilot,
                2 => Role::JumpSeat,
                _ => return None,
            },
            seq: self.u64()?,
            at: self.time()?,
            observed_at: self.time()?,
            link: self.opt(Self::sym)?,
            what: self.kind()?,
        })
    }

    fn kind(&mut self) -> Option<EventKind> {
        Some(match self.byte()? {
            0 => EventKind::ReleaseStarted {
                release: self.string()?,
                version: self.string()?,
                checklist: self.string()?,
            },
            1 => EventKind::StepDone {
                step: self.step()?,
                note: self.opt(Self::string)?,
            },
            2 => EventKind::StepOverridden {
                step: self.step()?,
                reason: self.string()?,
            },
            3 => EventKind::StepSkipped {
                step: self.step()?,
                reason: self.string()?,
            },
            4 => EventKind::StepUndone {
                step: self.step()?,
                reason: self.string()?,
            },
            5 => EventKind::Note {
                text: self.string()?,
            },
            6 => EventKind::Starred { event: self.id()? },
            7 => EventKind::Unstarred { event: self.id()? },
            8 => EventKind::Observed {
                probe: self.sym()?,
                fact: self.fact()?,
            },
            9 => EventKind::CrewAssigned {
                pilot: self.string()?,
                copilot: self.opt(Self::string)?,
                jump_seat: self.opt(Self::string)?,
            },
            10 => EventKind::Handover { to: self.string()? },
            11 => EventKind::ReleaseClosed {
                outcome: match self.byte()? {
                    0 => Outcome::Shipped,
                    1 => Outcome::Aborted,
                    2 => Outcome::RolledBack,
                    _ => return None,
                },
                reason: self.opt(Self::string)?,
            },
            12 => EventKind::Unknown { of: self.string()? },
            _ => return None,
        })
    }

    fn fact(&mut self) -> Option<Fact> {
        Some(match self.byte()? {
            0 => Fact::TagPushed {
                repo: self.sym()?,
                tag: self.sym()?,
                sha: self.opt(Self::sym)?,
            },
            1 => Fact::ReleaseDrafted {
                repo: self.sym()?,
                tag: self.sym()?,
            },
            2 => Fact::ReleasePublished {
                repo: self.sym()?,
                tag: self.sym()?,
                prerelease: match self.byte()? {
                    0 => false,
                    1 => true,
                    _ => return None,
                },
            },
            3 => Fact::PrOpened {
                repo: self.sym()?,
                number: self.u64()?,
                title: self.sym()?,
                author: self.sym()?,
                head: self.sym()?,
            },
            4 => Fact::PrChecks {
                repo: self.sym()?,
                number: self.u64()?,
                sha: self.sym()?,
                state: self.ci()?,
            },
            5 => Fact::PrMerged {
                repo: self.sym()?,
                number: self.u64()?,
                by: self.opt(Self::sym)?,
            },
            6 => Fact::PrClosed {
                repo: self.sym()?,
                number: self.u64()?,
            },
            7 => Fact::PrSuperseded {
                repo: self.sym()?,
                number: self.u64()?,
                by_number: self.u64()?,
            },
            8 => Fact::Checks {
                repo: self.sym()?,
                reference: self.sym()?,
                sha: self.sym()?,
                state: self.ci()?,
            },
            9 => Fact::CopyFailed {
                repo: self.sym()?,
                number: self.u64()?,
                title: self.sym()?,
            },
            10 => Fact::IssueFiled {
                repo: self.sym()?,
                number: self.u64()?,
                title: self.sym()?,
                author: self.sym()?,
            },
            11 => Fact::Available {
                channel: self.sym()?,
                package: self.sym()?,
                version: self.sym()?,
                subdir: self.sym()?,
                build: self.sym()?,
                file_name: self.sym()?,
                first_seen: self.opt(Self::time)?,
            },
            tag @ (12 | 13) => {
                // Written as pack_fact writes both: channel, package, version, subdir.
                let (channel, package, version, subdir) =
                    (self.sym()?, self.sym()?, self.sym()?, self.sym()?);
                if tag == 12 {
                    Fact::Disappeared {
                        channel,
                        package,
                        version,
                        subdir,
                    }
                } else {
                    Fact::LabelledBroken {
                        channel,
                        package,
                        version,
                        subdir,
                    }
                }
            }
            14 => Fact::PypiUploaded {
                package: self.sym()?,
                version: self.sym()?,
                files: self.usize()?,
            },
            15 => Fact::PypiYanked {
                package: self.sym()?,
                version: self.sym()?,
                reason: self.opt(Self::sym)?,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
#[path = "pack_tests.rs"]
mod tests;
