//! Where a release is shared, and one exchange with the rest of the crew.
//!
//! The local release remembers its share in `share.toml` next to
//! `release.toml`. An exchange pulls the others' events into the local log
//! (the fold judges them by the roster) and pushes mine; the local log stays
//! the truth, so a crash between an append and a push loses nothing: the next
//! exchange pushes what is missing, and never anything twice (a member's file
//! is rewritten whole, by event id).

use super::share_dir::DirShare;
use super::share_github::{IssueRef, IssueShare};
use crate::error::user;
use crate::github::RepoRef;
use crate::timeline::fsutil::write_atomic;
use crate::timeline::{Clock, Release, Role};
use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where a release is shared, as a person names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `dir:PATH`: the folder of the shared directory (for `start`, the base
    /// directory; the release's folder is made inside it).
    Dir(PathBuf),
    /// `OWNER/REPO`: where `start` opens the tracking issue.
    Repo(RepoRef),
    /// `OWNER/REPO#N` or the issue's URL: a tracking issue to join.
    Issue(IssueRef),
}

impl Target {
    pub(crate) fn parse(text: &str) -> Result<Target> {
        if let Some(path) = text.strip_prefix("dir:") {
            if path.trim().is_empty() {
                return Err(user("--share dir:PATH needs a path"));
            }
            return Ok(Target::Dir(PathBuf::from(path)));
        }
        if let Some(issue) = IssueRef::parse(text) {
            return Ok(Target::Issue(issue));
        }
        if let Some(repo) = RepoRef::parse(text) {
            return Ok(Target::Repo(repo));
        }
        Err(user(format!(
            "`{text}`: give OWNER/REPO (where the tracking issue is opened), OWNER/REPO#N or the issue's URL (a tracking issue), or dir:PATH (a shared directory)"
        )))
    }
}

/// A release's share, ready to exchange.
#[derive(Debug, Clone)]
pub(crate) enum Share {
    Dir(DirShare),
    Github(IssueShare),
}

impl Share {
    /// Where, for people: the folder, or the issue's page.
    pub(crate) fn place(&self) -> String {
        match self {
            Share::Dir(d) => format!("dir:{}", d.root.display()),
            Share::Github(g) => g.issue.web_url(),
        }
    }

    /// Whether a read costs quota even when nothing changed (a tokenless
    /// GitHub client: GitHub counts its 304s against 60 requests an hour).
    /// `configured`: the config's `sync_interval`, if any.
    pub(crate) fn interval(&self, configured: Option<u64>) -> std::time::Duration {
        let chosen = configured.map_or(INTERVAL, std::time::Duration::from_secs);
        match self {
            Share::Github(g) if !g.client.authenticated() => chosen.max(ANONYMOUS_INTERVAL),
            _ => chosen,
        }
    }
}

/// How often `sync` (without --once) and the cockpit exchange.
pub(crate) const INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);
/// Without a token every read counts against 60 an hour: 40 an hour at most.
pub(crate) const ANONYMOUS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(90);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareFile {
    /// `dir:/abs/path/<release-id>` or `github:OWNER/REPO#N`.
    target: String,
    /// The GitHub API the issue lives on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api: Option<String>,
}

fn share_path(release: &Release) -> PathBuf {
    release.dir.join("share.toml")
}

/// Remembers that the release is shared through `share` (`api`: the GitHub API of an issue).
pub(crate) fn remember(release: &Release, share: &Share, api: Option<&str>) -> Result<()> {
    let target = match share {
        Share::Dir(d) => {
            let root = std::path::absolute(&d.root).unwrap_or_else(|_| d.root.clone());
            format!("dir:{}", root.display())
        }
        Share::Github(g) => format!("github:{}", g.issue),
    };
    let text = toml::to_string(&ShareFile {
        target,
        api: api.map(str::to_string),
    })
    .wrap_err("encoding share.toml")?;
    write_atomic(&share_path(release), text.as_bytes())
        .wrap_err_with(|| format!("writing {}", share_path(release).display()))
}

