//! One poll of one GitHub probe: a few conditional GETs, turned into
//! observations with the source's own times and links.
//!
//! Every poll reports everything it can see (the log records each fact once),
//! so a late joiner, a restarted cockpit or a second `poll --once` all end up
//! with the same facts and the same times.

use super::matching::{self, Candidate};
use crate::github::model::{
    self, CheckRuns, CombinedStatus, GitCommit, GitRef, GitTag, Issue, IssueExt, PullExt,
    PullRequest as Pull, Release, Repository, TagName,
};
use crate::github::{GhError, GithubClient, Page};
use crate::probe::{Observation, ProbeSpec};
use crate::timeline::{CiState, Fact};
use chrono::{DateTime, TimeDelta, Utc};

/// How long a merged feedstock PR keeps watching for conda-forge's
/// copy-failure issue (merge → channel normally takes under an hour; outages
/// have taken over two).
pub(crate) const COPY_WATCH: TimeDelta = TimeDelta::hours(6);

/// Lists are read this many pages deep at most (100 items a page).
const MAX_PAGES: usize = 5;

/// What a poll needs to know about the release.
#[derive(Debug, Clone, Default)]
pub(crate) struct PollContext {
    /// Now, on the release's clock.
    pub(crate) now: Option<DateTime<Utc>>,
    /// The radar's cutoff: issues opened before it are not news
    /// (the release's `published_at` when known, else when the release started).
    pub(crate) radar_since: Option<DateTime<Utc>>,
}

/// What one poll saw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PollOutcome {
    pub(crate) observations: Vec<Observation>,
    /// One line for the probe board ("PR #250 open, CI failed").
    pub(crate) summary: String,
    /// The final state is reached; stop polling.
    pub(crate) finished: bool,
}

impl PollOutcome {
    fn new(summary: impl Into<String>) -> PollOutcome {
        PollOutcome {
            observations: Vec::new(),
            summary: summary.into(),
            finished: false,
        }
    }

    fn see(&mut self, fact: Fact, at: DateTime<Utc>, link: impl Into<Option<String>>) {
        let link = link.into().filter(|l| !l.is_empty());
        self.observations.push(Observation { fact, at, link });
    }
}

/// A GitHub probe and what it remembers between polls.
#[derive(Debug, Clone)]
pub(crate) struct GithubProbe {
    spec: ProbeSpec,
    polls: u64,
}

/// `owner/name` → the path prefix `/repos/owner/name`, each part encoded.
fn repo_path(repo: &str) -> String {
    format!("/repos/{}", encode_path(repo))
}

/// Percent-encodes what may not appear raw in a path; keeps `/` (tags and
/// refs may contain it, and GitHub takes them unencoded).
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes a query value.
fn encode_query(s: &str) -> String {
    encode_path(s).replace('/', "%2F")
}

impl GithubProbe {
    /// A probe for a GitHub kind; `None` for channel and PyPI probes.
    pub(crate) fn new(spec: ProbeSpec) -> Option<GithubProbe> {
        spec.is_github().then_some(GithubProbe { spec, polls: 0 })
    }

    /// What the probe watches.
    pub(crate) fn spec(&self) -> &ProbeSpec {
        &self.spec
    }

    /// Polls once. Every request is conditional; an unchanged world costs no quota.
    pub(crate) async fn poll(
        &mut self,
        client: &GithubClient,
        ctx: &PollContext,
    ) -> Result<PollOutcome, GhError> {
        let first = self.polls == 0;
        let out = match self.spec.clone() {
            ProbeSpec::Tag { repo, tag } => poll_tag(client, &repo, &tag, first).await,
            ProbeSpec::Release { repo, tag } => poll_release(client, &repo, &tag).await,
            ProbeSpec::Pr {
                repo,
                head,
                title,
                number,
            } => poll_pr(client, &repo, head.as_deref(), title.as_deref(), number).await,
            ProbeSpec::FeedstockPr { feedstock, version } => {
                poll_feedstock(client, &feedstock, &version, ctx).await
            }
            ProbeSpec::Ci { repo, reference } => poll_ci(client, &repo, &reference).await,
            ProbeSpec::IssuesMentioning { repo, version } => {
                poll_radar(client, &repo, &version, ctx).await
            }
            ProbeSpec::Channel { .. } | ProbeSpec::Pypi { .. } => {
                Ok(PollOutcome::new("not a GitHub probe"))
            }
        };
        // Count only answered polls: a failed first poll must retry the first-poll checks.
        if out.is_ok() {
            self.polls += 1;
        }
        out
    }
}

