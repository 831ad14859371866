//! Scenarios: the simulated world's initial state and its timed happenings.
//!
//! A scenario is a TOML file (format in `scenarios/README.md`). Parsing walks a
//! span-preserving `toml_edit` document by hand instead of going through serde,
//! so that *every* problem in a file is reported at once, each as
//! `file:line:col: message` with a hint, and no input can panic the parser.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use toml_edit::{Item, TableLike, Value};

/// Scenario problems are reported like every other file's: `file:line:col: message` and a hint.
pub use crate::diag::Diagnostic;

/// The checklist and version a scenario pairs with (used by `flightdeck demo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePairing {
    /// Checklist name, e.g. `conda`.
    pub checklist: String,
    /// Version being released, e.g. `26.11.0`.
    pub version: String,
}

/// A crew member's role, as far as the simulated GitHub cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs the release; a maintainer of every repository.
    Pilot,
    /// Signs off steps; a maintainer of every repository.
    Copilot,
    /// Watches; not a maintainer.
    Observer,
}

/// A token the simulated GitHub accepts, and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// The secret sent in `Authorization`.
    pub token: String,
    /// The GitHub login it authenticates as.
    pub login: String,
    /// The crew role of that login.
    pub role: Role,
}

/// Rate-limit quotas of the simulated GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GithubLimits {
    /// Core requests per sim hour for each authorized login (GitHub: 5000).
    pub authenticated: u32,
    /// Core requests per sim hour for unauthenticated clients (GitHub: 60).
    pub unauthenticated: u32,
    /// Search requests per sim minute for each authorized login (GitHub: 30).
    pub search: u32,
}

impl Default for GithubLimits {
    fn default() -> Self {
        Self {
            authenticated: 5000,
            unauthenticated: 60,
            search: 30,
        }
    }
}

/// A repository that exists in the simulated GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// `owner/name`.
    pub full_name: String,
    /// Default branch, `main` unless told.
    pub default_branch: String,
    /// Logins that see draft releases and may edit others' comments.
    /// When empty, the logins of the pilot and co-pilot tokens.
    pub maintainers: Vec<String>,
}

/// A conda channel served under `/channels/{name}/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Channel name, e.g. `conda-forge`.
    pub name: String,
    /// Whether `repodata_shards.msgpack.zst` is served (CEP-16).
    pub sharded: bool,
    /// Subdirs that exist; `noarch` is always added.
    pub subdirs: Vec<String>,
    /// `Cache-Control: max-age` in real seconds.
    pub max_age: u32,
    /// Deterministic filler records: `(seed, count)`.
    pub synthetic: Option<(u64, usize)>,
}

/// A PyPI project known before any upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PypiSpec {
    /// Project name as displayed.
    pub name: String,
    /// One-line summary.
    pub summary: String,
}

/// A conda package record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    /// Package name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Build string, e.g. `py_0`.
    pub build: String,
    /// Build number.
    pub build_number: u64,
    /// Subdirs it appears in.
    pub subdirs: Vec<String>,
    /// Dependency match specs.
    pub depends: Vec<String>,
    /// `.conda` (true) or `.tar.bz2` (false).
    pub conda_format: bool,
}

/// CI outcome to set on a pull request's head commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiState {
    /// Checks queued / running.
    Pending,
    /// All checks passed.
    Success,
    /// At least one check failed.
    Failure,
}

/// Something that happens in the world at a given sim time.
#[derive(Debug, Clone, PartialEq)]
pub struct Happening {
    /// Sim time at which it takes effect.
    pub at: DateTime<Utc>,
    /// What happens.
    pub what: What,
}

/// The kinds of happenings. Each field is documented in `scenarios/README.md`.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum What {
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
pub enum FaultKind {
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
}

/// A fault active in a window of sim time, optionally only under a path prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Window start (inclusive).
    pub from: DateTime<Utc>,
    /// Window end (exclusive).
    pub until: DateTime<Utc>,
    /// Only requests whose path starts with this are affected.
    pub path: Option<String>,
    /// What the fault does.
    pub kind: FaultKind,
}

impl FaultSpec {
    /// Whether a request to `path` at sim time `now` is caught by this fault.
    pub fn applies(&self, now: DateTime<Utc>, path: &str) -> bool {
        now >= self.from
            && now < self.until
            && self.path.as_deref().is_none_or(|p| path.starts_with(p))
    }
}

/// A parsed, validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name (the file stem unless `[scenario] name` says otherwise).
    pub name: String,
    /// What the scenario shows.
    pub description: String,
    /// The checklist and version it pairs with.
    pub release: Option<ReleasePairing>,
    /// Sim time at which the clock starts.
    pub start: DateTime<Utc>,
    /// Default speed: sim seconds per real second.
    pub speed: f64,
    /// GitHub quotas.
    pub limits: GithubLimits,
    /// Accepted tokens.
    pub tokens: Vec<TokenSpec>,
    /// Repositories.
    pub repos: Vec<RepoSpec>,
    /// Channels.
    pub channels: Vec<ChannelSpec>,
    /// PyPI projects known up front.
    pub pypi: Vec<PypiSpec>,
    /// Happenings, sorted by time (stable: file order breaks ties).
    pub happenings: Vec<Happening>,
    /// Faults.
    pub faults: Vec<FaultSpec>,
}

/// The login of conda-forge's version bot.
pub const AUTOTICK_BOT: &str = "regro-cf-autotick-bot";

