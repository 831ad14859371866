//! Opt-in alerts (issue 15, item 5): a terminal bell or a desktop
//! notification when CI fails, a bug is filed, a package lands on a channel,
//! or a step becomes yours. Off by default (`notify = "bell" | "desktop"` in
//! the config file, or `fly --notify`).
//!
//! What deserves an alert is decided in `update` ([`Before::alert`], pure);
//! the driver rings ([`ring`]).

use super::model::Model;
use crate::crew::{Role, StepRole};
use crate::export::{Actor, sentence};
use crate::timeline::{CiState, Event, EventKind, Fact, StepStatus};
use std::io::Write;
use std::sync::Arc;

/// How to alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Notify {
    #[default]
    Off,
    /// The terminal's bell (BEL).
    Bell,
    /// `notify-send` where present (or `FLIGHTDECK_NOTIFIER`), else the bell.
    Desktop,
}

impl std::str::FromStr for Notify {
    type Err = String;

    fn from_str(s: &str) -> Result<Notify, String> {
        match s {
            "off" => Ok(Notify::Off),
            "bell" => Ok(Notify::Bell),
            "desktop" => Ok(Notify::Desktop),
            other => Err(format!(
                "`{other}` is not a way to notify; use off, bell or desktop"
            )),
        }
    }
}

/// Whether a seat owns a step: its own, or one anyone in a working seat may do.
pub(crate) fn owns(seat: Role, owner: StepRole) -> bool {
    matches!(
        (seat, owner),
        (Role::Pilot, StepRole::Pilot)
            | (Role::Copilot, StepRole::Copilot)
            | (Role::Pilot | Role::Copilot, StepRole::Any)
    )
}

/// What the model looked like before new events arrived.
pub(crate) struct Before {
    mine_ready: Vec<bool>,
}

fn mine_ready(m: &Model) -> Vec<bool> {
    m.plan
        .steps
        .iter()
        .zip(&m.state.steps)
        .map(|(p, s)| matches!(s.status, StepStatus::Ready) && owns(m.role, p.role))
        .collect()
}

impl Before {
    pub(crate) fn of(m: &Model) -> Before {
        Before {
            mine_ready: mine_ready(m),
        }
    }

    /// One line for the alert, if anything new deserves one.
    /// `fresh`: the events new to the timeline ([`Model::record`]).
    pub(crate) fn alert(&self, m: &Model, fresh: &[Arc<Event>]) -> Option<String> {
        let mut said: Vec<String> = Vec::new();
        for e in fresh {
            let EventKind::Observed { fact, .. } = &e.what else {
                continue;
            };
            let what = match fact {
                Fact::Checks {
                    state: CiState::Failure,
                    ..
                }
                | Fact::PrChecks {
                    state: CiState::Failure,
                    ..
                } => "CI failed",
                Fact::IssueFiled { .. } => "bug filed",
                Fact::Available { .. } => "landed",
                _ => continue,
            };
            said.push(format!("{what}: {}", sentence(e, &m.plan, Actor::Omitted)));
        }
        let now = mine_ready(m);
        for (i, (was, is)) in self.mine_ready.iter().zip(&now).enumerate() {
            if *is && !*was {
                said.push(format!("your step is ready: {}", m.plan.steps[i].title));
            }
        }
        let first = said.first()?;
        let line = match said.len() {
            1 => first.clone(),
            n => format!("{first} (and {} more)", n - 1),
        };
        Some(crate::export::sanitize::harmless_line(&line).into_owned())
    }
}

/// Rings: the bell on `terminal`, or a desktop notification (detached, its
/// output discarded), falling back to the bell when no notifier starts.
pub(crate) fn ring(how: Notify, text: &str, terminal: &mut dyn Write) {
    match how {
        Notify::Off => {}
        Notify::Bell => bell(terminal),
        Notify::Desktop => {
            let program = std::env::var_os("FLIGHTDECK_NOTIFIER")
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "notify-send".into());
            let started = std::process::Command::new(program)
                .arg("flightdeck")
                .arg(text)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
            match started {
                // Reaped off the UI task, so no zombie is left behind.
                Ok(mut child) => {
                    std::thread::spawn(move || child.wait());
                }
                Err(_) => bell(terminal),
            }
        }
    }
}

fn bell(terminal: &mut dyn Write) {
    let _ = terminal.write_all(b"\x07");
    let _ = terminal.flush();
}
