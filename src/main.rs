use clap::FromArgMatches;
use flightdeck::cli::{Cli, run};
use flightdeck::diag::harmless;
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    flightdeck::install_crypto_provider();
    let matches = match flightdeck::cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return clap_exit(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let verbose = cli.global.verbose;
    let colour = !cli.global.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    // Backtraces and source locations help us, not someone whose disk is full:
    // the report's details appear only with -v, and in colour only on a terminal.
    let hook = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .display_location_section(verbose);
    let hook = if colour {
        hook
    } else {
        hook.theme(color_eyre::config::Theme::new())
    };
    let _ = hook.install();
    quiet_on_closed_pipe();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) if flightdeck::error::is_user_error(&report) => {
            // An error may quote outside text (a login, a server's message): harmless first.
            eprintln!("{}", harmless(&format!("error: {report:#}")));
            ExitCode::from(2)
        }
        Err(report) if verbose => {
            eprintln!("{}", harmless(&format!("error: {report:?}")));
            ExitCode::from(1)
        }
        Err(report) => {
            eprintln!("{}", harmless(&flightdeck::error::plain(&report)));
            ExitCode::from(1)
        }
    }
}

fn clap_exit(e: clap::Error) -> ExitCode {
    let _ = e.print();
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            ExitCode::SUCCESS
        }
        _ => ExitCode::from(2),
    }
}

/// `flightdeck status | head`: the reader closing the pipe is its choice, not
/// our crash. `println!` panics on EPIPE; that one panic ends the process
/// quietly (status 0, as the output that was wanted was written), every other
/// panic goes to the report hook.
fn quiet_on_closed_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        previous(info);
    }));
}
