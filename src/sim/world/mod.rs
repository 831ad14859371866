//! The state of the simulated world and how happenings change it.
//!
//! The world is advanced lazily: before answering a request the server applies
//! every happening whose time has come. No background task means no timer to
//! race with, so a paused tokio clock gives fully deterministic timing.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

mod happen;

use crate::crew::Role;
use crate::sim::channel::ChannelStore;
use crate::sim::pypi::PypiStore;
use crate::sim::scenario::{FaultSpec, GithubLimits, Happening, Scenario, What};
use crate::timeline::CiState;

/// A deterministic 40-hex "git sha" from some parts.
pub(crate) fn fake_sha(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let mut s = hex::encode(h.finalize());
    s.truncate(40);
    s
}

/// A stable numeric id for a login (GitHub user ids are positive integers).
pub(crate) fn user_id(login: &str) -> u64 {
    let digest = Sha256::digest(login.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(b) % 90_000_000 + 1_000
}

/// A git commit.
#[derive(Debug, Clone)]
pub(crate) struct CommitData {
    pub(crate) sha: String,
    pub(crate) message: String,
    pub(crate) author: String,
    pub(crate) date: DateTime<Utc>,
    pub(crate) parents: Vec<String>,
}

/// An annotated tag object.
#[derive(Debug, Clone)]
pub(crate) struct TagObject {
    pub(crate) sha: String,
    pub(crate) message: String,
    pub(crate) tagger: String,
    pub(crate) date: DateTime<Utc>,
}

/// A tag ref.
#[derive(Debug, Clone)]
pub(crate) struct TagData {
    pub(crate) name: String,
    pub(crate) commit_sha: String,
    pub(crate) object: Option<TagObject>,
    pub(crate) pushed_at: DateTime<Utc>,
}

/// A GitHub release.
#[derive(Debug, Clone)]
pub(crate) struct ReleaseData {
    pub(crate) id: u64,
    pub(crate) tag: String,
    pub(crate) name: String,
    pub(crate) body: String,
    pub(crate) draft: bool,
    pub(crate) prerelease: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) published_at: Option<DateTime<Utc>>,
    pub(crate) author: String,
    pub(crate) target: String,
}

/// Open or closed, for issues and pull requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Open,
    Closed,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
        }
    }
}

/// A pull request.
#[derive(Debug, Clone)]
pub(crate) struct PullData {
    pub(crate) id: u64,
    pub(crate) number: u64,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) author: String,
    pub(crate) head_ref: String,
    pub(crate) head_owner: String,
    pub(crate) head_sha: String,
    pub(crate) pushes: u32,
    pub(crate) base_ref: String,
    pub(crate) base_sha: String,
    pub(crate) state: State,
    pub(crate) draft: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) closed_at: Option<DateTime<Utc>>,
    pub(crate) merged_at: Option<DateTime<Utc>>,
    pub(crate) merged_by: Option<String>,
    pub(crate) merge_commit_sha: Option<String>,
}

/// An issue.
#[derive(Debug, Clone)]
pub(crate) struct IssueData {
    pub(crate) id: u64,
    pub(crate) number: u64,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) author: String,
    pub(crate) labels: Vec<String>,
    pub(crate) state: State,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) closed_at: Option<DateTime<Utc>>,
}

/// A comment on an issue or pull request.
#[derive(Debug, Clone)]
pub(crate) struct CommentData {
    pub(crate) id: u64,
    pub(crate) number: u64,
    pub(crate) author: String,
    pub(crate) body: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// A check run on a commit.
#[derive(Debug, Clone)]
pub(crate) struct CheckRunData {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) status: &'static str,
    pub(crate) conclusion: Option<&'static str>,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
}

/// A commit status.
#[derive(Debug, Clone)]
pub(crate) struct StatusData {
    pub(crate) id: u64,
    pub(crate) context: String,
    pub(crate) state: &'static str,
    pub(crate) description: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// A repository and everything in it.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub(crate) id: u64,
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) default_branch: String,
    pub(crate) maintainers: BTreeSet<String>,
    pub(crate) tags: Vec<TagData>,
    pub(crate) commits: HashMap<String, CommitData>,
    pub(crate) branches: BTreeMap<String, String>,
    pub(crate) releases: Vec<ReleaseData>,
    pub(crate) pulls: BTreeMap<u64, PullData>,
    pub(crate) issues: BTreeMap<u64, IssueData>,
    pub(crate) comments: BTreeMap<u64, CommentData>,
    pub(crate) checks: HashMap<String, Vec<CheckRunData>>,
    pub(crate) statuses: HashMap<String, Vec<StatusData>>,
    next_number: u64,
    /// Numbers the scenario's later happenings give their issues and pull
    /// requests: an issue opened through the API never takes one.
    reserved: BTreeSet<u64>,
}

