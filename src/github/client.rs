//! The client of one GitHub host: conditional GETs with an ETag cache,
//! rate-limit bookkeeping shared with the writes ([`super::write`]), and
//! errors that never carry the token. Why reads do not go through octocrab:
//! see the [module doc](super).

use super::token::{self, Token};
use crate::probe::Quota;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, ETAG, HeaderMap, HeaderValue, IF_NONE_MATCH, RETRY_AFTER, USER_AGENT,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Why a request failed, sorted by what the scheduler should do about it.
/// The text names the URL path and never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GhError {
    /// `x-ratelimit-remaining: 0`: wait until `reset` (+1 s).
    #[error("GitHub API quota exhausted on {path}; it resets at {}", reset.format("%H:%M:%S UTC"))]
    QuotaExhausted { path: String, reset: DateTime<Utc> },
    /// A secondary rate limit (403/429 with `retry-after` or GitHub's message).
    #[error("GitHub secondary rate limit on {path}{}", retry_after.map(|d| format!("; retry after {} s", d.as_secs())).unwrap_or_default())]
    SecondaryLimit {
        path: String,
        retry_after: Option<Duration>,
    },
    /// A 5xx reply (JSON or an HTML error page).
    #[error("GitHub answered {status} on {path}{}", if *html { " (an HTML error page)" } else { "" })]
    Server {
        path: String,
        status: u16,
        html: bool,
    },
    /// Timeout, refused or dropped connection.
    #[error("no answer from GitHub for {path}: {message}")]
    Transport { path: String, message: String },
    /// A 200 whose body is not the JSON it should be (HTML, truncated, malformed).
    #[error("unreadable reply from GitHub for {path}: {message}")]
    BadBody { path: String, message: String },
    /// 401: the token was refused.
    #[error(
        "GitHub refused the token on {path} (401 {message}); check GH_TOKEN / GITHUB_TOKEN or `gh auth status`"
    )]
    Unauthorized { path: String, message: String },
    /// Another 4xx (403 without rate limiting, 404 of a whole repository, 422).
    #[error("GitHub answered {status} on {path}: {message}")]
    Http {
        path: String,
        status: u16,
        message: String,
    },
    /// A URL this client will not call (another host: the token must not leak there).
    #[error("refusing to follow {url}: not under the configured GitHub API")]
    ForeignUrl { url: String },
    /// A token was given for a base it must not go to (plain http other than loopback, user-info).
    #[error(
        "refusing to send a GitHub token to {url}: use https (plain http only to 127.0.0.1 or localhost) and no user:password@ in the URL"
    )]
    TokenRefused { url: String },
}

impl GhError {
    /// Worth retrying soon with backoff (the world may heal by itself).
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            GhError::Server { .. } | GhError::Transport { .. } | GhError::BadBody { .. }
        )
    }
}

/// A GitHub answer: found (200, fresh or from the cache on a 304) or missing (404/410).
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL asked (for messages).
    pub(crate) path: String,
    /// `false` for 404 / 410.
    pub found: bool,
    /// Whether the content differs from the last time (false on a 304).
    pub(crate) changed: bool,
    pub(crate) body: Bytes,
    /// The `Link: rel="next"` URL, for lists.
    pub(crate) next: Option<String>,
}

impl Page {
    /// Parses the body; a body that does not fit is a [`GhError::BadBody`].
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, GhError> {
        serde_json::from_slice(&self.body).map_err(|e| GhError::BadBody {
            path: self.path.clone(),
            message: format!("unexpected JSON ({e})"),
        })
    }
}

/// Request counters, for the budget benchmark and the probe board.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Requests sent.
    pub(crate) requests: u64,
    /// Answered 304 (free when authenticated).
    pub not_modified: u64,
}

