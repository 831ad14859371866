//! `flightdeck history`: what past releases teach.
//!
//! Every release under the home is folded once, and its figures are read from
//! the fold's interpretation of the world (`State.milestones`,
//! `State.availability`), never re-derived from the events:
//!
//! | figure | from | to |
//! |---|---|---|
//! | start → tag | the release's start | the version's tag pushed |
//! | tag → channel | the tag | the channel had the version in every watched subdir |
//! | channel skew | the first channel that had it | the last, once every channel has it |
//! | feedstock PR | the merged PR opened | merged (one figure per feedstock organisation) |
//! | tag → first bug | the tag | the first issue the incident radar found, filed at or after the tag |
//!
//! A release counts its first package (the one the checklist names first).
//! A figure a release does not have (not tagged, not on a channel yet, no PR
//! merged, no bug filed) is "—" and left out of that median; each median says
//! how many releases it covers. **The median of an even count is the mean of
//! the two middle values** (to the second, rounded down).
//!
//! The rates say how often a regression (any issue the radar recorded) was
//! filed within 24 h, 72 h and a week of the tag. A release without one
//! counts only once flightdeck watched it that long: until the last thing
//! recorded in its timeline.
//!
//! The soak suggestion looks at the last ten releases that had a regression
//! and finds how long after the tag the first one came in nine of ten (all of
//! them when there are fewer than ten), rounded up to whole days. It is
//! measured from the tag; a checklist's soak starts when the gated step's
//! needs are done, later than the tag, so a soak that long catches at least
//! as much.

pub(crate) mod render;

pub(crate) use render::{HistoryArgs, run};

use crate::checklist::Plan;
use crate::timeline::{Home, Release, State};
use chrono::{DateTime, TimeDelta, Utc};
use color_eyre::eyre::Result;
use std::collections::BTreeMap;

/// How many of the most recent releases with a regression the soak suggestion reads.
pub(crate) const SOAK_WINDOW: usize = 10;

/// The regression rates' horizons: (label, hours after the tag).
pub(crate) const HORIZONS: [(&str, i64); 3] = [("24h", 24), ("72h", 72), ("a week", 168)];

/// A feedstock PR of one release: the merged one when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeedstockPr {
    pub(crate) repo: String,
    pub(crate) number: u64,
    pub(crate) opened_at: Option<DateTime<Utc>>,
    pub(crate) merged_at: DateTime<Utc>,
}

impl FeedstockPr {
    /// Opened → merged, when the opening was seen.
    pub(crate) fn took(&self) -> Option<TimeDelta> {
        self.opened_at.map(|o| self.merged_at - o)
    }
}

/// The first issue the incident radar found after the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bug {
    pub(crate) repo: String,
    pub(crate) number: u64,
    pub(crate) at: DateTime<Utc>,
    /// `at` − the tag.
    pub(crate) after_tag: TimeDelta,
}

/// What one release teaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Figures {
    pub(crate) id: String,
    /// The checklist's release name (`conda`).
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) tagged_at: Option<DateTime<Utc>>,
    /// Per channel the plan watches, tag → the channel had it in every watched subdir.
    pub(crate) channels: BTreeMap<String, Option<TimeDelta>>,
    /// Last channel − first channel, once every watched channel has it (two or more).
    pub(crate) skew: Option<TimeDelta>,
    /// Per feedstock organisation the package has a feedstock in: its merged PR, if any.
    pub(crate) prs: BTreeMap<String, Option<FeedstockPr>>,
    pub(crate) first_bug: Option<Bug>,
    /// The last thing recorded in the timeline: flightdeck watched the release until then.
    pub(crate) watched_until: DateTime<Utc>,
    /// The checklist's soak gate: (step id, soak), the all-clear's if it has one.
    pub(crate) soak_gate: Option<(String, TimeDelta)>,
}

impl Figures {
    /// Reads one release's figures from its fold.
    pub(crate) fn of(release: &Release, state: &State) -> Figures {
        let plan = &release.plan;
        let m = &state.milestones;
        let started_at = state
            .started
            .as_ref()
            .map_or(release.meta.created_at, |s| s.at);
        let package = plan.packages.first();
        let tagged_at = package
            .and_then(|p| m.first_tag(&p.repo, &plan.version.full))
            .map(|t| t.at);
        let available = package.and_then(|p| state.availability.get(&p.name));
        let channels: BTreeMap<String, Option<TimeDelta>> = available
            .map(|chs| {
                chs.iter()
                    .map(|(ch, at)| (ch.clone(), tagged_at.zip(*at).map(|(t, a)| a - t)))
                    .collect()
            })
            .unwrap_or_default();
        let skew = available.and_then(|chs| {
            let times: Option<Vec<DateTime<Utc>>> = chs.values().copied().collect();
            let times = times.filter(|t| t.len() >= 2)?;
            Some(*times.iter().max()? - *times.iter().min()?)
        });
        let mut prs = BTreeMap::new();
        for feedstock in package.map(|p| p.feedstocks.as_slice()).unwrap_or(&[]) {
            let org = feedstock.split('/').next().unwrap_or(feedstock).to_string();
            let pr = m.first_merge(feedstock).map(|merge| FeedstockPr {
                repo: merge.repo.clone(),
                number: merge.number,
                opened_at: m.pr_opened(&merge.repo, merge.number).map(|o| o.at),
                merged_at: merge.at,
            });
            prs.entry(org).or_insert(pr);
        }
        let first_bug = tagged_at.and_then(|tag| {
            m.first_issue_since(tag).map(|b| Bug {
                repo: b.repo.clone(),
                number: b.number,
                at: b.at,
                after_tag: b.at - tag,
            })
        });
        let watched_until = state
            .events
            .iter()
            .map(|e| e.observed_at)
            .max()
            .unwrap_or(started_at);
        Figures {
            id: release.meta.id.clone(),
            name: release.meta.name.clone(),
            version: release.meta.version.clone(),
            started_at,
            tagged_at,
            channels,
            skew,
            prs,
            first_bug,
            watched_until,
            soak_gate: soak_gate(plan),
        }
    }

