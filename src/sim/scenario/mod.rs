//! Scenarios: the simulated world's initial state and its timed happenings.
//!
//! A scenario is a TOML file (format in `scenarios/README.md`), read like every
//! other user-written file through [`crate::diag::TableReader`], so that *every*
//! problem in a file is reported at once, each as `file:line:col: message` with
//! a hint, and no input can panic the reader.

mod happening;
mod read;

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::crew::Role;
use crate::diag::Diagnostic;
use crate::timeline::CiState;

/// The checklist and version a scenario pairs with (used by `flightdeck demo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReleasePairing {
    /// Checklist name, e.g. `conda`.
    pub(crate) checklist: String,
    /// Version being released, e.g. `26.11.0`.
    pub(crate) version: String,
}

/// A token the simulated GitHub accepts, and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenSpec {
    /// The secret sent in `Authorization`.
    pub(crate) token: String,
    /// The GitHub login it authenticates as.
    pub(crate) login: String,
    /// The crew role of that login.
    pub(crate) role: Role,
}

/// Rate-limit quotas of the simulated GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GithubLimits {
    /// Core requests per sim hour for each authorized login (GitHub: 5000).
    pub(crate) authenticated: u32,
    /// Core requests per sim hour for unauthenticated clients (GitHub: 60).
    pub(crate) unauthenticated: u32,
    /// Search requests per sim minute for each authorized login (GitHub: 30).
    pub(crate) search: u32,
    /// Content-creating writes (new issues, new comments) per sim minute per login
    /// before the secondary rate limit answers 403 (GitHub documents about 80).
    pub(crate) writes_per_minute: u32,
    /// The same per sim hour (GitHub documents about 500).
    pub(crate) writes_per_hour: u32,
}

impl Default for GithubLimits {
    fn default() -> Self {
        Self {
            authenticated: 5000,
            unauthenticated: 60,
            search: 30,
            writes_per_minute: 80,
            writes_per_hour: 500,
        }
    }
}

/// A repository that exists in the simulated GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoSpec {
    /// `owner/name`.
    pub(crate) full_name: String,
    /// Default branch, `main` unless told.
    pub(crate) default_branch: String,
    /// Logins that see draft releases and may edit others' comments.
    /// When empty, the logins of the pilot and co-pilot tokens.
    pub(crate) maintainers: Vec<String>,
}

/// A conda channel served under `/channels/{name}/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChannelSpec {
    /// Channel name, e.g. `conda-forge`.
    pub(crate) name: String,
    /// Whether `repodata_shards.msgpack.zst` is served (CEP-16).
    pub(crate) sharded: bool,
    /// Subdirs that exist; `noarch` is always added.
    pub(crate) subdirs: Vec<String>,
    /// `Cache-Control: max-age` in real seconds.
    pub(crate) max_age: u32,
    /// Deterministic filler records: `(seed, count)`.
    pub(crate) synthetic: Option<(u64, usize)>,
}

/// A PyPI project known before any upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PypiSpec {
    /// Project name as displayed.
    pub(crate) name: String,
    /// One-line summary.
    pub(crate) summary: String,
}

/// A conda package record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageSpec {
    /// Package name.
    pub(crate) name: String,
    /// Version string.
    pub(crate) version: String,
    /// Build string, e.g. `py_0`.
    pub(crate) build: String,
    /// Build number.
    pub(crate) build_number: u64,
    /// Subdirs it appears in.
    pub(crate) subdirs: Vec<String>,
    /// Dependency match specs.
    pub(crate) depends: Vec<String>,
    /// `.conda` (true) or `.tar.bz2` (false).
    pub(crate) conda_format: bool,
}

/// Something that happens in the world at a given sim time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Happening {
    /// Sim time at which it takes effect.
    pub(crate) at: DateTime<Utc>,
    /// What happens.
    pub(crate) what: What,
}

