//! The channel probe: is `package==version` installable from a conda channel yet, per subdir?
//!
//! The probe asks rattler's [`Gateway`] for the records of one package name in one subdir of one
//! channel, then picks the records whose version equals the wanted one the conda way (`1.0` ==
//! `1.0.0`; never string equality). The gateway reads sharded repodata (CEP 16) when the channel
//! serves it, so a check moves one small index plus one shard instead of a whole subdir; otherwise
//! it falls back to `repodata.json.zst`, then `.bz2`, then plain `repodata.json`; `file://`
//! channels are read straight from disk.
//!
//! Freshness: during a release, a channel's `Cache-Control: max-age=1200` would hide a new upload
//! for twenty minutes. The checker therefore (a) clears the gateway's in-memory cache of the subdir
//! before every poll and (b) rewrites `Cache-Control` on index responses (`repodata.json*`, the
//! shard index) to `no-cache` before rattler stores them. rattler then keeps its on-disk copy but
//! treats it as stale, so every poll sends a conditional request (`If-None-Match` /
//! `If-Modified-Since`), and an unchanged channel answers `304` with an empty body. Shards are
//! named by their sha256 and immutable, so they are only ever downloaded once.
//!
//! Known rattler quirks (0.38), measured against the simulated world:
//! - On an unsharded subdir rattler re-sends bodiless `HEAD`s for `.zst`/`.bz2` every poll: its
//!   14-day memo of which variants exist never holds (`jiff` refuses to add days to a timestamp).
//!   Headers only; no body moves.
//! - A `404` for a subdir's shard index is remembered on disk for good: that subdir is read from
//!   `repodata.json.zst` afterwards, even if the channel starts serving shards (or the 404 was a
//!   CDN glitch). Answers stay right; only bytes grow. Deleting the cache directory resets it.
//!
//! Bad input never panics and never stops the other subdirs: each subdir runs in its own task
//! with a deadline, and every failure becomes [`SubdirStatus::Error`] naming the URL, with a flag
//! saying whether trying again later may help (the scheduler's backoff uses it).
//!
//! The pure helpers at the end ([`channel_skew`], [`tag_to_first_channel`],
//! [`merge_to_available`], [`red_events`]) turn reports into the facts the board shows.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use http::Extensions;
use rattler_conda_types::{
    Channel, MatchSpec, NamelessMatchSpec, PackageName, RepoDataRecord, Subdir, Version,
};
use rattler_repodata_gateway::fetch::{FetchRepoDataError, RepoDataNotFoundError};
use rattler_repodata_gateway::sparse::PackageFormatSelection;
use rattler_repodata_gateway::{
    CacheClearMode, ChannelConfig, ChannelRelationsMode, Gateway, GatewayError, SourceConfig,
    SubdirSelection,
};
use reqwest::header::{CACHE_CONTROL, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use reqwest_middleware::{Middleware, Next};
use serde::{Deserialize, Serialize};
use url::Url;

/// Where `conda-forge` resolves unless overridden.
pub const CONDA_FORGE_URL: &str = "https://conda.anaconda.org/conda-forge";
/// Where `defaults` resolves unless overridden (its `main` channel).
pub const DEFAULTS_URL: &str = "https://repo.anaconda.com/pkgs/main";
/// Where any other channel name resolves: `https://conda.anaconda.org/NAME`.
pub const ANACONDA_ORG: &str = "https://conda.anaconda.org";

/// The suffix of the label conda-forge moves broken packages to.
const BROKEN_LABEL: &str = "/label/broken";

// ---------------------------------------------------------------------------------------------
// Errors and channel names
// ---------------------------------------------------------------------------------------------

/// Invalid input to the channel probe, found before any request is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelError {
    /// The channel name is empty.
    EmptyName,
    /// The channel name has characters or a shape no channel has.
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A channel URL (given directly or as an override) does not parse or uses an unsupported scheme.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The package name is not a valid conda package name.
    InvalidPackage {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The version is not a valid conda version.
    InvalidVersion {
        /// The version as given.
        version: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A subdir name is not a valid conda subdir.
    InvalidSubdir {
        /// The subdir as given.
        subdir: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (TLS setup).
    Client(String),
}

impl std::fmt::Display for ChannelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChannelError::EmptyName => write!(
                f,
                "empty channel name: use a name like `conda-forge` or a URL like `https://prefix.dev/conda-forge`"
            ),
            ChannelError::InvalidName { name, reason } => write!(
                f,
                "invalid channel name `{name}`: {reason}; use a name like `conda-forge`, \
                 `conda-forge/label/broken`, or a full `https://`/`file://` URL"
            ),
            ChannelError::InvalidUrl { url, reason } => write!(
                f,
                "invalid channel URL `{url}`: {reason}; channel URLs start with `https://`, `http://` or `file://`"
            ),
            ChannelError::InvalidPackage { name, reason } => {
                write!(f, "invalid package name `{name}`: {reason}")
            }
            ChannelError::InvalidVersion { version, reason } => {
                write!(f, "invalid conda version `{version}`: {reason}")
            }
            ChannelError::InvalidSubdir { subdir, reason } => write!(
                f,
                "invalid subdir `{subdir}`: {reason}; subdirs look like `noarch`, `linux-64`, `osx-arm64`, `win-64`"
            ),
            ChannelError::Client(reason) => write!(f, "could not set up the HTTP client: {reason}"),
        }
    }
}

