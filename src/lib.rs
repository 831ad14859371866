//! flightdeck: a terminal release cockpit for the conda ecosystem.
//!
//! The library holds everything; `main.rs` only parses the command line and
//! hands over to [`cli::run`]. See `README.md` for the tour and
//! `checklists/README.md` for the checklist format.

pub mod checklist;
pub mod cli;
pub mod config;
pub mod crew;
pub mod demo;
pub mod diag;
pub mod error;
pub mod export;
pub mod github;
pub mod probe;
pub mod sim;
pub mod store;
pub mod timeline;
pub mod tui;