/// The kinds of happenings. Each field is documented in `scenarios/README.md`.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub(crate) enum What {
    /// A tag is pushed (lightweight or annotated).
    Tag {
        repo: String,
        tag: String,
        annotated: bool,
        message: String,
        author: String,
    },
    /// A draft release is saved.
    ReleaseDraft {
        repo: String,
        tag: String,
        name: String,
        body: String,
        author: String,
        target: Option<String>,
        prerelease: bool,
    },
    /// A release is published (the draft if one exists, otherwise a new release).
    ReleasePublish {
        repo: String,
        tag: String,
        name: Option<String>,
        body: Option<String>,
        author: String,
    },
    /// A pull request is opened.
    PrOpen {
        repo: String,
        number: u64,
        title: String,
        author: String,
        head: String,
        head_owner: String,
        base: String,
        body: String,
        draft: bool,
    },
    /// A new commit is pushed to a pull request's head (new head sha, CI cleared).
    PrPush { repo: String, number: u64 },
    /// CI reports on a pull request's current head.
    Ci {
        repo: String,
        number: u64,
        state: CiState,
        checks: Vec<String>,
    },
    /// A pull request is merged.
    PrMerge {
        repo: String,
        number: u64,
        by: String,
    },
    /// A pull request is closed without merging.
    PrClose {
        repo: String,
        number: u64,
        by: String,
    },
    /// An issue is opened.
    Issue {
        repo: String,
        number: Option<u64>,
        title: String,
        body: String,
        author: String,
        labels: Vec<String>,
    },
    /// A comment is posted on an issue or pull request.
    Comment {
        repo: String,
        number: u64,
        author: String,
        body: String,
    },
    /// The author edits their latest comment on an issue or pull request.
    CommentEdit {
        repo: String,
        number: u64,
        author: String,
        body: String,
    },
    /// The author deletes their latest comment on an issue or pull request.
    CommentDelete {
        repo: String,
        number: u64,
        author: String,
    },
    /// Package records appear on a channel.
    Package {
        channel: String,
        package: PackageSpec,
    },
    /// Package records are removed from a channel.
    PackageRemove {
        channel: String,
        name: String,
        version: String,
        build: Option<String>,
    },
    /// Package records move to `{channel}/label/broken`.
    PackageBroken {
        channel: String,
        name: String,
        version: String,
        build: Option<String>,
    },
    /// Files of a version are uploaded to PyPI.
    PypiUpload {
        project: String,
        version: String,
        requires_python: Option<String>,
    },
    /// A PyPI release is yanked.
    PypiYank {
        project: String,
        version: String,
        reason: String,
    },
}

/// What a fault does to the requests it catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// Answer with a 5xx and GitHub's JSON error body.
    ServerError {
        /// The status code (500–599).
        status: u16,
    },
    /// Delay the reply by this much real time, then answer normally.
    Slow {
        /// Real-time delay.
        delay: std::time::Duration,
    },
    /// Close the connection without sending any response.
    Drop,
    /// GitHub's secondary rate limit: 403, optionally with `retry-after`.
    SecondaryRateLimit {
        /// `retry-after` seconds, if sent.
        retry_after: Option<u64>,
    },
    /// Primary quota exhausted: 403 or 429 with `x-ratelimit-remaining: 0`.
    QuotaExhausted {
        /// 403 or 429.
        status: u16,
    },
    /// An HTML error page (as a proxy or CDN would send).
    HtmlError {
        /// The status code.
        status: u16,
    },
    /// The normal body, cut in half.
    Truncated,
    /// A 200 with a body that is not JSON.
    Malformed,
    /// Writes only: 429 with `retry-after` (GitHub's answer to a burst of writes).
    TooManyRequests {
        /// `retry-after` seconds.
        retry_after: u64,
    },
    /// Writes only: the write is applied, but no reply ever comes (the client times out).
    LostReply,
}

