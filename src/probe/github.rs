//! The GitHub probes: tags, releases, PRs, feedstock PRs, CI and the incident radar.
//!
//! - [`matching`]: the pure rules (which PR is the version bump, which issue is news);
//! - [`probes`]: one poll of one probe → observations with the source's own times.
//!
//! Requests, the rate budget and the payloads' types are [`crate::github`]'s;
//! scheduling (intervals, backoff, one request at a time) is `probe::scheduler`'s.

pub(crate) mod matching;
pub(crate) mod probes;

pub(crate) use probes::{GithubProbe, PollContext, PollOutcome};
