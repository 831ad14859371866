//! `--share OWNER/REPO`: the crew's protocol on the release's GitHub tracking
//! issue (format in [`super::issue_format`] and `docs/crew-format.md`).
//!
//! - The issue's **body** is the checklist as a task list for people, kept
//!   current by the pilot (at most about once a minute, only when it changed),
//!   with the manifest and the checklist as it was at start at its foot.
//! - Each member owns **their own comments** and writes only their own events
//!   there. A reader accepts an event only from a comment GitHub says its
//!   author wrote; the fold then judges it by the roster.
//! - **Reads are conditional** (an unchanged thread costs no quota). **Writes
//!   are serial, and never retried blindly**: every exchange re-reads the
//!   thread before it writes, so a write that timed out but happened is seen
//!   and not made twice. A secondary limit (`retry-after`) holds writes back.
//! - The jump seat reads and never writes.

use super::issue_format::{
    self, IssueData, OVERHEAD, Shard, ShardHeader, parse_comment, render_comment, split,
};
use super::share::Report;
use super::share_dir::{FORMAT, FORMAT_VERSION, Manifest, sha256};
use crate::error::user;
use crate::github::{GhError, GithubClient, RepoRef};
use crate::timeline::fsutil::write_atomic;
use crate::timeline::roster::same_login;
use crate::timeline::{Event, EventId, Release, Role};
use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// The issue's body is rewritten at most this often.
const BODY_EVERY: Duration = Duration::from_secs(60);

/// A tracking issue: `OWNER/REPO#N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssueRef {
    pub(crate) repo: RepoRef,
    pub(crate) number: u64,
}

impl IssueRef {
    /// `OWNER/REPO#N`, or an issue's URL (`https://github.com/OWNER/REPO/issues/N`).
    pub(crate) fn parse(text: &str) -> Option<IssueRef> {
        let text = text.trim();
        let (repo, number) = if let Some((repo, n)) = text.split_once('#') {
            (repo.to_string(), n.to_string())
        } else {
            let url = url::Url::parse(text).ok()?;
            if !matches!(url.scheme(), "https" | "http") || url.query().is_some() {
                return None;
            }
            let parts: Vec<&str> = url.path_segments()?.filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                [owner, name, "issues" | "pull", n] => (format!("{owner}/{name}"), n.to_string()),
                _ => return None,
            }
        };
        let number = number.parse::<u64>().ok().filter(|n| *n > 0)?;
        Some(IssueRef {
            repo: RepoRef::parse(&repo)?,
            number,
        })
    }

    /// The page people open.
    pub(crate) fn web_url(&self) -> String {
        format!(
            "https://github.com/{}/{}/issues/{}",
            self.repo.owner(),
            self.repo.name(),
            self.number
        )
    }
}

impl std::fmt::Display for IssueRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.repo, self.number)
    }
}

/// The release's tracking issue, through one GitHub client.
#[derive(Debug, Clone)]
pub(crate) struct IssueShare {
    pub(crate) issue: IssueRef,
    pub(crate) client: Arc<GithubClient>,
}

/// Before a release is shared: a token, a repository it can see, and the
/// access to keep an issue there. Returns the token's login.
pub(crate) async fn preflight(client: &GithubClient, repo: &RepoRef) -> Result<String> {
    if !client.authenticated() {
        return Err(user(format!(
            "sharing through {repo} needs a GitHub token that may open issues there\n  run `flightdeck auth login`, or set GH_TOKEN"
        )));
    }
    let login = client.user().await.map_err(|e| github_error(&e))?.login;
    let permissions = client
        .permissions(repo)
        .await
        .map_err(|e| github_error(&e))?
        .ok_or_else(|| {
            user(format!(
                "repository {repo} does not exist, or @{login}'s token cannot see it\n  check the name, or share through a repository your token can reach"
            ))
        })?;
    if !permissions.triage_or_more() {
        return Err(user(format!(
            "@{login} has read-only access to {repo}: keeping its tracking issue needs the Issues write permission (triage access or more)\n  ask a maintainer of {repo} for triage access, give the token `Issues: read and write`, or share through another repository"
        )));
    }
    Ok(login)
}