impl std::error::Error for ChannelError {}

/// Resolves a channel name to the URL of the channel.
///
/// Order:
/// 1. `overrides` (the `--channel NAME=URL` flags and the `[channels]` table): an exact name
///    match wins; otherwise the longest override key that is a `/`-prefix of the name is used and
///    the rest of the name appended, so with `conda-forge=https://prefix.dev/conda-forge` the name
///    `conda-forge/label/broken` resolves to `https://prefix.dev/conda-forge/label/broken`.
///    That keeps the broken-label watch on the same mirror (or simulated world) as the channel.
/// 2. `conda-forge` → [`CONDA_FORGE_URL`], `defaults` → [`DEFAULTS_URL`].
/// 3. `https://…`, `http://…`, `file://…` are used as given.
/// 4. Any other name → `https://conda.anaconda.org/NAME` (including labels such as
///    `conda-forge/label/broken`).
///
/// The returned URL has no trailing slash. Names with spaces, empty path segments, `..` or other
/// characters no channel uses are rejected with an error that says what a valid name looks like.
pub fn resolve_channel(
    name: &str,
    overrides: &BTreeMap<String, String>,
) -> Result<Url, ChannelError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ChannelError::EmptyName);
    }
    if let Some(url) = overrides.get(name) {
        return parse_channel_url(url);
    }
    let by_prefix = overrides
        .iter()
        .filter(|(key, _)| {
            name.strip_prefix(key.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|(key, _)| key.len());
    if let Some((key, url)) = by_prefix {
        let rest = &name[key.len()..];
        validate_name_segments(name, rest.trim_start_matches('/'))?;
        let base = parse_channel_url(url)?;
        return parse_channel_url(&format!("{}{rest}", base.as_str().trim_end_matches('/')));
    }
    if name.contains("://") {
        return parse_channel_url(name);
    }
    match name {
        "conda-forge" => parse_channel_url(CONDA_FORGE_URL),
        "defaults" => parse_channel_url(DEFAULTS_URL),
        _ => {
            validate_name_segments(name, name)?;
            parse_channel_url(&format!("{ANACONDA_ORG}/{name}"))
        }
    }
}

/// Checks that `segments` (a `/`-separated channel name, or the part of one after an override)
/// only uses the characters anaconda.org allows.
fn validate_name_segments(name: &str, segments: &str) -> Result<(), ChannelError> {
    let invalid = |reason: &str| ChannelError::InvalidName {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    for segment in segments.split('/') {
        if segment.is_empty() {
            return Err(invalid("it has an empty path segment"));
        }
        if segment == "." || segment == ".." {
            return Err(invalid("`.` and `..` are not channel names"));
        }
        if let Some(bad) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(invalid(&format!("it contains `{bad}`")));
        }
    }
    Ok(())
}

/// Parses a channel URL, accepting only the schemes the probe can read.
fn parse_channel_url(raw: &str) -> Result<Url, ChannelError> {
    let invalid = |reason: String| ChannelError::InvalidUrl {
        url: raw.to_owned(),
        reason,
    };
    let trimmed = raw.trim();
    let url = Url::parse(trimmed).map_err(|err| invalid(err.to_string()))?;
    match url.scheme() {
        "https" | "http" => {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(invalid("it has no host".to_owned()));
            }
        }
        "file" => {}
        other => return Err(invalid(format!("the scheme `{other}` is not supported"))),
    }
    // One spelling per channel: without the trailing slash (rattler adds its own).
    let mut url = url;
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// The name of the label conda-forge moves broken packages to: `conda-forge` →
/// `conda-forge/label/broken`. Works for names and URLs alike; feed the result to
/// [`resolve_channel`] and probe it like any channel. A version that shows up there is a red event
/// (see [`red_events`]).
pub fn broken_label(channel_name: &str) -> String {
    format!(
        "{}{BROKEN_LABEL}",
        channel_name.trim().trim_end_matches('/')
    )
}

/// Whether a channel name (or URL) is a `…/label/broken` label.
pub fn is_broken_label(channel_name: &str) -> bool {
    channel_name
        .trim()
        .trim_end_matches('/')
        .ends_with(BROKEN_LABEL)
}

// ---------------------------------------------------------------------------------------------
// Query and report
// ---------------------------------------------------------------------------------------------

/// What to look for: one package version on one channel, in some subdirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelQuery {
    /// The channel's name as the crew wrote it (`conda-forge`, `defaults`); used in events.
    pub channel_name: String,
    /// Where the channel lives (see [`resolve_channel`]).
    pub channel_url: Url,
    /// The package name.
    pub package: PackageName,
    /// The version, compared the conda way (`1.0` == `1.0.0`).
    pub version: Version,
    /// The subdirs to check, e.g. `noarch`, `linux-64`.
    pub subdirs: Vec<Subdir>,
}

