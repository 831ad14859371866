//! Releases on disk: one directory per release under `<home>/releases/`.
//!
//! ```text
//! <home>/releases/conda-26.11.0/
//!   release.toml     what was started, by whom, from which checklist (replaced atomically)
//!   checklist.toml   the checklist as it was at `start`, so the plan never shifts mid-release
//!   events.jsonl     the timeline (append-only)
//!   events.jsonl.checkpoint   derived: the log read up to a byte offset, so a
//!                    start reads only the tail (see `checkpoint`; safe to delete)
//! ```

use super::clock::Clock;
use super::event::{EventKind, Outcome};
use super::events::Events;
use super::fold::State;
use super::fsutil::write_atomic;
use super::log::EventLog;
use super::rules::Role;
use crate::checklist::{Checklist, Plan};
use crate::diag::Diagnostics;
use crate::error::user;
use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What `release.toml` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseMeta {
    pub(crate) schema: u32,
    /// The directory name, e.g. `conda-26.11.0`.
    pub id: String,
    /// The checklist's release name, e.g. `conda`.
    pub(crate) name: String,
    pub(crate) version: String,
    /// The checklist file `start` was given.
    pub(crate) checklist_source: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) created_by: String,
}

/// flightdeck's home: releases (and later caches) live under it.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

/// An existing release: its metadata and its plan.
#[derive(Debug, Clone)]
pub struct Release {
    pub dir: PathBuf,
    pub meta: ReleaseMeta,
    pub plan: Plan,
}

impl Release {
    pub fn events_path(&self) -> PathBuf {
        self.dir.join("events.jsonl")
    }

    /// Opens the timeline for writing (repairing a torn last line, with a warning on stderr).
    pub fn open_log(&self, author: &str, role: Role, clock: Clock) -> Result<EventLog> {
        let (log, torn) = EventLog::open(&self.events_path(), author, role, clock)?;
        if let Some(torn) = torn {
            eprintln!("warning: {}: {torn}", self.events_path().display());
        }
        Ok(log)
    }

    /// Opens the timeline for the chosen seat: the jump seat follows it
    /// read-only (never repairing, never appending); other seats may write.
    pub(crate) fn open_log_for(&self, author: &str, role: Role, clock: Clock) -> Result<EventLog> {
        match role {
            Role::JumpSeat => Ok(EventLog::open_read_only(
                &self.events_path(),
                author,
                role,
                clock,
            )?),
            _ => self.open_log(author, role, clock),
        }
    }

    /// Whether the timeline records a close, learned without parsing it: the
    /// command that picks the open release must not read every release's
    /// whole log first (the one it picks is read right after). The kind tag is
    /// matched with its quotes, which JSON escapes inside any text, so a note
    /// quoting it does not count.
    /// With a checkpoint, its header answers for what it covers and only the
    /// tail is searched.
    pub(crate) fn was_closed(&self) -> Result<bool> {
        Ok(EventLog::mentions(&self.events_path(), CLOSED_TAG)?)
    }

    /// Reads the timeline without changing anything.
    pub fn read_events(&self) -> Result<Events> {
        self.read().map(|read| read.events)
    }

    /// The release's state: the fold saved beside the log resumed and
    /// brought up to date when it agrees ([`super::resume`]), else a fold of
    /// the whole log.
    pub fn state(&self) -> Result<State> {
        let path = self.events_path();
        let read = self.read()?;
        let newest = read.covering.map(|id| (id, read.events.len()));
        let (state, save) = super::resume::resume(&self.plan, &path, &read.events, newest);
        if save && let Some(id) = read.checkpoint_all(&path) {
            let _ = super::resume::save(&path, &self.plan, id, &read.events, &state);
        }
        Ok(state)
    }

