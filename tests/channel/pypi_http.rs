//! The PyPI probe against a small loopback server that answers like PyPI's JSON API (and, on
//! purpose, like a broken one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode, Uri};
use flightdeck::probe::pypi::{PypiChecker, PypiOptions, PypiQuery, PypiStatus, normalize_name};

/// One canned answer.
#[derive(Clone)]
struct Canned {
    status: u16,
    body: Vec<u8>,
    etag: Option<String>,
    delay: Duration,
}

#[derive(Default)]
struct Server {
    routes: Mutex<HashMap<String, Canned>>,
    /// Every request seen: (path, If-None-Match).
    log: Mutex<Vec<(String, Option<String>)>>,
}

impl Server {
    fn set(&self, path: &str, canned: Canned) {
        self.routes
            .lock()
            .expect("lock")
            .insert(path.to_owned(), canned);
    }
    fn log(&self) -> Vec<(String, Option<String>)> {
        self.log.lock().expect("lock").clone()
    }
}

async fn answer(State(server): State<Arc<Server>>, uri: Uri, headers: HeaderMap) -> Response<Body> {
    let inm = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    server
        .log
        .lock()
        .expect("lock")
        .push((uri.path().to_owned(), inm.clone()));
    let canned = server.routes.lock().expect("lock").get(uri.path()).cloned();
    let Some(canned) = canned else {
        return Response::builder()
            .status(404)
            .body(Body::from("Not Found"))
            .expect("response");
    };
    tokio::time::sleep(canned.delay).await;
    let mut builder = Response::builder();
    if let Some(etag) = &canned.etag {
        builder = builder.header("etag", etag);
        if inm.as_deref() == Some(etag.as_str()) && canned.status == 200 {
            return builder.status(304).body(Body::empty()).expect("response");
        }
    }
    builder
        .status(StatusCode::from_u16(canned.status).expect("status"))
        .header("content-type", "application/json")
        .body(Body::from(canned.body))
        .expect("response")
}

async fn start() -> (Arc<Server>, String) {
    let server = Arc::new(Server::default());
    let app = Router::new().fallback(answer).with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (server, format!("http://{addr}"))
}

fn checker(base: &str, timeout: Duration) -> PypiChecker {
    let mut options = PypiOptions::with_base_url(base).expect("base url");
    options.request_timeout = timeout;
    PypiChecker::with_options(options).expect("checker")
}

/// A JSON API answer shaped like pypi.org's (trimmed to what matters, plus noise).
fn release_json(yanked: bool, reason: Option<&str>) -> Vec<u8> {
    serde_json::json!({
        "info": {
            "name": "conda-store", "version": "2025.11.0", "summary": "…",
            "release_url": "https://pypi.org/project/conda-store/2025.11.0/",
            "yanked": yanked, "yanked_reason": reason
        },
        "last_serial": 123,
        "urls": [
            {
                "filename": "conda_store-2025.11.0.tar.gz",
                "url": "https://files.pythonhosted.org/packages/aa/bb/conda_store-2025.11.0.tar.gz",
                "packagetype": "sdist", "size": 52000,
                "upload_time": "2025-11-04T15:02:11",
                "upload_time_iso_8601": "2025-11-04T15:02:11.123456Z",
                "yanked": yanked, "yanked_reason": reason,
                "digests": {"sha256": "00"}
            },
            {
                "filename": "conda_store-2025.11.0-py3-none-any.whl",
                "url": "https://files.pythonhosted.org/packages/cc/dd/conda_store-2025.11.0-py3-none-any.whl",
                "packagetype": "bdist_wheel", "size": 61000,
                "upload_time": "2025-11-04T15:01:58",
                "upload_time_iso_8601": "2025-11-04T15:01:58.654321Z",
                "yanked": yanked, "yanked_reason": reason,
                "digests": {"sha256": "11"}
            }
        ],
        "vulnerabilities": []
    })
    .to_string()
    .into_bytes()
}

const PATH: &str = "/pypi/conda-store/2025.11.0/json";

