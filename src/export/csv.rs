//! CSV export (RFC 4180): a header, then one row per event of the table
//! (no folding: spreadsheets sort and filter for themselves), CRLF line endings.
//!
//! Columns: `date,time,at,observed_at,actor,kind,action,link`
//! - `date`, `time`: `at` in UTC as `YYYY-MM-DD` and `HH:MM`, as in the Markdown table;
//! - `at`, `observed_at`: RFC 3339 in UTC (the source's time, and when flightdeck saw it);
//! - `actor`: who recorded the event (a GitHub login when known);
//! - `kind`: [`super::kind_name`], e.g. `step_done`, `observed.available`;
//! - `action`: [`super::describe`]'s sentence; `link`: [`super::link`].

use super::describe::{describe, kind_name, link};
use super::{ExportOptions, table_events};
use crate::checklist::Plan;
use crate::timeline::State;
use chrono::SecondsFormat;
use std::borrow::Cow;

/// The column names, in order.
pub(crate) const HEADER: [&str; 8] = [
    "date",
    "time",
    "at",
    "observed_at",
    "actor",
    "kind",
    "action",
    "link",
];

/// The CSV export of a release's timeline.
pub(crate) fn csv(plan: &Plan, state: &State, opts: &ExportOptions) -> String {
    let events = table_events(state, opts);
    let mut out = String::with_capacity(64 + events.len() * 160);
    push_record(&mut out, &HEADER);
    for e in events {
        let date = e.at.format("%Y-%m-%d").to_string();
        let time = e.at.format("%H:%M").to_string();
        let at = e.at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let observed = e.observed_at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let action = describe(e, plan);
        let link = link(e, &opts.channels).unwrap_or_default();
        push_record(
            &mut out,
            &[
                &date,
                &time,
                &at,
                &observed,
                &e.author,
                kind_name(e),
                &action,
                &link,
            ],
        );
    }
    out
}

fn push_record(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(f));
    }
    out.push_str("\r\n");
}

/// Quotes a field when it holds a comma, a quote, CR or LF, doubling quotes (RFC 4180, 2.6–2.7).
pub(crate) fn field(text: &str) -> Cow<'_, str> {
    // Text from outside: no control character reaches a spreadsheet or a terminal.
    let text = super::sanitize::harmless(text);
    if text.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }
}