    /// What reading the log found, its warnings printed.
    fn read(&self) -> Result<super::log_read::Checked> {
        let read = EventLog::read_checked(&self.events_path())?;
        let (torn, reused) = (read.torn, &read.reused);
        for r in reused {
            // The id comes from a line anyone in the crew may have written.
            let r = crate::diag::harmless(&r.to_string()).into_owned();
            eprintln!("warning: {}: {r}", self.events_path().display());
        }
        if let Some(bytes) = torn {
            eprintln!(
                "warning: {}: ends with an incomplete line ({bytes} bytes); it will be moved aside the next time the release is opened for writing",
                self.events_path().display()
            );
        }
        Ok(read)
    }
}

/// How a close appears in a line of the log (serde_json writes no spaces).
const CLOSED_TAG: &str = r#""kind":"release_closed""#;

/// A line of `flightdeck list`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReleaseSummary {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) created_by: String,
    /// `None` while in progress; written as the word a person types (`shipped`).
    #[serde(serialize_with = "outcome_word")]
    pub(crate) outcome: Option<Outcome>,
    pub(crate) done: usize,
    pub(crate) total: usize,
    /// Events refused for their author's seat (never folded).
    pub(crate) ignored: usize,
}

fn outcome_word<S: serde::Serializer>(o: &Option<Outcome>, s: S) -> Result<S::Ok, S::Error> {
    match o {
        Some(o) => s.serialize_some(o.word()),
        None => s.serialize_none(),
    }
}

impl Home {
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    pub(crate) fn releases_dir(&self) -> PathBuf {
        self.root.join("releases")
    }

    /// Creates a release directory and its first event.
    pub fn create(
        &self,
        checklist: &Checklist,
        checklist_text: &str,
        version: &str,
        author: &str,
        clock: Clock,
    ) -> Result<Release> {
        self.create_crewed(checklist, checklist_text, version, author, clock, None)
    }