    /// A column's figure for this release.
    pub(crate) fn value(&self, column: &Column) -> Option<TimeDelta> {
        match column {
            Column::StartToTag => self.tagged_at.map(|t| t - self.started_at),
            Column::TagTo(ch) => self.channels.get(ch).copied().flatten(),
            Column::Skew => self.skew,
            Column::Pr(org) => self.prs.get(org).cloned().flatten()?.took(),
            Column::TagToBug => self.first_bug.as_ref().map(|b| b.after_tag),
        }
    }
}

/// The gate whose soak decides the all-clear: a step named all-clear if one
/// has a soak, else the first step that has one.
fn soak_gate(plan: &Plan) -> Option<(String, TimeDelta)> {
    let soaked = plan.steps.iter().filter_map(|s| {
        let soak = s.gate.as_ref()?.soak?;
        Some((s, TimeDelta::from_std(soak).unwrap_or(TimeDelta::MAX)))
    });
    let all_clear = soaked.clone().find(|(s, _)| {
        let title = s.title.to_ascii_lowercase();
        s.id.0.contains("all-clear")
            || title.starts_with("all-clear")
            || title.starts_with("all clear")
    });
    all_clear
        .or_else(|| soaked.clone().next())
        .map(|(s, soak)| (s.id.0.clone(), soak))
}

/// One column of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Column {
    StartToTag,
    /// Tag → the named channel.
    TagTo(String),
    Skew,
    /// The feedstock PR of the named organisation, opened → merged.
    Pr(String),
    TagToBug,
}

impl Column {
    pub(crate) fn title(&self) -> String {
        match self {
            Column::StartToTag => "start→tag".to_string(),
            Column::TagTo(ch) => format!("tag→{ch}"),
            Column::Skew => "skew".to_string(),
            Column::Pr(org) => format!("{org} PR"),
            Column::TagToBug => "tag→bug".to_string(),
        }
    }

    /// A stable key for JSON.
    pub(crate) fn key(&self) -> String {
        match self {
            Column::StartToTag => "start_to_tag".to_string(),
            Column::TagTo(ch) => format!("tag_to_channel:{ch}"),
            Column::Skew => "channel_skew".to_string(),
            Column::Pr(org) => format!("feedstock_pr:{org}"),
            Column::TagToBug => "tag_to_first_bug".to_string(),
        }
    }
}

/// A median over the releases that have the figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Median {
    /// `None` when no release has the figure.
    pub(crate) value: Option<TimeDelta>,
    /// How many releases have the figure.
    pub(crate) covers: usize,
    /// How many releases there are.
    pub(crate) of: usize,
}

/// The median; of an even count, the mean of the two middle values, to the second, rounded down.
pub(crate) fn median(values: &[TimeDelta]) -> Option<TimeDelta> {
    let mut secs: Vec<i64> = values.iter().map(TimeDelta::num_seconds).collect();
    secs.sort_unstable();
    let n = secs.len();
    let mid = match n {
        0 => return None,
        n if n % 2 == 1 => secs[n / 2],
        n => {
            let (a, b) = (i128::from(secs[n / 2 - 1]), i128::from(secs[n / 2]));
            i64::try_from((a + b).div_euclid(2)).unwrap_or(i64::MAX)
        }
    };
    Some(TimeDelta::try_seconds(mid).unwrap_or(TimeDelta::MAX))
}

/// How often a regression was filed within a horizon of the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rate {
    pub(crate) label: &'static str,
    pub(crate) horizon: TimeDelta,
    /// Releases whose first regression came within the horizon.
    pub(crate) filed: usize,
    /// Releases that tell: tagged, and either filed within the horizon or watched that long.
    pub(crate) of: usize,
}

/// The suggested all-clear soak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Soak {
    /// The releases read: the last (up to [`SOAK_WINDOW`]) that had a regression.
    pub(crate) considered: usize,
    /// How many of them the suggestion covers (nine in ten, rounded up).
    pub(crate) covered: usize,
    /// The first regression came within this long of the tag in `covered` releases.
    pub(crate) within: TimeDelta,
    /// `within`, rounded up to whole days.
    pub(crate) suggested: TimeDelta,
    /// The checklist's gate (from the newest release): step id, its soak, and in how
    /// many of the `considered` releases it would have caught the first regression.
    pub(crate) gate: Option<(String, TimeDelta, usize)>,
}

