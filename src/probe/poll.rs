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
use tokio::sync::mpsc;

/// What one `poll --once` round saw.
#[derive(Debug, Clone, Default)]
pub struct PollSummary {
    /// The last report of every probe, in plan order.
    pub reports: Vec<ProbeReport>,
    /// Events newly recorded by this round.
    pub recorded: Vec<Event>,
    /// GitHub's rate limit after the round.
    pub quota: Option<Quota>,
}

impl PollSummary {
    /// Probes this build does not poll (channel and PyPI sources not built in).
    pub fn not_polled(&self) -> impl Iterator<Item = &ProbeReport> {
        self.reports.iter().filter(|r| is_not_polled(r))
    }

    /// Every polled probe answered (exit status 0).
    pub fn all_answered(&self) -> bool {
        self.reports
            .iter()
            .filter(|r| !is_not_polled(r))
            .all(|r| r.error.is_none() && matches!(r.health, Health::Healthy | Health::Finished))
    }

    /// The summary as printed: one line per probe, then what was recorded
    /// (worded as in exports).
    pub fn render(&self, plan: &Plan) -> String {
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
        out
    }
}

fn is_not_polled(r: &ProbeReport) -> bool {
    r.error
        .as_deref()
        .is_some_and(|e| e.starts_with(NOT_POLLED))
}

/// Polls every probe of the plan once and records what it saw.
pub async fn poll_once(plan: &Plan, log: Store, config: &Config, clock: Clock) -> PollSummary {
    let (tx, rx) = mpsc::channel(64);
    let opts = SchedulerOptions {
        once: true,
        ..SchedulerOptions::default()
    };
    let handle = scheduler::spawn_plan(plan, log, config, clock, tx, opts);
    let summary = collect(plan.probes().iter().map(|p| p.id()).collect(), rx).await;
    handle.join().await;
    summary
}

/// Gathers a scheduler's messages until it ends; reports ordered by `order`.
pub async fn collect(order: Vec<String>, mut rx: mpsc::Receiver<ProbeMsg>) -> PollSummary {
    let mut reports: BTreeMap<String, ProbeReport> = BTreeMap::new();
    let mut summary = PollSummary::default();
    while let Some(msg) = rx.recv().await {
        match msg {
            ProbeMsg::Report(r) => {
                reports.insert(r.probe.clone(), r);
            }
            ProbeMsg::Quota(q) => summary.quota = Some(q),
            ProbeMsg::Recorded(e) => summary.recorded.push(*e),
        }
    }
    for id in order {
        if let Some(r) = reports.remove(&id) {
            summary.reports.push(r);
        }
    }
    summary.reports.extend(reports.into_values());
    summary
}

/// Polls until Ctrl-C, printing each recorded event and each probe error as it happens.
pub async fn poll_forever(plan: &Plan, log: Store, config: &Config, clock: Clock) {
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
                Some(ProbeMsg::Quota(_)) => {}
            }
        }
    }
    handle.shutdown().await;
}
