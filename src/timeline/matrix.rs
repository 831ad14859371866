//! The channel × subdir matrix: where the version stands in each subdir of
//! each watched channel, as the log last recorded it. Read by `status`, the
//! tracking issue's body and anything else that shows the matrix.

use super::milestones::same_channel;
use super::{EventKind, Fact, State, Sym};
use crate::checklist::{Plan, ProbeSpec};
use chrono::{DateTime, Utc};

/// Where the version stands in one subdir of one channel, as the log last recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubdirState {
    NotYet,
    Available,
    Gone,
    Broken,
}

impl SubdirState {
    pub(crate) fn label(self) -> &'static str {
        match self {
            SubdirState::NotYet => "not yet",
            SubdirState::Available => "available",
            SubdirState::Gone => "gone",
            SubdirState::Broken => "broken",
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            SubdirState::NotYet => "·",
            SubdirState::Available => "✔",
            SubdirState::Gone | SubdirState::Broken => "✘",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SubdirRow {
    pub(crate) subdir: String,
    pub(crate) state: SubdirState,
    /// When it reached that state (the record's time for `available`).
    pub(crate) at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChannelRow {
    pub(crate) package: String,
    pub(crate) channel: String,
    pub(crate) subdirs: Vec<SubdirRow>,
}

impl ChannelRow {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "package": self.package,
            "channel": self.channel,
            "subdirs": self.subdirs.iter().map(|s| serde_json::json!({
                "subdir": s.subdir,
                "state": s.state.label().replace(' ', "_"),
                "at": s.at,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Where an observation puts a subdir of a channel: the channel, package
/// and subdir it names, and their standing; `None` for other facts.
pub(crate) fn standing(fact: &Fact) -> Option<(&Sym, &Sym, &Sym, SubdirState)> {
    match fact {
        Fact::Available {
            channel,
            package,
            subdir,
            ..
        } => Some((channel, package, subdir, SubdirState::Available)),
        Fact::Disappeared {
            channel,
            package,
            subdir,
            ..
        } => Some((channel, package, subdir, SubdirState::Gone)),
        Fact::LabelledBroken {
            channel,
            package,
            subdir,
            ..
        } => Some((channel, package, subdir, SubdirState::Broken)),
        _ => None,
    }
}

/// Whether an observation of `recorded` channel and package belongs to the
/// row of the channel probe for `channel` and `package` (a channel is
/// recorded by name or URL).
pub(crate) fn in_row(recorded: &str, recorded_package: &str, channel: &str, package: &str) -> bool {
    recorded_package == package && same_channel(recorded, channel)
}

/// One row per channel probe of the plan, its subdirs sorted, each at its latest recorded state.
pub(crate) fn channels(plan: &Plan, state: &State) -> Vec<ChannelRow> {
    let mut rows = Vec::new();
    for probe in plan.probes() {
        let ProbeSpec::Channel {
            channel,
            package,
            subdirs,
            ..
        } = probe
        else {
            continue;
        };
        let mut subdirs: Vec<SubdirRow> = subdirs
            .iter()
            .map(|s| SubdirRow {
                subdir: s.clone(),
                state: SubdirState::NotYet,
                at: None,
            })
            .collect();
        subdirs.sort_by(|a, b| a.subdir.cmp(&b.subdir));
        // Only the observations that change a subdir's standing: an
        // availability right after another changes nothing.
        for e in state
            .channel_marks
            .iter()
            .filter_map(|&i| state.events.get(i))
        {
            let EventKind::Observed { fact, .. } = &e.what else {
                continue;
            };
            let Some((c, p, sd, st)) = standing(fact) else {
                continue;
            };
            if !in_row(c, p, channel, package) {
                continue;
            }
            if let Some(row) = subdirs.iter_mut().find(|r| &r.subdir == sd) {
                // The first availability is the one that counts; a later one only after a loss.
                if st != SubdirState::Available || row.state != SubdirState::Available {
                    row.state = st;
                    row.at = Some(e.at);
                }
            }
        }
        rows.push(ChannelRow {
            package: package.clone(),
            channel: channel.clone(),
            subdirs,
        });
    }
    rows
}
