//! The post-mortem document: everything the crew can know from the timeline,
//! and headed blanks for what only people can write.
//!
//! Sections: title and crew, Summary (one generated line), Impact (bugs and
//! alarms from the timeline), Timeline (the Markdown table), Key durations
//! (computed), Mitigation and Recommendations (to fill in).
//!
//! The key durations always come from the whole timeline; `--starred`,
//! `--since` and `--until` only narrow the table.

use super::describe::{describe, link, step_title};
use super::markdown::{escape_cell, fold_rows, render, with_quiet};
use super::{ExportOptions, fmt_minute, format_span, table_events};
use crate::checklist::{Package, Plan};
use crate::crew::Role;
use crate::timeline::{Event, EventKind, Fact, Milestones, Outcome, Release, State};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// The whole document, Markdown, ending with a newline.
pub(crate) fn document(release: &Release, state: &State, opts: &ExportOptions) -> String {
    let plan = &release.plan;
    let mut out = String::new();
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "# Post-mortem: {}\n", escape_cell(&plan.title));
    let _ = writeln!(out, "- **Release:** {}", escape_cell(&release.meta.id));
    let _ = writeln!(
        out,
        "- **Checklist:** {}",
        escape_cell(&release.meta.checklist_source)
    );
    let _ = writeln!(out, "- **Outcome:** {}", outcome_line(state, opts));
    let (pilots, copilots, jump_seat) = crew(release, state);
    let _ = writeln!(out, "- **Pilot:** {}", names(&pilots));
    let _ = writeln!(out, "- **Co-pilot:** {}", names(&copilots));
    let _ = writeln!(out, "- **Jump seat:** {}", names(&jump_seat));

    let _ = writeln!(out, "\n## Summary\n\n{}\n", summary(release, state, opts));
    out.push_str("_To fill in: what happened, in two or three sentences._\n");

    out.push_str("\n## Impact\n\n_To fill in: who was affected, how, and for how long._\n");
    impact(&mut out, plan, state, opts);

    out.push_str("\n## Timeline\n\n");
    out.push_str(&filter_note(opts));
    let events = table_events(state, opts);
    if events.is_empty() {
        out.push_str("_No events match the filter._\n");
    } else {
        let gap = if opts.starred_only { None } else { opts.gap };
        out.push_str(&render(&with_quiet(
            fold_rows(plan, &events, opts.gap, &opts.channels),
            gap,
        )));
    }

    out.push_str("\n## Key durations\n\n");
    out.push_str("Computed from the whole timeline (the source's times, UTC).\n\n");
    out.push_str("| Interval | Duration | Details |\n| -------- | -------- | ------- |\n");
    for m in key_durations(release, state) {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            escape_cell(&m.label),
            escape_cell(&m.duration),
            escape_cell(&m.details)
        );
    }

    out.push_str("\n## Mitigation\n\n_To fill in: what was done to limit the impact, and when._\n");
    out.push_str(
        "\n## Recommendations\n\n_To fill in: what to change so that it does not happen again; link the follow-up issues._\n",
    );
    out
}

fn outcome_line(state: &State, opts: &ExportOptions) -> String {
    match &state.closed {
        Some((outcome, s)) => {
            let word = match outcome {
                Outcome::Shipped => "shipped",
                Outcome::Aborted => "aborted",
                Outcome::RolledBack => "rolled back",
            };
            format!("{word} {} by @{}", fmt_minute(s.at), escape_cell(&s.by))
        }
        None => format!("in progress (as of {})", fmt_minute(opts.now)),
    }
}

/// (pilots, co-pilots, jump seat): the release's creator is its pilot; then
/// everyone who wrote an event, by the seat they wrote it from, in order of appearance.
fn crew(release: &Release, state: &State) -> (Vec<String>, Vec<String>, Vec<String>) {
    if state.roster.is_some() {
        return rostered(state);
    }
    let (mut pilots, mut copilots, mut jump_seat) = (
        vec![release.meta.created_by.clone()],
        Vec::new(),
        Vec::new(),
    );
    for e in &state.events {
        let seat = match e.role {
            Role::Pilot => &mut pilots,
            Role::Copilot => &mut copilots,
            Role::JumpSeat => &mut jump_seat,
        };
        if !seat.iter().any(|s| *s == e.author) {
            seat.push(e.author.to_string());
        }
    }
    (pilots, copilots, jump_seat)
}