fn ok(body: Vec<u8>, etag: &str) -> Canned {
    Canned {
        status: 200,
        body,
        etag: Some(etag.to_owned()),
        delay: Duration::ZERO,
    }
}

fn query() -> PypiQuery {
    PypiQuery::new("conda-store", "2025.11.0").expect("valid")
}

#[tokio::test]
async fn pypi_not_uploaded_yet_is_not_yet() {
    let (_server, base) = start().await;
    let report = checker(&base, Duration::from_secs(5)).check(&query()).await;
    assert_eq!(report.status, PypiStatus::NotYet);
    assert_eq!(report.api_url.path(), PATH);
}

#[tokio::test]
async fn pypi_uploaded_release_reports_earliest_upload_and_files() {
    let (server, base) = start().await;
    server.set(PATH, ok(release_json(false, None), "\"v1\""));
    let report = checker(&base, Duration::from_secs(5)).check(&query()).await;
    match &report.status {
        PypiStatus::Uploaded {
            uploaded_at,
            release_url,
            files,
            yanked,
            ..
        } => {
            assert_eq!(
                uploaded_at.to_rfc3339(),
                "2025-11-04T15:01:58.654321+00:00",
                "the wheel went up first"
            );
            assert_eq!(
                release_url.as_str(),
                "https://pypi.org/project/conda-store/2025.11.0/"
            );
            assert_eq!(files.len(), 2);
            assert_eq!(files[0].filename, "conda_store-2025.11.0-py3-none-any.whl");
            assert!(!yanked);
        }
        other => panic!("expected uploaded, got {other:?}"),
    }
}

#[tokio::test]
async fn pypi_repeat_poll_is_a_304_that_moves_no_body() {
    let (server, base) = start().await;
    server.set(PATH, ok(release_json(false, None), "\"v1\""));
    let pypi = checker(&base, Duration::from_secs(5));
    let first = pypi.check(&query()).await;
    let after_first = pypi.traffic();
    let second = pypi.check(&query()).await;
    let after_second = pypi.traffic();

    assert_eq!(
        first.status, second.status,
        "same answer, first_seen included"
    );
    assert_eq!(after_second.requests, 2);
    assert_eq!(after_second.not_modified, 1);
    assert_eq!(
        after_second.body_bytes, after_first.body_bytes,
        "a repeat poll moves no body"
    );
    let log = server.log();
    assert_eq!(log[1].1.as_deref(), Some("\"v1\""), "sent If-None-Match");
}

#[tokio::test]
async fn pypi_yank_is_seen_on_the_next_poll() {
    let (server, base) = start().await;
    server.set(PATH, ok(release_json(false, None), "\"v1\""));
    let pypi = checker(&base, Duration::from_secs(5));
    let _ = pypi.check(&query()).await;
    server.set(
        PATH,
        ok(release_json(true, Some("broken entry point")), "\"v2\""),
    );
    let report = pypi.check(&query()).await;
    match report.status {
        PypiStatus::Uploaded {
            yanked,
            yanked_reason,
            ..
        } => {
            assert!(yanked);
            assert_eq!(yanked_reason.as_deref(), Some("broken entry point"));
        }
        other => panic!("expected uploaded, got {other:?}"),
    }
}

