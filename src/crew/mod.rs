//! The crew: the seats (decided by the rule book in [`crate::timeline::rules`]),
//! and, next, the roster, the rotation and the sync of the crew's logs.

pub use crate::checklist::StepRole;
pub use crate::timeline::rules::Role;
