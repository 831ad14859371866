//! `flightdeck start` (with its crew), `flightdeck crew` and `crew handover`,
//! and the seat a command acts from.

use crate::checklist::Checklist;
use crate::crew::{Role, Roster, same_login, seat_in};
use crate::diag::Diagnostics;
use crate::error::user;
use crate::timeline::rules::{self, Book};
use crate::timeline::{Clock, EventKind, EventLog, Home, Release, State};
use clap::{Args, Subcommand};
use color_eyre::eyre::Result;
use std::path::PathBuf;

/// `flightdeck start`'s crew options.
#[derive(Debug, Args)]
pub(crate) struct CrewArgs {
    /// The pilot's GitHub login [default: you]
    #[arg(long, value_name = "LOGIN")]
    pub(crate) pilot: Option<String>,
    /// The co-pilot's GitHub login [default: none]
    #[arg(long, value_name = "LOGIN")]
    pub(crate) copilot: Option<String>,
    /// An observer's GitHub login (anyone not on the crew also sits there)
    #[arg(long = "jump-seat", value_name = "LOGIN")]
    pub(crate) jump_seat: Option<String>,
    /// Take the pilot and co-pilot of the next planned release from the team file
    #[arg(long, conflicts_with_all = ["pilot", "copilot"])]
    pub(crate) crew_from_rotation: bool,
    /// The team file for --crew-from-rotation [default: ./team.toml, then the config dir's]
    #[arg(long, value_name = "FILE", requires = "crew_from_rotation")]
    pub(crate) team: Option<PathBuf>,
}

/// The crew `start` records: from the flags, or from the rotation's next release.
pub(crate) fn crew_of(args: &CrewArgs, config_dir: Option<&std::path::Path>) -> Result<CrewArgs> {
    let mut crew = CrewArgs {
        pilot: args.pilot.clone(),
        copilot: args.copilot.clone(),
        jump_seat: args.jump_seat.clone(),
        crew_from_rotation: false,
        team: None,
    };
    if !args.crew_from_rotation {
        return Ok(crew);
    }
    let path = match &args.team {
        Some(p) => p.clone(),
        None => crate::crew::rotation::render::default_team_path(config_dir)?,
    };
    let team = crate::crew::rotation::Team::load(&path)
        .map_err(|d| color_eyre::Report::new(Diagnostics(d)))?;
    let today = chrono::Utc::now().date_naive();
    let (pilot, copilot) = crate::crew::rotation::next_release(&team, today).map_err(user)?;
    println!(
        "crew from the rotation ({}): pilot @{pilot}, co-pilot @{copilot}",
        path.display()
    );
    crew.pilot = Some(pilot.as_str().to_string());
    crew.copilot = Some(copilot.as_str().to_string());
    Ok(crew)
}

#[derive(Debug, Subcommand)]
pub(crate) enum CrewAction {
    /// Hand the controls to the co-pilot (the pilot only); they become the pilot, you the co-pilot
    Handover {
        /// The co-pilot's login
        login: String,
        /// The release (default: the only one in progress)
        release: Option<String>,
    },
}

/// A login as GitHub spells them: letters, digits, single hyphens (and `[bot]`).
fn login(flag: &str, text: &str) -> Result<String> {
    let t = text.trim().trim_start_matches('@');
    let name = t.strip_suffix("[bot]").unwrap_or(t);
    let ok = !name.is_empty()
        && name.len() <= 39
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-');
    if !ok {
        return Err(user(format!(
            "--{flag} `{text}` is not a GitHub login\n  give the login as on github.com (letters, digits and hyphens)"
        )));
    }
    Ok(t.to_string())
}