/// Everyone who held each seat, from the roster and its handovers, in order.
fn rostered(state: &State) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut pilots, mut copilots, mut jump_seat) = (Vec::new(), Vec::new(), Vec::new());
    let add = |seat: &mut Vec<String>, who: &str| {
        if !seat.iter().any(|s| s == who) {
            seat.push(who.to_string());
        }
    };
    for &i in &state.crew_changes {
        let e = &state.events[i];
        match &e.what {
            EventKind::CrewAssigned {
                pilot,
                copilot,
                jump_seat: j,
            } => {
                add(&mut pilots, pilot);
                if let Some(c) = copilot {
                    add(&mut copilots, c);
                }
                if let Some(j) = j {
                    add(&mut jump_seat, j);
                }
            }
            EventKind::Handover { to } => {
                add(&mut pilots, to);
                add(&mut copilots, &e.author);
            }
            _ => {}
        }
    }
    (pilots, copilots, jump_seat)
}

fn names(people: &[String]) -> String {
    if people.is_empty() {
        return "none recorded".to_string();
    }
    people
        .iter()
        .map(|p| format!("@{}", escape_cell(p)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bugs(state: &State) -> Vec<&Event> {
    timeline(state)
        .filter(|e| {
            matches!(
                &e.what,
                EventKind::Observed {
                    fact: Fact::IssueFiled { .. },
                    ..
                }
            )
        })
        .collect()
}

/// The deduplicated timeline, unfiltered.
fn timeline(state: &State) -> impl Iterator<Item = &Event> {
    state
        .timeline
        .iter()
        .filter_map(|&i| state.events.get(i).map(|e| &**e))
}

/// The one generated line: outcome, duration, progress, bugs filed.
fn summary(release: &Release, state: &State, opts: &ExportOptions) -> String {
    let mut out = summary_line(release, state, opts);
    if let Some(joined) = late_join(release, state) {
        let _ = write!(out, " {joined}");
    }
    for f in findings(state) {
        let _ = write!(out, " Channel skew: {f}.");
    }
    out
}

fn summary_line(release: &Release, state: &State, opts: &ExportOptions) -> String {
    let title = escape_cell(&release.plan.title);
    let start = state
        .started
        .as_ref()
        .map_or(release.meta.created_at, |s| s.at);
    let (done, total) = state.progress();
    let bugs = match bugs(state).len() {
        0 => "no bugs filed".to_string(),
        1 => "1 bug filed".to_string(),
        n => format!("{n} bugs filed"),
    };
    match &state.closed {
        Some((outcome, s)) => {
            let verb = match outcome {
                Outcome::Shipped => "shipped in",
                Outcome::RolledBack => "was rolled back after",
                Outcome::Aborted => "was aborted after",
            };
            let reason = state
                .event(&s.event)
                .and_then(|e| match &e.what {
                    EventKind::ReleaseClosed {
                        reason: Some(r), ..
                    } if !r.trim().is_empty() => Some(format!(" ({})", escape_cell(r))),
                    _ => None,
                })
                .unwrap_or_default();
            format!(
                "{title} {verb} {}{reason}, from {} to {}; {done} of {total} steps complete; {bugs}.",
                format_span(s.at - start),
                fmt_minute(start),
                fmt_minute(s.at)
            )
        }
        None => format!(
            "{title} is in progress: started {}, {} ago; {done} of {total} steps complete so far; {bugs}.",
            fmt_minute(start),
            format_span(opts.now - start)
        ),
    }
}

fn impact(out: &mut String, plan: &Plan, state: &State, opts: &ExportOptions) {
    let bugs = bugs(state);
    if !bugs.is_empty() {
        out.push_str("\nBugs filed during the release:\n\n");
        for e in bugs {
            bullet(out, e, plan, opts);
        }
    }
    let alarms: Vec<&Event> = timeline(state)
        .filter(|e| match &e.what {
            EventKind::Observed { fact, .. } => {
                fact.is_alarm() && !matches!(fact, Fact::IssueFiled { .. })
            }
            _ => false,
        })
        .collect();
    if !alarms.is_empty() {
        out.push_str("\nAlarms recorded during the release:\n\n");
        for e in alarms {
            bullet(out, e, plan, opts);
        }
    }
    let findings = findings(state);
    if !findings.is_empty() {
        out.push_str("\nFindings:\n\n");
        for f in findings {
            let _ = writeln!(out, "- Channel skew: {}", escape_cell(&f));
        }
    }
}

/// How far the timeline reaches: when the release closed, else the last
/// observation recorded — never the reader's wall clock, so an old release
/// reads the same next year.
fn measured_until(state: &State) -> Option<DateTime<Utc>> {
    state
        .closed
        .as_ref()
        .map(|(_, c)| c.at)
        .or_else(|| state.events.iter().map(|e| e.observed_at).max())
}

/// Open-ended channel skew at the end of the timeline: "defaults ahead of
/// conda-forge by ≥ 5d; conda-forge: not yet (as of …)".
fn findings(state: &State) -> Vec<String> {
    let Some(until) = measured_until(state) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (package, channels) in &state.availability {
        for skew in crate::timeline::availability::channel_skew(
            channels,
            until,
            crate::timeline::availability::SKEW_THRESHOLD,
        ) {
            out.push(format!(
                "{package} on {} ahead of {} by ≥ {}; {}: not yet (as of {})",
                skew.ahead,
                skew.behind,
                format_span(skew.lag),
                skew.behind,
                fmt_minute(until)
            ));
        }
    }
    out
}

/// The release's first public moment: its earliest tag or published GitHub release.
fn first_public(state: &State) -> Option<Point> {
    let m = &state.milestones;
    let tag = m.tags.iter().map(|t| (t.at, format!("{} tagged", t.tag)));
    let published = m
        .published
        .iter()
        .map(|t| (t.at, format!("{} published", t.tag)));
    tag.chain(published)
        .min_by_key(|(at, _)| *at)
        .map(|(at, what)| Point { at, what })
}

/// Set when the release was started in flightdeck after it went public: a
/// late joiner (or a reconstruction), whose durations count from the first
/// public moment instead.
fn late_join(release: &Release, state: &State) -> Option<String> {
    let start = started_at(release, state);
    let public = first_public(state)?;
    (start > public.at).then(|| {
        format!(
            "Followed in flightdeck from {}, {} after it went public ({}, {}): a late joiner.",
            fmt_minute(start),
            format_span(start - public.at),
            public.what,
            fmt_minute(public.at)
        )
    })
}

fn started_at(release: &Release, state: &State) -> DateTime<Utc> {
    state
        .started
        .as_ref()
        .map_or(release.meta.created_at, |s| s.at)
}

fn bullet(out: &mut String, e: &Event, plan: &Plan, opts: &ExportOptions) {
    let link = link(e, &opts.channels)
        .map(|l| format!(" — {}", escape_cell(&l)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "- {}: {}{link}",
        fmt_minute(e.at),
        escape_cell(&describe(e, plan))
    );
}

fn filter_note(opts: &ExportOptions) -> String {
    let mut parts = Vec::new();
    if opts.starred_only {
        parts.push("only starred events".to_string());
    }
    if let Some(s) = opts.since {
        parts.push(format!("from {}", fmt_minute(s)));
    }
    if let Some(u) = opts.until {
        parts.push(format!("before {}", fmt_minute(u)));
    }
    if parts.is_empty() {
        "All times UTC.\n\n".to_string()
    } else {
        format!("All times UTC; {}.\n\n", parts.join(", "))
    }
}

/// One line of the key durations table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Measure {
    pub(crate) label: String,
    /// `2h 5m`, `not yet`, or `n/a`.
    pub(crate) duration: String,
    /// The two endpoints, or why there is no duration.
    pub(crate) details: String,
}

impl Measure {
    fn between(label: String, from: Result<Point, String>, to: Result<Point, String>) -> Measure {
        match (from, to) {
            (Ok(a), Ok(b)) => Measure {
                label,
                duration: format_span(b.at - a.at),
                details: format!(
                    "{} ({}) → {} ({})",
                    fmt_minute(a.at),
                    a.what,
                    fmt_minute(b.at),
                    b.what
                ),
            },
            (from, to) => Measure {
                label,
                duration: "n/a".to_string(),
                details: reasons(from, to),
            },
        }
    }
}

/// Why a duration is missing: every missing endpoint, so the reader sees all that is left to happen.
fn reasons(a: Result<Point, String>, b: Result<Point, String>) -> String {
    [a.err(), b.err()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
}

/// An endpoint of a duration: when, and what happened then.
#[derive(Debug, Clone)]
struct Point {
    at: DateTime<Utc>,
    what: String,
}

/// The key durations: start → tag, tag → each channel, feedstock merge →
/// availability per channel, the skew between defaults and conda-forge, and
/// start → all-clear. Rows are per package when the plan releases several.
pub(crate) fn key_durations(release: &Release, state: &State) -> Vec<Measure> {
    let plan = &release.plan;
    let facts = &state.milestones;
    let started = Point {
        at: started_at(release, state),
        what: "release started".to_string(),
    };
    // A late joiner's clock starts at the first public moment, not at `start`.
    let origin = match first_public(state) {
        Some(p) if p.at < started.at => p,
        _ => started.clone(),
    };
    let start = || -> Result<Point, String> { Ok(started.clone()) };
    let mut out = Vec::new();
    let several = plan.packages.len() > 1;
    let mut tagged_repos: Vec<&str> = Vec::new();
    for p in &plan.packages {
        let prefix = if several {
            format!("{}: ", p.name)
        } else {
            String::new()
        };
        let tag = first_tag(facts, p, &plan.version.full);
        // Packages from one repository share one tag: measure it once.
        if !tagged_repos.iter().any(|r| r.eq_ignore_ascii_case(&p.repo)) {
            tagged_repos.push(&p.repo);
            let label = format!("{prefix}Start → tag");
            out.push(match &tag {
                Ok(t) if t.at < started.at => Measure {
                    label,
                    duration: "n/a".to_string(),
                    details: format!(
                        "started after the tag (late joiner): {} ({}), started {}",
                        fmt_minute(t.at),
                        t.what,
                        fmt_minute(started.at)
                    ),
                },
                _ => Measure::between(label, start(), tag.clone()),
            });
        }
        let channels = ordered_channels(p);
        for ch in &channels {
            out.push(Measure::between(
                format!("{prefix}Tag → available on {ch}"),
                tag.clone(),
                first_available(facts, p, ch),
            ));
        }
        for ch in &channels {
            let Some(org) = feedstock_org(ch) else {
                continue;
            };
            let merge = match p.feedstocks.iter().find(|f| {
                f.split('/')
                    .next()
                    .is_some_and(|o| o.eq_ignore_ascii_case(org))
            }) {
                None => Err(format!(
                    "the checklist names no {org} feedstock for {}",
                    p.name
                )),
                Some(feedstock) => first_merge(facts, feedstock),
            };
            out.push(Measure::between(
                format!("{prefix}Feedstock PR merged → available on {ch}"),
                merge,
                first_available(facts, p, ch),
            ));
        }
        if channels.iter().any(|c| c == "defaults") && channels.iter().any(|c| c == "conda-forge") {
            out.push(skew(
                format!("{prefix}Channel skew (defaults vs conda-forge)"),
                first_available(facts, p, "defaults"),
                first_available(facts, p, "conda-forge"),
                measured_until(state),
            ));
        }
    }
    out.push(all_clear(plan, state, Ok(origin)));
    out
}

fn first_tag(facts: &Milestones, p: &Package, version: &str) -> Result<Point, String> {
    facts
        .first_tag(&p.repo, version)
        .map(|t| Point {
            at: t.at,
            what: format!("{} tagged", t.tag),
        })
        .ok_or_else(|| format!("no tag of {} observed yet", p.repo))
}

fn first_available(facts: &Milestones, p: &Package, channel: &str) -> Result<Point, String> {
    facts
        .first_available(&p.name, channel)
        .map(|a| Point {
            at: a.at,
            what: format!("first available, {}", a.subdir),
        })
        .ok_or_else(|| format!("{} not seen on {channel} yet", p.name))
}

fn first_merge(facts: &Milestones, feedstock: &str) -> Result<Point, String> {
    facts
        .first_merge(feedstock)
        .map(|m| Point {
            at: m.at,
            what: format!("{feedstock} PR #{} merged", m.number),
        })
        .ok_or_else(|| format!("no merge on {feedstock} observed yet"))
}

fn skew(
    label: String,
    defaults: Result<Point, String>,
    forge: Result<Point, String>,
    until: Option<DateTime<Utc>>,
) -> Measure {
    match (defaults, forge) {
        (Ok(d), Ok(f)) => {
            let first = match d.at.cmp(&f.at) {
                std::cmp::Ordering::Less => "defaults first",
                std::cmp::Ordering::Greater => "conda-forge first",
                std::cmp::Ordering::Equal => "both at once",
            };
            Measure {
                label,
                duration: format_span((f.at - d.at).abs()),
                details: format!(
                    "{first}: defaults {}, conda-forge {}",
                    fmt_minute(d.at),
                    fmt_minute(f.at)
                ),
            }
        }
        // One channel has it, the other not yet: open-ended, at least as long as the timeline.
        (d, f) if d.is_ok() != f.is_ok() && until.is_some() => {
            let (ahead, behind, a) = match (d, f) {
                (Ok(a), _) => ("defaults", "conda-forge", a),
                (_, Ok(a)) => ("conda-forge", "defaults", a),
                (Err(e), Err(_)) => {
                    return Measure {
                        label,
                        duration: "n/a".to_string(),
                        details: e,
                    };
                }
            };
            let until = until.unwrap_or(a.at).max(a.at);
            Measure {
                label,
                duration: format!("≥ {}", format_span(until - a.at)),
                details: format!(
                    "{ahead} ahead of {behind}: {ahead} {}, {behind}: not yet (as of {})",
                    fmt_minute(a.at),
                    fmt_minute(until)
                ),
            }
        }
        (d, f) => Measure {
            label,
            duration: "n/a".to_string(),
            details: reasons(d, f),
        },
    }
}

fn all_clear(plan: &Plan, state: &State, start: Result<Point, String>) -> Measure {
    // A late joiner's durations count from the first public moment: the label says so.
    let label = match &start {
        Ok(p) if p.what != "release started" => "First public → all-clear".to_string(),
        _ => "Start → all-clear".to_string(),
    };
    let step = plan.steps.iter().find(|s| {
        let title = s.title.to_ascii_lowercase();
        s.id.0.contains("all-clear")
            || title.starts_with("all-clear")
            || title.starts_with("all clear")
    });
    let Some(step) = step else {
        return Measure {
            label,
            duration: "n/a".to_string(),
            details: "the checklist has no all-clear step".to_string(),
        };
    };
    let title = step_title(plan, &step.id);
    let status = state.step(&step.id).map(|s| &s.status);
    match status.and_then(|s| s.completed_at()) {
        Some(at) => Measure::between(
            label,
            start,
            Ok(Point {
                at,
                what: format!("'{title}' {}", status.map_or("done", |s| s.label())),
            }),
        ),
        None => Measure {
            label,
            duration: "not yet".to_string(),
            details: format!(
                "'{title}' is {}",
                status.map_or("not started", |s| s.label())
            ),
        },
    }
}

/// conda-forge first, then defaults, then the rest as the checklist lists them.
fn ordered_channels(p: &Package) -> Vec<String> {
    let mut channels: Vec<String> = if p.channels.is_empty() {
        vec!["conda-forge".to_string(), "defaults".to_string()]
    } else {
        p.channels.clone()
    };
    let rank = |c: &String| match c.as_str() {
        "conda-forge" => 0,
        "defaults" => 1,
        _ => 2,
    };
    channels.sort_by_key(rank);
    channels
}

/// The GitHub organisation whose feedstocks build a channel's packages.
fn feedstock_org(channel: &str) -> Option<&'static str> {
    match channel {
        "conda-forge" => Some("conda-forge"),
        "defaults" => Some("AnacondaRecipes"),
        _ => None,
    }
}
