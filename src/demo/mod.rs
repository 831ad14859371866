//! `flightdeck demo`: the whole cockpit on a simulated release, with no token
//! and no network.
//!
//! It starts the simulated world in-process on a free loopback port, creates a
//! release from the scenario's built-in checklist in a fresh home directory,
//! points every probe at the world, and opens the cockpit — or, without a
//! terminal (or with `--headless`), prints the timeline as it grows. Hours of a
//! release pass in minutes; by the end of the scenario the timeline is complete
//! and can be exported from the home directory it prints.
//!
//! In the other seats the rest of the crew is simulated ([`crew`]): with
//! `--role copilot` a simulated pilot (jane, on her own "machine" under the
//! demo home) starts the release with its roster, shares it on the simulated
//! tracking issue and signs off her steps as they come due; the user is the
//! co-pilot (bob), whose home joins the issue as `flightdeck join` does and
//! whose cockpit syncs in the background as `fly` does. With `--role
//! jump-seat` the user is the jump seat (sam), watching a simulated pilot and
//! a simulated co-pilot.

pub mod crew;
mod headless;

use crate::checklist::{self, Checklist, StepRole};
use crate::config::Config;
use crate::crew::share::Report;
use crate::crew::{Role, Roster};
use crate::diag::Diagnostics;
use crate::error::user;
use crate::github::{ClientOptions, GithubClient, Token};
use crate::probe::ProbeMsg;
use crate::probe::scheduler::{self, SchedulerHandle, SchedulerOptions};
use crate::sim::{self, SimOptions, SimServer};
use crate::store::Store;
use crate::timeline::{Clock, Home, Release};
use clap::Args;
use color_eyre::eyre::{Result, WrapErr};
use crew::Member;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Arguments of `flightdeck demo`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DemoArgs {
    /// Simulated seconds per real second (default: the scenario's, 200 for conda-release)
    #[arg(long, value_name = "N")]
    pub(crate) speed: Option<f64>,
    /// The simulated world: a built-in scenario (conda-release, conda-store-release, flaky-github) or a file
    #[arg(long, value_name = "NAME|FILE", default_value = "conda-release")]
    pub(crate) scenario: String,
    /// Print the timeline as it grows instead of opening the cockpit (implied without a terminal)
    #[arg(long)]
    pub(crate) headless: bool,
    /// Where to keep the demo's release (default: a new directory under the system's temp dir)
    #[arg(long, value_name = "DIR")]
    pub(crate) demo_home: Option<PathBuf>,
    /// Also write every request the simulated world serves to FILE, one JSON line each
    /// (who, method, path, status, whether it counted against the quota)
    #[arg(long, value_name = "FILE")]
    pub(crate) request_log: Option<PathBuf>,
}

/// How often each probe polls the simulated world, in real time: about every
/// 30 simulated seconds, so that a state lasting minutes of the release (a CI
/// run failing before a re-push) is seen even when hours pass in seconds.
fn demo_interval(speed: f64) -> Duration {
    Duration::try_from_secs_f64(30.0 / speed)
        .unwrap_or(Duration::from_secs(1))
        .clamp(Duration::from_millis(50), Duration::from_secs(1))
}

/// How long a step of a simulated member's stays ready before they sign it off.
const SIGN_OFF_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The user's cockpit exchanges with the simulated crew every second
/// (the real default is 10 s; hours pass in minutes here).
const USER_SYNC_SECS: u64 = 1;

/// A person of the scenario: login and token.
#[derive(Debug, Clone)]
struct Person {
    login: String,
    token: String,
}

/// The scenario's crew, by seat.
#[derive(Debug, Clone)]
struct People {
    pilot: Person,
    copilot: Option<Person>,
    jump_seat: Option<Person>,
}

