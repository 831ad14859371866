//! The PyPI probe: has `name==version` been uploaded to PyPI, when, which files, is it yanked?
//!
//! Reads the JSON API, `{base}/pypi/{name}/{version}/json` (base `https://pypi.org` unless
//! overridden with `--pypi-url`; `https://pypi.org/pypi` is understood too). A `404` means "not uploaded yet". Every repeat poll is a
//! conditional request (`If-None-Match` / `If-Modified-Since` with what the last answer carried),
//! so an unchanged release costs a `304` and no body. Bad replies (garbage, a cut-off body, a
//! server error, a stall) become [`PypiStatus::Error`] naming the URL; nothing panics.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use url::Url;

/// A release's JSON is a few kB (a big wheel matrix: a few hundred). Anything far larger is not
/// the JSON API, and reading it all would only cost memory.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Invalid input to the PyPI probe, found before any request is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PypiError {
    /// The base URL does not parse or is not `http(s)://`.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The project name is not a valid PyPI name.
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// The version is empty or has characters no PyPI version has.
    InvalidVersion {
        /// The version as given.
        version: String,
    },
    /// The HTTP client could not be built (TLS setup).
    Client(String),
}

impl std::fmt::Display for PypiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PypiError::InvalidBaseUrl { url, reason } => write!(
                f,
                "invalid PyPI URL `{url}`: {reason}; use the site's root, like `https://pypi.org`"
            ),
            PypiError::InvalidName { name } => write!(
                f,
                "invalid PyPI project name `{name}`: names use letters, digits, `.`, `_` and `-`"
            ),
            PypiError::InvalidVersion { version } => write!(
                f,
                "invalid PyPI version `{version}`: versions look like `2025.11.0` or `1.2rc1`"
            ),
            PypiError::Client(reason) => write!(f, "could not set up the HTTP client: {reason}"),
        }
    }
}

impl std::error::Error for PypiError {}

/// The PEP 503 normal form of a project name: lower case, runs of `-`, `_`, `.` become one `-`.
/// PyPI redirects other spellings to it; asking for it directly saves the redirect.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// What to look for on PyPI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PypiQuery {
    /// The project name as the crew wrote it (`conda-store`).
    pub(crate) package: String,
    /// The version as published (`2025.11.0`).
    pub(crate) version: String,
}

impl PypiQuery {
    /// Validates a project name and version (once, at the edge).
    pub fn new(package: &str, version: &str) -> Result<Self, PypiError> {
        let package = package.trim();
        let valid_name = !package.is_empty()
            && package
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && package.starts_with(|c: char| c.is_ascii_alphanumeric())
            && package.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !valid_name {
            return Err(PypiError::InvalidName {
                name: package.to_owned(),
            });
        }
        let version = version.trim();
        let valid_version = !version.is_empty()
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '!'));
        if !valid_version {
            return Err(PypiError::InvalidVersion {
                version: version.to_owned(),
            });
        }
        Ok(Self {
            package: package.to_owned(),
            version: version.to_owned(),
        })
    }
}

/// The answer to one [`PypiQuery`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PypiReport {
    /// The project name as given.
    pub(crate) package: String,
    /// The version as given.
    pub(crate) version: String,
    /// The JSON API URL that was asked.
    pub api_url: Url,
    /// When this check started.
    pub checked_at: DateTime<Utc>,
    /// What PyPI said.
    #[serde(flatten)]
    pub status: PypiStatus,
}

/// Whether the version is on PyPI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PypiStatus {
    /// PyPI has no such release (`404`), or a release without files.
    NotYet,
    /// The release has files.
    Uploaded {
        /// The earliest file's `upload_time`: when the release became installable (the event's
        /// source time).
        uploaded_at: DateTime<Utc>,
        /// The release's page, e.g. `https://pypi.org/project/conda-store/2025.11.0/` (the
        /// event's link).
        release_url: Url,
        /// The release's files, earliest upload first.
        files: Vec<PypiFile>,
        /// Whether the release is yanked (PEP 592): still downloadable, but pip skips it.
        yanked: bool,
        /// Why, when the maintainers said.
        yanked_reason: Option<String>,
        /// When this checker first saw the release (in memory; see the channel probe's
        /// `first_seen` for the same caveat).
        first_seen: DateTime<Utc>,
    },
    /// PyPI could not be asked or answered nonsense.
    Error {
        /// The URL that failed.
        url: Url,
        /// What went wrong.
        message: String,
        /// Whether a later poll may succeed (network trouble, a timeout, a server error, a
        /// garbled answer); `false` when PyPI refused the request for good.
        transient: bool,
    },
}

