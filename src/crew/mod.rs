//! The crew: roles, and the one permission policy that the cockpit, the
//! command line and the merge of shared logs all use.

pub mod rotation;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who is sitting where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Runs the release; may do everything.
    Pilot,
    /// Mirrors the release; signs off `copilot` and `any` steps, adds notes.
    Copilot,
    /// Watches; changes nothing.
    JumpSeat,
}

impl Role {
    pub fn badge(self) -> &'static str {
        match self {
            Role::Pilot => "PILOT",
            Role::Copilot => "CO-PILOT",
            Role::JumpSeat => "JUMP SEAT",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Pilot => "pilot",
            Role::Copilot => "copilot",
            Role::JumpSeat => "jump-seat",
        })
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pilot" => Ok(Role::Pilot),
            "copilot" | "co-pilot" => Ok(Role::Copilot),
            "jump-seat" | "jumpseat" | "jump_seat" => Ok(Role::JumpSeat),
            other => Err(format!(
                "unknown role `{other}`: use pilot, copilot or jump-seat"
            )),
        }
    }
}

/// Who a checklist step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepRole {
    Pilot,
    Copilot,
    Any,
}

impl StepRole {
    pub fn parse(s: &str) -> Option<StepRole> {
        match s {
            "pilot" => Some(StepRole::Pilot),
            "copilot" | "co-pilot" => Some(StepRole::Copilot),
            "any" => Some(StepRole::Any),
            _ => None,
        }
    }
}

impl fmt::Display for StepRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepRole::Pilot => "pilot",
            StepRole::Copilot => "copilot",
            StepRole::Any => "any",
        })
    }
}

/// What someone wants to write into the timeline, for the policy to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Start or close the release.
    ManageRelease,
    /// Sign off, undo or skip a manual step owned by the given role.
    SignOff(StepRole),
    /// Complete a probe-backed step by hand, ahead of its probe.
    Override,
    Note,
    Star,
    /// Record what a probe saw.
    Observe,
}

/// The permission policy. Deny by default: every allowed pair is listed.
pub fn allowed(role: Role, act: Act) -> Result<(), Denied> {
    let ok = matches!(
        (role, act),
        (Role::Pilot, _)
            | (
                Role::Copilot,
                Act::SignOff(StepRole::Copilot | StepRole::Any)
            )
            | (Role::Copilot, Act::Note | Act::Star | Act::Observe)
    );
    if ok {
        Ok(())
    } else {
        Err(Denied { role, act })
    }
}

/// A refused act, worded for the person who tried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied {
    pub role: Role,
    pub act: Act,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.role, self.act) {
            (Role::JumpSeat, _) => f.write_str("read-only: jump seat"),
            (_, Act::SignOff(owner)) => write!(
                f,
                "this step belongs to the {owner}; a {} cannot sign it off",
                self.role
            ),
            (_, Act::Override) => write!(f, "only the pilot may override a probe-backed step"),
            (_, Act::ManageRelease) => write!(f, "only the pilot may start or close the release"),
            (role, act) => write!(f, "a {role} may not do that ({act:?})"),
        }
    }
}

impl std::error::Error for Denied {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every role × act, spelled out: a change to the policy must change this table.
    #[test]
    fn policy_table() {
        let acts = [
            Act::ManageRelease,
            Act::SignOff(StepRole::Pilot),
            Act::SignOff(StepRole::Copilot),
            Act::SignOff(StepRole::Any),
            Act::Override,
            Act::Note,
            Act::Star,
            Act::Observe,
        ];
        let expect = |role: Role| -> [bool; 8] {
            match role {
                Role::Pilot => [true; 8],
                Role::Copilot => [false, false, true, true, false, true, true, true],
                Role::JumpSeat => [false; 8],
            }
        };
        for role in [Role::Pilot, Role::Copilot, Role::JumpSeat] {
            for (act, want) in acts.iter().zip(expect(role)) {
                assert_eq!(allowed(role, *act).is_ok(), want, "{role} {act:?}");
            }
        }
        assert_eq!(
            allowed(Role::JumpSeat, Act::Note).unwrap_err().to_string(),
            "read-only: jump seat"
        );
    }
}
