//! How a version spreads over a package's channels: when each channel had it,
//! which got it first, and channel skew (on one channel and not another for too
//! long — the 2022 post-mortem's "reached `defaults` days before `conda-forge`").
//!
//! Pure: the fold derives [`Availability`] once; the board, the header's
//! warnings, `status` and the post-mortem read it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a version may sit on one channel and not another before the
/// cockpit and `status` warn.
pub const SKEW_THRESHOLD: TimeDelta = TimeDelta::hours(1);

/// Per package, per channel, when the version was installable there in every
/// watched subdir (`None`: not yet). See [`crate::timeline::State::availability`].
pub type Availability = BTreeMap<String, BTreeMap<String, Option<DateTime<Utc>>>>;

/// Channel skew longer than `threshold` at `now`: the version on one channel
/// and not another — what made a real release go wrong. Worded for the crew.
/// Takes the availability (derived once per fold) because "now" moves on
/// between folds.
pub fn skew_warnings(
    availability: &Availability,
    now: DateTime<Utc>,
    threshold: chrono::TimeDelta,
) -> Vec<String> {
    let mut out = Vec::new();
    for (package, channels) in availability {
        for skew in channel_skew(channels, now, threshold) {
            let lag = skew.lag.to_std().unwrap_or_default();
            out.push(format!(
                "skew: {package} on {} {} ahead of {}",
                skew.ahead,
                crate::checklist::duration::format_duration(lag),
                skew.behind,
            ));
        }
    }
    out
}

/// A version present on one channel and missing from another for longer than allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skew {
    /// The channel that has the version (the first one that got it).
    pub ahead: String,
    /// When it got it.
    pub ahead_since: DateTime<Utc>,
    /// The channel that does not have it yet.
    pub behind: String,
    /// How long `behind` has lagged so far (`now - ahead_since`).
    pub lag: TimeDelta,
}

/// Channel skew: for each channel that does not have the version, how long since the first
/// channel got it, when that exceeds `threshold`. `availability` maps a channel name to when the
/// version became available there (`None`: not yet). Use the same kind of time for all channels
/// (observed `ChannelReport::first_seen` compares channels fairly). Empty when no channel has it
/// yet, when all have it, or while the lag is within the threshold.
///
/// This is the 2022 post-mortem's "reached `defaults` days before `conda-forge`" signal.
pub fn channel_skew(
    availability: &BTreeMap<String, Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
    threshold: TimeDelta,
) -> Vec<Skew> {
    let Some((ahead, ahead_since)) = first_channel(availability) else {
        return Vec::new();
    };
    availability
        .iter()
        .filter(|(_, at)| at.is_none())
        .filter_map(|(behind, _)| {
            let lag = now - ahead_since;
            (lag > threshold).then(|| Skew {
                ahead: ahead.clone(),
                ahead_since,
                behind: behind.clone(),
                lag,
            })
        })
        .collect()
}

/// The channel that got the version first and when; ties go to the name that sorts first.
pub fn first_channel(
    availability: &BTreeMap<String, Option<DateTime<Utc>>>,
) -> Option<(String, DateTime<Utc>)> {
    availability
        .iter()
        .filter_map(|(name, at)| at.map(|at| (name.clone(), at)))
        .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
}

/// "Tag → first channel": how long after the tag the version became available anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstChannel {
    /// The channel that got it first.
    pub channel: String,
    /// When.
    pub(crate) at: DateTime<Utc>,
    /// `at - tagged_at`. Negative when the package predates the tag (a record timestamp is the
    /// build time; a `defaults` build can start before the tag is pushed).
    pub lag: TimeDelta,
}

/// "Tag → first channel": `None` until some channel has the version.
pub fn tag_to_first_channel(
    tagged_at: DateTime<Utc>,
    availability: &BTreeMap<String, Option<DateTime<Utc>>>,
) -> Option<FirstChannel> {
    first_channel(availability).map(|(channel, at)| FirstChannel {
        channel,
        at,
        lag: at - tagged_at,
    })
}

/// "Merge → available": how long after the feedstock PR merged the version became available.
/// `None` while it is not available. Signed, like [`FirstChannel::lag`].
pub fn merge_to_available(
    merged_at: DateTime<Utc>,
    available_at: Option<DateTime<Utc>>,
) -> Option<TimeDelta> {
    available_at.map(|at| at - merged_at)
}

/// "Still waiting": how long since `since` with nothing yet (for a pending row on the board).
/// Zero if `since` lies in the future.
pub fn waiting_for(since: DateTime<Utc>, now: DateTime<Utc>) -> TimeDelta {
    (now - since).max(TimeDelta::zero())
}
