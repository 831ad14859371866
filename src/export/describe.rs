//! One sentence per event, for a reader who was not there.
//!
//! [`sentence`] is shared by every export format, `poll`, `status` and the
//! cockpit's panes, so the same event reads the same everywhere; only the
//! actor is optional ([`Actor`]). Sentences are plain text
//! (no Markdown); each format escapes them for itself.

use crate::checklist::channel::resolve_channel;
use crate::checklist::{Plan, StepId};
use crate::crew::Role;
use crate::timeline::{CiState, Event, EventKind, Fact, Outcome};
use std::collections::BTreeMap;

/// Whether a sentence names who acted. Exports, `poll` and `status` do; the
/// cockpit's timeline already shows the author in its own column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Named,
    Omitted,
}

/// The sentence for an event: "conda 26.11.0 tagged on GitHub",
/// "Step 'Publish the GitHub release 26.11.0' signed off by @jane (pilot)", …
///
/// Step ids are replaced by the plan's step titles, repositories by package
/// names where the plan knows them. Never panics, whatever the event holds.
pub fn describe(event: &Event, plan: &Plan) -> String {
    sentence(event, plan, Actor::Named)
}

/// The one sentence for an event, with or without who acted: the cockpit
/// shows `sentence(e, plan, Actor::Omitted)` next to the author, and every
/// export the same sentence with the actor ([`describe`]).
pub fn sentence(event: &Event, plan: &Plan, actor: Actor) -> String {
    // Notes, logins and titles come from outside: one sentence, made harmless once
    // (line breaks stay: an export shows a note's lines; the cockpit's cells escape them).
    let text = raw_sentence(event, plan, actor);
    match super::sanitize::harmless(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

fn raw_sentence(event: &Event, plan: &Plan, actor: Actor) -> String {
    let named = actor == Actor::Named;
    let by = if named {
        format!(" by @{}", event.author)
    } else {
        String::new()
    };
    let by_seat = if named {
        format!(" by @{} ({})", event.author, seat(event.role))
    } else {
        String::new()
    };
    match &event.what {
        EventKind::ReleaseStarted { .. } => format!("Release started{by}"),
        EventKind::StepDone { step, note } => {
            let mut s = format!("Step '{}' signed off{by_seat}", step_title(plan, step));
            if let Some(note) = note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                s.push_str(": ");
                s.push_str(note);
            }
            s
        }
        EventKind::StepOverridden { step, reason } => format!(
            "Step '{}' marked done by hand{by_seat} ahead of its probe: {}",
            step_title(plan, step),
            reason.trim()
        ),
        EventKind::StepSkipped { step, reason } => {
            format!(
                "Step '{}' skipped{by}: {}",
                step_title(plan, step),
                reason.trim()
            )
        }
        EventKind::StepUndone { step, reason } => {
            format!(
                "Step '{}' reopened{by}: {}",
                step_title(plan, step),
                reason.trim()
            )
        }
        EventKind::Note { text } => format!("Note{by}: {}", text.trim()),
        EventKind::CrewAssigned {
            pilot,
            copilot,
            jump_seat,
        } => {
            let mut s = format!("Crew: @{pilot} pilot");
            if let Some(c) = copilot {
                s.push_str(&format!(", @{c} co-pilot"));
            }
            if let Some(j) = jump_seat {
                s.push_str(&format!(", @{j} jump seat"));
            }
            s
        }
        EventKind::Handover { to } => {
            if named {
                format!("Controls handed over by @{} to @{to}", event.author)
            } else {
                format!("Controls handed over to @{to}")
            }
        }
        EventKind::Starred { event } => format!("Event {event} starred{by}"),
        EventKind::Unstarred { event } => format!("Star removed from event {event}{by}"),
        EventKind::ReleaseClosed { outcome, reason } => {
            let verb = match outcome {
                Outcome::Shipped => "shipped",
                Outcome::RolledBack => "rolled back",
                Outcome::Aborted => "aborted",
            };
            match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(r) => format!("Release {verb}{by}: {r}"),
                None => format!("Release {verb}{by}"),
            }
        }
        // Exports say which time the row shows; the cockpit's row stamp already is the upload.
        EventKind::Observed {
            fact: fact @ Fact::Available { first_seen, .. },
            ..
        } if named => format!(
            "{}{}",
            describe_fact(fact, plan),
            available_times(event.at, *first_seen)
        ),
        EventKind::Observed { fact, .. } => describe_fact(fact, plan),
        EventKind::Unknown { of } => format!("Unknown event ({of}, from a newer flightdeck)"),
    }
}