impl FaultKind {
    /// Whether the fault catches only writes (POST, PATCH, PUT, DELETE).
    pub(crate) fn writes_only(self) -> bool {
        matches!(
            self,
            FaultKind::TooManyRequests { .. } | FaultKind::LostReply
        )
    }
}

/// A fault active in a window of sim time, optionally only under a path prefix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FaultSpec {
    /// Window start (inclusive).
    pub(crate) from: DateTime<Utc>,
    /// Window end (exclusive).
    pub(crate) until: DateTime<Utc>,
    /// Only requests whose path starts with this are affected.
    pub(crate) path: Option<String>,
    /// What the fault does.
    pub(crate) kind: FaultKind,
}

impl FaultSpec {
    /// Whether a request to `path` at sim time `now` is caught by this fault
    /// (`write`: the request is a POST, PATCH, PUT or DELETE).
    pub(crate) fn applies(&self, now: DateTime<Utc>, path: &str, write: bool) -> bool {
        now >= self.from
            && now < self.until
            && self.path.as_deref().is_none_or(|p| path.starts_with(p))
            && (write || !self.kind.writes_only())
    }
}

/// A parsed, validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name (the file stem unless `[scenario] name` says otherwise).
    pub(crate) name: String,
    /// What the scenario shows.
    pub(crate) description: String,
    /// The checklist and version it pairs with.
    pub(crate) release: Option<ReleasePairing>,
    /// Sim time at which the clock starts.
    pub(crate) start: DateTime<Utc>,
    /// Default speed: sim seconds per real second.
    pub(crate) speed: f64,
    /// GitHub quotas.
    pub(crate) limits: GithubLimits,
    /// Accepted tokens.
    pub(crate) tokens: Vec<TokenSpec>,
    /// Repositories.
    pub(crate) repos: Vec<RepoSpec>,
    /// Channels.
    pub(crate) channels: Vec<ChannelSpec>,
    /// PyPI projects known up front.
    pub(crate) pypi: Vec<PypiSpec>,
    /// Happenings, sorted by time (stable: file order breaks ties).
    pub(crate) happenings: Vec<Happening>,
    /// Faults.
    pub(crate) faults: Vec<FaultSpec>,
}

/// The login of conda-forge's version bot.
pub(crate) const AUTOTICK_BOT: &str = "regro-cf-autotick-bot";

impl Scenario {
    /// Read and parse a scenario file.
    pub(crate) fn load(path: &Path) -> Result<Scenario, Vec<Diagnostic>> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_str(&file, &text),
            Err(err) => Err(vec![Diagnostic {
                file,
                line: 1,
                col: 1,
                message: format!("cannot read the scenario: {err}"),
                hint: Some("check the path, or use a builtin scenario name".into()),
            }]),
        }
    }

    /// Parse scenario text; `file` names it in diagnostics.
    #[allow(clippy::should_implement_trait)] // two arguments: not `FromStr`
    pub fn from_str(file: &str, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
        read::scenario(file, text)
    }
}

/// Names of the scenarios shipped inside the binary.
pub(crate) const BUILTIN_NAMES: &[&str] = &["conda-release", "conda-store-release", "flaky-github"];

