//! Where a release is shared, and one exchange with the rest of the crew.
//!
//! The local release remembers its share in `share.toml` next to
//! `release.toml`. An exchange pulls the others' events into the local log
//! (the fold judges them by the roster) and pushes mine; the local log stays
//! the truth, so a crash between an append and a push loses nothing: the next
//! exchange pushes what is missing, and never anything twice (a member's file
//! is rewritten whole, by event id).

use super::share_dir::DirShare;
use crate::error::user;
use crate::timeline::fsutil::write_atomic;
use crate::timeline::{Clock, Release, Role};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where a release is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `dir:PATH`: the folder of the shared directory (for `start`, the base
    /// directory; the release's folder is made inside it).
    Dir(PathBuf),
    /// `OWNER/REPO`, a GitHub tracking issue.
    Github(String),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        if let Some(path) = text.strip_prefix("dir:") {
            if path.trim().is_empty() {
                return Err(user("--share dir:PATH needs a path"));
            }
            return Ok(Target::Dir(PathBuf::from(path)));
        }
        if crate::github::RepoRef::parse(text).is_some() {
            return Ok(Target::Github(text.to_string()));
        }
        Err(user(format!(
            "--share `{text}`: give OWNER/REPO (a GitHub tracking issue) or dir:PATH (a shared directory)"
        )))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareFile {
    /// `dir:/abs/path/<release-id>`.
    target: String,
}

fn share_path(release: &Release) -> PathBuf {
    release.dir.join("share.toml")
}

/// Remembers that the release is shared through `share`.
pub fn remember(release: &Release, share: &DirShare) -> Result<()> {
    let root = std::path::absolute(&share.root).unwrap_or_else(|_| share.root.clone());
    let text = toml::to_string(&ShareFile {
        target: format!("dir:{}", root.display()),
    })
    .wrap_err("encoding share.toml")?;
    write_atomic(&share_path(release), text.as_bytes())
        .wrap_err_with(|| format!("writing {}", share_path(release).display()))
}

/// The release's share, if it has one.
pub fn load(release: &Release) -> Result<Option<DirShare>> {
    let path = share_path(release);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).wrap_err_with(|| format!("reading {}", path.display())),
    };
    let file: ShareFile =
        toml::from_str(&text).map_err(|e| user(format!("{}: {}", path.display(), e.message())))?;
    match Target::parse(&file.target)? {
        Target::Dir(root) => Ok(Some(DirShare { root })),
        Target::Github(_) => Ok(None),
    }
}

/// What one exchange did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub pulled: usize,
    pub pushed: usize,
    /// My events not in the share yet ("⇡ N to push").
    pub to_push: usize,
    /// Lines and events set aside, each with where and why.
    pub refused: Vec<String>,
    /// Why the exchange did not complete (the share unreachable).
    pub error: Option<String>,
}

impl Report {
    pub fn line(&self) -> String {
        let mut s = format!("⇣ {} pulled · ⇡ {} pushed", self.pulled, self.pushed);
        if self.to_push > 0 {
            s.push_str(&format!(" · ⇡ {} to push", self.to_push));
        }
        if !self.refused.is_empty() {
            s.push_str(&format!(" · {} refused", self.refused.len()));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(" · {e}"));
        }
        s
    }
}

/// One exchange: the others' events come down into the local log, mine go up.
/// The jump seat writes nothing to the share.
pub fn exchange(release: &Release, share: &DirShare, me: &str, seat: Role) -> Result<Report> {
    let mut report = Report::default();
    let mut log = release.open_log(me, seat, Clock::System)?;
    match share.pull(me) {
        Ok(pulled) => {
            report.refused = pulled.refused;
            let (appended, reused) = log.import(pulled.events)?;
            report.pulled = appended.len();
            for e in reused {
                report.refused.push(format!(
                    "@{}'s event {} reuses the id of a different event here: refused",
                    e.author, e.id
                ));
            }
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
