//! The command line: argument definitions (clap) and wiring to the library.

mod close;
mod completions;
mod crew;
mod list;
mod status;
// `demo` joins its simulated tracking issue and syncs the way `join` and `fly` do.
pub(crate) mod sync;

use crate::checklist::{Checklist, StepId};
use crate::config::{Config, Overrides};
use crate::crew::Role;
use crate::diag::Diagnostics;
use crate::error::user;
use crate::timeline::rules::{self, Book, Reason, Refusal, Verdict};
use crate::timeline::{Clock, EventKind, Home, StepStatus};
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr};
use std::path::PathBuf;

mod auth;

/// flightdeck — a terminal release cockpit for the conda ecosystem.
///
/// Walks a release pilot through a TOML checklist, watches GitHub and the conda
/// channels, and records everything in one timeline that exports as a post-mortem.
#[derive(Debug, Parser)]
#[command(name = "flightdeck", version, max_term_width = 100)]
#[command(
    after_help = "RELEASE, where a command takes one, defaults to the only release in progress.\nExit codes: 0 success, 1 a runtime failure, 2 invalid input or usage."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The options every command takes. They are listed once, under `flightdeck
/// --help` ([`command`] hides them from each subcommand's own help).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Where releases, logs and caches live [default: the platform's data directory]
    #[arg(long, global = true, env = "FLIGHTDECK_HOME", value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,
    /// GitHub REST base URL (GitHub Enterprise Server, or a simulated world)
    #[arg(long, global = true, env = "FLIGHTDECK_GITHUB_API", value_name = "URL")]
    pub(crate) github_api: Option<String>,
    /// Where a channel name resolves, e.g. conda-forge=https://prefix.dev/conda-forge (repeatable)
    #[arg(long = "channel", global = true, value_name = "NAME=URL")]
    pub(crate) channels: Vec<String>,
    /// PyPI JSON API base URL
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) pypi_url: Option<String>,
    /// Your seat in this release: pilot, copilot or jump-seat (not in the config file: a seat
    /// belongs to a release, not to a machine)
    #[arg(long, global = true, env = "FLIGHTDECK_ROLE", default_value = "pilot", value_parser = parse_role, value_name = "ROLE")]
    pub(crate) role: Role,
    /// Colour theme: default, light, high-contrast, or a path to a theme file
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub(crate) theme: Option<String>,
    /// No colours (also when NO_COLOR is set)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// On a failure, print the whole chain of causes (and where, for a bug report)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// The command tree, with the global options listed once: under `flightdeck
/// --help`, not again under every subcommand's help.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    hide_globals(cmd, &globals).mut_subcommand("step", |step| {
        step.mut_subcommand("undo", |c| c.mut_arg("force", |a| a.help(FORCE_UNDO)))
            .mut_subcommand("skip", |c| c.mut_arg("force", |a| a.help(FORCE_SKIP)))
    })
}

