//! The demo without a terminal: every event that lands in the user's log
//! (recorded by their probes, or come down from the crew) is printed with its
//! true time, and what the crew sync moved is said as it moves.

use super::Settle;
use crate::crew::share::Report;
use crate::probe::ProbeMsg;
use crate::sim::SimServer;
use crate::store::Store;
use crate::timeline::{Event, EventId, Release};
use color_eyre::eyre::Result;
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Prints the timeline as it grows, until the scenario is over (or Ctrl-C).
pub(super) async fn run(
    release: &Release,
    store: Store,
    rx: Option<mpsc::Receiver<ProbeMsg>>,
    mut reports: Option<watch::Receiver<Option<Report>>>,
    settle: Option<Settle>,
    sim: &SimServer,
    interval: Duration,
) -> Result<()> {
    println!(
        "{} — simulated; events print as they are recorded (Ctrl-C to stop)",
        release.plan.title
    );
    // The probes' reports are for the cockpit's probe pane; here only their
    // channel is drained, so that they never wait on a full one.
    let drain = rx.map(|mut rx| tokio::spawn(async move { while rx.recv().await.is_some() {} }));
    let mut printer = Printer {
        release,
        store,
        printed: HashSet::new(),
    };
    printer.catch_up().await;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut finished = false;
    loop {
        tokio::select! {
            changed = async {
                match reports.as_mut() {
                    Some(r) => r.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            } => {
                if !changed {
                    reports = None;
                } else if let Some(line) = reports.as_mut().and_then(|r| sync_line(r.borrow_and_update().as_ref())) {
                    println!("{line}");
                }
            }
            _ = tick.tick() => {
                printer.catch_up().await;
                if sim.finished() {
                    finished = true;
                    break;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if finished {
        // A few more intervals so the last happenings are observed, then the
        // crew's last exchanges.
        tokio::time::sleep(interval * 3).await;
        if let Some(s) = settle {
            s.finish().await;
        }
        printer.catch_up().await;
        println!("the scenario is over");
    } else if let Some(s) = settle {
        s.stop().await;
    }
    if let Some(d) = drain {
        d.abort();
    }
    Ok(())
}

/// What a crew exchange moved, when it moved anything (or could not).
fn sync_line(report: Option<&Report>) -> Option<String> {
    let r = report?;
    if r.pulled == 0 && r.pushed == 0 && r.error.is_none() && r.refused.is_empty() {
        return None;
    }
    Some(format!(
        "                  ⇅ crew sync: {}",
        crate::export::sanitize::harmless_line(&r.line())
    ))
}

struct Printer<'a> {
    release: &'a Release,
    store: Store,
    printed: HashSet<EventId>,
}

impl Printer<'_> {
    /// Prints what the log holds that was not printed yet, in the log's order
    /// (picking up what the probes and the crew sync appended).
    async fn catch_up(&mut self) {
        let _ = self.store.refresh_async().await;
        let fresh: Vec<std::sync::Arc<Event>> = self.store.with_events(|events| {
            events
                .iter()
                .filter(|e| !self.printed.contains(&e.id))
                .cloned()
                .collect()
        });
        for event in fresh {
            // Notes and logins may come from the crew's comments: made harmless.
            println!(
                "{}  {}",
                event.at.format("%Y-%m-%d %H:%M"),
                crate::export::sanitize::harmless_line(&crate::export::describe(
                    &event,
                    &self.release.plan
                ))
            );
            self.printed.insert(event.id.clone());
        }
    }
}
