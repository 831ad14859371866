//! The demo's simulated crew: each member is "another machine" — a home
//! directory of their own, their own token for the simulated GitHub, their
//! own log — sharing the release through the real tracking-issue protocol
//! ([`crate::crew::share`]). A member signs off the steps of their seat once
//! they have been ready for a few simulated minutes, through the rule book
//! ([`rules::judge`]), answering its questions as that person would: the
//! pilot confirms that a pilot-only step is theirs; nobody signs off a step
//! that is blocked, gated, or belongs to a probe.
//!
//! Public so that `benches/crew.rs` measures the very exchanges the demo runs.

use crate::checklist::{Checklist, StepRole};
use crate::crew::share::{self, Report, Share};
use crate::crew::share_github::{IssueRef, IssueShare};
use crate::diag::Diagnostics;
use crate::error::user;
use crate::github::{ClientOptions, GithubClient, RepoRef, Token};
use crate::store::Store;
use crate::timeline::rules::{self, Book, Reason, Verdict};
use crate::timeline::{Clock, Event, EventKind, Home, Release, Role, Roster, StepStatus, fold};
use chrono::{DateTime, TimeDelta, Utc};
use color_eyre::eyre::Result;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// One simulated crew member on their own machine.
pub struct Member {
    login: String,
    seat: Role,
    release: Release,
    share: Share,
    store: Store,
    /// When each step of mine was first seen ready (on the release's clock).
    ready_since: BTreeMap<String, DateTime<Utc>>,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("login", &self.login)
            .field("seat", &self.seat)
            .field("release", &self.release.meta.id)
            .finish_non_exhaustive()
    }
}

/// This member's client of the simulated GitHub, with its ETag cache in their home.
fn client(api: &str, token: Option<&str>, home: &Path) -> Result<Arc<GithubClient>> {
    GithubClient::new(
        api,
        token.and_then(Token::new),
        ClientOptions {
            cache_file: Some(home.join("cache").join("github").join("etags.json")),
            ..ClientOptions::default()
        },
    )
    .map(Arc::new)
    .map_err(|e| user(format!("{api}: {e}")))
}