impl ChannelQuery {
    /// Builds a query from the strings of a checklist, resolving the channel name with
    /// [`resolve_channel`] and parsing the package name, version and subdirs once, here.
    pub fn parse(
        channel_name: &str,
        overrides: &BTreeMap<String, String>,
        package: &str,
        version: &str,
        subdirs: &[&str],
    ) -> Result<Self, ChannelError> {
        let channel_url = resolve_channel(channel_name, overrides)?;
        let package =
            PackageName::try_from(package.trim()).map_err(|err| ChannelError::InvalidPackage {
                name: package.to_owned(),
                reason: err.to_string(),
            })?;
        let version =
            version
                .trim()
                .parse::<Version>()
                .map_err(|err| ChannelError::InvalidVersion {
                    version: version.to_owned(),
                    reason: err.to_string(),
                })?;
        let subdirs = subdirs
            .iter()
            .map(|s| {
                s.trim()
                    .parse::<Subdir>()
                    .map_err(|err| ChannelError::InvalidSubdir {
                        subdir: (*s).to_owned(),
                        reason: err.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            channel_name: channel_name.trim().to_owned(),
            channel_url,
            package,
            version,
            subdirs,
        })
    }
}

/// The answer to one [`ChannelQuery`]: one entry per subdir, in the query's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelReport {
    /// The channel's name as given in the query.
    pub channel_name: String,
    /// The channel's URL.
    pub channel_url: Url,
    /// The package name (as written in the query).
    pub package: String,
    /// The version (as written in the query).
    pub version: String,
    /// When this check started.
    pub checked_at: DateTime<Utc>,
    /// One entry per subdir of the query.
    pub subdirs: Vec<SubdirReport>,
}

/// The state of one subdir of a [`ChannelReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubdirReport {
    /// The subdir.
    pub subdir: Subdir,
    /// The state of the version in that subdir.
    #[serde(flatten)]
    pub status: SubdirStatus,
}

/// Whether the version is installable from one subdir.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SubdirStatus {
    /// The subdir was read and has no record of the version (yet).
    NotYet,
    /// The subdir has at least one record of the version. When several builds exist (one per
    /// Python, say), the fields describe the earliest one: the moment the version first became
    /// installable from this subdir.
    Available {
        /// The build string of the record, e.g. `pyhd8ed1ab_0`.
        build: String,
        /// The package file name, e.g. `conda-26.11.0-py312h7900ff3_0.conda`.
        file_name: String,
        /// Where the package file downloads from: the link for the timeline event.
        url: Url,
        /// The record's own `timestamp` (set when the package was built, which on conda-forge is
        /// minutes before the upload). The event's source time; `None` when the record has none.
        timestamp: Option<DateTime<Utc>>,
        /// When this [`ChannelChecker`] first saw the version in this subdir. Tracked in memory by
        /// the checker: a restarted checker starts over, so the durable "first seen" is the
        /// timeline's earliest event for it.
        first_seen: DateTime<Utc>,
        /// How many records (builds × archive formats) of the version the subdir has.
        records: usize,
    },
    /// The subdir could not be read. Other subdirs are unaffected.
    Error {
        /// The URL that failed (the subdir, the index file or the shard).
        url: Url,
        /// What went wrong, in words a pilot can act on.
        message: String,
        /// Whether a later poll may succeed (network trouble, a timeout, a server error, data
        /// that was cut off or did not match its hash). `false` for a channel or subdir that does
        /// not exist: polling again will not help, fix the checklist or the `--channel` flag.
        transient: bool,
    },
}

impl SubdirStatus {
    /// Whether the version is available in this subdir.
    pub fn is_available(&self) -> bool {
        matches!(self, SubdirStatus::Available { .. })
    }
}

impl ChannelReport {
    /// Whether every subdir of the query has the version.
    pub fn fully_available(&self) -> bool {
        !self.subdirs.is_empty() && self.subdirs.iter().all(|s| s.status.is_available())
    }

    /// The subdirs that have the version.
    pub fn available_subdirs(&self) -> impl Iterator<Item = Subdir> + '_ {
        self.subdirs
            .iter()
            .filter(|s| s.status.is_available())
            .map(|s| s.subdir)
    }

    /// The subdirs that could not be read.
    pub fn errors(&self) -> impl Iterator<Item = &SubdirReport> + '_ {
        self.subdirs
            .iter()
            .filter(|s| matches!(s.status, SubdirStatus::Error { .. }))
    }

    /// Whether every error of this report is transient (or there is none).
    pub fn only_transient_errors(&self) -> bool {
        self.errors().all(|s| {
            matches!(
                s.status,
                SubdirStatus::Error {
                    transient: true,
                    ..
                }
            )
        })
    }

    /// The earliest `first_seen` over the subdirs that have the version: when this checker first
    /// saw the version anywhere on the channel. Use this (observed) time to compare channels.
    pub fn first_seen(&self) -> Option<DateTime<Utc>> {
        self.subdirs
            .iter()
            .filter_map(|s| match &s.status {
                SubdirStatus::Available { first_seen, .. } => Some(*first_seen),
                _ => None,
            })
            .min()
    }

    /// The earliest record timestamp over the subdirs that have the version (the source's own
    /// time, for an event's `at`).
    pub fn earliest_timestamp(&self) -> Option<DateTime<Utc>> {
        self.subdirs
            .iter()
            .filter_map(|s| match &s.status {
                SubdirStatus::Available { timestamp, .. } => *timestamp,
                _ => None,
            })
            .min()
    }
}

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

