//! The GitHub probes: tags, releases, PRs, feedstock PRs, CI and the incident radar.
//!
//! - [`client`]: conditional GETs with a persisted ETag cache, rate-limit
//!   bookkeeping, errors that never carry the token;
//! - [`matching`]: the pure rules (which PR is the version bump, which issue is news);
//! - [`probes`]: one poll of one probe → observations with the source's own times;
//! - [`model`]: the slices of GitHub's payloads that are read.
//!
//! Scheduling (intervals, backoff, one request at a time) is `probe::scheduler`'s job.

pub mod client;
pub mod matching;
pub mod model;
pub mod probes;

pub use client::{ClientOptions, GhError, GithubClient, Page, Token, Traffic};
pub use probes::{GithubProbe, PollContext, PollOutcome};
