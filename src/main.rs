use clap::Parser;
use flightdeck::cli::{Cli, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Backtraces help us, not someone who mistyped a step id: only show them on request.
    let _ = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) if flightdeck::error::is_user_error(&report) => {
            eprintln!("error: {report:#}");
            ExitCode::from(2)
        }
        Err(report) => {
            eprintln!("error: {report:?}");
            ExitCode::from(1)
        }
    }
}