/// Which time an availability row shows: the record's upload (build) time, and
/// — when a probe watched the version appear — when it was first seen
/// installable: " — uploaded 23:09, first seen 23:14". A late joiner knows
/// only the upload.
pub(crate) fn available_times(
    uploaded: chrono::DateTime<chrono::Utc>,
    first_seen: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let hm = |t: chrono::DateTime<chrono::Utc>| {
        use chrono::Timelike;
        format!("{:02}:{:02}", t.hour(), t.minute())
    };
    match first_seen {
        Some(seen) if seen.date_naive() != uploaded.date_naive() => format!(
            " — uploaded {}, first seen {}",
            hm(uploaded),
            seen.format("%Y-%m-%d %H:%M")
        ),
        Some(seen) if hm(seen) != hm(uploaded) => {
            format!(" — uploaded {}, first seen {}", hm(uploaded), hm(seen))
        }
        _ => format!(" — uploaded {}", hm(uploaded)),
    }
}

/// The sentence for an observed fact.
pub fn describe_fact(fact: &Fact, plan: &Plan) -> String {
    match fact {
        Fact::TagPushed { repo, tag, .. } => {
            format!("{} {tag} tagged on GitHub", package_of_repo(plan, repo))
        }
        Fact::ReleaseDrafted { repo, tag } => {
            format!(
                "{} {tag} GitHub release drafted",
                package_of_repo(plan, repo)
            )
        }
        Fact::ReleasePublished {
            repo,
            tag,
            prerelease,
        } => format!(
            "{} {tag} GitHub release published{}",
            package_of_repo(plan, repo),
            if *prerelease { " as a pre-release" } else { "" }
        ),
        Fact::PrOpened {
            repo,
            number,
            title,
            author,
            ..
        } => {
            let mut s = format!("{} PR #{number} opened by {author}", repo_label(plan, repo));
            // A feedstock PR's title only repeats the version; a release PR's
            // title says what it is, which the number alone does not.
            if !is_feedstock(repo) && !title.trim().is_empty() {
                s.push_str(": ");
                s.push_str(title.trim());
            }
            s
        }
        Fact::PrChecks {
            repo,
            number,
            state,
            ..
        } => {
            format!(
                "{} PR #{number} CI {}",
                repo_label(plan, repo),
                ci_word(*state)
            )
        }
        Fact::PrMerged { repo, number, by } => match by.as_deref().filter(|b| !b.is_empty()) {
            Some(b) => format!("{} PR #{number} merged by {b}", repo_label(plan, repo)),
            None => format!("{} PR #{number} merged", repo_label(plan, repo)),
        },
        Fact::PrClosed { repo, number } => {
            format!(
                "{} PR #{number} closed without merging",
                repo_label(plan, repo)
            )
        }
        Fact::PrSuperseded {
            repo,
            number,
            by_number,
        } => {
            format!(
                "{} PR #{number} superseded by #{by_number}",
                repo_label(plan, repo)
            )
        }
        Fact::Checks {
            repo,
            reference,
            state,
            ..
        } => format!(
            "{} CI on {reference} {}",
            repo_label(plan, repo),
            ci_word(*state)
        ),
        Fact::CopyFailed {
            repo,
            number,
            title,
        } => format!(
            "conda-forge could not validate or copy the package ({} issue #{number}: {title})",
            repo_label(plan, repo)
        ),
        Fact::IssueFiled {
            repo,
            number,
            title,
            author,
        } => format!(
            "Bug filed: {} ({} #{number} by {author})",
            title.trim(),
            repo_label(plan, repo)
        ),
        Fact::Available {
            channel,
            package,
            version,
            subdir,
            ..
        } => available(package, version, channel, &[subdir.as_str()]),
        Fact::Disappeared {
            channel,
            package,
            version,
            subdir,
        } => format!("{package} {version} no longer available on {channel} ({subdir})"),
        Fact::LabelledBroken {
            channel,
            package,
            version,
            subdir,
        } => format!("{package} {version} labelled broken on {channel} ({subdir})"),
        Fact::PypiUploaded {
            package,
            version,
            files,
        } => {
            let s = if *files == 1 { "" } else { "s" };
            format!("{package} {version} uploaded to PyPI ({files} file{s})")
        }
        Fact::PypiYanked {
            package,
            version,
            reason,
        } => match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => format!("{package} {version} yanked from PyPI: {r}"),
            None => format!("{package} {version} yanked from PyPI"),
        },
    }
}

