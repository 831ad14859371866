//! The post-mortem table (design.md, "The post-mortem table"):
//!
//! ```text
//! | Date | Time | Action | Link |
//! | ---- | ---- | ------ | ---- |
//! | 2026-11-10 | 14:02 | conda 26.11.0 tagged on GitHub | https://github.com/conda/conda/releases/tag/26.11.0 |
//! ```
//!
//! One row per event, oldest first, in UTC, except where the row would only
//! repeat what the previous one said:
//! - a package appearing in several subdirs of one channel within the same
//!   minute is one row listing the subdirs;
//! - CI still "running" on a PR (or ref) after a new push, with nothing else
//!   seen of that CI in between, is folded into the earlier "running" row;
//! - a quiet stretch longer than the gap is one `…` row saying how long.

use super::describe::{self, describe};
use super::{ExportOptions, format_span, table_events};
use crate::checklist::Plan;
use crate::timeline::{CiState, Event, EventKind, Fact, State, Sym};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};

/// One row of the table: possibly several events said in one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The time shown: the first event's.
    pub(crate) at: DateTime<Utc>,
    /// The last event's time (for finding quiet stretches after the row).
    pub(crate) end: DateTime<Utc>,
    /// The sentence, unescaped.
    pub(crate) action: String,
    pub(crate) link: Option<String>,
    /// How many events the row stands for.
    pub events: usize,
}

/// A line of the table: a row, or a quiet stretch folded into `…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    Row(Row),
    Quiet(Duration),
}

/// The whole table for a release, as Markdown, ending with a newline.
pub(crate) fn table(plan: &Plan, state: &State, opts: &ExportOptions) -> String {
    render(&lines(plan, state, opts))
}

/// [`table`], written to `out` a row at a time, each row made harmless
/// (`export --format md` of a long release holds no copy of the whole text).
pub(crate) fn write_table(
    plan: &Plan,
    state: &State,
    opts: &ExportOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut row = String::with_capacity(256);
    row.push_str(HEAD);
    let (rows, gap) = rows(plan, state, opts);
    for line in quiet_lines(rows, gap) {
        render_line(&mut row, &line);
        out.write_all(crate::diag::harmless(&row).as_bytes())?;
        row.clear();
    }
    out.write_all(row.as_bytes())
}

/// The table's lines: rows, and `…` lines for the quiet stretches.
fn lines(plan: &Plan, state: &State, opts: &ExportOptions) -> Vec<Line> {
    let (rows, gap) = rows(plan, state, opts);
    with_quiet(rows, gap)
}

/// The table's rows, and the gap that makes a stretch between them quiet.
fn rows(plan: &Plan, state: &State, opts: &ExportOptions) -> (Vec<Row>, Option<Duration>) {
    let events = table_events(state, opts);
    let rows = fold_rows(plan, &events, opts.gap, &opts.channels);
    // With --starred the stretches between rows are omitted on purpose, not
    // quiet: a `…` row there would say something false.
    (rows, if opts.starred_only { None } else { opts.gap })
}

const HEAD: &str = "| Date | Time | Action | Link |\n| ---- | ---- | ------ | ---- |\n";

/// Renders lines as a Markdown table.
pub(crate) fn render(lines: &[Line]) -> String {
    // Sized once (a large table doubling its buffer held both copies at once).
    let size: usize = lines
        .iter()
        .map(|l| match l {
            Line::Row(r) => 32 + r.action.len() + r.link.as_ref().map_or(0, String::len),
            Line::Quiet(_) => 64,
        })
        .sum();
    let mut out = String::with_capacity(HEAD.len() + size + size / 16);
    out.push_str(HEAD);
    for line in lines {
        render_line(&mut out, line);
    }
    out
}

fn render_line(out: &mut String, line: &Line) {
    match line {
        Line::Row(r) => {
            use chrono::{Datelike, Timelike};
            // What `%Y-%m-%d | %H:%M` gives, without parsing a format per row.
            let (d, t) = (r.at.date_naive(), r.at.time());
            out.push_str("| ");
            // Years past 9999 (never a real event's) as chrono writes them: `+10000`.
            match u32::try_from(d.year()).ok().filter(|y| *y <= 9999) {
                Some(year) => push_padded(out, year, 4),
                None => out.push_str(&d.format("%Y").to_string()),
            }
            out.push('-');
            push_padded(out, d.month(), 2);
            out.push('-');
            push_padded(out, d.day(), 2);
            out.push_str(" | ");
            push_padded(out, t.hour(), 2);
            out.push(':');
            push_padded(out, t.minute(), 2);
            out.push_str(" |");
            for cell in [r.action.as_str(), r.link.as_deref().unwrap_or("")] {
                let start = out.len();
                out.push(' ');
                escape_into(out, cell);
                if out.len() > start + 1 {
                    out.push(' ');
                }
                out.push('|');
            }
            out.push('\n');
        }
        Line::Quiet(d) => {
            let text = format!("… no events for {}", format_span(*d));
            push_row(out, &["…", "…", &text, ""]);
        }
    }
}

