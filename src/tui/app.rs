//! The driver: a thin router between the outside (terminal input, probe
//! messages, the store, the clock, signals) and the pure `update`.
//!
//! One task, never blocking: `tokio::select!` over the crossterm event
//! stream, the probe channel, the store's recorded events, the outcomes of
//! effects, a log-refresh timer, a clock tick and the quit signals. Effects
//! that touch the disk (appends with their fsync, exports) run on tokio's
//! blocking pool and come back as [`Action::Outcome`]s; every decision stays
//! in `update`. Drawing happens only when something changed (a dirty flag), at
//! most once per [`FRAME`], so a burst of messages becomes one frame.

use super::action::{Action, Effect, Outcome, key_action, mouse_action};
use super::clipboard;
use super::model::Model;
use super::theme::Theme;
use super::update::update;
use super::view;
use crate::probe::ProbeMsg;
use crate::store::Store;
use crate::timeline::{Clock, Event};
use color_eyre::eyre::{Result, WrapErr};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::Event as TermEvent;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc::Receiver;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

/// The shortest time between two frames (60 per second at most).
pub(crate) const FRAME: Duration = Duration::from_millis(16);
/// How often the log is checked for events other processes appended
/// (`flightdeck step done` in another terminal). Cheap: it reads only new bytes.
pub(crate) const REFRESH: Duration = Duration::from_millis(500);
/// How often the clock is read (the screen changes only when a shown minute does).
pub(crate) const TICK: Duration = Duration::from_secs(1);

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
    pub(crate) theme: Theme,
    pub(crate) store: Store,
    pub(crate) clock: Clock,
    /// Where OSC 52 sequences go (stdout in the real cockpit).
    pub(crate) clipboard: Box<dyn Write + Send>,
    pub stats: Stats,
    /// The release on disk, for exports (`e`); tests may run without one.
    pub release: Option<crate::timeline::Release>,
    /// Channel URLs by name (`--channel`, the config), for the export's links.
    pub(crate) channels: std::collections::BTreeMap<String, String>,
    /// The crew sync's reports, when the release is shared.
    pub(crate) sync: Option<tokio::sync::watch::Receiver<Option<crate::crew::share::Report>>>,
    /// How to ring when `update` asks for an alert (the model's `notify` says whether it asks).
    pub(crate) notify: super::notify::Notify,
    dirty: bool,
    /// Something changed that the screen may or may not show (a probe's
    /// `last_ok`, a turning minute): drawn only if the frame it gives differs.
    recheck: bool,
    /// The last frame drawn, to tell whether a recheck shows anything new.
    shown: Option<Buffer>,
    needs_refresh: bool,
    last_draw: Option<Instant>,
    recorded: broadcast::Receiver<Arc<Event>>,
    outcomes: (UnboundedSender<Outcome>, UnboundedReceiver<Outcome>),
    /// Effects sent to the blocking pool and not yet back.
    pending: usize,
    refreshing: bool,
}