/// Network limits of a [`ChannelChecker`].
#[derive(Debug, Clone)]
pub struct CheckerOptions {
    /// How long to wait for a TCP/TLS connection.
    pub connect_timeout: Duration,
    /// How long a response may stay silent (no bytes) before it counts as stalled.
    pub read_timeout: Duration,
    /// The most one subdir check may take overall, including a full `repodata.json.zst`
    /// download on a channel without shards.
    pub subdir_timeout: Duration,
    /// The `User-Agent` of every request.
    pub user_agent: String,
}

impl Default for CheckerOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            subdir_timeout: Duration::from_secs(300),
            user_agent: concat!("flightdeck/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// What the checker moved over the network since it was created. Body bytes are the
/// `Content-Length` of the responses (what crossed the wire, compressed as sent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    /// HTTP requests sent (HEAD and GET).
    pub requests: u64,
    /// Responses that were `304 Not Modified`.
    pub not_modified: u64,
    /// Response body bytes received.
    pub body_bytes: u64,
}

impl Traffic {
    /// The traffic between an earlier snapshot and this one.
    pub fn since(&self, earlier: &Traffic) -> Traffic {
        Traffic {
            requests: self.requests.saturating_sub(earlier.requests),
            not_modified: self.not_modified.saturating_sub(earlier.not_modified),
            body_bytes: self.body_bytes.saturating_sub(earlier.body_bytes),
        }
    }
}

/// Answers [`ChannelQuery`]s. Owns one rattler [`Gateway`] whose on-disk cache lives in the
/// directory passed to [`ChannelChecker::new`] (the app passes flightdeck's cache directory), so
/// a restart revalidates instead of downloading again.
///
/// Cheap to share behind an `Arc`; checks may run concurrently.
pub struct ChannelChecker {
    gateway: Gateway,
    net: Arc<NetState>,
    options: CheckerOptions,
    /// `first_seen` per (channel URL, subdir, package, version), in memory.
    first_seen: Mutex<HashMap<FirstSeenKey, DateTime<Utc>>>,
}

type FirstSeenKey = (String, Subdir, String, String);

impl std::fmt::Debug for ChannelChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelChecker")
            .field("options", &self.options)
            .field("traffic", &self.traffic())
            .finish_non_exhaustive()
    }
}