impl People {
    fn of(scenario: &sim::Scenario) -> People {
        let find = |seat: Role| {
            scenario
                .tokens
                .iter()
                .find(|t| t.role == seat)
                .map(|t| Person {
                    login: t.login.clone(),
                    token: t.token.clone(),
                })
        };
        People {
            pilot: find(Role::Pilot).unwrap_or_else(|| Person {
                login: "pilot".into(),
                token: String::new(),
            }),
            copilot: find(Role::Copilot),
            jump_seat: find(Role::JumpSeat),
        }
    }

    fn roster(&self) -> Roster {
        Roster {
            pilot: self.pilot.login.clone(),
            copilot: self.copilot.as_ref().map(|p| p.login.clone()),
            jump_seat: self.jump_seat.as_ref().map(|p| p.login.clone()),
        }
    }
}

/// Runs the demo. `role` is the seat the user takes; `theme` and `no_color` style the cockpit.
pub(crate) fn run(args: DemoArgs, role: Role, config: &Config, no_color: bool) -> Result<()> {
    if let Some(speed) = args.speed
        && !(speed.is_finite() && speed > 0.0)
    {
        return Err(user(format!(
            "--speed {speed}: give a positive number of simulated seconds per real second, e.g. --speed 200"
        )));
    }
    let scenario = sim::load_scenario(&args.scenario).map_err(|e| user(format!("{e:#}")))?;
    let pairing = scenario.release.clone().ok_or_else(|| {
        user(format!(
            "scenario `{}` names no release to fly ([release] checklist and version)\n  use a scenario made for the demo, e.g. --scenario conda-release",
            scenario.name
        ))
    })?;
    let text = checklist::builtin(&pairing.checklist).ok_or_else(|| {
        user(format!(
            "scenario `{}` flies checklist `{}`, which is not built in (built in: {})",
            scenario.name,
            pairing.checklist,
            checklist::BUILTIN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let file = format!("checklists/{}.toml", pairing.checklist);
    let checklist =
        Checklist::parse(&file, text).map_err(|d| color_eyre::Report::new(Diagnostics(d)))?;
    let people = People::of(&scenario);
    let user_person = match role {
        Role::Pilot => Some(people.pilot.clone()),
        Role::Copilot => people.copilot.clone(),
        Role::JumpSeat => people.jump_seat.clone(),
    };
    let Some(me) = user_person else {
        return Err(user(format!(
            "scenario `{}` has no {role} among its [[tokens]], so the demo cannot seat you there\n  use --scenario conda-release, or add a token with role = \"{role}\"",
            scenario.name
        )));
    };

    let home_dir = match args.demo_home.clone() {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("flightdeck-demo-{}", std::process::id())),
    };
    let runtime = tokio::runtime::Runtime::new().wrap_err("starting the async runtime")?;
    runtime.block_on(async move {
        let sim = SimServer::start(
            scenario,
            SimOptions {
                speed: args.speed,
                request_log: args.request_log.clone(),
                ..SimOptions::default()
            },
        )
        .await
        .wrap_err("starting the simulated world")?;
        let sim_clock = sim.sim_clock();
        let clock = Clock::scaled(sim_clock.now(), sim_clock.speed());

        // The world answers for every channel the checklist's packages name.
        let mut demo_config = config.clone();
        demo_config.home = home_dir.clone();
        demo_config.cache_dir = home_dir.join("cache");
        demo_config.github_api = Some(sim.github_api());
        demo_config.pypi_url = Some(sim.pypi_url());
        for package in &checklist.packages {
            for channel in &package.channels {
                demo_config
                    .channels
                    .insert(channel.clone(), sim.channel_url(channel));
            }
        }
        let flight = Flight {
            sim: &sim,
            clock: clock.clone(),
            interval: demo_interval(sim_clock.speed()),
            config: demo_config,
            headless: args.headless || !std::io::stdout().is_terminal(),
            no_color,
        };
        let result = match role {
            Role::Pilot => {
                flight
                    .alone(&checklist, text, &pairing.version, &me.login, &me.token)
                    .await
            }
            seat => {
                flight
                    .crewed(&checklist, text, &pairing.version, &people, &me, seat)
                    .await
            }
        };
        sim.shutdown().await;
        let argv0 = invocation(
            std::env::args_os().next().as_deref(),
            std::env::var_os("CARGO").is_some() && std::env::var_os("CARGO_PKG_NAME").is_some(),
        );
        eprintln!("\n{}", closing_hint(&argv0, &home_dir, role, &me.login));
        result
    })
}

/// What the user may run on the release once the demo is over, for their seat.
fn closing_hint(argv0: &str, home: &Path, seat: Role, me: &str) -> String {
    let home = home.display();
    let run = format!("{argv0} --home {home}");
    let mut s = format!(
        "the demo release is kept in {home}\n  look back: {run} status\n  post-mortem: {run} export --format postmortem"
    );
    match seat {
        Role::Pilot => {}
        Role::Copilot => s.push_str(&format!(
            "\n  the crew: {run} crew\n  as @{me}, the co-pilot: FLIGHTDECK_LOGIN={me} {run} step done STEP  (or note TEXT; kept locally, the simulated issue is gone)"
        )),
        Role::JumpSeat => s.push_str(&format!(
            "\n  the crew: {run} crew\n  the jump seat only watches: status, crew and export are its commands"
        )),
    }
    s
}

/// What every seat's demo shares.
struct Flight<'a> {
    sim: &'a SimServer,
    clock: Clock,
    interval: Duration,
    config: Config,
    headless: bool,
    no_color: bool,
}

impl Flight<'_> {
    fn client(&self, token: &str) -> Result<Arc<GithubClient>, crate::github::GhError> {
        GithubClient::new(
            &self.sim.github_api(),
            Token::new(token),
            ClientOptions::default(),
        )
        .map(Arc::new)
    }

    /// The probes, polling the world about every 30 simulated seconds.
    fn watch(
        &self,
        release: &Release,
        store: Store,
        token: &str,
    ) -> (SchedulerHandle, mpsc::Receiver<ProbeMsg>) {
        let (tx, rx) = mpsc::channel(1024);
        let opts = SchedulerOptions {
            interval: self.interval,
            ..SchedulerOptions::default()
        };
        let specs = release.plan.probes().into_iter().cloned().collect();
        let handle = scheduler::spawn_with_config(
            specs,
            self.client(token),
            store,
            self.clock.clone(),
            tx,
            opts,
            &self.config,
        );
        (handle, rx)
    }

    /// The pilot's seat, as it always was: the user starts the release alone.
    async fn alone(
        &self,
        checklist: &Checklist,
        text: &str,
        version: &str,
        me: &str,
        token: &str,
    ) -> Result<()> {
        let home = Home::new(&self.config.home);
        let release = home.create(checklist, text, version, me, self.clock.clone())?;
        let store = Store::open(&release, me, Role::Pilot, self.clock.clone())?;
        let (handle, rx) = self.watch(&release, store.clone(), token);
        let result = self
            .show(&release, store, Role::Pilot, Some(rx), None, None)
            .await;
        handle.shutdown().await;
        result
    }

    /// The co-pilot's or the jump seat's: the rest of the crew is simulated,
    /// each on their own machine, and everyone meets on the tracking issue.
    async fn crewed(
        &self,
        checklist: &Checklist,
        text: &str,
        version: &str,
        people: &People,
        me: &Person,
        seat: Role,
    ) -> Result<()> {
        let api = self.sim.github_api();
        let crew_home = self.config.home.join("crew");
        let roster = people.roster();
        let repo = checklist
            .packages
            .first()
            .map(|p| p.repo.clone())
            .unwrap_or_default();
        let pilot = Member::start(
            &api,
            &people.pilot.token,
            &crew_home.join(&people.pilot.login),
            checklist,
            text,
            version,
            &roster,
            &repo,
            self.clock.clone(),
        )
        .await
        .wrap_err("the simulated pilot could not start the release")?;
        let issue = pilot.issue();
        println!(
            "@{} (simulated pilot) started {} with the crew {} and shares it on {issue}",
            pilot.login(),
            pilot.release().meta.id,
            crew_line(&roster)
        );
        let mut actors = vec![(pilot, vec![StepRole::Pilot, StepRole::Any])];
        if seat == Role::JumpSeat
            && let Some(copilot) = &people.copilot
        {
            let bob = Member::join(
                &api,
                Some(&copilot.token),
                &copilot.login,
                &crew_home.join(&copilot.login),
                &issue,
                self.clock.clone(),
            )
            .await
            .wrap_err("the simulated co-pilot could not join")?;
            println!("@{} (simulated co-pilot) joined {issue}", bob.login());
            actors.push((bob, vec![StepRole::Copilot]));
        }

        // The user's machine: the same `join` and background sync as `flightdeck join` and `fly`.
        let mut user_config = self.config.clone();
        user_config.github_token = Token::new(&me.token);
        user_config.sync_interval = Some(USER_SYNC_SECS);
        println!("you are @{}: `flightdeck join {issue}`", me.login);
        let joined = {
            let (home, issue, login, config) = (
                Home::new(&self.config.home),
                issue.clone(),
                me.login.clone(),
                user_config.clone(),
            );
            tokio::task::spawn_blocking(move || {
                crate::cli::sync::join(&home, &issue, &login, seat, &config)
            })
            .await
            .map_err(|e| color_eyre::eyre::eyre!("joining stopped: {e}"))?
        };
        joined.wrap_err_with(|| format!("@{} could not join {issue}", me.login))?;
        let release = Home::new(&self.config.home).resolve(Some(&actors[0].0.release().meta.id))?;
        let my_seat = crate::crew::seat_in(
            &crate::timeline::fold(&release.plan, &release.read_events()?),
            &me.login,
            seat,
        );
        let store = Store::open(&release, &me.login, my_seat, self.clock.clone())?;

        // Who watches the world: the user's cockpit when it may write (as
        // `fly` does), else the simulated pilot's.
        let (probes, rx) = if my_seat == Role::JumpSeat {
            let (h, rx) = self.watch(&release, actors[0].0.store().clone(), &people.pilot.token);
            (h, rx)
        } else {
            self.watch(&release, store.clone(), &me.token)
        };
        let Some((sync_task, reports)) = crate::cli::sync::spawn_background(
            &release,
            &me.login,
            seat,
            &user_config,
            Some(store.subscribe()),
        ) else {
            probes.shutdown().await;
            return Err(user(format!(
                "{}: the joined release remembers no share",
                release.dir.display()
            )));
        };

        let (stop, stopped) = watch::channel(false);
        let crew_task = tokio::spawn(fly_crew(actors, self.clock.clone(), self.interval, stopped));
        let settle = Settle {
            stop,
            crew: Some(crew_task),
            reports: reports.clone(),
        };
        let result = self
            .show(
                &release,
                store,
                my_seat,
                Some(rx),
                Some(reports),
                Some(settle),
            )
            .await;
        sync_task.abort();
        probes.shutdown().await;
        result
    }

    /// The cockpit, or the headless print of the timeline.
    async fn show(
        &self,
        release: &Release,
        store: Store,
        seat: Role,
        rx: Option<mpsc::Receiver<ProbeMsg>>,
        reports: Option<watch::Receiver<Option<Report>>>,
        settle: Option<Settle>,
    ) -> Result<()> {
        if self.headless {
            return headless::run(release, store, rx, reports, settle, self.sim, self.interval)
                .await;
        }
        let opts = crate::tui::CockpitOptions {
            role: seat,
            theme: self.config.theme.clone(),
            config_dir: self.config.config_dir.clone(),
            no_color: self.no_color,
            clock: self.clock.clone(),
            channels: self.config.channels.clone(),
            sync: reports,
            notify: self
                .config
                .notify
                .as_deref()
                .and_then(|n| n.parse().ok())
                .unwrap_or_default(),
            clipboard: self.config.clipboard,
        };
        let result = crate::tui::run(release.clone(), store, opts, rx, None).await;
        if let Some(s) = settle {
            s.stop().await;
        }
        result
    }
}

fn crew_line(roster: &Roster) -> String {
    let mut s = format!("@{} pilot", roster.pilot);
    if let Some(c) = &roster.copilot {
        s.push_str(&format!(", @{c} co-pilot"));
    }
    if let Some(j) = &roster.jump_seat {
        s.push_str(&format!(", @{j} jump seat"));
    }
    s
}

/// The simulated members, each with the step roles they sign off.
type Actors = Vec<(Member, Vec<StepRole>)>;

/// The simulated members' machines: each signs off their due steps and
/// exchanges every demo interval, until told to stop; then one last exchange.
async fn fly_crew(
    mut actors: Actors,
    clock: Clock,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) -> Actors {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => break,
        }
        for (member, mine) in &mut actors {
            member
                .sign_off_ready(mine, clock.now(), SIGN_OFF_AFTER)
                .await;
            member.exchange().await;
        }
    }
    for (member, _) in &actors {
        member.exchange().await;
    }
    actors
}