/// How to build a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The longest silence while a reply is read (a server that trickles or stalls).
    pub read_timeout: Duration,
    /// The largest body a read accepts: a GitHub page of 100 items is well under it,
    /// an endless body stops here instead of growing without bound.
    pub max_body: usize,
    /// Where the ETag cache is persisted (`None`: memory only).
    pub cache_file: Option<PathBuf>,
    /// Send `If-None-Match` (turned off only to measure what it saves).
    pub conditional: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(15),
            max_body: 8 * 1024 * 1024,
            cache_file: None,
            conditional: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheEntry {
    etag: String,
    body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    /// A 404/410 remembered with its validator: GitHub counts a 404 against
    /// the quota and not a 304, so a probe waiting for a tag asks conditionally
    /// from its first request in a new process too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    missing: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: HashMap<String, CacheEntry>,
}

const CACHE_VERSION: u32 = 1;
/// Keeps the cache file bounded even if probes come and go for months.
const CACHE_MAX_ENTRIES: usize = 4096;

#[derive(Debug, Default)]
struct Cache {
    entries: HashMap<String, CacheEntry>,
    dirty: bool,
}

/// The client of one GitHub host, for every reader and writer: probes and the
/// crew sync share one behind an `Arc` (see [`super::Hosts`]), and with it one
/// rate budget and one ETag cache.
pub struct GithubClient {
    http: reqwest::Client,
    base: String,
    pub(super) token: Option<Token>,
    /// Built on the first write (building spawns octocrab's service task, which
    /// needs a runtime; most processes never write).
    pub(super) octo: std::sync::OnceLock<Result<octocrab::Octocrab, GhError>>,
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    max_body: usize,
    read_timeout: Duration,
    /// Writes go one at a time (design.md: writes are serial), whoever sends them.
    pub(super) writing: tokio::sync::Mutex<()>,
    identity: String,
    conditional: bool,
    cache: Mutex<Cache>,
    cache_file: Option<PathBuf>,
    quota: Mutex<Option<Quota>>,
    /// The `Date` of the latest reply, and when it arrived: GitHub's clock.
    date: Mutex<Option<(DateTime<Utc>, tokio::time::Instant)>>,
    traffic: Mutex<Traffic>,
}