impl ChannelChecker {
    /// A checker with default [`CheckerOptions`] caching into `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Result<Self, ChannelError> {
        Self::with_options(cache_dir, CheckerOptions::default())
    }

    /// A checker with the given network limits caching into `cache_dir`.
    pub fn with_options(
        cache_dir: impl Into<PathBuf>,
        options: CheckerOptions,
    ) -> Result<Self, ChannelError> {
        let net = Arc::new(NetState::default());
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|err| ChannelError::Client(error_chain(&err)))?;
        let client = reqwest_middleware::ClientBuilder::new(client)
            .with_arc(Arc::new(PollMiddleware { net: net.clone() }) as Arc<dyn Middleware>)
            .build();
        let channel_config = ChannelConfig {
            default: SourceConfig {
                // The default; spelled out because the freshness design above relies on it:
                // use the disk cache, but revalidate it (our middleware marks it `no-cache`).
                cache_action: rattler_repodata_gateway::fetch::CacheAction::CacheOrFetch,
                ..SourceConfig::default()
            },
            per_channel: HashMap::new(),
        };
        let gateway = Gateway::builder()
            .with_client(client)
            .with_cache_dir(cache_dir.into())
            .with_channel_config(channel_config)
            .finish();
        Ok(Self {
            gateway,
            net,
            options,
            first_seen: Mutex::new(HashMap::new()),
        })
    }

    /// What this checker moved over the network so far (see [`Traffic::since`]).
    pub fn traffic(&self) -> Traffic {
        Traffic {
            requests: self.net.requests.load(Ordering::Relaxed),
            not_modified: self.net.not_modified.load(Ordering::Relaxed),
            body_bytes: self.net.body_bytes.load(Ordering::Relaxed),
        }
    }

    /// Checks every subdir of the query, concurrently, and reports each one. Never fails as a
    /// whole: a subdir that cannot be read is [`SubdirStatus::Error`] and the others go on.
    /// Each subdir runs as a tokio task, so call this inside a tokio runtime. Two checks of the
    /// same channel and subdir at the same moment each revalidate (two `304`s); the scheduler
    /// may stagger them.
    pub async fn check(&self, query: &ChannelQuery) -> ChannelReport {
        let checked_at = Utc::now();
        let channel = Channel::from_url(query.channel_url.clone());
        let checks = query
            .subdirs
            .iter()
            .map(|&subdir| self.check_subdir(&channel, subdir, query));
        let results = futures::future::join_all(checks).await;
        let now = Utc::now();
        let subdirs = query
            .subdirs
            .iter()
            .zip(results)
            .map(|(&subdir, result)| SubdirReport {
                subdir,
                status: self.status_from(query, subdir, result, now),
            })
            .collect();
        ChannelReport {
            channel_name: query.channel_name.clone(),
            channel_url: query.channel_url.clone(),
            package: query.package.as_source().to_owned(),
            version: query.version.to_string(),
            checked_at,
            subdirs,
        }
    }

    /// Turns the raw outcome of one subdir into its status, keeping `first_seen`.
    fn status_from(
        &self,
        query: &ChannelQuery,
        subdir: Subdir,
        result: Result<Option<Found>, Failure>,
        now: DateTime<Utc>,
    ) -> SubdirStatus {
        let key: FirstSeenKey = (
            query.channel_url.as_str().to_owned(),
            subdir,
            query.package.as_normalized().to_owned(),
            query.version.to_string(),
        );
        // A poisoned lock only means another check panicked mid-update; the map is still usable.
        let mut first_seen = self
            .first_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Ok(Some(found)) => SubdirStatus::Available {
                build: found.build,
                file_name: found.file_name,
                url: found.url,
                timestamp: found.timestamp,
                first_seen: *first_seen.entry(key).or_insert(now),
                records: found.records,
            },
            Ok(None) => {
                // Gone (or never there): a reappearance later is a new first sighting.
                first_seen.remove(&key);
                SubdirStatus::NotYet
            }
            Err(failure) => SubdirStatus::Error {
                url: failure.url,
                message: failure.message,
                transient: failure.transient,
            },
        }
    }

    /// Reads one subdir and returns the earliest matching record, if any.
    async fn check_subdir(
        &self,
        channel: &Channel,
        subdir: Subdir,
        query: &ChannelQuery,
    ) -> Result<Option<Found>, Failure> {
        let subdir_url = channel.platform_url(subdir);
        if subdir_url.scheme() == "file" {
            check_local_subdir(&query.channel_url, &subdir_url).await?;
        }
        let plain_index = subdir_url.join("repodata.json").ok();

        // Forget what the gateway remembers in memory, so this poll asks the server (see the
        // module docs); the disk cache stays and turns the ask into a conditional request.
        let selection = SubdirSelection::Some([subdir.as_str().to_owned()].into_iter().collect());
        if let Err(err) =
            self.gateway
                .clear_repodata_cache(channel, selection, CacheClearMode::InMemoryOnly)
        {
            return Err(Failure::new(
                subdir_url,
                format!("could not reset the in-memory cache: {err}"),
                true,
            ));
        }
        if let Some(index) = &plain_index {
            self.net.forget_status(index);
        }

        let spec =
            MatchSpec::from_nameless(NamelessMatchSpec::default(), query.package.clone().into());
        let gateway = self.gateway.clone();
        let task_channel = channel.clone();
        // A task of its own: a panic inside the gateway on a hostile reply becomes an error for
        // this subdir instead of taking the probe (or the cockpit) down.
        let task = tokio::spawn(async move {
            gateway
                .query([task_channel], [subdir], [spec])
                .channel_relations(ChannelRelationsMode::Disabled)
                // Every archive counts: the `.tar.bz2` of a build may have landed before its
                // `.conda`, and "first available" means the first of either.
                .package_format_selection(PackageFormatSelection::Both)
                .execute()
                .await
        });
        let abort = task.abort_handle();
        let output = match tokio::time::timeout(self.options.subdir_timeout, task).await {
            Err(_elapsed) => {
                abort.abort();
                return Err(Failure::new(
                    subdir_url.clone(),
                    format!(
                        "no complete answer from {subdir_url} within {} s (slow or stalled server)",
                        self.options.subdir_timeout.as_secs_f64()
                    ),
                    true,
                ));
            }
            Ok(Err(join_err)) => {
                return Err(Failure::new(
                    subdir_url.clone(),
                    format!("reading {subdir_url} failed unexpectedly: {join_err}"),
                    true,
                ));
            }
            Ok(Ok(Err(err))) => {
                return Err(failure_from_gateway(&err, &subdir_url, &query.channel_name));
            }
            Ok(Ok(Ok(output))) => output,
        };

        let matching: Vec<&RepoDataRecord> = output
            .repodata
            .iter()
            .flat_map(|repodata| repodata.iter())
            .filter(|record| {
                record.package_record.name == query.package
                    && record.package_record.version.version() == &query.version
            })
            .collect();

        if matching.is_empty() {
            // rattler reads a missing non-noarch subdir as an empty one. For a release probe
            // that hides a typo or a wrong channel forever, so say so when the server told us.
            if let Some(index) = plain_index
                && self.net.status_of(&index) == Some(StatusCode::NOT_FOUND)
            {
                return Err(Failure::new(
                    index.clone(),
                    format!(
                        "subdir {subdir} does not exist on channel {} ({index} answered 404 Not Found)",
                        query.channel_name
                    ),
                    false,
                ));
            }
            return Ok(None);
        }

        let earliest = matching
            .iter()
            .min_by(|a, b| {
                // Records without a timestamp sort last; ties by file name keep it stable.
                let ta = a.package_record.timestamp.map(|t| t.timestamp_millis());
                let tb = b.package_record.timestamp.map(|t| t.timestamp_millis());
                match (ta, tb) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(|| a.identifier.to_string().cmp(&b.identifier.to_string()))
            })
            .copied();
        Ok(earliest.map(|record| Found {
            build: record.package_record.build.to_string(),
            file_name: record.identifier.to_string(),
            url: record.url.clone(),
            timestamp: record
                .package_record
                .timestamp
                .and_then(|t| DateTime::from_timestamp_millis(t.timestamp_millis())),
            records: matching.len(),
        }))
    }
}

