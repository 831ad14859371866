//! The event schema: one immutable record of the timeline.
//!
//! On disk an event is one line of JSON (`events.jsonl`):
//!
//! ```json
//! {"v":1,"id":"5b0c…","author":"jane","role":"pilot","seq":4,
//!  "at":"2026-11-10T14:02:00Z","observed_at":"2026-11-10T14:02:09Z",
//!  "what":{"kind":"step_done","step":"publish-release"}}
//! ```
//!
//! Schema version 1. Adding an optional field or a new kind keeps the version;
//! changing the meaning of a field bumps it. A reader refuses versions newer
//! than it knows instead of misreading them. A kind it does not know (written
//! by a newer build under the same version) is kept as [`EventKind::Unknown`]:
//! shown as "unknown event", folded into nothing.
//!
//! Each line this build writes ends with a checksum, as a write-ahead log's
//! records do, so damage that still parses as JSON (a flipped digit in a time)
//! is caught:
//!
//! ```text
//! {"v":1,"id":"5b0c…",…,"what":{…},"sum":"1c291ca3"}
//! ```
//!
//! `sum` is the CRC-32 (IEEE, as zlib and PNG use it), in 8 lowercase hex
//! digits, of the line with its `,"sum":"…"` removed — that is, of the JSON
//! object the event would be without it. It is always the last field. A line
//! without `sum` (every line before checksums were written) is read as it
//! always was; a line whose `sum` does not match is damage, refused with its
//! line and byte offset like any other.

use super::rules::Role;
pub use super::sym::Sym;
use crate::checklist::StepId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The schema version this build writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A globally unique event id (a UUID v4, as text).
///
/// Held compactly: an id in the form this build writes (a lowercase,
/// hyphenated UUID) is kept as its 16 bytes, any other text (ids written by
/// hand, by tests, by another tool) as a [`Sym`]. It reads, writes, compares
/// and orders exactly as its text does.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EventId(Id);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Id {
    Uuid(uuid::Uuid),
    Text(Sym),
}

impl EventId {
    pub(crate) fn random() -> EventId {
        EventId(Id::Uuid(uuid::Uuid::new_v4()))
    }

    /// Runs `f` on the id's text (formatted on the stack for a UUID).
    pub(crate) fn with_str<T>(&self, f: impl FnOnce(&str) -> T) -> T {
        match &self.0 {
            Id::Uuid(u) => f(u
                .hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer())),
            Id::Text(t) => f(t),
        }
    }
}

impl From<&str> for EventId {
    fn from(text: &str) -> EventId {
        if text.len() == uuid::fmt::Hyphenated::LENGTH
            && let Ok(u) = uuid::Uuid::try_parse(text)
            && u.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer())
                == text
        {
            return EventId(Id::Uuid(u));
        }
        // Unique texts: pooling them would only fill the pool.
        EventId(Id::Text(Sym::unpooled(text)))
    }
}

impl From<String> for EventId {
    fn from(text: String) -> EventId {
        EventId::from(text.as_str())
    }
}

impl Ord for EventId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (&self.0, &other.0) {
            // Lowercase hex with hyphens in the same places: the bytes' order is the text's.
            (Id::Uuid(a), Id::Uuid(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Id::Text(a), Id::Text(b)) => a.cmp(b),
            _ => self.with_str(|a| other.with_str(|b| a.cmp(b))),
        }
    }
}

impl PartialOrd for EventId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| write!(f, "EventId({s:?})"))
    }
}

impl Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_str(|text| s.serialize_str(text))
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EventId, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = EventId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event id (a string)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EventId, E> {
                Ok(EventId::from(v))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// One record of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Schema version of this record.
    pub v: u32,
    /// Globally unique; merging logs is a union by id.
    pub id: EventId,
    /// Who wrote it: a GitHub login when known, else the local user name.
    pub author: Sym,
    /// The role the author held when writing it; checked against the crew policy on merge.
    pub role: Role,
    /// Per-author sequence number, from 1, without gaps in the author's own log.
    pub seq: u64,
    /// When it happened: the source's own time when it has one (tag commit date,
    /// `published_at`, `merged_at`, a package's upload timestamp), else when it was recorded.
    pub at: DateTime<Utc>,
    /// When flightdeck recorded it.
    pub observed_at: DateTime<Utc>,
    /// Where to read more (a GitHub page, a package URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Sym>,
    pub what: EventKind,
}

