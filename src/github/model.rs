//! The slices of GitHub's REST payloads the probes read.
//!
//! Deliberately our own small structs rather than octocrab's full models: every
//! field the probes do not need is ignored, and every field that may be absent
//! (on GitHub Enterprise, on older payloads) has a default, so a reply that
//! lacks an optional field never fails a poll.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A user as embedded in other objects.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct User {
    #[serde(default)]
    pub login: String,
}

/// A branch tip of a pull request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Head {
    #[serde(rename = "ref", default)]
    pub branch: String,
    #[serde(default)]
    pub sha: String,
    #[serde(default)]
    pub user: Option<User>,
}

/// A pull request (list and single forms).
#[derive(Debug, Clone, Deserialize)]
pub struct Pull {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub html_url: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merged_by: Option<User>,
    #[serde(default)]
    pub head: Head,
}

impl Pull {
    /// The author's login ("" when GitHub did not say).
    pub fn author(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.login.as_str())
    }

    /// Open (neither merged nor closed).
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }
}

/// A GitHub release.
#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    #[serde(default)]
    pub tag_name: String,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub html_url: String,
}

/// What a git ref or tag object points at.
#[derive(Debug, Clone, Deserialize)]
pub struct GitObject {
    pub sha: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// `GET /repos/{o}/{r}/git/ref/tags/{tag}`.
#[derive(Debug, Clone, Deserialize)]
pub struct GitRef {
    pub object: GitObject,
}

/// A git author, committer or tagger.
#[derive(Debug, Clone, Deserialize)]
pub struct GitPerson {
    #[serde(default)]
    pub date: Option<DateTime<Utc>>,
}

/// An annotated tag object.
#[derive(Debug, Clone, Deserialize)]
pub struct GitTag {
    #[serde(default)]
    pub tagger: Option<GitPerson>,
    pub object: GitObject,
}

/// A git commit object.
#[derive(Debug, Clone, Deserialize)]
pub struct GitCommit {
    #[serde(default)]
    pub committer: Option<GitPerson>,
    #[serde(default)]
    pub author: Option<GitPerson>,
}

/// An entry of `GET /repos/{o}/{r}/tags`.
#[derive(Debug, Clone, Deserialize)]
pub struct TagName {
    #[serde(default)]
    pub name: String,
}

/// `GET /repos/{o}/{r}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    #[serde(default)]
    pub html_url: String,
}

/// One check run.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckRun {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub head_sha: String,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// `GET /repos/{o}/{r}/commits/{ref}/check-runs`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckRuns {
    #[serde(default)]
    pub check_runs: Vec<CheckRun>,
}

/// One commit status.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub target_url: Option<String>,
}

/// `GET /repos/{o}/{r}/commits/{ref}/status`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CombinedStatus {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub sha: String,
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub statuses: Vec<Status>,
}

/// An issue (issue lists also carry pull requests, marked by `pull_request`).
#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub html_url: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    /// The author's login ("" when GitHub did not say).
    pub fn author(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.login.as_str())
    }

    /// Issue lists include pull requests; this tells them apart.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }
}