fn expect_error(status: &PypiStatus) -> (&str, &str, bool) {
    match status {
        PypiStatus::Error {
            url,
            message,
            transient,
        } => (url.as_str(), message.as_str(), *transient),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn pypi_garbage_and_truncated_answers_are_errors_with_the_url() {
    let (server, base) = start().await;
    let pypi = checker(&base, Duration::from_secs(5));
    let full = release_json(false, None);
    for body in [
        b"<html><body>Service Unavailable</body></html>".to_vec(),
        full[..full.len() / 2].to_vec(),
        b"{\"info\": 5}".to_vec(),
        Vec::new(),
    ] {
        server.set(
            PATH,
            Canned {
                status: 200,
                body,
                etag: None,
                delay: Duration::ZERO,
            },
        );
        let report = pypi.check(&query()).await;
        let (url, message, transient) = expect_error(&report.status);
        assert!(url.ends_with(PATH), "{url}");
        assert!(
            message.contains(PATH),
            "the message names the URL: {message}"
        );
        assert!(transient, "a garbled answer may be a proxy hiccup");
    }
}

#[tokio::test]
async fn pypi_server_errors_are_transient_refusals_are_not() {
    let (server, base) = start().await;
    let pypi = checker(&base, Duration::from_secs(5));
    for (status, transient) in [
        (500, true),
        (503, true),
        (429, true),
        (403, false),
        (410, false),
    ] {
        server.set(
            PATH,
            Canned {
                status,
                body: b"nope".to_vec(),
                etag: None,
                delay: Duration::ZERO,
            },
        );
        let report = pypi.check(&query()).await;
        let (_, message, is_transient) = expect_error(&report.status);
        assert_eq!(is_transient, transient, "{status}: {message}");
        assert!(message.contains(&status.to_string()), "{message}");
    }
}

#[tokio::test]
async fn pypi_slow_server_times_out_with_a_clear_error() {
    let (server, base) = start().await;
    server.set(
        PATH,
        Canned {
            status: 200,
            body: release_json(false, None),
            etag: None,
            delay: Duration::from_secs(10),
        },
    );
    let pypi = checker(&base, Duration::from_millis(300));
    let started = std::time::Instant::now();
    let report = pypi.check(&query()).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up in time"
    );
    let (url, message, transient) = expect_error(&report.status);
    assert!(url.ends_with(PATH));
    assert!(message.contains("timed out"), "{message}");
    assert!(transient);
}

#[tokio::test]
async fn pypi_unrequested_304_is_an_error_not_a_stale_answer() {
    let (server, base) = start().await;
    server.set(
        PATH,
        Canned {
            status: 304,
            body: Vec::new(),
            etag: None,
            delay: Duration::ZERO,
        },
    );
    let report = checker(&base, Duration::from_secs(5)).check(&query()).await;
    let (_, message, _) = expect_error(&report.status);
    assert!(message.contains("304"), "{message}");
}

#[tokio::test]
async fn pypi_names_are_normalized_and_mirror_prefixes_kept() {
    assert_eq!(normalize_name("Conda_Store"), "conda-store");
    assert_eq!(normalize_name("zope.interface"), "zope-interface");
    assert_eq!(normalize_name("a--_b"), "a-b");

    let (server, base) = start().await;
    server.set(
        "/mirror/pypi/conda-store/2025.11.0/json",
        ok(release_json(false, None), "\"m\""),
    );
    // A mirror's root, and the same mirror given as its JSON API root (`…/pypi`).
    for root in [format!("{base}/mirror"), format!("{base}/mirror/pypi/")] {
        let pypi = checker(&root, Duration::from_secs(5));
        let report = pypi
            .check(&PypiQuery::new("Conda_Store", "2025.11.0").expect("valid"))
            .await;
        assert!(
            matches!(report.status, PypiStatus::Uploaded { .. }),
            "{root}: {:?}",
            report.status
        );
    }
}

#[test]
fn pypi_bad_input_is_rejected_before_any_request() {
    assert!(PypiQuery::new("", "1").is_err());
    assert!(PypiQuery::new("conda store", "1").is_err());
    assert!(PypiQuery::new("../etc", "1").is_err());
    assert!(PypiQuery::new("conda", "1/../../x").is_err());
    assert!(PypiQuery::new("conda", "").is_err());
    assert!(PypiOptions::with_base_url("ftp://pypi.org").is_err());
    assert!(PypiOptions::with_base_url("not a url").is_err());
}

#[tokio::test]
async fn pypi_report_serializes_for_the_timeline() {
    let (server, base) = start().await;
    server.set(PATH, ok(release_json(false, None), "\"v1\""));
    let report = checker(&base, Duration::from_secs(5)).check(&query()).await;
    let json = serde_json::to_value(&report).expect("serialize");
    assert_eq!(json["status"], "uploaded");
    assert!(json["release_url"].as_str().is_some());
    let back = serde_json::from_value(json).expect("round trip");
    assert_eq!(report, back);
}