impl IssueShare {
    /// Opens the tracking issue for a new release.
    pub(crate) async fn open(
        client: Arc<GithubClient>,
        repo: &RepoRef,
        release: &Release,
        checklist_text: &str,
    ) -> Result<IssueShare> {
        let data = issue_data(release, checklist_text);
        let state = release.state()?;
        let human = crate::export::tracking::body(&release.plan, &state, Utc::now());
        let body = issue_format::render_body(&human, &data);
        if body.chars().count() > issue_format::GITHUB_LIMIT {
            return Err(user(format!(
                "the checklist is too long to travel in the tracking issue ({} characters with the task list; GitHub allows {})\n  shorten the checklist, or share through a directory: --share dir:PATH",
                body.chars().count(),
                issue_format::GITHUB_LIMIT
            )));
        }
        let title = crate::export::tracking::title(&release.plan);
        let issue = client
            .create_issue(repo, &title, &body)
            .await
            .map_err(|e| github_error(&e))?;
        let share = IssueShare {
            issue: IssueRef {
                repo: repo.clone(),
                number: issue.number,
            },
            client,
        };
        let mut seen = Seen::load(release);
        seen.body_sha256 = Some(sha256(strip_clock(&human)));
        seen.body_written_at = Some(Utc::now());
        seen.save(release);
        Ok(share)
    }

    /// The issue's manifest and checklist, checked: for `join`.
    pub(crate) async fn read(&self) -> Result<IssueData> {
        let issue = self
            .client
            .issue(&self.issue.repo, self.issue.number)
            .await
            .map_err(|e| github_error(&e))?
            .ok_or_else(|| {
                user(format!(
                    "{} ({}) does not exist, was deleted, or this token cannot see it\n  check the number; a private repository needs a token (`flightdeck auth login`)",
                    self.issue,
                    self.issue.web_url()
                ))
            })?;
        let body = issue.body.unwrap_or_default();
        let data = issue_format::parse_body(&body)
            .map_err(|e| user(format!("{} ({}): {e}", self.issue, issue.html_url)))?;
        // GitHub vouches for who opened the issue: it must be who started the release.
        if !same_login(&issue.user.login, &data.manifest.created_by) {
            return Err(user(format!(
                "{} ({}) was opened by @{}, but its data says @{} started the release: not trusted\n  join the issue the release's pilot opened",
                self.issue, issue.html_url, issue.user.login, data.manifest.created_by
            )));
        }
        Ok(data)
    }

    /// One exchange: the others' events come down into the local log, mine go
    /// up, and the pilot keeps the body current. Never fails: what went wrong
    /// is in the report, and the local log stays the truth.
    pub(crate) async fn exchange(&self, release: &Release, me: &str, seat: Role) -> Report {
        let mut report = Report::default();
        let mut seen = Seen::load(release);
        let list = match self
            .client
            .list_comments(&self.issue.repo, self.issue.number)
            .await
        {
            Ok(l) => l,
            Err(e) => {
                report.error = Some(github_error(&e).to_string());
                if seat != Role::JumpSeat {
                    report.to_push = pending_local(release, me, &seen);
                }
                return report;
            }
        };
        let read = read_thread(&list.comments, release, me);
        report.refused = read.refused;
        report.last_seen = read.last_seen.clone().into_iter().collect();
        seen.note_changes(&read.present);
        report.warnings = seen.warnings.clone();
        // Pull: the others' events join the local log (the fold judges them).
        let local = {
            let release = release.clone();
            let me = me.to_string();
            let theirs = read.theirs;
            tokio::task::spawn_blocking(move || import(&release, &me, theirs)).await
        };
        let mine_local = match local {
            Ok(Ok((pulled, reused, mine))) => {
                report.pulled = pulled;
                report.refused.extend(reused);
                mine
            }
            Ok(Err(e)) => {
                report.error = Some(format!("{e}"));
                seen.save(release);
                return report;
            }
            Err(e) => {
                report.error = Some(format!("the local log could not be read: {e}"));
                seen.save(release);
                return report;
            }
        };
        if seat != Role::JumpSeat {
            let pushed: BTreeSet<&EventId> = read
                .mine
                .iter()
                .flat_map(|s| s.shard.events.iter().map(|e| &e.id))
                .collect();
            let pending: Vec<Event> = mine_local
                .iter()
                .filter(|e| !pushed.contains(&e.id))
                .cloned()
                .collect();
            seen.pushed = mine_local.len() - pending.len();
            if !pending.is_empty() && seen.held() {
                report.to_push = pending.len();
                report.error = Some(format!(
                    "GitHub asked to slow down: writes wait until {}",
                    seen.held_until
                        .map(|t| t.format("%H:%M:%S UTC").to_string())
                        .unwrap_or_default()
                ));
            } else if !pending.is_empty() {
                let (n, result) = self
                    .push(release, me, seat, &read.mine, pending.clone())
                    .await;
                report.pushed = n;
                seen.pushed += n;
                if let Err(e) = result {
                    report.to_push = pending.len() - n;
                    seen.hold_after(&e);
                    report.error = Some(github_error(&e).to_string());
                }
            }
            if seat == Role::Pilot
                && !seen.held()
                && let Err(e) = self.keep_body(release, &mut seen).await
            {
                report.warnings.push(e);
            }
        }
        seen.save(release);
        report
    }

