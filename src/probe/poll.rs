//! Headless polling: `flightdeck poll [RELEASE] --once` runs every probe once,
//! records what it saw and prints a short summary; without `--once` it keeps
//! polling and prints what it records until interrupted.
//!
//! Recording goes through the log's fact dedup, so however often `poll` runs
//! (and however many crew members run it), each fact is recorded once.

use super::scheduler::{self, NOT_POLLED, SchedulerOptions};
use super::{Health, ProbeMsg, ProbeReport, Quota};
use crate::checklist::Plan;
use crate::config::Config;
use crate::store::Store;
use crate::timeline::{Clock, Event};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// What one `poll --once` round saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct PollSummary {
    /// The last report of every probe, in plan order.
    pub(crate) reports: Vec<ProbeReport>,
    /// Events newly recorded by this round.
    pub(crate) recorded: Vec<Event>,
    /// GitHub's rate limit after the round.
    pub(crate) quota: Option<Quota>,
    /// Each source's clock minus ours, from its replies' `Date`.
    pub(crate) clocks: BTreeMap<String, chrono::TimeDelta>,
}

impl PollSummary {
    /// Every polled probe answered (exit status 0).
    pub(crate) fn all_answered(&self) -> bool {
        self.reports
            .iter()
            .filter(|r| !is_not_polled(r))
            .all(|r| r.error.is_none() && matches!(r.health, Health::Healthy | Health::Finished))
    }

    /// The summary as printed: one line per probe, then what was recorded
    /// (worded as in exports).
    pub(crate) fn render(&self, plan: &Plan) -> String {
        let mut out = String::new();
        let width = self
            .reports
            .iter()
            .map(|r| r.probe.chars().count())
            .max()
            .unwrap_or(0)
            .min(60);
        for r in &self.reports {
            let (tag, text) = if is_not_polled(r) {
                ("skipped", NOT_POLLED.to_string())
            } else if let Some(e) = &r.error {
                ("error", e.clone())
            } else {
                ("ok", r.summary.clone().unwrap_or_default())
            };
            out.push_str(&format!("  {tag:<7} {:<width$}  {text}\n", r.probe));
        }
        match self.recorded.len() {
            0 => out.push_str("nothing new recorded\n"),
            n => {
                out.push_str(&format!(
                    "recorded {n} new event{}:\n",
                    if n == 1 { "" } else { "s" }
                ));
                let mut events: Vec<&Event> = self.recorded.iter().collect();
                events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
                for e in events {
                    out.push_str(&format!(
                        "  {}  {}\n",
                        e.at.format("%Y-%m-%d %H:%M UTC"),
                        crate::export::describe(e, plan)
                    ));
                }
            }
        }
        if let Some(q) = self.quota {
            out.push_str(&format!(
                "GitHub quota: {}/{} left, resets {}\n",
                q.remaining,
                q.limit,
                q.reset.format("%H:%M UTC")
            ));
        }
        if let Some(w) = super::clock::best(&self.clocks)
            .and_then(|(source, off)| super::clock::warning(source, off))
        {
            out.push_str(&format!("{w}\n"));
        }
        out
    }
}

fn is_not_polled(r: &ProbeReport) -> bool {
    r.error
        .as_deref()
        .is_some_and(|e| e.starts_with(NOT_POLLED))
}

/// Polls every probe of the plan once and records what it saw.
pub(crate) async fn poll_once(
    plan: &Plan,
    log: Store,
    config: &Config,
    clock: Clock,
) -> PollSummary {
    let (tx, rx) = mpsc::channel(64);
    let opts = SchedulerOptions {
        once: true,
        ..SchedulerOptions::default()
    };
    let handle = scheduler::spawn_plan(plan, log, config, clock, tx, opts);
    let order: Vec<String> = plan.probes().iter().map(|p| p.id()).collect();
    let deadline = once_deadline();
    let (summary, timed_out) = collect_until(order, rx, deadline).await;
    if timed_out {
        // Requests still in flight are abandoned; what answered is recorded already.
        handle.shutdown().await;
    } else {
        handle.join().await;
    }
    summary
}