impl Repo {
    pub(crate) fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    fn take_number(&mut self, wanted: Option<u64>) -> u64 {
        let n = wanted.unwrap_or_else(|| {
            let mut n = self.next_number;
            while self.reserved.contains(&n)
                || self.issues.contains_key(&n)
                || self.pulls.contains_key(&n)
            {
                n = n.saturating_add(1);
            }
            n
        });
        self.next_number = self.next_number.max(n.saturating_add(1));
        n
    }

    /// Resolve a ref (sha, tag or branch name) to a commit sha.
    pub(crate) fn resolve(&self, r: &str) -> Option<String> {
        if self.commits.contains_key(r) {
            return Some(r.to_string());
        }
        let r = r
            .strip_prefix("refs/tags/")
            .or_else(|| r.strip_prefix("tags/"))
            .unwrap_or(r);
        if let Some(t) = self.tags.iter().find(|t| t.name == r) {
            return Some(t.commit_sha.clone());
        }
        let r = r
            .strip_prefix("refs/heads/")
            .or_else(|| r.strip_prefix("heads/"))
            .unwrap_or(r);
        if let Some(sha) = self.branches.get(r) {
            return Some(sha.clone());
        }
        // A short sha, as people paste them.
        if r.len() >= 7 && r.chars().all(|c| c.is_ascii_hexdigit()) {
            return self.commits.keys().find(|k| k.starts_with(r)).cloned();
        }
        None
    }
}

/// The fields of an issue a PATCH changes (`None`: left as it is).
#[derive(Debug, Clone, Default)]
pub(crate) struct IssueEdit {
    pub(crate) title: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) state: Option<State>,
}

/// A token's owner.
#[derive(Debug, Clone)]
pub(crate) struct TokenOwner {
    pub(crate) login: String,
}

/// The whole simulated world.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) start: DateTime<Utc>,
    pub(crate) limits: GithubLimits,
    pub(crate) tokens: HashMap<String, TokenOwner>,
    pub(crate) repos: BTreeMap<String, Repo>,
    pub(crate) channels: ChannelStore,
    pub(crate) pypi: PypiStore,
    pub(crate) faults: Vec<FaultSpec>,
    pending: VecDeque<Happening>,
    next_id: u64,
    /// Happenings that could not apply, with why (shown in the request log's neighbourhood).
    pub(crate) notes: Vec<String>,
    /// Bumped whenever a happening applied; lets callers notice change cheaply.
    pub(crate) generation: u64,
    /// Each login's content-creating writes in the last sim hour (the secondary rate limit).
    writes: HashMap<String, VecDeque<DateTime<Utc>>>,
}

