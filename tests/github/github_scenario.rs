//! The GitHub probes against the simulated world, over loopback with the real
//! client: the facts of a whole conda release, with the sources' own times and links.

use crate::github_support;

use flightdeck::probe::scheduler::SchedulerOptions;
use flightdeck::probe::{Health, ProbeMsg, ProbeSpec};
use flightdeck::timeline::{CiState, Clock, Fact};
use github_support::*;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn a_whole_conda_release_is_observed_with_source_times_and_links() {
    // Speed 10: the 8 simulated hours pass in 48 paused minutes, a poll every
    // 15 s sees the world every 150 simulated seconds.
    let sim = start(builtin("conda-release"), 10.0).await;
    let t0 = sim.clock();
    let home = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", t0);
    let log = open_log(&release, t0);
    let (handle, msgs) = run(
        plan_probes(&release.plan),
        client(&sim, Some(PILOT_TOKEN)),
        log.clone(),
        Clock::scaled(t0, 10.0),
        SchedulerOptions::default(),
    );
    tokio::time::sleep(Duration::from_secs(50 * 60)).await;
    assert!(sim.finished(), "the scenario played out");
    handle.shutdown().await;

    let obs = observed(&log);
    let at = |what: &str, f: &dyn Fn(&Fact) -> bool| at_of(&obs, what, f);
    // The release on conda/conda.
    assert_eq!(
        at(
            "the draft",
            &|f| matches!(f, Fact::ReleaseDrafted { tag, .. } if tag == "26.11.0")
        ),
        t("2026-11-10T13:00:00Z")
    );
    assert_eq!(
        at("release PR opened", &|f| matches!(
            f,
            Fact::PrOpened { number: 15400, .. }
        )),
        t("2026-11-09T13:00:00Z"),
        "the PR's created_at, a day before the release started"
    );
    assert_eq!(
        at("release PR green", &|f| matches!(
            f,
            Fact::PrChecks {
                number: 15400,
                state: CiState::Success,
                ..
            }
        )),
        t("2026-11-10T13:05:00Z")
    );
    assert_eq!(
        at(
            "release PR merged",
            &|f| matches!(f, Fact::PrMerged { number: 15400, by: Some(b), .. } if b == "bob")
        ),
        t("2026-11-10T13:20:00Z")
    );
    assert_eq!(
        at(
            "the tag",
            &|f| matches!(f, Fact::TagPushed { tag, sha: Some(_), .. } if tag == "26.11.0")
        ),
        t("2026-11-10T13:30:00Z"),
        "the annotated tag's tagger date"
    );
    assert_eq!(
        at(
            "published",
            &|f| matches!(f, Fact::ReleasePublished { tag, prerelease: false, .. } if tag == "26.11.0")
        ),
        t("2026-11-10T13:35:00Z")
    );
    // conda-forge: the bot's PR, red CI, a re-push, green CI, merged by bob.
    let cf = |f: &Fact, n: u64| match f {
        Fact::PrOpened { repo, number, .. }
        | Fact::PrMerged { repo, number, .. }
        | Fact::PrChecks { repo, number, .. } => {
            repo == "conda-forge/conda-feedstock" && *number == n
        }
        _ => false,
    };
    assert_eq!(
        at("bot PR", &|f| cf(f, 250)
            && matches!(f, Fact::PrOpened { author, .. } if author == "regro-cf-autotick-bot")),
        t("2026-11-10T13:45:00Z")
    );
    let checks: Vec<(CiState, String)> = obs
        .iter()
        .filter_map(|(f, at, _)| match f {
            Fact::PrChecks {
                state, number: 250, ..
            } => Some((*state, at.format("%H:%M").to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        checks,
        vec![
            (CiState::Pending, "13:47".to_string()),
            (CiState::Failure, "14:05".to_string()),
            (CiState::Pending, "14:16".to_string()),
            (CiState::Success, "14:40".to_string()),
        ],
        "CI per head sha: red, then the re-push goes green"
    );
    assert_eq!(
        at("bot PR merged", &|f| cf(f, 250)
            && matches!(f, Fact::PrMerged { .. })),
        t("2026-11-10T14:50:00Z")
    );
    // AnacondaRecipes: a human's PR.
    assert_eq!(
        at(
            "human PR",
            &|f| matches!(f, Fact::PrOpened { repo, number: 120, author, .. } if repo == "AnacondaRecipes/conda-feedstock" && author == "lena")
        ),
        t("2026-11-10T14:00:00Z")
    );
    assert_eq!(
        at(
            "human PR merged",
            &|f| matches!(f, Fact::PrMerged { repo, number: 120, .. } if repo == "AnacondaRecipes/conda-feedstock")
        ),
        t("2026-11-10T15:00:00Z")
    );
    // The bad news: a copy failure and a bug report.
    assert_eq!(
        at(
            "copy failed",
            &|f| matches!(f, Fact::CopyFailed { repo, .. } if repo == "conda-forge/conda-feedstock")
        ),
        t("2026-11-10T15:40:00Z")
    );
    assert_eq!(
        at(
            "bug report",
            &|f| matches!(f, Fact::IssueFiled { number: 15401, author, .. } if author == "octocat")
        ),
        t("2026-11-10T14:35:00Z")
    );
    assert!(
        !obs.iter()
            .any(|(f, _, _)| matches!(f, Fact::IssueFiled { number, .. } if *number != 15401)),
        "the release issue (older) and the release PR are not bug reports:\n{}",
        dump(&obs)
    );

    // Links a human would paste.
    let link = |f: &dyn Fn(&Fact) -> bool| {
        obs.iter()
            .find(|(x, _, _)| f(x))
            .and_then(|(_, _, l)| l.clone())
    };
    assert_eq!(
        link(&|f| matches!(f, Fact::TagPushed { .. })).as_deref(),
        Some("https://github.com/conda/conda/releases/tag/26.11.0")
    );
    assert_eq!(
        link(&|f| matches!(f, Fact::ReleasePublished { .. })).as_deref(),
        Some("https://github.com/conda/conda/releases/tag/26.11.0")
    );
    assert_eq!(
        link(&|f| cf(f, 250) && matches!(f, Fact::PrMerged { .. })).as_deref(),
        Some("https://github.com/conda-forge/conda-feedstock/pull/250")
    );
    assert_eq!(
        link(&|f| matches!(f, Fact::IssueFiled { .. })).as_deref(),
        Some("https://github.com/conda/conda/issues/15401")
    );

    // Each fact once, however many polls saw it.
    let mut keys: Vec<String> = obs.iter().map(|(f, _, _)| f.key()).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a fact recorded twice");

    // The cockpit heard about every recorded event, and finished probes say so.
    let msgs = msgs.lock().expect("not poisoned");
    let recorded = msgs
        .iter()
        .filter(|m| matches!(m, ProbeMsg::Recorded(_)))
        .count();
    assert_eq!(recorded, n);
    let last_health = |id: &str| {
        msgs.iter()
            .rev()
            .find_map(|m| match m {
                ProbeMsg::Report(r) if r.probe == id => Some(r.health),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no report for {id}"))
    };
    assert_eq!(last_health("tag conda/conda@26.11.0"), Health::Finished);
    assert_eq!(last_health("release conda/conda@26.11.0"), Health::Finished);
    assert_eq!(
        last_health("issues_mentioning conda/conda@26.11.0"),
        Health::Healthy,
        "the radar never stops"
    );
    assert!(
        msgs.iter()
            .any(|m| matches!(m, ProbeMsg::Quota(q) if q.limit == 5000))
    );
}

#[tokio::test(start_paused = true)]
async fn a_late_joiner_gets_the_true_times() {
    let sim = start(builtin("conda-release"), 200.0).await;
    // Eight simulated hours later, someone starts following the release.
    tokio::time::sleep(Duration::from_secs(8 * 3600 / 200 + 10)).await;
    assert!(sim.finished());
    let now = sim.clock();
    let home = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", now);
    let log = open_log(&release, now);
    let (handle, _msgs) = run(
        plan_probes(&release.plan),
        client(&sim, Some(PILOT_TOKEN)),
        log.clone(),
        Clock::Fixed(now),
        SchedulerOptions {
            once: true,
            ..SchedulerOptions::default()
        },
    );
    handle.join().await;
    let obs = observed(&log);
    assert_eq!(
        at_of(&obs, "the tag", |f| matches!(f, Fact::TagPushed { .. })),
        t("2026-11-10T13:30:00Z"),
        "the tag's own time, not when we first looked ({now})"
    );
    assert_eq!(
        at_of(&obs, "published", |f| matches!(
            f,
            Fact::ReleasePublished { .. }
        )),
        t("2026-11-10T13:35:00Z")
    );
    assert_eq!(
        at_of(&obs, "bot PR merged", |f| matches!(
            f,
            Fact::PrMerged { number: 250, .. }
        )),
        t("2026-11-10T14:50:00Z")
    );
    // The release started after the bug report, but the radar looks from the publication on.
    assert_eq!(
        at_of(&obs, "bug report", |f| matches!(
            f,
            Fact::IssueFiled { number: 15401, .. }
        )),
        t("2026-11-10T14:35:00Z")
    );
    // A draft seen only once already published is not invented.
    assert!(
        !obs.iter()
            .any(|(f, _, _)| matches!(f, Fact::ReleaseDrafted { .. }))
    );
}

const FEEDSTOCKS: &str = r#"
[scenario]
name = "feedstock-prs"

[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[repos]]
name = "conda-forge/foo-feedstock"

[[repos]]
name = "AnacondaRecipes/foo-feedstock"

[[repos]]
name = "conda-forge/bar-feedstock"

# An older version's bot PR, merged long ago: not ours.
[[happening]]
after = "-30d"
kind = "bot_pr"
repo = "conda-forge/foo-feedstock"
number = 9
package = "foo"
version = "1.1.0"

[[happening]]
after = "-29d"
kind = "pr_merge"
repo = "conda-forge/foo-feedstock"
number = 9
by = "maint"

# The bot opens its PR; a maintainer opens their own with new dependencies; the bot's is closed.
[[happening]]
after = "0m"
kind = "bot_pr"
repo = "conda-forge/foo-feedstock"
number = 10
package = "foo"
version = "1.2.0"

[[happening]]
after = "10m"
kind = "pr_open"
repo = "conda-forge/foo-feedstock"
number = 11
title = "Update foo to the new release, add new dependencies"
author = "maint"
head = "update-1.2.0"
head_owner = "maint"

[[happening]]
after = "12m"
kind = "pr_close"
repo = "conda-forge/foo-feedstock"
number = 10
by = "maint"

[[happening]]
after = "20m"
kind = "ci"
repo = "conda-forge/foo-feedstock"
number = 11
state = "success"
checks = ["linux_64"]

[[happening]]
after = "30m"
kind = "pr_merge"
repo = "conda-forge/foo-feedstock"
number = 11
by = "maint"

# AnacondaRecipes: an automerge bot PR.
[[happening]]
after = "5m"
kind = "bot_pr"
repo = "AnacondaRecipes/foo-feedstock"
number = 3
package = "foo"
version = "1.2.0"
automerge = true

[[happening]]
after = "40m"
kind = "pr_merge"
repo = "AnacondaRecipes/foo-feedstock"
number = 3
by = "regro-cf-autotick-bot"

# bar: a PR whose title names a longer version, and the bot's migration PR: neither is ours.
[[happening]]
after = "1m"
kind = "pr_open"
repo = "conda-forge/bar-feedstock"
number = 5
title = "bar 1.2.0.1"
author = "maint"
head = "patch"
head_owner = "maint"

[[happening]]
after = "2m"
kind = "pr_open"
repo = "conda-forge/bar-feedstock"
number = 6
title = "Rebuild for python 3.14"
author = "regro-cf-autotick-bot"
head = "rebuild-python314-1.2.0"
head_owner = "regro-cf-autotick-bot"

[[happening]]
after = "2h"
kind = "issue"
repo = "conda-forge/bar-feedstock"
title = "the end"
author = "maint"
"#;

#[tokio::test(start_paused = true)]
async fn bot_human_and_superseded_feedstock_prs() {
    let sim = start(scenario("feedstocks.toml", FEEDSTOCKS), 1.0).await;
    let t0 = sim.clock();
    let home = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", t0);
    let log = open_log(&release, t0);
    let probe = |fs: &str| ProbeSpec::FeedstockPr {
        feedstock: fs.into(),
        version: "1.2.0".into(),
    };
    let probes = vec![
        probe("conda-forge/foo-feedstock"),
        probe("AnacondaRecipes/foo-feedstock"),
        probe("conda-forge/bar-feedstock"),
    ];
    let (handle, msgs) = run(
        probes,
        client(&sim, Some(PILOT_TOKEN)),
        log.clone(),
        Clock::scaled(t0, 1.0),
        SchedulerOptions::default(),
    );
    tokio::time::sleep(Duration::from_secs(3600)).await;
    handle.shutdown().await;
    let obs = observed(&log);
    let cf = "conda-forge/foo-feedstock";
    let ours = |r: &str| r == cf;
    assert_eq!(
        at_of(
            &obs,
            "bot PR",
            |f| matches!(f, Fact::PrOpened { repo, number: 10, .. } if ours(repo))
        ),
        t("2026-11-10T13:00:00Z")
    );
    assert_eq!(
        at_of(
            &obs,
            "human PR",
            |f| matches!(f, Fact::PrOpened { repo, number: 11, author, .. } if ours(repo) && author == "maint")
        ),
        t("2026-11-10T13:10:00Z")
    );
    assert_eq!(
        at_of(
            &obs,
            "superseded",
            |f| matches!(f, Fact::PrSuperseded { repo, number: 10, by_number: 11 } if ours(repo))
        ),
        t("2026-11-10T13:12:00Z"),
        "noted when the bot's PR was closed"
    );
    assert_eq!(
        at_of(&obs, "human CI", |f| matches!(
            f,
            Fact::PrChecks {
                number: 11,
                state: CiState::Success,
                ..
            }
        )),
        t("2026-11-10T13:20:00Z")
    );
    assert_eq!(
        at_of(
            &obs,
            "human merged",
            |f| matches!(f, Fact::PrMerged { repo, number: 11, by: Some(b) } if ours(repo) && b == "maint")
        ),
        t("2026-11-10T13:30:00Z")
    );
    assert!(
        !obs.iter().any(|(f, _, _)| matches!(
            f,
            Fact::PrOpened { number: 9, .. } | Fact::PrMerged { number: 9, .. }
        )),
        "the older version's PR is not ours:\n{}",
        dump(&obs)
    );
    assert_eq!(
        at_of(
            &obs,
            "automerge bot PR merged",
            |f| matches!(f, Fact::PrMerged { repo, number: 3, .. } if repo == "AnacondaRecipes/foo-feedstock")
        ),
        t("2026-11-10T13:40:00Z")
    );
    assert!(
        !obs.iter().any(|(f, _, _)| matches!(f, Fact::PrOpened { repo, .. } if repo == "conda-forge/bar-feedstock")),
        "bar 1.2.0.1 and a migration PR are not the 1.2.0 bump:\n{}",
        dump(&obs)
    );
    let msgs = msgs.lock().expect("not poisoned");
    let bar = msgs
        .iter()
        .rev()
        .find_map(|m| match m {
            ProbeMsg::Report(r) if r.probe.contains("bar-feedstock") => Some(r.clone()),
            _ => None,
        })
        .expect("bar reported");
    assert_eq!(bar.health, Health::Healthy);
    assert_eq!(bar.summary.as_deref(), Some("no PR for bar 1.2.0 yet"));
}

const TWO_REPOS: &str = r#"
[scenario]
name = "late-radar"

[clock]
start = "2026-11-20T09:00:00Z"
speed = 1

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[repos]]
name = "conda/conda"

[[repos]]
name = "conda/conda-build"

[[happening]]
after = "-10d"
kind = "tag"
repo = "conda/conda"
tag = "26.11.0"
author = "jane"

[[happening]]
after = "-9d"
kind = "issue"
repo = "conda/conda-build"
number = 5501
title = "conda-build fails with conda 26.11.0"
author = "octocat"
body = "Since 26.11.0 every build stops."
"#;

#[tokio::test(start_paused = true)]
async fn a_late_joiner_radar_on_another_repository_sees_bugs_filed_before_the_start() {
    let sim = start(scenario("late-radar", TWO_REPOS), 1.0).await;
    let now = sim.clock();
    let home = tempfile::tempdir().expect("tempdir");
    let release = release(home.path(), "conda.toml", "26.11.0", now);
    let log = open_log(&release, now);
    let probes = vec![
        ProbeSpec::Tag {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
        },
        ProbeSpec::IssuesMentioning {
            repo: "conda/conda-build".into(),
            version: "26.11.0".into(),
        },
    ];
    let (handle, _msgs) = run(
        probes,
        client(&sim, Some(PILOT_TOKEN)),
        log.clone(),
        Clock::Fixed(now),
        SchedulerOptions {
            once: true,
            ..SchedulerOptions::default()
        },
    );
    handle.join().await;
    let obs = observed(&log);
    let (_, at, link) = obs
        .iter()
        .find(|(f, _, _)| matches!(f, Fact::IssueFiled { number: 5501, .. }))
        .unwrap_or_else(|| {
            panic!(
                "the bug on conda-build, filed before the start:\n{}",
                dump(&obs)
            )
        });
    assert_eq!(*at, t("2026-11-11T09:00:00Z"), "the issue's own time");
    assert!(
        link.as_deref()
            .is_some_and(|l| l.ends_with("conda/conda-build/issues/5501")),
        "{link:?}"
    );
}