/// Gives every subcommand its own hidden copy of the global options before
/// clap propagates them (it skips an argument a subcommand already has), so
/// they are accepted anywhere on the line but listed only once.
fn hide_globals(cmd: clap::Command, globals: &[clap::Arg]) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names.into_iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| {
            let sub = globals
                .iter()
                .fold(sub, |sub, a| sub.arg(a.clone().hide(true)));
            let sub = if sub.get_after_help().is_none() {
                sub.after_help(
                    "Global options (--home, --role, --channel, --verbose, …): see `flightdeck --help`.",
                )
            } else {
                sub
            };
            hide_globals(sub, globals)
        })
    })
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn parse_notify(s: &str) -> Result<crate::tui::notify::Notify, String> {
    s.parse()
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The whole cockpit on a built-in simulated release: no token, no network
    Demo(crate::demo::DemoArgs),
    /// The simulated world on its own (for trying probes, or a second terminal)
    Sim {
        #[command(subcommand)]
        command: crate::sim::SimCommand,
    },
    /// Validate checklists; every error is reported as file:line:col
    Check {
        /// Checklist files (TOML)
        #[arg(required = true, value_name = "CHECKLIST")]
        files: Vec<PathBuf>,
    },
    /// Create a release from a checklist
    // `--version V` is this command's own option: without this, clap's
    // propagated `--version` flag collides with it (a panic in debug builds).
    #[command(disable_version_flag = true)]
    Start {
        /// The checklist file (TOML), e.g. checklists/conda.toml
        #[arg(value_name = "CHECKLIST")]
        checklist: PathBuf,
        /// The version to release; must fit the checklist's version scheme
        #[arg(long)]
        version: String,
        #[command(flatten)]
        crew: crew::CrewArgs,
        /// Share the release with the crew: dir:PATH (a shared directory) or OWNER/REPO
        #[arg(long, value_name = "OWNER/REPO|dir:PATH")]
        share: Option<String>,
    },
    /// The same release on this machine, from its share (dir:PATH/<release-id>)
    Join {
        #[arg(value_name = "SHARE")]
        target: String,
    },
    /// Exchange the crew's events with the share, headless
    Sync {
        /// The release (default: the only one in progress)
        release: Option<String>,
        /// One exchange, then exit
        #[arg(long)]
        once: bool,
    },
    /// Who sits where in a release; `crew handover LOGIN` hands the controls to the co-pilot
    #[command(args_conflicts_with_subcommands = true)]
    Crew {
        #[command(subcommand)]
        action: Option<crew::CrewAction>,
        /// The release (default: the only one in progress)
        release: Option<String>,
    },
    /// List the releases in progress (with --all, the closed ones too)
    List {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
        /// Closed releases too (shipped, aborted, rolled back)
        #[arg(long)]
        all: bool,
    },
    /// Show where a release stands
    Status {
        /// The release (default: the only one in progress)
        release: Option<String>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Sign off, undo or skip a step
    Step {
        #[command(subcommand)]
        action: StepAction,
    },
    /// Open the cockpit: the interactive terminal UI of a release
    Fly {
        /// The release (default: the only one in progress)
        release: Option<String>,
        /// Alert when CI fails, a bug is filed, a package lands or a step becomes yours:
        /// off, bell (the terminal's) or desktop (notify-send) [default: the config's `notify`, else off]
        #[arg(long, value_name = "HOW", value_parser = parse_notify)]
        notify: Option<crate::tui::notify::Notify>,
    },
    /// Poll every probe of a release (headless); with --once a single round, then exit
    Poll {
        /// The release (default: the only one in progress)
        release: Option<String>,
        /// One round of every probe, a summary, then exit (0 when every probe answered)
        #[arg(long)]
        once: bool,
    },
    /// Add a note to the timeline
    Note {
        /// The note, in quotes if it has spaces
        text: String,
        /// The release (default: the only one in progress)
        release: Option<String>,
    },
    /// Export the timeline: a Markdown table, CSV, JSON, or a post-mortem document
    Export(ExportArgs),
    /// The pilot / co-pilot rotation and release calendar, from a team file
    Rotation(crate::crew::rotation::RotationArgs),
    /// GitHub tokens in the OS keyring: login, status, logout
    Auth {
        #[command(subcommand)]
        command: auth::AuthCommand,
    },
    /// What past releases teach: durations, time to the first bug, the all-clear soak
    History(crate::export::history::HistoryArgs),
    /// End a release: shipped, aborted or rolled back (pilot only)
    Close(close::CloseArgs),
    /// Print a shell completion script: bash, zsh or fish
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff) on standard output
    Man,
}

/// `flightdeck export`: reads the timeline, never changes it.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The release (default: the only one in progress)
    pub(crate) release: Option<String>,
    /// What to write
    #[arg(long, value_enum, default_value = "md")]
    pub(crate) format: crate::export::Format,
    /// Write to FILE (atomically) instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Only events starred in the cockpit
    #[arg(long)]
    pub(crate) starred: bool,
    /// Only events from T on: RFC 3339, YYYY-MM-DD or "YYYY-MM-DD HH:MM" (UTC)
    #[arg(long, value_name = "T")]
    pub(crate) since: Option<String>,
    /// Only events up to the end of T (a day, a minute, or an instant), same forms as --since
    #[arg(long, value_name = "T")]
    pub(crate) until: Option<String>,
    /// Fold quiet stretches longer than this into one `…` row (e.g. 6h, 90m; 0 or off: never)
    #[arg(long, value_name = "DURATION", default_value = "6h")]
    pub(crate) gap: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StepAction {
    /// Sign off a step (a probe-backed step needs --note: that is an override)
    Done(StepArgs),
    /// Take back the last sign-off, skip or override of a step (needs --note)
    Undo(StepArgs),
    /// Skip a step (needs --note)
    Skip(StepArgs),
}

