//! Red events: what, between two reports of one query, should turn the board red (a version
//! gone from a subdir, or moved to the `broken` label).

use super::{ChannelReport, SubdirStatus, is_broken_label};
use chrono::{DateTime, Utc};
use rattler_conda_types::Subdir;
use serde::{Deserialize, Serialize};
use url::Url;

/// Something about a release that should turn the board red.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RedEvent {
    /// The version was available in a subdir and is gone now (removed, or hidden by a repodata
    /// patch).
    Disappeared {
        /// The channel's name.
        channel: String,
        /// The package name.
        package: String,
        /// The version.
        version: String,
        /// The subdir.
        subdir: Subdir,
        /// The file that was available.
        file_name: String,
        /// Where it was.
        url: Url,
        /// When the disappearance was noticed (the check's time).
        noticed_at: DateTime<Utc>,
    },
    /// The version appeared under a `…/label/broken` label: someone marked it broken.
    MarkedBroken {
        /// The label's channel name, e.g. `conda-forge/label/broken`.
        channel: String,
        /// The package name.
        package: String,
        /// The version.
        version: String,
        /// The subdir.
        subdir: Subdir,
        /// The file now under the label.
        file_name: String,
        /// Where it is.
        url: Url,
        /// When the label got it: the check's time (the record timestamp is still the build's).
        noticed_at: DateTime<Utc>,
    },
}

/// Red events between two consecutive reports of the same query (`previous` is `None` for the
/// first report). Pass as `previous` what [`carry_forward`] returned last time, so that a poll that
/// failed in between neither hides nor repeats an event. A subdir that errors now tells nothing,
/// so it yields nothing: an outage is not a disappearance.
///
/// For a `…/label/broken` channel, every subdir where the version newly appears is a
/// [`RedEvent::MarkedBroken`]; on any other channel, every subdir that went from available to not
/// available is a [`RedEvent::Disappeared`].
pub fn red_events(previous: Option<&ChannelReport>, current: &ChannelReport) -> Vec<RedEvent> {
    let broken =
        is_broken_label(&current.channel_name) || is_broken_label(current.channel_url.as_str());
    let mut events = Vec::new();
    for now in &current.subdirs {
        let before = previous.and_then(|p| p.subdirs.iter().find(|s| s.subdir == now.subdir));
        let was_available = before.is_some_and(|s| s.status.is_available());
        match &now.status {
            SubdirStatus::Available { file_name, url, .. } if broken && !was_available => {
                events.push(RedEvent::MarkedBroken {
                    channel: current.channel_name.clone(),
                    package: current.package.clone(),
                    version: current.version.clone(),
                    subdir: now.subdir,
                    file_name: file_name.clone(),
                    url: url.clone(),
                    noticed_at: current.checked_at,
                });
            }
            SubdirStatus::NotYet if !broken => {
                if let Some(SubdirStatus::Available { file_name, url, .. }) =
                    before.map(|s| &s.status)
                {
                    events.push(RedEvent::Disappeared {
                        channel: current.channel_name.clone(),
                        package: current.package.clone(),
                        version: current.version.clone(),
                        subdir: now.subdir,
                        file_name: file_name.clone(),
                        url: url.clone(),
                        noticed_at: current.checked_at,
                    });
                }
            }
            _ => {}
        }
    }
    events
}

/// The last known state of each subdir: `current`, except that a subdir that errors now keeps
/// its status from `previous` (when that was known). Store this as the `previous` of the next
/// [`red_events`] call.
pub fn carry_forward(previous: Option<&ChannelReport>, current: &ChannelReport) -> ChannelReport {
    let mut merged = current.clone();
    for entry in &mut merged.subdirs {
        if matches!(entry.status, SubdirStatus::Error { .. })
            && let Some(known) = previous
                .and_then(|p| p.subdirs.iter().find(|s| s.subdir == entry.subdir))
                .filter(|s| !matches!(s.status, SubdirStatus::Error { .. }))
        {
            entry.status = known.status.clone();
        }
    }
    merged
}
