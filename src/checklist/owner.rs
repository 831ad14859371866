//! Who a checklist step belongs to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The seat that signs a step off (the pilot may sign off any step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepRole {
    Pilot,
    Copilot,
    Any,
}

impl StepRole {
    pub(crate) fn parse(s: &str) -> Option<StepRole> {
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
