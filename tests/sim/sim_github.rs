//! The simulated GitHub, read through octocrab's own models and raw HTTP.

use crate::sim_support;

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

// ---------------------------------------------------------------------------
// What the crew's GitHub transport needs: issue edits, permissions, authorship,
// the secondary rate limit on writes, write faults, and strangers' comments.

/// A small world for the crew's writes: jane (pilot) and bob (co-pilot) maintain
/// conda/conda, sam (observer) and eve (stranger) do not; issue #1 is jane's tracking issue.
fn crew_world(github: &str, extra: &str) -> String {
    format!(
        r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[github]
{github}

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

[[tokens]]
token = "sim-eve-token"
login = "eve"
role = "observer"

[[repos]]
name = "conda/conda"

[[happening]]
after = "-1h"
kind = "issue"
repo = "conda/conda"
number = 1
title = "Release conda 26.11.0"
author = "jane"
body = "tracking"

[[happening]]
after = "-50m"
kind = "comment"
repo = "conda/conda"
number = 1
author = "jane"
body = "pilot events"
{extra}
"#
    )
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let mut rb = client.request(method, url);
    if let Some(t) = token {
        rb = rb.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    rb.send().await.expect("request reaches the sim")
}

#[tokio::test]
async fn sim_issue_edits_follow_github_permissions() {
    let sim = start(&crew_world("", "")).await;
    let client = http();
    let api = sim.github_api();
    let patch = reqwest::Method::PATCH;
    let post = reqwest::Method::POST;

    // A stranger opens an issue: authored by the token's login, dated by the world's clock.
    let r = send(
        &client,
        post.clone(),
        &format!("{api}/repos/conda/conda/issues"),
        Some("sim-observer-token"),
        Some(serde_json::json!({"title": "a question", "body": "hi"})),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert!(
        header(&r, "date").starts_with("Tue, 10 Nov 2026 13:0"),
        "the Date header is the world's clock: {}",
        header(&r, "date")
    );
    let issue: Value = r.json().await.expect("issue json");
    assert_eq!(issue["user"]["login"], "sam");
    assert!(
        issue["created_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-10T13:0")),
        "{}",
        issue["created_at"]
    );
    let n = issue["number"].as_u64().expect("a number");
    let own = format!("{api}/repos/conda/conda/issues/{n}");
    let tracking = format!("{api}/repos/conda/conda/issues/1");

    // The author may edit their own issue …
    let r = send(
        &client,
        patch.clone(),
        &own,
        Some("sim-observer-token"),
        Some(serde_json::json!({"body": "edited by sam", "title": "a better question"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("issue json");
    assert_eq!(v["body"], "edited by sam");
    assert_eq!(v["title"], "a better question");
    // … but not someone else's: that needs write access.
    let r = send(
        &client,
        patch.clone(),
        &tracking,
        Some("sim-observer-token"),
        Some(serde_json::json!({"body": "hijack"})),
    )
    .await;
    assert_eq!(r.status(), 403);
    // A maintainer may edit and close anyone's issue; the octocrab model reads the reply.
    let r = send(
        &client,
        patch.clone(),
        &own,
        Some("sim-copilot-token"),
        Some(serde_json::json!({"state": "closed"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let closed: octocrab::models::issues::Issue = r.json().await.expect("octocrab's Issue");
    assert_eq!(closed.state, octocrab::models::IssueState::Closed);
    assert!(closed.closed_at.is_some());
    assert_eq!(closed.body.as_deref(), Some("edited by sam"));
    // The pilot's tracking-issue body, through octocrab's own update call.
    let gh = octo(&sim, Some("sim-pilot-token"));
    let updated = gh
        .issues("conda", "conda")
        .update(1)
        .body("- [x] tag")
        .send()
        .await
        .expect("octocrab updates the issue");
    assert_eq!(updated.body.as_deref(), Some("- [x] tag"));

    // Unknown issue, a body over 65,536 characters, no token, a bad state.
    let r = send(
        &client,
        patch.clone(),
        &format!("{api}/repos/conda/conda/issues/999"),
        Some("sim-pilot-token"),
        Some(serde_json::json!({"body": "x"})),
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = send(
        &client,
        patch.clone(),
        &tracking,
        Some("sim-pilot-token"),
        Some(serde_json::json!({"body": "x".repeat(65_537)})),
    )
    .await;
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.expect("json error");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("65536"))
    );
    let r = send(
        &client,
        patch.clone(),
        &tracking,
        None,
        Some(serde_json::json!({"body": "x"})),
    )
    .await;
    assert_eq!(r.status(), 401);
    let r = send(
        &client,
        patch.clone(),
        &tracking,
        Some("sim-pilot-token"),
        Some(serde_json::json!({"state": "merged"})),
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = get(&client, &tracking, None, &[]).await;
    let v: Value = r.json().await.expect("issue");
    assert_eq!(v["body"], "- [x] tag", "refused edits changed nothing");

    // Someone else's comment: 403 for a non-maintainer, unauthenticated 401.
    let comments = format!("{api}/repos/conda/conda/issues/1/comments");
    let list: Value = get(&client, &comments, None, &[])
        .await
        .json()
        .await
        .expect("comments");
    let id = list[0]["id"].as_u64().expect("jane's comment");
    let comment = format!("{api}/repos/conda/conda/issues/comments/{id}");
    let body = Some(serde_json::json!({"body": "hijack"}));
    let r = send(
        &client,
        patch.clone(),
        &comment,
        Some("sim-eve-token"),
        body.clone(),
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = send(
        &client,
        reqwest::Method::DELETE,
        &comment,
        Some("sim-eve-token"),
        None,
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = send(&client, patch.clone(), &comment, None, body).await;
    assert_eq!(r.status(), 401);

    // The repository tells each caller what they may do.
    let repo = format!("{api}/repos/conda/conda");
    let perms = |v: Value| v["permissions"].clone();
    let jane = perms(
        get(&client, &repo, Some("sim-pilot-token"), &[])
            .await
            .json()
            .await
            .expect("repo"),
    );
    assert_eq!(jane["push"], true);
    assert_eq!(jane["pull"], true);
    let eve = perms(
        get(&client, &repo, Some("sim-eve-token"), &[])
            .await
            .json()
            .await
            .expect("repo"),
    );
    assert_eq!(eve["push"], false);
    assert_eq!(eve["triage"], false);
    assert_eq!(eve["pull"], true);
    let anon: Value = get(&client, &repo, None, &[])
        .await
        .json()
        .await
        .expect("repo");
    assert!(
        anon.get("permissions").is_none(),
        "anonymous callers get no permissions"
    );
}

#[tokio::test(start_paused = true)]
async fn sim_secondary_rate_limit_on_content_writes() {
    let sim = start(&crew_world(
        "writes_per_minute = 3\nwrites_per_hour = 5",
        "",
    ))
    .await;
    let client = http();
    let url = format!("{}/repos/conda/conda/issues/1/comments", sim.github_api());
    let post = |token: &'static str, body: &'static str| {
        send(
            &client,
            reqwest::Method::POST,
            &url,
            Some(token),
            Some(serde_json::json!({ "body": body })),
        )
    };
    for _ in 0..3 {
        assert_eq!(post("sim-pilot-token", "events").await.status(), 201);
    }
    let r = post("sim-pilot-token", "one too many").await;
    assert_eq!(r.status(), 403);
    let retry: u64 = header(&r, "retry-after")
        .parse()
        .expect("retry-after seconds");
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    let v: Value = r.json().await.expect("json error");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("You have exceeded a secondary rate limit")),
        "{v}"
    );
    // The limit is per login: bob still writes.
    assert_eq!(post("sim-copilot-token", "bob's").await.status(), 201);
    // Reads are not content writes.
    let r = get(&client, &url, Some("sim-pilot-token"), &[]).await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.expect("comments");
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(5),
        "the refused write wrote nothing"
    );

    // After retry-after (speed 1: sim seconds are real seconds) the pilot writes again …
    tokio::time::advance(std::time::Duration::from_secs(retry)).await;
    assert_eq!(post("sim-pilot-token", "later").await.status(), 201);
    assert_eq!(post("sim-pilot-token", "later").await.status(), 201);
    // … until the hourly limit (5) is reached.
    tokio::time::advance(std::time::Duration::from_secs(61)).await;
    let r = post("sim-pilot-token", "sixth").await;
    assert_eq!(r.status(), 403);
    let retry: u64 = header(&r, "retry-after")
        .parse()
        .expect("retry-after seconds");
    assert!(retry > 60, "the hourly window waits longer: {retry}");
}

#[tokio::test]
async fn sim_write_faults_answer_429_or_never() {
    let faults = r#"
[[fault]]
kind = "too_many_requests"
after = "-1m"
duration = "1h"
path = "/repos/conda/conda/issues/1/"
retry_after = 30

[[fault]]
kind = "lost_reply"
after = "-1m"
duration = "1h"
path = "/repos/conda/conda/issues/comments/"
"#;
    let sim = start(&crew_world("", faults)).await;
    let client = http();
    let api = sim.github_api();
    let comments = format!("{api}/repos/conda/conda/issues/1/comments");

    // A write under the 429 fault: retry-after, nothing written; reads pass.
    let r = send(
        &client,
        reqwest::Method::POST,
        &comments,
        Some("sim-pilot-token"),
        Some(serde_json::json!({"body": "events"})),
    )
    .await;
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "retry-after"), "30");
    let r = get(&client, &comments, Some("sim-pilot-token"), &[]).await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.expect("comments");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let id = list[0]["id"].as_u64().expect("jane's comment");

    // A write under the lost-reply fault: the client times out, yet the edit happened.
    let impatient = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .expect("client builds");
    let edit = impatient
        .patch(format!("{api}/repos/conda/conda/issues/comments/{id}"))
        .header("authorization", "Bearer sim-pilot-token")
        .json(&serde_json::json!({"body": "pilot events, edited"}))
        .send()
        .await;
    assert!(edit.is_err_and(|e| e.is_timeout()), "no reply ever came");
    let r = get(
        &client,
        &format!("{api}/repos/conda/conda/issues/comments/{id}"),
        Some("sim-pilot-token"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 200, "reads of the same path are not caught");
    let v: Value = r.json().await.expect("comment");
    assert_eq!(v["body"], "pilot events, edited");
    let log = sim.requests();
    let lost = log
        .iter()
        .find(|r| r.method == "PATCH")
        .expect("the PATCH is in the request log");
    assert_eq!(lost.status, 0, "logged as sent nothing");
}

#[tokio::test(start_paused = true)]
async fn sim_strangers_comment_edit_and_delete_by_happening() {
    let happenings = r#"
[[happening]]
after = "10m"
kind = "comment"
repo = "conda/conda"
number = 1
author = "eve"
body = "is this out yet?"

[[happening]]
after = "20m"
kind = "comment_edit"
repo = "conda/conda"
number = 1
author = "jane"
body = "pilot events (rewritten)"

[[happening]]
after = "30m"
kind = "comment_delete"
repo = "conda/conda"
number = 1
author = "eve"
"#;
    let sim = start(&crew_world("", happenings)).await;
    let client = http();
    let url = format!("{}/repos/conda/conda/issues/1/comments", sim.github_api());
    let read = |etag: String| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let r = get(
                &client,
                &url,
                Some("sim-copilot-token"),
                &[("if-none-match", etag.as_str())],
            )
            .await;
            let status = r.status().as_u16();
            let etag = header(&r, "etag");
            let body: Value = if status == 200 {
                r.json().await.expect("comments")
            } else {
                Value::Null
            };
            (status, etag, body)
        }
    };
    let (status, etag, body) = read(String::new()).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(1));
    // Unchanged: 304, and free.
    let (status, same, _) = read(etag.clone()).await;
    assert_eq!((status, same.as_str()), (304, etag.as_str()));
    assert!(sim.requests().last().is_some_and(|r| !r.counted));

    tokio::time::advance(std::time::Duration::from_secs(600)).await;
    let (status, etag2, body) = read(etag.clone()).await;
    assert_eq!(status, 200, "a stranger's comment changes the list");
    assert_ne!(etag2, etag);
    let authors: Vec<&str> = body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["user"]["login"].as_str())
        .collect();
    assert_eq!(authors, ["jane", "eve"]);

    tokio::time::advance(std::time::Duration::from_secs(600)).await;
    let (status, etag3, body) = read(etag2.clone()).await;
    assert_eq!(status, 200, "an edit changes the list");
    assert_eq!(body[0]["body"], "pilot events (rewritten)");
    assert_ne!(body[0]["updated_at"], body[0]["created_at"]);

    tokio::time::advance(std::time::Duration::from_secs(600)).await;
    let (status, _, body) = read(etag3).await;
    assert_eq!(status, 200, "a deletion changes the list");
    assert_eq!(body.as_array().map(Vec::len), Some(1));
    assert_eq!(body[0]["user"]["login"], "jane");
    assert!(sim.notes().is_empty(), "{:?}", sim.notes());
}

#[tokio::test]
async fn sim_comment_lists_paginate_and_revalidate_per_page() {
    let mut extra = String::new();
    for i in 0..24 {
        extra.push_str(&format!(
            "\n[[happening]]\nafter = \"-{m}m\"\nkind = \"comment\"\nrepo = \"conda/conda\"\nnumber = 1\nauthor = \"bob\"\nbody = \"copilot {i}\"\n",
            m = 40 - i
        ));
    }
    let sim = start(&crew_world("", &extra)).await;
    let client = http();
    let url = format!(
        "{}/repos/conda/conda/issues/1/comments?per_page=10",
        sim.github_api()
    );
    let r = get(&client, &url, Some("sim-pilot-token"), &[]).await;
    let link = header(&r, "link");
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    let page1: Value = r.json().await.expect("page 1");
    assert_eq!(
        page1[0]["body"], "pilot events",
        "oldest first, as on GitHub"
    );
    let r = get(
        &client,
        &format!("{url}&page=3"),
        Some("sim-pilot-token"),
        &[],
    )
    .await;
    let etag = header(&r, "etag");
    let page3: Value = r.json().await.expect("page 3");
    assert_eq!(
        page3.as_array().map(Vec::len),
        Some(5),
        "25 comments: 10 + 10 + 5"
    );
    assert_eq!(page3[4]["body"], "copilot 23");
    let r = get(
        &client,
        &format!("{url}&page=3"),
        Some("sim-pilot-token"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status(), 304);
    // octocrab walks every page.
    let gh = octo(&sim, Some("sim-pilot-token"));
    let first = gh
        .issues("conda", "conda")
        .list_comments(1)
        .per_page(10)
        .send()
        .await
        .expect("page 1");
    let all = gh.all_pages(first).await.expect("all pages");
    assert_eq!(all.len(), 25);
}
