//! Timeline exports: Markdown table, CSV, JSON, and the post-mortem document.
//!
//! Every export is a pure function of the release (its plan and metadata), the
//! folded [`State`] and the [`ExportOptions`]: it never touches the log, so it
//! works the same on a running, finished or aborted release, and the cockpit
//! and `flightdeck export` produce the same bytes.
//!
//! | format | rows | folding |
//! |---|---|---|
//! | [`Format::Md`] | `\| Date \| Time \| Action \| Link \|`, UTC, oldest first | yes: subdirs appearing in the same minute, repeated CI "running", quiet stretches (`…`) |
//! | [`Format::Csv`] | RFC 4180, one row per event | no |
//! | [`Format::Json`] | every event exactly once, with its raw record ([`json`] documents the schema) | no |
//! | [`Format::Postmortem`] | a whole Markdown document around the table, with key durations | as Markdown |
//!
//! What a table shows: the timeline as the cockpit shows it (the same fact seen
//! by two crew members appears once), without star bookkeeping. Stars decide
//! what `--starred` keeps; they are not rows of their own. JSON keeps
//! everything, duplicates and stars included, because it is the lossless export.

pub(crate) mod csv;
pub mod describe;
pub(crate) mod history;
pub mod json;
pub mod markdown;
pub(crate) mod postmortem;
pub mod redact;
pub(crate) mod sanitize;
pub(crate) mod tracking;

pub use describe::{Actor, describe, describe_fact, kind_name, link, sentence, subject};

use crate::timeline::{Event, EventKind, Release, State};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use color_eyre::eyre::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// The post-mortem table: `| Date | Time | Action | Link |`.
    #[value(alias = "markdown")]
    Md,
    /// RFC 4180 CSV with CRLF line endings.
    Csv,
    /// Versioned JSON: every event once, with its raw record (schema 1).
    Json,
    /// A whole post-mortem document: crew, summary, timeline, key durations.
    #[value(alias = "post-mortem")]
    Postmortem,
}

impl Format {
    /// The file name an export of `release_id` gets by default.
    pub(crate) fn file_name(self, release_id: &str) -> String {
        match self {
            Format::Md => format!("{release_id}-timeline.md"),
            Format::Csv => format!("{release_id}-timeline.csv"),
            Format::Json => format!("{release_id}-timeline.json"),
            Format::Postmortem => format!("{release_id}-postmortem.md"),
        }
    }

    /// The name users type (`md`, `csv`, `json`, `postmortem`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Postmortem => "postmortem",
        }
    }
}

/// The default quiet stretch after which the Markdown table shows a `…` row.
pub(crate) const DEFAULT_GAP: Duration = Duration::hours(6);

/// What to export and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    pub format: Format,
    /// Only events starred in the cockpit.
    pub starred_only: bool,
    /// Only events at or after this time (`at`, the source's time).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time (exclusive; see [`parse_until`]).
    pub until: Option<DateTime<Utc>>,
    /// Quiet stretches longer than this become one `…` row in Markdown tables;
    /// `None` never folds them.
    pub gap: Option<Duration>,
    /// When the export is made: recorded in JSON, and the end of "so far" for a running release.
    pub now: DateTime<Utc>,
    /// Channel URLs by name (`--channel NAME=URL`, the config's `[channels]`), for links
    /// to packages whose event recorded none.
    pub channels: BTreeMap<String, String>,
}

impl ExportOptions {
    /// Everything, with the default gap.
    pub fn new(format: Format, now: DateTime<Utc>) -> ExportOptions {
        ExportOptions {
            format,
            starred_only: false,
            since: None,
            until: None,
            gap: Some(DEFAULT_GAP),
            now,
            channels: BTreeMap::new(),
        }
    }

    /// Whether an event passes the `--starred`, `--since` and `--until` filters.
    pub(crate) fn keeps(&self, event: &Event, state: &State) -> bool {
        (!self.starred_only || state.starred.contains(&event.id))
            && self.since.is_none_or(|s| event.at >= s)
            && self.until.is_none_or(|u| event.at < u)
    }
}

/// Exports a release's timeline. `state` is `release.state()?`.
pub fn export(release: &Release, state: &State, opts: &ExportOptions) -> Result<String> {
    let text = match opts.format {
        Format::Md => markdown::table(&release.plan, state, opts),
        // CSV ends its lines with CR LF: its fields are made harmless one by one.
        Format::Csv => return Ok(csv::csv(&release.plan, state, opts)),
        // JSON escapes every control character itself (`\u001b`): it stays lossless.
        Format::Json => return json::json(release, state, opts),
        Format::Postmortem => postmortem::document(release, state, opts),
    };
    // Crew names, notes and titles reach these documents from outside; an export is
    // read in a terminal (`cat`, a pager) as often as in an editor.
    Ok(match sanitize::harmless(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(safe) => safe,
    })
}

