//! `flightdeck demo`: the whole cockpit on a simulated release, with no token
//! and no network.
//!
//! It starts the simulated world in-process on a free loopback port, creates a
//! release from the scenario's built-in checklist in a fresh home directory,
//! points every probe at the world, and opens the cockpit — or, without a
//! terminal (or with `--headless`), prints the timeline as it grows. Hours of a
//! release pass in minutes; by the end of the scenario the timeline is complete
//! and can be exported from the home directory it prints.

use crate::checklist::{self, Checklist};
use crate::config::Config;
use crate::crew::Role;
use crate::diag::Diagnostics;
use crate::error::user;
use crate::github::{ClientOptions, GithubClient, Token};
use crate::probe::ProbeMsg;
use crate::probe::scheduler::{self, SchedulerOptions};
use crate::sim::{self, SimOptions, SimServer};
use crate::timeline::{Clock, Home};
use clap::Args;
use color_eyre::eyre::{Result, WrapErr};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `flightdeck demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Simulated seconds per real second (default: the scenario's, 200 for conda-release)
    #[arg(long, value_name = "N")]
    pub speed: Option<f64>,
    /// The simulated world: a built-in scenario (conda-release, conda-store-release, flaky-github) or a file
    #[arg(long, value_name = "NAME|FILE", default_value = "conda-release")]
    pub scenario: String,
    /// Print the timeline as it grows instead of opening the cockpit (implied without a terminal)
    #[arg(long)]
    pub headless: bool,
    /// Where to keep the demo's release (default: a new directory under the system's temp dir)
    #[arg(long, value_name = "DIR")]
    pub demo_home: Option<PathBuf>,
}

/// How often each probe polls the simulated world, in real time: about every
/// 30 simulated seconds, so that a state lasting minutes of the release (a CI
/// run failing before a re-push) is seen even when hours pass in seconds.
fn demo_interval(speed: f64) -> Duration {
    Duration::try_from_secs_f64(30.0 / speed)
        .unwrap_or(Duration::from_secs(1))
        .clamp(Duration::from_millis(50), Duration::from_secs(1))
}

/// Runs the demo. `role` is the seat the user takes; `theme` and `no_color` style the cockpit.
pub fn run(args: DemoArgs, role: Role, config: &Config, no_color: bool) -> Result<()> {
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
    // The crew member whose seat the user takes, as the world knows them.
    let token = match role {
        Role::JumpSeat => None,
        seat => scenario.tokens.iter().find(|t| t.role == seat).cloned(),
    };
    let pilot_token = scenario
        .tokens
        .iter()
        .find(|t| t.role == Role::Pilot)
        .cloned();
    let pilot = scenario
        .tokens
        .iter()
        .find(|t| t.role == Role::Pilot)
        .map(|t| t.login.clone())
        .unwrap_or_else(|| "pilot".to_string());
    let me = token
        .as_ref()
        .map(|t| t.login.clone())
        .unwrap_or_else(|| "jump-seat".to_string());

    let home_dir = match args.demo_home {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("flightdeck-demo-{}", std::process::id())),
    };
    let runtime = tokio::runtime::Runtime::new().wrap_err("starting the async runtime")?;
    runtime.block_on(async move {
        let sim = SimServer::start(
            scenario,
            SimOptions {
                speed: args.speed,
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
                demo_config.channels.insert(channel.clone(), sim.channel_url(channel));
            }
        }
        let home = Home::new(&home_dir);
        // The pilot starts the release, whatever seat the user takes.
        let release = home.create(&checklist, text, &pairing.version, &pilot, clock.clone())?;
        let store = crate::store::Store::open(&release, &me, role, clock.clone())?;

        // The world is watched whatever seat the user takes: in the jump seat,
        // the simulated pilot's cockpit does the watching (and the writing).
        let (watcher, watcher_role, watcher_token) = match role {
            Role::JumpSeat => (pilot.clone(), Role::Pilot, pilot_token.clone()),
            _ => (me.clone(), role, token.clone()),
        };
        let client = GithubClient::new(
            &sim.github_api(),
            watcher_token.as_ref().and_then(|t| Token::new(&t.token)),
            ClientOptions::default(),
        )
        .map(Arc::new);
        // In the jump seat the watcher is another crew member (another
        // machine, really): its own store; the cockpit follows the file.
        let probe_log = match role {
            Role::JumpSeat => crate::store::Store::open(&release, &watcher, watcher_role, clock.clone())?,
            _ => store.clone(),
        };
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let opts = SchedulerOptions {
            interval: demo_interval(sim_clock.speed()),
            ..SchedulerOptions::default()
        };
        let specs = release.plan.probes().into_iter().cloned().collect();
        let handle = scheduler::spawn_with_config(specs, client, probe_log, clock.clone(), tx, opts, &demo_config);
        let (handle, rx) = (Some(handle), Some(rx));

        let headless = args.headless || !std::io::stdout().is_terminal();
        let result = if headless {
            headless_run(&release, rx, &sim, demo_interval(sim_clock.speed())).await
        } else {
            let opts = crate::tui::CockpitOptions {
                role,
                theme: demo_config.theme.clone(),
                config_dir: demo_config.config_dir.clone(),
                no_color,
                clock: clock.clone(),
                channels: demo_config.channels.clone(),
                notify: demo_config
                    .notify
                    .as_deref()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_default(),
                clipboard: demo_config.clipboard,
            };
            crate::tui::run(release.clone(), store, opts, rx).await
        };
        if let Some(h) = handle {
            h.shutdown().await;
        }
        sim.shutdown().await;
        let home_arg = home_dir.display();
        let me = invocation(
            std::env::args_os().next().as_deref(),
            std::env::var_os("CARGO").is_some() && std::env::var_os("CARGO_PKG_NAME").is_some(),
        );
        eprintln!(
            "\nthe demo release is kept in {home_arg}\n  look back: {me} --home {home_arg} status\n  post-mortem: {me} --home {home_arg} export --format postmortem"
        );
        result
    })
}

/// Prints each event as it is recorded, until the scenario is over.
async fn headless_run(
    release: &crate::timeline::Release,
    rx: Option<tokio::sync::mpsc::Receiver<ProbeMsg>>,
    sim: &SimServer,
    interval: Duration,
) -> Result<()> {
    println!(
        "{} — simulated; events print as they are recorded (Ctrl-C to stop)",
        release.plan.title
    );
    let Some(mut rx) = rx else {
        return Err(user(
            "the jump seat records nothing, so a headless demo would print nothing\n  run the demo headless as pilot or copilot, or open the cockpit in a terminal",
        ));
    };
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(ProbeMsg::Recorded(event)) => {
                    println!(
                        "{}  {}",
                        event.at.format("%Y-%m-%d %H:%M"),
                        crate::export::describe(&event, &release.plan)
                    );
                }
                Some(_) => {}
                None => break,
            },
            _ = tick.tick() => {
                if sim.finished() {
                    // One more interval so the last happenings are observed.
                    tokio::time::sleep(interval * 3).await;
                    while let Ok(msg) = rx.try_recv() {
                        if let ProbeMsg::Recorded(event) = msg {
                            println!("{}  {}", event.at.format("%Y-%m-%d %H:%M"), crate::export::describe(&event, &release.plan));
                        }
                    }
                    println!("the scenario is over");
                    break;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(())
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