impl Event {
    /// The order of the timeline: by time, ties broken by id, so every crew
    /// member sees the same order whatever order their logs arrived in.
    pub fn order_key(&self) -> (DateTime<Utc>, &EventId) {
        (self.at, &self.id)
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// The release was created from a checklist (`flightdeck start`). Always the first event.
    ReleaseStarted {
        release: String,
        version: String,
        /// The checklist's file name when the release was started.
        checklist: String,
    },
    /// A step was signed off by hand.
    StepDone {
        step: StepId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A probe-backed step was marked done by hand before (or instead of) its probe.
    StepOverridden { step: StepId, reason: String },
    /// A step was skipped, with the reason.
    StepSkipped { step: StepId, reason: String },
    /// The last sign-off, skip or override of a step was taken back, with the reason.
    /// A probe observation recorded before the undo no longer completes the step.
    StepUndone { step: StepId, reason: String },
    /// A free-text note in the timeline.
    Note { text: String },
    /// An event was starred (for a short post-mortem export).
    Starred { event: EventId },
    /// A star was removed.
    Unstarred { event: EventId },
    /// A probe saw something in the outside world.
    Observed {
        /// The probe's id ([`crate::checklist::ProbeSpec::id`]).
        probe: Sym,
        fact: Fact,
    },
    /// Who sits where: recorded by `start` right after [`EventKind::ReleaseStarted`],
    /// once per release. Seats come from here, never from the `--role` flag.
    CrewAssigned {
        pilot: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        copilot: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jump_seat: Option<String>,
    },
    /// The pilot handed the controls to the co-pilot (or took them back):
    /// `to` becomes the pilot and the author the co-pilot.
    Handover { to: String },
    /// The release was closed: completed or aborted.
    ReleaseClosed {
        outcome: Outcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A kind this build does not know, read from a log a newer build wrote
    /// (new kinds keep the schema version). Shown as "unknown event"; nothing
    /// is folded from it, and this build never writes one.
    Unknown {
        /// The kind as written on disk.
        of: String,
    },
}

/// The kinds this build reads (the `kind` tag of [`EventKind`]'s variants,
/// except [`EventKind::Unknown`]).
pub(crate) const KNOWN_KINDS: &[&str] = &[
    "release_started",
    "step_done",
    "step_overridden",
    "step_skipped",
    "step_undone",
    "note",
    "starred",
    "unstarred",
    "observed",
    "release_closed",
];

/// How a release ended (`flightdeck close --outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Out and staying out. Written as `completed`, the word logs have
    /// always used, so older cockpits in the crew still read a new log.
    #[serde(rename = "completed", alias = "shipped")]
    Shipped,
    Aborted,
    /// Shipped, then taken back.
    RolledBack,
}

impl Outcome {
    /// The word a person types and reads: `shipped`, `aborted`, `rolled-back`.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Outcome::Shipped => "shipped",
            Outcome::Aborted => "aborted",
            Outcome::RolledBack => "rolled-back",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "shipped" | "completed" => Ok(Outcome::Shipped),
            "aborted" => Ok(Outcome::Aborted),
            "rolled-back" | "rolled_back" | "rolledback" => Ok(Outcome::RolledBack),
            other => Err(format!(
                "unknown outcome `{other}`: use shipped, aborted or rolled-back"
            )),
        }
    }
}

impl EventKind {
    /// The step this event concerns, if any.
    pub(crate) fn step(&self) -> Option<&StepId> {
        match self {
            EventKind::StepDone { step, .. }
            | EventKind::StepOverridden { step, .. }
            | EventKind::StepSkipped { step, .. }
            | EventKind::StepUndone { step, .. } => Some(step),
            _ => None,
        }
    }
}

