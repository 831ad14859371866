//! The GitHub layer's writes and the reads the crew sync needs, over loopback:
//! against the simulated world, and against a tiny stub for what the sim does
//! not answer (editing an issue) and for faults a write must not retry.

mod github_support;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use flightdeck::github::{ClientOptions, GhError, GithubClient, RepoRef, Token};
use github_support::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    bodies: Arc<Mutex<Vec<String>>>,
    issue: Arc<Mutex<serde_json::Value>>,
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

// The sim does not answer `PATCH /repos/{o}/{r}/issues/{n}` yet: a stub that
// echoes a real issue payload (taken from the sim) with the new body.
#[tokio::test]
async fn an_issue_body_is_replaced() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = client(&sim, Some(PILOT_TOKEN));
    let issue = jane
        .create_issue(&conda(), "Release 26.11.0", "old")
        .await
        .expect("issue created");
    let state = Stub::default();
    *state.issue.lock().expect("lock") = serde_json::to_value(&issue).expect("an issue serializes");
    let router = Router::new()
        .route(
            "/repos/conda/conda/issues/{n}",
            patch(|State(s): State<Stub>, body: String| async move {
                s.calls.fetch_add(1, Ordering::SeqCst);
                s.bodies.lock().expect("lock").push(body.clone());
                let new: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let mut issue = s.issue.lock().expect("lock").clone();
                issue["body"] = new["body"].clone();
                (StatusCode::OK, axum::Json(issue))
            }),
        )
        .with_state(state.clone());
    let base = stub(router).await;
    let c = stub_client(&base, Duration::from_secs(10));
    let edited = c
        .edit_issue_body(&conda(), issue.number, "- [x] tagged")
        .await
        .expect("body replaced");
    assert_eq!(edited.body.as_deref(), Some("- [x] tagged"));
    assert_eq!(edited.number, issue.number);
    assert_eq!(state.calls.load(Ordering::SeqCst), 1);
    let sent = state.bodies.lock().expect("lock").clone();
    assert_eq!(sent, vec![r#"{"body":"- [x] tagged"}"#.to_string()]);
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
