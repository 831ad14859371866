//! The interpretation of the world's facts, made once per fold: when each tag
//! was pushed and each release published, when each channel first had the
//! version in each subdir, when each PR was opened and merged, when each issue
//! the incident radar found was filed. The board, the header, the post-mortem
//! and `flightdeck history` read these instead of re-deriving them from the
//! events.

use super::event::{Event, EventKind, Fact};
use chrono::{DateTime, Utc};

/// A tag pushed, or a GitHub release published, as first seen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TagSeen {
    pub(crate) repo: String,
    pub(crate) tag: String,
    /// The source's time.
    pub(crate) at: DateTime<Utc>,
    /// Index into `State::events`.
    pub(crate) event: usize,
}

/// The first record of a version in one channel × subdir.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct AvailableSeen {
    /// The channel as the probe recorded it (a name or a URL).
    pub(crate) channel: String,
    pub(crate) package: String,
    pub(crate) subdir: String,
    /// The record's time.
    pub(crate) at: DateTime<Utc>,
    /// Index into `State::events`.
    pub(crate) event: usize,
}

/// A pull request opened or merged, as first seen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PrSeen {
    pub(crate) repo: String,
    pub(crate) number: u64,
    pub(crate) at: DateTime<Utc>,
    /// Index into `State::events`.
    pub(crate) event: usize,
}

/// An issue the incident radar found, as first seen: `at` is when it was filed.
pub(crate) type IssueSeen = PrSeen;

/// Every list is in timeline order and holds each subject once (its first sighting).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Milestones {
    pub(crate) tags: Vec<TagSeen>,
    pub(crate) published: Vec<TagSeen>,
    pub(crate) available: Vec<AvailableSeen>,
    pub(crate) prs_opened: Vec<PrSeen>,
    pub(crate) merges: Vec<PrSeen>,
    /// Issues that mention the version, filed after the release (`Fact::IssueFiled`).
    pub(crate) issues: Vec<IssueSeen>,
}

impl Milestones {
    /// Takes the `i`th event of the deduplicated timeline into account; call in timeline order.
    pub(crate) fn see(&mut self, i: usize, e: &Event) {
        let EventKind::Observed { fact, .. } = &e.what else {
            return;
        };
        match fact {
            Fact::TagPushed { repo, tag, .. } => push_tag(&mut self.tags, repo, tag, e.at, i),
            Fact::ReleasePublished { repo, tag, .. } => {
                push_tag(&mut self.published, repo, tag, e.at, i)
            }
            Fact::Available {
                channel,
                package,
                subdir,
                ..
            } => {
                let known = self
                    .available
                    .iter()
                    .any(|a| a.channel == *channel && a.package == *package && a.subdir == *subdir);
                if !known {
                    self.available.push(AvailableSeen {
                        channel: channel.to_string(),
                        package: package.to_string(),
                        subdir: subdir.to_string(),
                        at: e.at,
                        event: i,
                    });
                }
            }
            Fact::PrOpened { repo, number, .. } => {
                push_pr(&mut self.prs_opened, repo, *number, e.at, i)
            }
            Fact::PrMerged { repo, number, .. } => {
                push_pr(&mut self.merges, repo, *number, e.at, i)
            }
            Fact::IssueFiled { repo, number, .. } => {
                push_pr(&mut self.issues, repo, *number, e.at, i)
            }
            _ => {}
        }
    }

    /// The tag of `repo` that names `version` (with or without a leading `v`),
    /// else the repository's first tag seen.
    pub(crate) fn first_tag(&self, repo: &str, version: &str) -> Option<&TagSeen> {
        let mut of_repo = self
            .tags
            .iter()
            .filter(|t| t.repo.eq_ignore_ascii_case(repo));
        let first = of_repo.clone().next();
        of_repo
            .find(|t| t.tag.trim_start_matches('v') == version)
            .or(first)
    }

    /// When `tag` of `repo` was first seen pushed.
    pub(crate) fn tag(&self, repo: &str, tag: &str) -> Option<&TagSeen> {
        find_tag(&self.tags, repo, tag)
    }

    /// When the GitHub release of `tag` in `repo` was first seen published.
    pub(crate) fn release(&self, repo: &str, tag: &str) -> Option<&TagSeen> {
        find_tag(&self.published, repo, tag)
    }

    /// The first record of `package` on the named channel, in any subdir.
    pub(crate) fn first_available(&self, package: &str, channel: &str) -> Option<&AvailableSeen> {
        self.available
            .iter()
            .find(|a| a.package == package && same_channel(&a.channel, channel))
    }

    /// The first issue filed at or after `since` (on any watched repository):
    /// an issue filed before the tag is not a regression of what the tag shipped.
    pub(crate) fn first_issue_since(&self, since: DateTime<Utc>) -> Option<&IssueSeen> {
        self.issues.iter().find(|b| b.at >= since)
    }

