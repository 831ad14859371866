//! The probe board's data: per package, what the outside world looks like,
//! derived from the observations in the folded state. Built once per re-fold;
//! the pane formats ages against "now" when drawing.

use crate::checklist::ProbeSpec;
use crate::checklist::{Package, Plan};
use crate::timeline::{CiState, Event, Fact, State};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Availability of a version in one channel × subdir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Installable since the record's timestamp.
    Available(DateTime<Utc>),
    NotYet,
    /// Was available, then disappeared.
    Gone,
    /// Shows up under the `broken` label.
    Broken,
}

/// The state of one pull request as the probe saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrView {
    pub(crate) number: u64,
    pub(crate) author: Option<String>,
    pub(crate) opened: Option<DateTime<Utc>>,
    pub(crate) ci: Option<CiState>,
    pub(crate) merged: Option<DateTime<Utc>>,
    pub(crate) closed: bool,
    pub(crate) link: Option<String>,
}

/// One line of the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Package {
        name: String,
        repo: String,
    },
    Tag {
        probe: String,
        tag: String,
        at: Option<DateTime<Utc>>,
        link: Option<String>,
    },
    Release {
        probe: String,
        tag: String,
        drafted: Option<DateTime<Utc>>,
        published: Option<DateTime<Utc>>,
        link: Option<String>,
    },
    Pr {
        probe: String,
        /// `conda-forge feedstock`, `PR changelog-26.11.0`…
        label: String,
        repo: String,
        pr: Option<PrView>,
        /// conda-forge could not copy the package, or similar.
        alarm: Option<String>,
    },
    Ci {
        probe: String,
        repo: String,
        reference: String,
        state: Option<CiState>,
        link: Option<String>,
    },
    /// Column titles of the channel matrix.
    Subdirs(Vec<String>),
    Channel {
        probe: String,
        channel: String,
        /// One per column of the preceding `Subdirs` line (`None`: not watched there).
        cells: Vec<Option<Cell>>,
        /// When the feedstock PR feeding this channel merged (CDN lag is measured from it).
        merged: Option<DateTime<Utc>>,
        link: Option<String>,
    },
    Pypi {
        probe: String,
        package: String,
        at: Option<DateTime<Utc>>,
        yanked: bool,
        link: Option<String>,
    },
    Radar {
        probe: String,
        repo: String,
        issues: usize,
        link: Option<String>,
    },
    /// How the version is spreading over the package's channels: tag → first
    /// channel, and channel skew (measured against "now" when drawn).
    Spread {
        tagged: Option<DateTime<Utc>>,
        /// Per channel, when it had the version in every watched subdir.
        channels: BTreeMap<String, Option<DateTime<Utc>>>,
    },
}

impl Line {
    /// The probe this line shows, if any.
    pub(crate) fn probe(&self) -> Option<&str> {
        match self {
            Line::Tag { probe, .. }
            | Line::Release { probe, .. }
            | Line::Pr { probe, .. }
            | Line::Ci { probe, .. }
            | Line::Channel { probe, .. }
            | Line::Pypi { probe, .. }
            | Line::Radar { probe, .. } => Some(probe),
            Line::Package { .. } | Line::Subdirs(_) | Line::Spread { .. } => None,
        }
    }

    /// Where to read more.
    pub(crate) fn link(&self) -> Option<&str> {
        match self {
            Line::Tag { link, .. }
            | Line::Release { link, .. }
            | Line::Ci { link, .. }
            | Line::Channel { link, .. }
            | Line::Pypi { link, .. }
            | Line::Radar { link, .. } => link.as_deref(),
            Line::Pr { pr, .. } => pr.as_ref().and_then(|p| p.link.as_deref()),
            Line::Package { .. } | Line::Subdirs(_) | Line::Spread { .. } => None,
        }
    }
}

/// The whole board.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Board {
    pub lines: Vec<Line>,
}

fn belongs(p: &ProbeSpec, pkg: &Package) -> bool {
    match p {
        ProbeSpec::Tag { repo, .. }
        | ProbeSpec::Release { repo, .. }
        | ProbeSpec::Pr { repo, .. }
        | ProbeSpec::Ci { repo, .. }
        | ProbeSpec::IssuesMentioning { repo, .. } => repo.eq_ignore_ascii_case(&pkg.repo),
        ProbeSpec::FeedstockPr { feedstock, .. } => pkg
            .feedstocks
            .iter()
            .any(|f| f.eq_ignore_ascii_case(feedstock)),
        ProbeSpec::Channel { package, .. } => *package == pkg.name,
        ProbeSpec::Pypi { package, .. } => {
            pkg.pypi.as_deref() == Some(package) || *package == pkg.name
        }
    }
}

/// The feedstock org whose merges feed a channel.
fn feeding_org(channel: &str) -> Option<&'static str> {
    match channel {
        "conda-forge" => Some("conda-forge"),
        "defaults" => Some("AnacondaRecipes"),
        _ => None,
    }
}