impl fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubClient")
            .field("base", &self.base)
            .field("authenticated", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl GithubClient {
    /// A client for the API at `base` (`https://api.github.com`, a GitHub
    /// Enterprise `…/api/v3`, or a simulated world).
    pub fn new(
        base: &str,
        token: Option<Token>,
        opts: ClientOptions,
    ) -> Result<GithubClient, GhError> {
        if token.is_some() && !token::may_carry_token(base) {
            return Err(GhError::TokenRefused {
                url: crate::probe::redact(base),
            });
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            // No idle connections: nothing lingers between polls 15 s apart,
            // and no idle-pool timers run under a paused test clock.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| GhError::Transport {
                path: base.to_string(),
                message: format!("cannot set up the HTTP client: {e}"),
            })?;
        let identity = token
            .as_ref()
            .map_or_else(|| "anonymous".to_string(), Token::identity);
        let entries = opts
            .cache_file
            .as_deref()
            .map(load_cache)
            .unwrap_or_default();
        Ok(GithubClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
            octo: std::sync::OnceLock::new(),
            timeout: opts.timeout,
            connect_timeout: opts.connect_timeout,
            max_body: opts.max_body,
            read_timeout: opts.read_timeout,
            writing: tokio::sync::Mutex::new(()),
            identity,
            conditional: opts.conditional,
            cache: Mutex::new(Cache {
                entries,
                dirty: false,
            }),
            cache_file: opts.cache_file,
            quota: Mutex::new(None),
            date: Mutex::new(None),
            traffic: Mutex::new(Traffic::default()),
        })
    }

    /// The API base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Whether requests carry a token (5,000/h) or not (60/h).
    pub(crate) fn authenticated(&self) -> bool {
        self.token.is_some()
    }

    /// The rate limit as GitHub last reported it.
    pub fn quota(&self) -> Option<Quota> {
        *lock(&self.quota)
    }

    /// GitHub's clock: the `Date` of the latest reply and the (tokio) instant it arrived.
    pub(crate) fn source_date(&self) -> Option<(DateTime<Utc>, tokio::time::Instant)> {
        *lock(&self.date)
    }

    /// Requests sent and 304s received so far.
    pub fn traffic(&self) -> Traffic {
        *lock(&self.traffic)
    }

    /// Hides the token in any text (defence in depth: no message should contain it anyway).
    pub(crate) fn redact(&self, text: &str) -> String {
        self.token
            .as_ref()
            .map_or_else(|| text.to_string(), |t| t.redact(text))
    }

    /// Writes the ETag cache to its file, if it changed. Atomic: a crash leaves the old file.
    pub fn save_cache(&self) -> std::io::Result<()> {
        let Some(path) = &self.cache_file else {
            return Ok(());
        };
        let text = {
            let mut cache = lock(&self.cache);
            if !cache.dirty {
                return Ok(());
            }
            cache.dirty = false;
            let file = CacheFile {
                version: CACHE_VERSION,
                entries: cache.entries.clone(),
            };
            serde_json::to_vec(&file).map_err(std::io::Error::other)?
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::timeline::fsutil::write_atomic(path, &text)
    }

    /// One conditional GET of `path` (`/repos/…`, or a full URL under the base
    /// from a `Link` header). An unchanged resource answers 304 from GitHub and
    /// its cached body here; with a token that costs no quota.
    pub async fn get(&self, path: &str) -> Result<Page, GhError> {
        let url = if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else if under_base(&self.base, path) {
            path.to_string()
        } else {
            return Err(GhError::ForeignUrl {
                url: self.redact(&crate::probe::redact(path)),
            });
        };
        let shown = url.strip_prefix(&self.base).unwrap_or(&url).to_string();
        let key = format!("{} {url}", self.identity);
        let cached = if self.conditional {
            lock(&self.cache).entries.get(&key).cloned()
        } else {
            None
        };

        let mut req = self
            .http
            .get(&url)
            .header(ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .header(
                USER_AGENT,
                concat!("flightdeck/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(t) = &self.token
            && let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {}", t.secret()))
        {
            v.set_sensitive(true);
            req = req.header(AUTHORIZATION, v);
        }
        if let Some(c) = &cached
            && let Ok(v) = HeaderValue::from_str(&c.etag)
        {
            req = req.header(IF_NONE_MATCH, v);
        }
        lock(&self.traffic).requests += 1;
        let mut resp = req.send().await.map_err(|e| GhError::Transport {
            path: shown.clone(),
            message: self.redact(&self.with_limits(&e)),
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        self.note_quota(&headers);
        let body = self.read_body(&mut resp, &shown).await?;

        match status {
            StatusCode::NOT_MODIFIED => {
                lock(&self.traffic).not_modified += 1;
                match cached {
                    Some(c) => Ok(Page {
                        path: shown,
                        found: !c.missing,
                        changed: false,
                        body: Bytes::from(c.body),
                        next: c.next,
                    }),
                    None => Err(GhError::BadBody {
                        path: shown,
                        message: "304 Not Modified to a request that had nothing cached".into(),
                    }),
                }
            }
            s if s.is_success() => {
                if looks_like_html(&headers, &body) {
                    return Err(GhError::BadBody {
                        path: shown,
                        message: "an HTML page instead of JSON".into(),
                    });
                }
                // Validate before caching: a truncated or malformed body must never
                // be stored under a validator and replayed on every 304.
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
                    return Err(GhError::BadBody {
                        path: shown,
                        message: format!("the JSON is truncated or malformed ({e})"),
                    });
                }
                let next = next_link(&headers);
                let text = String::from_utf8_lossy(&body).into_owned();
                let changed = cached.as_ref().is_none_or(|c| c.body != text);
                // A server that echoes the Authorization header would get the token
                // written to the cache file: such a body is used once, never stored.
                let holds_token = self
                    .token
                    .as_ref()
                    .is_some_and(|t| text.contains(t.secret()));
                if self.conditional
                    && !holds_token
                    && let Some(etag) = headers.get(ETAG).and_then(|v| v.to_str().ok())
                {
                    let mut cache = lock(&self.cache);
                    if cache.entries.len() >= CACHE_MAX_ENTRIES && !cache.entries.contains_key(&key)
                    {
                        cache.entries.clear();
                    }
                    cache.entries.insert(
                        key,
                        CacheEntry {
                            etag: etag.to_string(),
                            body: text,
                            next: next.clone(),
                            missing: false,
                        },
                    );
                    cache.dirty = true;
                }
                Ok(Page {
                    path: shown,
                    found: true,
                    changed,
                    body,
                    next,
                })
            }
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                let changed = cached.as_ref().is_none_or(|c| !c.missing);
                if self.conditional
                    && let Some(etag) = headers.get(ETAG).and_then(|v| v.to_str().ok())
                {
                    self.remember_missing(key, etag);
                }
                Ok(Page {
                    path: shown,
                    found: false,
                    changed,
                    body: Bytes::new(),
                    next: None,
                })
            }
            s => Err(self.classify(s, &headers, &body, shown)),
        }
    }

    /// The body of `resp`, at most `max_body` bytes; the read-idle and total deadlines
    /// are the HTTP client's. The error names the URL and the limit.
    async fn read_body(&self, resp: &mut reqwest::Response, shown: &str) -> Result<Bytes, GhError> {
        let too_big = || GhError::BadBody {
            path: shown.to_string(),
            message: format!(
                "the reply is larger than {} bytes, the most a GitHub page may be; stopped reading",
                self.max_body
            ),
        };
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(too_big());
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_body {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(Bytes::from(body)),
                Err(e) => {
                    return Err(GhError::Transport {
                        path: shown.to_string(),
                        message: self
                            .redact(&format!("the reply broke off ({})", self.with_limits(&e))),
                    });
                }
            }
        }
    }

    /// What went wrong, with the deadline that ran out when one did.
    fn with_limits(&self, e: &reqwest::Error) -> String {
        let what = describe_transport(e);
        if e.is_timeout() {
            format!(
                "{what}; limits: {} s to connect, {} s of silence, {} s in all",
                self.connect_timeout.as_secs_f64(),
                self.read_timeout.as_secs_f64(),
                self.timeout.as_secs_f64()
            )
        } else {
            what
        }
    }

    /// Caches a 404/410 under its validator (no body: nothing to replay, nothing to leak).
    fn remember_missing(&self, key: String, etag: &str) {
        let mut cache = lock(&self.cache);
        if cache.entries.len() >= CACHE_MAX_ENTRIES && !cache.entries.contains_key(&key) {
            cache.entries.clear();
        }
        cache.entries.insert(
            key,
            CacheEntry {
                etag: etag.to_string(),
                body: String::new(),
                next: None,
                missing: true,
            },
        );
        cache.dirty = true;
    }

    /// Notes the rate limit a reply reports, from a read or a write: one budget per client.
    pub(super) fn note_quota(&self, headers: &HeaderMap) {
        if let Some(d) = crate::probe::clock::date_header(headers) {
            *lock(&self.date) = Some((d, tokio::time::Instant::now()));
        }
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        // The search API has its own small bucket; the header board shows the core one.
        let resource = headers
            .get("x-ratelimit-resource")
            .and_then(|v| v.to_str().ok());
        if resource.is_some_and(|r| r != "core") {
            return;
        }
        if let (Some(limit), Some(remaining), Some(reset)) = (
            num("x-ratelimit-limit"),
            num("x-ratelimit-remaining"),
            num("x-ratelimit-reset"),
        ) && let Some(reset) = Utc.timestamp_opt(reset, 0).single()
        {
            *lock(&self.quota) = Some(Quota {
                limit: u32::try_from(limit).unwrap_or(0),
                remaining: u32::try_from(remaining).unwrap_or(0),
                reset,
            });
        }
    }

    pub(super) fn classify(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        path: String,
    ) -> GhError {
        let code = status.as_u16();
        let html = looks_like_html(headers, body);
        let message = if html {
            String::new()
        } else {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_default()
        };
        let message = self.redact(&message.chars().take(200).collect::<String>());
        if status.is_server_error() {
            return GhError::Server {
                path,
                status: code,
                html,
            };
        }
        if code == 403 || code == 429 {
            let remaining_zero = headers
                .get("x-ratelimit-remaining")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() == "0");
            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let secondary_text = message.to_lowercase().contains("secondary rate limit");
            if remaining_zero && retry_after.is_none() && !secondary_text {
                let reset = headers
                    .get("x-ratelimit-reset")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .and_then(|s| Utc.timestamp_opt(s, 0).single())
                    // No reset given: GitHub's window is an hour at most.
                    .unwrap_or_else(|| Utc::now() + chrono::TimeDelta::hours(1));
                return GhError::QuotaExhausted { path, reset };
            }
            if retry_after.is_some() || secondary_text || code == 429 {
                return GhError::SecondaryLimit { path, retry_after };
            }
        }
        if code == 401 {
            return GhError::Unauthorized { path, message };
        }
        GhError::Http {
            path,
            status: code,
            message: if message.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                message
            },
        }
    }
}