impl<B: Backend> Driver<B>
where
    B::Error: Send + Sync + 'static,
{
    pub fn new(
        terminal: Terminal<B>,
        model: Model,
        theme: Theme,
        store: Store,
        clock: Clock,
        clipboard: Box<dyn Write + Send>,
    ) -> Self {
        let recorded = store.subscribe();
        Driver {
            terminal,
            model,
            theme,
            store,
            clock,
            clipboard,
            stats: Stats::default(),
            release: None,
            channels: Default::default(),
            sync: None,
            notify: Default::default(),
            dirty: true,
            recheck: false,
            shown: None,
            needs_refresh: false,
            last_draw: None,
            recorded,
            outcomes: unbounded_channel(),
            pending: 0,
            refreshing: false,
        }
    }

    /// Draws a frame (unconditionally).
    pub(crate) fn draw(&mut self) -> Result<()> {
        let (model, theme) = (&self.model, &self.theme);
        let mut shown = None;
        self.terminal
            .draw(|f| {
                let area = f.area();
                view::render(model, theme, area, f.buffer_mut());
                shown = Some(f.buffer_mut().clone());
            })
            .wrap_err("drawing the cockpit")?;
        self.shown = shown;
        self.stats.draws += 1;
        self.dirty = false;
        self.recheck = false;
        self.last_draw = Some(Instant::now());
        Ok(())
    }

    /// Settles a recheck: owes a frame only if the screen would look different.
    /// Rendering off-screen costs about a frame's time, not a terminal write;
    /// on a quiet world it turns every probe report into no frame at all.
    fn settle_recheck(&mut self) {
        if !std::mem::take(&mut self.recheck) || self.dirty {
            return;
        }
        let Some(shown) = &self.shown else {
            self.dirty = true;
            return;
        };
        let mut next = Buffer::empty(shown.area);
        view::render(&self.model, &self.theme, shown.area, &mut next);
        self.dirty = &next != shown;
    }

    /// Runs an action through `update` and performs its effects.
    pub(crate) fn dispatch(&mut self, action: Action) {
        match &action {
            Action::Tick(now) => {
                // Ages and the elapsed time are shown to the minute: redraw only when one
                // turns, on our clock or on the sources' (ages of source times use theirs).
                let off = self.model.source_now() - self.model.now;
                let minute = |t: chrono::DateTime<chrono::Utc>| t.timestamp().div_euclid(60);
                let theirs =
                    |t: chrono::DateTime<chrono::Utc>| t.checked_add_signed(off).map(minute);
                if minute(self.model.now) != minute(*now) || theirs(self.model.now) != theirs(*now)
                {
                    self.recheck = true;
                }
            }
            // `last_ok` and `next_poll` change on every poll; most of the time
            // nothing on screen shows them.
            Action::Probe(ProbeMsg::Report(r)) => {
                if self.model.reports.get(&r.probe) != Some(r) {
                    self.recheck = true;
                }
            }
            // A source's clock moves ages and may warn: redraw only if the screen changes.
            Action::Probe(ProbeMsg::Clock(_)) => self.recheck = true,
            Action::Probe(ProbeMsg::Quota(q)) => {
                if self.model.quota.as_ref() != Some(q) {
                    self.recheck = true;
                }
            }
            // Every exchange reports; most change nothing on screen.
            Action::Synced(r) => {
                if self.model.sync.as_ref() != Some(r) {
                    self.recheck = true;
                }
            }
            Action::Probe(ProbeMsg::Recorded(_)) | Action::Outcome(Outcome::Refreshed) => {}
            _ => self.dirty = true,
        }
        for effect in update(&mut self.model, action) {
            self.perform(effect);
        }
        // A handover moved this cockpit's seat: the log writes as the new one.
        if self.model.role != self.store.seat() {
            self.store.set_seat(self.model.role);
        }
    }

    fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::Append { permit, done } => {
                let store = self.store.clone();
                self.in_background(async move {
                    match store.append_async(permit).await {
                        Ok(_) => Outcome::Appended { done },
                        Err(e) => Outcome::NotRecorded(e.to_string()),
                    }
                });
            }
            // A few bytes to stdout: no disk, no waiting.
            Effect::Copy { what, text } => {
                let outcome = match clipboard::copy(&mut self.clipboard, &text) {
                    Ok(()) => Outcome::Copied { what, text },
                    Err(e) => Outcome::CopyFailed(e.to_string()),
                };
                self.dispatch(Action::Outcome(outcome));
            }
            Effect::Export => {
                let Some(release) = self.release.clone() else {
                    let why = "this cockpit has no release on disk".to_string();
                    self.dispatch(Action::Outcome(Outcome::ExportFailed(why)));
                    return;
                };
                let state = self.model.state.clone();
                let mut opts = crate::export::ExportOptions::new(
                    crate::export::Format::Postmortem,
                    self.clock.now(),
                );
                opts.channels = self.channels.clone();
                self.in_background(async move {
                    let written =
                        tokio::task::spawn_blocking(move || export(&release, &state, &opts)).await;
                    match written {
                        Ok(Ok(path)) => Outcome::Exported(path),
                        Ok(Err(e)) => Outcome::ExportFailed(format!("{e:#}")),
                        Err(e) => Outcome::ExportFailed(e.to_string()),
                    }
                });
            }
            // A process spawn, not a wait: the opener runs detached.
            Effect::Open(url) => {
                let outcome = match clipboard::open(&url) {
                    Ok(()) => Outcome::Opened(url),
                    Err(why) => Outcome::NotOpened { url, why },
                };
                self.dispatch(Action::Outcome(outcome));
            }
            Effect::Notify(text) => super::notify::ring(self.notify, &text, &mut self.clipboard),
            Effect::Quit => {}
        }
    }

    /// Runs an effect's I/O off the input task; its outcome comes back as an action.
    fn in_background(&mut self, work: impl Future<Output = Outcome> + Send + 'static) {
        let tx = self.outcomes.0.clone();
        self.pending += 1;
        tokio::spawn(async move {
            let _ = tx.send(work.await);
        });
    }

    /// Picks up events other processes appended (they arrive through the store's subscription).
    pub(crate) fn refresh_log(&mut self) {
        self.needs_refresh = false;
        if self.refreshing {
            return;
        }
        self.refreshing = true;
        let store = self.store.clone();
        self.in_background(async move {
            match store.refresh_async().await {
                // Whatever arrived is published to the subscription.
                Ok(_) => Outcome::Refreshed,
                Err(e) => Outcome::LogUnreadable(format!("reading the timeline: {e}")),
            }
        });
    }

    /// Folds in what the store recorded; after a lag, re-reads a snapshot.
    fn on_recorded(&mut self, first: Result<Arc<Event>, RecvError>) {
        let mut events = Vec::new();
        let mut lagged = false;
        let mut next = Some(first);
        while let Some(r) = next.take() {
            match r {
                Ok(e) => events.push(e),
                Err(RecvError::Lagged(_)) => lagged = true,
                Err(RecvError::Closed) => break,
            }
            next = match self.recorded.try_recv() {
                Ok(e) => Some(Ok(e)),
                Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                Err(_) => None,
            };
        }
        if lagged {
            events = self.store.snapshot();
        }
        if !events.is_empty() {
            self.stats.refolds += 1;
            self.dispatch(Action::Recorded(events));
        }
    }

    /// Waits until every effect sent to the background has come back (tests, shutdown).
    pub(crate) async fn settle(&mut self) {
        while self.pending > 0 {
            match self.outcomes.1.recv().await {
                Some(o) => self.on_outcome(o),
                None => break,
            }
        }
        while let Ok(e) = self.recorded.try_recv() {
            self.on_recorded(Ok(e));
        }
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        self.pending = self.pending.saturating_sub(1);
        if matches!(outcome, Outcome::Refreshed | Outcome::LogUnreadable(_)) {
            self.refreshing = false;
        }
        self.dispatch(Action::Outcome(outcome));
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
    /// Before it returns, every effect already under way (a sign-off being
    /// fsynced, an export) is finished: quitting never loses a recorded event.
    pub async fn run<S, F>(
        &mut self,
        input: S,
        probes: Option<Receiver<ProbeMsg>>,
        shutdown: F,
    ) -> Result<()>
    where
        S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
        F: Future<Output = ()>,
    {
        let result = self.run_loop(input, probes, shutdown).await;
        self.settle().await;
        result
    }

    async fn run_loop<S, F>(
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
            self.settle_recheck();
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
                recorded = self.recorded.recv() => self.on_recorded(recorded),
                Some(outcome) = self.outcomes.1.recv() => self.on_outcome(outcome),
                report = synced(&mut self.sync) => match report {
                    Some(report) => self.dispatch(Action::Synced(report)),
                    None => self.sync = None,
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

/// The next report of the crew sync; `None` once the sync has stopped.
async fn synced(
    rx: &mut Option<tokio::sync::watch::Receiver<Option<crate::crew::share::Report>>>,
) -> Option<crate::crew::share::Report> {
    match rx {
        Some(rx) => loop {
            rx.changed().await.ok()?;
            if let Some(report) = rx.borrow_and_update().clone() {
                return Some(report);
            }
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Writes the post-mortem document (with its timeline table) beside the
/// release's log, atomically. The log itself is not touched.
fn export(
    release: &crate::timeline::Release,
    state: &crate::timeline::State,
    opts: &crate::export::ExportOptions,
) -> Result<std::path::PathBuf> {
    use crate::export::{default_path, export};
    let text = export(release, state, opts)?;
    let path = default_path(release, opts.format);
    crate::timeline::fsutil::write_atomic(&path, text.as_bytes())
        .wrap_err_with(|| format!("writing {}", path.display()))?;
    Ok(path)
}
