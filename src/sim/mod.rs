//! The simulated world: a loopback HTTP server that speaks a GitHub REST subset,
//! conda channels (plain and sharded repodata) and the PyPI JSON API, driven by a
//! scenario of timed happenings and faults on a simulated clock.
//!
//! It is both the test bed for every probe and what `flightdeck demo` flies.
//!
//! ```no_run
//! # async fn demo() -> color_eyre::Result<()> {
//! use flightdeck::sim::{Scenario, SimOptions, SimServer, builtin};
//! let text = builtin("conda-release").expect("shipped");
//! let scenario = Scenario::from_str("conda-release", text).map_err(|d| color_eyre::eyre::eyre!("{d:?}"))?;
//! let sim = SimServer::start(scenario, SimOptions::default()).await?;
//! println!("point the cockpit at: {}", sim.flags().join(" "));
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The scenario format is documented in `scenarios/README.md`.

mod channel;
mod clock;
mod github;
mod pypi;
mod reply;
mod scenario;
mod server;
mod world;

use std::path::PathBuf;

use color_eyre::eyre::WrapErr;

use crate::crew::Role;

pub use scenario::{Scenario, builtin};
pub use server::{RequestRecord, SimOptions, SimServer};

/// The simulation speeds that make sense (sim seconds per real second): beyond
/// them, durations computed from the speed stop being representable.
const SPEEDS: std::ops::RangeInclusive<f64> = 0.001..=1_000_000.0;

/// `flightdeck sim ...` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum SimCommand {
    /// Serve a simulated world (GitHub, conda channels, PyPI) on 127.0.0.1 until Ctrl-C.
    ///
    /// Prints the URLs and the exact flags that point a cockpit at it.
    Serve(ServeArgs),
}

/// Arguments of `flightdeck sim serve`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServeArgs {
    /// Scenario file, or the name of a builtin scenario
    /// (conda-release, conda-store-release, flaky-github).
    #[arg(long, short, value_name = "FILE|NAME", default_value = "conda-release")]
    pub(crate) scenario: String,
    /// Port on 127.0.0.1 (0 picks a free port).
    #[arg(long, short, value_name = "P", default_value_t = 0)]
    pub(crate) port: u16,
    /// Sim seconds per real second (overrides the scenario's [clock] speed).
    #[arg(long, value_name = "N")]
    pub(crate) speed: Option<f64>,
    /// Append every request as a JSON line to FILE (time, login, method, path, status, counted, bytes).
    #[arg(long, value_name = "FILE")]
    pub(crate) request_log: Option<PathBuf>,
}

/// Resolve `--scenario`: an existing file wins, then a builtin name.
pub(crate) fn load_scenario(spec: &str) -> color_eyre::Result<Scenario> {
    let path = std::path::Path::new(spec);
    let result = if path.exists() {
        Scenario::load(path)
    } else if let Some(text) = builtin(spec) {
        Scenario::from_str(&format!("{spec} (builtin)"), text)
    } else {
        return Err(crate::error::user(format!(
            "no scenario file `{spec}` and no builtin scenario by that name (builtins: {})",
            scenario::BUILTIN_NAMES.join(", ")
        )));
    };
    result.map_err(|diags| {
        let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
        crate::error::user(format!(
            "the scenario has {} problem(s):\n{}",
            diags.len(),
            all.join("\n")
        ))
    })
}

/// Run a `sim` subcommand.
pub(crate) async fn run(cmd: SimCommand) -> color_eyre::Result<()> {
    match cmd {
        SimCommand::Serve(args) => serve(args).await,
    }
}

async fn serve(args: ServeArgs) -> color_eyre::Result<()> {
    if let Some(s) = args.speed
        && !SPEEDS.contains(&s)
    {
        return Err(crate::error::user(format!(
            "--speed {s}: give simulated seconds per real second between {} and {}",
            SPEEDS.start(),
            SPEEDS.end()
        )));
    }
    let scenario = load_scenario(&args.scenario)?;
    let sim = SimServer::start(
        scenario,
        SimOptions {
            port: Some(args.port),
            speed: args.speed,
            request_log: args.request_log.clone(),
        },
    )
    .await
    .wrap_err("starting the simulated world")?;
    let sc = sim.scenario();
    let clock = sim.sim_clock();
    println!("flightdeck sim: scenario `{}`", sc.name);
    if !sc.description.is_empty() {
        println!("  {}", sc.description.trim());
    }
    println!(
        "  sim clock starts {} at {}x real time",
        clock.start().to_rfc3339(),
        clock.speed()
    );
    if let Some(r) = &sc.release {
        println!(
            "  pairs with checklist `{}` version {}",
            r.checklist, r.version
        );
    }
    println!();
    println!("  GitHub API  {}", sim.github_api());
    for c in &sc.channels {
        println!("  channel     {} = {}", c.name, sim.channel_url(&c.name));
    }
    println!("  PyPI        {}", sim.pypi_url());
    println!();
    println!("Point a cockpit at it (these flags go before any flightdeck command):");
    let token = sc
        .tokens
        .iter()
        .find(|t| t.role == Role::Pilot)
        .map(|t| t.token.clone())
        .unwrap_or_else(|| "sim-pilot-token".into());
    println!(
        "  GH_TOKEN={token} flightdeck {} <command>",
        sim.flags().join(" ")
    );
    for t in &sc.tokens {
        let role = match t.role {
            Role::Pilot => "pilot",
            Role::Copilot => "co-pilot",
            Role::JumpSeat => "jump seat",
        };
        println!("  token {:<20} -> {} ({role})", t.token, t.login);
    }
    println!(
        "  (no token: unauthenticated, {} requests/hour)",
        sc.limits.unauthenticated
    );
    if let Some(p) = &args.request_log {
        println!("Request log: {}", p.display());
    }
    println!("Ctrl-C to stop.");

    wait_for_signal().await;
    sim.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: SimCommand,
    }

    #[test]
    fn sim_serve_parses_its_flags_and_documents_them() {
        let cli = Cli::try_parse_from([
            "sim",
            "serve",
            "--scenario",
            "flaky-github",
            "--port",
            "8765",
            "--speed",
            "30",
            "--request-log",
            "r.jsonl",
        ])
        .expect("flags parse");
        let SimCommand::Serve(args) = cli.cmd;
        assert_eq!(args.scenario, "flaky-github");
        assert_eq!(args.port, 8765);
        assert_eq!(args.speed, Some(30.0));
        assert_eq!(args.request_log, Some(PathBuf::from("r.jsonl")));

        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("serve")
            .expect("serve exists")
            .render_long_help()
            .to_string();
        for flag in [
            "--scenario",
            "--port",
            "--speed",
            "--request-log",
            "conda-release",
        ] {
            assert!(help.contains(flag), "help lacks {flag}:\n{help}");
        }
    }

    #[test]
    fn scenarios_resolve_by_builtin_name_or_path_and_fail_helpfully() {
        assert_eq!(
            load_scenario("conda-store-release").expect("builtin").name,
            "conda-store-release"
        );
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/flaky-github.toml");
        assert_eq!(load_scenario(path).expect("by path").name, "flaky-github");
        let err = load_scenario("no-such-scenario")
            .expect_err("unknown")
            .to_string();
        assert!(err.contains("builtins: conda-release"), "{err}");
    }
}
