//! JSON export: the lossless one, for scripts and for archiving a release.
//!
//! # Schema 1
//!
//! ```json
//! {
//!   "schema": 1,
//!   "release": "conda-26.11.0",
//!   "title": "conda 26.11.0",
//!   "version": "26.11.0",
//!   "exported_at": "2026-11-12T09:00:00Z",
//!   "filter": { "starred_only": false, "since": null, "until": null },
//!   "events": [
//!     {
//!       "id": "5b0c…",
//!       "at": "2026-11-10T14:02:00Z",
//!       "observed_at": "2026-11-10T14:02:09Z",
//!       "actor": "jane",
//!       "role": "pilot",
//!       "kind": "observed.tag_pushed",
//!       "subject": "tag/conda/conda/26.11.0",
//!       "action": "conda 26.11.0 tagged on GitHub",
//!       "link": "https://github.com/conda/conda/releases/tag/26.11.0",
//!       "starred": true,
//!       "duplicate_of": null,
//!       "event": { "v": 1, "id": "5b0c…", "author": "jane", … }
//!     }
//!   ]
//! }
//! ```
//!
//! | field | meaning |
//! |---|---|
//! | `schema` | this layout's version. Adding a field keeps it; changing a field's meaning bumps it |
//! | `release`, `title`, `version` | the release id (its directory name), the plan's title, the version |
//! | `exported_at` | when the export was made (RFC 3339, UTC) |
//! | `filter` | the filters applied: `starred_only`; `since` (inclusive) and `until` (exclusive) bound `at`. All unset: the export is complete |
//! | `events` | every event of the log that passes the filter, exactly once each, in timeline order (`at`, then `id`). Nothing is folded and nothing dropped: star events and a fact observed twice are included |
//! | `id` | the event's globally unique id |
//! | `at` | when it happened: the source's own time when it has one (tag date, `merged_at`, a package's upload timestamp) |
//! | `observed_at` | when flightdeck recorded it |
//! | `actor`, `role` | who recorded it, and the seat they held (`pilot`, `copilot`, `jump-seat`) |
//! | `kind` | `release_started`, `step_done`, `step_overridden`, `step_skipped`, `step_undone`, `note`, `starred`, `unstarred`, `release_closed`, or `observed.<fact>` (`observed.tag_pushed`, `observed.pr_merged`, `observed.available`, …) |
//! | `subject` | what it is about: `step:<id>`, a fact's key (`available/<channel>/<subdir>/<package>/<version>`), `event:<id>` for stars, the release id for the start; `null` for notes and the close |
//! | `action` | the sentence of the Markdown table for this single event |
//! | `link` | where to read more, or `null`; credentials in URLs are removed |
//! | `starred` | whether the event is starred at export time |
//! | `duplicate_of` | for an observation the timeline does not show (its fact was observed before), the id of the one it shows (the first, or the first again after a fact superseding it, such as a package that disappeared and came back); else `null` |
//! | `event` | the raw event exactly as in `events.jsonl` (event schema in `crate::timeline::event`); [`parse`] reads it back |

use super::ExportOptions;
use super::describe::{describe, kind_name, link, subject};
use crate::crew::Role;
use crate::timeline::event::FactKey;
use crate::timeline::{Event, EventId, EventKind, Release, State};
use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;
use std::collections::HashMap;

/// The version of the export layout written by this build.
pub(crate) const SCHEMA: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema: u32,
    release: &'a str,
    title: &'a str,
    version: &'a str,
    exported_at: DateTime<Utc>,
    filter: Filter,
    events: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Filter {
    starred_only: bool,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    id: &'a EventId,
    at: DateTime<Utc>,
    observed_at: DateTime<Utc>,
    actor: &'a str,
    role: Role,
    kind: &'static str,
    subject: Option<String>,
    action: String,
    link: Option<String>,
    starred: bool,
    duplicate_of: Option<&'a EventId>,
    event: &'a Event,
}

/// The JSON export, pretty-printed, ending with a newline.
pub(crate) fn json(release: &Release, state: &State, opts: &ExportOptions) -> Result<String> {
    // The fold decides which observation of a fact is shown (the first,
    // or the first again after a fact superseding it): an observation it did
    // not show repeats the last shown one of its fact.
    let mut shown_fact: HashMap<FactKey, &EventId> = HashMap::new();
    let mut shown = state.timeline.iter().copied().peekable();
    let mut events = Vec::with_capacity(state.events.len());
    for (i, e) in state.events.iter().enumerate() {
        let is_shown = shown.next_if_eq(&i).is_some();
        let duplicate_of = match &e.what {
            EventKind::Observed { fact, .. } if is_shown => {
                shown_fact.insert(fact.key_hash(), &e.id);
                None
            }
            EventKind::Observed { fact, .. } => shown_fact.get(&fact.key_hash()).copied(),
            _ => None,
        };
        if !opts.keeps(e, state) {
            continue;
        }
        events.push(Entry {
            id: &e.id,
            at: e.at,
            observed_at: e.observed_at,
            actor: &e.author,
            role: e.role,
            kind: kind_name(e),
            subject: subject(e),
            action: describe(e, &release.plan),
            link: link(e, &opts.channels),
            starred: state.starred.contains(&e.id),
            duplicate_of,
            event: e,
        });
    }
    let doc = Document {
        schema: SCHEMA,
        release: &release.meta.id,
        title: &release.plan.title,
        version: &release.meta.version,
        exported_at: opts.now,
        filter: Filter {
            starred_only: opts.starred_only,
            since: opts.since,
            until: opts.until,
        },
        events,
    };
    let mut text = serde_json::to_string_pretty(&doc).wrap_err("encoding the JSON export")?;
    text.push('\n');
    Ok(text)
}

/// Reads the raw events back from a JSON export (any schema up to [`SCHEMA`]).
pub fn parse(text: &str) -> Result<Vec<Event>, String> {
    #[derive(serde::Deserialize)]
    struct Doc {
        schema: u32,
        events: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        event: Event,
    }
    let doc: Doc =
        serde_json::from_str(text).map_err(|e| format!("not a flightdeck JSON export: {e}"))?;
    if doc.schema > SCHEMA {
        return Err(format!(
            "this export uses schema {}, newer than this flightdeck reads ({SCHEMA}); upgrade flightdeck",
            doc.schema
        ));
    }
    Ok(doc.events.into_iter().map(|i| i.event).collect())
}