    /// Writes `pending` (my events not on the issue yet): the tail that fits
    /// into my last comment, then new comments. Stops at the first failure.
    async fn push(
        &self,
        release: &Release,
        me: &str,
        seat: Role,
        mine: &[MyShard],
        pending: Vec<Event>,
    ) -> (usize, Result<(), GhError>) {
        let last = mine.iter().max_by_key(|s| (s.shard.header.shard, s.id));
        // A comment with lines this build cannot read is left as it is.
        let room = last.filter(|l| !l.unreadable).map(|l| l.len);
        let (tail, fresh) = split(room, pending);
        let mut written = 0;
        let header = |shard: u32| ShardHeader {
            format: issue_format::EVENTS_FORMAT.into(),
            format_version: FORMAT_VERSION,
            release: release.meta.id.clone(),
            author: me.to_string(),
            shard,
        };
        let mut next = 1;
        if let Some(last) = last {
            next = last.shard.header.shard + 1;
            if !tail.is_empty() {
                let mut events = last.shard.events.clone();
                events.extend(tail.iter().cloned());
                let head = header(last.shard.header.shard);
                let body = render_comment(&head, &events, &summary(release, me, seat, &events));
                if let Err(e) = self
                    .client
                    .edit_comment(&self.issue.repo, last.id.into(), &body)
                    .await
                {
                    return (written, Err(e));
                }
                written += tail.len();
            }
        }
        for events in fresh {
            let head = header(next);
            let body = render_comment(&head, &events, &summary(release, me, seat, &events));
            if let Err(e) = self
                .client
                .create_comment(&self.issue.repo, self.issue.number, &body)
                .await
            {
                return (written, Err(e));
            }
            written += events.len();
            next += 1;
        }
        (written, Ok(()))
    }

    /// The pilot's part: the body follows the fold, at most once a minute.
    async fn keep_body(&self, release: &Release, seen: &mut Seen) -> Result<(), String> {
        if seen.body_written_at.is_some_and(|t| {
            Utc::now() - t < chrono::Duration::from_std(BODY_EVERY).unwrap_or_default()
        }) {
            return Ok(());
        }
        let text = std::fs::read_to_string(release.dir.join("checklist.toml"))
            .map_err(|e| format!("reading the release's checklist: {e}"))?;
        let state = release.state().map_err(|e| format!("{e}"))?;
        let now = state.closed.as_ref().map_or_else(Utc::now, |(_, c)| c.at);
        let human = crate::export::tracking::body(&release.plan, &state, now);
        // The body's clock line changes every minute: compare without it.
        let digest = sha256(strip_clock(&human));
        if seen.body_sha256.as_deref() == Some(digest.as_str()) {
            return Ok(());
        }
        let body = issue_format::render_body(&human, &issue_data(release, &text));
        match self
            .client
            .edit_issue_body(&self.issue.repo, self.issue.number, &body)
            .await
        {
            Ok(_) => {
                seen.body_sha256 = Some(digest);
                seen.body_written_at = Some(Utc::now());
                Ok(())
            }
            Err(e) => {
                // Not again before the next minute either, nor before a limit's retry-after.
                seen.body_written_at = Some(Utc::now());
                seen.hold_after(&e);
                Err(format!(
                    "the tracking issue's task list is not current: {}",
                    github_error(&e)
                ))
            }
        }
    }
}

fn strip_clock(body: &str) -> &str {
    body.rsplit_once("\n<sub>").map_or(body, |(head, _)| head)
}

/// What the body carries for `join`.
fn issue_data(release: &Release, checklist_text: &str) -> IssueData {
    IssueData {
        manifest: Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            release: release.meta.id.clone(),
            version: release.meta.version.clone(),
            checklist_file: release.meta.checklist_source.clone(),
            checklist_sha256: sha256(checklist_text),
            created_by: release.meta.created_by.clone(),
            created_at: release.meta.created_at,
        },
        checklist: checklist_text.to_string(),
    }
}

