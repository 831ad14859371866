//! The scenario file's tables, read through [`TableReader`]: the whole file,
//! its metadata, tokens, repositories, channels and PyPI projects. Happenings
//! and faults are read in `happening.rs`.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use rattler_conda_types::Subdir;

use super::happening;
use super::{
    ChannelSpec, GithubLimits, Happening, PypiSpec, ReleasePairing, RepoSpec, Scenario, TokenSpec,
    What,
};
use crate::crew::Role;
use crate::diag::{Diagnostic, Node, NodeValue, Reporter, TableReader, closest};

/// A table being read, and how it is named in messages.
pub(super) struct Tbl<'n> {
    pub(super) r: TableReader<'n>,
    node: &'n Node,
    what: String,
}

impl<'n> Tbl<'n> {
    pub(super) fn new(rep: &mut Reporter<'_>, node: &'n Node, what: &str) -> Option<Tbl<'n>> {
        TableReader::new(rep, node, what).map(|r| Tbl {
            r,
            node,
            what: what.to_string(),
        })
    }

    /// Reports keys outside `allowed` now, before reading (which may stop early).
    pub(super) fn check_keys(&self, rep: &mut Reporter<'_>, allowed: &[&'static str]) {
        if let Some(mut r) = TableReader::new(rep, self.node, self.what.clone()) {
            for key in allowed {
                r.entry(key);
            }
            r.finish(rep);
        }
    }

    /// The span to blame for `key`: its key, or the table when it is absent.
    pub(super) fn key_span(&mut self, key: &'static str) -> std::ops::Range<usize> {
        self.r
            .entry(key)
            .map(|e| e.key_span.clone())
            .unwrap_or_else(|| self.r.span())
    }

    pub(super) fn value_span(&mut self, key: &'static str) -> std::ops::Range<usize> {
        self.r
            .node(key)
            .map(|n| n.span.clone())
            .unwrap_or_else(|| self.r.span())
    }

    pub(super) fn missing(&mut self, rep: &mut Reporter<'_>, key: &str, hint: &str) {
        rep.error(
            &self.r.span(),
            format!("missing `{key}` in {}", self.what),
            Some(hint.to_string()),
        );
    }

    pub(super) fn opt_str(&mut self, rep: &mut Reporter<'_>, key: &'static str) -> Option<String> {
        self.r.string(rep, key).map(|s| s.value)
    }

    pub(super) fn req_str(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
        hint: &str,
    ) -> Option<String> {
        if self.r.node(key).is_none() {
            self.missing(rep, key, hint);
            return None;
        }
        self.opt_str(rep, key)
    }

    pub(super) fn opt_bool(&mut self, rep: &mut Reporter<'_>, key: &'static str) -> Option<bool> {
        self.r.bool(rep, key)
    }

    pub(super) fn opt_uint(&mut self, rep: &mut Reporter<'_>, key: &'static str) -> Option<u64> {
        let i = self.r.integer(rep, key)?;
        match u64::try_from(i.value) {
            Ok(u) => Some(u),
            Err(_) => {
                rep.error(
                    &i.span,
                    format!("`{key}` in {} must not be negative", self.what),
                    None,
                );
                None
            }
        }
    }

    fn opt_positive(&mut self, rep: &mut Reporter<'_>, key: &'static str) -> Option<f64> {
        let node = self.r.node(key)?;
        let v = match node.value {
            NodeValue::Float(f) => Some(f),
            NodeValue::Integer(i) => Some(i as f64),
            _ => None,
        };
        match v {
            Some(f) if f.is_finite() && f > 0.0 => Some(f),
            _ => {
                rep.error(
                    &node.span,
                    format!(
                        "`{key}` in {} must be a positive number, found {}",
                        self.what,
                        node.type_name()
                    ),
                    None,
                );
                None
            }
        }
    }

    pub(super) fn opt_list(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
    ) -> Option<Vec<String>> {
        self.r
            .strings(rep, key)
            .map(|v| v.into_iter().map(|s| s.value).collect())
    }

    pub(super) fn opt_duration(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
    ) -> Option<TimeDelta> {
        let s = self.r.string(rep, key)?;
        match signed_duration(&s.value) {
            Ok(d) => Some(d),
            Err(e) => {
                rep.error(
                    &s.span,
                    e,
                    Some(
                        "write numbers with units d, h, m or s, e.g. \"1h30m\", \"45s\"; \
                         a leading `-` places it before [clock] start, e.g. \"-2d\""
                            .into(),
                    ),
                );
                None
            }
        }
    }

    pub(super) fn opt_time(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
    ) -> Option<DateTime<Utc>> {
        let node = self.r.node(key)?;
        // Accept both a quoted RFC 3339 string and a bare TOML date-time.
        let text = match &node.value {
            NodeValue::String(s) | NodeValue::Datetime(s) => s,
            _ => {
                rep.error(
                    &node.span,
                    format!(
                        "`{key}` in {} must be an RFC 3339 time like \"2026-11-10T13:00:00Z\", found {}",
                        self.what,
                        node.type_name()
                    ),
                    None,
                );
                return None;
            }
        };
        match DateTime::parse_from_rfc3339(text) {
            Ok(d) => Some(d.with_timezone(&Utc)),
            Err(e) => {
                rep.error(
                    &node.span,
                    format!("bad time `{text}`: {e}"),
                    Some("use RFC 3339 with a zone, e.g. \"2026-11-10T13:00:00Z\"".into()),
                );
                None
            }
        }
    }

    /// `after = "<offset>"` or `at = "<time>"`; defaults to `default` when neither is given.
    pub(super) fn when(
        &mut self,
        rep: &mut Reporter<'_>,
        start: DateTime<Utc>,
        default: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let after = self.opt_duration(rep, "after");
        let at = self.opt_time(rep, "at");
        let (has_after, has_at) = (self.r.node("after").is_some(), self.r.node("at").is_some());
        if has_after && has_at {
            let span = self.key_span("at");
            rep.error(
                &span,
                format!("both `after` and `at` in {}", self.what),
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
                    rep,
                    "after",
                    "say when: after = \"1h30m\" (offset from [clock] start) or at = \"2026-11-10T14:30:00Z\"",
                );
            }
            return default;
        }
        None
    }

    /// Every subdir listed under `key` must be one conda knows.
    pub(super) fn check_subdirs(&mut self, rep: &mut Reporter<'_>, subdirs: &[String]) {
        let known: Vec<&str> = Subdir::all().map(Subdir::as_str).collect();
        for s in subdirs {
            if Subdir::from_str(s).is_err() {
                let span = self.value_span("subdirs");
                rep.error(
                    &span,
                    format!("unknown subdir `{s}`"),
                    Some(suggest(s, &known)),
                );
            }
        }
    }

    /// Reports keys outside `allowed` (each named valid, whether present or not).
    pub(super) fn finish(mut self, rep: &mut Reporter<'_>, allowed: &[&'static str]) {
        for key in allowed {
            self.r.entry(key);
        }
        self.r.finish(rep);
    }

    /// Each entry of an array of tables, as a readable table.
    pub(super) fn tables(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
        what: &str,
    ) -> Vec<Tbl<'n>> {
        self.r
            .tables(rep, key)
            .into_iter()
            .filter_map(|node| Tbl::new(rep, node, what))
            .collect()
    }

    pub(super) fn table(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
        what: &str,
    ) -> Option<Tbl<'n>> {
        let node = self.r.node(key)?;
        Tbl::new(rep, node, what)
    }
}

