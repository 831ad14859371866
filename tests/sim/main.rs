//! The simulated world (`sim`): channels, GitHub and scenarios.
//!
//! One test crate for the area (one link of the whole library, not one per file);
//! each module below was a test crate of its own before.

#[path = "../sim_support/mod.rs"]
mod sim_support;

mod sim_channels;
mod sim_github;
mod sim_scenario;
