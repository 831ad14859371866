//! The driver: a thin router between the outside (terminal input, probe
//! messages, the log on disk, the clock, signals) and the pure `update`.
//!
//! One task, never blocking: `tokio::select!` over the crossterm event
//! stream, the probe channel, a log-refresh timer, a clock tick and the quit
//! signals. Drawing happens only when something changed (a dirty flag), at
//! most once per [`FRAME`], so a burst of messages becomes one frame.

use super::action::{Action, Effect, key_action, mouse_action};
use super::clipboard;
use super::model::{Flash, FlashKind, Model};
use super::panes::fit;
use super::theme::Theme;
use super::update::{after_refold, update};
use super::view;
use crate::probe::ProbeMsg;
use crate::timeline::{Clock, EventLog};
use color_eyre::eyre::{Result, WrapErr};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::Event as TermEvent;
use std::future::Future;
use std::io::Write;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

/// The shortest time between two frames (60 per second at most).
pub const FRAME: Duration = Duration::from_millis(16);
/// How often the log is checked for events other processes appended
/// (`flightdeck step done` in another terminal). Cheap: it reads only new bytes.
pub const REFRESH: Duration = Duration::from_millis(500);
/// How often the clock is read (the screen changes only when a shown minute does).
pub const TICK: Duration = Duration::from_secs(1);

/// Counters a test or benchmark can read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames drawn.
    pub draws: u64,
    /// Re-folds of the log.
    pub refolds: u64,
}

/// What the driver needs, besides the terminal.
pub struct Driver<B: Backend> {
    pub terminal: Terminal<B>,
    pub model: Model,
    pub theme: Theme,
    pub log: EventLog,
    pub clock: Clock,
    /// Where OSC 52 sequences go (stdout in the real cockpit).
    pub clipboard: Box<dyn Write + Send>,
    pub stats: Stats,
    /// The release on disk, for exports (`e`); tests may run without one.
    pub release: Option<crate::timeline::Release>,
    dirty: bool,
    needs_refresh: bool,
    last_draw: Option<Instant>,
    last_log_error: Option<String>,
}