/// The roster `start` records: you are the pilot unless told otherwise.
pub(crate) fn roster(args: &CrewArgs, me: &str) -> Result<Roster> {
    let pilot = match &args.pilot {
        Some(p) => login("pilot", p)?,
        None => me.to_string(),
    };
    let copilot = args
        .copilot
        .as_deref()
        .map(|c| login("copilot", c))
        .transpose()?;
    let jump_seat = args
        .jump_seat
        .as_deref()
        .map(|j| login("jump-seat", j))
        .transpose()?;
    let same = |a: &Option<String>, b: &str| a.as_deref().is_some_and(|a| same_login(a, b));
    if same(&copilot, &pilot) || same(&jump_seat, &pilot) {
        return Err(user(format!(
            "@{pilot} cannot sit in two seats\n  give the co-pilot and the jump seat to other people"
        )));
    }
    if let (Some(c), Some(j)) = (&copilot, &jump_seat)
        && same_login(c, j)
    {
        return Err(user(format!("@{c} cannot be both co-pilot and jump seat")));
    }
    Ok(Roster {
        pilot,
        copilot,
        jump_seat,
    })
}

/// `flightdeck start`: the release, its start and its crew as the first events.
pub(crate) fn start(
    path: &PathBuf,
    version: &str,
    me: &str,
    flag: Role,
    crew: &CrewArgs,
    share: Option<&str>,
    config: &crate::config::Config,
) -> Result<()> {
    let home = &Home::new(&config.home);
    // `--role` can only lower a seat, and starting is the pilot's act.
    let started = EventKind::ReleaseStarted {
        release: String::new(),
        version: version.to_string(),
        checklist: path.display().to_string(),
    };
    rules::seat_may_record(None, flag, &started).map_err(|r| user(r.to_string()))?;
    let roster = roster(crew, me)?;
    // A bad share is refused before anything is created.
    if let Some(target) = share {
        super::sync::preflight(target, config)?;
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| user(format!("cannot read checklist {}: {e}", path.display())))?;
    let checklist = Checklist::parse(&path.display().to_string(), &text)
        .map_err(|d| color_eyre::Report::new(Diagnostics(d)))?;
    let release =
        home.create_crewed(&checklist, &text, version, me, Clock::System, Some(&roster))?;
    println!(
        "started {} ({} steps) in {}",
        release.meta.id,
        release.plan.steps.len(),
        release.dir.display()
    );
    println!("crew: {}", crew_line(&roster));
    if let Some(target) = share {
        super::sync::share_new(&release, target, config)?;
    }
    println!(
        "next: `flightdeck status {}` or `flightdeck fly {}`",
        release.meta.id, release.meta.id
    );
    Ok(())
}

/// "@jane pilot · @bob co-pilot · @eve jump seat".
pub(crate) fn crew_line(r: &Roster) -> String {
    let mut parts = vec![format!("@{} pilot", r.pilot)];
    if let Some(c) = &r.copilot {
        parts.push(format!("@{c} co-pilot"));
    }
    if let Some(j) = &r.jump_seat {
        parts.push(format!("@{j} jump seat"));
    }
    parts.join(" · ")
}

/// A release's log opened for the seat the roster gives `me`, with the state
/// folded from it.
pub(crate) struct Seated {
    pub(crate) log: EventLog,
    pub(crate) seat: Role,
    /// The fold of every event of `log`.
    pub(crate) state: State,
}

/// The release's log, opened once for the seat its roster gives `me` (`flag`
/// caps it): read first, then reopened for writing unless that seat is the
/// jump seat. A 100,000-event log is read once and folded once.
pub(crate) fn open_seated(release: &Release, me: &str, flag: Role, clock: Clock) -> Result<Seated> {
    let path = release.events_path();
    let mut log = EventLog::open_read_only(&path, me, Role::JumpSeat, clock)?;
    let mut state = log.state(&release.plan);
    let seat = seat_in(&state, me, flag);
    if seat == Role::JumpSeat {
        return Ok(Seated { log, seat, state });
    }
    let folded = log.events().len();
    let (mut log, torn) = log.into_writer(seat)?;
    if let Some(torn) = torn {
        eprintln!("warning: {}: {torn}", path.display());
    }
    // Lines another writer appended meanwhile (a handover among them moves the seat).
    let mut seat = seat;
    if log.events().len() > folded {
        state = state.caught_up(&release.plan, log.events(), folded);
        seat = seat_in(&state, me, flag);
        log.set_role(seat);
    }
    Ok(Seated { log, seat, state })
}