/// The release's share, if it has one, connected through `config`'s GitHub.
pub(crate) fn load(release: &Release, config: &crate::config::Config) -> Result<Option<Share>> {
    let path = share_path(release);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).wrap_err_with(|| format!("reading {}", path.display())),
    };
    let file: ShareFile =
        toml::from_str(&text).map_err(|e| user(format!("{}: {}", path.display(), e.message())))?;
    if let Some(issue) = file.target.strip_prefix("github:") {
        let issue = IssueRef::parse(issue).ok_or_else(|| {
            user(format!(
                "{}: `{}` is not OWNER/REPO#N\n  join the release again: `flightdeck join OWNER/REPO#N`",
                path.display(),
                file.target
            ))
        })?;
        let api = config.github_api();
        if let Some(theirs) = &file.api
            && theirs.trim_end_matches('/') != api.trim_end_matches('/')
        {
            return Err(user(format!(
                "release {} is shared on {theirs}, but this command talks to {api}\n  give --github-api {theirs} (or set it in the config)",
                release.meta.id
            )));
        }
        let client = crate::github::client_for(config).map_err(|e| user(e.to_string()))?;
        return Ok(Some(Share::Github(IssueShare { issue, client })));
    }
    match Target::parse(&file.target)? {
        Target::Dir(root) => Ok(Some(Share::Dir(DirShare { root }))),
        _ => Err(user(format!(
            "{}: `{}` is not a share this build reads",
            path.display(),
            file.target
        ))),
    }
}

/// What one exchange did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub pulled: usize,
    pub pushed: usize,
    /// My events not in the share yet ("⇡ N to push").
    pub(crate) to_push: usize,
    /// Lines and events set aside, each with where and why.
    pub(crate) refused: Vec<String>,
    /// Why the exchange did not complete (the share unreachable).
    pub error: Option<String>,
    /// Accepted events whose comment was since edited or deleted (kept).
    pub(crate) warnings: Vec<String>,
    /// Per member (lower-case login): when their events last changed on the share.
    pub(crate) last_seen: Vec<(String, DateTime<Utc>)>,
}

impl Report {
    pub(crate) fn line(&self) -> String {
        let mut s = format!("⇣ {} pulled · ⇡ {} pushed", self.pulled, self.pushed);
        if self.to_push > 0 {
            s.push_str(&format!(" · ⇡ {} to push", self.to_push));
        }
        if !self.refused.is_empty() {
            s.push_str(&format!(" · {} refused", self.refused.len()));
        }
        if !self.warnings.is_empty() {
            s.push_str(&format!(" · {} warning(s)", self.warnings.len()));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(" · {e}"));
        }
        s
    }
}

/// One exchange: the others' events come down into the local log, mine go up.
/// The jump seat writes nothing to the share.
pub(crate) async fn exchange(
    release: &Release,
    share: &Share,
    me: &str,
    seat: Role,
) -> Result<Report> {
    match share {
        Share::Github(g) => Ok(g.exchange(release, me, seat).await),
        Share::Dir(d) => {
            let (release, d, me) = (release.clone(), d.clone(), me.to_string());
            tokio::task::spawn_blocking(move || exchange_dir(&release, &d, &me, seat))
                .await
                .map_err(|e| color_eyre::eyre::eyre!("the exchange stopped: {e}"))?
        }
    }
}

/// The refusal of a pulled event whose id is already here with other content.
pub(crate) fn reused_id(e: &crate::timeline::Event) -> String {
    format!(
        "@{}'s event {} reuses the id of a different event here: refused",
        e.author, e.id
    )
}

fn exchange_dir(release: &Release, share: &DirShare, me: &str, seat: Role) -> Result<Report> {
    let mut report = Report::default();
    let mut log = release.open_log(me, seat, Clock::System)?;
    match share.pull(me) {
        Ok(pulled) => {
            report.refused = pulled.refused;
            let (appended, reused) = log.import(pulled.events)?;
            report.pulled = appended.len();
            report.refused.extend(reused.iter().map(reused_id));
        }
        Err(e) => report.error = Some(format!("{e}")),
    }
    if seat != Role::JumpSeat {
        match share.push(me, log.events()) {
            Ok(n) => report.pushed = n,
            Err(e) => {
                report.to_push = share.pending(me, log.events());
                report.error = Some(format!("{e}"));
            }
        }
    }
    Ok(report)
}
