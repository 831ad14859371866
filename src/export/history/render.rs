//! `flightdeck history`: the figures as aligned text with a chart, Markdown or JSON.

use super::{Column, History, Soak, read};
use crate::timeline::Home;
use chrono::TimeDelta;
use color_eyre::eyre::{Result, WrapErr};
use std::fmt::Write as _;
use unicode_width::UnicodeWidthStr;

/// `flightdeck history`: reads every release under the home, never writes anything.
#[derive(Debug, clap::Args)]
pub(crate) struct HistoryArgs {
    /// How to print what past releases teach
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: HistoryFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum HistoryFormat {
    /// Aligned plain text, with a chart of tag → first bug
    Table,
    /// Markdown, to paste into an issue or a post-mortem
    Md,
    /// Stable JSON (schema 1); durations in seconds
    Json,
}

/// How the chart may draw: the terminal's width, and whether colours are welcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChartStyle {
    pub(crate) width: usize,
    pub(crate) color: bool,
}

impl ChartStyle {
    /// `COLUMNS`, else the terminal's width, else 80; colour only on a terminal,
    /// without `--no-color` or `NO_COLOR`.
    pub(crate) fn detect(no_color: bool) -> ChartStyle {
        use std::io::IsTerminal;
        let terminal = std::io::stdout().is_terminal();
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
            .or_else(|| {
                terminal
                    .then(ratatui::crossterm::terminal::size)
                    .and_then(|s| s.ok())
                    .map(|(w, _)| usize::from(w))
                    .filter(|&w| w > 0)
            })
            .unwrap_or(80);
        let no_color = no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        ChartStyle {
            width,
            color: terminal && !no_color,
        }
    }
}

