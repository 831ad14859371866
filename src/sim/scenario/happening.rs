//! Happenings and faults: what changes in the world, and when it misbehaves.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use chrono::{DateTime, TimeDelta, Utc};

use super::read::{Tbl, suggest};
use super::{AUTOTICK_BOT, FaultKind, FaultSpec, Happening, PackageSpec, Scenario, What};
use crate::diag::Reporter;
use crate::timeline::CiState;

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
    "comment_edit",
    "comment_delete",
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
    "too_many_requests",
    "lost_reply",
];

pub(super) fn package(rep: &mut Reporter<'_>, t: &mut Tbl<'_>) -> Option<PackageSpec> {
    let name = t.req_str(rep, "name", "the package name, e.g. name = \"conda\"");
    let version = t.req_str(rep, "version", "e.g. version = \"26.11.0\"");
    let build = t.opt_str(rep, "build").unwrap_or_else(|| "0".into());
    let build_number = t.opt_uint(rep, "build_number").unwrap_or_else(|| {
        // conda builds end in `_<number>`; use it when not told.
        build
            .rsplit('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    });
    let subdirs = t
        .opt_list(rep, "subdirs")
        .unwrap_or_else(|| vec!["noarch".into()]);
    t.check_subdirs(rep, &subdirs);
    let depends = t.opt_list(rep, "depends").unwrap_or_default();
    let conda_format = match t.opt_str(rep, "format").as_deref() {
        None | Some("conda") | Some(".conda") => true,
        Some("tar.bz2") | Some(".tar.bz2") => false,
        Some(other) => {
            let span = t.value_span("format");
            rep.error(
                &span,
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

pub(super) fn happening(
    rep: &mut Reporter<'_>,
    mut t: Tbl<'_>,
    start: DateTime<Utc>,
) -> Option<Happening> {
    let kind = t.req_str(
        rep,
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
        "comment" | "comment_edit" => &["repo", "number", "author", "body"],
        "comment_delete" => &["repo", "number", "author"],
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
            let span = t.value_span("kind");
            rep.error(
                &span,
                format!("unknown happening kind `{other}`"),
                Some(suggest(other, HAPPENING_KINDS)),
            );
            return None;
        }
    };
    let allowed: Vec<&'static str> = common.iter().chain(specific.iter()).copied().collect();
    t.check_keys(rep, &allowed);
    let at = t.when(rep, start, None);

    fn repo(rep: &mut Reporter<'_>, t: &mut Tbl<'_>) -> Option<String> {
        t.req_str(rep, "repo", "owner/name, e.g. repo = \"conda/conda\"")
    }
    fn number(rep: &mut Reporter<'_>, t: &mut Tbl<'_>) -> Option<u64> {
        if t.r.node("number").is_none() {
            t.missing(
                rep,
                "number",
                "the pull request or issue number, e.g. number = 15432",
            );
        }
        t.opt_uint(rep, "number")
    }
    fn tag(rep: &mut Reporter<'_>, t: &mut Tbl<'_>) -> Option<String> {
        t.req_str(rep, "tag", "e.g. tag = \"26.11.0\"")
    }

    let what = match kind.as_str() {
        "tag" => {
            let repo = repo(rep, &mut t);
            let tag = tag(rep, &mut t);
            let annotated = t.opt_bool(rep, "annotated").unwrap_or(false);
            let message = t.opt_str(rep, "message");
            let author = t
                .opt_str(rep, "author")
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
            let repo = repo(rep, &mut t);
            let tag = tag(rep, &mut t);
            let name = t.opt_str(rep, "name");
            let body = t.opt_str(rep, "body").unwrap_or_default();
            let author = t
                .opt_str(rep, "author")
                .unwrap_or_else(|| "github-actions[bot]".into());
            let target = t.opt_str(rep, "target");
            let prerelease = t.opt_bool(rep, "prerelease").unwrap_or(false);
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
            let repo = repo(rep, &mut t);
            let tag = tag(rep, &mut t);
            let name = t.opt_str(rep, "name");
            let body = t.opt_str(rep, "body");
            let author = t
                .opt_str(rep, "author")
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
            let repo = repo(rep, &mut t);
            let number = number(rep, &mut t);
            let title = t.req_str(rep, "title", "e.g. title = \"Release 26.11.0\"");
            let author = t.req_str(
                rep,
                "author",
                "the login who opens it, e.g. author = \"jane\"",
            );
            let head = t.req_str(
                rep,
                "head",
                "the head branch, e.g. head = \"changelog-26.11.0\"",
            );
            let head_owner = t.opt_str(rep, "head_owner");
            let base = t.opt_str(rep, "base");
            let body = t.opt_str(rep, "body").unwrap_or_default();
            let draft = t.opt_bool(rep, "draft").unwrap_or(false);
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
            let repo = repo(rep, &mut t);
            let number = number(rep, &mut t);
            let package = t.req_str(rep, "package", "the package name, e.g. package = \"conda\"");
            let version = t.req_str(rep, "version", "e.g. version = \"26.11.0\"");
            let automerge = t.opt_bool(rep, "automerge").unwrap_or(false);
            let base = t.opt_str(rep, "base");
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
            repo: repo(rep, &mut t)?,
            number: number(rep, &mut t)?,
        },
        "ci" => {
            let repo = repo(rep, &mut t);
            let number = number(rep, &mut t);
            let state = match t
                .req_str(
                    rep,
                    "state",
                    "state = \"pending\", \"success\" or \"failure\"",
                )
                .as_deref()
            {
                Some("pending") => Some(CiState::Pending),
                Some("success") => Some(CiState::Success),
                Some("failure") => Some(CiState::Failure),
                Some(other) => {
                    let span = t.value_span("state");
                    rep.error(
                        &span,
                        format!("unknown CI state `{other}`"),
                        Some("valid: pending, success, failure".into()),
                    );
                    None
                }
                None => None,
            };
            let checks = t
                .opt_list(rep, "checks")
                .unwrap_or_else(|| vec!["linux_64".into(), "osx_64".into(), "win_64".into()]);
            What::Ci {
                repo: repo?,
                number: number?,
                state: state?,
                checks,
            }
        }
        "pr_merge" | "pr_close" => {
            let repo = repo(rep, &mut t);
            let number = number(rep, &mut t);
            // Without `by`, the repository's owner account did it.
            let by = t.opt_str(rep, "by").unwrap_or_else(|| {
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
            let repo = repo(rep, &mut t);
            let number = t.opt_uint(rep, "number");
            let title = t.req_str(
                rep,
                "title",
                "e.g. title = \"conda 26.11.0 breaks activate\"",
            );
            let body = t.opt_str(rep, "body").unwrap_or_default();
            let author = t.opt_str(rep, "author").unwrap_or_else(|| "octocat".into());
            let labels = t.opt_list(rep, "labels").unwrap_or_default();
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
            let repo = repo(rep, &mut t);
            let number = number(rep, &mut t);
            let author = t.opt_str(rep, "author").unwrap_or_else(|| "octocat".into());
            let body = t.req_str(rep, "body", "the comment text");
            What::Comment {
                repo: repo?,
                number: number?,
                author,
                body: body?,
            }
        }
        "comment_edit" | "comment_delete" => {
            let repo = repo(rep, &mut t);
            let number = number(rep, &mut t);
            let author = t.req_str(
                rep,
                "author",
                "whose latest comment on the issue changes, e.g. author = \"eve\"",
            );
            if kind == "comment_edit" {
                let body = t.req_str(rep, "body", "the comment's new text");
                What::CommentEdit {
                    repo: repo?,
                    number: number?,
                    author: author?,
                    body: body?,
                }
            } else {
                What::CommentDelete {
                    repo: repo?,
                    number: number?,
                    author: author?,
                }
            }
        }
        "package" => {
            let channel = t.req_str(rep, "channel", "e.g. channel = \"conda-forge\"");
            let package = package(rep, &mut t);
            What::Package {
                channel: channel?,
                package: package?,
            }
        }
        "package_remove" | "package_broken" => {
            let channel = t.req_str(rep, "channel", "e.g. channel = \"conda-forge\"");
            let name = t.req_str(rep, "name", "the package name");
            let version = t.req_str(rep, "version", "the version");
            let build = t.opt_str(rep, "build");
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
            let project = t.req_str(
                rep,
                "project",
                "the PyPI project, e.g. project = \"conda-store\"",
            );
            let version = t.req_str(rep, "version", "e.g. version = \"2025.11.0\"");
            let requires_python = t.opt_str(rep, "requires_python");
            What::PypiUpload {
                project: project?,
                version: version?,
                requires_python,
            }
        }
        "pypi_yank" => {
            let project = t.req_str(rep, "project", "the PyPI project");
            let version = t.req_str(rep, "version", "the version to yank");
            let reason = t.opt_str(rep, "reason").unwrap_or_default();
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

pub(super) fn fault(
    rep: &mut Reporter<'_>,
    mut t: Tbl<'_>,
    start: DateTime<Utc>,
) -> Option<FaultSpec> {
    let kind_name = t.req_str(
        rep,
        "kind",
        &format!("kind = one of {}", FAULT_KINDS.join(", ")),
    )?;
    let common = ["kind", "after", "at", "duration", "path"];
    let specific: &[&str] = match kind_name.as_str() {
        "server_error" | "html_error" | "quota_exhausted" => &["status"],
        "slow" => &["delay"],
        "secondary_rate_limit" | "too_many_requests" => &["retry_after"],
        "drop" | "truncated" | "malformed" | "lost_reply" => &[],
        other => {
            let span = t.value_span("kind");
            rep.error(
                &span,
                format!("unknown fault kind `{other}`"),
                Some(suggest(other, FAULT_KINDS)),
            );
            return None;
        }
    };
    let allowed: Vec<&'static str> = common.iter().chain(specific.iter()).copied().collect();
    t.check_keys(rep, &allowed);
    let from = t.when(rep, start, None);
    if t.r.node("duration").is_none() {
        t.missing(
            rep,
            "duration",
            "how long the fault lasts, e.g. duration = \"10m\"",
        );
    }
    let duration = t.opt_duration(rep, "duration");
    if let Some(d) = duration
        && d <= TimeDelta::zero()
    {
        let span = t.value_span("duration");
        rep.error(&span, "a fault's `duration` must be positive", None);
        return None;
    }
    let path = t.opt_str(rep, "path");
    let mut status = |default: u16, range: Range<u16>| -> Option<u16> {
        match t.opt_uint(rep, "status") {
            None => Some(default),
            Some(s) if range.contains(&(s.min(1000) as u16)) => Some(s as u16),
            Some(s) => {
                let span = t.value_span("status");
                rep.error(
                    &span,
                    format!("status {s} does not fit a `{kind_name}` fault"),
                    Some(format!("use a status in {}..{}", range.start, range.end)),
                );
                None
            }
        }
    };
    let kind = match kind_name.as_str() {
        "server_error" => FaultKind::ServerError {
            status: status(502, 500..600)?,
        },
        "html_error" => FaultKind::HtmlError {
            status: status(503, 400..600)?,
        },
        "quota_exhausted" => {
            let s = status(403, 403..430)?;
            if s != 403 && s != 429 {
                let span = t.value_span("status");
                rep.error(&span, "quota_exhausted answers 403 or 429", None);
                return None;
            }
            FaultKind::QuotaExhausted { status: s }
        }
        "slow" => {
            let delay = match t.opt_duration(rep, "delay") {
                Some(d) if d > TimeDelta::zero() => d.to_std().ok()?,
                Some(_) => {
                    let span = t.value_span("delay");
                    rep.error(&span, "`delay` must be positive", None);
                    return None;
                }
                None => {
                    if t.r.node("delay").is_none() {
                        t.missing(
                            rep,
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
            retry_after: t.opt_uint(rep, "retry_after"),
        },
        "too_many_requests" => FaultKind::TooManyRequests {
            retry_after: t.opt_uint(rep, "retry_after").unwrap_or(60),
        },
        "lost_reply" => FaultKind::LostReply,
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
/// Whole-file problems point at the [[happening]] array (`span`).
pub(super) fn validate_refs(rep: &mut Reporter<'_>, span: Range<usize>, s: &Scenario) {
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
            | What::Comment { repo, .. }
            | What::CommentEdit { repo, .. }
            | What::CommentDelete { repo, .. } => (Some(repo), None, None),
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
        rep.error(
            &span,
            p,
            Some("declare it, or fix the name/number or the order in time".into()),
        );
    }
}