/// The earliest matching record of one subdir.
struct Found {
    build: String,
    file_name: String,
    url: Url,
    timestamp: Option<DateTime<Utc>>,
    records: usize,
}

/// Why one subdir could not be read.
struct Failure {
    url: Url,
    message: String,
    transient: bool,
}

impl Failure {
    fn new(url: Url, message: String, transient: bool) -> Self {
        Self {
            url,
            message,
            transient,
        }
    }
}

/// For a `file://` channel, tells a missing channel directory and a missing subdir apart before
/// rattler does (it would read a missing non-noarch subdir as empty).
async fn check_local_subdir(channel_url: &Url, subdir_url: &Url) -> Result<(), Failure> {
    let Ok(channel_dir) = channel_url.to_file_path() else {
        return Err(Failure::new(
            channel_url.clone(),
            format!("{channel_url} is not a local path this system can read"),
            false,
        ));
    };
    if !tokio::fs::metadata(&channel_dir)
        .await
        .is_ok_and(|m| m.is_dir())
    {
        return Err(Failure::new(
            channel_url.clone(),
            format!(
                "channel directory {} does not exist (from {channel_url})",
                channel_dir.display()
            ),
            false,
        ));
    }
    let index_url = subdir_url
        .join("repodata.json")
        .unwrap_or_else(|_| subdir_url.clone());
    let exists = match index_url.to_file_path() {
        Ok(path) => tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()),
        Err(()) => false,
    };
    if !exists {
        return Err(Failure::new(
            index_url.clone(),
            format!("no repodata.json at {index_url}: the subdir does not exist on this channel"),
            false,
        ));
    }
    Ok(())
}

/// Describes a gateway failure for a pilot, with the URL that failed and whether retrying may help.
fn failure_from_gateway(err: &GatewayError, subdir_url: &Url, channel_name: &str) -> Failure {
    let chain = error_chain(err);
    let index_url = subdir_url
        .join("repodata.json")
        .unwrap_or_else(|_| subdir_url.clone());
    match err {
        GatewayError::SubdirNotFoundError(not_found) => Failure::new(
            index_url.clone(),
            format!(
                "subdir {} does not exist on channel {channel_name} (nothing at {index_url})",
                not_found.subdir
            ),
            false,
        ),
        GatewayError::ShardHashMismatch(mismatch) => Failure::new(
            mismatch.url.clone(),
            format!(
                "{chain}; the shard does not match the channel's shard index (a server or cache \
                 in between is serving a different file), will try again"
            ),
            true,
        ),
        GatewayError::UnsupportedUrl(_) => Failure::new(subdir_url.clone(), chain, false),
        _ => {
            let http = reqwest_error(err);
            // A local channel has exactly one file per subdir: name it rather than the folder.
            let fallback = if subdir_url.scheme() == "file" {
                index_url
            } else {
                subdir_url.clone()
            };
            let url = http
                .and_then(reqwest::Error::url)
                .cloned()
                .or_else(|| match err {
                    GatewayError::FetchRepoDataError(FetchRepoDataError::FailedToDownload(
                        url,
                        _,
                    )) => Some(url.clone()),
                    _ => None,
                })
                .unwrap_or(fallback);
            // Only a request the server refused for good (4xx other than 408/429) is
            // permanent; network trouble, timeouts, server errors and bad data (a cut-off or
            // corrupted download, a CDN mid-update) are worth another try.
            let transient = http.and_then(reqwest::Error::status).is_none_or(|status| {
                !status.is_client_error()
                    || status == StatusCode::REQUEST_TIMEOUT
                    || status == StatusCode::TOO_MANY_REQUESTS
            });
            let hint = match http {
                Some(e) if e.is_timeout() => " (the server stopped answering: slow or stalled)",
                Some(e) if e.is_connect() => " (could not connect)",
                _ => "",
            };
            let message = if chain.contains(url.as_str()) {
                format!("{chain}{hint}")
            } else {
                format!("{chain}{hint} (reading {url})")
            };
            Failure::new(url, message, transient)
        }
    }
}

/// The HTTP error inside a gateway error. rattler wraps it in `#[error(transparent)]` variants,
/// whose `source()` skips the wrapped error itself, so walking the chain alone misses it.
fn reqwest_error(err: &GatewayError) -> Option<&reqwest::Error> {
    let direct = match err {
        GatewayError::ReqwestError(e) => Some(e),
        GatewayError::FetchRepoDataError(FetchRepoDataError::HttpError(
            reqwest_middleware::Error::Reqwest(e),
        )) => Some(e),
        GatewayError::FetchRepoDataError(FetchRepoDataError::NotFound(
            RepoDataNotFoundError::HttpError(e),
        )) => Some(e),
        _ => None,
    };
    direct.or_else(|| {
        let mut current = std::error::Error::source(err);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<reqwest::Error>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    })
}

/// `outer: inner: innermost`, without repeating a message a wrapper already quotes.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

// ---------------------------------------------------------------------------------------------
// HTTP middleware: freshness, accounting, and guarding rattler against odd servers
// ---------------------------------------------------------------------------------------------