/// The y/n question `--force` answers, as the cockpit would ask it; one text per
/// verb, so `undo --help` does not describe what only `done` asks.
const FORCE_DONE: &str = "Answer yes to what the cockpit would ask first: a pilot-only step, \
needs not complete, a gate that says wait, or completing a probe-backed step by hand";
const FORCE_UNDO: &str =
    "Has no effect: undo asks no question (the reason in --note is what it needs)";
const FORCE_SKIP: &str = "Answer yes to what the cockpit would ask first: skipping a pilot-only \
step, or a probe-backed step before its probe saw it";

#[derive(Debug, Args)]
pub(crate) struct StepArgs {
    /// The step id, as shown by `flightdeck status`
    pub(crate) step: String,
    /// The release (default: the only one in progress)
    pub(crate) release: Option<String>,
    /// Why (required for undo, skip and overrides)
    #[arg(long)]
    pub(crate) note: Option<String>,
    #[arg(long, help = FORCE_DONE)]
    pub(crate) force: bool,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let overrides = Overrides {
        home: cli.global.home.clone(),
        github_api: cli.global.github_api.clone(),
        pypi_url: cli.global.pypi_url.clone(),
        channels: cli.global.channels.clone(),
        theme: cli.global.theme.clone(),
    };
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
        Command::Sim { command } => {
            let runtime = tokio::runtime::Runtime::new().wrap_err("starting the async runtime")?;
            runtime.block_on(crate::sim::run(command))
        }
        command => {
            let config = Config::load(&overrides)?;
            let home = Home::new(&config.home);
            // Asking GitHub whose token this is costs a request: only commands that write ask.
            let me = match &command {
                Command::List { .. } | Command::Status { .. } | Command::Export(_) => {
                    config.identity()
                }
                _ => crate::crew::me(&config),
            };
            let role = cli.global.role;
            match command {
                Command::Check { .. } | Command::Sim { .. } => unreachable!("handled above"),
                Command::Demo(args) => crate::demo::run(args, role, &config, cli.global.no_color),
                Command::Start {
                    checklist,
                    version,
                    crew,
                    share,
                } => crew::start(
                    &checklist,
                    &version,
                    &me,
                    role,
                    &crew::crew_of(&crew, config.config_dir.as_deref())?,
                    share.as_deref(),
                    &config,
                ),
                Command::Join { target } => sync::join(&home, &target, &me, role, &config),
                Command::Sync { release, once } => {
                    sync::sync(&home, release.as_deref(), once, &me, role, &config)
                }
                Command::Crew { action, release } => crew::crew(&home, action, release, &me, role),
                Command::List { json, all } => list::list(&home, json, all),
                Command::Close(args) => close::close(&home, args, &me, role),
                Command::Completions(_) | Command::Man => unreachable!("handled above"),
                Command::Status { release, json } => {
                    let release = home.resolve(release.as_deref())?;
                    status::status(&release, json)
                }
                Command::Step { action } => step(&home, action, &me, role),
                Command::Fly { release, notify } => {
                    let notify = match notify {
                        Some(n) => n,
                        None => config
                            .notify
                            .as_deref()
                            .unwrap_or("off")
                            .parse()
                            .map_err(user)?,
                    };
                    fly(
                        &home,
                        &config,
                        release.as_deref(),
                        &me,
                        role,
                        &cli.global,
                        notify,
                    )
                }
                Command::Poll { release, once } => {
                    poll(&home, &config, release.as_deref(), once, &me, role)
                }
                Command::Note { text, release } => {
                    crew::note(&home.resolve(release.as_deref())?, &me, role, text)
                }
                Command::Export(args) => export(&home, args, &config),
                Command::Rotation(args) => {
                    crate::crew::rotation::run(args, config.config_dir.as_deref())
                }
                Command::Auth { command } => auth::run(command, &config),
                Command::History(args) => {
                    crate::export::history::run(args, &home, cli.global.no_color)
                }
            }
        }
    }
}