/// The text of a shipped scenario, by name (`conda-release`, `conda-store-release`, `flaky-github`).
pub fn builtin(name: &str) -> Option<&'static str> {
    match name {
        "conda-release" => Some(include_str!("../../../scenarios/conda-release.toml")),
        "conda-store-release" => Some(include_str!("../../../scenarios/conda-store-release.toml")),
        "flaky-github" => Some(include_str!("../../../scenarios/flaky-github.toml")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_take_the_checklist_syntax_and_a_sign() {
        use chrono::TimeDelta;
        assert_eq!(read::signed_duration("1h30m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(read::signed_duration("-2d"), Ok(TimeDelta::days(-2)));
        for bad in ["1x", "h", "", "-", "99999999999999999999d", "4000d"] {
            assert!(read::signed_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn every_subdir_conda_knows_is_accepted() {
        let text = r#"[clock]
start = "2026-11-10T13:00:00Z"
[[channels]]
name = "c"
subdirs = ["linux-64", "osx-arm64", "win-64", "emscripten-wasm32", "noarch"]
[[channels]]
name = "d"
subdirs = ["linux-65"]
"#;
        let diags = Scenario::from_str("s.toml", text).expect_err("linux-65 is no subdir");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0]
                .to_string()
                .starts_with("s.toml:8:11: unknown subdir `linux-65`"),
            "{}",
            diags[0]
        );
        assert!(
            diags[0].to_string().contains("did you mean `linux-64`?"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn a_happening_names_the_keys_valid_for_its_kind() {
        let text = r#"[clock]
start = "2026-11-10T13:00:00Z"
[[repos]]
name = "conda/conda"
[[happening]]
after = "1h"
kind = "tag"
repo = "conda/conda"
tag = "1.0"
anotated = true
[[fault]]
kind = "server_error"
after = "1h"
duration = "5m"
status = -1
"#;
        let diags = Scenario::from_str("s.toml", text).expect_err("two problems");
        let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(all.len(), 2, "{all:#?}");
        assert!(
            all[0].starts_with("s.toml:10:1: unknown key `anotated` in a [[happening]]")
                && all[0].contains("did you mean `annotated`?"),
            "{}",
            all[0]
        );
        assert!(
            all[1].starts_with("s.toml:15:10: `status` in a [[fault]] must not be negative"),
            "{}",
            all[1]
        );
    }

    #[test]
    fn write_faults_and_comment_changes_parse_and_name_their_mistakes() {
        let good = r#"[clock]
start = "2026-11-10T13:00:00Z"
[github]
writes_per_minute = 3
[[repos]]
name = "conda/conda"
[[happening]]
after = "1m"
kind = "comment_edit"
repo = "conda/conda"
number = 1
author = "eve"
body = "edited"
[[happening]]
after = "2m"
kind = "comment_delete"
repo = "conda/conda"
number = 1
author = "eve"
[[fault]]
kind = "too_many_requests"
after = "0m"
duration = "5m"
[[fault]]
kind = "lost_reply"
after = "5m"
duration = "5m"
"#;
        let s = Scenario::from_str("s.toml", good).expect("parses");
        assert_eq!(s.limits.writes_per_minute, 3);
        assert_eq!(s.limits.writes_per_hour, 500, "GitHub's default");
        assert_eq!(
            s.faults[0].kind,
            FaultKind::TooManyRequests { retry_after: 60 }
        );
        assert!(s.faults.iter().all(|f| f.kind.writes_only()));
        assert!(!s.faults[1].applies(s.start + chrono::TimeDelta::minutes(6), "/repos/", false));
        assert!(s.faults[1].applies(s.start + chrono::TimeDelta::minutes(6), "/repos/", true));

        let bad = r#"[clock]
start = "2026-11-10T13:00:00Z"
[[repos]]
name = "conda/conda"
[[happening]]
after = "1m"
kind = "comment_edit"
repo = "conda/conda"
number = 1
body = "edited"
[[fault]]
kind = "lost_reply"
after = "0m"
duration = "5m"
retry_after = 3
"#;
        let diags = Scenario::from_str("s.toml", bad).expect_err("two mistakes");
        let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(all.len(), 2, "{all:#?}");
        assert!(
            all[0].starts_with("s.toml:5:1: ") && all[0].contains("`author`"),
            "{}",
            all[0]
        );
        assert!(
            all[1].starts_with("s.toml:15:1: unknown key `retry_after`"),
            "{}",
            all[1]
        );
    }

    #[test]
    fn builtin_scenarios_parse() {
        for name in BUILTIN_NAMES {
            let text = builtin(name).expect("listed builtin exists");
            if let Err(diags) = Scenario::from_str(name, text) {
                let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
                panic!("builtin {name} does not parse:\n{}", all.join("\n"));
            }
        }
    }
}