/// Counters and per-URL statuses shared between the checker and its middleware.
#[derive(Default)]
struct NetState {
    requests: AtomicU64,
    not_modified: AtomicU64,
    body_bytes: AtomicU64,
    /// The last status of each plain `…/repodata.json` request: how a missing subdir is told
    /// apart from an empty one.
    index_status: Mutex<HashMap<String, StatusCode>>,
}

impl NetState {
    fn forget_status(&self, url: &Url) {
        self.index_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(url.as_str());
    }

    fn status_of(&self, url: &Url) -> Option<StatusCode> {
        self.index_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(url.as_str())
            .copied()
    }

    fn record_status(&self, url: &Url, status: StatusCode) {
        self.index_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(url.as_str().to_owned(), status);
    }
}

/// Whether a URL names a channel index (as opposed to an immutable shard or a package).
fn is_index_url(url: &Url) -> bool {
    let path = url.path();
    [
        "/repodata.json",
        "/repodata.json.zst",
        "/repodata.json.bz2",
        "/repodata_shards.msgpack.zst",
    ]
    .iter()
    .any(|suffix| path.ends_with(suffix))
}

/// Sits between rattler and the network.
struct PollMiddleware {
    net: Arc<NetState>,
}

#[async_trait::async_trait]
impl Middleware for PollMiddleware {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let url = req.url().clone();
        let is_head = req.method() == Method::HEAD;
        let sent_etag = req.headers().get(IF_NONE_MATCH).cloned();
        let conditional = sent_etag.is_some() || req.headers().contains_key(IF_MODIFIED_SINCE);

        let mut response = next.run(req, extensions).await?;
        let status = response.status();
        self.net.requests.fetch_add(1, Ordering::Relaxed);
        if !is_head {
            self.net
                .body_bytes
                .fetch_add(response.content_length().unwrap_or(0), Ordering::Relaxed);
        }
        if url.path().ends_with("/repodata.json") && !is_head {
            self.net.record_status(&url, status);
        }

        if status == StatusCode::NOT_MODIFIED {
            self.net.not_modified.fetch_add(1, Ordering::Relaxed);
            if !conditional {
                // rattler assumes a 304 only follows its own conditional request (and would
                // panic otherwise); a server that sends one anyway is broken: say so.
                return Err(reqwest_middleware::Error::Middleware(anyhow::anyhow!(
                    "{url} answered 304 Not Modified to a request that had no cached copy to \
                     validate; the server (or a proxy) is misbehaving"
                )));
            }
            let has_validator = response.headers().contains_key(ETAG)
                || response
                    .headers()
                    .contains_key(reqwest::header::LAST_MODIFIED);
            if !has_validator && let Some(etag) = sent_etag.filter(is_single_etag) {
                // RFC 9110 says a 304 should repeat the ETag; some servers do not, and rattler's
                // shard-index cache then fails the poll. A 304 to `If-None-Match: X` with one
                // tag means "X still matches", so restore the header instead of failing.
                response.headers_mut().insert(ETAG, etag);
            }
        }

        if is_index_url(&url) && (status.is_success() || status == StatusCode::NOT_MODIFIED) {
            // The freshness knob (see the module docs): keep the copy, revalidate every poll.
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        Ok(response)
    }
}

/// Whether an `If-None-Match` value names exactly one entity tag.
fn is_single_etag(value: &HeaderValue) -> bool {
    value
        .to_str()
        .is_ok_and(|s| !s.contains(',') && s.trim() != "*" && !s.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// Pure helpers for the board and the state
// ---------------------------------------------------------------------------------------------

/// A version present on one channel and missing from another for longer than allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skew {
    /// The channel that has the version (the first one that got it).
    pub ahead: String,
    /// When it got it.
    pub ahead_since: DateTime<Utc>,
    /// The channel that does not have it yet.
    pub behind: String,
    /// How long `behind` has lagged so far (`now - ahead_since`).
    pub lag: TimeDelta,
}

/// Channel skew: for each channel that does not have the version, how long since the first
/// channel got it, when that exceeds `threshold`. `availability` maps a channel name to when the
/// version became available there (`None`: not yet). Use the same kind of time for all channels
/// (observed [`ChannelReport::first_seen`] compares channels fairly). Empty when no channel has it
/// yet, when all have it, or while the lag is within the threshold.
///
/// This is the 2022 post-mortem's "reached `defaults` days before `conda-forge`" signal.
pub fn channel_skew(
    availability: &BTreeMap<String, Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
    threshold: TimeDelta,
) -> Vec<Skew> {
    let Some((ahead, ahead_since)) = first_channel(availability) else {
        return Vec::new();
    };
    availability
        .iter()
        .filter(|(_, at)| at.is_none())
        .filter_map(|(behind, _)| {
            let lag = now - ahead_since;
            (lag > threshold).then(|| Skew {
                ahead: ahead.clone(),
                ahead_since,
                behind: behind.clone(),
                lag,
            })
        })
        .collect()
}

/// The channel that got the version first and when; ties go to the name that sorts first.
pub fn first_channel(
    availability: &BTreeMap<String, Option<DateTime<Utc>>>,
) -> Option<(String, DateTime<Utc>)> {
    availability
        .iter()
        .filter_map(|(name, at)| at.map(|at| (name.clone(), at)))
        .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
}

/// "Tag → first channel": how long after the tag the version became available anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstChannel {
    /// The channel that got it first.
    pub channel: String,
    /// When.
    pub at: DateTime<Utc>,
    /// `at - tagged_at`. Negative when the package predates the tag (a record timestamp is the
    /// build time; a `defaults` build can start before the tag is pushed).
    pub lag: TimeDelta,
}

