//! The GitHub layer: one client per host with one rate budget, for every
//! reader and writer (the probes, the crew sync, `auth status`).
//!
//! - [`token`]: token discovery (environment → OS keyring → `gh auth token`)
//!   and the rules on where a token may go, decided on parsed URLs;
//! - [`client`]: [`GithubClient`], the client of one host: conditional GETs
//!   with a persisted ETag cache, the host's rate budget, errors sorted by what
//!   to do about them and never carrying the token;
//! - [`write`]: the writes (issues, comments) and `GET /user`, through octocrab;
//! - [`Hosts`]: the one client per host (and token) a process shares;
//! - [`model`]: the few payloads octocrab does not model.
//!
//! **What octocrab does for us.** Its models are the types of what it models:
//! pull requests, issues, comments, releases, check runs and users are
//! [`octocrab::models`] types, read from our own conditional GETs. Writes are
//! octocrab requests (its request building, auth header, base URL and models),
//! built with the same base URL and token as the reads, with connect and read
//! deadlines, and a total deadline around each call.
//!
//! **What the thin layer does, and why.** Reads do not go through octocrab's
//! request API, for three reasons:
//! - octocrab's HTTP cache panics on a hand-made `If-None-Match` for a URI it
//!   has not cached, and keeps nothing across runs; the probes send their own
//!   validators from an ETag cache on disk, so a restarted cockpit or a second
//!   `poll --once` spends nothing on an unchanged world;
//! - a 304 must not count: GitHub does not charge it, the budget must not
//!   either, and the probe must know "unchanged" from "changed" (octocrab hides
//!   the status);
//! - no blind retries: octocrab's `retry` feature repeats 5xx and transport
//!   failures (writes included) right away. It is switched off in `Cargo.toml`;
//!   the probe scheduler backs off by the answer's class instead (quota reset,
//!   `retry-after`, exponential), and a write that failed is re-read before it
//!   is sent again (design.md, "the crew").
//!
//! Every reply, read or written, updates the same budget ([`GithubClient::quota`]).

pub(crate) mod client;
pub mod keyring;
pub(crate) mod model;
pub(crate) mod token;
pub(crate) mod whoami;
pub(crate) mod write;

pub use client::{ClientOptions, GhError, GithubClient, Page, Traffic, next_link};
pub use token::{Discovered, HostKind, Token, TokenSource};
pub use write::{CommentList, Permissions, RepoRef};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The clients of a process, one per API base and token: every probe and the
/// crew sync of a process share one, and with it one rate budget and one ETag
/// cache. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hosts {
    clients: Arc<Mutex<HashMap<String, Arc<GithubClient>>>>,
}

impl Hosts {
    /// An empty set (tests; a process uses [`Hosts::shared`]).
    pub(crate) fn new() -> Hosts {
        Hosts::default()
    }

    /// The process's set.
    pub(crate) fn shared() -> &'static Hosts {
        static HOSTS: OnceLock<Hosts> = OnceLock::new();
        HOSTS.get_or_init(Hosts::new)
    }

    /// The client for `base` with `token`: the one already made, or a new one
    /// built with `opts` (options only matter the first time).
    pub(crate) fn client(
        &self,
        base: &str,
        token: Option<Token>,
        opts: ClientOptions,
    ) -> Result<Arc<GithubClient>, GhError> {
        let key = format!(
            "{} {}",
            token
                .as_ref()
                .map_or_else(|| "anonymous".to_string(), Token::identity),
            base.trim_end_matches('/')
        );
        let mut clients = clients_lock(&self.clients);
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let c = Arc::new(GithubClient::new(base, token, opts)?);
        clients.insert(key, c.clone());
        Ok(c)
    }
}

fn clients_lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The client a config asks for, from the process's [`Hosts`]: its API base,
/// the config's own token or else the discovered one, the ETag cache under `cache_dir`.
pub(crate) fn client_for(config: &crate::config::Config) -> Result<Arc<GithubClient>, GhError> {
    let api = config.github_api();
    Hosts::shared().client(
        &api,
        config
            .github_token
            .clone()
            .or_else(|| token::discover(&api).map(|d| d.token)),
        ClientOptions {
            cache_file: Some(config.cache_dir.join("github").join("etags.json")),
            ..ClientOptions::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_per_host_and_token() {
        let hosts = Hosts::new();
        let a = hosts
            .client(
                "http://127.0.0.1:9",
                Token::new("x"),
                ClientOptions::default(),
            )
            .expect("client");
        let b = hosts
            .client(
                "http://127.0.0.1:9/",
                Token::new("x"),
                ClientOptions::default(),
            )
            .expect("client");
        assert!(Arc::ptr_eq(&a, &b), "one budget for the host");
        let c = hosts
            .client(
                "http://127.0.0.1:9",
                Token::new("y"),
                ClientOptions::default(),
            )
            .expect("client");
        assert!(!Arc::ptr_eq(&a, &c), "another token has its own budget");
        let d = hosts
            .client(
                "http://127.0.0.1:10",
                Token::new("x"),
                ClientOptions::default(),
            )
            .expect("client");
        assert!(!Arc::ptr_eq(&a, &d));
    }
}