impl Scenario {
    /// Read and parse a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, Vec<Diagnostic>> {
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
        let mut p = Parser {
            file: file.to_string(),
            src: text,
            diags: Vec::new(),
        };
        let doc = match toml_edit::Document::parse(text) {
            Ok(doc) => doc,
            Err(err) => {
                let span = err.span().unwrap_or(0..0);
                p.error(
                    Some(span),
                    err.message().trim().to_string(),
                    Some("this is not valid TOML".into()),
                );
                return Err(p.diags);
            }
        };
        let scenario = p.scenario(doc.as_table());
        if p.diags.is_empty() {
            scenario.ok_or(p.diags)
        } else {
            Err(p.diags)
        }
    }
}

/// Names of the scenarios shipped inside the binary.
pub const BUILTIN_NAMES: &[&str] = &["conda-release", "conda-store-release", "flaky-github"];

/// The text of a shipped scenario, by name (`conda-release`, `conda-store-release`, `flaky-github`).
pub fn builtin(name: &str) -> Option<&'static str> {
    match name {
        "conda-release" => Some(include_str!("../../scenarios/conda-release.toml")),
        "conda-store-release" => Some(include_str!("../../scenarios/conda-store-release.toml")),
        "flaky-github" => Some(include_str!("../../scenarios/flaky-github.toml")),
        _ => None,
    }
}

/// Parse a duration like `1h30m`, `45s`, `2d`, `500ms` or `-30d` (negative: before the start).
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    let t = text.trim();
    let (neg, mut rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    if rest == "0" {
        return Some(TimeDelta::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_ms: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let ms_per = match unit {
            "d" => 86_400_000,
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1000,
            "ms" => 1,
            _ => return None,
        };
        total_ms = total_ms.checked_add(n.checked_mul(ms_per)?)?;
    }
    // Ten years either way is plenty and keeps all later date arithmetic in range.
    if total_ms > 10 * 366 * 86_400_000 {
        return None;
    }
    let d = TimeDelta::milliseconds(total_ms);
    Some(if neg { -d } else { d })
}

// ---------------------------------------------------------------------------
// The hand-written reader.

struct Parser<'s> {
    file: String,
    src: &'s str,
    diags: Vec<Diagnostic>,
}

/// A table (standard or inline) with the span to blame when a key is missing.
#[derive(Clone, Copy)]
struct Tbl<'a> {
    t: &'a dyn TableLike,
    /// Where the table starts (to blame for a missing key).
    span: Option<usize>,
    what: &'a str,
}

fn item_span(item: &Item) -> Option<Range<usize>> {
    match item {
        Item::Value(v) => v.span(),
        Item::Table(t) => t.span(),
        Item::ArrayOfTables(a) => a.span(),
        Item::None => None,
    }
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) | Item::Value(Value::InlineTable(_)) => "a table",
        Item::ArrayOfTables(_) | Item::Value(Value::Array(_)) => "an array",
        Item::Value(Value::String(_)) => "a string",
        Item::Value(Value::Integer(_)) => "an integer",
        Item::Value(Value::Float(_)) => "a float",
        Item::Value(Value::Boolean(_)) => "a boolean",
        Item::Value(Value::Datetime(_)) => "a date-time",
    }
}

fn suggest(word: &str, options: &[&str]) -> String {
    let close = crate::diag::closest(word, options);
    // `tag_pushed` → `tag`: a valid word that the typo starts with is a good guess too.
    let prefix = || {
        options
            .iter()
            .filter(|o| word.starts_with(**o) || o.starts_with(word))
            .max_by_key(|o| o.len())
            .copied()
    };
    match close.or_else(prefix) {
        Some(o) => format!("did you mean `{o}`? valid here: {}", options.join(", ")),
        None => format!("valid here: {}", options.join(", ")),
    }
}

const HAPPENING_KINDS: &[&str] = &[
    "tag",
    "release_draft",
    "release_publish",
    "pr_open",
    "bot_pr",
    "pr_push",
    "ci",
    "pr_merge",
    "pr_close",
    "issue",
    "comment",
    "package",
    "package_remove",
    "package_broken",
    "pypi_upload",
    "pypi_yank",
];

const FAULT_KINDS: &[&str] = &[
    "server_error",
    "slow",
    "drop",
    "secondary_rate_limit",
    "quota_exhausted",
    "html_error",
    "truncated",
    "malformed",
];

const KNOWN_SUBDIRS: &[&str] = &[
    "noarch",
    "linux-64",
    "linux-aarch64",
    "linux-ppc64le",
    "linux-s390x",
    "linux-32",
    "osx-64",
    "osx-arm64",
    "win-64",
    "win-arm64",
    "win-32",
    "emscripten-wasm32",
    "wasi-wasm32",
];

