//! The crew: seats, sync over GitHub, the rotation, history, late joiners and sign-in.
//!
//! One test crate for the area (one link of the whole library, not one per file);
//! each module below was a test crate of its own before.

#[path = "../github_support/mod.rs"]
mod github_support;
#[path = "../tmux_support/mod.rs"]
mod tmux_support;

mod auth;
mod crew;
mod crew_github;
mod history;
mod late_joiner;
mod rotation;
