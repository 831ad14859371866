//! The command line: commands, exports, the log, crashes, the demo, hardening and fuzzing.
//!
//! One test crate for the area (one link of the whole library, not one per file);
//! each module below was a test crate of its own before.

#[path = "../tmux_support/mod.rs"]
mod tmux_support;

mod cli;
mod crash;
mod demo;
mod export_cli;
mod export_golden;
mod fold_props;
mod fuzz;
mod hardening;
mod log;