impl Board {
    pub(crate) fn build(plan: &Plan, state: &State) -> Board {
        let probes = plan.probes();
        let mut used = vec![false; probes.len()];
        let mut lines = Vec::new();
        let mut groups: Vec<(Line, Vec<&ProbeSpec>)> = Vec::new();
        for pkg in &plan.packages {
            let picked: Vec<usize> = (0..probes.len())
                .filter(|&i| !used[i] && belongs(probes[i], pkg))
                .collect();
            for &i in &picked {
                used[i] = true;
            }
            let mine: Vec<&ProbeSpec> = picked.iter().map(|&i| probes[i]).collect();
            groups.push((
                Line::Package {
                    name: pkg.name.clone(),
                    repo: pkg.repo.clone(),
                },
                mine,
            ));
        }
        let rest: Vec<&ProbeSpec> = probes
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(p, _)| *p)
            .collect();
        if !rest.is_empty() {
            groups.push((
                Line::Package {
                    name: "other".into(),
                    repo: String::new(),
                },
                rest,
            ));
        }
        for (header, probes) in groups {
            let spread_of = match &header {
                Line::Package { name, .. } => state.availability.get(name).cloned(),
                _ => None,
            };
            let mut tagged = None;
            lines.push(header);
            let mut merged_by_org: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
            let mut channel_lines = Vec::new();
            let mut subdirs: Vec<String> = Vec::new();
            for p in probes {
                let id = p.id();
                let facts: Vec<(&Event, &Fact)> = state.facts_of(p).collect();
                match p {
                    ProbeSpec::Tag { repo, tag } => {
                        let f = state.milestones.tag(repo, tag);
                        tagged = tagged.or(f.map(|t| t.at));
                        lines.push(Line::Tag {
                            probe: id,
                            tag: tag.clone(),
                            at: f.map(|t| t.at),
                            link: f.and_then(|t| link_of(state, t.event)),
                        });
                    }
                    ProbeSpec::Release { repo, tag } => {
                        let d = facts
                            .iter()
                            .find(|(_, f)| matches!(f, Fact::ReleaseDrafted { .. }));
                        let pb = state.milestones.release(repo, tag);
                        lines.push(Line::Release {
                            probe: id,
                            tag: tag.clone(),
                            drafted: d.map(|(e, _)| e.at),
                            published: pb.map(|t| t.at),
                            link: match pb {
                                Some(t) => link_of(state, t.event),
                                None => d.and_then(|(e, _)| e.link.as_deref().map(String::from)),
                            },
                        });
                    }
                    ProbeSpec::Pr { repo, .. }
                    | ProbeSpec::FeedstockPr {
                        feedstock: repo, ..
                    } => {
                        let (pr, alarm) = pr_view(&facts);
                        if let (ProbeSpec::FeedstockPr { feedstock, .. }, Some(m)) =
                            (p, pr.as_ref().and_then(|p| p.merged))
                        {
                            let org = feedstock
                                .split('/')
                                .next()
                                .unwrap_or_default()
                                .to_ascii_lowercase();
                            merged_by_org.insert(org, m);
                        }
                        let label = match p {
                            ProbeSpec::FeedstockPr { feedstock, .. } => {
                                format!(
                                    "{} feedstock",
                                    feedstock.split('/').next().unwrap_or(feedstock)
                                )
                            }
                            ProbeSpec::Pr { head: Some(h), .. } => format!("PR {h}"),
                            ProbeSpec::Pr {
                                number: Some(n), ..
                            } => format!("PR #{n}"),
                            ProbeSpec::Pr { title: Some(t), .. } => format!("PR \"{t}\""),
                            _ => "PR".to_string(),
                        };
                        lines.push(Line::Pr {
                            probe: id,
                            label,
                            repo: repo.clone(),
                            pr,
                            alarm,
                        });
                    }
                    ProbeSpec::Ci { repo, reference } => {
                        let last = facts.iter().rev().find_map(|(e, f)| match f {
                            Fact::Checks { state, .. } => {
                                Some((*state, e.link.as_deref().map(String::from)))
                            }
                            _ => None,
                        });
                        lines.push(Line::Ci {
                            probe: id,
                            repo: repo.clone(),
                            reference: reference.clone(),
                            state: last.as_ref().map(|l| l.0),
                            link: last.and_then(|l| l.1),
                        });
                    }
                    ProbeSpec::IssuesMentioning { repo, .. } => {
                        let issues: Vec<&&Event> = facts
                            .iter()
                            .filter(|(_, f)| matches!(f, Fact::IssueFiled { .. }))
                            .map(|(e, _)| e)
                            .collect();
                        lines.push(Line::Radar {
                            probe: id,
                            repo: repo.clone(),
                            issues: issues.len(),
                            link: issues
                                .last()
                                .and_then(|e| e.link.as_deref().map(String::from)),
                        });
                    }
                    ProbeSpec::Pypi { package, .. } => {
                        let up = facts
                            .iter()
                            .find(|(_, f)| matches!(f, Fact::PypiUploaded { .. }));
                        lines.push(Line::Pypi {
                            probe: id,
                            package: package.clone(),
                            at: up.map(|(e, _)| e.at),
                            yanked: facts
                                .iter()
                                .any(|(_, f)| matches!(f, Fact::PypiYanked { .. })),
                            link: up.and_then(|(e, _)| e.link.as_deref().map(String::from)),
                        });
                    }
                    ProbeSpec::Channel {
                        channel,
                        subdirs: subs,
                        ..
                    } => {
                        for s in subs {
                            if !subdirs.contains(s) {
                                subdirs.push(s.clone());
                            }
                        }
                        let mut latest: BTreeMap<&str, (Cell, Option<String>)> = BTreeMap::new();
                        for (e, f) in &facts {
                            match f {
                                Fact::Available { subdir, .. } => {
                                    latest.insert(
                                        subdir,
                                        (
                                            Cell::Available(e.at),
                                            e.link.as_deref().map(String::from),
                                        ),
                                    );
                                }
                                Fact::Disappeared { subdir, .. } => {
                                    latest.insert(
                                        subdir,
                                        (Cell::Gone, e.link.as_deref().map(String::from)),
                                    );
                                }
                                Fact::LabelledBroken { subdir, .. } => {
                                    latest.insert(
                                        subdir,
                                        (Cell::Broken, e.link.as_deref().map(String::from)),
                                    );
                                }
                                _ => {}
                            }
                        }
                        channel_lines.push((
                            id,
                            channel.clone(),
                            subs.clone(),
                            latest
                                .into_iter()
                                .map(|(k, v)| (k.to_string(), v))
                                .collect::<BTreeMap<_, _>>(),
                        ));
                    }
                }
            }
            if !channel_lines.is_empty() {
                lines.push(Line::Subdirs(subdirs.clone()));
                for (probe, channel, subs, latest) in channel_lines {
                    let cells = subdirs
                        .iter()
                        .map(|s| {
                            subs.contains(s)
                                .then(|| latest.get(s).map(|c| c.0.clone()).unwrap_or(Cell::NotYet))
                        })
                        .collect();
                    let link = latest.values().rev().find_map(|c| c.1.clone());
                    let merged = feeding_org(&channel)
                        .and_then(|o| merged_by_org.get(&o.to_ascii_lowercase()).copied());
                    lines.push(Line::Channel {
                        probe,
                        channel,
                        cells,
                        merged,
                        link,
                    });
                }
                if let Some(channels) = spread_of {
                    lines.push(Line::Spread { tagged, channels });
                }
            }
        }
        Board { lines }
    }
}

