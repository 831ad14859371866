//! flightdeck: a terminal release cockpit for the conda ecosystem.
//!
//! The library holds everything; `main.rs` only parses the command line and
//! hands over to [`cli::run`]. See `README.md` for the tour and
//! `checklists/README.md` for the checklist format.
//!
//! # The house
//!
//! Read `src/` top-down; each folder is one room:
//!
//! ```text
//!                        cli  (wiring: clap, one function per command)
//!          ┌──────────┬───┴──────┬─────────┬────────┬────────┐
//!          ▼          ▼          ▼         ▼        ▼        ▼
//!         tui       demo ───►  sim      crew     export    probe
//!     (cockpit)      │      (simulated (roster,  (md, csv, (GitHub,
//!          │         │        world)  rotation,  json, the channels,
//!          │         │                  sync)   post-mortem, PyPI,
//!          │         │                    │     sentences) scheduler)
//!          ├─────────┴───────┬────────────┤        │         │
//!          ▼                 ▼            ▼        │         ▼
//!        store  ◄────────────┴─── (probe, crew) ───┘      github
//!    (one owner of a                                  (one client per
//!     release's log)                                   host, tokens)
//!          │
//!          ▼
//!       timeline  ──────────►  checklist
//!   (events, the log,       (the plan and its
//!    fold, the rules)        vocabulary: probe
//!                            specs, channels)
//! ```
//!
//! - [`checklist`]: the plan — TOML, validation with places, templating,
//!   probe specs, channel names. Imports only [`diag`].
//! - [`timeline`]: events, the crash-safe log, `fold` into a `State` (facts
//!   interpreted once: milestones, availability, skew), and the rule book
//!   ([`timeline::rules::judge`]) that every writer goes through.
//! - [`store`]: the one owner of a release's log in a process; appends off the
//!   UI task; subscribers receive recorded events in memory.
//! - [`github`]: one client per host with one rate budget, conditional reads,
//!   octocrab for writes, token discovery.
//! - [`probe`]: the observers of the outside world and their scheduler.
//! - [`crew`]: seats, the rotation planner, the sync of the crew's logs.
//! - [`export`]: the timeline as Markdown, CSV, JSON and a post-mortem; one
//!   sentence per event, shared with the cockpit and `poll`.
//! - [`tui`]: the cockpit (`app` routes, `update` decides, one file per pane).
//! - [`sim`]: the simulated world (GitHub, channels, PyPI) on loopback.
//! - [`demo`]: the cockpit on the simulated world.
//!
//! Arrows that must never exist (checked by the `house_rules` test):
//! `checklist`/`timeline` → anything but each other, `diag` and `error`
//! (the domain builds without `probe`, `github`, `store`, `tui`, `sim`,
//! `export`, `crew`); `probe`/`export`/`crew`/`github`/`store` → `tui`;
//! anything but `demo` and the command line's `sim serve` wiring → `sim`;
//! `sim` → `demo`, `tui`, `cli`, `probe`, `github`, `export`, `store`.

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

#[cfg(test)]
mod house_rules;

/// Makes ring the process's rustls crypto provider. reqwest is built without a
/// provider of its own (so aws-lc's C build is not compiled next to ring's), and
/// a client built before this would panic; every place that builds one calls it.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed: fine, one is enough.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
