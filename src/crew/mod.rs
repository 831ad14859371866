//! The crew: the seats (decided by the rule book in [`crate::timeline::rules`]),
//! the rotation of pilots and co-pilots, and, next, the roster and the sync of
//! the crew's logs.

pub mod rotation;

pub use crate::checklist::StepRole;
pub use crate::timeline::rules::Role;