/// The summary on top of a comment: who, how many, the last few events.
fn summary(release: &Release, me: &str, seat: Role, events: &[Event]) -> String {
    let mut out = format!(
        "**flightdeck** · @{me} ({}) · {} event{}",
        seat.badge().to_lowercase(),
        events.len(),
        if events.len() == 1 { "" } else { "s" }
    );
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        out.push_str(&format!(
            ", {} – {} UTC",
            first.at.format("%Y-%m-%d %H:%M"),
            last.at.format("%H:%M")
        ));
    }
    out.push('\n');
    let shown = events.len().saturating_sub(5);
    for e in &events[shown..] {
        let line = crate::export::describe(e, &release.plan);
        // No pings, no markup, one short line.
        let line: String = crate::export::tracking::one_line(&line)
            .replace('@', "@\u{200b}")
            .chars()
            .take(200)
            .collect();
        out.push_str(&format!("\n- {} {line}", e.at.format("%H:%M")));
    }
    let cut: String = out.chars().take(OVERHEAD - 500).collect();
    cut
}

/// One of my comments, as read.
#[derive(Debug)]
struct MyShard {
    id: u64,
    shard: Shard,
    /// It holds lines this build cannot read (a newer build's): never rewritten.
    unreadable: bool,
    /// The comment's length in characters now.
    len: usize,
}

/// The thread, read and vouched for.
#[derive(Debug, Default)]
struct Thread {
    theirs: Vec<Event>,
    mine: Vec<MyShard>,
    refused: Vec<String>,
    /// Per comment id: who wrote it, where, and the events it carries now.
    present: BTreeMap<u64, SeenComment>,
    /// Per member: when their comments last changed, as GitHub reports it.
    last_seen: BTreeMap<String, DateTime<Utc>>,
}

/// Reads every flightdeck comment; keeps only events GitHub vouches for.
fn read_thread(
    comments: &[octocrab::models::issues::Comment],
    release: &Release,
    me: &str,
) -> Thread {
    let mut t = Thread::default();
    for c in comments {
        let login = c.user.login.as_str();
        let url = c.html_url.to_string();
        let Some(parsed) = parse_comment(c.body.as_deref().unwrap_or_default()) else {
            continue;
        };
        let mut shard = match parsed {
            Ok(s) => s,
            Err(why) => {
                t.refused.push(format!("{url} (@{login}): {why}"));
                continue;
            }
        };
        let unreadable = !shard.refused.is_empty();
        for r in shard.refused.drain(..) {
            t.refused.push(format!("{url} (@{login}): {r}"));
        }
        if !same_login(&shard.header.author, login) {
            t.refused.push(format!(
                "{url}: @{login}'s comment says it carries @{}'s events: ignored",
                shard.header.author
            ));
            continue;
        }
        if shard.header.release != release.meta.id {
            t.refused.push(format!(
                "{url} (@{login}): events of release {}, not {}: ignored",
                shard.header.release, release.meta.id
            ));
            continue;
        }
        let (vouched, forged): (Vec<Event>, Vec<Event>) = std::mem::take(&mut shard.events)
            .into_iter()
            .partition(|e| same_login(&e.author, login));
        for e in forged {
            t.refused.push(format!(
                "{url}: an event by @{} in @{login}'s comment: ignored",
                e.author
            ));
        }
        let when = c.updated_at.unwrap_or(c.created_at);
        let entry = t
            .last_seen
            .entry(login.to_ascii_lowercase())
            .or_insert(when);
        *entry = (*entry).max(when);
        t.present.insert(
            *c.id,
            SeenComment {
                author: login.to_string(),
                url: url.clone(),
                ids: vouched.iter().map(|e| e.id.clone()).collect(),
            },
        );
        if same_login(login, me) {
            shard.events = vouched;
            t.mine.push(MyShard {
                id: *c.id,
                shard,
                unreadable,
                len: c.body.as_deref().unwrap_or_default().chars().count(),
            });
        } else {
            t.theirs.extend(vouched);
        }
    }
    t
}

/// Appends the others' events to the local log; returns how many were new,
/// the refusals (a different event reusing an id) and my own events.
fn import(
    release: &Release,
    me: &str,
    theirs: Vec<Event>,
) -> Result<(usize, Vec<String>, Vec<Event>)> {
    let mut log = release.open_log(me, Role::JumpSeat, crate::timeline::Clock::System)?;
    let (appended, reused) = if theirs.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        log.import(theirs)?
    };
    let refused = reused.iter().map(super::share::reused_id).collect();
    let mine = log
        .events()
        .iter()
        .filter(|e| same_login(&e.author, me))
        .map(|e| (**e).clone())
        .collect();
    Ok((appended.len(), refused, mine))
}

