//! `--share dir:PATH`: the crew's protocol over a shared directory (a mounted
//! drive, a synced folder), without GitHub.
//!
//! ```text
//! PATH/<release-id>/
//!   share.json        {"format":"flightdeck-share","format_version":1,"release":…,"version":…,
//!                      "checklist_sha256":…,"created_by":…,"created_at":…}
//!   checklist.toml    the checklist as it was at start (its sha256 is in share.json)
//!   <login>.jsonl     one file per crew member: that member's own events, one per line
//! ```
//!
//! Each member rewrites only their own file (atomically), and reads the
//! others'. A reader keeps from `<login>.jsonl` only events whose author is
//! `<login>`; the fold then judges them by the roster. Identity here is only
//! as good as the directory's permissions: anyone who can write a file there
//! can write as anyone.

use crate::error::user;
use crate::timeline::fsutil::write_atomic;
use crate::timeline::{Event, Events, Release};
use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The format this build writes and reads.
pub(crate) const FORMAT: &str = "flightdeck-share";
pub(crate) const FORMAT_VERSION: u32 = 1;

/// What a shared directory says about its release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) format: String,
    pub(crate) format_version: u32,
    pub(crate) release: String,
    pub(crate) version: String,
    pub(crate) checklist_file: String,
    pub(crate) checklist_sha256: String,
    pub(crate) created_by: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// The warning every place that shows a directory share repeats.
pub(crate) const IDENTITY_WARNING: &str =
    "identity in a shared directory is only as good as the directory's permissions";

pub(crate) fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// One release's folder in a shared directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirShare {
    pub(crate) root: PathBuf,
}

/// What one exchange did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Pulled {
    pub(crate) events: Vec<Event>,
    /// Lines set aside, each with its file and why.
    pub(crate) refused: Vec<String>,
}

impl DirShare {
    /// Opens `PATH/<release-id>/` for a new release and writes the manifest and checklist.
    pub(crate) fn create(base: &Path, release: &Release, checklist_text: &str) -> Result<DirShare> {
        let root = base.join(&release.meta.id);
        std::fs::create_dir_all(&root).map_err(|e| {
            user(format!(
                "cannot create the shared directory {}: {e}\n  check the path and that you may write there",
                root.display()
            ))
        })?;
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            release: release.meta.id.clone(),
            version: release.meta.version.clone(),
            checklist_file: release.meta.checklist_source.clone(),
            checklist_sha256: sha256(checklist_text),
            created_by: release.meta.created_by.clone(),
            created_at: release.meta.created_at,
        };
        let json = serde_json::to_vec_pretty(&manifest).wrap_err("encoding share.json")?;
        write_atomic(&root.join("checklist.toml"), checklist_text.as_bytes())
            .wrap_err_with(|| format!("writing {}", root.join("checklist.toml").display()))?;
        write_atomic(&root.join("share.json"), &json)
            .wrap_err_with(|| format!("writing {}", root.join("share.json").display()))?;
        Ok(DirShare { root })
    }

    /// Reads a share's manifest and checklist, checking the format and the checksum.
    pub(crate) fn read(&self) -> Result<(Manifest, String)> {
        let path = self.root.join("share.json");
        let bytes = std::fs::read(&path).map_err(|e| {
            user(format!(
                "{} is not a flightdeck share ({e})\n  name the release's folder inside the shared directory: dir:PATH/<release-id>",
                path.display()
            ))
        })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            user(format!("{}: not JSON ({e})\n  the share is damaged: ask the pilot to share the release again", path.display()))
        })?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(user(format!(
                "{}: not a flightdeck share (no `\"format\": \"{FORMAT}\"`)",
                path.display()
            )));
        }
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(user(format!(
                "{}: share format version {found}, this flightdeck reads version {FORMAT_VERSION}\n  use the same flightdeck version as the rest of the crew",
                path.display()
            )));
        }
        let manifest: Manifest =
            serde_json::from_value(value).map_err(|e| user(format!("{}: {e}", path.display())))?;
        let cpath = self.root.join("checklist.toml");
        let text = std::fs::read_to_string(&cpath)
            .map_err(|e| user(format!("{}: {e}", cpath.display())))?;
        if sha256(&text) != manifest.checklist_sha256 {
            return Err(user(format!(
                "{}: the checklist's sha256 does not match {} ({})\n  the plan would differ between machines: ask the pilot to share the release again",
                cpath.display(),
                path.display(),
                manifest.checklist_sha256
            )));
        }
        Ok((manifest, text))
    }

    fn member_file(&self, login: &str) -> PathBuf {
        self.root
            .join(format!("{}.jsonl", login.to_ascii_lowercase()))
    }

    /// The events of mine not yet in my file.
    pub(crate) fn pending(&self, me: &str, events: &Events) -> usize {
        let there = read_lines(&self.member_file(me)).unwrap_or_default();
        let ids: std::collections::HashSet<_> = there.iter().map(|e| &e.id).collect();
        mine(me, events).filter(|e| !ids.contains(&e.id)).count()
    }

    /// Rewrites my file with all my events; returns how many were new there.
    pub(crate) fn push(&self, me: &str, events: &Events) -> Result<usize> {
        let new = self.pending(me, events);
        if new == 0 {
            return Ok(0);
        }
        let mut out = Vec::new();
        for e in mine(me, events) {
            out.extend(serde_json::to_vec(e).wrap_err("encoding an event")?);
            out.push(b'\n');
        }
        let path = self.member_file(me);
        write_atomic(&path, &out)
            .map_err(|e| color_eyre::eyre::eyre!("cannot write {}: {e}", path.display()))?;
        Ok(new)
    }

    /// Every other member's events, each file vouching only for its own login.
    pub(crate) fn pull(&self, me: &str) -> Result<Pulled> {
        let mut pulled = Pulled::default();
        let entries = std::fs::read_dir(&self.root)
            .map_err(|e| user(format!("cannot read {}: {e}", self.root.display())))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for path in files {
            let Some(login) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if crate::crew::same_login(login, me) {
                continue;
            }
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    pulled.refused.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Event>(line) {
                    Ok(e) if crate::crew::same_login(&e.author, login) => pulled.events.push(e),
                    Ok(e) => pulled.refused.push(format!(
                        "{}:{}: an event by @{} in @{login}'s file",
                        path.display(),
                        n + 1,
                        e.author
                    )),
                    Err(e) => pulled.refused.push(format!(
                        "{}:{}: not an event ({e})",
                        path.display(),
                        n + 1
                    )),
                }
            }
        }
        Ok(pulled)
    }
}