/// One file of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PypiFile {
    /// E.g. `conda_store-2025.11.0-py3-none-any.whl`.
    pub filename: String,
    /// Where it downloads from.
    pub(crate) url: Url,
    /// When it was uploaded.
    pub(crate) upload_time: DateTime<Utc>,
    /// `sdist`, `bdist_wheel`, …
    pub(crate) packagetype: Option<String>,
    /// Whether this file is yanked.
    pub(crate) yanked: bool,
}

/// Network limits of a [`PypiChecker`].
#[derive(Debug, Clone)]
pub struct PypiOptions {
    /// The PyPI root (`https://pypi.org`, a mirror, or a simulated world).
    pub(crate) base_url: Url,
    /// How long to wait for a connection.
    pub(crate) connect_timeout: Duration,
    /// The most one request may take.
    pub request_timeout: Duration,
    /// The longest silence while an answer is read (a trickling or stalled server).
    pub read_timeout: Duration,
    /// The `User-Agent` of every request.
    pub(crate) user_agent: String,
}

impl PypiOptions {
    /// Default limits against the given PyPI root (`https://` or `http://`).
    pub fn with_base_url(base: &str) -> Result<Self, PypiError> {
        let invalid = |reason: String| PypiError::InvalidBaseUrl {
            url: base.to_owned(),
            reason,
        };
        let mut url = Url::parse(base.trim()).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("PyPI is reached over http(s)".to_owned()));
        }
        // Joining `pypi/...` must keep any path prefix of a mirror: end the path with `/`.
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self {
            base_url: url,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(15),
            user_agent: concat!("flightdeck/", env!("CARGO_PKG_VERSION")).to_owned(),
        })
    }
}

/// What a cached answer needs for the next conditional request.
struct Cached {
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
    release: Option<Release>,
}

/// A parsed release: everything but `first_seen`.
#[derive(Clone)]
struct Release {
    uploaded_at: DateTime<Utc>,
    release_url: Url,
    files: Vec<PypiFile>,
    yanked: bool,
    yanked_reason: Option<String>,
}

/// Answers [`PypiQuery`]s with conditional requests. Cheap to share behind an `Arc`.
pub struct PypiChecker {
    client: reqwest::Client,
    options: PypiOptions,
    cache: Mutex<HashMap<String, Cached>>,
    first_seen: Mutex<HashMap<String, DateTime<Utc>>>,
    /// The release's clock: `first_seen` and `checked_at` are release times
    /// (simulated in the demo), never the wall clock behind it.
    clock: crate::timeline::Clock,
    /// The `Date` of PyPI's latest reply and the release time it arrived.
    date: Mutex<Option<(DateTime<Utc>, DateTime<Utc>)>>,
    requests: AtomicU64,
    not_modified: AtomicU64,
    body_bytes: AtomicU64,
}

impl std::fmt::Debug for PypiChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PypiChecker")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What a [`PypiChecker`] moved so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PypiTraffic {
    /// Requests sent.
    pub requests: u64,
    /// Answers that were `304 Not Modified`.
    pub not_modified: u64,
    /// Response body bytes received.
    pub body_bytes: u64,
}

