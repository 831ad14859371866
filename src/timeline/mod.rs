//! The timeline: event types, the crash-safe on-disk log, `fold` into
//! [`State`], merging crew logs, and the per-release directory.

pub mod availability;
pub(crate) mod checkpoint;
pub(crate) mod clock;
pub(crate) mod event;
pub(crate) mod events;
pub mod fold;
pub(crate) mod fsutil;
pub(crate) mod line;
pub mod log;
pub(crate) mod log_index;
pub(crate) mod log_read;
pub(crate) mod matrix;
pub mod merge;
pub(crate) mod milestones;
pub(crate) mod pack;
pub(crate) mod packed;
pub(crate) mod positions;
pub(crate) mod release;
pub(crate) mod resolve;
pub(crate) mod resume;
pub(crate) mod roster;
pub(crate) mod rules;
pub(crate) mod sym;
pub(crate) mod trust;

pub use availability::{Availability, skew_warnings};
pub use clock::Clock;
pub use event::{CiState, Event, EventId, EventKind, Fact, Outcome, SCHEMA_VERSION};
pub use events::Events;
pub use fold::{Shared, State, StepState, StepStatus, fold, fold_owned};
pub use log::{EventLog, LogError};
pub use merge::merge;
pub(crate) use milestones::Milestones;
pub use release::{Home, Release, ReleaseMeta};
pub use roster::Roster;
pub use rules::{Book, Permit, Reason, Refusal, Role, Verdict, judge};
pub use sym::Sym;
