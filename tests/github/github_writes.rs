//! The GitHub layer's writes and the reads the crew sync needs, over loopback:
//! against the simulated world (its limits and write faults included), and
//! against a tiny stub for a 502 and a slow write that must not be retried.

use crate::github_support;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use flightdeck::github::{ClientOptions, GhError, GithubClient, RepoRef, Token};
use github_support::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn conda() -> RepoRef {
    RepoRef::parse("conda/conda").expect("a repository")
}

/// Requests of one method whose path starts with `prefix`.
fn sent(sim: &flightdeck::sim::SimServer, method: &str, prefix: &str) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(prefix))
        .count()
}

#[tokio::test]
async fn the_crew_writes_its_issue_and_comments_and_reads_them_back_conditionally() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = client(&sim, Some(PILOT_TOKEN));
    let bob = client(&sim, Some("sim-copilot-token"));
    let repo = conda();

    assert_eq!(jane.user().await.expect("GET /user").login, "jane");
    assert_eq!(bob.user().await.expect("GET /user").login, "bob");

    let issue = jane
        .create_issue(&repo, "Release 26.11.0", "tracking")
        .await
        .expect("issue created");
    assert_eq!(issue.user.login, "jane");
    assert_eq!(issue.body.as_deref(), Some("tracking"));
    let quota = jane.quota().expect("a write reports the rate limit");

    let mine = jane
        .create_comment(&repo, issue.number, "pilot events 1")
        .await
        .expect("comment created");
    assert_eq!(mine.user.login, "jane");
    let edited = jane
        .edit_comment(&repo, mine.id, "pilot events 1+2")
        .await
        .expect("comment edited");
    assert_eq!(edited.id, mine.id);
    assert_eq!(edited.body.as_deref(), Some("pilot events 1+2"));
    let theirs = bob
        .create_comment(&repo, issue.number, "copilot events")
        .await
        .expect("bob comments");
    let after = jane.quota().expect("quota");
    assert!(
        after.remaining < quota.remaining,
        "writes spend the host's one budget: {quota:?} then {after:?}"
    );

    let listed = jane
        .list_comments(&repo, issue.number)
        .await
        .expect("comments listed");
    assert!(listed.changed);
    let seen: Vec<(&str, Option<&str>)> = listed
        .comments
        .iter()
        .map(|c| (c.user.login.as_str(), c.body.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("jane", Some("pilot events 1+2")),
            ("bob", Some("copilot events"))
        ]
    );

    // Nothing changed: the re-read is a 304, free, with the same comments.
    let before = jane.traffic();
    let again = jane
        .list_comments(&repo, issue.number)
        .await
        .expect("comments listed again");
    assert!(!again.changed, "an unchanged thread is reported unchanged");
    assert_eq!(again.comments.len(), 2);
    assert_eq!(jane.traffic().not_modified, before.not_modified + 1);

    jane.delete_comment(&repo, theirs.id)
        .await
        .expect("a maintainer deletes a comment");
    jane.delete_comment(&repo, theirs.id)
        .await
        .expect("a comment already gone is not an error");
    let listed = jane
        .list_comments(&repo, issue.number)
        .await
        .expect("comments listed");
    assert!(listed.changed, "a deletion is seen despite the ETag");
    assert_eq!(listed.comments.len(), 1);

    let missing = jane.list_comments(&repo, 999_999).await;
    assert!(matches!(missing, Err(GhError::Http { status: 404, .. })));
}

#[tokio::test]
async fn refused_writes_are_sent_once_with_a_clear_error_and_no_token() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = client(&sim, Some(PILOT_TOKEN));
    let sam = client(&sim, Some("sim-observer-token"));
    let anon = client(&sim, None);
    let repo = conda();
    let issue = jane
        .create_issue(&repo, "Release 26.11.0", "tracking")
        .await
        .expect("issue created");
    let c = jane
        .create_comment(&repo, issue.number, "pilot events")
        .await
        .expect("comment");

    let hijack = sam.edit_comment(&repo, c.id, "hijack").await;
    match &hijack {
        Err(GhError::Http { status: 403, .. }) => {}
        other => panic!("an observer may not edit the pilot's comment: {other:?}"),
    }
    assert_eq!(
        sent(&sim, "PATCH", "/repos/conda/conda/issues/comments/"),
        1
    );

    let too_long = jane
        .create_comment(&repo, issue.number, &"x".repeat(65_537))
        .await
        .expect_err("GitHub's 65,536-character limit");
    assert!(too_long.to_string().contains("422"), "{too_long}");

    let refused = anon
        .create_comment(&repo, issue.number, "hi")
        .await
        .expect_err("no token, no write");
    assert!(matches!(refused, GhError::Unauthorized { .. }), "{refused}");
    let text = format!("{hijack:?} {too_long} {refused}");
    assert!(!text.contains("sim-"), "no token in errors: {text}");
    // Every refusal was one request: nothing is retried.
    assert_eq!(
        sent(
            &sim,
            "POST",
            &format!("/repos/conda/conda/issues/{}/comments", issue.number)
        ),
        3
    );
    assert!(matches!(
        anon.user().await,
        Err(GhError::Unauthorized { .. })
    ));
}

#[derive(Clone, Default)]
struct Stub {
    calls: Arc<AtomicUsize>,
}

