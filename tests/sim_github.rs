//! The simulated GitHub, read through octocrab's own models and raw HTTP.

mod sim_support;

use octocrab::models::{CombinedStatus, CommentId, StatusState};
use octocrab::params;
use serde_json::Value;
use sim_support::{fixture, get, header, http, octo, start};

/// A world with some history; speed 1 so nothing moves during a test.
fn world(extra: &str) -> String {
    format!(
        r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[github]
rate_limit = 20
unauthenticated_rate_limit = 5

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[tokens]]
token = "sim-copilot-token"
login = "bob"
role = "copilot"

[[tokens]]
token = "sim-observer-token"
login = "sam"
role = "observer"

[[repos]]
name = "conda/conda"

[[repos]]
name = "conda-forge/conda-feedstock"

[[happening]]
after = "-30d"
kind = "release_publish"
repo = "conda/conda"
tag = "26.9.0"
author = "jane"

[[happening]]
after = "-2h"
kind = "release_draft"
repo = "conda/conda"
tag = "26.11.0"
author = "jane"

[[happening]]
after = "-90m"
kind = "tag"
repo = "conda/conda"
tag = "26.11.0"
annotated = true
author = "jane"

[[happening]]
after = "-80m"
kind = "bot_pr"
repo = "conda-forge/conda-feedstock"
number = 250
package = "conda"
version = "26.11.0"
automerge = true

[[happening]]
after = "-70m"
kind = "ci"
repo = "conda-forge/conda-feedstock"
number = 250
state = "failure"

[[happening]]
after = "-60m"
kind = "pr_open"
repo = "conda-forge/conda-feedstock"
number = 251
title = "conda 26.11.0 (manual)"
author = "jane"
head = "bump-26.11.0"
head_owner = "jane"

[[happening]]
after = "-50m"
kind = "pr_merge"
repo = "conda-forge/conda-feedstock"
number = 251
by = "bob"

[[happening]]
after = "-50m"
kind = "pr_close"
repo = "conda-forge/conda-feedstock"
number = 250

[[happening]]
after = "-30m"
kind = "issue"
repo = "conda/conda"
number = 15401
title = "conda 26.11.0 breaks activate in fish"
body = "Since 26.11.0 `conda activate` fails."
labels = ["type::bug"]

[[happening]]
after = "-20m"
kind = "issue"
repo = "conda/conda"
title = "Docs typo"
body = "unrelated"
{extra}
"#
    )
}

#[tokio::test]
async fn sim_octocrab_reads_releases_tags_and_user() {
    let sim = start(&world("")).await;
    let gh = octo(&sim, Some("sim-pilot-token"));

    let me = gh
        .current()
        .user()
        .await
        .expect("GET /user deserializes as Author");
    assert_eq!(me.login, "jane");

    // The pilot is a maintainer: the draft is listed, newest first.
    let rels = gh
        .repos("conda", "conda")
        .releases()
        .list()
        .send()
        .await
        .expect("releases list");
    let tags: Vec<(&str, bool)> = rels
        .items
        .iter()
        .map(|r| (r.tag_name.as_str(), r.draft))
        .collect();
    assert_eq!(tags, vec![("26.11.0", true), ("26.9.0", false)]);

    let latest = gh
        .repos("conda", "conda")
        .releases()
        .get_latest()
        .await
        .expect("latest");
    assert_eq!(latest.tag_name, "26.9.0");
    assert_eq!(
        latest.html_url.as_str(),
        "https://github.com/conda/conda/releases/tag/26.9.0"
    );
    assert_eq!(
        latest.published_at.map(|t| t.to_rfc3339()),
        Some("2026-10-11T13:00:00+00:00".to_string())
    );
    // A draft is not reachable by tag.
    assert!(
        gh.repos("conda", "conda")
            .releases()
            .get_by_tag("26.11.0")
            .await
            .is_err()
    );

    // An observer does not see drafts.
    let sam = octo(&sim, Some("sim-observer-token"));
    let rels = sam
        .repos("conda", "conda")
        .releases()
        .list()
        .send()
        .await
        .expect("releases list");
    assert!(
        rels.items.iter().all(|r| !r.draft),
        "observer must not see drafts"
    );

    let tags = gh
        .repos("conda", "conda")
        .list_tags()
        .send()
        .await
        .expect("tags");
    let names: Vec<&str> = tags.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["26.11.0", "26.9.0"]);

    // Annotated tag: ref -> tag object -> tagger date is the push time.
    let r: Value = gh
        .get("/repos/conda/conda/git/ref/tags/26.11.0", None::<&()>)
        .await
        .expect("ref");
    assert_eq!(r["object"]["type"], "tag");
    let sha = r["object"]["sha"].as_str().expect("sha").to_string();
    let t: octocrab::models::repos::GitTag = gh
        .get(format!("/repos/conda/conda/git/tags/{sha}"), None::<&()>)
        .await
        .expect("git tag");
    assert_eq!(t.tag, "26.11.0");
    assert_eq!(
        t.tagger.and_then(|a| a.date).map(|d| d.to_rfc3339()),
        Some("2026-11-10T11:30:00+00:00".to_string())
    );
    let commit: octocrab::models::repos::RepoCommit = gh
        .get("/repos/conda/conda/commits/26.11.0", None::<&()>)
        .await
        .expect("commit by tag");
    assert_eq!(commit.sha.len(), 40);
}