/// Reads up to [`MAX_PAGES`] pages of a list; `changed` if any page changed.
async fn get_list<T: serde::de::DeserializeOwned>(
    client: &GithubClient,
    first: &str,
) -> Result<(Vec<T>, bool, bool), GhError> {
    let mut items = Vec::new();
    let mut changed = false;
    let mut url = first.to_string();
    for _ in 0..MAX_PAGES {
        let page: Page = client.get(&url).await?;
        if !page.found {
            return Ok((items, true, false));
        }
        changed |= page.changed;
        items.extend(page.json::<Vec<T>>()?);
        match page.next {
            Some(next) => url = next,
            None => break,
        }
    }
    Ok((items, changed, true))
}

fn missing_repo(path: &str, what: &str) -> GhError {
    GhError::Http {
        path: path.to_string(),
        status: 404,
        message: format!("{what} not found, or not visible without a token that can read it"),
    }
}

// ---------------------------------------------------------------------------
// tag

async fn poll_tag(
    client: &GithubClient,
    repo: &str,
    tag: &str,
    first: bool,
) -> Result<PollOutcome, GhError> {
    let base = repo_path(repo);
    // The tag list is the cheap, conditional "did anything change" signal: a
    // missing ref answers 404, which has no ETag and costs quota every time.
    let list_path = format!("{base}/tags?per_page=100");
    let list = client.get(&list_path).await?;
    if !list.found {
        return Err(missing_repo(&list_path, repo));
    }
    let listed = list.json::<Vec<TagName>>()?.iter().any(|t| t.name == tag);
    if !(listed || list.changed || first) {
        return Ok(PollOutcome::new(format!("tag {tag} not pushed yet")));
    }
    let r = client
        .get(&format!("{base}/git/ref/tags/{}", encode_path(tag)))
        .await?;
    if !r.found {
        return Ok(PollOutcome::new(format!("tag {tag} not pushed yet")));
    }
    let git_ref: GitRef = r.json()?;
    let (sha, at) = if git_ref.object.kind == "tag" {
        // Annotated: the tagger's date is when the tag was made.
        let t: GitTag = client
            .get(&format!(
                "{base}/git/tags/{}",
                encode_path(&git_ref.object.sha)
            ))
            .await?
            .json()?;
        match t.tagger.and_then(|p| p.date) {
            Some(d) => (t.object.sha, d),
            None => (
                t.object.sha.clone(),
                commit_date(client, &base, &t.object.sha).await?,
            ),
        }
    } else {
        (
            git_ref.object.sha.clone(),
            commit_date(client, &base, &git_ref.object.sha).await?,
        )
    };
    let repo_page = client.get(&base).await?;
    let link = if repo_page.found {
        repo_page
            .json::<Repository>()
            .ok()
            .map(|r| format!("{}/releases/tag/{tag}", r.html_url))
    } else {
        None
    };
    let mut out = PollOutcome::new(format!("tag {tag} at {}", short_time(at)));
    out.see(
        Fact::TagPushed {
            repo: repo.to_string().into(),
            tag: tag.to_string().into(),
            sha: Some(sha.into()),
        },
        at,
        link,
    );
    out.finished = true;
    Ok(out)
}