fn describe_transport(e: &reqwest::Error) -> String {
    // reqwest's own text repeats the URL; say what happened instead.
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the reply broke off"
    } else {
        "the connection failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = None;
    while let Some(s) = source {
        detail = Some(s.to_string());
        source = s.source();
    }
    match detail {
        Some(d) => format!("{what} ({d})"),
        None => what.to_string(),
    }
}

fn looks_like_html(headers: &HeaderMap, body: &[u8]) -> bool {
    let ct_html = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("text/html"));
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &body[i..]);
    ct_html || start.starts_with(b"<")
}

/// Whether `url` is under the API `base`: same scheme, host and port, and a
/// path below the base's, decided on parsed URLs (a `Link` header is outside
/// input; `https://api.github.com.evil.example/` must not pass for the base).
fn under_base(base: &str, url: &str) -> bool {
    let (Ok(b), Ok(u)) = (url::Url::parse(base), url::Url::parse(url)) else {
        return false;
    };
    let prefix = b.path().trim_end_matches('/');
    u.scheme() == b.scheme()
        && u.host() == b.host()
        && u.port_or_known_default() == b.port_or_known_default()
        && u.username().is_empty()
        && u.password().is_none()
        && u.path()
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"" || p.trim() == "rel=next")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

fn load_cache(path: &Path) -> HashMap<String, CacheEntry> {
    // A missing, unreadable or foreign cache file only costs a few requests: start empty.
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
        .filter(|f| f.version == CACHE_VERSION)
        .map(|f| f.entries)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::LINK,
            HeaderValue::from_static("<http://x/repos/a/b/issues?page=2>; rel=\"next\", <http://x/repos/a/b/issues?page=5>; rel=\"last\""),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("http://x/repos/a/b/issues?page=2")
        );
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn only_urls_under_the_base_are_followed() {
        let base = "https://ghe.example.com/api/v3";
        assert!(under_base(
            base,
            "https://ghe.example.com/api/v3/repos/a/b?page=2"
        ));
        assert!(under_base(
            base,
            "https://GHE.example.com:443/api/v3/repos/a/b"
        ));
        assert!(!under_base(base, "https://ghe.example.com/api/v30/repos"));
        assert!(!under_base(base, "http://ghe.example.com/api/v3/repos"));
        assert!(!under_base(
            base,
            "https://ghe.example.com.evil.example/api/v3/repos"
        ));
        assert!(!under_base(base, "https://x@ghe.example.com/api/v3/repos"));
        assert!(!under_base(
            base,
            "https://ghe.example.com:8443/api/v3/repos"
        ));
        assert!(under_base(
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9/repos/a/b"
        ));
    }

    #[test]
    fn a_token_is_refused_for_plain_http_to_another_machine() {
        let t = Token::new("ghp_x");
        let err = GithubClient::new(
            "http://ghe.example.com/api/v3",
            t.clone(),
            ClientOptions::default(),
        )
        .expect_err("refused");
        assert!(matches!(err, GhError::TokenRefused { .. }));
        assert!(!err.to_string().contains("ghp_x"));
        assert!(GithubClient::new("http://127.0.0.1:9", t, ClientOptions::default()).is_ok());
        assert!(
            GithubClient::new(
                "http://ghe.example.com/api/v3",
                None,
                ClientOptions::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn html_is_recognised() {
        assert!(looks_like_html(&HeaderMap::new(), b"  <!DOCTYPE html>"));
        assert!(!looks_like_html(&HeaderMap::new(), b"{\"a\":1}"));
    }
}
