//! Channel names, part of the plan's vocabulary: how a name (or a `--channel NAME=URL`
//! override) becomes a URL, and the errors for names no channel uses. The channel probe
//! reads from these URLs; exports link to them.

use std::collections::BTreeMap;

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

/// Parses a channel URL, accepting only the schemes the probe can read, and never a
/// user-info part.
pub(crate) fn parse_channel_url(raw: &str) -> Result<Url, ChannelError> {
    let invalid = |reason: String| ChannelError::InvalidUrl {
        url: raw.to_owned(),
        reason,
    };
    let trimmed = raw.trim();
    let url = Url::parse(trimmed).map_err(|err| invalid(err.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        // `http://127.0.0.1:1@127.0.0.2/` reads as loopback to a careless eye and goes to
        // 127.0.0.2; and credentials in a URL end up in errors, links and exports.
        return Err(invalid(
            "it has a user-info part (`user:password@`), which flightdeck refuses: it hides the real host and leaks into messages"
                .to_owned(),
        ));
    }
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
/// (see `probe::channel::red_events`).
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