impl World {
    /// Build the world from a scenario, before any happening has applied.
    pub(crate) fn new(s: &Scenario) -> World {
        let crew: BTreeSet<String> = s
            .tokens
            .iter()
            .filter(|t| matches!(t.role, Role::Pilot | Role::Copilot))
            .map(|t| t.login.clone())
            .collect();
        let mut repos = BTreeMap::new();
        for (i, r) in s.repos.iter().enumerate() {
            let (owner, name) = r.full_name.split_once('/').unwrap_or((&r.full_name, ""));
            let maintainers = if r.maintainers.is_empty() {
                crew.clone()
            } else {
                r.maintainers.iter().cloned().collect()
            };
            repos.insert(
                r.full_name.to_ascii_lowercase(),
                Repo {
                    id: 100_000 + i as u64,
                    owner: owner.to_string(),
                    name: name.to_string(),
                    default_branch: r.default_branch.clone(),
                    maintainers,
                    tags: Vec::new(),
                    commits: HashMap::new(),
                    branches: BTreeMap::new(),
                    releases: Vec::new(),
                    pulls: BTreeMap::new(),
                    issues: BTreeMap::new(),
                    comments: BTreeMap::new(),
                    checks: HashMap::new(),
                    statuses: HashMap::new(),
                    next_number: 1,
                    reserved: s
                        .happenings
                        .iter()
                        .filter_map(|h| match &h.what {
                            What::Issue {
                                repo,
                                number: Some(n),
                                ..
                            }
                            | What::PrOpen {
                                repo, number: n, ..
                            } if repo.eq_ignore_ascii_case(&r.full_name) => Some(*n),
                            _ => None,
                        })
                        .collect(),
                },
            );
        }
        let mut world = World {
            start: s.start,
            limits: s.limits,
            tokens: s
                .tokens
                .iter()
                .map(|t| {
                    (
                        t.token.clone(),
                        TokenOwner {
                            login: t.login.clone(),
                        },
                    )
                })
                .collect(),
            repos,
            channels: ChannelStore::new(&s.channels, s.start),
            pypi: PypiStore::new(&s.pypi),
            faults: s.faults.clone(),
            pending: s.happenings.iter().cloned().collect(),
            next_id: 1_000_000,
            notes: Vec::new(),
            generation: 0,
            writes: HashMap::new(),
        };
        // Every repository starts with one commit on its default branch.
        for repo in world.repos.values_mut() {
            let sha = fake_sha(&[&repo.full_name(), "initial"]);
            repo.commits.insert(
                sha.clone(),
                CommitData {
                    sha: sha.clone(),
                    message: "Initial commit".into(),
                    author: repo.owner.clone(),
                    date: s.start - TimeDelta::days(365),
                    parents: Vec::new(),
                },
            );
            repo.branches.insert(repo.default_branch.clone(), sha);
        }
        world
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Apply every happening due at or before `now`. Returns how many applied.
    pub(crate) fn advance(&mut self, now: DateTime<Utc>) -> usize {
        let mut n = 0;
        while self.pending.front().is_some_and(|h| h.at <= now) {
            let Some(h) = self.pending.pop_front() else {
                break;
            };
            if let Err(why) = self.apply(&h) {
                self.notes.push(format!("{}: {why}", h.at.to_rfc3339()));
            }
            n += 1;
        }
        if n > 0 {
            self.generation += 1;
        }
        n
    }

    /// When the next happening is due, if any is left.
    pub(crate) fn next_due(&self) -> Option<DateTime<Utc>> {
        self.pending.front().map(|h| h.at)
    }

    /// The repository called `full` (case-insensitive, as on GitHub).
    pub(crate) fn repo(&self, full: &str) -> Option<&Repo> {
        self.repos.get(&full.to_ascii_lowercase())
    }

    /// Mutable access to a repository.
    pub(crate) fn repo_mut(&mut self, full: &str) -> Option<&mut Repo> {
        self.repos.get_mut(&full.to_ascii_lowercase())
    }

    fn new_commit(
        repo: &mut Repo,
        message: &str,
        author: &str,
        at: DateTime<Utc>,
        parent_branch: &str,
        salt: &str,
    ) -> String {
        let parent = repo.branches.get(parent_branch).cloned();
        let sha = fake_sha(&[&repo.full_name(), message, salt, &at.to_rfc3339()]);
        repo.commits.insert(
            sha.clone(),
            CommitData {
                sha: sha.clone(),
                message: message.to_string(),
                author: author.to_string(),
                date: at,
                parents: parent.into_iter().collect(),
            },
        );
        sha
    }

    // -- writes that come in over the API ---------------------------------

    /// Count one content-creating write by `login` at `now`, unless it is over the
    /// secondary rate limit: then `Err(seconds)` until one more would be allowed.
    pub(crate) fn count_write(&mut self, login: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let (per_minute, per_hour) = (self.limits.writes_per_minute, self.limits.writes_per_hour);
        let seen = self.writes.entry(login.to_ascii_lowercase()).or_default();
        while seen
            .front()
            .is_some_and(|t| *t <= now - TimeDelta::hours(1))
        {
            seen.pop_front();
        }
        let minute_ago = now - TimeDelta::minutes(1);
        let in_minute = seen.iter().filter(|t| **t > minute_ago).count();
        // When over a limit, the wait is until the write that fills it leaves its window.
        let wait_until = if in_minute >= per_minute as usize {
            seen.iter()
                .rev()
                .nth((per_minute as usize).saturating_sub(1))
                .map(|t| *t + TimeDelta::minutes(1))
        } else if seen.len() >= per_hour as usize {
            seen.iter()
                .rev()
                .nth((per_hour as usize).saturating_sub(1))
                .map(|t| *t + TimeDelta::hours(1))
        } else {
            None
        };
        match wait_until {
            Some(at) => Err(u64::try_from((at - now).num_seconds()).unwrap_or(0).max(1)),
            None => {
                seen.push_back(now);
                Ok(())
            }
        }
    }

    /// Edit an issue (PATCH /repos/{o}/{r}/issues/{n}); `None` when there is no such issue.
    pub(crate) fn edit_issue(
        &mut self,
        repo: &str,
        number: u64,
        edit: IssueEdit,
        at: DateTime<Utc>,
    ) -> Option<()> {
        let i = self.repo_mut(repo)?.issues.get_mut(&number)?;
        if let Some(t) = edit.title {
            i.title = t;
        }
        if let Some(b) = edit.body {
            i.body = b;
        }
        if let Some(st) = edit.state {
            if st == State::Closed && i.state == State::Open {
                i.closed_at = Some(at);
            }
            if st == State::Open {
                i.closed_at = None;
            }
            i.state = st;
        }
        i.updated_at = at;
        self.generation += 1;
        Some(())
    }

    /// Open an issue (POST /repos/{o}/{r}/issues).
    pub(crate) fn create_issue(
        &mut self,
        repo: &str,
        title: &str,
        body: &str,
        author: &str,
        labels: Vec<String>,
        at: DateTime<Utc>,
    ) -> Option<u64> {
        let id = self.id();
        let r = self.repo_mut(repo)?;
        let number = r.take_number(None);
        r.issues.insert(
            number,
            IssueData {
                id,
                number,
                title: title.to_string(),
                body: body.to_string(),
                author: author.to_string(),
                labels,
                state: State::Open,
                created_at: at,
                updated_at: at,
                closed_at: None,
            },
        );
        self.generation += 1;
        Some(number)
    }

    /// Post a comment (POST /repos/{o}/{r}/issues/{n}/comments).
    pub(crate) fn create_comment(
        &mut self,
        repo: &str,
        number: u64,
        author: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Option<u64> {
        let id = self.id();
        let r = self.repo_mut(repo)?;
        if !r.issues.contains_key(&number) && !r.pulls.contains_key(&number) {
            return None;
        }
        r.comments.insert(
            id,
            CommentData {
                id,
                number,
                author: author.to_string(),
                body: body.to_string(),
                created_at: at,
                updated_at: at,
            },
        );
        if let Some(i) = r.issues.get_mut(&number) {
            i.updated_at = at;
        }
        self.generation += 1;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::{BUILTIN_NAMES, builtin};

    #[test]
    fn every_happening_of_the_shipped_scenarios_applies() {
        for name in BUILTIN_NAMES {
            let text = builtin(name).expect("listed builtin exists");
            let s = Scenario::from_str(name, text).expect("builtin parses");
            let mut w = World::new(&s);
            let applied = w.advance(s.start + TimeDelta::days(30));
            assert_eq!(applied, s.happenings.len(), "{name}");
            assert!(w.notes.is_empty(), "{name}: {:?}", w.notes);
            assert!(w.next_due().is_none());
        }
    }

    #[test]
    fn bot_pr_ci_push_and_merge_change_the_pull_request() {
        let text = builtin("conda-release").expect("shipped");
        let s = Scenario::from_str("conda-release", text).expect("parses");
        let mut w = World::new(&s);
        w.advance(s.start + TimeDelta::minutes(66));
        let repo = w.repo("conda-forge/conda-feedstock").expect("repo");
        let pr = repo.pulls.get(&250).expect("bot PR");
        let failed_sha = pr.head_sha.clone();
        let runs = repo.checks.get(&failed_sha).expect("CI ran");
        assert_eq!(runs[0].conclusion, Some("failure"));
        w.advance(s.start + TimeDelta::minutes(111));
        let repo = w.repo("conda-forge/conda-feedstock").expect("repo");
        let pr = repo.pulls.get(&250).expect("bot PR");
        assert_ne!(pr.head_sha, failed_sha, "a re-push moves the head");
        assert_eq!(pr.state, State::Closed);
        assert!(pr.merged_at.is_some());
        assert!(
            repo.checks
                .get(&pr.head_sha)
                .is_some_and(|r| r.iter().all(|c| c.conclusion == Some("success")))
        );
    }
}