/// `flightdeck fly`: the cockpit, on the wall clock, with the probes polling in
/// the background (except in the jump seat, which writes nothing).
fn fly(
    home: &Home,
    config: &Config,
    release: Option<&str>,
    me: &str,
    role: Role,
    global: &GlobalArgs,
    notify: crate::tui::notify::Notify,
) -> Result<()> {
    use std::io::IsTerminal;
    let release = home.resolve(release)?;
    let flag = role;
    // Checked before opening the log, so a pipe gets a clear message and exit 2.
    if !std::io::stdout().is_terminal() {
        return Err(crate::tui::not_a_terminal(&release.meta.id));
    }
    let crew::Seated {
        log,
        seat: role,
        state,
    } = crew::open_seated(&release, me, flag, Clock::System)?;
    let folded = (state, log.events().len());
    let store = crate::store::Store::new(log);
    let mut opts = crate::tui::CockpitOptions {
        role,
        theme: config.theme.clone(),
        config_dir: config.config_dir.clone(),
        no_color: global.no_color,
        clock: Clock::System,
        channels: config.channels.clone(),
        sync: None,
        notify,
        clipboard: config.clipboard,
    };
    let runtime = tokio::runtime::Runtime::new().wrap_err("starting the async runtime")?;
    runtime.block_on(async {
        let probes = match role {
            Role::JumpSeat => None,
            _ => {
                // The probes write through the cockpit's store: what they
                // record reaches the screen in memory.
                let (tx, rx) = tokio::sync::mpsc::channel(256);
                let handle = crate::probe::scheduler::spawn(
                    &release.plan,
                    store.clone(),
                    config,
                    Clock::System,
                    tx,
                );
                Some((handle, rx))
            }
        };
        let (handle, rx) = match probes {
            Some((h, rx)) => (Some(h), Some(rx)),
            None => (None, None),
        };
        let crew_sync = sync::spawn_background(&release, me, flag, config, Some(store.subscribe()));
        if let Some((_, reports)) = &crew_sync {
            opts.sync = Some(reports.clone());
        }
        let result = crate::tui::run(release, store, opts, rx, Some(folded)).await;
        if let Some((s, _)) = crew_sync {
            s.abort();
        }
        if let Some(h) = handle {
            h.shutdown().await;
        }
        result
    })
}

/// `flightdeck poll`: probes run headless; what they see goes into the timeline.
fn poll(
    home: &Home,
    config: &Config,
    release: Option<&str>,
    once: bool,
    me: &str,
    role: Role,
) -> Result<()> {
    use crate::probe::{poll, scheduler::NOT_POLLED};
    let release = home.resolve(release)?;
    let crew::Seated {
        log, seat: role, ..
    } = crew::open_seated(&release, me, role, Clock::System)?;
    rules::seat_may(role, rules::Act::Observe).map_err(|r| {
        user(format!(
            "{r}: probes record what they see, and this seat writes nothing"
        ))
    })?;
    let log = crate::store::Store::new(log);
    let runtime = tokio::runtime::Runtime::new().wrap_err("starting the async runtime")?;
    if !once {
        println!("polling {} until Ctrl-C", release.meta.id);
        runtime.block_on(poll::poll_forever(
            &release.plan,
            log,
            config,
            Clock::System,
        ));
        return Ok(());
    }
    let summary = runtime.block_on(poll::poll_once(&release.plan, log, config, Clock::System));
    println!("{}: {} probes", release.meta.id, summary.reports.len());
    print!("{}", summary.render(&release.plan));
    if summary.all_answered() {
        return Ok(());
    }
    let failed = summary
        .reports
        .iter()
        .filter(|r| {
            r.error
                .as_deref()
                .is_some_and(|e| !e.starts_with(NOT_POLLED))
        })
        .count();
    Err(color_eyre::eyre::eyre!(
        "{failed} probe(s) did not answer; what the others saw is recorded. Try `flightdeck poll --once` again later"
    ))
}