impl Member {
    /// The pilot's machine: creates the release with `roster` in `home`,
    /// opens its tracking issue on `repo` (as `start --share` does) and puts
    /// the release's first events there.
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        api: &str,
        token: &str,
        home: &Path,
        checklist: &Checklist,
        checklist_text: &str,
        version: &str,
        roster: &Roster,
        repo: &str,
        clock: Clock,
    ) -> Result<Member> {
        let repo =
            RepoRef::parse(repo).ok_or_else(|| user(format!("`{repo}` is not OWNER/REPO")))?;
        let release = Home::new(home).create_crewed(
            checklist,
            checklist_text,
            version,
            &roster.pilot,
            clock.clone(),
            Some(roster),
        )?;
        let client = client(api, Some(token), home)?;
        let issue = IssueShare::open(client, &repo, &release, checklist_text).await?;
        let share = Share::Github(issue);
        share::remember(&release, &share, Some(api))?;
        let store = Store::open(&release, &roster.pilot, Role::Pilot, clock)?;
        let member = Member {
            login: roster.pilot.clone(),
            seat: Role::Pilot,
            release,
            share,
            store,
            ready_since: BTreeMap::new(),
        };
        let first = member.exchange().await;
        if let Some(e) = first.error {
            return Err(user(format!(
                "the simulated pilot could not put the release's first events on {}: {e}",
                member.share.place()
            )));
        }
        Ok(member)
    }

    /// Another machine joins the tracking issue `issue` (`OWNER/REPO#N`) as
    /// `login`: the release is adopted from the issue and the crew's events
    /// come down; the seat is the roster's.
    pub async fn join(
        api: &str,
        token: Option<&str>,
        login: &str,
        home: &Path,
        issue: &str,
        clock: Clock,
    ) -> Result<Member> {
        let issue =
            IssueRef::parse(issue).ok_or_else(|| user(format!("`{issue}` is not OWNER/REPO#N")))?;
        let share = IssueShare {
            issue,
            client: client(api, token, home)?,
        };
        let data = share.read().await?;
        let checklist = Checklist::parse(&data.manifest.checklist_file, &data.checklist)
            .map_err(|d| color_eyre::Report::new(Diagnostics(d)))?;
        let release = Home::new(home).adopt(
            &checklist,
            &data.checklist,
            &data.manifest.version,
            &data.manifest.created_by,
            data.manifest.created_at,
        )?;
        let share = Share::Github(share);
        share::remember(&release, &share, Some(api))?;
        let pulled = share::exchange(&release, &share, login, Role::JumpSeat).await?;
        if let Some(e) = pulled.error {
            return Err(user(format!(
                "@{login} could not read {}: {e}",
                share.place()
            )));
        }
        let seat = crate::crew::seat_in(
            &fold(&release.plan, &release.read_events()?),
            login,
            Role::Pilot,
        );
        let store = Store::open(&release, login, seat, clock)?;
        Ok(Member {
            login: login.to_string(),
            seat,
            release,
            share,
            store,
            ready_since: BTreeMap::new(),
        })
    }

    pub(crate) fn login(&self) -> &str {
        &self.login
    }

    /// The release on this member's machine.
    pub(crate) fn release(&self) -> &Release {
        &self.release
    }

    /// The store this member writes through (the demo's pilot watches the
    /// world through it).
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// How often this member's cockpit would exchange with no `sync_interval`
    /// configured (slower without a token: GitHub counts an anonymous 304).
    pub fn sync_interval(&self) -> std::time::Duration {
        self.share.interval(None)
    }

    /// The tracking issue, `OWNER/REPO#N`.
    pub fn issue(&self) -> String {
        match &self.share {
            Share::Github(g) => g.issue.to_string(),
            Share::Dir(d) => format!("dir:{}", d.root.display()),
        }
    }

    /// One exchange with the crew, exactly as the cockpit's background sync does it.
    pub async fn exchange(&self) -> Report {
        share::exchange(&self.release, &self.share, &self.login, self.seat)
            .await
            .unwrap_or_else(|e| Report {
                error: Some(e.to_string()),
                ..Report::default()
            })
    }

    /// Records `what` through the rule book, answering "yes" to what this
    /// person would confirm; returns the event, or why not.
    pub async fn record(&self, what: EventKind, now: DateTime<Utc>) -> Result<Event> {
        let store = self.store.clone();
        store.refresh_async().await?;
        let state = store.with_events(|events| fold(&self.release.plan, events));
        let permit =
            match rules::judge(&Book::new(&self.release.plan, &state, now), self.seat, what) {
                Verdict::Accepted(p) => p,
                Verdict::NeedsConfirmation { reasons, permit } if self.would_confirm(&reasons) => {
                    permit
                }
                Verdict::NeedsConfirmation { reasons, .. } => {
                    let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                    return Err(user(format!("@{} waits: {}", self.login, why.join("; "))));
                }
                Verdict::Refused(r) => return Err(user(format!("@{}: {r}", self.login))),
            };
        Ok(store.append_async(permit).await?)
    }

    /// The pilot confirms that a pilot-only step is theirs; a blocked step, a
    /// gate or an override waits for the world.
    fn would_confirm(&self, reasons: &[Reason]) -> bool {
        reasons
            .iter()
            .all(|r| matches!(r, Reason::PilotOnly) && self.seat == Role::Pilot)
    }

    /// Signs off the steps this member owns (`mine`) that have been ready for
    /// at least `after` on the release's clock; returns what was recorded.
    pub(crate) async fn sign_off_ready(
        &mut self,
        mine: &[StepRole],
        now: DateTime<Utc>,
        after: TimeDelta,
    ) -> Vec<Event> {
        if self.store.refresh_async().await.is_err() {
            return Vec::new();
        }
        let state = self
            .store
            .with_events(|events| fold(&self.release.plan, events));
        let mut due = Vec::new();
        for (def, step) in self.release.plan.steps.iter().zip(&state.steps) {
            let probe_backed = def.probe.as_ref().is_some_and(|p| p.completes());
            if probe_backed || !mine.contains(&def.role) {
                continue;
            }
            if step.status != StepStatus::Ready {
                self.ready_since.remove(&def.id.0);
                continue;
            }
            let since = *self.ready_since.entry(def.id.0.clone()).or_insert(now);
            if now - since >= after {
                due.push(def.id.clone());
            }
        }
        let mut recorded = Vec::new();
        for step in due {
            let what = EventKind::StepDone { step, note: None };
            // A gate or a race with another member: try again next time.
            if let Ok(e) = self.record(what, now).await {
                recorded.push(e);
            }
        }
        recorded
    }

    /// Whether this member's machine has folded `step` as signed off by `by`.
    pub fn sees_signed_off(&self, step: &str, by: &str) -> bool {
        let Ok(events) = self.release.read_events() else {
            return false;
        };
        let state = fold(&self.release.plan, &events);
        state.steps.iter().any(|s| {
            s.id.0 == step
                && matches!(&s.status, StepStatus::Done { by: who, .. } if crate::crew::same_login(&who.by, by))
        })
    }
}