/// `n` in decimal, zero-padded to `width` digits.
fn push_padded(out: &mut String, n: u32, width: usize) {
    let mut digits = [0u8; 10];
    let (mut n, mut i) = (n, digits.len());
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in digits.len() - i..width {
        out.push('0');
    }
    out.extend(digits[i..].iter().map(|&b| char::from(b)));
}

fn push_row(out: &mut String, cells: &[&str]) {
    out.push('|');
    for c in cells {
        out.push(' ');
        if !c.is_empty() {
            out.push_str(c);
            out.push(' ');
        }
        out.push('|');
    }
    out.push('\n');
}

/// Makes text safe for one table cell: the table keeps its four columns and
/// the text reads as written. Pipes, backslashes and backticks are escaped
/// (a backtick would open a code span that swallows the rest of the row), `<`
/// becomes `&lt;` (no HTML from a note), line breaks become `<br>`, other
/// control characters a space, and surrounding whitespace is trimmed (a
/// leading space or tab can turn a cell into code).
pub(crate) fn escape_cell(text: &str) -> String {
    let mut out = String::new();
    escape_into(&mut out, text);
    out
}

/// [`escape_cell`], appending to `out`.
fn escape_into(out: &mut String, text: &str) {
    let text = text.trim();
    // Nothing to escape (the common case, checked a byte at a time): no
    // markup, no C0 or DEL, no C1 control (`C2 80`–`C2 9F`).
    let bytes = text.as_bytes();
    let ascii_plain = |b: u8| (0x20..0x7f).contains(&b) && !matches!(b, b'\\' | b'|' | b'`' | b'<');
    let special = |(i, b): (usize, &u8)| match b {
        b'\\' | b'|' | b'`' | b'<' | 0..0x20 | 0x7f => true,
        0xc2 => bytes.get(i + 1).is_some_and(|c| (0x80..=0x9f).contains(c)),
        _ => false,
    };
    if crate::diag::all_bytes(bytes, ascii_plain) || !bytes.iter().enumerate().any(special) {
        out.push_str(text);
        return;
    }
    out.push_str(&escape_slow(text));
}

fn escape_slow(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '<' => out.push_str("&lt;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    // Control characters became spaces and may now surround the text.
    match out.trim() {
        t if t.len() == out.len() => out,
        t => t.to_string(),
    }
}

/// Turns events into rows, folding repetitive observations. `gap` bounds how
/// far apart two CI "running" observations may be and still share a row.
pub fn fold_rows(
    plan: &Plan,
    events: &[&Event],
    gap: Option<Duration>,
    channels: &BTreeMap<String, String>,
) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::with_capacity(events.len());
    let mut consumed = vec![false; events.len()];
    // Per CI subject: the row of its last observation, and that observation's state.
    let mut last_ci: HashMap<CiSubject, (usize, CiState)> = HashMap::new();
    let mut links = describe::Links::default();
    for (i, e) in events.iter().enumerate() {
        if consumed[i] {
            continue;
        }
        let fact = match &e.what {
            EventKind::Observed { fact, .. } => Some(fact),
            _ => None,
        };
        match fact {
            Some(Fact::Available {
                channel,
                package,
                version,
                subdir,
                first_seen,
                ..
            }) => {
                let minute = e.at.timestamp().div_euclid(60);
                let mut subdirs = vec![subdir.as_str()];
                let mut end = e.at;
                let mut count = 1;
                let mut seen = *first_seen;
                // Events are in time order: the same minute is a contiguous run.
                for (j, other) in events.iter().enumerate().skip(i + 1) {
                    if other.at.timestamp().div_euclid(60) != minute {
                        break;
                    }
                    if consumed[j] {
                        continue;
                    }
                    if let EventKind::Observed {
                        fact:
                            Fact::Available {
                                channel: c,
                                package: p,
                                version: v,
                                subdir: s,
                                first_seen: f,
                                ..
                            },
                        ..
                    } = &other.what
                        && (c, p, v) == (channel, package, version)
                    {
                        consumed[j] = true;
                        if !subdirs.contains(&s.as_str()) {
                            subdirs.push(s);
                        }
                        end = end.max(other.at);
                        count += 1;
                        seen = match (seen, *f) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                    }
                }
                // Event order within a minute follows random ids: sort, so every run reads the same.
                subdirs.sort_unstable();
                rows.push(Row {
                    at: e.at,
                    end,
                    action: format!(
                        "{}{}",
                        describe::available(package, version, channel, &subdirs),
                        describe::available_times(e.at, seen)
                    ),
                    link: links.of(e, channels),
                    events: count,
                });
            }
            Some(Fact::PrChecks {
                repo,
                number,
                state,
                ..
            }) => {
                push_ci(
                    &mut rows,
                    &mut last_ci,
                    CiSubject::Pr(repo.clone(), *number),
                    *state,
                    e,
                    plan,
                    gap,
                );
            }
            Some(Fact::Checks {
                repo,
                reference,
                state,
                ..
            }) => {
                push_ci(
                    &mut rows,
                    &mut last_ci,
                    CiSubject::Ref(repo.clone(), reference.clone()),
                    *state,
                    e,
                    plan,
                    gap,
                );
            }
            _ => rows.push(Row {
                at: e.at,
                end: e.at,
                action: describe(e, plan),
                link: links.of(e, channels),
                events: 1,
            }),
        }
    }
    rows
}