async fn stub(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

fn stub_client(base: &str, timeout: Duration) -> GithubClient {
    GithubClient::new(
        base,
        Token::new(PILOT_TOKEN),
        ClientOptions {
            timeout,
            ..ClientOptions::default()
        },
    )
    .expect("client")
}

#[tokio::test]
async fn an_issue_body_is_replaced_by_its_author_or_a_maintainer_only() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = client(&sim, Some(PILOT_TOKEN));
    let bob = client(&sim, Some("sim-copilot-token"));
    let sam = client(&sim, Some("sim-observer-token"));
    let issue = jane
        .create_issue(&conda(), "Release 26.11.0", "old")
        .await
        .expect("issue created");
    let edited = jane
        .edit_issue_body(&conda(), issue.number, "- [x] tagged")
        .await
        .expect("body replaced");
    assert_eq!(edited.body.as_deref(), Some("- [x] tagged"));
    assert_eq!(edited.number, issue.number);
    let edited = bob
        .edit_issue_body(&conda(), issue.number, "- [x] tagged\n- [x] published")
        .await
        .expect("a maintainer edits the pilot's issue");
    assert_eq!(edited.user.login, "jane", "the author stays the author");
    let refused = sam
        .edit_issue_body(&conda(), issue.number, "hijack")
        .await
        .expect_err("an observer may not edit it");
    assert!(
        matches!(refused, GhError::Http { status: 403, .. }),
        "{refused:?}"
    );
    let path = format!("/repos/conda/conda/issues/{}", issue.number);
    let patches = sim
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH" && r.path == path)
        .count();
    assert_eq!(patches, 3, "each edit is one request");
    let page = jane.get(&path).await.expect("the issue");
    let now: serde_json::Value = page.json().expect("json");
    assert_eq!(now["body"], "- [x] tagged\n- [x] published");
}

/// A world where the crew's writes meet GitHub's limits: two new comments a minute,
/// a 429 on issue #1's comments, and a lost reply on issue #2's.
const LIMITED: &str = r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[github]
writes_per_minute = 2

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[repos]]
name = "conda/conda"

[[happening]]
after = "-1h"
kind = "issue"
repo = "conda/conda"
number = 1
title = "Release 26.11.0"

[[happening]]
after = "-1h"
kind = "issue"
repo = "conda/conda"
number = 2
title = "Release 26.11.1"

[[happening]]
after = "-1h"
kind = "issue"
repo = "conda/conda"
number = 3
title = "Release 26.11.2"

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
path = "/repos/conda/conda/issues/2/"
"#;

#[tokio::test]
async fn writes_meeting_github_limits_are_sent_once_and_say_when_to_come_back() {
    let sim = start(scenario("limited", LIMITED), 1.0).await;
    let jane = client(&sim, Some(PILOT_TOKEN));
    let repo = conda();

    // 429 with retry-after: a secondary limit that says when.
    let e = jane
        .create_comment(&repo, 1, "events")
        .await
        .expect_err("429");
    assert!(
        matches!(e, GhError::SecondaryLimit { retry_after: Some(d), .. } if d == Duration::from_secs(30)),
        "{e:?}"
    );

    // The reply never comes: the write happened, and the error says it may have.
    let impatient = Arc::new(
        GithubClient::new(
            &sim.github_api(),
            Token::new(PILOT_TOKEN),
            ClientOptions {
                timeout: Duration::from_millis(500),
                ..ClientOptions::default()
            },
        )
        .expect("client"),
    );
    let e = impatient
        .create_comment(&repo, 2, "events")
        .await
        .expect_err("no reply");
    assert!(e.to_string().contains("may still have happened"), "{e}");
    let there = jane.list_comments(&repo, 2).await.expect("comments");
    assert_eq!(there.comments.len(), 1, "the lost reply's comment exists");

    // The per-minute limit on new content (2 here; 80 on GitHub): the third is refused.
    jane.create_comment(&repo, 3, "one")
        .await
        .expect("the lost reply's write counted: this is the second");
    let e = jane
        .create_comment(&repo, 3, "two")
        .await
        .expect_err("over the limit");
    assert!(
        matches!(
            e,
            GhError::SecondaryLimit {
                retry_after: Some(_),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains("sim-"), "no token in errors: {e}");
    let posts: Vec<usize> = (1..=3)
        .map(|n| {
            let path = format!("/repos/conda/conda/issues/{n}/comments");
            sim.requests()
                .iter()
                .filter(|r| r.method == "POST" && r.path == path)
                .count()
        })
        .collect();
    assert_eq!(
        posts,
        [1, 1, 2],
        "one request per write: nothing is retried"
    );
}

#[tokio::test]
async fn a_failed_or_slow_write_is_never_retried() {
    let state = Stub::default();
    let router = Router::new()
        .route(
            "/repos/conda/conda/issues/1/comments",
            post(|State(s): State<Stub>| async move {
                s.calls.fetch_add(1, Ordering::SeqCst);
                (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>")
            }),
        )
        .route(
            "/repos/conda/conda/issues/2/comments",
            post(|State(s): State<Stub>| async move {
                s.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(5)).await;
                StatusCode::CREATED
            }),
        )
        .with_state(state.clone());
    let base = stub(router).await;
    let c = stub_client(&base, Duration::from_millis(300));

    let e = c
        .create_comment(&conda(), 1, "events")
        .await
        .expect_err("a 502");
    assert!(matches!(e, GhError::Server { status: 502, .. }), "{e:?}");
    assert_eq!(
        state.calls.load(Ordering::SeqCst),
        1,
        "a 5xx is not retried"
    );

    let e = c
        .create_comment(&conda(), 2, "events")
        .await
        .expect_err("past the deadline");
    assert!(matches!(e, GhError::Transport { .. }), "{e:?}");
    assert!(e.to_string().contains("may still have happened"), "{e}");
    assert_eq!(
        state.calls.load(Ordering::SeqCst),
        2,
        "a timeout is not retried"
    );
}