/// How the crewed demo winds down: the simulated crew's last exchange, then
/// the user's sync until nothing is left to move.
pub(crate) struct Settle {
    stop: watch::Sender<bool>,
    crew: Option<tokio::task::JoinHandle<Actors>>,
    reports: watch::Receiver<Option<Report>>,
}

impl Settle {
    /// Stops the simulated crew (after their last exchange).
    async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.crew.take() {
            let _ = t.await;
        }
    }

    /// The simulated crew's last exchange, then the user's background sync
    /// until a whole exchange moved nothing, then the crew reads once more.
    pub(crate) async fn finish(mut self) {
        let _ = self.stop.send(true);
        let Some(task) = self.crew.take() else {
            return;
        };
        let Ok(actors) = task.await else {
            return;
        };
        let wait = Duration::from_secs(USER_SYNC_SECS * 5 + 10);
        // The first report may come from an exchange begun before the crew's last one.
        let mut settled = 0;
        for _ in 0..10 {
            match tokio::time::timeout(wait, self.reports.changed()).await {
                Ok(Ok(())) => {}
                _ => break,
            }
            let quiet = self.reports.borrow_and_update().as_ref().is_some_and(|r| {
                r.pulled == 0 && r.pushed == 0 && r.to_push == 0 && r.error.is_none()
            });
            settled += 1;
            if quiet && settled >= 2 {
                break;
            }
        }
        for (member, _) in &actors {
            member.exchange().await;
        }
    }
}