/// State of a set of CI checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiState {
    Pending,
    Success,
    Failure,
}

impl fmt::Display for CiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CiState::Pending => "pending",
            CiState::Success => "passed",
            CiState::Failure => "failed",
        })
    }
}

/// A fact's identity ([`Fact::key`]), hashed: 128 bits from two
/// independently seeded hashes of the key's parts (two different facts'
/// keys meet by chance about never).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FactKey(u128);

impl FactKey {
    /// 64 of its bits, for a hash table (the whole key is compared).
    pub(crate) fn short(self) -> u64 {
        self.0 as u64
    }
}

/// Builds a [`FactKey`] from the parts [`Fact::key`] writes, in its order.
struct KeyHasher(
    foldhash::quality::FoldHasher<'static>,
    foldhash::quality::FoldHasher<'static>,
);

impl KeyHasher {
    fn new(kind: &str) -> KeyHasher {
        use std::hash::BuildHasher;
        let mut k = KeyHasher(
            foldhash::quality::FixedState::with_seed(0x243f_6a88_85a3_08d3).build_hasher(),
            foldhash::quality::FixedState::with_seed(0x1319_8a2e_0370_7344).build_hasher(),
        );
        k.text(kind);
        k
    }

    fn text(&mut self, s: &str) -> &mut KeyHasher {
        use std::hash::Hasher;
        for h in [&mut self.0, &mut self.1] {
            h.write(s.as_bytes());
            // A separator no UTF-8 text holds: ("ab", "c") is not ("a", "bc").
            h.write_u8(0xff);
        }
        self
    }

    fn num(&mut self, n: u64) -> &mut KeyHasher {
        use std::hash::Hasher;
        self.0.write_u64(n);
        self.1.write_u64(n);
        self
    }

    fn finish(&self) -> FactKey {
        use std::hash::Hasher;
        FactKey((u128::from(self.0.finish()) << 64) | u128::from(self.1.finish()))
    }
}

/// The key of a channel fact (`available`, `disappeared`, `broken`).
fn channel_key(kind: &str, channel: &str, subdir: &str, package: &str, version: &str) -> FactKey {
    KeyHasher::new(kind)
        .text(channel)
        .text(subdir)
        .text(package)
        .text(version)
        .finish()
}

/// The key of a CI fact (`pr-checks` with a PR number, `checks` with a ref).
fn ci_key(kind: &str, repo: &str, at: Result<u64, &str>, sha: &str, state: CiState) -> FactKey {
    let mut k = KeyHasher::new(kind);
    k.text(repo);
    match at {
        Ok(number) => k.num(number),
        Err(reference) => k.text(reference),
    };
    k.text(sha).num(state as u64).finish()
}