/// The recorded link of the `i`th event.
fn link_of(state: &State, i: usize) -> Option<String> {
    state
        .events
        .get(i)
        .and_then(|e| e.link.as_deref().map(String::from))
}

/// The PR worth showing: the merged one, else the newest still open, else the newest.
fn pr_view(facts: &[(&Event, &Fact)]) -> (Option<PrView>, Option<String>) {
    let mut prs: BTreeMap<u64, PrView> = BTreeMap::new();
    let mut order: Vec<u64> = Vec::new();
    let mut alarm = None;
    fn get<'a>(prs: &'a mut BTreeMap<u64, PrView>, order: &mut Vec<u64>, n: u64) -> &'a mut PrView {
        if !order.contains(&n) {
            order.push(n);
        }
        prs.entry(n).or_insert_with(|| PrView {
            number: n,
            ..PrView::default()
        })
    }
    for (e, f) in facts {
        match f {
            Fact::PrOpened { number, author, .. } => {
                let p = get(&mut prs, &mut order, *number);
                p.opened = Some(e.at);
                p.author = Some(author.to_string());
                if e.link.is_some() {
                    p.link = e.link.as_deref().map(String::from);
                }
            }
            Fact::PrChecks { number, state, .. } => {
                get(&mut prs, &mut order, *number).ci = Some(*state)
            }
            Fact::PrMerged { number, .. } => {
                let p = get(&mut prs, &mut order, *number);
                p.merged = Some(e.at);
                if p.link.is_none() {
                    p.link = e.link.as_deref().map(String::from);
                }
            }
            Fact::PrClosed { number, .. } | Fact::PrSuperseded { number, .. } => {
                get(&mut prs, &mut order, *number).closed = true
            }
            Fact::CopyFailed { title, .. } => alarm = Some(title.to_string()),
            _ => {}
        }
    }
    let pick = order
        .iter()
        .find(|n| prs.get(n).is_some_and(|p| p.merged.is_some()))
        .or_else(|| {
            order
                .iter()
                .rev()
                .find(|n| prs.get(n).is_some_and(|p| !p.closed))
        })
        .or(order.last())
        .copied();
    (pick.and_then(|n| prs.remove(&n)), alarm)
}