/// The default overall deadline of `poll --once`: a GitHub read, a channel check
/// and a PyPI read each have their own deadlines, far below it.
const ONCE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// The overall deadline of `poll --once`: `FLIGHTDECK_POLL_DEADLINE` seconds (tests,
/// slow links), else [`ONCE_DEADLINE`].
pub(crate) fn once_deadline() -> std::time::Duration {
    std::env::var("FLIGHTDECK_POLL_DEADLINE")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
        .map_or(ONCE_DEADLINE, std::time::Duration::from_secs_f64)
}

/// [`collect`] for at most `deadline`; past it, every probe that had not answered
/// gets an error saying so. `true` when the deadline ran out.
pub(crate) async fn collect_until(
    order: Vec<String>,
    rx: mpsc::Receiver<ProbeMsg>,
    deadline: std::time::Duration,
) -> (PollSummary, bool) {
    let partial = Arc::new(Mutex::new(BTreeMap::<String, ProbeReport>::new()));
    let seen = partial.clone();
    let mut rx = rx;
    let mut summary = PollSummary::default();
    let gather = async {
        while let Some(msg) = rx.recv().await {
            match msg {
                ProbeMsg::Report(r) => {
                    lock(&seen).insert(r.probe.clone(), r);
                }
                ProbeMsg::Quota(q) => summary.quota = Some(q),
                ProbeMsg::Recorded(e) => summary.recorded.push(*e),
                ProbeMsg::Clock(c) => {
                    summary.clocks.insert(c.source, c.offset);
                }
            }
        }
    };
    let timed_out = tokio::time::timeout(deadline, gather).await.is_err();
    let mut reports = std::mem::take(&mut *lock(&partial));
    if timed_out {
        for id in &order {
            let answered = reports
                .get(id)
                .is_some_and(|r| r.last_ok.is_some() || r.error.is_some());
            if !answered {
                reports.insert(
                    id.clone(),
                    ProbeReport {
                        probe: id.clone(),
                        health: Health::Failing,
                        last_ok: None,
                        error: Some(format!(
                            "no answer within {} s (the deadline of `poll --once`); set FLIGHTDECK_POLL_DEADLINE to wait longer",
                            deadline.as_secs_f64()
                        )),
                        summary: None,
                        next_poll: None,
                    },
                );
            }
        }
    }
    for id in order {
        if let Some(r) = reports.remove(&id) {
            summary.reports.push(r);
        }
    }
    summary.reports.extend(reports.into_values());
    (summary, timed_out)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Polls until Ctrl-C, printing each recorded event and each probe error as it happens.
pub(crate) async fn poll_forever(plan: &Plan, log: Store, config: &Config, clock: Clock) {
    let (tx, mut rx) = mpsc::channel(64);
    let handle = scheduler::spawn(plan, log, config, clock, tx);
    let mut last_error: BTreeMap<String, Option<String>> = BTreeMap::new();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            msg = rx.recv() => match msg {
                None => break,
                Some(ProbeMsg::Recorded(e)) => println!("{}  {}", e.at.format("%Y-%m-%d %H:%M UTC"), crate::export::describe(&e, plan)),
                Some(ProbeMsg::Report(r)) => {
                    // Print changes of a probe's error only, not every poll.
                    let prev = last_error.insert(r.probe.clone(), r.error.clone());
                    if prev.flatten() != r.error {
                        match &r.error {
                            Some(e) => eprintln!("{}: {e}", r.probe),
                            None => eprintln!("{}: ok again", r.probe),
                        }
                    }
                }
                Some(ProbeMsg::Quota(_) | ProbeMsg::Clock(_)) => {}
            }
        }
    }
    handle.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_when_this_clock_is_off_from_the_sources() {
        let plan = crate::checklist::Checklist::parse(
            "conda.toml",
            include_str!("../../checklists/conda.toml"),
        )
        .expect("the checklist parses")
        .plan("26.11.0")
        .expect("a plan");
        let mut s = PollSummary::default();
        s.clocks
            .insert("GitHub".into(), chrono::TimeDelta::seconds(-200));
        assert!(
            s.render(&plan)
                .ends_with("your clock is 3 min ahead of GitHub's\n"),
            "{}",
            s.render(&plan)
        );
        s.clocks
            .insert("GitHub".into(), chrono::TimeDelta::seconds(20));
        assert!(!s.render(&plan).contains("your clock"));
    }
}
