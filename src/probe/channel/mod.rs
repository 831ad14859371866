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
//! The pure helpers at the end ([`red_events`], [`carry_forward`]) turn reports into red events.
//! How a version spreads over channels (skew, tag → first channel) is the timeline's business:
//! [`crate::timeline::availability`].

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rattler_conda_types::{
    Channel, MatchSpec, NamelessMatchSpec, PackageName, RepoDataRecord, Subdir, Version,
};
use rattler_repodata_gateway::fetch::{FetchRepoDataError, RepoDataNotFoundError};
use rattler_repodata_gateway::sparse::PackageFormatSelection;
use rattler_repodata_gateway::{
    CacheClearMode, ChannelConfig, ChannelRelationsMode, Gateway, GatewayError, SourceConfig,
    SubdirSelection,
};
use reqwest::StatusCode;
use reqwest_middleware::Middleware;
use serde::{Deserialize, Serialize};
use url::Url;

mod net;

pub use crate::checklist::channel::{
    ANACONDA_ORG, CONDA_FORGE_URL, ChannelError, DEFAULTS_URL, broken_label, is_broken_label,
    resolve_channel,
};
use net::{NetState, PollMiddleware};

mod red;
pub use red::{RedEvent, carry_forward, red_events};

// ---------------------------------------------------------------------------------------------
// Query and report
// ---------------------------------------------------------------------------------------------

/// What to look for: one package version on one channel, in some subdirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelQuery {
    /// The channel's name as the crew wrote it (`conda-forge`, `defaults`); used in events.
    pub(crate) channel_name: String,
    /// Where the channel lives (see [`resolve_channel`]).
    pub channel_url: Url,
    /// The package name.
    pub(crate) package: PackageName,
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
    pub(crate) channel_name: String,
    /// The channel's URL.
    pub(crate) channel_url: Url,
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
    pub(crate) fn errors(&self) -> impl Iterator<Item = &SubdirReport> + '_ {
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
    /// The largest body of one reply: a full `repodata.json`. Smaller kinds get a
    /// fraction of it (a `.zst` index a quarter, a shard or shard index 1/32): an
    /// endless body stops at its kind's cap, with an error naming the URL and the cap.
    pub max_body: u64,
    /// The `User-Agent` of every request.
    pub user_agent: String,
}

impl Default for CheckerOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            subdir_timeout: Duration::from_secs(300),
            // conda-forge's linux-64 `repodata.json` is a few hundred MB.
            max_body: 1024 * 1024 * 1024,
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
    /// The release's clock: `checked_at`, `first_seen` and what is noticed from them
    /// (a disappearance, the `broken` label) are release times, simulated in the demo.
    clock: crate::timeline::Clock,
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
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|err| ChannelError::Client(error_chain(&err)))?;
        let client = reqwest_middleware::ClientBuilder::new(client)
            .with_arc(Arc::new(PollMiddleware {
                net: net.clone(),
                max_body: options.max_body,
            }) as Arc<dyn Middleware>)
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
            clock: crate::timeline::Clock::System,
        })
    }

    /// The same checker, reading times from the release's clock.
    pub(crate) fn with_clock(mut self, clock: crate::timeline::Clock) -> Self {
        *self
            .net
            .clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(clock.clone());
        self.clock = clock;
        self
    }

    /// The channel host's clock: the `Date` of its latest reply and the release time it
    /// arrived (`None` before any reply, or for a `file://` channel).
    pub(crate) fn source_date(&self, channel_url: &Url) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.net
            .dates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&net::host_key(channel_url))
            .copied()
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
        let checked_at = self.clock.now();
        let channel = Channel::from_url(query.channel_url.clone());
        let checks = query
            .subdirs
            .iter()
            .map(|&subdir| self.check_subdir(&channel, subdir, query));
        let results = futures::future::join_all(checks).await;
        let now = self.clock.now();
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