/// Everything `flightdeck history` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct History {
    /// Oldest first.
    pub(crate) releases: Vec<Figures>,
    pub(crate) columns: Vec<Column>,
    pub(crate) medians: Vec<Median>,
    pub(crate) rates: Vec<Rate>,
    /// `None` when no release had a regression.
    pub(crate) soak: Option<Soak>,
    /// The checklist's soak gate, read from the newest release.
    pub(crate) gate: Option<(String, TimeDelta)>,
    /// Releases that could not be read, with why.
    pub(crate) unreadable: Vec<(String, String)>,
}

/// Reads every release under the home.
pub(crate) fn read(home: &Home) -> Result<History> {
    let mut figures = Vec::new();
    let mut unreadable = Vec::new();
    for summary in home.list()? {
        let loaded = home
            .open(&summary.id)
            .and_then(|r| r.state().map(|s| (r, s)));
        match loaded {
            Ok((release, state)) => figures.push(Figures::of(&release, &state)),
            // One damaged release must not hide what the others teach.
            Err(e) => unreadable.push((summary.id, format!("{e:#}"))),
        }
    }
    let mut history = teach(figures);
    history.unreadable = unreadable;
    Ok(history)
}

/// What a set of releases teaches.
pub(crate) fn teach(mut releases: Vec<Figures>) -> History {
    releases.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
    let columns = columns(&releases);
    let medians = columns
        .iter()
        .map(|c| {
            let values: Vec<TimeDelta> = releases.iter().filter_map(|r| r.value(c)).collect();
            Median {
                value: median(&values),
                covers: values.len(),
                of: releases.len(),
            }
        })
        .collect();
    let rates = HORIZONS
        .iter()
        .map(|&(label, hours)| rate(&releases, label, TimeDelta::hours(hours)))
        .collect();
    let gate = releases.last().and_then(|r| r.soak_gate.clone());
    let soak = suggest_soak(&releases, gate.as_ref());
    History {
        releases,
        columns,
        medians,
        rates,
        soak,
        gate,
        unreadable: Vec::new(),
    }
}

/// conda-forge first, then defaults, then the rest by name; organisations likewise.
fn columns(releases: &[Figures]) -> Vec<Column> {
    let rank = |name: &str| match name {
        "conda-forge" => (0, name.to_string()),
        "defaults" | "AnacondaRecipes" => (1, name.to_string()),
        _ => (2, name.to_string()),
    };
    let mut channels: Vec<&String> = releases.iter().flat_map(|r| r.channels.keys()).collect();
    channels.sort_by_key(|c| rank(c));
    channels.dedup();
    let mut orgs: Vec<&String> = releases.iter().flat_map(|r| r.prs.keys()).collect();
    orgs.sort_by_key(|o| rank(o));
    orgs.dedup();
    let mut out = vec![Column::StartToTag];
    out.extend(channels.into_iter().map(|c| Column::TagTo(c.clone())));
    out.push(Column::Skew);
    out.extend(orgs.into_iter().map(|o| Column::Pr(o.clone())));
    out.push(Column::TagToBug);
    out
}

fn rate(releases: &[Figures], label: &'static str, horizon: TimeDelta) -> Rate {
    let (mut filed, mut of) = (0, 0);
    for r in releases {
        let Some(tag) = r.tagged_at else { continue };
        let within = r.first_bug.as_ref().is_some_and(|b| b.after_tag <= horizon);
        if within {
            filed += 1;
            of += 1;
        } else if r.watched_until - tag >= horizon {
            of += 1;
        }
    }
    Rate {
        label,
        horizon,
        filed,
        of,
    }
}

/// Nine in ten of the last releases with a regression, rounded up to whole days.
fn suggest_soak(releases: &[Figures], gate: Option<&(String, TimeDelta)>) -> Option<Soak> {
    let firsts: Vec<TimeDelta> = releases
        .iter()
        .filter_map(|r| r.first_bug.as_ref().map(|b| b.after_tag))
        .collect();
    let recent = &firsts[firsts.len().saturating_sub(SOAK_WINDOW)..];
    let mut sorted = recent.to_vec();
    sorted.sort();
    let considered = sorted.len();
    // ceil(0.9 × n): with fewer than ten, every one of them.
    let covered = (9 * considered).div_ceil(10);
    let within = *sorted.get(covered.checked_sub(1)?)?;
    let secs = u64::try_from(within.num_seconds().max(1)).unwrap_or(u64::MAX);
    let days = i64::try_from(secs.div_ceil(86_400)).unwrap_or(i64::MAX);
    let suggested = TimeDelta::try_days(days).unwrap_or(TimeDelta::MAX);
    let gate = gate.map(|(step, soak)| {
        let caught = sorted.iter().filter(|t| *t <= soak).count();
        (step.clone(), *soak, caught)
    });
    Some(Soak {
        considered,
        covered,
        within,
        suggested,
        gate,
    })
}

#[cfg(test)]
mod tests;