/// `flightdeck export`: the timeline as a table, CSV, JSON or post-mortem.
fn export(home: &Home, args: ExportArgs, config: &Config) -> Result<()> {
    use crate::export::{ExportOptions, parse_since, parse_until};
    let bad = |flag: &str, e: String| user(format!("--{flag}: {e}"));
    let since = args
        .since
        .as_deref()
        .map(parse_since)
        .transpose()
        .map_err(|e| bad("since", e))?;
    let until = args
        .until
        .as_deref()
        .map(parse_until)
        .transpose()
        .map_err(|e| bad("until", e))?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(user(
            "--since is not before --until: nothing could match\n  swap them, or widen the range",
        ));
    }
    // `0` (any unit) or `off` turns the `…` rows off.
    let gap = match args.gap.trim() {
        "0" | "off" => std::time::Duration::ZERO,
        text => crate::checklist::duration::parse_duration(text).map_err(|e| bad("gap", e))?,
    };
    let gap = match gap.as_secs() {
        0 => None,
        _ => Some(
            chrono::Duration::from_std(gap)
                .map_err(|_| bad("gap", format!("`{}` is too long", args.gap)))?,
        ),
    };
    let release = home.resolve(args.release.as_deref())?;
    let state = release.state()?;
    crew::print_ignored(&state, &release);
    let opts = ExportOptions {
        starred_only: args.starred,
        since,
        until,
        gap,
        channels: config.channels.clone(),
        ..ExportOptions::new(args.format, Utc::now())
    };
    // Written as it is made: a long release's table is never held whole.
    let write =
        |out: &mut dyn std::io::Write| crate::export::export_to(&release, &state, &opts, out);
    let result = match args.output.filter(|p| p.as_os_str() != "-") {
        None => {
            use std::io::Write;
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            match write(&mut stdout).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(e).wrap_err("writing the export")
                }
                _ => Ok(()),
            }
        }
        Some(path) => {
            crate::timeline::fsutil::write_atomic_with(&path, write).map_err(|e| {
                user(format!(
                    "cannot write {}: {e}\n  choose another path with -o FILE",
                    path.display()
                ))
            })?;
            println!(
                "exported {} ({}) to {}",
                release.meta.id,
                args.format.name(),
                path.display()
            );
            Ok(())
        }
    };
    leave_at_exit(state);
    result
}

/// Hands a release's folded state to the end of the process, not to drop:
/// a one-shot command (`status`, `export`) exits right after, and the OS
/// takes the memory back at once, where dropping 100,000 events one by one
/// costs about a fifth of a `status` (`FLIGHTDECK_BENCH_BREAKDOWN=1 cargo
/// bench --bench log_scale`).
fn leave_at_exit(state: crate::timeline::State) {
    std::mem::forget(state);
}

fn check(files: &[PathBuf]) -> Result<()> {
    let mut all = Vec::new();
    for f in files {
        match Checklist::load(f) {
            Ok(c) => println!(
                "{}: ok ({} steps in {} phases)",
                f.display(),
                c.steps.len(),
                c.phases.len()
            ),
            Err(d) => all.extend(d),
        }
    }
    if all.is_empty() {
        return Ok(());
    }
    eprintln!("{}", Diagnostics(all.clone()));
    let files: std::collections::BTreeSet<&str> = all.iter().map(|d| d.file.as_str()).collect();
    Err(user(format!(
        "{} error(s) in {} checklist(s); see checklists/README.md for the format",
        all.len(),
        files.len()
    )))
}