fn mine<'a>(me: &'a str, events: &'a Events) -> impl Iterator<Item = &'a Event> + 'a {
    events
        .iter()
        .map(|e| &**e)
        .filter(move |e| crate::crew::same_login(&e.author, me))
}

fn read_lines(path: &Path) -> Option<Vec<Event>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Clock, EventId, EventKind, EventLog, Role};
    use std::sync::Arc;

    fn note(id: &str, author: &str, text: &str) -> Event {
        let at = "2026-11-10T14:00:00Z".parse().expect("time");
        Event {
            v: 1,
            id: EventId::from(id),
            author: author.into(),
            role: Role::Copilot,
            seq: 1,
            at,
            observed_at: at,
            link: None,
            what: EventKind::Note { text: text.into() },
        }
    }

    #[test]
    fn a_push_is_idempotent_and_a_file_vouches_only_for_its_login() {
        let dir = tempfile::tempdir().expect("tempdir");
        let share = DirShare {
            root: dir.path().to_path_buf(),
        };
        let mine = Events::from(vec![
            Arc::new(note("a", "bob", "one")),
            Arc::new(note("b", "jane", "not mine")),
        ]);
        assert_eq!(share.pending("bob", &mine), 1);
        assert_eq!(share.push("bob", &mine).expect("push"), 1);
        assert_eq!(share.push("bob", &mine).expect("push"), 0, "nothing twice");
        assert_eq!(share.pending("bob", &mine), 0);
        std::fs::write(
            dir.path().join("eve.jsonl"),
            format!(
                "{}\nnot json\n",
                serde_json::to_string(&note("c", "jane", "forged")).expect("json")
            ),
        )
        .expect("write");
        let pulled = share.pull("jane").expect("pull");
        assert_eq!(pulled.events, vec![note("a", "bob", "one")]);
        assert_eq!(pulled.refused.len(), 2, "{:?}", pulled.refused);
        assert!(pulled.refused[0].contains("an event by @jane in @eve's file"));
    }

    #[test]
    fn an_import_refuses_a_different_event_reusing_an_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Clock::Fixed("2026-11-10T14:00:00Z".parse().expect("time"));
        let mut log = EventLog::create(
            &dir.path().join("events.jsonl"),
            "eve",
            Role::JumpSeat,
            clock,
        )
        .expect("log");
        let (added, refused) = log.import(vec![note("a", "bob", "one")]).expect("import");
        assert_eq!((added.len(), refused.len()), (1, 0));
        let (added, refused) = log
            .import(vec![note("a", "bob", "one"), note("a", "bob", "changed")])
            .expect("import");
        assert_eq!(added.len(), 0);
        assert_eq!(refused, vec![note("a", "bob", "changed")]);
        assert_eq!(log.events().len(), 1);
    }
}