async fn commit_date(
    client: &GithubClient,
    base: &str,
    sha: &str,
) -> Result<DateTime<Utc>, GhError> {
    let path = format!("{base}/git/commits/{}", encode_path(sha));
    let page = client.get(&path).await?;
    let c: GitCommit = page.json()?;
    c.committer
        .and_then(|p| p.date)
        .or(c.author.and_then(|p| p.date))
        .ok_or(GhError::BadBody {
            path,
            message: "the commit has no date".into(),
        })
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ---------------------------------------------------------------------------
// release

async fn poll_release(
    client: &GithubClient,
    repo: &str,
    tag: &str,
) -> Result<PollOutcome, GhError> {
    let base = repo_path(repo);
    // The list shows drafts (to those who can push) and is conditional;
    // `/releases/tags/{tag}` hides drafts and 404s until published.
    let list_path = format!("{base}/releases?per_page=30");
    let page = client.get(&list_path).await?;
    if !page.found {
        return Err(missing_repo(&list_path, repo));
    }
    let releases: Vec<Release> = page.json()?;
    let mut found = releases.into_iter().find(|r| r.tag_name == tag);
    if found.is_none() && page.changed && page.next.is_some() {
        // An older release beyond the first page.
        let r = client
            .get(&format!("{base}/releases/tags/{}", encode_path(tag)))
            .await?;
        if r.found {
            found = Some(r.json()?);
        }
    }
    let Some(rel) = found else {
        return Ok(PollOutcome::new(format!("no release for {tag} yet")));
    };
    let mut out = PollOutcome::new("");
    match (rel.draft, rel.published_at) {
        (false, Some(published)) => {
            out.see(
                Fact::ReleasePublished {
                    repo: repo.to_string().into(),
                    tag: tag.to_string().into(),
                    prerelease: rel.prerelease,
                },
                published,
                rel.html_url.to_string(),
            );
            let pre = if rel.prerelease { "pre-release " } else { "" };
            out.summary = format!("{pre}{tag} published {}", short_time(published));
            out.finished = true;
        }
        _ => {
            if let Some(created) = rel.created_at {
                out.see(
                    Fact::ReleaseDrafted {
                        repo: repo.to_string().into(),
                        tag: tag.to_string().into(),
                    },
                    created,
                    rel.html_url.to_string(),
                );
            }
            out.summary = format!("draft release for {tag}, not published");
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// pull requests (generic and feedstock)

/// Facts about one PR: opened, CI on its head (while open), merged or closed.
async fn follow_pr(
    client: &GithubClient,
    repo: &str,
    pr: &Pull,
    out: &mut PollOutcome,
) -> Result<String, GhError> {
    out.see(
        Fact::PrOpened {
            repo: repo.to_string().into(),
            number: pr.number,
            title: pr.title_text().to_string().into(),
            author: pr.author().to_string().into(),
            head: pr.branch().to_string().into(),
        },
        pr.opened_at(),
        pr.link(),
    );
    if let Some(merged) = pr.merged_at {
        let mut by = pr.merger();
        if by.is_none() {
            // PR lists omit `merged_by`; the single PR has it (fetched once: the probe stops after).
            let single = client
                .get(&format!("{}/pulls/{}", repo_path(repo), pr.number))
                .await?;
            if single.found {
                by = single.json::<Pull>()?.merger();
            }
        }
        out.see(
            Fact::PrMerged {
                repo: repo.to_string().into(),
                number: pr.number,
                by: by.as_deref().map(Into::into),
            },
            merged,
            pr.link(),
        );
        return Ok(format!(
            "PR #{} merged {}{}",
            pr.number,
            short_time(merged),
            by.map(|b| format!(" by {b}")).unwrap_or_default()
        ));
    }
    if !pr.is_open() {
        let closed = pr.closed_at.unwrap_or(pr.opened_at());
        out.see(
            Fact::PrClosed {
                repo: repo.to_string().into(),
                number: pr.number,
            },
            closed,
            pr.link(),
        );
        return Ok(format!("PR #{} closed without merging", pr.number));
    }
    if pr.head.sha.is_empty() {
        return Ok(format!("PR #{} open", pr.number));
    }
    let (state, at, _) = ci_state(client, repo, &pr.head.sha).await?;
    match state {
        Some(state) => {
            out.see(
                Fact::PrChecks {
                    repo: repo.to_string().into(),
                    number: pr.number,
                    sha: pr.head.sha.clone().into(),
                    state,
                },
                at.unwrap_or(pr.opened_at()),
                format!("{}/checks", pr.link()),
            );
            Ok(format!("PR #{} open, CI {state}", pr.number))
        }
        None => Ok(format!("PR #{} open, no CI yet", pr.number)),
    }
}

/// The CI state of a commit or ref: check runs plus the combined status.
/// Returns the state, its source time and a link to look at.
async fn ci_state(
    client: &GithubClient,
    repo: &str,
    reference: &str,
) -> Result<
    (
        Option<CiState>,
        Option<DateTime<Utc>>,
        (String, Option<String>),
    ),
    GhError,
> {
    let base = repo_path(repo);
    let r = encode_path(reference);
    let runs_page = client
        .get(&format!("{base}/commits/{r}/check-runs?per_page=100"))
        .await?;
    let runs: CheckRuns = if runs_page.found {
        runs_page.json()?
    } else {
        CheckRuns::default()
    };
    let status_page = client.get(&format!("{base}/commits/{r}/status")).await?;
    let status: Option<CombinedStatus> = if status_page.found {
        Some(status_page.json()?)
    } else {
        None
    };
    let sha = runs
        .check_runs
        .iter()
        .map(|c| c.head_sha.clone())
        .find(|s| !s.is_empty())
        .or_else(|| {
            status
                .as_ref()
                .map(|s| s.sha.clone())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| reference.to_string());
    let link = runs
        .check_runs
        .iter()
        .find_map(|c| c.html_url.clone())
        .or_else(|| {
            status
                .as_ref()
                .and_then(|s| s.statuses.iter().find_map(|x| x.target_url.clone()))
        });
    let combined = matching::combine_ci(&runs.check_runs, status.as_ref());
    Ok((
        combined.map(|c| c.0),
        combined.and_then(|c| c.1),
        (sha, link),
    ))
}

async fn poll_pr(
    client: &GithubClient,
    repo: &str,
    head: Option<&str>,
    title: Option<&str>,
    number: Option<u64>,
) -> Result<PollOutcome, GhError> {
    let base = repo_path(repo);
    let pulls: Vec<Pull> = if let Some(n) = number {
        let page = client.get(&format!("{base}/pulls/{n}")).await?;
        if page.found {
            model::dated(vec![page.json()?])
        } else {
            Vec::new()
        }
    } else if let Some(h) = head {
        // GitHub filters by `owner:branch`; a bare branch lives in the repository itself.
        let owner = repo.split('/').next().unwrap_or_default();
        let qualified = if h.contains(':') {
            h.to_string()
        } else {
            format!("{owner}:{h}")
        };
        let path = format!(
            "{base}/pulls?state=all&head={}&per_page=30",
            encode_query(&qualified)
        );
        let (pulls, _, found) = get_list::<Pull>(client, &path).await?;
        if !found {
            return Err(missing_repo(&path, repo));
        }
        let branch = qualified
            .split_once(':')
            .map_or(qualified.as_str(), |(_, b)| b);
        model::dated(pulls)
            .into_iter()
            .filter(|p| p.branch() == branch)
            .collect()
    } else if let Some(pattern) = title {
        let path = format!("{base}/pulls?state=all&sort=created&direction=desc&per_page=100");
        let page = client.get(&path).await?;
        if !page.found {
            return Err(missing_repo(&path, repo));
        }
        model::dated(page.json::<Vec<Pull>>()?)
            .into_iter()
            .filter(|p| matching::title_matches(pattern, p.title_text()))
            .collect()
    } else {
        return Ok(PollOutcome::new(
            "the probe names no PR (number, head or title)",
        ));
    };
    let cands: Vec<Candidate> = pulls.iter().map(candidate).collect();
    let Some(p) = matching::primary(&cands) else {
        return Ok(PollOutcome::new("no matching PR yet"));
    };
    let mut out = PollOutcome::new("");
    out.summary = follow_pr(client, repo, &pulls[p], &mut out).await?;
    out.finished = pulls[p].merged_at.is_some();
    Ok(out)
}

fn candidate(p: &Pull) -> Candidate {
    Candidate {
        number: p.number,
        created_at: p.opened_at(),
        open: p.is_open(),
        merged: p.merged_at.is_some(),
    }
}

async fn poll_feedstock(
    client: &GithubClient,
    feedstock: &str,
    version: &str,
    ctx: &PollContext,
) -> Result<PollOutcome, GhError> {
    let base = repo_path(feedstock);
    let package = matching::feedstock_package(feedstock);
    let path = format!("{base}/pulls?state=all&sort=created&direction=desc&per_page=50");
    let page = client.get(&path).await?;
    if !page.found {
        return Err(missing_repo(&path, feedstock));
    }
    let pulls: Vec<Pull> = model::dated(page.json::<Vec<Pull>>()?)
        .into_iter()
        .filter(|p| {
            matching::classify_feedstock_pr(
                package,
                version,
                p.author(),
                p.title_text(),
                p.branch(),
            )
            .is_some()
        })
        .collect();
    let cands: Vec<Candidate> = pulls.iter().map(candidate).collect();
    let Some(p) = matching::primary(&cands) else {
        return Ok(PollOutcome::new(format!(
            "no PR for {package} {version} yet"
        )));
    };
    let mut out = PollOutcome::new("");
    // Every PR for the version is part of the story (the bot's, the human's that replaced it).
    for (i, pr) in pulls.iter().enumerate() {
        if i != p {
            out.see(
                Fact::PrOpened {
                    repo: feedstock.to_string().into(),
                    number: pr.number,
                    title: pr.title_text().to_string().into(),
                    author: pr.author().to_string().into(),
                    head: pr.branch().to_string().into(),
                },
                pr.opened_at(),
                pr.link(),
            );
        }
    }
    let primary = &pulls[p];
    let mut summary = follow_pr(client, feedstock, primary, &mut out).await?;
    for (old, by) in matching::supersessions(&cands) {
        if let Some(pr) = pulls.iter().find(|x| x.number == old) {
            out.see(
                Fact::PrSuperseded {
                    repo: feedstock.to_string().into(),
                    number: old,
                    by_number: by,
                },
                pr.closed_at.unwrap_or(pr.opened_at()),
                pr.link(),
            );
        }
    }
    if let Some(merged) = primary.merged_at {
        // After the merge, conda-forge's copy to the channel can still fail;
        // its warning issue is the only sign of it on GitHub.
        let issues_path =
            format!("{base}/issues?state=all&sort=created&direction=desc&per_page=30");
        let issues = client.get(&issues_path).await?;
        if issues.found {
            for issue in issues.json::<Vec<Issue>>()? {
                let mentions = matching::mentions_version(&issue.title, version)
                    || issue
                        .body
                        .as_deref()
                        .is_some_and(|b| matching::mentions_version(b, version));
                if !issue.is_pull_request()
                    && matching::is_copy_failed_title(&issue.title)
                    && (mentions || issue.created_at >= merged)
                {
                    out.see(
                        Fact::CopyFailed {
                            repo: feedstock.to_string().into(),
                            number: issue.number,
                            title: issue.title.clone().into(),
                        },
                        issue.created_at,
                        issue.link(),
                    );
                    summary = format!(
                        "{summary}; copy to the channel FAILED (issue #{})",
                        issue.number
                    );
                }
            }
        }
        let now = ctx.now.unwrap_or_else(Utc::now);
        out.finished = now >= merged + COPY_WATCH;
        if !out.finished {
            summary = format!("{summary}; watching for copy failures");
        }
    }
    out.summary = summary;
    Ok(out)
}

// ---------------------------------------------------------------------------
// ci

async fn poll_ci(
    client: &GithubClient,
    repo: &str,
    reference: &str,
) -> Result<PollOutcome, GhError> {
    let (state, at, (sha, link)) = ci_state(client, repo, reference).await?;
    let Some(state) = state else {
        return Ok(PollOutcome::new(format!("no CI on {reference} yet")));
    };
    let mut out = PollOutcome::new(format!("CI on {reference} {state}"));
    out.see(
        Fact::Checks {
            repo: repo.to_string().into(),
            reference: reference.to_string().into(),
            sha: sha.into(),
            state,
        },
        at.unwrap_or_else(Utc::now),
        link,
    );
    out.finished = state == CiState::Success;
    Ok(out)
}

// ---------------------------------------------------------------------------
// the incident radar

async fn poll_radar(
    client: &GithubClient,
    repo: &str,
    version: &str,
    ctx: &PollContext,
) -> Result<PollOutcome, GhError> {
    let Some(since) = ctx.radar_since else {
        return Ok(PollOutcome::new("waiting for the release to start"));
    };
    // `since` is fixed for the release (the cache key is the request, never the
    // clock), so an unchanged issue list answers 304 and costs nothing.
    let path = format!(
        "{}/issues?state=all&sort=created&direction=desc&per_page=100&since={}",
        repo_path(repo),
        encode_query(&since.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    );
    let (issues, _, found) = get_list::<Issue>(client, &path).await?;
    if !found {
        return Err(missing_repo(&path, repo));
    }
    let mut out = PollOutcome::new("");
    for i in &issues {
        if matching::is_radar_hit(
            i.is_pull_request(),
            i.created_at,
            since,
            &i.title,
            i.body.as_deref().unwrap_or(""),
            version,
        ) {
            out.see(
                Fact::IssueFiled {
                    repo: repo.to_string().into(),
                    number: i.number,
                    title: i.title.clone().into(),
                    author: i.author().to_string().into(),
                },
                i.created_at,
                i.link(),
            );
        }
    }
    out.summary = match out.observations.len() {
        0 => format!("no new issues mention {version}"),
        1 => format!("1 issue mentions {version}"),
        n => format!("{n} issues mention {version}"),
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded() {
        assert_eq!(repo_path("conda/conda"), "/repos/conda/conda");
        assert_eq!(encode_path("release/26.11.x"), "release/26.11.x");
        assert_eq!(encode_path("a b#c"), "a%20b%23c");
        assert_eq!(
            encode_query("conda:changelog-26.11.0"),
            "conda%3Achangelog-26.11.0"
        );
        assert_eq!(
            encode_query("2026-11-10T13:35:00Z"),
            "2026-11-10T13%3A35%3A00Z"
        );
    }

    #[test]
    fn only_github_kinds_make_github_probes() {
        assert!(
            GithubProbe::new(ProbeSpec::Pypi {
                package: "conda".into(),
                version: "1".into()
            })
            .is_none()
        );
        assert!(
            GithubProbe::new(ProbeSpec::Tag {
                repo: "conda/conda".into(),
                tag: "1".into()
            })
            .is_some()
        );
    }
}
