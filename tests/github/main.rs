//! GitHub: faults, a whole scenario, writes, and polling once and quietly.
//!
//! One test crate for the area (one link of the whole library, not one per file);
//! each module below was a test crate of its own before.

#[path = "../github_support/mod.rs"]
mod github_support;

mod github_faults;
mod github_scenario;
mod github_writes;
mod poll_once;
mod poll_quiet;