/// "conda 26.11.0 available on conda-forge (noarch, linux-64)": one sentence
/// for one or several subdirs (folded rows use it too).
pub(crate) fn available(package: &str, version: &str, channel: &str, subdirs: &[&str]) -> String {
    format!(
        "{package} {version} available on {channel} ({})",
        subdirs.join(", ")
    )
}

/// A seat as a reader says it.
fn seat(role: Role) -> &'static str {
    match role {
        Role::Pilot => "pilot",
        Role::Copilot => "co-pilot",
        Role::JumpSeat => "jump seat",
    }
}

fn ci_word(state: CiState) -> &'static str {
    match state {
        CiState::Pending => "running",
        CiState::Success => "passed",
        CiState::Failure => "failed",
    }
}

/// A step's title from the plan; the id itself when the checklist no longer has it.
pub(crate) fn step_title(plan: &Plan, step: &StepId) -> String {
    plan.step(step)
        .map(|s| s.title.clone())
        .unwrap_or_else(|| step.0.clone())
}

/// The package a repository releases ("conda" for conda/conda), or the repository itself.
fn package_of_repo(plan: &Plan, repo: &str) -> String {
    plan.packages
        .iter()
        .find(|p| p.repo.eq_ignore_ascii_case(repo))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| repo.to_string())
}

fn is_feedstock(repo: &str) -> bool {
    repo.to_ascii_lowercase().ends_with("-feedstock")
}

/// How to name a repository in a sentence: its short name ("conda-feedstock")
/// when no other repository of the plan shares it, else `owner/name`, because
/// conda-forge and AnacondaRecipes feedstocks usually have the same name and
/// the reader must know which channel's PR it was.
pub(crate) fn repo_label(plan: &Plan, repo: &str) -> String {
    let Some((_, short)) = repo.split_once('/') else {
        return repo.to_string();
    };
    let known = plan
        .packages
        .iter()
        .flat_map(|p| std::iter::once(&p.repo).chain(&p.feedstocks))
        .collect::<Vec<_>>();
    let is_known = known.iter().any(|k| k.eq_ignore_ascii_case(repo));
    let clashes = known.iter().any(|k| {
        !k.eq_ignore_ascii_case(repo)
            && k.split_once('/')
                .is_some_and(|(_, s)| s.eq_ignore_ascii_case(short))
    });
    if is_known && !clashes {
        short.to_string()
    } else {
        repo.to_string()
    }
}

