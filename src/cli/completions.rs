//! `flightdeck completions SHELL` and `flightdeck man`: generated from the same
//! command tree the parser uses, so they never drift from it.

use clap::{Args, ValueEnum};
use color_eyre::eyre::{Result, WrapErr};
use std::io::Write;

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in: bash, zsh or fish
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub(crate) fn completions(args: CompletionsArgs) -> Result<()> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut super::command(), "flightdeck", &mut out);
    write_stdout(&out)
}

pub(crate) fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::command())
        .render(&mut out)
        .wrap_err("rendering the manual page")?;
    write_stdout(&out)
}

/// A closed pipe (`| head`) is the reader's choice, not a failure.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).wrap_err("writing to standard output")
        }
        _ => Ok(()),
    }
}