/// A fact of the outside world, as observed by a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    /// A git tag exists. `at` is the tagged commit's (or annotated tag's) date.
    TagPushed {
        repo: Sym,
        tag: Sym,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha: Option<Sym>,
    },
    /// A draft GitHub release exists for the tag. `at` is the draft's `created_at`.
    ReleaseDrafted { repo: Sym, tag: Sym },
    /// The GitHub release is published. `at` is `published_at`.
    ReleasePublished {
        repo: Sym,
        tag: Sym,
        #[serde(default)]
        prerelease: bool,
    },
    /// A pull request was opened. `at` is `created_at`.
    PrOpened {
        repo: Sym,
        number: u64,
        title: Sym,
        author: Sym,
        #[serde(default)]
        head: Sym,
    },
    /// CI on a PR's head commit reached a state.
    PrChecks {
        repo: Sym,
        number: u64,
        sha: Sym,
        state: CiState,
    },
    /// A PR was merged. `at` is `merged_at`.
    PrMerged {
        repo: Sym,
        number: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Sym>,
    },
    /// A PR was closed without merging. `at` is `closed_at`.
    PrClosed { repo: Sym, number: u64 },
    /// A PR was superseded by another PR for the same version.
    PrSuperseded {
        repo: Sym,
        number: u64,
        by_number: u64,
    },
    /// CI state of a ref (the `ci` probe).
    Checks {
        repo: Sym,
        reference: Sym,
        sha: Sym,
        state: CiState,
    },
    /// conda-forge's webservice could not validate or copy the package
    /// (`[warning] failed package validation and/or copy` issue on the feedstock).
    CopyFailed { repo: Sym, number: u64, title: Sym },
    /// An issue mentioning the version was opened after the release (the incident radar).
    IssueFiled {
        repo: Sym,
        number: u64,
        title: Sym,
        author: Sym,
    },
    /// The version is installable from a channel in a subdir. `at` is the record's `timestamp`
    /// (when it was built or uploaded).
    Available {
        channel: Sym,
        package: Sym,
        version: Sym,
        subdir: Sym,
        build: Sym,
        file_name: Sym,
        /// When a probe that had seen the subdir without the version first saw it there: the
        /// other bound of "installable since". `None` when it was already there at the first
        /// look (a late joiner knows only the upload time) and in older logs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_seen: Option<DateTime<Utc>>,
    },
    /// The version was available on a channel and no longer is.
    Disappeared {
        channel: Sym,
        package: Sym,
        version: Sym,
        subdir: Sym,
    },
    /// The version shows up under the channel's `broken` label.
    LabelledBroken {
        channel: Sym,
        package: Sym,
        version: Sym,
        subdir: Sym,
    },
    /// The version was uploaded to PyPI. `at` is the earliest file's `upload_time`.
    PypiUploaded {
        package: Sym,
        version: Sym,
        files: usize,
    },
    /// The version was yanked from PyPI.
    PypiYanked {
        package: Sym,
        version: Sym,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Sym>,
    },
}

impl Fact {
    /// Identity of the fact: two observations with the same key are the same
    /// fact seen twice, and only the first is recorded.
    pub fn key(&self) -> String {
        let mut out = String::new();
        self.write_key(&mut out);
        out
    }

    /// [`Fact::key`], hashed: what the log and the fold remember of each
    /// fact seen. Hashed from the key's parts, never formatted.
    pub(crate) fn key_hash(&self) -> FactKey {
        let repo_number = |kind: &str, repo: &str, number: u64| {
            KeyHasher::new(kind).text(repo).num(number).finish()
        };
        match self {
            Fact::TagPushed { repo, tag, .. } => {
                KeyHasher::new("tag").text(repo).text(tag).finish()
            }
            Fact::ReleaseDrafted { repo, tag } => KeyHasher::new("release-draft")
                .text(repo)
                .text(tag)
                .finish(),
            Fact::ReleasePublished { repo, tag, .. } => {
                KeyHasher::new("release").text(repo).text(tag).finish()
            }
            Fact::PrOpened { repo, number, .. } => repo_number("pr", repo, *number),
            Fact::PrChecks {
                repo,
                number,
                sha,
                state,
            } => ci_key("pr-checks", repo, Ok(*number), sha, *state),
            Fact::PrMerged { repo, number, .. } => repo_number("pr-merged", repo, *number),
            Fact::PrClosed { repo, number } => repo_number("pr-closed", repo, *number),
            Fact::PrSuperseded { repo, number, .. } => repo_number("pr-superseded", repo, *number),
            Fact::Checks {
                repo,
                reference,
                sha,
                state,
            } => ci_key("checks", repo, Err(reference), sha, *state),
            Fact::CopyFailed { repo, number, .. } => repo_number("copy-failed", repo, *number),
            Fact::IssueFiled { repo, number, .. } => repo_number("issue", repo, *number),
            Fact::Available {
                channel,
                package,
                version,
                subdir,
                ..
            } => channel_key("available", channel, subdir, package, version),
            Fact::Disappeared {
                channel,
                package,
                version,
                subdir,
            } => channel_key("disappeared", channel, subdir, package, version),
            Fact::LabelledBroken {
                channel,
                package,
                version,
                subdir,
            } => channel_key("broken", channel, subdir, package, version),
            Fact::PypiUploaded {
                package, version, ..
            } => KeyHasher::new("pypi").text(package).text(version).finish(),
            Fact::PypiYanked {
                package, version, ..
            } => KeyHasher::new("pypi-yanked")
                .text(package)
                .text(version)
                .finish(),
        }
    }

