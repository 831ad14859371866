//! Matching rules: which PR, issue or check state a probe is looking at.
//!
//! Pure functions, so the rules are tested without a server. The conventions
//! come from conda-forge's version bot (regro/cf-scripts, see reference.md):
//! title `{name} v{version}`, optionally prefixed `[bot-automerge] `; humans
//! may open their own PR, which must then name the version in its title or
//! head branch.

use crate::github::model::{CheckRun, CombinedStatus};
use crate::timeline::CiState;
use chrono::{DateTime, Utc};

/// The conda-forge version bot.
pub(crate) const AUTOTICK_BOT: &str = "regro-cf-autotick-bot";

/// The title prefix of conda-forge's "copy to the channel failed" issues.
pub(crate) const COPY_FAILED_PREFIX: &str = "[warning] failed package validation and/or copy";

/// The package a feedstock builds: `conda-forge/conda-feedstock` → `conda`.
pub(crate) fn feedstock_package(feedstock: &str) -> &str {
    let name = feedstock.rsplit('/').next().unwrap_or(feedstock);
    name.strip_suffix("-feedstock").unwrap_or(name)
}

/// Whether `text` names `version` as a whole version, not as part of another:
/// `conda 26.11.0:`, `v26.11.0`, `conda-26.11.0` and the bot's branch
/// `26.11.0_h1a2b3c` do; `26.11.01`, `126.11.0`, `26.11.0.1` and `26.11.0rc1` do not.
pub(crate) fn mentions_version(text: &str, version: &str) -> bool {
    if version.is_empty() {
        return false;
    }
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text.get(from..).and_then(|rest| rest.find(version)) {
        let start = from + pos;
        let end = start + version.len();
        let before_ok = match start.checked_sub(1).map(|i| bytes[i]) {
            None => true,
            // `v26.11.0` is the same version; `xv26.11.0` is not a version at all.
            Some(b'v' | b'V') => start < 2 || !bytes[start - 2].is_ascii_alphanumeric(),
            Some(b) => !(b.is_ascii_alphanumeric() || b == b'.'),
        };
        let after_ok = match bytes.get(end) {
            None => true,
            Some(b'.') => !bytes.get(end + 1).is_some_and(u8::is_ascii_digit),
            Some(b) => !b.is_ascii_alphanumeric(),
        };
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
    }
    false
}

/// Who opened a feedstock PR for the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeedstockPrKind {
    /// The version bot's own PR.
    Bot,
    /// A maintainer's PR that names the version.
    Human,
}

/// Whether a feedstock PR is the version bump for `package` `version`.
pub(crate) fn classify_feedstock_pr(
    package: &str,
    version: &str,
    author: &str,
    title: &str,
    head: &str,
) -> Option<FeedstockPrKind> {
    if author.eq_ignore_ascii_case(AUTOTICK_BOT) {
        // The bot also opens migration PRs ("Rebuild for python 3.14"); only
        // its version title counts, and its branch is deleted after merge.
        return is_bot_title(title, package, version).then_some(FeedstockPrKind::Bot);
    }
    (mentions_version(title, version) || mentions_version(head, version))
        .then_some(FeedstockPrKind::Human)
}

/// `{package} v{version}`, with or without `[bot-automerge] `.
pub(crate) fn is_bot_title(title: &str, package: &str, version: &str) -> bool {
    let t = title.trim();
    let t = strip_prefix_ignore_case(t, "[bot-automerge]").map_or(t, str::trim_start);
    t.eq_ignore_ascii_case(&format!("{package} v{version}"))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Whether an issue title is conda-forge's copy-failure warning.
pub(crate) fn is_copy_failed_title(title: &str) -> bool {
    strip_prefix_ignore_case(title.trim(), COPY_FAILED_PREFIX).is_some()
}

/// A `pr` probe's title pattern: a regular expression, case-insensitive,
/// searched in the title (anchor it with `^…$` to match the whole title).
/// An invalid one (refused by `flightdeck check`) matches nothing.
pub(crate) fn title_matches(pattern: &str, title: &str) -> bool {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .is_ok_and(|re| re.is_match(title))
}

/// Whether an issue belongs on the incident radar: a real issue (not a PR),
/// opened at or after the cutoff, that names the version.
pub(crate) fn is_radar_hit(
    is_pull_request: bool,
    created_at: DateTime<Utc>,
    cutoff: DateTime<Utc>,
    title: &str,
    body: &str,
    version: &str,
) -> bool {
    !is_pull_request
        && created_at >= cutoff
        && !is_tracking_issue(body)
        && (mentions_version(title, version) || mentions_version(body, version))
}

/// A release's own tracking issue ("Release conda 26.11.0", opened by
/// `start --share`) mentions the version but is no bug: its body carries
/// the crew's data block (docs/crew-format.md).
fn is_tracking_issue(body: &str) -> bool {
    body.contains("<!-- flightdeck-share v")
}

/// One PR that matched a feedstock or PR probe, as the supersede rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) number: u64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) open: bool,
    pub(crate) merged: bool,
}