/// Runs `flightdeck history`.
pub(crate) fn run(args: HistoryArgs, home: &Home, no_color: bool) -> Result<()> {
    let history = read(home)?;
    for (id, why) in &history.unreadable {
        eprintln!("warning: release {id} left out: {}", clean(why));
    }
    let text = match args.format {
        HistoryFormat::Table => {
            let style = ChartStyle::detect(no_color);
            if history.releases.is_empty() {
                format!(
                    "no releases in {}: nothing to learn from yet\n",
                    home.releases_dir().display()
                )
            } else {
                format!("{}\n{}", table(&history), chart(&history, style))
            }
        }
        HistoryFormat::Md => markdown(&history),
        HistoryFormat::Json => json(&history)?,
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Control characters become nothing: repository names come from outside.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Hours and minutes, never days, so rows compare at a glance: `31h`, `2h30m`, `45m`.
pub(crate) fn hours(d: TimeDelta) -> String {
    let sign = if d < TimeDelta::zero() { "-" } else { "" };
    let secs = d.num_seconds().unsigned_abs();
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    match (h, m) {
        (0, m) => format!("{sign}{m}m"),
        (h, 0) => format!("{sign}{h}h"),
        (h, m) => format!("{sign}{h}h{m:02}m"),
    }
}

fn cell(d: Option<TimeDelta>) -> String {
    d.map_or_else(|| "—".to_string(), hours)
}

/// The rows of the figures table: header, one per release, median, coverage.
fn rows(h: &History) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut header = vec!["release".to_string()];
    header.extend(h.columns.iter().map(Column::title));
    rows.push(header);
    for r in &h.releases {
        let mut row = vec![r.id.clone()];
        row.extend(h.columns.iter().map(|c| cell(r.value(c))));
        rows.push(row);
    }
    let mut median = vec!["median".to_string()];
    median.extend(h.medians.iter().map(|m| cell(m.value)));
    rows.push(median);
    let mut covers = vec!["of releases".to_string()];
    covers.extend(
        h.medians
            .iter()
            .map(|m| format!("{} of {}", m.covers, m.of)),
    );
    rows.push(covers);
    rows
}

const FOOTNOTE: &str = "— no figure (left out of the median) · median of an even count: the mean of the two middle values";

fn rate_lines(h: &History) -> Vec<String> {
    h.rates
        .iter()
        .map(|r| {
            let pct = match r.of {
                0 => String::new(),
                of => format!(" ({}%)", (r.filed * 100 + of / 2) / of),
            };
            format!(
                "a regression filed within {} of the tag: {} of {} releases{pct}",
                r.label, r.filed, r.of
            )
        })
        .collect()
}

/// The soak suggestion, as sentences.
pub(crate) fn soak_lines(h: &History) -> Vec<String> {
    let tagged = h.releases.iter().filter(|r| r.tagged_at.is_some()).count();
    let Some(s) = &h.soak else {
        let gate = match &h.gate {
            Some((step, soak)) => format!(
                "nothing suggests changing the checklist's {} soak (step `{step}`)",
                hours(*soak)
            ),
            None => "nothing to suggest for an all-clear soak".to_string(),
        };
        return vec![match tagged {
            0 => "no release has been tagged yet: nothing to learn about regressions".to_string(),
            1 => format!("no regression was filed after the tag of the one tagged release: {gate}"),
            n => format!(
                "no regression was filed after the tag in any of the {n} tagged releases: {gate}"
            ),
        }];
    };
    let mut out = vec![first_soak_line(s)];
    out.push(match &s.gate {
        Some((step, soak, caught)) => {
            let verdict = if *soak >= s.suggested {
                "long enough".to_string()
            } else {
                format!("suggested: soak = \"{}\"", hours(s.suggested))
            };
            let caught = match (s.considered, caught) {
                (1, 1) => "it would have caught it".to_string(),
                (1, _) => "it would have missed it".to_string(),
                (n, c) => format!("it would have caught the first regression in {c} of those {n}"),
            };
            format!(
                "the checklist's soak (step `{step}`) is {}: counted from the tag, {caught}; {verdict}",
                hours(*soak)
            )
        }
        None => format!(
            "the checklist has no soak gate: to wait before the all-clear, give that step gate = {{ soak = \"{}\" }}",
            hours(s.suggested)
        ),
    });
    out
}

fn first_soak_line(s: &Soak) -> String {
    if s.considered == 1 {
        return format!(
            "in the one release that had a regression, it came {} after the tag: a {} soak would have caught it",
            hours(s.within),
            hours(s.suggested)
        );
    }
    format!(
        "in {} of the last {} releases that had a regression, the first came within {}: a {} soak would have caught it",
        s.covered,
        s.considered,
        hours(s.within),
        hours(s.suggested)
    )
}

/// Aligned plain text: the figures, the rates, the soak suggestion.
pub(crate) fn table(h: &History) -> String {
    let rows = rows(h);
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].width()).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "What {} release{} teach (the sources' times; first package of each checklist)\n\n",
        h.releases.len(),
        if h.releases.len() == 1 { "" } else { "s" }
    );
    for (i, row) in rows.iter().enumerate() {
        if i == rows.len() - 2 {
            out.push('\n');
        }
        let mut line = String::new();
        for (c, text) in row.iter().enumerate() {
            if c == 0 {
                line.push_str(text);
                line.push_str(&" ".repeat(widths[c] - text.width()));
            } else {
                // Durations read best right-aligned.
                line.push_str("  ");
                line.push_str(&" ".repeat(widths[c] - text.width()));
                line.push_str(text);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let _ = writeln!(out, "{FOOTNOTE}\n");
    for line in rate_lines(h) {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    for line in soak_lines(h) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// Chart steps, in minutes: a bar's cell is the first that fits.
const STEPS: [i64; 16] = [
    1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 10_080,
];

/// A horizontal bar per release: how long after the tag its first bug came,
/// with the checklist's soak marked `|`.
pub(crate) fn chart(h: &History, style: ChartStyle) -> String {
    let rows: Vec<(&str, Option<TimeDelta>, String)> = h
        .releases
        .iter()
        .map(|r| {
            let after = r.first_bug.as_ref().map(|b| b.after_tag);
            let label = match (r.tagged_at, after) {
                (None, _) => "not tagged".to_string(),
                (Some(_), None) => "none filed".to_string(),
                (Some(_), Some(d)) => hours(d),
            };
            (r.id.as_str(), after, label)
        })
        .collect();
    let soak = h.gate.as_ref().map(|(_, s)| *s);
    let longest = rows
        .iter()
        .filter_map(|r| r.1)
        .chain(soak)
        .max()
        .unwrap_or(TimeDelta::zero());
    let name_w = rows.iter().map(|r| r.0.width()).max().unwrap_or(0);
    let value_w = rows.iter().map(|r| r.2.width()).max().unwrap_or(0);
    // The bars get what the names and values leave, one more for the soak mark.
    let room = style
        .width
        .saturating_sub(name_w + value_w + 4)
        .clamp(10, 60);
    let minutes = longest.num_minutes().max(1);
    let cells_max = i64::try_from(room).unwrap_or(i64::MAX);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| minutes / s + i64::from(minutes % s != 0) <= cells_max)
        .unwrap_or_else(|| minutes / cells_max + 1);
    let cells = |d: TimeDelta| -> usize {
        let m = d.num_minutes().max(0);
        usize::try_from(m / step + i64::from(m % step != 0))
            .unwrap_or(room)
            .min(room)
    };
    let mark = soak.map(cells);
    let each = hours(TimeDelta::minutes(step));
    let title = match (&h.gate, mark) {
        (Some((step_id, s)), Some(_)) => [
            format!(
                "tag → first bug (# = {each}; | = the {} soak of step `{step_id}`)",
                hours(*s)
            ),
            format!("tag → bug, # = {each}, | = {} soak", hours(*s)),
        ],
        _ => [
            format!("tag → first bug (# = {each}; the checklist has no soak gate)"),
            format!("tag → bug, # = {each}"),
        ],
    };
    let [long, short] = title;
    let mut out = if long.width() <= style.width {
        long
    } else {
        short
    };
    out.push('\n');
    for (name, after, label) in &rows {
        let n = after.map_or(0, cells);
        let late = match (after, soak) {
            (Some(a), Some(s)) => *a > s,
            _ => false,
        };
        let mut bar = String::new();
        let width = mark.map_or(room, |m| room.max(m + 1));
        let mut run = String::new();
        for i in 0..width {
            let c = if Some(i) == mark {
                '|'
            } else if i < n {
                '#'
            } else {
                ' '
            };
            if c == '#' {
                run.push(c);
                continue;
            }
            flush(&mut bar, &mut run, style.color, late);
            bar.push(c);
        }
        flush(&mut bar, &mut run, style.color, late);
        let line = format!(
            "{name}{}  {}  {label}",
            " ".repeat(name_w - name.width()),
            bar.trim_end()
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// Writes a run of bar cells, green when the soak caught the bug, red when it came later.
fn flush(bar: &mut String, run: &mut String, color: bool, late: bool) {
    if run.is_empty() {
        return;
    }
    if color {
        let code = if late { "31" } else { "32" };
        let _ = write!(bar, "\x1b[{code}m{run}\x1b[0m");
    } else {
        bar.push_str(run);
    }
    run.clear();
}

fn md_cell(s: &str) -> String {
    clean(s).replace('\\', "\\\\").replace('|', "\\|")
}

/// Markdown: the same figures, the rates and the suggestion.
pub(crate) fn markdown(h: &History) -> String {
    let mut out = String::from("## What past releases teach\n\n");
    if h.releases.is_empty() {
        out.push_str("_No releases yet._\n");
        return out;
    }
    let rows = rows(h);
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let s = md_cell(s);
                // The median and coverage rows stand out from the releases.
                if i + 2 >= rows.len() && c == 0 {
                    format!("**{s}**")
                } else {
                    s
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        if i == 0 {
            let _ = writeln!(out, "|{}", " --- |".repeat(row.len()));
        }
    }
    let _ = writeln!(out, "\n{FOOTNOTE}.\n");
    for line in rate_lines(h) {
        let _ = writeln!(out, "- {line}");
    }
    out.push_str("\n**All-clear soak.** ");
    out.push_str(&soak_lines(h).join(". "));
    out.push_str(".\n");
    let bugs: Vec<_> = h
        .releases
        .iter()
        .filter_map(|r| r.first_bug.as_ref().map(|b| (r, b)))
        .collect();
    if !bugs.is_empty() {
        out.push_str("\nFirst bug after each tag:\n\n");
    }
    for (r, b) in bugs {
        let _ = writeln!(
            out,
            "- {}: {}#{} filed {}, {} after the tag",
            md_cell(&r.id),
            md_cell(&b.repo),
            b.number,
            b.at.format("%Y-%m-%d %H:%M UTC"),
            hours(b.after_tag)
        );
    }
    out
}

fn secs(d: Option<TimeDelta>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| d.num_seconds().into())
}

/// Stable JSON, schema 1: every duration in seconds, `null` when missing.
pub(crate) fn json(h: &History) -> Result<String> {
    use serde_json::json;
    let releases: Vec<serde_json::Value> = h
        .releases
        .iter()
        .map(|r| {
            let figures: serde_json::Map<String, serde_json::Value> = h
                .columns
                .iter()
                .map(|c| (c.key(), secs(r.value(c))))
                .collect();
            let prs: serde_json::Map<String, serde_json::Value> = r
                .prs
                .iter()
                .map(|(org, pr)| {
                    let v = pr.as_ref().map_or(serde_json::Value::Null, |p| {
                        json!({
                            "repo": clean(&p.repo),
                            "number": p.number,
                            "opened_at": p.opened_at,
                            "merged_at": p.merged_at,
                        })
                    });
                    (org.clone(), v)
                })
                .collect();
            json!({
                "id": r.id,
                "name": r.name,
                "version": r.version,
                "started_at": r.started_at,
                "tagged_at": r.tagged_at,
                "watched_until": r.watched_until,
                "seconds": figures,
                "feedstock_prs": prs,
                "first_bug": r.first_bug.as_ref().map(|b| json!({
                    "repo": clean(&b.repo),
                    "number": b.number,
                    "at": b.at,
                    "after_tag": b.after_tag.num_seconds(),
                })),
            })
        })
        .collect();
    let medians: serde_json::Map<String, serde_json::Value> = h
        .columns
        .iter()
        .zip(&h.medians)
        .map(|(c, m)| {
            (
                c.key(),
                json!({ "seconds": secs(m.value), "releases": m.covers, "of": m.of }),
            )
        })
        .collect();
    let rates: Vec<serde_json::Value> = h
        .rates
        .iter()
        .map(|r| {
            json!({
                "within": r.label,
                "seconds": r.horizon.num_seconds(),
                "releases": r.filed,
                "of": r.of,
            })
        })
        .collect();
    let soak = h.soak.as_ref().map(|s| {
        json!({
            "considered": s.considered,
            "covered": s.covered,
            "within": s.within.num_seconds(),
            "suggested": s.suggested.num_seconds(),
            "gate": s.gate.as_ref().map(|(step, soak, caught)| json!({
                "step": step,
                "soak": soak.num_seconds(),
                "caught": caught,
            })),
        })
    });
    let doc = json!({
        "schema": 1,
        "median_of_even_count": "mean of the two middle values, rounded down to the second",
        "columns": h.columns.iter().map(|c| json!({ "key": c.key(), "title": c.title() })).collect::<Vec<_>>(),
        "releases": releases,
        "medians": medians,
        "regression_within": rates,
        "soak": soak,
        "advice": soak_lines(h),
        "unreadable": h.unreadable.iter().map(|(id, _)| id).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).wrap_err("encoding history as JSON")?;
    text.push('\n');
    Ok(text)
}