impl<'s> Parser<'s> {
    fn pos(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let before = self.src.get(..offset).unwrap_or(self.src);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, col)
    }

    fn error(&mut self, span: Option<Range<usize>>, message: String, hint: Option<String>) {
        let (line, col) = self.pos(span.map_or(0, |s| s.start));
        self.diags.push(Diagnostic {
            file: self.file.clone(),
            line,
            col,
            message,
            hint,
        });
    }

    fn key_span(&self, t: Tbl<'_>, key: &str) -> Option<Range<usize>> {
        t.t.get_key_value(key)
            .and_then(|(k, v)| k.span().or_else(|| item_span(v)))
            .or_else(|| t.span.map(|s| s..s))
    }

    /// Report keys that are not in `allowed`.
    fn check_keys(&mut self, t: Tbl<'_>, allowed: &[&str]) {
        let unknown: Vec<String> =
            t.t.iter()
                .map(|(k, _)| k.to_string())
                .filter(|k| !allowed.contains(&k.as_str()))
                .collect();
        for k in unknown {
            let span = self.key_span(t, &k);
            let hint = suggest(&k, allowed);
            self.error(span, format!("unknown key `{k}` in {}", t.what), Some(hint));
        }
    }

    fn get<'a>(&self, t: Tbl<'a>, key: &str) -> Option<&'a Item> {
        t.t.get(key).filter(|i| !i.is_none())
    }

    fn missing(&mut self, t: Tbl<'_>, key: &str, hint: &str) {
        let span = t.span.map(|s| s..s);
        self.error(
            span,
            format!("missing `{key}` in {}", t.what),
            Some(hint.to_string()),
        );
    }

    fn wrong_type(&mut self, item: &Item, key: &str, expected: &str) {
        let got = type_name(item);
        self.error(
            item_span(item),
            format!("`{key}` must be {expected}, not {got}"),
            None,
        );
    }

    fn opt_str(&mut self, t: Tbl<'_>, key: &str) -> Option<String> {
        let item = self.get(t, key)?;
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(item, key, "a string");
                None
            }
        }
    }

    fn req_str(&mut self, t: Tbl<'_>, key: &str, hint: &str) -> Option<String> {
        if self.get(t, key).is_none() {
            self.missing(t, key, hint);
            return None;
        }
        self.opt_str(t, key)
    }

    fn opt_bool(&mut self, t: Tbl<'_>, key: &str) -> Option<bool> {
        let item = self.get(t, key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(item, key, "true or false");
                None
            }
        }
    }

    fn opt_uint(&mut self, t: Tbl<'_>, key: &str) -> Option<u64> {
        let item = self.get(t, key)?;
        match item.as_integer() {
            Some(i) if i >= 0 => Some(i as u64),
            _ => {
                self.wrong_type(item, key, "a non-negative integer");
                None
            }
        }
    }

    fn opt_float(&mut self, t: Tbl<'_>, key: &str) -> Option<f64> {
        let item = self.get(t, key)?;
        let v = item
            .as_float()
            .or_else(|| item.as_integer().map(|i| i as f64));
        match v {
            Some(f) if f.is_finite() && f > 0.0 => Some(f),
            _ => {
                self.wrong_type(item, key, "a positive number");
                None
            }
        }
    }

    fn opt_str_list(&mut self, t: Tbl<'_>, key: &str) -> Option<Vec<String>> {
        let item = self.get(t, key)?;
        let Some(arr) = item.as_array() else {
            self.wrong_type(item, key, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for v in arr.iter() {
            match v.as_str() {
                Some(s) => out.push(s.to_string()),
                None => {
                    self.error(
                        v.span(),
                        format!("`{key}` must hold only strings"),
                        Some(format!("e.g. {key} = [\"a\", \"b\"]")),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn opt_duration(&mut self, t: Tbl<'_>, key: &str) -> Option<TimeDelta> {
        let item = self.get(t, key)?;
        let Some(s) = item.as_str() else {
            self.wrong_type(item, key, "a duration string like \"1h30m\"");
            return None;
        };
        match parse_duration(s) {
            Some(d) => Some(d),
            None => {
                self.error(
                    item_span(item),
                    format!("bad duration `{s}`"),
                    Some("write numbers with units d, h, m, s or ms, e.g. \"1h30m\", \"45s\", \"-2d\"".into()),
                );
                None
            }
        }
    }

    fn opt_time(&mut self, t: Tbl<'_>, key: &str) -> Option<DateTime<Utc>> {
        let item = self.get(t, key)?;
        // Accept both a quoted RFC 3339 string and a bare TOML date-time.
        let text = match item {
            Item::Value(Value::String(s)) => s.value().clone(),
            Item::Value(Value::Datetime(d)) => d.value().to_string(),
            _ => {
                self.wrong_type(item, key, "an RFC 3339 time like \"2026-11-10T13:00:00Z\"");
                return None;
            }
        };
        match DateTime::parse_from_rfc3339(&text) {
            Ok(d) => Some(d.with_timezone(&Utc)),
            Err(e) => {
                self.error(
                    item_span(item),
                    format!("bad time `{text}`: {e}"),
                    Some("use RFC 3339 with a zone, e.g. \"2026-11-10T13:00:00Z\"".into()),
                );
                None
            }
        }
    }

    /// `after = "<offset>"` or `at = "<time>"`; defaults to `default` when neither is given.
    fn when(
        &mut self,
        t: Tbl<'_>,
        start: DateTime<Utc>,
        default: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let after = self.opt_duration(t, "after");
        let at = self.opt_time(t, "at");
        let has_after = self.get(t, "after").is_some();
        let has_at = self.get(t, "at").is_some();
        if has_after && has_at {
            let span = self.key_span(t, "at");
            self.error(
                span,
                format!("both `after` and `at` in {}", t.what),
                Some(
                    "give one: `after` is an offset from [clock] start, `at` an absolute time"
                        .into(),
                ),
            );
            return None;
        }
        if let Some(d) = after {
            return start.checked_add_signed(d);
        }
        if at.is_some() {
            return at;
        }
        if !has_after && !has_at {
            if default.is_none() {
                self.missing(
                    t,
                    "after",
                    "say when: after = \"1h30m\" (offset from [clock] start) or at = \"2026-11-10T14:30:00Z\"",
                );
            }
            return default;
        }
        None
    }

    fn table<'a>(&mut self, root: Tbl<'a>, key: &str, what: &'a str) -> Option<Tbl<'a>> {
        let item = self.get(root, key)?;
        match item.as_table_like() {
            Some(t) => Some(Tbl {
                t,
                span: item_span(item).map(|s| s.start),
                what,
            }),
            None => {
                self.wrong_type(item, key, "a table");
                None
            }
        }
    }

    /// Both `[[key]]` and `key = [{...}, ...]`.
    fn tables<'a>(&mut self, root: Tbl<'a>, key: &str, what: &'a str) -> Vec<Tbl<'a>> {
        let Some(item) = self.get(root, key) else {
            return Vec::new();
        };
        match item {
            Item::ArrayOfTables(a) => a
                .iter()
                .map(|t| Tbl {
                    t,
                    span: t.span().map(|s| s.start),
                    what,
                })
                .collect(),
            Item::Value(Value::Array(arr)) => {
                let mut out = Vec::new();
                for v in arr.iter() {
                    match v.as_inline_table() {
                        Some(t) => out.push(Tbl {
                            t,
                            span: v.span().map(|s| s.start),
                            what,
                        }),
                        None => self.error(
                            v.span(),
                            format!("each entry of `{key}` must be a table"),
                            Some(format!("write [[{key}]] sections or {key} = [{{ ... }}]")),
                        ),
                    }
                }
                out
            }
            other => {
                self.wrong_type(other, key, "an array of tables");
                Vec::new()
            }
        }
    }

    // -----------------------------------------------------------------------

    fn scenario(&mut self, root_table: &toml_edit::Table) -> Option<Scenario> {
        let root = Tbl {
            t: root_table,
            span: Some(0),
            what: "the scenario",
        };
        self.check_keys(
            root,
            &[
                "scenario",
                "release",
                "clock",
                "github",
                "tokens",
                "repos",
                "channels",
                "pypi",
                "happening",
                "fault",
            ],
        );

        let mut name = Path::new(&self.file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.file.clone());
        let mut description = String::new();
        if let Some(t) = self.table(root, "scenario", "[scenario]") {
            self.check_keys(t, &["name", "description"]);
            if let Some(n) = self.opt_str(t, "name") {
                name = n;
            }
            description = self.opt_str(t, "description").unwrap_or_default();
        }

        let release = self.table(root, "release", "[release]").and_then(|t| {
            self.check_keys(t, &["checklist", "version"]);
            let checklist = self.req_str(
                t,
                "checklist",
                "the checklist name, e.g. checklist = \"conda\"",
            );
            let version = self.req_str(
                t,
                "version",
                "the version it releases, e.g. version = \"26.11.0\"",
            );
            Some(ReleasePairing {
                checklist: checklist?,
                version: version?,
            })
        });

        let mut start = None;
        let mut speed = 1.0;
        match self.table(root, "clock", "[clock]") {
            Some(t) => {
                self.check_keys(t, &["start", "speed"]);
                if self.get(t, "start").is_none() {
                    self.missing(t, "start", "start = \"2026-11-10T13:00:00Z\"");
                }
                start = self.opt_time(t, "start");
                if let Some(s) = self.opt_float(t, "speed") {
                    speed = s;
                }
            }
            None => {
                if self.get(root, "clock").is_none() {
                    self.error(
                        Some(0..0),
                        "missing [clock] table".into(),
                        Some(
                            "add [clock] with start = \"2026-11-10T13:00:00Z\" and speed = 200"
                                .into(),
                        ),
                    );
                }
            }
        }
        // Keep checking the rest against a placeholder start so all errors surface.
        let start_or = start.unwrap_or_default();

        let mut limits = GithubLimits::default();
        if let Some(t) = self.table(root, "github", "[github]") {
            self.check_keys(
                t,
                &[
                    "rate_limit",
                    "unauthenticated_rate_limit",
                    "search_rate_limit",
                ],
            );
            let clamp = |v: u64| v.min(u64::from(u32::MAX)) as u32;
            if let Some(v) = self.opt_uint(t, "rate_limit") {
                limits.authenticated = clamp(v);
            }
            if let Some(v) = self.opt_uint(t, "unauthenticated_rate_limit") {
                limits.unauthenticated = clamp(v);
            }
            if let Some(v) = self.opt_uint(t, "search_rate_limit") {
                limits.search = clamp(v);
            }
        }

        let mut tokens = Vec::new();
        for t in self.tables(root, "tokens", "a [[tokens]] entry") {
            self.check_keys(t, &["token", "login", "role"]);
            let token = self.req_str(t, "token", "the secret, e.g. token = \"sim-pilot-token\"");
            let login = self.req_str(t, "login", "the GitHub login, e.g. login = \"jane\"");
            let role = match self.opt_str(t, "role").as_deref() {
                None | Some("observer") | Some("jump-seat") | Some("jump_seat") => {
                    Some(Role::Observer)
                }
                Some("pilot") => Some(Role::Pilot),
                Some("copilot") | Some("co-pilot") => Some(Role::Copilot),
                Some(other) => {
                    let span = self.get(t, "role").and_then(item_span);
                    self.error(
                        span,
                        format!("unknown role `{other}`"),
                        Some("valid: pilot, copilot, observer".into()),
                    );
                    None
                }
            };
            if let (Some(token), Some(login), Some(role)) = (token, login, role) {
                tokens.push(TokenSpec { token, login, role });
            }
        }

        let mut repos = Vec::new();
        for t in self.tables(root, "repos", "a [[repos]] entry") {
            self.check_keys(t, &["name", "default_branch", "maintainers"]);
            let Some(full_name) =
                self.req_str(t, "name", "owner/name, e.g. name = \"conda/conda\"")
            else {
                continue;
            };
            if full_name.split('/').count() != 2 || full_name.split('/').any(str::is_empty) {
                let span = self.get(t, "name").and_then(item_span);
                self.error(
                    span,
                    format!("repository name `{full_name}` is not owner/name"),
                    Some("e.g. name = \"conda-forge/conda-feedstock\"".into()),
                );
                continue;
            }
            let default_branch = self
                .opt_str(t, "default_branch")
                .unwrap_or_else(|| "main".into());
            let maintainers = self.opt_str_list(t, "maintainers").unwrap_or_default();
            repos.push(RepoSpec {
                full_name,
                default_branch,
                maintainers,
            });
        }

        let mut channels = Vec::new();
        let mut initial = Vec::new();
        for t in self.tables(root, "channels", "a [[channels]] entry") {
            self.check_keys(
                t,
                &[
                    "name",
                    "sharded",
                    "subdirs",
                    "max_age",
                    "synthetic",
                    "packages",
                ],
            );
            let Some(name) = self.req_str(t, "name", "e.g. name = \"conda-forge\"") else {
                continue;
            };
            let sharded = self.opt_bool(t, "sharded").unwrap_or(false);
            let mut subdirs = self
                .opt_str_list(t, "subdirs")
                .unwrap_or_else(|| vec!["noarch".into()]);
            self.check_subdirs(t, "subdirs", &subdirs);
            if !subdirs.iter().any(|s| s == "noarch") {
                subdirs.insert(0, "noarch".into());
            }
            let max_age = self.opt_uint(t, "max_age").unwrap_or(0).min(86_400) as u32;
            let synthetic = self.table(t, "synthetic", "`synthetic`").map(|s| {
                self.check_keys(s, &["seed", "records"]);
                let seed = self.opt_uint(s, "seed").unwrap_or(0);
                let n = self.opt_uint(s, "records").unwrap_or(0).min(5_000_000) as usize;
                (seed, n)
            });
            for p in self.tables(t, "packages", "a channel's `packages` entry") {
                // Initial records default to a month before the start.
                let default_at = start_or - TimeDelta::days(30);
                let allowed = [
                    "name",
                    "version",
                    "build",
                    "build_number",
                    "subdirs",
                    "depends",
                    "format",
                    "after",
                    "at",
                ];
                self.check_keys(p, &allowed);
                let at = self.when(p, start_or, Some(default_at));
                if let (Some(at), Some(package)) = (at, self.package(p)) {
                    initial.push(Happening {
                        at,
                        what: What::Package {
                            channel: name.clone(),
                            package,
                        },
                    });
                }
            }
            channels.push(ChannelSpec {
                name,
                sharded,
                subdirs,
                max_age,
                synthetic,
            });
        }

        let mut pypi = Vec::new();
        for t in self.tables(root, "pypi", "a [[pypi]] entry") {
            self.check_keys(t, &["name", "summary"]);
            if let Some(name) =
                self.req_str(t, "name", "the project name, e.g. name = \"conda-store\"")
            {
                let summary = self.opt_str(t, "summary").unwrap_or_default();
                pypi.push(PypiSpec { name, summary });
            }
        }

        let mut happenings = initial;
        for t in self.tables(root, "happening", "a [[happening]]") {
            if let Some(h) = self.happening(t, start_or) {
                happenings.push(h);
            }
        }
        // Stable: happenings at the same instant keep file order.
        happenings.sort_by_key(|h| h.at);

        let mut faults = Vec::new();
        for t in self.tables(root, "fault", "a [[fault]]") {
            if let Some(f) = self.fault(t, start_or) {
                faults.push(f);
            }
        }

        let scenario = Scenario {
            name,
            description,
            release,
            start: start?,
            speed,
            limits,
            tokens,
            repos,
            channels,
            pypi,
            happenings,
            faults,
        };
        self.validate_refs(root, &scenario);
        Some(scenario)
    }

    fn check_subdirs(&mut self, t: Tbl<'_>, key: &str, subdirs: &[String]) {
        for s in subdirs {
            if !KNOWN_SUBDIRS.contains(&s.as_str()) {
                let span = self.get(t, key).and_then(item_span);
                self.error(
                    span,
                    format!("unknown subdir `{s}`"),
                    Some(suggest(s, KNOWN_SUBDIRS)),
                );
            }
        }
    }

    fn package(&mut self, t: Tbl<'_>) -> Option<PackageSpec> {
        let name = self.req_str(t, "name", "the package name, e.g. name = \"conda\"");
        let version = self.req_str(t, "version", "e.g. version = \"26.11.0\"");
        let build = self.opt_str(t, "build").unwrap_or_else(|| "0".into());
        let build_number = self.opt_uint(t, "build_number").unwrap_or_else(|| {
            // conda builds end in `_<number>`; use it when not told.
            build
                .rsplit('_')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        });
        let subdirs = self
            .opt_str_list(t, "subdirs")
            .unwrap_or_else(|| vec!["noarch".into()]);
        self.check_subdirs(t, "subdirs", &subdirs);
        let depends = self.opt_str_list(t, "depends").unwrap_or_default();
        let conda_format = match self.opt_str(t, "format").as_deref() {
            None | Some("conda") | Some(".conda") => true,
            Some("tar.bz2") | Some(".tar.bz2") => false,
            Some(other) => {
                let span = self.get(t, "format").and_then(item_span);
                self.error(
                    span,
                    format!("unknown format `{other}`"),
                    Some("valid: conda, tar.bz2".into()),
                );
                true
            }
        };
        Some(PackageSpec {
            name: name?,
            version: version?,
            build,
            build_number,
            subdirs,
            depends,
            conda_format,
        })
    }

    fn happening(&mut self, t: Tbl<'_>, start: DateTime<Utc>) -> Option<Happening> {
        let kind = self.req_str(
            t,
            "kind",
            &format!(
                "say what happens: kind = one of {}",
                HAPPENING_KINDS.join(", ")
            ),
        )?;
        let common = ["kind", "after", "at"];
        let specific: &[&str] = match kind.as_str() {
            "tag" => &["repo", "tag", "annotated", "message", "author"],
            "release_draft" => &[
                "repo",
                "tag",
                "name",
                "body",
                "author",
                "target",
                "prerelease",
            ],
            "release_publish" => &["repo", "tag", "name", "body", "author"],
            "pr_open" => &[
                "repo",
                "number",
                "title",
                "author",
                "head",
                "head_owner",
                "base",
                "body",
                "draft",
            ],
            "bot_pr" => &["repo", "number", "package", "version", "automerge", "base"],
            "pr_push" => &["repo", "number"],
            "ci" => &["repo", "number", "state", "checks"],
            "pr_merge" | "pr_close" => &["repo", "number", "by"],
            "issue" => &["repo", "number", "title", "body", "author", "labels"],
            "comment" => &["repo", "number", "author", "body"],
            "package" => &[
                "channel",
                "name",
                "version",
                "build",
                "build_number",
                "subdirs",
                "depends",
                "format",
            ],
            "package_remove" | "package_broken" => &["channel", "name", "version", "build"],
            "pypi_upload" => &["project", "version", "requires_python"],
            "pypi_yank" => &["project", "version", "reason"],
            other => {
                let span = self.get(t, "kind").and_then(item_span);
                self.error(
                    span,
                    format!("unknown happening kind `{other}`"),
                    Some(suggest(other, HAPPENING_KINDS)),
                );
                return None;
            }
        };
        let allowed: Vec<&str> = common.iter().chain(specific.iter()).copied().collect();
        self.check_keys(t, &allowed);
        let at = self.when(t, start, None);

        let repo = |p: &mut Self| p.req_str(t, "repo", "owner/name, e.g. repo = \"conda/conda\"");
        let number = |p: &mut Self| {
            if p.get(t, "number").is_none() {
                p.missing(
                    t,
                    "number",
                    "the pull request or issue number, e.g. number = 15432",
                );
            }
            p.opt_uint(t, "number")
        };
        let tag = |p: &mut Self| p.req_str(t, "tag", "e.g. tag = \"26.11.0\"");

        let what = match kind.as_str() {
            "tag" => {
                let repo = repo(self);
                let tag = tag(self);
                let annotated = self.opt_bool(t, "annotated").unwrap_or(false);
                let message = self.opt_str(t, "message");
                let author = self
                    .opt_str(t, "author")
                    .unwrap_or_else(|| "github-actions[bot]".into());
                let tag = tag?;
                What::Tag {
                    repo: repo?,
                    message: message.unwrap_or_else(|| format!("Release {tag}")),
                    tag,
                    annotated,
                    author,
                }
            }
            "release_draft" => {
                let repo = repo(self);
                let tag = tag(self);
                let name = self.opt_str(t, "name");
                let body = self.opt_str(t, "body").unwrap_or_default();
                let author = self
                    .opt_str(t, "author")
                    .unwrap_or_else(|| "github-actions[bot]".into());
                let target = self.opt_str(t, "target");
                let prerelease = self.opt_bool(t, "prerelease").unwrap_or(false);
                let tag = tag?;
                What::ReleaseDraft {
                    repo: repo?,
                    name: name.unwrap_or_else(|| tag.clone()),
                    tag,
                    body,
                    author,
                    target,
                    prerelease,
                }
            }
            "release_publish" => {
                let repo = repo(self);
                let tag = tag(self);
                let name = self.opt_str(t, "name");
                let body = self.opt_str(t, "body");
                let author = self
                    .opt_str(t, "author")
                    .unwrap_or_else(|| "github-actions[bot]".into());
                What::ReleasePublish {
                    repo: repo?,
                    tag: tag?,
                    name,
                    body,
                    author,
                }
            }
            "pr_open" => {
                let repo = repo(self);
                let number = number(self);
                let title = self.req_str(t, "title", "e.g. title = \"Release 26.11.0\"");
                let author = self.req_str(
                    t,
                    "author",
                    "the login who opens it, e.g. author = \"jane\"",
                );
                let head = self.req_str(
                    t,
                    "head",
                    "the head branch, e.g. head = \"changelog-26.11.0\"",
                );
                let head_owner = self.opt_str(t, "head_owner");
                let base = self.opt_str(t, "base");
                let body = self.opt_str(t, "body").unwrap_or_default();
                let draft = self.opt_bool(t, "draft").unwrap_or(false);
                let repo = repo?;
                let author = author?;
                let owner = repo.split('/').next().unwrap_or_default().to_string();
                What::PrOpen {
                    number: number?,
                    title: title?,
                    head: head?,
                    head_owner: head_owner.unwrap_or(owner),
                    // Empty: the repo's default branch, resolved when the world is built
                    // (the [[repos]] table may come later in the file).
                    base: base.unwrap_or_default(),
                    repo,
                    author,
                    body,
                    draft,
                }
            }
            "bot_pr" => {
                let repo = repo(self);
                let number = number(self);
                let package =
                    self.req_str(t, "package", "the package name, e.g. package = \"conda\"");
                let version = self.req_str(t, "version", "e.g. version = \"26.11.0\"");
                let automerge = self.opt_bool(t, "automerge").unwrap_or(false);
                let base = self.opt_str(t, "base");
                let (repo, package, version) = (repo?, package?, version?);
                // The bot's branch carries a short hash; derive it so reruns are identical.
                let hash = crate::sim::world::fake_sha(&[&repo, &package, &version]);
                let short = hash.get(..6).unwrap_or("000000");
                let prefix = if automerge { "[bot-automerge] " } else { "" };
                What::PrOpen {
                    number: number?,
                    title: format!("{prefix}{package} v{version}"),
                    author: AUTOTICK_BOT.into(),
                    head: format!("{version}_h{short}"),
                    head_owner: AUTOTICK_BOT.into(),
                    // Empty: the repo's default branch, resolved when the world is built
                    // (the [[repos]] table may come later in the file).
                    base: base.unwrap_or_default(),
                    body: format!(
                        "It is very likely that the current package version for this feedstock is out of date.\n\n\
                         Checklist before merging this PR:\n- [ ] Dependencies have been updated if changed\n\n\
                         This PR was created by the regro-cf-autotick-bot. ({package} {version})"
                    ),
                    repo,
                    draft: false,
                }
            }
            "pr_push" => What::PrPush {
                repo: repo(self)?,
                number: number(self)?,
            },
            "ci" => {
                let repo = repo(self);
                let number = number(self);
                let state = match self
                    .req_str(
                        t,
                        "state",
                        "state = \"pending\", \"success\" or \"failure\"",
                    )
                    .as_deref()
                {
                    Some("pending") => Some(CiState::Pending),
                    Some("success") => Some(CiState::Success),
                    Some("failure") => Some(CiState::Failure),
                    Some(other) => {
                        let span = self.get(t, "state").and_then(item_span);
                        self.error(
                            span,
                            format!("unknown CI state `{other}`"),
                            Some("valid: pending, success, failure".into()),
                        );
                        None
                    }
                    None => None,
                };
                let checks = self
                    .opt_str_list(t, "checks")
                    .unwrap_or_else(|| vec!["linux_64".into(), "osx_64".into(), "win_64".into()]);
                What::Ci {
                    repo: repo?,
                    number: number?,
                    state: state?,
                    checks,
                }
            }
            "pr_merge" | "pr_close" => {
                let repo = repo(self);
                let number = number(self);
                // Without `by`, the repository's owner account did it.
                let by = self.opt_str(t, "by").unwrap_or_else(|| {
                    repo.as_deref()
                        .and_then(|r| r.split('/').next())
                        .unwrap_or("github-actions[bot]")
                        .to_string()
                });
                if kind == "pr_merge" {
                    What::PrMerge {
                        repo: repo?,
                        number: number?,
                        by,
                    }
                } else {
                    What::PrClose {
                        repo: repo?,
                        number: number?,
                        by,
                    }
                }
            }
            "issue" => {
                let repo = repo(self);
                let number = self.opt_uint(t, "number");
                let title =
                    self.req_str(t, "title", "e.g. title = \"conda 26.11.0 breaks activate\"");
                let body = self.opt_str(t, "body").unwrap_or_default();
                let author = self
                    .opt_str(t, "author")
                    .unwrap_or_else(|| "octocat".into());
                let labels = self.opt_str_list(t, "labels").unwrap_or_default();
                What::Issue {
                    repo: repo?,
                    number,
                    title: title?,
                    body,
                    author,
                    labels,
                }
            }
            "comment" => {
                let repo = repo(self);
                let number = number(self);
                let author = self
                    .opt_str(t, "author")
                    .unwrap_or_else(|| "octocat".into());
                let body = self.req_str(t, "body", "the comment text");
                What::Comment {
                    repo: repo?,
                    number: number?,
                    author,
                    body: body?,
                }
            }
            "package" => {
                let channel = self.req_str(t, "channel", "e.g. channel = \"conda-forge\"");
                let package = self.package(t);
                What::Package {
                    channel: channel?,
                    package: package?,
                }
            }
            "package_remove" | "package_broken" => {
                let channel = self.req_str(t, "channel", "e.g. channel = \"conda-forge\"");
                let name = self.req_str(t, "name", "the package name");
                let version = self.req_str(t, "version", "the version");
                let build = self.opt_str(t, "build");
                let (channel, name, version) = (channel?, name?, version?);
                if kind == "package_remove" {
                    What::PackageRemove {
                        channel,
                        name,
                        version,
                        build,
                    }
                } else {
                    What::PackageBroken {
                        channel,
                        name,
                        version,
                        build,
                    }
                }
            }
            "pypi_upload" => {
                let project = self.req_str(
                    t,
                    "project",
                    "the PyPI project, e.g. project = \"conda-store\"",
                );
                let version = self.req_str(t, "version", "e.g. version = \"2025.11.0\"");
                let requires_python = self.opt_str(t, "requires_python");
                What::PypiUpload {
                    project: project?,
                    version: version?,
                    requires_python,
                }
            }
            "pypi_yank" => {
                let project = self.req_str(t, "project", "the PyPI project");
                let version = self.req_str(t, "version", "the version to yank");
                let reason = self.opt_str(t, "reason").unwrap_or_default();
                What::PypiYank {
                    project: project?,
                    version: version?,
                    reason,
                }
            }
            _ => return None,
        };
        Some(Happening { at: at?, what })
    }

    fn fault(&mut self, t: Tbl<'_>, start: DateTime<Utc>) -> Option<FaultSpec> {
        let kind_name = self.req_str(
            t,
            "kind",
            &format!("kind = one of {}", FAULT_KINDS.join(", ")),
        )?;
        let common = ["kind", "after", "at", "duration", "path"];
        let specific: &[&str] = match kind_name.as_str() {
            "server_error" | "html_error" | "quota_exhausted" => &["status"],
            "slow" => &["delay"],
            "secondary_rate_limit" => &["retry_after"],
            "drop" | "truncated" | "malformed" => &[],
            other => {
                let span = self.get(t, "kind").and_then(item_span);
                self.error(
                    span,
                    format!("unknown fault kind `{other}`"),
                    Some(suggest(other, FAULT_KINDS)),
                );
                return None;
            }
        };
        let allowed: Vec<&str> = common.iter().chain(specific.iter()).copied().collect();
        self.check_keys(t, &allowed);
        let from = self.when(t, start, None);
        if self.get(t, "duration").is_none() {
            self.missing(
                t,
                "duration",
                "how long the fault lasts, e.g. duration = \"10m\"",
            );
        }
        let duration = self.opt_duration(t, "duration");
        if let Some(d) = duration
            && d <= TimeDelta::zero()
        {
            let span = self.get(t, "duration").and_then(item_span);
            self.error(span, "a fault's `duration` must be positive".into(), None);
            return None;
        }
        let path = self.opt_str(t, "path");
        let status = |p: &mut Self, default: u16, range: Range<u16>| -> Option<u16> {
            match p.opt_uint(t, "status") {
                None => Some(default),
                Some(s) if range.contains(&(s.min(1000) as u16)) => Some(s as u16),
                Some(s) => {
                    let span = p.get(t, "status").and_then(item_span);
                    p.error(
                        span,
                        format!("status {s} does not fit a `{kind_name}` fault"),
                        Some(format!("use a status in {}..{}", range.start, range.end)),
                    );
                    None
                }
            }
        };
        let kind = match kind_name.as_str() {
            "server_error" => FaultKind::ServerError {
                status: status(self, 502, 500..600)?,
            },
            "html_error" => FaultKind::HtmlError {
                status: status(self, 503, 400..600)?,
            },
            "quota_exhausted" => {
                let s = status(self, 403, 403..430)?;
                if s != 403 && s != 429 {
                    let span = self.get(t, "status").and_then(item_span);
                    self.error(span, "quota_exhausted answers 403 or 429".into(), None);
                    return None;
                }
                FaultKind::QuotaExhausted { status: s }
            }
            "slow" => {
                let delay = match self.opt_duration(t, "delay") {
                    Some(d) if d > TimeDelta::zero() => d.to_std().ok()?,
                    Some(_) => {
                        let span = self.get(t, "delay").and_then(item_span);
                        self.error(span, "`delay` must be positive".into(), None);
                        return None;
                    }
                    None => {
                        if self.get(t, "delay").is_none() {
                            self.missing(
                                t,
                                "delay",
                                "real-time delay per reply, e.g. delay = \"3s\"",
                            );
                        }
                        return None;
                    }
                };
                FaultKind::Slow { delay }
            }
            "secondary_rate_limit" => FaultKind::SecondaryRateLimit {
                retry_after: self.opt_uint(t, "retry_after"),
            },
            "drop" => FaultKind::Drop,
            "truncated" => FaultKind::Truncated,
            "malformed" => FaultKind::Malformed,
            _ => return None,
        };
        let from = from?;
        Some(FaultSpec {
            from,
            until: from.checked_add_signed(duration?)?,
            path,
            kind,
        })
    }

    /// Cross-references: repos, channels and pull requests named by happenings must exist.
    fn validate_refs(&mut self, root: Tbl<'_>, s: &Scenario) {
        let repos: BTreeSet<&str> = s.repos.iter().map(|r| r.full_name.as_str()).collect();
        let channels: BTreeSet<&str> = s.channels.iter().map(|c| c.name.as_str()).collect();
        let mut prs: BTreeMap<(&str, u64), ()> = BTreeMap::new();
        let mut problems = Vec::new();
        for h in &s.happenings {
            let (repo, channel, pr_ref) = match &h.what {
                What::Tag { repo, .. }
                | What::ReleaseDraft { repo, .. }
                | What::ReleasePublish { repo, .. }
                | What::Issue { repo, .. }
                | What::Comment { repo, .. } => (Some(repo), None, None),
                What::PrOpen { repo, number, .. } => {
                    if prs.insert((repo.as_str(), *number), ()).is_some() {
                        problems.push(format!("pull request {repo}#{number} is opened twice"));
                    }
                    (Some(repo), None, None)
                }
                What::PrPush { repo, number }
                | What::Ci { repo, number, .. }
                | What::PrMerge { repo, number, .. }
                | What::PrClose { repo, number, .. } => {
                    (Some(repo), None, Some((repo.as_str(), *number)))
                }
                What::Package { channel, .. }
                | What::PackageRemove { channel, .. }
                | What::PackageBroken { channel, .. } => (None, Some(channel), None),
                What::PypiUpload { .. } | What::PypiYank { .. } => (None, None, None),
            };
            if let Some(r) = repo
                && !repos.contains(r.as_str())
            {
                problems.push(format!(
                    "happening at {} names repo `{r}`, which is not in [[repos]]",
                    h.at
                ));
            }
            if let Some(c) = channel
                && !channels.contains(c.as_str())
            {
                problems.push(format!(
                    "happening at {} names channel `{c}`, which is not in [[channels]]",
                    h.at
                ));
            }
            if let Some((r, n)) = pr_ref
                && !prs.contains_key(&(r, n))
            {
                problems.push(format!(
                    "happening at {} refers to pull request {r}#{n} before any pr_open/bot_pr opens it",
                    h.at
                ));
            }
        }
        for p in problems {
            // Whole-file problems: point at the [[happening]] array when we can find it.
            let span = self
                .get(root, "happening")
                .and_then(item_span)
                .or(Some(0..0));
            self.error(
                span,
                p,
                Some("declare it, or fix the name/number or the order in time".into()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_sign() {
        assert_eq!(parse_duration("1h30m"), Some(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("-2d"), Some(TimeDelta::days(-2)));
        assert_eq!(parse_duration("500ms"), Some(TimeDelta::milliseconds(500)));
        assert_eq!(parse_duration("0"), Some(TimeDelta::zero()));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
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