fn step(home: &Home, action: StepAction, me: &str, role: Role) -> Result<()> {
    let (args, verb) = match &action {
        StepAction::Done(a) => (a, "done"),
        StepAction::Undo(a) => (a, "undo"),
        StepAction::Skip(a) => (a, "skip"),
    };
    let release = home.resolve(args.release.as_deref())?;
    let id = StepId(args.step.clone());
    let Some(step) = release.plan.step(&id).cloned() else {
        let ids: Vec<&str> = release.plan.steps.iter().map(|s| s.id.0.as_str()).collect();
        let hint = crate::diag::closest(&args.step, &ids)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        return Err(user(format!(
            "release {} has no step `{}`\n  {hint}see the ids with `flightdeck status {}`",
            release.meta.id, args.step, release.meta.id
        )));
    };
    let crew::Seated {
        mut log,
        seat: role,
        state,
    } = crew::open_seated(&release, me, role, Clock::System)?;
    let current = state
        .step(&id)
        .map(|s| s.status.clone())
        .unwrap_or(StepStatus::Ready);
    let note = args.note.clone().filter(|n| !n.trim().is_empty());
    let probe_backed = step.probe.as_ref().is_some_and(|p| p.completes());
    let what = match action {
        StepAction::Done(_) if probe_backed => EventKind::StepOverridden {
            step: id.clone(),
            reason: note.unwrap_or_default(),
        },
        StepAction::Done(_) => EventKind::StepDone {
            step: id.clone(),
            note,
        },
        StepAction::Undo(_) => EventKind::StepUndone {
            step: id.clone(),
            reason: note.unwrap_or_default(),
        },
        StepAction::Skip(_) => EventKind::StepSkipped {
            step: id.clone(),
            reason: note.unwrap_or_default(),
        },
    };
    let book = Book::new(&release.plan, &state, log.clock().now());
    let permit = match rules::judge(&book, role, what) {
        Verdict::Accepted(permit) => permit,
        Verdict::NeedsConfirmation { permit, .. } if args.force => permit,
        Verdict::NeedsConfirmation { reasons, .. } => {
            return Err(user(confirmation_needed(&id, verb, &reasons)));
        }
        Verdict::Refused(Refusal::NeedsText) if probe_backed && verb == "done" => {
            return Err(user(format!(
                "step `{id}` completes itself when its probe ({}) sees it\n  to mark it done by hand, give the reason: --note \"why\"",
                step.probe.as_ref().map(|p| p.id()).unwrap_or_default()
            )));
        }
        Verdict::Refused(Refusal::NeedsText) => {
            let what = if verb == "undo" {
                "it is undone"
            } else {
                "it is skipped"
            };
            return Err(user(format!(
                "`step {verb}` needs a reason: add --note \"why {what}\""
            )));
        }
        Verdict::Refused(r @ Refusal::State(_)) if verb == "done" && current.is_complete() => {
            return Err(user(format!(
                "{r}\n  to redo it, `flightdeck step undo {id} --note \"why\"` first"
            )));
        }
        Verdict::Refused(r) => return Err(user(r.to_string())),
    };
    let what = permit.what().clone();
    let undid_observation = matches!(
        (&what, &current),
        (EventKind::StepUndone { .. }, StepStatus::Observed { .. })
    );
    let before = log.events().len();
    let event = log.append(permit)?;
    let state = state.caught_up(&release.plan, log.events(), before);
    let (done, total) = state.progress();
    let label = state.step(&id).map(|s| s.status.label()).unwrap_or("?");
    println!(
        "{id}: {label} by {} at {} — {done}/{total} steps complete",
        event.author,
        event.at.format("%H:%M UTC")
    );
    if undid_observation {
        println!(
            "the probe's earlier observation no longer completes `{id}`; when it is really done: flightdeck step done {id} --note \"why\""
        );
    }
    Ok(())
}

/// What `--force` would confirm, worded as the cockpit's y/n question is.
fn confirmation_needed(id: &StepId, verb: &str, reasons: &[Reason]) -> String {
    let bullets: Vec<String> = reasons.iter().map(|r| format!("  • {r}")).collect();
    format!(
        "`step {verb} {id}` needs a confirmation:\n{}\n  add --force to {verb} it anyway (the cockpit asks the same question)",
        bullets.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap checks the whole command tree (duplicate flags, bad defaults) here, not at a user's prompt.
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
        command().debug_assert();
    }
}