/// My events not pushed yet, as far as the last exchange knew (offline).
fn pending_local(release: &Release, me: &str, seen: &Seen) -> usize {
    release
        .read_events()
        .map(|events| {
            events
                .iter()
                .filter(|e| same_login(&e.author, me))
                .count()
                .saturating_sub(seen.pushed)
        })
        .unwrap_or(0)
}

/// A GitHub error in a person's words (the client's are already token-free).
fn github_error(e: &GhError) -> color_eyre::Report {
    let hint = match e {
        GhError::Unauthorized { .. } => "\n  check the token: `flightdeck auth status`",
        GhError::Http { status: 403, .. } => {
            "\n  the token lacks a permission here: it needs `Issues: read and write` on the repository"
        }
        GhError::Http { status: 404, .. } => {
            "\n  the repository or issue does not exist, or this token cannot see it"
        }
        GhError::Http { status: 422, .. } => {
            "\n  GitHub refused the text (too long?): report this with `flightdeck sync --once -v`"
        }
        GhError::SecondaryLimit { .. } | GhError::QuotaExhausted { .. } => {
            "\n  flightdeck waits and writes again later; your events are safe in the local log"
        }
        GhError::Transport { .. } | GhError::Server { .. } | GhError::BadBody { .. } => {
            "\n  your events are safe in the local log and go up when GitHub answers"
        }
        _ => "",
    };
    user(format!("{e}{hint}"))
}

/// What this machine remembers of the thread (`share-github.json`, derived
/// data beside the log): which comment carried which events, to warn when
/// one is edited or deleted; when the body was last written; write holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Seen {
    #[serde(default)]
    comments: BTreeMap<u64, SeenComment>,
    /// Accepted events whose comment was edited or deleted since: kept, and said.
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    body_sha256: Option<String>,
    #[serde(default)]
    body_written_at: Option<DateTime<Utc>>,
    /// A secondary limit's `retry-after`: no write before this.
    #[serde(default)]
    held_until: Option<DateTime<Utc>>,
    /// How many of my events were on the issue at the last exchange.
    #[serde(default)]
    pushed: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SeenComment {
    author: String,
    url: String,
    ids: BTreeSet<EventId>,
}

impl Seen {
    fn path(release: &Release) -> std::path::PathBuf {
        release.dir.join("share-github.json")
    }

    /// Derived data: unreadable means start afresh (the log is the truth).
    fn load(release: &Release) -> Seen {
        std::fs::read(Self::path(release))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Whether a secondary limit still holds writes back.
    fn held(&self) -> bool {
        self.held_until.is_some_and(|t| Utc::now() < t)
    }

    /// After a secondary limit: no write before its `retry-after` (a minute when it gives none).
    fn hold_after(&mut self, e: &GhError) {
        if let GhError::SecondaryLimit { retry_after, .. } = e {
            let wait = retry_after.unwrap_or(Duration::from_secs(60));
            self.held_until = chrono::Duration::from_std(wait)
                .ok()
                .map(|d| Utc::now() + d);
        }
    }

    fn save(&self, release: &Release) {
        if let Ok(bytes) = serde_json::to_vec_pretty(self) {
            // A lost write costs a warning said twice or one body edit more.
            let _ = write_atomic(&Self::path(release), &bytes);
        }
    }

    /// Compares the thread with the last read: a comment gone or an event
    /// gone from one is warned about (the events stay in the local log).
    fn note_changes(&mut self, present: &BTreeMap<u64, SeenComment>) {
        for (id, old) in &self.comments {
            let warning = match present.get(id) {
                None if !old.ids.is_empty() => Some(format!(
                    "@{}'s comment {} was deleted; its {} event{} are kept here",
                    old.author,
                    old.url,
                    old.ids.len(),
                    if old.ids.len() == 1 { "" } else { "s" }
                )),
                Some(now) => {
                    let lost = old.ids.difference(&now.ids).count();
                    (lost > 0).then(|| {
                        format!(
                            "@{}'s comment {} was edited: {lost} event{} no longer there are kept here",
                            old.author,
                            old.url,
                            if lost == 1 { "" } else { "s" }
                        )
                    })
                }
                None => None,
            };
            if let Some(w) = warning
                && !self.warnings.contains(&w)
            {
                self.warnings.push(w);
            }
        }
        self.comments = present.clone();
    }
}

#[cfg(test)]
#[path = "share_github_tests.rs"]
mod tests;