/// The seat `me` acts from in `release`, read from its roster.
pub(crate) fn seat(release: &Release, me: &str, flag: Role) -> Result<Role> {
    Ok(seat_in(&release.state()?, me, flag))
}

/// `flightdeck crew [RELEASE]` and `flightdeck crew handover LOGIN [RELEASE]`.
pub(crate) fn crew(
    home: &Home,
    action: Option<CrewAction>,
    release: Option<String>,
    me: &str,
    flag: Role,
) -> Result<()> {
    match action {
        None => show(&home.resolve(release.as_deref())?, me, flag),
        Some(CrewAction::Handover { login: to, release }) => {
            handover(&home.resolve(release.as_deref())?, me, flag, &to)
        }
    }
}

fn show(release: &Release, me: &str, flag: Role) -> Result<()> {
    let state = release.state()?;
    println!("{} — crew", release.plan.title);
    match &state.roster {
        Some(r) => {
            println!("  pilot      @{}", r.pilot);
            println!(
                "  co-pilot   {}",
                r.copilot
                    .as_deref()
                    .map_or("none".into(), |c| format!("@{c}"))
            );
            println!(
                "  jump seat  {} (and anyone not on the crew)",
                r.jump_seat
                    .as_deref()
                    .map_or("none named".into(), |j| format!("@{j}"))
            );
        }
        None => println!(
            "  no crew on record (started before rosters): @{} flies it",
            state.started.as_ref().map_or("?", |s| s.by.as_str())
        ),
    }
    for &i in &state.crew_changes {
        let e = &state.events[i];
        if let EventKind::Handover { .. } = e.what {
            println!(
                "  {}  {}",
                e.at.format("%Y-%m-%d %H:%M UTC"),
                crate::export::describe(e, &release.plan)
            );
        }
    }
    println!(
        "you: @{me}, {}",
        seat_in(&state, me, flag).badge().to_lowercase()
    );
    print_ignored(&state, release);
    Ok(())
}

fn handover(release: &Release, me: &str, flag: Role, to: &str) -> Result<()> {
    let to = login("handover", to).map_err(|_| {
        user(format!(
            "`{to}` is not a GitHub login: name the co-pilot to hand over to"
        ))
    })?;
    let Seated {
        mut log,
        seat,
        state,
    } = open_seated(release, me, flag, Clock::System)?;
    let book = Book::new(&release.plan, &state, log.clock().now());
    let permit = rules::judge(&book, seat, EventKind::Handover { to: to.clone() })
        .confirmed()
        .map_err(|r| user(format!("cannot hand over: {r}")))?;
    let before = log.events().len();
    log.append(permit)?;
    let state = state.caught_up(&release.plan, log.events(), before);
    if let Some(r) = &state.roster {
        println!("@{to} has the controls. crew: {}", crew_line(r));
    }
    Ok(())
}

/// Prints "N untrusted events ignored: …" on stderr, so piped output stays clean.
pub(crate) fn print_ignored(state: &State, release: &Release) {
    if let Some(line) = crate::crew::ignored_summary(state, &release.plan) {
        eprintln!("⚠ {line}");
    }
}

/// `flightdeck note`: a note in the timeline, from the seat the roster gives.
pub(crate) fn note(release: &Release, me: &str, flag: Role, text: String) -> Result<()> {
    use crate::timeline::rules::{Refusal, Verdict};
    let Seated {
        mut log,
        seat,
        state,
    } = open_seated(release, me, flag, Clock::System)?;
    let book = Book::new(&release.plan, &state, log.clock().now());
    let permit = match rules::judge(&book, seat, EventKind::Note { text }) {
        Verdict::Refused(Refusal::NeedsText) => return Err(user("the note is empty")),
        verdict => verdict.confirmed().map_err(|r| user(r.to_string()))?,
    };
    log.append(permit)?;
    println!("note added to {}", release.meta.id);
    Ok(())
}