/// "Tag → first channel": `None` until some channel has the version.
pub fn tag_to_first_channel(
    tagged_at: DateTime<Utc>,
    availability: &BTreeMap<String, Option<DateTime<Utc>>>,
) -> Option<FirstChannel> {
    first_channel(availability).map(|(channel, at)| FirstChannel {
        channel,
        at,
        lag: at - tagged_at,
    })
}

/// "Merge → available": how long after the feedstock PR merged the version became available.
/// `None` while it is not available. Signed, like [`FirstChannel::lag`].
pub fn merge_to_available(
    merged_at: DateTime<Utc>,
    available_at: Option<DateTime<Utc>>,
) -> Option<TimeDelta> {
    available_at.map(|at| at - merged_at)
}

/// "Still waiting": how long since `since` with nothing yet (for a pending row on the board).
/// Zero if `since` lies in the future.
pub fn waiting_for(since: DateTime<Utc>, now: DateTime<Utc>) -> TimeDelta {
    (now - since).max(TimeDelta::zero())
}

/// Something about a release that should turn the board red.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RedEvent {
    /// The version was available in a subdir and is gone now (removed, or hidden by a repodata
    /// patch).
    Disappeared {
        /// The channel's name.
        channel: String,
        /// The package name.
        package: String,
        /// The version.
        version: String,
        /// The subdir.
        subdir: Subdir,
        /// The file that was available.
        file_name: String,
        /// Where it was.
        url: Url,
        /// When the disappearance was noticed (the check's time).
        noticed_at: DateTime<Utc>,
    },
    /// The version appeared under a `…/label/broken` label: someone marked it broken.
    MarkedBroken {
        /// The label's channel name, e.g. `conda-forge/label/broken`.
        channel: String,
        /// The package name.
        package: String,
        /// The version.
        version: String,
        /// The subdir.
        subdir: Subdir,
        /// The file now under the label.
        file_name: String,
        /// Where it is.
        url: Url,
        /// When the label got it: the check's time (the record timestamp is still the build's).
        noticed_at: DateTime<Utc>,
    },
}

/// Red events between two consecutive reports of the same query (`previous` is `None` for the
/// first report). Pass as `previous` what [`carry_forward`] returned last time, so that a poll that
/// failed in between neither hides nor repeats an event. A subdir that errors now tells nothing,
/// so it yields nothing: an outage is not a disappearance.
///
/// For a `…/label/broken` channel, every subdir where the version newly appears is a
/// [`RedEvent::MarkedBroken`]; on any other channel, every subdir that went from available to not
/// available is a [`RedEvent::Disappeared`].
pub fn red_events(previous: Option<&ChannelReport>, current: &ChannelReport) -> Vec<RedEvent> {
    let broken =
        is_broken_label(&current.channel_name) || is_broken_label(current.channel_url.as_str());
    let mut events = Vec::new();
    for now in &current.subdirs {
        let before = previous.and_then(|p| p.subdirs.iter().find(|s| s.subdir == now.subdir));
        let was_available = before.is_some_and(|s| s.status.is_available());
        match &now.status {
            SubdirStatus::Available { file_name, url, .. } if broken && !was_available => {
                events.push(RedEvent::MarkedBroken {
                    channel: current.channel_name.clone(),
                    package: current.package.clone(),
                    version: current.version.clone(),
                    subdir: now.subdir,
                    file_name: file_name.clone(),
                    url: url.clone(),
                    noticed_at: current.checked_at,
                });
            }
            SubdirStatus::NotYet if !broken => {
                if let Some(SubdirStatus::Available { file_name, url, .. }) =
                    before.map(|s| &s.status)
                {
                    events.push(RedEvent::Disappeared {
                        channel: current.channel_name.clone(),
                        package: current.package.clone(),
                        version: current.version.clone(),
                        subdir: now.subdir,
                        file_name: file_name.clone(),
                        url: url.clone(),
                        noticed_at: current.checked_at,
                    });
                }
            }
            _ => {}
        }
    }
    events
}

/// The last known state of each subdir: `current`, except that a subdir that errors now keeps
/// its status from `previous` (when that was known). Store this as the `previous` of the next
/// [`red_events`] call.
pub fn carry_forward(previous: Option<&ChannelReport>, current: &ChannelReport) -> ChannelReport {
    let mut merged = current.clone();
    for entry in &mut merged.subdirs {
        if matches!(entry.status, SubdirStatus::Error { .. })
            && let Some(known) = previous
                .and_then(|p| p.subdirs.iter().find(|s| s.subdir == entry.subdir))
                .filter(|s| !matches!(s.status, SubdirStatus::Error { .. }))
        {
            entry.status = known.status.clone();
        }
    }
    merged
}
