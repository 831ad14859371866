//! Probes: watched facts of the outside world.
//!
//! [`spec`] declares them (parsed from checklists); the source modules observe
//! them and report observations that become timeline events.

pub mod spec;

pub use spec::ProbeSpec;