/// What a CI observation is about: a PR, or a ref.
#[derive(PartialEq, Eq, Hash)]
enum CiSubject {
    Pr(Sym, u64),
    Ref(Sym, Sym),
}

fn push_ci(
    rows: &mut Vec<Row>,
    last_ci: &mut HashMap<CiSubject, (usize, CiState)>,
    key: CiSubject,
    state: CiState,
    e: &Event,
    plan: &Plan,
    gap: Option<Duration>,
) {
    if state == CiState::Pending
        && let Some(&(ri, CiState::Pending)) = last_ci.get(&key)
        && let Some(row) = rows.get_mut(ri)
        && gap.is_none_or(|g| e.at - row.end <= g)
    {
        row.events += 1;
        row.end = row.end.max(e.at);
        row.action = format!("{} on {} commits", describe(e, plan), row.events);
        return;
    }
    last_ci.insert(key, (rows.len(), state));
    rows.push(Row {
        at: e.at,
        end: e.at,
        action: describe(e, plan),
        // A CI fact never names a channel, so no channel URLs are needed for its link.
        link: describe::link(e, &BTreeMap::new()),
        events: 1,
    });
}

/// Inserts a `…` line wherever nothing happened for longer than `gap`.
pub(crate) fn with_quiet(rows: Vec<Row>, gap: Option<Duration>) -> Vec<Line> {
    quiet_lines(rows, gap).collect()
}

/// [`with_quiet`], a line at a time.
fn quiet_lines(rows: Vec<Row>, gap: Option<Duration>) -> impl Iterator<Item = Line> {
    let mut busy_until: Option<DateTime<Utc>> = None;
    rows.into_iter().flat_map(move |row| {
        let quiet = match (gap, busy_until) {
            (Some(gap), Some(until)) if row.at - until > gap => Some(Line::Quiet(row.at - until)),
            _ => None,
        };
        busy_until = Some(busy_until.map_or(row.end, |b| b.max(row.end)));
        quiet.into_iter().chain(std::iter::once(Line::Row(row)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Text with nothing to escape takes the fast path and comes out as
        /// the character-by-character escape would write it.
        #[test]
        fn the_fast_path_writes_what_the_full_escape_writes(
            text in "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}|`<\\\\])*"
        ) {
            let mut fast = String::new();
            escape_into(&mut fast, &text);
            proptest::prop_assert_eq!(fast, escape_slow(text.trim()));
        }
    }

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(escape_cell("  a | b  "), "a \\| b");
        assert_eq!(
            escape_cell("line one\r\nline two\nthree"),
            "line one<br>line two<br>three"
        );
        assert_eq!(escape_cell("run `conda info`"), "run \\`conda info\\`");
        assert_eq!(escape_cell("<script>"), "&lt;script>");
        assert_eq!(escape_cell("tab\there\u{7}"), "tab here");
        assert_eq!(escape_cell("C:\\path\\|"), "C:\\\\path\\\\\\|");
        assert_eq!(escape_cell(" \n "), "");
    }

    #[test]
    fn a_folded_row_lists_its_subdirs_sorted_whatever_the_ids() {
        let text = include_str!("../../checklists/conda.toml");
        let plan = crate::checklist::Checklist::parse("conda.toml", text)
            .ok()
            .and_then(|c| c.plan("26.11.0").ok())
            .expect("the shipped checklist plans");
        let at: DateTime<Utc> = "2026-11-12T09:14:05Z".parse().expect("time");
        // Ids decide the order within a minute; they are random in real logs.
        let events: Vec<Event> = [("a", "osx-64"), ("b", "linux-64"), ("c", "noarch")]
            .into_iter()
            .map(|(id, subdir)| Event {
                v: 1,
                id: crate::timeline::EventId::from(id),
                author: "jane".into(),
                role: crate::crew::Role::Pilot,
                seq: 1,
                at,
                observed_at: at,
                link: None,
                what: EventKind::Observed {
                    probe: "channel".into(),
                    fact: Fact::Available {
                        channel: "defaults".into(),
                        package: "conda".into(),
                        version: "26.11.0".into(),
                        subdir: subdir.into(),
                        build: "0".into(),
                        file_name: "f".into(),
                        first_seen: None,
                    },
                },
            })
            .collect();
        let refs: Vec<&Event> = events.iter().collect();
        let rows = fold_rows(&plan, &refs, None, &BTreeMap::new());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].action,
            "conda 26.11.0 available on defaults (linux-64, noarch, osx-64) — uploaded 09:14"
        );
    }
}