    /// Creates a release whose first events are its start and its crew.
    pub(crate) fn create_crewed(
        &self,
        checklist: &Checklist,
        checklist_text: &str,
        version: &str,
        author: &str,
        clock: Clock,
        crew: Option<&super::roster::Roster>,
    ) -> Result<Release> {
        let plan = checklist.plan(version).map_err(|e| {
            user(format!(
                "{e}\n  the checklist {} uses the `{}` version scheme",
                checklist.file, checklist.scheme
            ))
        })?;
        let id = format!("{}-{}", checklist.name, version);
        let releases = self.releases_dir();
        std::fs::create_dir_all(&releases).map_err(|e| {
            user(format!(
                "cannot create {}: {e}\n  choose a writable home with --home DIR or FLIGHTDECK_HOME",
                releases.display()
            ))
        })?;
        // After the releases directory exists: a home that is not writable gets its own error.
        safe_release_id(&id, &self.release_ids()?).map_err(|why| {
            user(format!(
                "cannot start release `{}`: {why}\n  a release id is `NAME-VERSION` and becomes a directory name; use a plain version such as 26.11.0",
                crate::diag::echo(&id.escape_debug().to_string())
            ))
        })?;
        let dir = releases.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::AlreadyExists
                    && !dir.join("release.toml").exists() =>
            {
                return Err(user(format!(
                    "an earlier `start` of {id} was interrupted before it finished\n  remove {} and run `flightdeck start` again",
                    dir.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(user(format!(
                    "release {id} already exists in {}\n  open it with `flightdeck fly {id}`, or see `flightdeck status {id}`",
                    releases.display()
                )));
            }
            Err(e) => {
                return Err(user(format!(
                    "cannot create {}: {e}\n  choose a writable home with --home DIR or FLIGHTDECK_HOME",
                    dir.display()
                )));
            }
        }
        let meta = ReleaseMeta {
            schema: 1,
            id: id.clone(),
            name: checklist.name.clone(),
            version: version.to_string(),
            checklist_source: checklist.file.clone(),
            created_at: clock.now(),
            created_by: author.to_string(),
        };
        // `release.toml` goes last: a release is listed only once it exists,
        // so a crash part-way leaves an unlisted directory, never a listed
        // release without a timeline.
        write_atomic(&dir.join("checklist.toml"), checklist_text.as_bytes())
            .wrap_err_with(|| format!("writing {}", dir.join("checklist.toml").display()))?;
        let now = clock.now();
        let mut log = EventLog::create(&dir.join("events.jsonl"), author, Role::Pilot, clock)?;
        let started = EventKind::ReleaseStarted {
            release: id.clone(),
            version: version.to_string(),
            checklist: checklist.file.clone(),
        };
        let permit =
            super::rules::judge(&super::rules::Book::without_plan(now), Role::Pilot, started)
                .confirmed()
                .map_err(|r| user(r.to_string()))?;
        log.append(permit)?;
        if let Some(crew) = crew {
            let permit = super::rules::judge(
                &super::rules::Book::without_plan(now),
                Role::Pilot,
                crew.to_event(),
            )
            .confirmed()
            .map_err(|r| user(r.to_string()))?;
            log.append(permit)?;
        }
        let meta_text = toml::to_string(&meta).wrap_err("encoding release.toml")?;
        write_atomic(&dir.join("release.toml"), meta_text.as_bytes())
            .wrap_err_with(|| format!("writing {}", dir.join("release.toml").display()))?;
        Ok(Release { dir, meta, plan })
    }

    /// Creates a release joined from a crew's share: the checklist and
    /// version as the pilot started them, and an empty timeline that the
    /// sync fills with the crew's events.
    pub(crate) fn adopt(
        &self,
        checklist: &Checklist,
        checklist_text: &str,
        version: &str,
        created_by: &str,
        created_at: DateTime<Utc>,
    ) -> Result<Release> {
        let plan = checklist
            .plan(version)
            .map_err(|e| user(format!("the shared release's version {version}: {e}")))?;
        let id = format!("{}-{}", checklist.name, version);
        let dir = self.releases_dir().join(&id);
        if dir.join("release.toml").exists() {
            return Err(user(format!(
                "release {id} already exists in {}\n  open it with `flightdeck fly {id}`",
                self.releases_dir().display()
            )));
        }
        std::fs::create_dir_all(&dir).map_err(|e| {
            user(format!(
                "cannot create {}: {e}\n  choose a writable home with --home DIR or FLIGHTDECK_HOME",
                dir.display()
            ))
        })?;
        write_atomic(&dir.join("checklist.toml"), checklist_text.as_bytes())
            .wrap_err_with(|| format!("writing {}", dir.join("checklist.toml").display()))?;
        let events = dir.join("events.jsonl");
        if !events.exists() {
            EventLog::create(&events, created_by, Role::JumpSeat, Clock::System)?;
        }
        let meta = ReleaseMeta {
            schema: 1,
            id: id.clone(),
            name: checklist.name.clone(),
            version: version.to_string(),
            checklist_source: checklist.file.clone(),
            created_at,
            created_by: created_by.to_string(),
        };
        let meta_text = toml::to_string(&meta).wrap_err("encoding release.toml")?;
        write_atomic(&dir.join("release.toml"), meta_text.as_bytes())
            .wrap_err_with(|| format!("writing {}", dir.join("release.toml").display()))?;
        Ok(Release { dir, meta, plan })
    }

    /// Opens a release by id (or unique prefix, or version).
    pub fn open(&self, id: &str) -> Result<Release> {
        let ids = self.release_ids()?;
        let exact = ids.iter().find(|i| i.as_str() == id);
        let chosen = match exact {
            Some(i) => i.clone(),
            None => {
                let matches: Vec<&String> = ids
                    .iter()
                    .filter(|i| i.starts_with(id) || i.ends_with(&format!("-{id}")))
                    .collect();
                match matches.as_slice() {
                    [one] => (*one).clone(),
                    [] => {
                        return Err(user(format!(
                            "no release `{id}` in {}\n  releases: {}\n  start one with `flightdeck start CHECKLIST --version V`",
                            self.releases_dir().display(),
                            if ids.is_empty() {
                                "none".to_string()
                            } else {
                                ids.join(", ")
                            }
                        )));
                    }
                    many => {
                        return Err(user(format!(
                            "`{id}` matches several releases: {}\n  name one of them",
                            many.iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
        };
        self.load(&self.releases_dir().join(chosen))
    }

    /// The release meant when none is named: the only one in progress.
    pub fn resolve(&self, id: Option<&str>) -> Result<Release> {
        if let Some(id) = id {
            return self.open(id);
        }
        let mut open = Vec::new();
        let mut damaged = Vec::new();
        for rid in self.release_ids()? {
            // One damaged release must not stop work on the others.
            let loaded = self
                .load(&self.releases_dir().join(&rid))
                .and_then(|r| r.was_closed().map(|closed| (r, closed)));
            let (release, closed) = match loaded {
                Ok(x) => x,
                Err(e) => {
                    damaged.push((rid, e));
                    continue;
                }
            };
            // A close line is a hint read cheaply; only a trusted close closes
            // it: a forged line does not hide a release.
            if !closed {
                open.push(release);
                continue;
            }
            match release.state() {
                Ok(state) if state.closed.is_none() => open.push(release),
                Ok(_) => {}
                Err(e) => damaged.push((rid, e)),
            }
        }
        // A release that cannot be read is the likeliest one meant: say why.
        if open.is_empty()
            && let Some((_, e)) = damaged.pop()
        {
            return Err(e);
        }
        for (rid, e) in &damaged {
            eprintln!("warning: skipping release {rid}: {e:#}");
        }
        match open.len() {
            1 => Ok(open.remove(0)),
            0 => Err(user(format!(
                "no release in progress in {}\n  start one with `flightdeck start CHECKLIST --version V`, or name a finished one",
                self.releases_dir().display()
            ))),
            _ => Err(user(format!(
                "several releases are in progress: {}\n  name the one you mean, or close a finished one with `flightdeck close RELEASE --outcome shipped`",
                open.iter()
                    .map(|r| r.meta.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Every release, oldest first.
    pub(crate) fn list(&self) -> Result<Vec<ReleaseSummary>> {
        let mut out = Vec::new();
        for rid in self.release_ids()? {
            let loaded = self
                .load(&self.releases_dir().join(&rid))
                .and_then(|r| r.state().map(|s| (r, s)));
            let (release, state) = match loaded {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("warning: release {rid} cannot be read: {e:#}");
                    continue;
                }
            };
            let (done, total) = state.progress();
            out.push(ReleaseSummary {
                id: release.meta.id.clone(),
                version: release.meta.version.clone(),
                created_at: release.meta.created_at,
                created_by: release.meta.created_by.clone(),
                outcome: state.closed.map(|(o, _)| o),
                done,
                total,
                ignored: state.ignored.len(),
            });
        }
        out.sort_by_key(|s| s.created_at);
        Ok(out)
    }

    pub(crate) fn release_ids(&self) -> Result<Vec<String>> {
        let dir = self.releases_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).wrap_err_with(|| format!("listing {}", dir.display())),
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("release.toml").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        Ok(ids)
    }

    fn load(&self, dir: &Path) -> Result<Release> {
        let meta_path = dir.join("release.toml");
        let text = std::fs::read_to_string(&meta_path)
            .wrap_err_with(|| format!("reading {}", meta_path.display()))?;
        let meta: ReleaseMeta = toml::from_str(&text).map_err(|e| {
            let place = e
                .span()
                .map(|s| {
                    let (l, c) = crate::diag::line_col(&text, s.start);
                    format!(":{l}:{c}")
                })
                .unwrap_or_default();
            user(format!(
                "{}{place}: {}\n  this file is written by `flightdeck start`; restore it from a backup or start the release again",
                meta_path.display(),
                e.message()
            ))
        })?;
        let checklist_path = dir.join("checklist.toml");
        let checklist = Checklist::load(&checklist_path)
            .map_err(|d| color_eyre::Report::new(Diagnostics(d)))?;
        let plan = checklist
            .plan(&meta.version)
            .map_err(|e| user(format!("{}: {e}", meta_path.display())))?;
        Ok(Release {
            dir: dir.to_path_buf(),
            meta,
            plan,
        })
    }
}

/// The longest release id: a directory name must fit every file system (255 bytes).
const MAX_ID_BYTES: usize = 200;

/// Whether `id` can be one directory under `releases/`, whatever the version scheme
/// allowed: one path component (no separators, not `.` or `..`, no leading dot), no
/// control characters, not too long, and not a case-variant of an `existing` id (on
/// macOS and Windows the two would be one directory; a log shared across machines
/// must mean one release everywhere). `Err` says why.
pub(crate) fn safe_release_id(id: &str, existing: &[String]) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Err("the id is empty".into());
    }
    if id.len() > MAX_ID_BYTES {
        return Err(format!("the id is longer than {MAX_ID_BYTES} bytes"));
    }
    if let Some(c) = id.chars().find(|c| matches!(c, '/' | '\\' | ':')) {
        return Err(format!(
            "the id contains `{c}`, a path separator on some systems"
        ));
    }
    if id.chars().any(char::is_control) {
        return Err("the id contains control characters".into());
    }
    if id.starts_with('.') || id.contains("..") {
        return Err("the id starts with `.` or contains `..`".into());
    }
    if id.ends_with(['.', ' ']) || id.starts_with(' ') {
        return Err("the id starts or ends with a space or ends with `.`".into());
    }
    let folded = id.to_lowercase();
    if let Some(other) = existing
        .iter()
        .find(|e| e.as_str() != id && e.to_lowercase() == folded)
    {
        return Err(format!(
            "it differs only by case from the existing release `{other}`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::rules::{Book, judge};

    const CHECKLIST: &str = r#"
schema = 1

[release]
name = "demo"
title = "demo {version}"
version_scheme = "calver"

[[packages]]
name = "demo"
repo = "example/demo"

[[phases]]
id = "p"
title = "Phase"

[[phases.steps]]
id = "mine"
title = "A pilot step"
role = "pilot"
"#;

    fn record(release: &Release, what: EventKind) {
        let clock = Clock::Fixed("2026-11-10T14:00:00Z".parse().expect("time"));
        let mut log = release
            .open_log("jane", Role::Pilot, clock.clone())
            .expect("open");
        let permit = judge(&Book::without_plan(clock.now()), Role::Pilot, what)
            .confirmed()
            .expect("permitted");
        log.append(permit).expect("append");
    }

    #[test]
    fn the_open_release_is_found_without_being_fooled_by_a_quoted_close() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::new(dir.path());
        let checklist = Checklist::parse("demo.toml", CHECKLIST).expect("checklist");
        let clock = Clock::Fixed("2026-11-10T14:00:00Z".parse().expect("time"));
        let old = home
            .create(&checklist, CHECKLIST, "26.10.0", "jane", clock.clone())
            .expect("create");
        let new = home
            .create(&checklist, CHECKLIST, "26.11.0", "jane", clock)
            .expect("create");
        record(
            &new,
            EventKind::Note {
                text: r#"next: {"kind":"release_closed"} once it ships"#.into(),
            },
        );
        assert!(!new.was_closed().expect("read"));
        record(
            &old,
            EventKind::ReleaseClosed {
                outcome: Outcome::Shipped,
                reason: None,
            },
        );
        assert!(old.was_closed().expect("read"));
        assert_eq!(home.resolve(None).expect("one open").meta.id, new.meta.id);
    }
}
