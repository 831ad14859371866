//! `flightdeck rotation`: the plan as an aligned table, a Markdown table or JSON.

use super::team::{DayRule, Team, clean, parse_date};
use super::{PlannedRelease, Seat, plan};
use crate::diag::Diagnostics;
use crate::error::user;
use chrono::{NaiveDate, Utc};
use color_eyre::eyre::Result;
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

/// `flightdeck rotation`: reads the team file, never writes anything.
#[derive(Debug, clap::Args)]
pub(crate) struct RotationArgs {
    /// The team file [default: ./team.toml, else team.toml in the config directory]
    #[arg(long, value_name = "FILE")]
    pub(crate) team: Option<PathBuf>,
    /// Show releases from this day on, YYYY-MM-DD [default: today, UTC]
    #[arg(long, value_name = "DATE", value_parser = parse_from)]
    pub(crate) from: Option<NaiveDate>,
    /// How many releases to show (1 … 100)
    #[arg(long, value_name = "N", default_value_t = 6,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub(crate) releases: u16,
    /// How to print the plan
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: RotationFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RotationFormat {
    /// Aligned plain text
    Table,
    /// A Markdown table, to paste into an issue or a wiki
    Md,
    /// Stable JSON (schema 1)
    Json,
}

fn parse_from(s: &str) -> Result<NaiveDate, String> {
    parse_date(s).ok_or_else(|| format!("`{s}` is not a date: use YYYY-MM-DD, e.g. 2027-03-01"))
}

/// The team file to read when `--team` is not given.
pub(crate) fn default_team_path(config_dir: Option<&Path>) -> Result<PathBuf> {
    let here = PathBuf::from("team.toml");
    if here.is_file() {
        return Ok(here);
    }
    let in_config = config_dir.map(|d| d.join("team.toml"));
    match in_config {
        Some(p) if p.is_file() => Ok(p),
        _ => Err(user(format!(
            "no team file: looked for ./team.toml{}\n  write one (see teams/example.toml) or pass --team FILE",
            in_config
                .map(|p| format!(" and {}", clean(&p.display().to_string())))
                .unwrap_or_default()
        ))),
    }
}

/// Runs `flightdeck rotation`.
pub(crate) fn run(args: RotationArgs, config_dir: Option<&Path>) -> Result<()> {
    let path = match args.team {
        Some(p) => p,
        None => default_team_path(config_dir)?,
    };
    let team = Team::load(&path).map_err(|d| {
        let n = d.len();
        eprintln!("{}", Diagnostics(d));
        user(format!(
            "{n} error(s) in the team file; see teams/example.toml for the format"
        ))
    })?;
    let from = args.from.unwrap_or_else(|| Utc::now().date_naive());
    let releases = plan(&team, from, usize::from(args.releases)).map_err(user)?;
    let text = match args.format {
        RotationFormat::Table => table(&team, &releases),
        RotationFormat::Md => markdown(&team, &releases),
        RotationFormat::Json => json(&team, &releases),
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

fn seat_text(team: &Team, seat: Option<Seat>) -> String {
    match seat.and_then(|s| team.members.get(s.member).map(|m| (s, m))) {
        Some((s, m)) if s.new => format!("{} (new)", m.name),
        Some((_, m)) => m.name.clone(),
        None => "—".to_string(),
    }
}

/// One line that says when releases happen.
pub(crate) fn describe_cadence(team: &Team) -> String {
    use crate::checklist::weekday_name;
    let c = &team.cadence;
    let every = match c.every_months {
        1 => "every month".to_string(),
        n => format!("every {n} months"),
    };
    let on = match c.day {
        DayRule::Day(d) => format!("on day {d}"),
        DayRule::Nth { week, weekday } => {
            let nth = ["first", "second", "third", "fourth"]
                .get(usize::from(week).saturating_sub(1))
                .copied()
                .unwrap_or("?");
            format!("on the {nth} {}", weekday_name(weekday))
        }
    };
    let mut never: Vec<&str> = Vec::new();
    for (d, _) in &c.not_on {
        let name = weekday_name(*d);
        if !never.contains(&name) {
            never.push(name);
        }
    }
    for weekend in ["Saturday", "Sunday"] {
        if !never.contains(&weekend) {
            never.push(weekend);
        }
    }
    let name = team
        .name
        .as_deref()
        .map(|n| format!("{n}: "))
        .unwrap_or_default();
    format!(
        "{name}a release {every} {on} (never on {}), from {}",
        never.join(", "),
        c.start
    )
}

/// Aligned plain text, one row per release.
pub(crate) fn table(team: &Team, releases: &[PlannedRelease]) -> String {
    let mut rows = vec![[
        "release".to_string(),
        "date".to_string(),
        "pilot".to_string(),
        "co-pilot".to_string(),
        "note".to_string(),
    ]];
    for r in releases {
        rows.push([
            r.number.to_string(),
            r.date.format("%Y-%m-%d %a").to_string(),
            seat_text(team, r.pilot),
            seat_text(team, r.copilot),
            r.notes.join("; "),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].width()).max().unwrap_or(0))
        .collect();
    let mut out = format!("{}\n\n", describe_cadence(team));
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c == 0 {
                // Numbers read best right-aligned.
                line.push_str(&" ".repeat(widths[c] - cell.width()));
                line.push_str(cell);
            } else {
                line.push_str("  ");
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.width()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|")
}

/// A Markdown table, like the one in the conda release process.
pub(crate) fn markdown(team: &Team, releases: &[PlannedRelease]) -> String {
    let mut out = String::from(
        "| release | date | pilot | co-pilot | note |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in releases {
        let cells = [
            r.number.to_string(),
            r.date.format("%Y-%m-%d").to_string(),
            md_cell(&seat_text(team, r.pilot)),
            md_cell(&seat_text(team, r.copilot)),
            md_cell(&r.notes.join("; ")),
        ];
        out.push_str(&format!("| {} |\n", cells.join(" | ")).replace("|  |", "| |"));
    }
    out
}

/// JSON with stable field names (`schema: 1`).
pub(crate) fn json(team: &Team, releases: &[PlannedRelease]) -> String {
    let seat = |s: Option<Seat>| {
        s.and_then(|s| team.members.get(s.member).map(|m| (s, m)))
            .map(|(s, m)| {
                serde_json::json!({ "login": m.login.as_str(), "name": m.name, "new": s.new })
            })
    };
    let rows: Vec<serde_json::Value> = releases
        .iter()
        .map(|r| {
            serde_json::json!({
                "release": r.number,
                "date": r.date.format("%Y-%m-%d").to_string(),
                "weekday": r.date.format("%a").to_string(),
                "pilot": seat(r.pilot),
                "copilot": seat(r.copilot),
                "notes": r.notes,
            })
        })
        .collect();
    let value = serde_json::json!({
        "schema": 1,
        "team": team.name,
        "cadence": describe_cadence(team),
        "releases": rows,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