#[tokio::test]
async fn sim_pull_requests_checks_and_status_match_octocrab_models() {
    let sim = start(&world("")).await;
    let gh = octo(&sim, Some("sim-pilot-token"));
    let pulls = gh
        .pulls("conda-forge", "conda-feedstock")
        .list()
        .state(params::State::All)
        .send()
        .await
        .expect("pulls list");
    assert_eq!(pulls.items.len(), 2);
    let bot = gh
        .pulls("conda-forge", "conda-feedstock")
        .get(250)
        .await
        .expect("pull 250");
    assert_eq!(bot.title.as_deref(), Some("[bot-automerge] conda v26.11.0"));
    assert_eq!(
        bot.user.as_ref().map(|u| u.login.as_str()),
        Some("regro-cf-autotick-bot")
    );
    assert!(
        bot.head.ref_field.starts_with("26.11.0_h"),
        "bot head branch: {}",
        bot.head.ref_field
    );
    assert_eq!(bot.head.ref_field.len(), "26.11.0_h".len() + 6);
    assert_eq!(
        bot.head.label.as_deref(),
        Some(format!("regro-cf-autotick-bot:{}", bot.head.ref_field).as_str())
    );
    assert!(bot.merged_at.is_none());
    assert!(bot.closed_at.is_some(), "superseded bot PR is closed");
    assert_eq!(
        bot.html_url.as_ref().map(|u| u.as_str()),
        Some("https://github.com/conda-forge/conda-feedstock/pull/250")
    );

    let human = gh
        .pulls("conda-forge", "conda-feedstock")
        .get(251)
        .await
        .expect("pull 251");
    assert_eq!(
        human.merged_at.map(|t| t.to_rfc3339()),
        Some("2026-11-10T12:10:00+00:00".into())
    );

    // Filter by head, as a probe looking for a branch would.
    let by_head = gh
        .pulls("conda-forge", "conda-feedstock")
        .list()
        .state(params::State::All)
        .head("jane:bump-26.11.0")
        .send()
        .await
        .expect("filtered list");
    assert_eq!(
        by_head.items.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![251]
    );

    let runs = gh
        .checks("conda-forge", "conda-feedstock")
        .list_check_runs_for_git_ref(params::repos::Commitish(bot.head.sha.clone()))
        .send()
        .await
        .expect("check runs");
    assert_eq!(runs.total_count, 3);
    let conclusions: Vec<Option<&str>> = runs
        .check_runs
        .iter()
        .map(|c| c.conclusion.as_deref())
        .collect();
    assert_eq!(
        conclusions,
        vec![Some("failure"), Some("success"), Some("success")]
    );

    let status: CombinedStatus = gh
        .get(
            format!(
                "/repos/conda-forge/conda-feedstock/commits/{}/status",
                bot.head.sha
            ),
            None::<&()>,
        )
        .await
        .expect("combined status");
    assert_eq!(status.state, StatusState::Failure);
    assert_eq!(status.total_count, 3);
}