/// The PR a probe follows among several that match: the merged one (a version
/// is merged once), else the newest open one, else the newest.
pub(crate) fn primary(cands: &[Candidate]) -> Option<usize> {
    let best = |f: &dyn Fn(&Candidate) -> bool| {
        cands
            .iter()
            .enumerate()
            .filter(|(_, c)| f(c))
            .max_by_key(|(_, c)| (c.created_at, c.number))
            .map(|(i, _)| i)
    };
    best(&|c| c.merged)
        .or_else(|| best(&|c| c.open))
        .or_else(|| best(&|_| true))
}

/// PRs closed without merging while another PR for the same version went on:
/// `(superseded, by)`. The winner is the primary PR; a closed PR is superseded
/// only when the primary is a different one that is open or merged.
pub(crate) fn supersessions(cands: &[Candidate]) -> Vec<(u64, u64)> {
    let Some(p) = primary(cands) else {
        return Vec::new();
    };
    let winner = &cands[p];
    if !(winner.open || winner.merged) {
        return Vec::new();
    }
    cands
        .iter()
        .filter(|c| c.number != winner.number && !c.open && !c.merged)
        .map(|c| (c.number, winner.number))
        .collect()
}

/// The CI state of a commit from its check runs and combined status, with
/// the source's time for it: when the last check finished (passed/failed) or
/// when the first one started (pending). `None` when no CI has reported yet.
pub(crate) fn combine_ci(
    runs: &[CheckRun],
    status: Option<&CombinedStatus>,
) -> Option<(CiState, Option<DateTime<Utc>>)> {
    let mut states: Vec<(CiState, Option<DateTime<Utc>>)> = Vec::new();
    for r in runs {
        if r.status != "completed" {
            states.push((CiState::Pending, r.started_at));
            continue;
        }
        let state = match r.conclusion.as_deref() {
            Some("success" | "neutral" | "skipped") => CiState::Success,
            // failure, timed_out, cancelled, action_required, startup_failure, stale, or unknown
            _ => CiState::Failure,
        };
        states.push((state, r.completed_at.or(r.started_at)));
    }
    if let Some(s) = status {
        for st in &s.statuses {
            let state = match st.state.as_str() {
                "success" => CiState::Success,
                "pending" => CiState::Pending,
                _ => CiState::Failure,
            };
            let at = match state {
                CiState::Pending => st.created_at.or(st.updated_at),
                _ => st.updated_at.or(st.created_at),
            };
            states.push((state, at));
        }
        // Older payloads may carry only the combined state.
        if s.statuses.is_empty() && s.total_count > 0 {
            let state = match s.state.as_str() {
                "success" => CiState::Success,
                "pending" => CiState::Pending,
                _ => CiState::Failure,
            };
            states.push((state, None));
        }
    }
    let overall = if states.iter().any(|(s, _)| *s == CiState::Failure) {
        CiState::Failure
    } else if states.iter().any(|(s, _)| *s == CiState::Pending) {
        CiState::Pending
    } else if states.is_empty() {
        return None;
    } else {
        CiState::Success
    };
    let times = states
        .iter()
        .filter(|(s, _)| *s == overall)
        .filter_map(|(_, t)| *t);
    let at = match overall {
        CiState::Pending => times.min(),
        // The verdict is in when the last relevant check reported.
        CiState::Success | CiState::Failure => times.max(),
    };
    Some((overall, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time literal")
    }

    #[test]
    fn feedstock_names_map_to_packages() {
        assert_eq!(feedstock_package("conda-forge/conda-feedstock"), "conda");
        assert_eq!(
            feedstock_package("AnacondaRecipes/conda-build-feedstock"),
            "conda-build"
        );
        assert_eq!(feedstock_package("conda-forge/odd"), "odd");
    }

    #[test]
    fn versions_are_matched_whole() {
        for yes in [
            "conda 26.11.0",
            "conda 26.11.0: activate fails",
            "v26.11.0",
            "Release V26.11.0.",
            "conda-26.11.0",
            "26.11.0_h1a2b3c",
            "(26.11.0)",
            "26.11.0",
        ] {
            assert!(mentions_version(yes, "26.11.0"), "{yes}");
        }
        for no in [
            "26.11.01",
            "126.11.0",
            "26.11.0.1",
            "26.11.0rc1",
            "x26.11.0",
            "dev26.11.0",
            "1.26.11.0",
            "26.11",
        ] {
            assert!(!mentions_version(no, "26.11.0"), "{no}");
        }
        assert!(mentions_version("26.11.01 and then 26.11.0", "26.11.0"));
        assert!(!mentions_version("anything", ""));
    }

    #[test]
    fn the_bot_pr_is_recognised_with_or_without_automerge() {
        let c = |author: &str, title: &str, head: &str| {
            classify_feedstock_pr("conda", "26.11.0", author, title, head)
        };
        assert_eq!(
            c(AUTOTICK_BOT, "conda v26.11.0", "26.11.0_h1a2b3c"),
            Some(FeedstockPrKind::Bot)
        );
        assert_eq!(
            c(AUTOTICK_BOT, "[bot-automerge] conda v26.11.0", ""),
            Some(FeedstockPrKind::Bot)
        );
        assert_eq!(
            c(AUTOTICK_BOT, "[BOT-AUTOMERGE]  Conda v26.11.0", ""),
            Some(FeedstockPrKind::Bot)
        );
        // The bot's other PRs and other versions do not count, even if the branch says so.
        assert_eq!(c(AUTOTICK_BOT, "conda v26.11.1", "26.11.0_habc"), None);
        assert_eq!(
            c(AUTOTICK_BOT, "Rebuild for python 3.14", "rebuild-python314"),
            None
        );
        assert_eq!(c(AUTOTICK_BOT, "conda-build v26.11.0", ""), None);
    }

    #[test]
    fn a_human_pr_names_the_version_in_title_or_branch() {
        let c = |title: &str, head: &str| {
            classify_feedstock_pr("conda", "26.11.0", "lena", title, head)
        };
        assert_eq!(c("conda 26.11.0", "main"), Some(FeedstockPrKind::Human));
        assert_eq!(
            c("Update to the new release", "conda-26.11.0"),
            Some(FeedstockPrKind::Human)
        );
        assert_eq!(c("conda 26.11.01", "update"), None);
        assert_eq!(c("Rerender", "rerender"), None);
    }

    #[test]
    fn copy_failure_titles() {
        assert!(is_copy_failed_title(
            "[warning] failed package validation and/or copy for commit 1f0e2d3"
        ));
        assert!(is_copy_failed_title(
            "[WARNING] Failed package validation and/or copy"
        ));
        assert!(!is_copy_failed_title("failed package validation"));
    }

    #[test]
    fn title_patterns_are_regular_expressions() {
        assert!(title_matches("Release 26.11.0", "release 26.11.0 (final)"));
        assert!(title_matches("^Release ", "Release 26.11.0"));
        assert!(title_matches(
            "26\\.11\\.0",
            "Changelog for 26.11.0 release"
        ));
        assert!(title_matches("^a.*b.*c$", "aXXbYYc"));
        assert!(!title_matches("^a.*b.*c$", "aXXbYYcd"), "anchors work");
        assert!(!title_matches("^Release ", "Pre-release 26.11.0"));
        assert!(title_matches("^(changelog|release) 26", "Changelog 26.11"));
        assert!(
            !title_matches("(unclosed", "(unclosed"),
            "invalid: no match"
        );
    }

    #[test]
    fn the_radar_wants_new_issues_naming_the_version() {
        let cutoff = t("2026-11-10T13:35:00Z");
        let after = t("2026-11-10T14:35:00Z");
        assert!(is_radar_hit(
            false,
            after,
            cutoff,
            "conda 26.11.0: activate fails",
            "",
            "26.11.0"
        ));
        assert!(is_radar_hit(
            false,
            after,
            cutoff,
            "activate fails",
            "since 26.11.0 ...",
            "26.11.0"
        ));
        assert!(
            !is_radar_hit(true, after, cutoff, "conda 26.11.0 fix", "", "26.11.0"),
            "PRs are not bug reports"
        );
        assert!(
            !is_radar_hit(
                false,
                after,
                cutoff,
                "Release conda 26.11.0",
                "## Release conda 26.11.0\n…\n<!-- flightdeck-share v1: written by flightdeck -->",
                "26.11.0"
            ),
            "the release's own tracking issue is not a bug report"
        );
        assert!(
            !is_radar_hit(
                false,
                t("2026-11-03T13:00:00Z"),
                cutoff,
                "Release 26.11.0",
                "",
                "26.11.0"
            ),
            "older issues are not new"
        );
        assert!(!is_radar_hit(
            false,
            after,
            cutoff,
            "conda 26.11.01",
            "",
            "26.11.0"
        ));
    }

    fn cand(number: u64, created: &str, open: bool, merged: bool) -> Candidate {
        Candidate {
            number,
            created_at: t(created),
            open,
            merged,
        }
    }

    #[test]
    fn the_merged_pr_wins_and_closed_ones_are_superseded() {
        // The bot opened #250, a maintainer opened #251 and merged it; the bot closed #250.
        let c = vec![
            cand(250, "2026-11-10T13:45:00Z", false, false),
            cand(251, "2026-11-10T14:00:00Z", false, true),
        ];
        assert_eq!(primary(&c), Some(1));
        assert_eq!(supersessions(&c), vec![(250, 251)]);
        // Nothing is superseded while every PR is still open or when all are closed.
        let open = vec![
            cand(1, "2026-11-10T13:45:00Z", true, false),
            cand(2, "2026-11-10T14:00:00Z", true, false),
        ];
        assert_eq!(primary(&open), Some(1));
        assert!(supersessions(&open).is_empty());
        let closed = vec![
            cand(1, "2026-11-10T13:45:00Z", false, false),
            cand(2, "2026-11-10T14:00:00Z", false, false),
        ];
        assert_eq!(primary(&closed), Some(1));
        assert!(supersessions(&closed).is_empty());
        assert_eq!(primary(&[]), None);
    }

    fn run(
        status: &str,
        conclusion: Option<&str>,
        started: &str,
        completed: Option<&str>,
    ) -> CheckRun {
        CheckRun {
            status: status.into(),
            conclusion: conclusion.map(str::to_string),
            started_at: Some(t(started)),
            completed_at: completed.map(t),
            ..CheckRun::default()
        }
    }

    #[test]
    fn ci_state_combines_check_runs_and_statuses() {
        assert_eq!(combine_ci(&[], None), None, "no CI yet is not 'pending'");
        let empty = CombinedStatus {
            state: "pending".into(),
            ..CombinedStatus::default()
        };
        assert_eq!(
            combine_ci(&[], Some(&empty)),
            None,
            "GitHub says pending for no statuses at all"
        );

        let passed = [
            run(
                "completed",
                Some("success"),
                "2026-11-10T13:00:00Z",
                Some("2026-11-10T13:10:00Z"),
            ),
            run(
                "completed",
                Some("skipped"),
                "2026-11-10T13:00:00Z",
                Some("2026-11-10T13:20:00Z"),
            ),
        ];
        assert_eq!(
            combine_ci(&passed, None),
            Some((CiState::Success, Some(t("2026-11-10T13:20:00Z"))))
        );

        let pending = [
            run(
                "completed",
                Some("success"),
                "2026-11-10T13:00:00Z",
                Some("2026-11-10T13:10:00Z"),
            ),
            run("in_progress", None, "2026-11-10T13:05:00Z", None),
        ];
        assert_eq!(
            combine_ci(&pending, None),
            Some((CiState::Pending, Some(t("2026-11-10T13:05:00Z"))))
        );

        let failed = [
            run(
                "completed",
                Some("timed_out"),
                "2026-11-10T13:00:00Z",
                Some("2026-11-10T13:30:00Z"),
            ),
            run("in_progress", None, "2026-11-10T13:05:00Z", None),
        ];
        assert_eq!(
            combine_ci(&failed, None).map(|x| x.0),
            Some(CiState::Failure),
            "a failure is final even while others run"
        );

        let status = CombinedStatus {
            state: "failure".into(),
            total_count: 1,
            statuses: vec![crate::github::model::Status {
                state: "error".into(),
                updated_at: Some(t("2026-11-10T13:40:00Z")),
                ..Default::default()
            }],
            ..CombinedStatus::default()
        };
        assert_eq!(
            combine_ci(&passed, Some(&status)),
            Some((CiState::Failure, Some(t("2026-11-10T13:40:00Z")))),
            "a red status turns green check runs red"
        );
    }
}
