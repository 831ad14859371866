//! Probe declarations: which fact of the outside world a step watches.
//!
//! Checklists declare probes (`probe = { kind = "tag", repo = "conda/conda", tag = "{version}" }`);
//! this module knows every kind, its fields, and when an observation completes it.
//! Observing the world is the job of the probe module (its `github`, `channel` and `pypi` sources).

use serde::{Deserialize, Serialize};
use std::fmt;

/// One watched fact, with its template variables already rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeSpec {
    /// A git tag exists; its time is the tagged commit's (or annotated tag's) date.
    Tag { repo: String, tag: String },
    /// A GitHub release for the tag is published (drafts and prereleases are noted on the way).
    Release { repo: String, tag: String },
    /// A pull request, found by head branch, title pattern or number; completes when merged.
    Pr {
        repo: String,
        head: Option<String>,
        title: Option<String>,
        number: Option<u64>,
    },
    /// The version bump PR on a feedstock (`org/name-feedstock`), by the bot or a human; completes when merged.
    FeedstockPr { feedstock: String, version: String },
    /// Check runs and combined status of a ref; completes when everything passed.
    Ci { repo: String, reference: String },
    /// The incident radar: new issues that mention the version. Never completes.
    IssuesMentioning { repo: String, version: String },
    /// `package==version` installable from a channel in every listed subdir.
    Channel {
        channel: String,
        package: String,
        version: String,
        subdirs: Vec<String>,
    },
    /// The version uploaded to PyPI.
    Pypi { package: String, version: String },
}

/// The probe kinds, as written in checklists.
pub(crate) const KINDS: &[&str] = &[
    "tag",
    "release",
    "pr",
    "feedstock_pr",
    "ci",
    "issues_mentioning",
    "channel",
    "pypi",
];

/// The fields of a kind: (required, optional). `version` defaults to `{version}`
/// and `subdirs` to the package's subdirs, so they are optional everywhere.
pub(crate) fn fields(kind: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match kind {
        "tag" | "release" => (&["repo", "tag"], &[]),
        "pr" => (&["repo"], &["head", "title", "number"]),
        "feedstock_pr" => (&["feedstock"], &["version"]),
        "ci" => (&["repo", "ref"], &[]),
        "issues_mentioning" => (&["repo"], &["version"]),
        "channel" => (&["channel", "package"], &["version", "subdirs"]),
        "pypi" => (&["package"], &["version"]),
        _ => return None,
    })
}

impl ProbeSpec {
    /// A stable name for this probe, recorded on its observations so the fold
    /// can tell which step they complete.
    pub fn id(&self) -> String {
        match self {
            ProbeSpec::Tag { repo, tag } => format!("tag {repo}@{tag}"),
            ProbeSpec::Release { repo, tag } => format!("release {repo}@{tag}"),
            ProbeSpec::Pr {
                repo,
                head,
                title,
                number,
            } => {
                let what = match (number, head, title) {
                    (Some(n), _, _) => format!("#{n}"),
                    (None, Some(h), _) => format!("head:{h}"),
                    (None, None, Some(t)) => format!("title:{t}"),
                    (None, None, None) => "?".to_string(),
                };
                format!("pr {repo} {what}")
            }
            ProbeSpec::FeedstockPr { feedstock, version } => {
                format!("feedstock_pr {feedstock}@{version}")
            }
            ProbeSpec::Ci { repo, reference } => format!("ci {repo}@{reference}"),
            ProbeSpec::IssuesMentioning { repo, version } => {
                format!("issues_mentioning {repo}@{version}")
            }
            ProbeSpec::Channel {
                channel,
                package,
                version,
                subdirs,
            } => format!(
                "channel {channel}/{package}=={version} [{}]",
                subdirs.join(",")
            ),
            ProbeSpec::Pypi { package, version } => format!("pypi {package}=={version}"),
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ProbeSpec::Tag { .. } => "tag",
            ProbeSpec::Release { .. } => "release",
            ProbeSpec::Pr { .. } => "pr",
            ProbeSpec::FeedstockPr { .. } => "feedstock_pr",
            ProbeSpec::Ci { .. } => "ci",
            ProbeSpec::IssuesMentioning { .. } => "issues_mentioning",
            ProbeSpec::Channel { .. } => "channel",
            ProbeSpec::Pypi { .. } => "pypi",
        }
    }

    /// True for probes that talk to the GitHub API.
    pub(crate) fn is_github(&self) -> bool {
        !matches!(self, ProbeSpec::Channel { .. } | ProbeSpec::Pypi { .. })
    }

    /// Whether this probe ever completes a step (the radar only reports).
    pub(crate) fn completes(&self) -> bool {
        !matches!(self, ProbeSpec::IssuesMentioning { .. })
    }
}

impl fmt::Display for ProbeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}