    fn write_key(&self, out: &mut String) {
        use fmt::Write as _;
        let _ = match self {
            Fact::TagPushed { repo, tag, .. } => write!(out, "tag/{repo}/{tag}"),
            Fact::ReleaseDrafted { repo, tag } => write!(out, "release-draft/{repo}/{tag}"),
            Fact::ReleasePublished { repo, tag, .. } => write!(out, "release/{repo}/{tag}"),
            Fact::PrOpened { repo, number, .. } => write!(out, "pr/{repo}/{number}"),
            Fact::PrChecks {
                repo,
                number,
                sha,
                state,
            } => write!(out, "pr-checks/{repo}/{number}/{sha}/{state}"),
            Fact::PrMerged { repo, number, .. } => write!(out, "pr-merged/{repo}/{number}"),
            Fact::PrClosed { repo, number } => write!(out, "pr-closed/{repo}/{number}"),
            Fact::PrSuperseded { repo, number, .. } => write!(out, "pr-superseded/{repo}/{number}"),
            Fact::Checks {
                repo,
                reference,
                sha,
                state,
            } => write!(out, "checks/{repo}/{reference}/{sha}/{state}"),
            Fact::CopyFailed { repo, number, .. } => write!(out, "copy-failed/{repo}/{number}"),
            Fact::IssueFiled { repo, number, .. } => write!(out, "issue/{repo}/{number}"),
            Fact::Available {
                channel,
                package,
                version,
                subdir,
                ..
            } => write!(out, "available/{channel}/{subdir}/{package}/{version}"),
            Fact::Disappeared {
                channel,
                package,
                version,
                subdir,
            } => write!(out, "disappeared/{channel}/{subdir}/{package}/{version}"),
            Fact::LabelledBroken {
                channel,
                package,
                version,
                subdir,
            } => write!(out, "broken/{channel}/{subdir}/{package}/{version}"),
            Fact::PypiUploaded {
                package, version, ..
            } => write!(out, "pypi/{package}/{version}"),
            Fact::PypiYanked {
                package, version, ..
            } => write!(out, "pypi-yanked/{package}/{version}"),
        };
    }

    /// Keys of earlier facts this one supersedes: a package available again
    /// after it disappeared, CI passing again on the same commit. Once
    /// superseded, the earlier fact may be observed (and recorded) anew.
    pub(crate) fn supersedes(&self) -> [Option<FactKey>; 2] {
        let others = |state: CiState| {
            let mut it = [CiState::Pending, CiState::Success, CiState::Failure]
                .into_iter()
                .filter(move |s| *s != state);
            [it.next(), it.next()]
        };
        match self {
            Fact::Available {
                channel,
                package,
                version,
                subdir,
                ..
            } => [
                Some(channel_key(
                    "disappeared",
                    channel,
                    subdir,
                    package,
                    version,
                )),
                None,
            ],
            Fact::Disappeared {
                channel,
                package,
                version,
                subdir,
            } => [
                Some(channel_key("available", channel, subdir, package, version)),
                None,
            ],
            Fact::PrChecks {
                repo,
                number,
                sha,
                state,
            } => others(*state).map(|s| s.map(|s| ci_key("pr-checks", repo, Ok(*number), sha, s))),
            Fact::Checks {
                repo,
                reference,
                sha,
                state,
            } => others(*state).map(|s| s.map(|s| ci_key("checks", repo, Err(reference), sha, s))),
            _ => [None, None],
        }
    }

    /// Facts a crew should see in red.
    pub(crate) fn is_alarm(&self) -> bool {
        matches!(
            self,
            Fact::CopyFailed { .. }
                | Fact::IssueFiled { .. }
                | Fact::Disappeared { .. }
                | Fact::LabelledBroken { .. }
                | Fact::PypiYanked { .. }
                | Fact::PrChecks {
                    state: CiState::Failure,
                    ..
                }
                | Fact::Checks {
                    state: CiState::Failure,
                    ..
                }
        )
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