#[tokio::test]
async fn sim_search_issues_and_comment_round_trip() {
    let sim = start(&world("")).await;
    let gh = octo(&sim, Some("sim-pilot-token"));
    let found = gh
        .search()
        .issues_and_pull_requests(
            "repo:conda/conda is:issue created:>=2026-11-10T12:00:00Z 26.11.0",
        )
        .send()
        .await
        .expect("search");
    let numbers: Vec<u64> = found.items.iter().map(|i| i.number).collect();
    assert_eq!(
        numbers,
        vec![15401],
        "only the issue mentioning the version"
    );
    let none = gh
        .search()
        .issues_and_pull_requests("repo:conda/conda is:issue created:>2026-11-10T12:45:00Z 26.11.0")
        .send()
        .await
        .expect("search");
    assert!(none.items.is_empty());
    let prs = gh
        .search()
        .issues_and_pull_requests("repo:conda-forge/conda-feedstock is:pr conda v26.11.0")
        .send()
        .await
        .expect("search prs");
    assert_eq!(prs.items.len(), 1);
    assert!(prs.items[0].pull_request.is_some());

    // Create an issue and comments, edit with POST (octocrab's way) and delete.
    let issues = gh.issues("conda", "conda");
    let created = issues
        .create("Release 26.11.0 timeline")
        .body("tracking")
        .send()
        .await
        .expect("create issue");
    assert_eq!(created.user.login, "jane");
    assert_eq!(created.number, 15403);
    let c = issues
        .create_comment(created.number, "pilot events 1")
        .await
        .expect("comment");
    assert_eq!(c.user.login, "jane");
    assert!(
        c.html_url
            .as_str()
            .starts_with("https://github.com/conda/conda/issues/15403#issuecomment-")
    );
    let edited = issues
        .update_comment(c.id, "pilot events 1+2")
        .await
        .expect("update via POST");
    assert_eq!(edited.body.as_deref(), Some("pilot events 1+2"));

    // The co-pilot is a maintainer too; an observer may not edit the pilot's comment.
    let sam = octo(&sim, Some("sim-observer-token"));
    assert!(
        sam.issues("conda", "conda")
            .update_comment(c.id, "hijack")
            .await
            .is_err()
    );
    let bob = octo(&sim, Some("sim-copilot-token"));
    let bc = bob
        .issues("conda", "conda")
        .create_comment(created.number, "copilot events")
        .await
        .expect("bob comments");

    let listed = issues
        .list_comments(created.number)
        .send()
        .await
        .expect("list comments");
    let authors: Vec<(&str, Option<&str>)> = listed
        .items
        .iter()
        .map(|c| (c.user.login.as_str(), c.body.as_deref()))
        .collect();
    assert_eq!(
        authors,
        vec![
            ("jane", Some("pilot events 1+2")),
            ("bob", Some("copilot events"))
        ]
    );

    issues
        .delete_comment(CommentId(bc.id.0))
        .await
        .expect("delete");
    let listed = issues
        .list_comments(created.number)
        .send()
        .await
        .expect("list comments");
    assert_eq!(listed.items.len(), 1);

    // Comments are capped at 65,536 characters, as on GitHub.
    let long = "x".repeat(65_537);
    assert!(issues.create_comment(created.number, long).await.is_err());

    // Unauthenticated writes are refused.
    let anon = octo(&sim, None);
    assert!(
        anon.issues("conda", "conda")
            .create_comment(created.number, "hi")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn sim_replies_carry_the_fixture_keys() {
    let sim = start(&world("")).await;
    let client = http();
    let base = sim.github_api();
    let fetch = |path: String| {
        let client = client.clone();
        async move {
            let r = get(&client, &path, Some("sim-pilot-token"), &[]).await;
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.expect("json")
        }
    };
    fn missing(fixture: &Value, ours: &Value) -> Vec<String> {
        let (Some(f), Some(o)) = (fixture.as_object(), ours.as_object()) else {
            return vec!["not an object".into()];
        };
        f.keys().filter(|k| !o.contains_key(*k)).cloned().collect()
    }

    let release = fetch(format!("{base}/repos/conda/conda/releases/tags/26.9.0")).await;
    assert_eq!(
        missing(&fixture("github/repos_releases_get_by_tag.json"), &release),
        Vec::<String>::new()
    );
    assert_eq!(
        missing(
            &fixture("github/repos_releases_get_by_tag.json")["author"],
            &release["author"]
        ),
        Vec::<String>::new()
    );

    let pulls = fetch(format!(
        "{base}/repos/conda-forge/conda-feedstock/pulls?state=all"
    ))
    .await;
    let fx = fixture("github/pull_requests_list.json");
    assert_eq!(missing(&fx[0], &pulls[0]), Vec::<String>::new());
    assert_eq!(
        missing(&fx[0]["head"], &pulls[0]["head"]),
        Vec::<String>::new()
    );
    assert_eq!(
        missing(&fx[0]["_links"], &pulls[0]["_links"]),
        Vec::<String>::new()
    );

    let sha = pulls[1]["head"]["sha"].as_str().expect("sha").to_string();
    let runs = fetch(format!(
        "{base}/repos/conda-forge/conda-feedstock/commits/{sha}/check-runs"
    ))
    .await;
    let fx = fixture("github/commit_check_runs.json");
    assert_eq!(missing(&fx, &runs), Vec::<String>::new());
    let mut want = missing(&fx["check_runs"][0], &runs["check_runs"][0]);
    want.retain(|k| k != "app" || runs["check_runs"][0].get("app").is_none());
    assert_eq!(want, Vec::<String>::new());

    let user = fetch(format!("{base}/user")).await;
    let fx = fixture("github/user_data.json");
    let mut gaps = missing(&fx, &user);
    // Profile details we do not simulate.
    gaps.retain(|k| {
        ![
            "company",
            "blog",
            "location",
            "email",
            "hireable",
            "bio",
            "twitter_username",
            "public_gists",
        ]
        .contains(&k.as_str())
    });
    assert_eq!(gaps, Vec::<String>::new());

    let issue = fetch(format!("{base}/repos/conda/conda/issues/15401")).await;
    let ev = fixture("github/issue_comment_event.json");
    let mut gaps = missing(&ev["payload"]["issue"], &issue);
    gaps.retain(|k| k != "performed_via_github_app" && k != "reactions" && k != "timeline_url");
    assert_eq!(gaps, Vec::<String>::new());
}

#[tokio::test]
async fn sim_pagination_follows_link_headers() {
    let mut extra = String::new();
    for i in 0..35 {
        extra.push_str(&format!(
            "\n[[happening]]\nafter = \"-{m}m\"\nkind = \"issue\"\nrepo = \"conda/conda\"\ntitle = \"filler {i}\"\n",
            m = 300 - i
        ));
    }
    let sim = start(&world(&extra)).await;
    let gh = octo(&sim, Some("sim-pilot-token"));
    let first = gh
        .issues("conda", "conda")
        .list()
        .per_page(10)
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 10);
    assert!(first.next.is_some());
    // 35 fillers + 2 issues = 37 → 4 pages of 10.
    assert_eq!(first.number_of_pages(), Some(4));
    let all = gh.all_pages(first).await.expect("all pages");
    assert_eq!(all.len(), 37);
    // Newest first, no duplicates.
    let mut numbers: Vec<u64> = all.iter().map(|i| i.number).collect();
    numbers.dedup();
    assert_eq!(numbers.len(), 37);

    let client = http();
    let r = get(
        &client,
        &format!(
            "{}/repos/conda/conda/issues?per_page=10&page=2",
            sim.github_api()
        ),
        Some("sim-pilot-token"),
        &[],
    )
    .await;
    let link = header(&r, "link");
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    assert!(link.contains("page=4>; rel=\"last\""), "{link}");
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
}

#[tokio::test]
async fn sim_etag_304_and_quota_accounting() {
    let sim = start(&world("")).await;
    let client = http();
    let url = format!("{}/repos/conda/conda/releases", sim.github_api());

    // Authorized: the 304 is free and repeats the ETag.
    let r = get(&client, &url, Some("sim-pilot-token"), &[]).await;
    assert_eq!(r.status(), 200);
    let etag = header(&r, "etag");
    assert!(!etag.is_empty());
    assert_eq!(header(&r, "x-ratelimit-limit"), "20");
    assert_eq!(header(&r, "x-ratelimit-remaining"), "19");
    assert_eq!(header(&r, "x-ratelimit-resource"), "core");
    for _ in 0..3 {
        let r = get(
            &client,
            &url,
            Some("sim-pilot-token"),
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(r.status(), 304);
        assert_eq!(header(&r, "etag"), etag, "a 304 repeats the ETag");
        assert_eq!(
            header(&r, "x-ratelimit-remaining"),
            "19",
            "an authorized 304 is not counted"
        );
    }
    // ETags are tied to the token: bob's copy of the same body has another ETag.
    let r = get(
        &client,
        &url,
        Some("sim-copilot-token"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_ne!(header(&r, "etag"), etag);
    assert_eq!(
        header(&r, "x-ratelimit-remaining"),
        "19",
        "bob has his own quota"
    );

    // Unauthenticated: 304s still count, and 60/h becomes 5 here.
    let r = get(&client, &url, None, &[]).await;
    let anon_etag = header(&r, "etag");
    assert_eq!(header(&r, "x-ratelimit-remaining"), "4");
    let r = get(&client, &url, None, &[("if-none-match", &anon_etag)]).await;
    assert_eq!(r.status(), 304);
    assert_eq!(
        header(&r, "x-ratelimit-remaining"),
        "3",
        "an unauthenticated 304 counts"
    );
    for _ in 0..3 {
        get(&client, &url, None, &[]).await;
    }
    let r = get(&client, &url, None, &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    let body: Value = r.json().await.expect("json error");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("rate limit exceeded")
    );
    // The pilot is unaffected, and /rate_limit is free.
    let r = get(
        &client,
        &format!("{}/rate_limit", sim.github_api()),
        Some("sim-pilot-token"),
        &[],
    )
    .await;
    let rl: octocrab::models::RateLimit = r.json().await.expect("rate limit model");
    assert_eq!(rl.resources.core.remaining, 19);
    let log = sim.requests();
    assert!(
        log.iter()
            .any(|r| r.status == 304 && r.login.as_deref() == Some("jane") && !r.counted)
    );
    assert!(
        log.iter()
            .any(|r| r.status == 304 && r.login.is_none() && r.counted)
    );

    // Unknown token: 401 with GitHub's body.
    let r = get(&client, &url, Some("nope"), &[]).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json error");
    assert_eq!(body["message"], "Bad credentials");
    assert!(body["documentation_url"].is_string());
}

#[tokio::test(start_paused = true)]
async fn sim_quota_resets_after_the_hour() {
    let sim = start(&world("")).await;
    let client = http();
    let url = format!("{}/repos/conda/conda/tags", sim.github_api());
    for _ in 0..5 {
        get(&client, &url, None, &[]).await;
    }
    let r = get(&client, &url, None, &[]).await;
    assert_eq!(r.status(), 403);
    let reset: i64 = header(&r, "x-ratelimit-reset")
        .parse()
        .expect("reset is a number");
    assert!(reset > sim.clock().timestamp());
    // Speed 1: an hour of real (paused) time later the quota is back.
    tokio::time::advance(std::time::Duration::from_secs(3601)).await;
    let r = get(&client, &url, None, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-ratelimit-remaining"), "4");
}