    /// When PR `number` of `repo` was first seen opened.
    pub(crate) fn pr_opened(&self, repo: &str, number: u64) -> Option<&PrSeen> {
        self.prs_opened
            .iter()
            .find(|p| p.repo.eq_ignore_ascii_case(repo) && p.number == number)
    }

    /// The first merge seen on `repo` (any PR).
    pub(crate) fn first_merge(&self, repo: &str) -> Option<&PrSeen> {
        self.merges
            .iter()
            .find(|m| m.repo.eq_ignore_ascii_case(repo))
    }
}

fn push_tag(list: &mut Vec<TagSeen>, repo: &str, tag: &str, at: DateTime<Utc>, event: usize) {
    if find_tag(list, repo, tag).is_none() {
        list.push(TagSeen {
            repo: repo.to_string(),
            tag: tag.to_string(),
            at,
            event,
        });
    }
}

fn find_tag<'a>(list: &'a [TagSeen], repo: &str, tag: &str) -> Option<&'a TagSeen> {
    list.iter()
        .find(|t| t.repo.eq_ignore_ascii_case(repo) && t.tag == tag)
}

fn push_pr(list: &mut Vec<PrSeen>, repo: &str, number: u64, at: DateTime<Utc>, event: usize) {
    let known = list
        .iter()
        .any(|p| p.repo.eq_ignore_ascii_case(repo) && p.number == number);
    if !known {
        list.push(PrSeen {
            repo: repo.to_string(),
            number,
            at,
            event,
        });
    }
}

/// Whether a channel as recorded by a probe (a name or a URL) is the named channel.
pub(crate) fn same_channel(recorded: &str, name: &str) -> bool {
    let recorded = recorded.trim_end_matches('/');
    recorded.eq_ignore_ascii_case(name)
        || recorded.ends_with(&format!("/{name}"))
        || (name == "defaults" && recorded.ends_with("repo.anaconda.com/pkgs/main"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(repo: &str, tag: &str, minute: i64) -> TagSeen {
        TagSeen {
            repo: repo.into(),
            tag: tag.into(),
            at: DateTime::UNIX_EPOCH + chrono::TimeDelta::minutes(minute),
            event: 0,
        }
    }

    #[test]
    fn the_version_tag_wins_over_an_earlier_unrelated_tag() {
        let m = Milestones {
            tags: vec![
                tag("conda/conda", "nightly", 1),
                tag("conda/conda", "v26.11.0", 5),
            ],
            ..Milestones::default()
        };
        let t = m.first_tag("Conda/Conda", "26.11.0").expect("a tag");
        assert_eq!(t.tag, "v26.11.0");
        assert_eq!(
            m.first_tag("conda/conda", "27.1.0").map(|t| t.tag.as_str()),
            Some("nightly")
        );
        assert_eq!(m.first_tag("conda/other", "26.11.0"), None);
    }

    fn filed(number: u64, minute: i64) -> Event {
        let at = DateTime::UNIX_EPOCH + chrono::TimeDelta::minutes(minute);
        Event {
            v: 1,
            id: crate::timeline::EventId::from(format!("e{number}-{minute}")),
            author: "jane".into(),
            role: crate::timeline::Role::Pilot,
            seq: 1,
            at,
            observed_at: at,
            link: None,
            what: EventKind::Observed {
                probe: "issues/conda/conda".into(),
                fact: Fact::IssueFiled {
                    repo: "conda/conda".into(),
                    number,
                    title: "conda 26.11.0 breaks".into(),
                    author: "octocat".into(),
                },
            },
        }
    }

    #[test]
    fn the_first_bug_is_the_first_issue_filed_at_or_after_the_tag() {
        let mut m = Milestones::default();
        for (i, e) in [filed(7, 10), filed(8, 30), filed(7, 40), filed(9, 50)]
            .iter()
            .enumerate()
        {
            m.see(i, e);
        }
        let numbers: Vec<u64> = m.issues.iter().map(|b| b.number).collect();
        assert_eq!(numbers, vec![7, 8, 9], "each issue once, as first seen");
        let at = |minute| DateTime::UNIX_EPOCH + chrono::TimeDelta::minutes(minute);
        assert_eq!(m.first_issue_since(at(0)).map(|b| b.number), Some(7));
        assert_eq!(m.first_issue_since(at(30)).map(|b| b.number), Some(8));
        assert_eq!(m.first_issue_since(at(51)), None);
    }

    #[test]
    fn channels_recorded_as_urls_count_as_their_names() {
        assert!(same_channel(
            "https://conda.anaconda.org/conda-forge/",
            "conda-forge"
        ));
        assert!(same_channel(
            "https://repo.anaconda.com/pkgs/main",
            "defaults"
        ));
        assert!(!same_channel(
            "https://conda.anaconda.org/conda-forge",
            "defaults"
        ));
    }
}