impl PypiChecker {
    /// A checker with the given PyPI root and limits.
    pub fn with_options(options: PypiOptions) -> Result<Self, PypiError> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| PypiError::Client(e.to_string()))?;
        Ok(Self {
            client,
            options,
            cache: Mutex::new(HashMap::new()),
            first_seen: Mutex::new(HashMap::new()),
            clock: crate::timeline::Clock::System,
            date: Mutex::new(None),
            requests: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            body_bytes: AtomicU64::new(0),
        })
    }

    /// The same checker, reading times from the release's clock.
    pub fn with_clock(mut self, clock: crate::timeline::Clock) -> Self {
        self.clock = clock;
        self
    }

    /// PyPI's clock: the `Date` of its latest reply and the release time it arrived.
    pub(crate) fn source_date(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        *self
            .date
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What this checker moved so far.
    pub fn traffic(&self) -> PypiTraffic {
        PypiTraffic {
            requests: self.requests.load(Ordering::Relaxed),
            not_modified: self.not_modified.load(Ordering::Relaxed),
            body_bytes: self.body_bytes.load(Ordering::Relaxed),
        }
    }

    /// The JSON API URL of a query: `{base}/pypi/{name}/{version}/json`. A base that already
    /// ends in `/pypi` (the JSON API root, as `--pypi-url` may be given, and as the simulated
    /// world prints it) is not given a second `/pypi`.
    pub(crate) fn api_url(&self, query: &PypiQuery) -> Result<Url, PypiError> {
        let api_root = if self.options.base_url.path().ends_with("/pypi/") {
            ""
        } else {
            "pypi/"
        };
        // Names and versions were validated to URL-safe characters, so joining cannot escape.
        self.options
            .base_url
            .join(&format!(
                "{api_root}{}/{}/json",
                normalize_name(&query.package),
                query.version
            ))
            .map_err(|e| PypiError::InvalidBaseUrl {
                url: self.options.base_url.to_string(),
                reason: e.to_string(),
            })
    }

    /// Asks PyPI about one release. Never fails as a whole: trouble is [`PypiStatus::Error`].
    pub async fn check(&self, query: &PypiQuery) -> PypiReport {
        let checked_at = self.clock.now();
        let api_url = match self.api_url(query) {
            Ok(url) => url,
            Err(err) => {
                let url = self.options.base_url.clone();
                return PypiReport {
                    package: query.package.clone(),
                    version: query.version.clone(),
                    api_url: url.clone(),
                    checked_at,
                    status: PypiStatus::Error {
                        url,
                        message: err.to_string(),
                        transient: false,
                    },
                };
            }
        };
        let status = match self.fetch(&api_url).await {
            Ok(Some(release)) => {
                let mut seen = self
                    .first_seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let first_seen = *seen
                    .entry(api_url.as_str().to_owned())
                    .or_insert_with(|| self.clock.now());
                PypiStatus::Uploaded {
                    uploaded_at: release.uploaded_at,
                    release_url: release.release_url,
                    files: release.files,
                    yanked: release.yanked,
                    yanked_reason: release.yanked_reason,
                    first_seen,
                }
            }
            Ok(None) => {
                self.first_seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(api_url.as_str());
                PypiStatus::NotYet
            }
            Err((message, transient)) => PypiStatus::Error {
                url: api_url.clone(),
                message,
                transient,
            },
        };
        PypiReport {
            package: query.package.clone(),
            version: query.version.clone(),
            api_url,
            checked_at,
            status,
        }
    }

    /// One conditional GET; `Ok(None)` is "no such release (yet)".
    async fn fetch(&self, api_url: &Url) -> Result<Option<Release>, (String, bool)> {
        let key = api_url.as_str().to_owned();
        let mut request = self
            .client
            .get(api_url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        {
            let cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(cached) = cache.get(&key) {
                if let Some(etag) = &cached.etag {
                    request = request.header(IF_NONE_MATCH, etag.clone());
                }
                if let Some(last_modified) = &cached.last_modified {
                    request = request.header(IF_MODIFIED_SINCE, last_modified.clone());
                }
            }
        }

        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = request
            .send()
            .await
            .map_err(|e| (self.describe(&e, api_url), true))?;
        if let Some(date) = crate::probe::clock::date_header(response.headers()) {
            *self
                .date
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((date, self.clock.now()));
        }
        let status = response.status();
        let etag = response.headers().get(ETAG).cloned();
        let last_modified = response.headers().get(LAST_MODIFIED).cloned();

        if status == StatusCode::NOT_MODIFIED {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
            let cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            return match cache.get(&key) {
                Some(cached) => Ok(cached.release.clone()),
                None => Err((
                    format!(
                        "{api_url} answered 304 Not Modified, but nothing was cached to compare \
                         with; the server (or a proxy) is misbehaving"
                    ),
                    true,
                )),
            };
        }
        if status == StatusCode::NOT_FOUND {
            // 404s carry validators too on PyPI's CDN; remembering them makes "still not
            // there" a 304 as well.
            self.remember(key, etag, last_modified, None);
            return Ok(None);
        }
        if !status.is_success() {
            let transient = status.is_server_error()
                || status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT;
            return Err((format!("{api_url} answered {status}"), transient));
        }

        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    self.body_bytes
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err((
                            format!(
                                "{api_url} sent more than {} MB; that is not PyPI's JSON API",
                                MAX_BODY_BYTES / (1024 * 1024)
                            ),
                            true,
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err((self.describe(&e, api_url), true)),
            }
        }
        let release = parse_release(&body, api_url).map_err(|m| (m, true))?;
        self.remember(key, etag, last_modified, release.clone());
        Ok(release)
    }

    /// [`describe_reqwest`], with the deadlines when one ran out.
    fn describe(&self, err: &reqwest::Error, url: &Url) -> String {
        let text = describe_reqwest(err, url);
        if err.is_timeout() {
            format!(
                "{text} (limits: {} s to connect, {} s of silence, {} s in all)",
                self.options.connect_timeout.as_secs_f64(),
                self.options.read_timeout.as_secs_f64(),
                self.options.request_timeout.as_secs_f64()
            )
        } else {
            text
        }
    }

    fn remember(
        &self,
        key: String,
        etag: Option<HeaderValue>,
        last_modified: Option<HeaderValue>,
        release: Option<Release>,
    ) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if etag.is_none() && last_modified.is_none() {
            // Nothing to validate against next time: a cached copy would never be used.
            cache.remove(&key);
        } else {
            cache.insert(
                key,
                Cached {
                    etag,
                    last_modified,
                    release,
                },
            );
        }
    }
}