/// A stable machine name for the event's kind: `step_done`, `note`, …, and
/// for observations `observed.<fact>` (`observed.available`).
pub fn kind_name(event: &Event) -> &'static str {
    match &event.what {
        EventKind::ReleaseStarted { .. } => "release_started",
        EventKind::StepDone { .. } => "step_done",
        EventKind::StepOverridden { .. } => "step_overridden",
        EventKind::StepSkipped { .. } => "step_skipped",
        EventKind::StepUndone { .. } => "step_undone",
        EventKind::Note { .. } => "note",
        EventKind::CrewAssigned { .. } => "crew_assigned",
        EventKind::Handover { .. } => "handover",
        EventKind::Starred { .. } => "starred",
        EventKind::Unstarred { .. } => "unstarred",
        EventKind::ReleaseClosed { .. } => "release_closed",
        EventKind::Unknown { .. } => "unknown",
        EventKind::Observed { fact, .. } => match fact {
            Fact::TagPushed { .. } => "observed.tag_pushed",
            Fact::ReleaseDrafted { .. } => "observed.release_drafted",
            Fact::ReleasePublished { .. } => "observed.release_published",
            Fact::PrOpened { .. } => "observed.pr_opened",
            Fact::PrChecks { .. } => "observed.pr_checks",
            Fact::PrMerged { .. } => "observed.pr_merged",
            Fact::PrClosed { .. } => "observed.pr_closed",
            Fact::PrSuperseded { .. } => "observed.pr_superseded",
            Fact::Checks { .. } => "observed.checks",
            Fact::CopyFailed { .. } => "observed.copy_failed",
            Fact::IssueFiled { .. } => "observed.issue_filed",
            Fact::Available { .. } => "observed.available",
            Fact::Disappeared { .. } => "observed.disappeared",
            Fact::LabelledBroken { .. } => "observed.labelled_broken",
            Fact::PypiUploaded { .. } => "observed.pypi_uploaded",
            Fact::PypiYanked { .. } => "observed.pypi_yanked",
        },
    }
}

/// What the event is about, as a machine-readable key: `step:<id>` for step
/// events, the fact's key for observations, `event:<id>` for stars, the
/// release id for the start, `None` for notes and the close.
pub fn subject(event: &Event) -> Option<String> {
    match &event.what {
        EventKind::ReleaseStarted { release, .. } => Some(release.clone()),
        EventKind::StepDone { step, .. }
        | EventKind::StepOverridden { step, .. }
        | EventKind::StepSkipped { step, .. }
        | EventKind::StepUndone { step, .. } => Some(format!("step:{step}")),
        EventKind::Starred { event } | EventKind::Unstarred { event } => {
            Some(format!("event:{event}"))
        }
        EventKind::Observed { fact, .. } => Some(fact.key()),
        EventKind::Handover { to } => Some(format!("crew:{to}")),
        EventKind::Note { .. }
        | EventKind::ReleaseClosed { .. }
        | EventKind::CrewAssigned { .. }
        | EventKind::Unknown { .. } => None,
    }
}

/// Where to read more: the event's own link, else a URL derived from the fact
/// (GitHub pages, the channel's package file, PyPI). Channel names resolve as
/// the probes resolve them: `channels` holds the `--channel NAME=URL` flags and
/// the config's `[channels]` table. Credentials embedded in a URL are removed,
/// because exports get pasted into public documents.
pub fn link(event: &Event, channels: &BTreeMap<String, String>) -> Option<String> {
    Links::default().of(event, channels)
}

/// [`link`] for the many events of one export: each channel's URL is
/// resolved once, not once per row.
#[derive(Default)]
pub(crate) struct Links {
    bases: std::collections::HashMap<crate::timeline::Sym, Option<String>>,
}

impl Links {
    pub(crate) fn of(
        &mut self,
        event: &Event,
        channels: &BTreeMap<String, String>,
    ) -> Option<String> {
        link_with(event, channels, &mut self.bases)
    }
}

fn link_with(
    event: &Event,
    channels: &BTreeMap<String, String>,
    bases: &mut std::collections::HashMap<crate::timeline::Sym, Option<String>>,
) -> Option<String> {
    event
        .link
        .as_deref()
        .map(String::from)
        .filter(|l| !l.trim().is_empty())
        .or_else(|| match &event.what {
            EventKind::Observed { fact, .. } => derived_link(fact, channels, bases),
            _ => None,
        })
        .map(super::redact::redact_owned)
}

