//! Probes: watched facts of the outside world.
//!
//! [`crate::checklist::probe`] declares them (parsed from checklists); the source modules observe
//! them and report [`Observation`]s, which the scheduler records in the
//! timeline. Probes run as background tasks and report to the cockpit as
//! [`ProbeMsg`]s: the UI never waits on the network.

pub mod channel;
pub(crate) mod clock;
pub(crate) mod github;
pub(crate) mod poll;
pub mod pypi;
pub mod scheduler;
pub mod sources;

use crate::timeline::{Event, Fact};
use chrono::{DateTime, Utc};
use std::time::Duration;

pub use crate::checklist::ProbeSpec;

/// One fact seen by one poll, with the source's own time and a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observation {
    pub(crate) fact: Fact,
    /// The source's own time (tag date, `published_at`, `merged_at`, record `timestamp`, `upload_time`).
    pub(crate) at: DateTime<Utc>,
    pub(crate) link: Option<String>,
}

/// How a probe is doing, for the header and the probe board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    /// Answered on its last poll.
    Healthy,
    /// Failed recently; backing off, showing its last good observation.
    Degraded,
    /// Failed several times in a row.
    Failing,
    /// Reached its final state (merged, published); no longer polled.
    Finished,
}

/// The latest word on one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// [`ProbeSpec::id`].
    pub probe: String,
    pub health: Health,
    /// When it last answered.
    pub last_ok: Option<DateTime<Utc>>,
    /// The last error, already free of secrets, naming the URL.
    pub error: Option<String>,
    /// A one-line summary of what it last saw ("PR #211 open, CI pending").
    pub summary: Option<String>,
    /// When it will poll next.
    pub next_poll: Option<DateTime<Utc>>,
}

/// GitHub's rate limit as last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    pub(crate) reset: DateTime<Utc>,
}

/// What the probe tasks tell the cockpit.
#[derive(Debug, Clone)]
pub enum ProbeMsg {
    Report(ProbeReport),
    Quota(Quota),
    /// An observation was recorded in the log (the cockpit re-folds).
    Recorded(Box<Event>),
    /// A source's clock against ours, from the `Date` of its replies: sent
    /// when first known and when it moves by more than a few seconds.
    Clock(clock::ClockReading),
}

/// Redaction lives with the sentence (exports, `poll` and the cockpit share it).
pub(crate) use crate::export::redact::redact;

/// The default interval between polls of one probe.
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