/// The command as the user ran it, so the closing hint works whether or not
/// flightdeck is installed: `cargo run --` under cargo, the path when run by
/// path, `flightdeck` when found on PATH.
fn invocation(argv0: Option<&std::ffi::OsStr>, under_cargo: bool) -> String {
    if under_cargo {
        return "cargo run --".to_string();
    }
    match argv0.map(|a| a.to_string_lossy().into_owned()) {
        Some(path) if path.contains('/') && !path.contains(char::is_whitespace) => path,
        Some(path) if path.contains('/') => format!("'{path}'"),
        _ => "flightdeck".to_string(),
    }
}

#[cfg(test)]
mod invocation_tests {
    use super::invocation;
    use std::ffi::OsStr;

    #[test]
    fn the_closing_hint_names_the_command_as_it_was_run() {
        assert_eq!(
            invocation(Some(OsStr::new("flightdeck")), false),
            "flightdeck"
        );
        assert_eq!(
            invocation(Some(OsStr::new("target/debug/flightdeck")), true),
            "cargo run --"
        );
        assert_eq!(
            invocation(Some(OsStr::new("./target/debug/flightdeck")), false),
            "./target/debug/flightdeck"
        );
        assert_eq!(
            invocation(Some(OsStr::new("/my dir/fd")), false),
            "'/my dir/fd'"
        );
    }
}