fn derived_link(
    fact: &Fact,
    channels: &BTreeMap<String, String>,
    bases: &mut std::collections::HashMap<crate::timeline::Sym, Option<String>>,
) -> Option<String> {
    let gh = |repo: &str, path: String| {
        let plausible = repo.split('/').count() == 2
            && !repo.contains(char::is_whitespace)
            && !repo.starts_with('/');
        plausible.then(|| format!("https://github.com/{repo}/{path}"))
    };
    match fact {
        Fact::TagPushed { repo, tag, .. } | Fact::ReleasePublished { repo, tag, .. } => {
            gh(repo, format!("releases/tag/{tag}"))
        }
        // Drafts are visible only to maintainers: a link would 404 for readers.
        Fact::ReleaseDrafted { .. } => None,
        Fact::PrOpened { repo, number, .. }
        | Fact::PrMerged { repo, number, .. }
        | Fact::PrClosed { repo, number }
        | Fact::PrSuperseded { repo, number, .. } => gh(repo, format!("pull/{number}")),
        Fact::PrChecks { repo, number, .. } => gh(repo, format!("pull/{number}/checks")),
        Fact::Checks { repo, sha, .. } => gh(repo, format!("commit/{sha}")),
        Fact::CopyFailed { repo, number, .. } | Fact::IssueFiled { repo, number, .. } => {
            gh(repo, format!("issues/{number}"))
        }
        Fact::Available {
            channel,
            subdir,
            file_name,
            ..
        } => bases
            .entry(channel.clone())
            .or_insert_with(|| {
                resolve_channel(channel, channels)
                    .ok()
                    .map(|u| u.to_string())
            })
            .as_ref()
            .map(|base| format!("{base}/{subdir}/{file_name}")),
        Fact::Disappeared { .. } | Fact::LabelledBroken { .. } => None,
        Fact::PypiUploaded {
            package, version, ..
        }
        | Fact::PypiYanked {
            package, version, ..
        } => Some(format!("https://pypi.org/project/{package}/{version}/")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn available_on(channel: &str) -> Event {
        let at = chrono::DateTime::UNIX_EPOCH;
        Event {
            v: crate::timeline::SCHEMA_VERSION,
            id: crate::timeline::EventId::from("e1"),
            author: "jane".into(),
            role: Role::Pilot,
            seq: 1,
            at,
            observed_at: at,
            link: None,
            what: EventKind::Observed {
                probe: "channel".into(),
                fact: Fact::Available {
                    channel: channel.into(),
                    package: "conda".into(),
                    version: "26.11.0".into(),
                    subdir: "noarch".into(),
                    build: "py_0".into(),
                    file_name: "conda-26.11.0-py_0.conda".into(),
                    first_seen: None,
                },
            },
        }
    }

    #[test]
    fn a_package_link_follows_the_configured_channel_urls() {
        let none = BTreeMap::new();
        assert_eq!(
            link(&available_on("defaults"), &none).as_deref(),
            Some("https://repo.anaconda.com/pkgs/main/noarch/conda-26.11.0-py_0.conda")
        );
        assert_eq!(
            link(&available_on("conda-forge"), &none).as_deref(),
            Some("https://conda.anaconda.org/conda-forge/noarch/conda-26.11.0-py_0.conda")
        );
        let mirror = BTreeMap::from([(
            "conda-forge".to_string(),
            "https://prefix.dev/conda-forge".to_string(),
        )]);
        assert_eq!(
            link(&available_on("conda-forge"), &mirror).as_deref(),
            Some("https://prefix.dev/conda-forge/noarch/conda-26.11.0-py_0.conda")
        );
        assert_eq!(link(&available_on("no such channel"), &none), None);
    }
}
