//! GitHub's payloads: octocrab's models for what octocrab models, and the few
//! slices it does not.
//!
//! Pull requests, issues, comments, releases and users are octocrab's types
//! ([`PullRequest`], [`Issue`], [`Release`], [`Author`]); the extension traits
//! here read them the way the probes need (a missing login is "", a link is text).
//!
//! Our own small structs remain where octocrab has no model or its model does
//! not fit the payload the probes read:
//! - check runs: octocrab's `CheckRun` has no `status`, and "queued / in progress"
//!   versus "completed" is the whole point of a CI probe;
//! - the combined status: the pure CI rules ([`crate::probe::github::matching`])
//!   are tested on hand-made values, which octocrab's non-exhaustive types forbid;
//! - the git data API (refs, annotated tags, commits), the tag list and the
//!   repository: only a date, a sha or a URL is read from each, and octocrab's
//!   types require fields (`zipball_url`, `verification`…) that have nothing to
//!   do with the question.
//!
//! Every field of these structs that may be absent (GitHub Enterprise, older
//! payloads) has a default, so such a reply never fails a poll.

use chrono::{DateTime, Utc};
use serde::Deserialize;

pub(crate) use octocrab::models::IssueState;
pub(crate) use octocrab::models::issues::Issue;
pub(crate) use octocrab::models::pulls::PullRequest;
pub(crate) use octocrab::models::repos::Release;

/// How the probes read a pull request.
pub(crate) trait PullExt {
    /// The author's login ("" when GitHub did not say).
    fn author(&self) -> &str;
    /// The title ("" when absent).
    fn title_text(&self) -> &str;
    /// The head branch's name.
    fn branch(&self) -> &str;
    /// Open (neither merged nor closed).
    fn is_open(&self) -> bool;
    /// The web page, as text ("" when absent).
    fn link(&self) -> String;
    /// When it was opened; pull requests without that time are dropped on reading (see [`dated`]).
    fn opened_at(&self) -> DateTime<Utc>;
    /// Who merged it, when the payload says (single PRs do, lists do not).
    fn merger(&self) -> Option<String>;
}

impl PullExt for PullRequest {
    fn author(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.login.as_str())
    }

    fn title_text(&self) -> &str {
        self.title.as_deref().unwrap_or("")
    }

    fn branch(&self) -> &str {
        &self.head.ref_field
    }

    fn is_open(&self) -> bool {
        self.state == Some(IssueState::Open)
    }

    fn link(&self) -> String {
        self.html_url
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    fn opened_at(&self) -> DateTime<Utc> {
        self.created_at.unwrap_or_default()
    }

    fn merger(&self) -> Option<String> {
        self.merged_by
            .as_ref()
            .map(|u| u.login.clone())
            .filter(|l| !l.is_empty())
    }
}

/// The pull requests that say when they were opened: every fact about a PR is
/// dated from it, and a PR without it cannot be placed on the timeline.
pub(crate) fn dated(pulls: Vec<PullRequest>) -> Vec<PullRequest> {
    pulls
        .into_iter()
        .filter(|p| p.created_at.is_some())
        .collect()
}

/// How the probes read an issue.
pub(crate) trait IssueExt {
    /// The author's login.
    fn author(&self) -> &str;
    /// Issue lists include pull requests; this tells them apart.
    fn is_pull_request(&self) -> bool;
    /// The web page, as text.
    fn link(&self) -> String;
}

impl IssueExt for Issue {
    fn author(&self) -> &str {
        &self.user.login
    }

    fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    fn link(&self) -> String {
        self.html_url.to_string()
    }
}

/// What a git ref or tag object points at.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GitObject {
    pub(crate) sha: String,
    #[serde(rename = "type", default)]
    pub(crate) kind: String,
}

/// `GET /repos/{o}/{r}/git/ref/tags/{tag}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GitRef {
    pub(crate) object: GitObject,
}

/// A git author, committer or tagger.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GitPerson {
    #[serde(default)]
    pub(crate) date: Option<DateTime<Utc>>,
}

/// An annotated tag object.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GitTag {
    #[serde(default)]
    pub(crate) tagger: Option<GitPerson>,
    pub(crate) object: GitObject,
}

/// A git commit object.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GitCommit {
    #[serde(default)]
    pub(crate) committer: Option<GitPerson>,
    #[serde(default)]
    pub(crate) author: Option<GitPerson>,
}

/// An entry of `GET /repos/{o}/{r}/tags`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TagName {
    #[serde(default)]
    pub(crate) name: String,
}

/// `GET /repos/{o}/{r}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Repository {
    #[serde(default)]
    pub(crate) html_url: String,
}

/// One check run.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckRun {
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) conclusion: Option<String>,
    #[serde(default)]
    pub(crate) started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) head_sha: String,
    #[serde(default)]
    pub(crate) html_url: Option<String>,
}

/// `GET /repos/{o}/{r}/commits/{ref}/check-runs`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct CheckRuns {
    #[serde(default)]
    pub(crate) check_runs: Vec<CheckRun>,
}

/// One commit status.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Status {
    #[serde(default)]
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) target_url: Option<String>,
}

/// `GET /repos/{o}/{r}/commits/{ref}/status`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CombinedStatus {
    #[serde(default)]
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) sha: String,
    #[serde(default)]
    pub(crate) total_count: u64,
    #[serde(default)]
    pub(crate) statuses: Vec<Status>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use octocrab::models::{Author, issues::Comment};

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/github")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn real_payloads_read_into_octocrab_models() {
        let pulls: Vec<PullRequest> =
            serde_json::from_str(&fixture("pull_requests_list.json")).expect("pulls");
        let p = pulls.first().expect("a pull request");
        assert!(!p.author().is_empty());
        assert!(!p.branch().is_empty());
        assert!(p.link().starts_with("https://github.com/"));
        assert_eq!(dated(pulls.clone()).len(), pulls.len());

        let releases: Vec<Release> =
            serde_json::from_str(&fixture("repos_releases_list.json")).expect("releases");
        assert!(!releases.is_empty());
        let one: Release =
            serde_json::from_str(&fixture("repos_releases_get_by_tag.json")).expect("release");
        assert!(!one.tag_name.is_empty());

        let event: serde_json::Value =
            serde_json::from_str(&fixture("issue_comment_event.json")).expect("event");
        let issue: Issue =
            serde_json::from_value(event["payload"]["issue"].clone()).expect("issue");
        assert!(!issue.author().is_empty());
        let comment: Comment =
            serde_json::from_value(event["payload"]["comment"].clone()).expect("comment");
        assert!(!comment.user.login.is_empty());

        let user: Author = serde_json::from_str(&fixture("user_data.json")).expect("user");
        assert!(!user.login.is_empty());

        let runs: CheckRuns =
            serde_json::from_str(&fixture("commit_check_runs.json")).expect("check runs");
        assert!(runs.check_runs.iter().all(|r| !r.status.is_empty()));
    }
}
