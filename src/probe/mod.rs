//! probe
pub mod channel;
pub mod pypi;
