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