impl<B: Backend> Driver<B>
where
    B::Error: Send + Sync + 'static,
{
    pub fn new(
        terminal: Terminal<B>,
        model: Model,
        theme: Theme,
        log: EventLog,
        clock: Clock,
        clipboard: Box<dyn Write + Send>,
    ) -> Self {
        Driver {
            terminal,
            model,
            theme,
            log,
            clock,
            clipboard,
            stats: Stats::default(),
            release: None,
            dirty: true,
            needs_refresh: false,
            last_draw: None,
            last_log_error: None,
        }
    }

    /// Draws a frame (unconditionally).
    pub fn draw(&mut self) -> Result<()> {
        let (model, theme) = (&self.model, &self.theme);
        self.terminal
            .draw(|f| {
                let area = f.area();
                view::render(model, theme, area, f.buffer_mut());
            })
            .wrap_err("drawing the cockpit")?;
        self.stats.draws += 1;
        self.dirty = false;
        self.last_draw = Some(Instant::now());
        Ok(())
    }

    /// Whether a frame is owed.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Runs an action through `update` and performs its effects.
    pub fn dispatch(&mut self, action: Action) {
        match &action {
            Action::Tick(now) => {
                // Ages and the elapsed time are shown to the minute: redraw only when one turns.
                let before = self.model.now.timestamp().div_euclid(60);
                let after = now.timestamp().div_euclid(60);
                if before != after {
                    self.dirty = true;
                }
            }
            Action::Probe(ProbeMsg::Report(r)) => {
                if self.model.reports.get(&r.probe) != Some(r) {
                    self.dirty = true;
                }
            }
            Action::Probe(ProbeMsg::Quota(q)) => {
                if self.model.quota.as_ref() != Some(q) {
                    self.dirty = true;
                }
            }
            Action::Probe(ProbeMsg::Recorded(_)) => {}
            _ => self.dirty = true,
        }
        for effect in update(&mut self.model, action) {
            self.perform(effect);
        }
    }

    fn flash(&mut self, kind: FlashKind, text: String) {
        self.model.ui.flash = Some(Flash { text, kind });
        self.dirty = true;
    }

    fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::Append { permit, done } => match self.log.append(permit) {
                Ok(_) => {
                    self.refold();
                    self.flash(FlashKind::Ok, done);
                }
                Err(e) => self.flash(FlashKind::Error, format!("nothing was recorded: {e}")),
            },
            Effect::Copy { what, text } => match clipboard::copy(&mut self.clipboard, &text) {
                Ok(()) => self.flash(
                    FlashKind::Ok,
                    format!(
                        "copied the {what} to the clipboard (OSC 52): {}",
                        fit(&text, 60)
                    ),
                ),
                Err(e) => self.flash(FlashKind::Error, format!("could not copy: {e}")),
            },
            Effect::Export => match self.export() {
                Ok(path) => self.flash(
                    FlashKind::Ok,
                    format!("exported the post-mortem to {}", path.display()),
                ),
                Err(e) => self.flash(FlashKind::Error, format!("export failed: {e}")),
            },
            Effect::Refresh => self.needs_refresh = true,
            Effect::Quit => {}
        }
    }

    /// Writes the post-mortem document (with its timeline table) beside the
    /// release's log, atomically. The log itself is not touched.
    fn export(&self) -> Result<std::path::PathBuf> {
        use crate::export::{ExportOptions, Format, default_path, export};
        let release = self
            .release
            .as_ref()
            .ok_or_else(|| color_eyre::eyre::eyre!("this cockpit has no release on disk"))?;
        let opts = ExportOptions::new(Format::Postmortem, self.clock.now());
        let text = export(release, &self.model.state, &opts)?;
        let path = default_path(release, Format::Postmortem);
        crate::timeline::fsutil::write_atomic(&path, text.as_bytes())
            .wrap_err_with(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    fn refold(&mut self) {
        self.model.refold(self.log.events());
        after_refold(&mut self.model);
        self.stats.refolds += 1;
        self.dirty = true;
    }

    /// Picks up events other processes appended; re-folds only if any arrived.
    pub fn refresh_log(&mut self) {
        self.needs_refresh = false;
        match self.log.refresh() {
            Ok(0) => {}
            Ok(_) => self.refold(),
            Err(e) => {
                let text = format!("reading the timeline: {e}");
                if self.last_log_error.as_ref() != Some(&text) {
                    self.last_log_error = Some(text.clone());
                    self.flash(FlashKind::Error, text);
                }
            }
        }
    }

    fn on_terminal(&mut self, ev: TermEvent) {
        let action = match ev {
            TermEvent::Key(k) => key_action(&self.model, &k),
            TermEvent::Mouse(m) => mouse_action(&m),
            TermEvent::Resize(w, h) => Some(Action::Resize(w, h)),
            TermEvent::Paste(text) => {
                for c in text.chars().filter(|c| !c.is_control()) {
                    self.dispatch(Action::Type(c));
                }
                None
            }
            TermEvent::FocusGained | TermEvent::FocusLost => None,
        };
        if let Some(a) = action {
            self.dispatch(a);
        }
    }

    /// The loop. Returns when the crew member quits, the input ends, or `shutdown` fires.
    pub async fn run<S, F>(
        &mut self,
        mut input: S,
        mut probes: Option<Receiver<ProbeMsg>>,
        shutdown: F,
    ) -> Result<()>
    where
        S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
        F: Future<Output = ()>,
    {
        let size = self.terminal.size().wrap_err("reading the terminal size")?;
        self.dispatch(Action::Resize(size.width, size.height));
        self.dispatch(Action::Tick(self.clock.now()));
        let mut refresh = tokio::time::interval(REFRESH);
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tokio::pin!(shutdown);
        loop {
            if self.needs_refresh {
                self.refresh_log();
            }
            if self.model.ui.quit {
                return Ok(());
            }
            let due = self.last_draw.map(|t| t + FRAME);
            if self.dirty && due.is_none_or(|d| Instant::now() >= d) {
                self.draw()?;
            }
            // While a frame is owed but capped, wake up when it may be drawn.
            let wake = self.dirty.then(|| due.unwrap_or_else(Instant::now));
            tokio::select! {
                ev = input.next() => match ev {
                    Some(Ok(ev)) => self.on_terminal(ev),
                    Some(Err(e)) => return Err(e).wrap_err("reading the terminal"),
                    None => return Ok(()),
                },
                msg = recv(&mut probes) => match msg {
                    Some(msg) => {
                        self.dispatch(Action::Probe(msg));
                        // Coalesce a burst: take everything already queued before drawing.
                        while let Some(rx) = probes.as_mut() {
                            match rx.try_recv() {
                                Ok(more) => self.dispatch(Action::Probe(more)),
                                Err(_) => break,
                            }
                        }
                    }
                    None => probes = None,
                },
                _ = refresh.tick() => self.needs_refresh = true,
                _ = tick.tick() => self.dispatch(Action::Tick(self.clock.now())),
                _ = sleep_until(wake) => {}
                () = &mut shutdown => return Ok(()),
            }
        }
    }
}

async fn recv(rx: &mut Option<Receiver<ProbeMsg>>) -> Option<ProbeMsg> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
