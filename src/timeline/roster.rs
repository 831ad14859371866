//! The roster: who sits where in a release, and how a seat is resolved.
//!
//! A person's seat comes from the roster by their login, never from a flag:
//! `--role` may only take a *lower* seat, and someone not on the roster sits
//! in the jump seat. The roster is recorded by `start`
//! ([`EventKind::CrewAssigned`]) and changed only by a handover.
//!
//! Logs written before rosters existed have none: then the person who started
//! the release is its pilot and everyone else holds at most the co-pilot's
//! seat they claimed.

use super::event::EventKind;
use super::rules::Role;
use serde::Serialize;

/// Who sits where at one moment of the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Roster {
    pub pilot: String,
    pub copilot: Option<String>,
    pub jump_seat: Option<String>,
}

impl Roster {
    /// The roster a [`EventKind::CrewAssigned`] records.
    pub(crate) fn from_event(what: &EventKind) -> Option<Roster> {
        match what {
            EventKind::CrewAssigned {
                pilot,
                copilot,
                jump_seat,
            } => Some(Roster {
                pilot: pilot.clone(),
                copilot: copilot.clone(),
                jump_seat: jump_seat.clone(),
            }),
            _ => None,
        }
    }

    /// The event that records this roster.
    pub(crate) fn to_event(&self) -> EventKind {
        EventKind::CrewAssigned {
            pilot: self.pilot.clone(),
            copilot: self.copilot.clone(),
            jump_seat: self.jump_seat.clone(),
        }
    }

    /// The seat a login holds: not on the roster is the jump seat.
    pub(crate) fn seat_of(&self, login: &str) -> Role {
        if same_login(&self.pilot, login) {
            Role::Pilot
        } else if self
            .copilot
            .as_deref()
            .is_some_and(|c| same_login(c, login))
        {
            Role::Copilot
        } else {
            Role::JumpSeat
        }
    }

    /// The roster after `from` (the pilot) hands the controls to `to` (the
    /// co-pilot): they swap seats. `Err` says why the handover cannot happen.
    pub(crate) fn handover(&self, from: &str, to: &str) -> Result<Roster, String> {
        if !same_login(&self.pilot, from) {
            return Err(format!(
                "only the pilot (@{}) may hand over the controls",
                self.pilot
            ));
        }
        if same_login(&self.pilot, to) {
            return Err(format!("@{to} is already the pilot"));
        }
        match &self.copilot {
            Some(c) if same_login(c, to) => Ok(Roster {
                pilot: c.clone(),
                copilot: Some(self.pilot.clone()),
                jump_seat: self.jump_seat.clone(),
            }),
            Some(c) => Err(format!(
                "@{to} is not the co-pilot (the co-pilot is @{c}): the controls go to the co-pilot"
            )),
            None => Err("this release has no co-pilot to hand the controls to".to_string()),
        }
    }
}

/// GitHub logins are case-insensitive.
pub(crate) fn same_login(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The lower of two seats: `--role` may lower the roster's seat, never raise it.
pub(crate) fn lower(a: Role, b: Role) -> Role {
    a.max(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crew() -> Roster {
        Roster {
            pilot: "jane".into(),
            copilot: Some("bob".into()),
            jump_seat: Some("eve".into()),
        }
    }

    #[test]
    fn seats_come_from_the_roster_and_strangers_sit_in_the_jump_seat() {
        let r = crew();
        assert_eq!(r.seat_of("jane"), Role::Pilot);
        assert_eq!(r.seat_of("Bob"), Role::Copilot);
        assert_eq!(r.seat_of("eve"), Role::JumpSeat);
        assert_eq!(r.seat_of("mallory"), Role::JumpSeat);
        assert_eq!(lower(Role::Pilot, Role::JumpSeat), Role::JumpSeat);
        assert_eq!(lower(Role::Copilot, Role::Pilot), Role::Copilot);
    }

    #[test]
    fn a_handover_swaps_pilot_and_copilot_and_only_the_pilot_may() {
        let r = crew();
        let after = r.handover("jane", "bob").expect("handover");
        assert_eq!(after.seat_of("bob"), Role::Pilot);
        assert_eq!(after.seat_of("jane"), Role::Copilot);
        assert!(r.handover("bob", "jane").is_err());
        assert!(r.handover("jane", "eve").is_err());
        assert!(after.handover("bob", "jane").is_ok(), "and back");
    }
}