/// A network failure in words, with the URL.
fn describe_reqwest(err: &reqwest::Error, url: &Url) -> String {
    let what = if err.is_timeout() {
        "timed out (slow or stalled server)"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "the answer was cut off"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        format!("{url}: {what}")
    } else {
        format!("{url}: {what}: {detail}")
    }
}

/// The parts of the JSON API answer the probe reads.
#[derive(Deserialize)]
struct ApiRelease {
    info: ApiInfo,
    #[serde(default)]
    urls: Vec<ApiFile>,
}

#[derive(Deserialize)]
struct ApiInfo {
    #[serde(default)]
    release_url: Option<String>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    yanked_reason: Option<String>,
}

#[derive(Deserialize)]
struct ApiFile {
    filename: String,
    url: String,
    #[serde(default)]
    upload_time_iso_8601: Option<String>,
    #[serde(default)]
    upload_time: Option<String>,
    #[serde(default)]
    packagetype: Option<String>,
    #[serde(default)]
    yanked: bool,
}

/// Parses a JSON API answer. `Ok(None)` for a release without files (nothing to install).
fn parse_release(body: &[u8], api_url: &Url) -> Result<Option<Release>, String> {
    let api: ApiRelease = serde_json::from_slice(body).map_err(|e| {
        let start = String::from_utf8_lossy(&body[..body.len().min(60)]).replace('\n', " ");
        format!("{api_url} did not answer with PyPI's release JSON ({e}); it began with `{start}`")
    })?;
    let mut files = Vec::with_capacity(api.urls.len());
    for file in api.urls {
        let upload_time = file
            .upload_time_iso_8601
            .as_deref()
            .and_then(parse_iso)
            .or_else(|| file.upload_time.as_deref().and_then(parse_naive_utc))
            .ok_or_else(|| {
                format!(
                    "{api_url}: file {} has no readable upload time",
                    file.filename
                )
            })?;
        let url = Url::parse(&file.url)
            .or_else(|_| api_url.join(&file.url))
            .map_err(|e| format!("{api_url}: file {} has a bad URL: {e}", file.filename))?;
        files.push(PypiFile {
            filename: file.filename,
            url,
            upload_time,
            packagetype: file.packagetype,
            yanked: file.yanked,
        });
    }
    files.sort_by(|a, b| {
        a.upload_time
            .cmp(&b.upload_time)
            .then_with(|| a.filename.cmp(&b.filename))
    });
    let Some(uploaded_at) = files.first().map(|f| f.upload_time) else {
        return Ok(None);
    };
    let release_url = api
        .info
        .release_url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| api_url.clone());
    Ok(Some(Release {
        uploaded_at,
        release_url,
        files,
        yanked: api.info.yanked,
        yanked_reason: api.info.yanked_reason.filter(|r| !r.trim().is_empty()),
    }))
}

fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// PyPI's older `upload_time` field: ISO 8601 without a zone, in UTC.
fn parse_naive_utc(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}
