//! The cockpit: the interactive terminal UI of a release.
//!
//! Shape (see `style.md`): ratatui owns the terminal; one input task
//! `select!`s over terminal events, probe messages, a log-refresh timer, the
//! clock and quit signals ([`app`]); a key becomes an [`action::Action`];
//! [`update::update`] is pure and returns [`action::Effect`]s, checking the
//! crew policy before anything is written; the driver performs the effects
//! and draws on demand from borrowed state ([`view`], one module per pane in
//! [`panes`]).
//!
//! Entry point: [`run`], used by `flightdeck fly` (and by `demo`, with a
//! scaled clock and a probe channel).

pub mod action;
pub mod app;
pub mod board;
pub(crate) mod clipboard;
pub(crate) mod find;
/// Test data with panics: compiled for tests and benches only (the
/// `test-support` feature, turned on by the crate's self dev-dependency).
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod fixture;
pub mod layout;
pub mod model;
pub(crate) mod nav;
pub(crate) mod notify;
pub(crate) mod panes;
pub mod theme;
pub mod update;
pub mod view;
pub(crate) mod waiting;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cockpit;
#[cfg(test)]
mod tests_find;

use crate::crew::Role;
use crate::error::user;
use crate::probe::ProbeMsg;
use crate::store::Store;
use crate::timeline::{Clock, Release};
use color_eyre::eyre::{Result, WrapErr};
use model::{Flash, FlashKind, Model};
use std::io::IsTerminal;
use std::path::PathBuf;
use theme::Theme;
use tokio::sync::mpsc::Receiver;

/// How the cockpit runs.
#[derive(Debug, Clone)]
pub(crate) struct CockpitOptions {
    /// The seat: what this cockpit may write (checked in `update`).
    pub(crate) role: Role,
    /// `--theme NAME|PATH` (or the config's `theme`); `None` is the dark default.
    pub(crate) theme: Option<String>,
    /// Where user themes live (`<config_dir>/themes/NAME.toml`).
    pub(crate) config_dir: Option<PathBuf>,
    /// `--no-color`; `NO_COLOR` in the environment has the same effect.
    pub(crate) no_color: bool,
    /// Where "now" comes from: the wall clock, or a scaled one for `demo`.
    pub(crate) clock: Clock,
    /// Channel URLs by name (`--channel`, the config's `[channels]`), for the export's links.
    pub(crate) channels: std::collections::BTreeMap<String, String>,
    /// The crew sync's reports, when the release is shared (shown in the header).
    pub(crate) sync: Option<tokio::sync::watch::Receiver<Option<crate::crew::share::Report>>>,
    /// Alerts (opt-in): the config's `notify`, or `fly --notify`.
    pub(crate) notify: notify::Notify,
    /// The config's `clipboard`: `osc52` (copy through the terminal) or
    /// `show` (always show the text); `None` detects whether the terminal takes OSC 52.
    pub(crate) clipboard: Option<bool>,
}

impl CockpitOptions {
    /// Whether to draw without colours (`--no-color` or a non-empty `NO_COLOR`).
    pub(crate) fn monochrome(&self) -> bool {
        self.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// The theme to draw with, and warnings about the one asked for.
    pub(crate) fn resolve_theme(&self) -> (Theme, Vec<String>) {
        if self.monochrome() {
            (Theme::monochrome(), Vec::new())
        } else {
            Theme::load(self.theme.as_deref(), self.config_dir.as_deref())
        }
    }
}

/// Opens the cockpit on a release until the crew member quits (`q`, Ctrl-C),
/// or the process gets SIGTERM, SIGHUP or SIGINT. The terminal is restored in every
/// case, including a panic.
///
/// - `store` owns the release's timeline for this process, opened as this
///   crew member ([`Store::open`]); what it records reaches the screen in
///   memory, and events other processes append are picked up every 500 ms.
/// - `probes` receives what the probe tasks report; `None` runs without probes
///   (the board shows what the log already holds).
///
/// Fails with a user error (exit 2) when stdout is not a terminal.
pub(crate) async fn run(
    release: Release,
    store: Store,
    opts: CockpitOptions,
    probes: Option<Receiver<ProbeMsg>>,
    folded: Option<(crate::timeline::State, usize)>,
) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        return Err(not_a_terminal(&release.meta.id));
    }
    let (theme, warnings) = opts.resolve_theme();
    let me = store.author();
    let mut model = store.with_events(|events| {
        // The state folded when the log was opened (`folded`: of its first
        // events), brought up to date, rather than folded again.
        let state = match folded {
            Some((state, n)) => state.caught_up(&release.plan, events, n),
            None => crate::timeline::fold(&release.plan, events),
        };
        Model::with_state(
            &release.meta.id,
            release.plan.clone(),
            state,
            opts.role,
            &me,
            opts.clock.now(),
        )
    });
    // Before the terminal is taken over: inside tmux this asks tmux once.
    model.ui.osc52 = clipboard::osc52_supported(
        opts.clipboard,
        |k| std::env::var(k).ok(),
        clipboard::tmux_set_clipboard,
    );
    model.ui.notify = opts.notify != notify::Notify::Off;
    if let Some(w) = warnings.first() {
        model.ui.flash = Some(Flash {
            text: w.replace("\n  ", " — ").replace('\n', " · "),
            kind: FlashKind::Error,
        });
    }
    let quit = quit_signal();
    let terminal = ratatui::init();
    // ratatui's panic hook restores the terminal but knows nothing of mouse
    // capture; turn it off first, then chain to ratatui's (and color-eyre's) hook.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::event::DisableMouseCapture
        );
        previous(info);
    }));
    let _ = ratatui::crossterm::execute!(
        std::io::stdout(),
        ratatui::crossterm::event::EnableMouseCapture
    );
    let mut driver = app::Driver::new(
        terminal,
        model,
        theme,
        store,
        opts.clock.clone(),
        Box::new(std::io::stdout()),
    );
    driver.release = Some(release);
    driver.channels = opts.channels.clone();
    driver.sync = opts.sync;
    driver.notify = opts.notify;
    let input = ratatui::crossterm::event::EventStream::new();
    let result = driver.run(input, probes, quit).await;
    let _ = ratatui::crossterm::execute!(
        std::io::stdout(),
        ratatui::crossterm::event::DisableMouseCapture
    );
    ratatui::restore();
    for w in warnings {
        eprintln!("warning: {w}");
    }
    result.wrap_err("running the cockpit")
}

/// The error for `fly` without a terminal (a pipe, CI): a user error (exit 2)
/// that points at the headless commands.
pub(crate) fn not_a_terminal(release: &str) -> color_eyre::Report {
    user(format!(
        "the cockpit needs a terminal, and stdout is not one\n  for scripts and CI use `flightdeck status {release}` (add --json) or `flightdeck poll {release} --once`"
    ))
}

/// Resolves when the process is asked to stop (SIGTERM, SIGHUP, SIGINT), so the
/// terminal is restored instead of left raw. The handlers are installed when
/// this is *called* (before the terminal is taken over), not when the future
/// is first polled: a signal in between would otherwise kill the process with
/// the terminal still raw.
fn quit_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        // SIGINT too: in raw mode Ctrl-C is a key, so a SIGINT comes from outside
        // (`kill -INT`, a supervisor) and must not leave the terminal raw.
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(hup), Ok(int)) => Some((term, hup, int)),
            // Without signal handlers, only q / Ctrl-C quit.
            _ => None,
        }
    };
    async move {
        #[cfg(unix)]
        match handlers {
            Some((mut term, mut hup, mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                    _ = int.recv() => {}
                }
            }
            None => std::future::pending().await,
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}