/// [`export`], written to `out`: a Markdown table a row at a time, so that a
/// long release's table is never held whole in memory.
pub fn export_to(
    release: &Release,
    state: &State,
    opts: &ExportOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match opts.format {
        Format::Md => markdown::write_table(&release.plan, state, opts, out),
        _ => {
            let text = export(release, state, opts).map_err(std::io::Error::other)?;
            out.write_all(text.as_bytes())
        }
    }
}

/// Where the cockpit writes an export: inside the release's directory, named
/// after the release so a copied file still says what it is.
pub fn default_path(release: &Release, format: Format) -> PathBuf {
    release.dir.join(format.file_name(&release.meta.id))
}

/// The events a table (Markdown, CSV, post-mortem) shows, in timeline order:
/// the deduplicated timeline, without star bookkeeping, filtered.
pub(crate) fn table_events<'a>(state: &'a State, opts: &ExportOptions) -> Vec<&'a Event> {
    state
        .timeline
        .iter()
        .filter_map(|&i| state.events.get(i).map(|e| &**e))
        .filter(|e| {
            !matches!(
                e.what,
                EventKind::Starred { .. } | EventKind::Unstarred { .. }
            )
        })
        .filter(|e| opts.keeps(e, state))
        .collect()
}

const TIME_HINT: &str =
    "use RFC 3339 (2026-11-10T14:02:00Z), YYYY-MM-DD or \"YYYY-MM-DD HH:MM\" (UTC)";

/// A time as written on the command line, with the stretch it names: a bare
/// date names a day, `YYYY-MM-DD HH:MM` a minute, RFC 3339 an instant.
/// Returns (start, end), end exclusive (equal to start for an instant).
fn parse_period(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let t = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(t) {
        let instant = instant.with_timezone(&Utc);
        return Ok((instant, instant));
    }
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let start = day.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
        let end = day
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc());
        if let (Some(start), Some(end)) = (start, end) {
            return Ok((start, end));
        }
    }
    for pattern in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(minute) = NaiveDateTime::parse_from_str(t, pattern) {
            let start = minute.and_utc();
            let end = start
                .checked_add_signed(Duration::minutes(1))
                .unwrap_or(start);
            return Ok((start, end));
        }
    }
    Err(format!("`{text}` is not a time: {TIME_HINT}"))
}

/// Parses `--since`: events from the start of the day, minute or instant named.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    parse_period(text).map(|(start, _)| start)
}

/// Parses `--until`: events up to the end of the day or minute named (so
/// `--until 2026-11-10` keeps all of that day), or before the instant named.
/// Returns the exclusive end.
pub fn parse_until(text: &str) -> Result<DateTime<Utc>, String> {
    parse_period(text).map(|(_, end)| end)
}

/// Formats a duration for people: `2d 3h 5m`, `45m`, `30s`; negative with a `-`.
pub(crate) fn format_span(d: Duration) -> String {
    let negative = d < Duration::zero();
    let secs = d.num_seconds().unsigned_abs();
    let (days, hours, minutes) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if minutes > 0 {
        parts.push(format!("{minutes}m"));
    }
    if parts.is_empty() {
        parts.push(format!("{secs}s"));
    }
    let text = parts.join(" ");
    if negative { format!("-{text}") } else { text }
}

/// `2026-11-10 14:02 UTC`
pub(crate) fn fmt_minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn times_name_days_minutes_or_instants() {
        assert_eq!(parse_since("2026-11-10"), Ok(at("2026-11-10T00:00:00Z")));
        assert_eq!(parse_until("2026-11-10"), Ok(at("2026-11-11T00:00:00Z")));
        assert_eq!(
            parse_since("2026-11-10 14:02"),
            Ok(at("2026-11-10T14:02:00Z"))
        );
        assert_eq!(
            parse_until("2026-11-10 14:02"),
            Ok(at("2026-11-10T14:03:00Z"))
        );
        assert_eq!(
            parse_since("2026-11-10T16:02:00+02:00"),
            Ok(at("2026-11-10T14:02:00Z"))
        );
        assert_eq!(
            parse_until("2026-11-10T14:02:00Z"),
            Ok(at("2026-11-10T14:02:00Z"))
        );
        assert_eq!(parse_until("2026-12-31"), Ok(at("2027-01-01T00:00:00Z")));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-11-10 25:00",
            "10/11/2026",
            "+999999-01-01",
        ] {
            let err = parse_since(bad).expect_err(bad);
            assert!(err.contains("RFC 3339"), "{err}");
        }
    }

    #[test]
    fn spans_read_like_a_person_wrote_them() {
        assert_eq!(format_span(Duration::seconds(0)), "0s");
        assert_eq!(format_span(Duration::seconds(42)), "42s");
        assert_eq!(format_span(Duration::minutes(125)), "2h 5m");
        assert_eq!(format_span(Duration::hours(50)), "2d 2h");
        assert_eq!(format_span(Duration::minutes(-90)), "-1h 30m");
        assert_eq!(format_span(Duration::MAX), "106751991167d 7h 12m");
    }
}