/// A duration in the checklist's syntax; a leading `-` places it before the start.
pub(super) fn signed_duration(text: &str) -> Result<TimeDelta, String> {
    let t = text.trim();
    let (neg, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let d = crate::checklist::duration::parse_duration(rest)?;
    // Ten years either way is plenty and keeps all later date arithmetic in range.
    if d.as_secs() > 10 * 366 * 86_400 {
        return Err(format!("duration `{text}` is too long"));
    }
    let d = TimeDelta::from_std(d).map_err(|_| format!("duration `{text}` is too long"))?;
    Ok(if neg { -d } else { d })
}

/// A hint naming the closest valid word, or one the typo starts with.
pub(super) fn suggest(word: &str, options: &[&str]) -> String {
    let close = closest(word, options);
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

/// Reads a whole scenario, reporting every problem at once.
pub(super) fn scenario(file: &str, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let mut rep = Reporter::new(file, text);
    let Some(root) = Node::parse(&mut rep, text) else {
        return Err(rep.finish());
    };
    let scenario =
        Tbl::new(&mut rep, &root, "the scenario").and_then(|top| read(&mut rep, file, top));
    if rep.has_errors() {
        Err(rep.finish())
    } else {
        scenario.ok_or_else(|| rep.finish())
    }
}

fn read(rep: &mut Reporter<'_>, file: &str, mut top: Tbl<'_>) -> Option<Scenario> {
    let mut name = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    let mut description = String::new();
    if let Some(mut t) = top.table(rep, "scenario", "[scenario]") {
        if let Some(n) = t.opt_str(rep, "name") {
            name = n;
        }
        description = t.opt_str(rep, "description").unwrap_or_default();
        t.finish(rep, &[]);
    }

    let release = top.table(rep, "release", "[release]").and_then(|mut t| {
        let checklist = t.req_str(
            rep,
            "checklist",
            "the checklist name, e.g. checklist = \"conda\"",
        );
        let version = t.req_str(
            rep,
            "version",
            "the version it releases, e.g. version = \"26.11.0\"",
        );
        t.finish(rep, &[]);
        Some(ReleasePairing {
            checklist: checklist?,
            version: version?,
        })
    });

    let (start, speed) = clock(rep, &mut top);
    // Keep checking the rest against a placeholder start so all errors surface.
    let start_or = start.unwrap_or_default();

    let mut limits = GithubLimits::default();
    if let Some(mut t) = top.table(rep, "github", "[github]") {
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        if let Some(v) = t.opt_uint(rep, "rate_limit") {
            limits.authenticated = clamp(v);
        }
        if let Some(v) = t.opt_uint(rep, "unauthenticated_rate_limit") {
            limits.unauthenticated = clamp(v);
        }
        if let Some(v) = t.opt_uint(rep, "search_rate_limit") {
            limits.search = clamp(v);
        }
        if let Some(v) = t.opt_uint(rep, "writes_per_minute") {
            limits.writes_per_minute = clamp(v);
        }
        if let Some(v) = t.opt_uint(rep, "writes_per_hour") {
            limits.writes_per_hour = clamp(v);
        }
        t.finish(rep, &[]);
    }

    let tokens = tokens(rep, &mut top);
    let repos = repos(rep, &mut top);
    let (channels, initial) = channels(rep, &mut top, start_or);

    let mut pypi = Vec::new();
    for mut t in top.tables(rep, "pypi", "a [[pypi]] entry") {
        let name = t.req_str(rep, "name", "the project name, e.g. name = \"conda-store\"");
        let summary = t.opt_str(rep, "summary").unwrap_or_default();
        t.finish(rep, &[]);
        if let Some(name) = name {
            pypi.push(PypiSpec { name, summary });
        }
    }

    let mut happenings = initial;
    for t in top.tables(rep, "happening", "a [[happening]]") {
        if let Some(h) = happening::happening(rep, t, start_or) {
            happenings.push(h);
        }
    }
    // Stable: happenings at the same instant keep file order.
    happenings.sort_by_key(|h| h.at);

    let mut faults = Vec::new();
    for t in top.tables(rep, "fault", "a [[fault]]") {
        if let Some(f) = happening::fault(rep, t, start_or) {
            faults.push(f);
        }
    }

    let refs_span = top.value_span("happening");
    top.finish(rep, &[]);
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
    happening::validate_refs(rep, refs_span, &scenario);
    Some(scenario)
}

fn clock(rep: &mut Reporter<'_>, top: &mut Tbl<'_>) -> (Option<DateTime<Utc>>, f64) {
    let mut speed = 1.0;
    if top.r.node("clock").is_none() {
        rep.error(
            &(0..0),
            "missing [clock] table",
            Some("add [clock] with start = \"2026-11-10T13:00:00Z\" and speed = 200".into()),
        );
        return (None, speed);
    }
    let Some(mut t) = top.table(rep, "clock", "[clock]") else {
        return (None, speed);
    };
    if t.r.node("start").is_none() {
        t.missing(rep, "start", "start = \"2026-11-10T13:00:00Z\"");
    }
    let start = t.opt_time(rep, "start");
    if let Some(s) = t.opt_positive(rep, "speed") {
        speed = s;
    }
    t.finish(rep, &[]);
    (start, speed)
}

fn tokens(rep: &mut Reporter<'_>, top: &mut Tbl<'_>) -> Vec<TokenSpec> {
    let mut tokens = Vec::new();
    for mut t in top.tables(rep, "tokens", "a [[tokens]] entry") {
        let token = t.req_str(rep, "token", "the secret, e.g. token = \"sim-pilot-token\"");
        let login = t.req_str(rep, "login", "the GitHub login, e.g. login = \"jane\"");
        let role = match t.r.string(rep, "role") {
            None => Some(Role::JumpSeat),
            // The world's word for a login that watches.
            Some(r) if r.value == "observer" => Some(Role::JumpSeat),
            Some(r) => match Role::from_str(&r.value) {
                Ok(role) => Some(role),
                Err(_) => {
                    rep.error(
                        &r.span,
                        format!("unknown role `{}`", r.value),
                        Some("valid: pilot, copilot, jump-seat (or observer)".into()),
                    );
                    None
                }
            },
        };
        t.finish(rep, &[]);
        if let (Some(token), Some(login), Some(role)) = (token, login, role) {
            tokens.push(TokenSpec { token, login, role });
        }
    }
    tokens
}

fn repos(rep: &mut Reporter<'_>, top: &mut Tbl<'_>) -> Vec<RepoSpec> {
    let mut repos = Vec::new();
    for mut t in top.tables(rep, "repos", "a [[repos]] entry") {
        let full_name = t.req_str(rep, "name", "owner/name, e.g. name = \"conda/conda\"");
        let default_branch = t
            .opt_str(rep, "default_branch")
            .unwrap_or_else(|| "main".into());
        let maintainers = t.opt_list(rep, "maintainers").unwrap_or_default();
        let name_span = t.value_span("name");
        t.finish(rep, &[]);
        let Some(full_name) = full_name else {
            continue;
        };
        if full_name.split('/').count() != 2 || full_name.split('/').any(str::is_empty) {
            rep.error(
                &name_span,
                format!("repository name `{full_name}` is not owner/name"),
                Some("e.g. name = \"conda-forge/conda-feedstock\"".into()),
            );
            continue;
        }
        repos.push(RepoSpec {
            full_name,
            default_branch,
            maintainers,
        });
    }
    repos
}

/// The channels, and the records they hold from the start (as happenings).
fn channels(
    rep: &mut Reporter<'_>,
    top: &mut Tbl<'_>,
    start: DateTime<Utc>,
) -> (Vec<ChannelSpec>, Vec<Happening>) {
    let mut channels = Vec::new();
    let mut initial = Vec::new();
    for mut t in top.tables(rep, "channels", "a [[channels]] entry") {
        let name = t.req_str(rep, "name", "e.g. name = \"conda-forge\"");
        let sharded = t.opt_bool(rep, "sharded").unwrap_or(false);
        let mut subdirs = t
            .opt_list(rep, "subdirs")
            .unwrap_or_else(|| vec!["noarch".into()]);
        t.check_subdirs(rep, &subdirs);
        if !subdirs.iter().any(|s| s == "noarch") {
            subdirs.insert(0, "noarch".into());
        }
        let max_age = t.opt_uint(rep, "max_age").unwrap_or(0).min(86_400) as u32;
        let synthetic = t.table(rep, "synthetic", "`synthetic`").map(|mut s| {
            let seed = s.opt_uint(rep, "seed").unwrap_or(0);
            let n = s.opt_uint(rep, "records").unwrap_or(0).min(5_000_000) as usize;
            s.finish(rep, &[]);
            (seed, n)
        });
        let mut records = Vec::new();
        for mut p in t.tables(rep, "packages", "a channel's `packages` entry") {
            // Initial records default to a month before the start.
            let at = p.when(rep, start, Some(start - TimeDelta::days(30)));
            let package = happening::package(rep, &mut p);
            p.finish(rep, &["after", "at"]);
            if let (Some(at), Some(package)) = (at, package) {
                records.push((at, package));
            }
        }
        t.finish(rep, &[]);
        let Some(name) = name else {
            continue;
        };
        initial.extend(records.into_iter().map(|(at, package)| Happening {
            at,
            what: What::Package {
                channel: name.clone(),
                package,
            },
        }));
        channels.push(ChannelSpec {
            name,
            sharded,
            subdirs,
            max_age,
            synthetic,
        });
    }
    (channels, initial)
}
