//! The channel probe over HTTP against a small loopback channel server whose every reply the
//! test controls: sharded and unsharded subdirs, `Cache-Control: max-age=1200` like
//! conda.anaconda.org, ETags and `304`s, and on purpose the ways real servers go wrong (a shard
//! whose bytes do not match the index, a `304` without `ETag`, a `304` nobody asked for, a
//! stalled reply, garbage, a server error, a subdir or channel that does not exist).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, Uri};
use flightdeck::probe::channel::{
    ChannelChecker, ChannelQuery, ChannelReport, CheckerOptions, SubdirStatus,
};
use rattler_conda_types::{ShardedRepodata, ShardedSubdirInfo, Subdir};
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------------------------------
// The server
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Logged {
    method: String,
    path: String,
    status: u16,
    body_len: usize,
    if_none_match: Option<String>,
}

#[derive(Default)]
struct ChannelServer {
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// Paths that answer 304 no matter what (a broken cache in front of the server).
    always_304: Mutex<HashSet<String>>,
    /// Paths that answer with this status instead of the file.
    status_override: Mutex<HashMap<String, u16>>,
    /// Paths whose reply is held back this long.
    delay: Mutex<HashMap<String, Duration>>,
    /// Whether a 304 repeats the ETag (RFC 9110 says it should).
    omit_etag_on_304: Mutex<bool>,
    log: Mutex<Vec<Logged>>,
}

fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..16])
}

impl ChannelServer {
    fn put(&self, path: &str, bytes: Vec<u8>) {
        self.files
            .lock()
            .expect("lock")
            .insert(path.to_owned(), bytes);
    }
    fn remove(&self, path: &str) {
        self.files.lock().expect("lock").remove(path);
    }
    fn log(&self) -> Vec<Logged> {
        self.log.lock().expect("lock").clone()
    }
    fn clear_log(&self) {
        self.log.lock().expect("lock").clear();
    }
    fn record(
        &self,
        method: &Method,
        uri: &Uri,
        status: u16,
        body_len: usize,
        inm: Option<String>,
    ) {
        self.log.lock().expect("lock").push(Logged {
            method: method.to_string(),
            path: uri.path().to_owned(),
            status,
            body_len,
            if_none_match: inm,
        });
    }
}

async fn serve(
    State(server): State<Arc<ChannelServer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let path = uri.path().to_owned();
    let inm = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let delay = server.delay.lock().expect("lock").get(&path).copied();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let reply = |status: u16, body: Vec<u8>, etag: Option<String>| {
        let len = if method == Method::HEAD {
            0
        } else {
            body.len()
        };
        server.record(&method, &uri, status, len, inm.clone());
        let mut builder = Response::builder()
            .status(status)
            .header("cache-control", "public, max-age=1200");
        if let Some(etag) = etag {
            builder = builder.header("etag", etag);
        }
        let body = if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(body)
        };
        builder.body(body).expect("response")
    };
    if server.always_304.lock().expect("lock").contains(&path) {
        return reply(304, Vec::new(), None);
    }
    let status_override = server
        .status_override
        .lock()
        .expect("lock")
        .get(&path)
        .copied();
    if let Some(status) = status_override {
        return reply(status, b"<html>Service Unavailable</html>".to_vec(), None);
    }
    let file = server.files.lock().expect("lock").get(&path).cloned();
    let Some(bytes) = file else {
        return reply(404, b"Not Found".to_vec(), None);
    };
    let etag = etag_of(&bytes);
    if inm.as_deref() == Some(etag.as_str()) {
        let repeat = !*server.omit_etag_on_304.lock().expect("lock");
        return reply(304, Vec::new(), repeat.then_some(etag));
    }
    reply(200, bytes, Some(etag))
}

async fn start() -> (Arc<ChannelServer>, String) {
    let server = Arc::new(ChannelServer::default());
    let app = Router::new().fallback(serve).with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (server, format!("http://{addr}"))
}

// ------------------------------------------------------------------------------------------
// Channel content
// ------------------------------------------------------------------------------------------

/// (name, version, timestamp ms)
type Rec = (&'static str, &'static str, i64);

fn record_json(subdir: &str, (name, version, ts): Rec) -> (String, serde_json::Value) {
    let build = if subdir == "noarch" {
        "pyhd8ed1ab_0"
    } else {
        "py312h7900ff3_0"
    };
    (
        format!("{name}-{version}-{build}.conda"),
        serde_json::json!({
            "name": name, "version": version, "build": build, "build_number": 0,
            "depends": [], "subdir": subdir, "timestamp": ts, "size": 12345
        }),
    )
}

fn zst(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

/// How a subdir is served.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// Shard index + shards, and the full files too (as conda-forge does).
    Sharded,
    /// `repodata.json` and `repodata.json.zst` only.
    Unsharded,
}

/// Publishes (or republishes) a subdir of `channel` with these records.
fn publish(server: &ChannelServer, channel: &str, subdir: &str, records: &[Rec], layout: Layout) {
    let prefix = format!("/{channel}/{subdir}");
    let entries: Vec<(String, serde_json::Value)> =
        records.iter().map(|r| record_json(subdir, *r)).collect();
    let full = serde_json::json!({
        "info": {"subdir": subdir},
        "packages": {},
        "packages.conda": entries.iter().cloned().collect::<serde_json::Map<_, _>>(),
        "removed": [],
        "repodata_version": 1
    });
    let full = serde_json::to_vec(&full).expect("json");
    server.put(&format!("{prefix}/repodata.json.zst"), zst(&full));
    server.put(&format!("{prefix}/repodata.json"), full);

    if layout == Layout::Unsharded {
        server.remove(&format!("{prefix}/repodata_shards.msgpack.zst"));
        return;
    }
    let mut by_name: HashMap<&str, serde_json::Map<String, serde_json::Value>> = HashMap::new();
    for ((name, _, _), (file, value)) in records.iter().zip(entries) {
        by_name.entry(name).or_default().insert(file, value);
    }
    let mut shards = Vec::new();
    for (name, conda) in by_name {
        let shard = serde_json::json!({"packages": {}, "packages.conda": conda, "removed": []});
        let bytes = zst(&rmp_serde::to_vec_named(&shard).expect("msgpack"));
        let hash = Sha256::digest(&bytes);
        server.put(
            &format!("{prefix}/shards/{}.msgpack.zst", hex::encode(hash)),
            bytes,
        );
        shards.push((name.to_owned(), hash));
    }
    let index = ShardedRepodata {
        info: ShardedSubdirInfo {
            subdir: subdir.to_owned(),
            base_url: "./".to_owned(),
            shards_base_url: "./shards/".to_owned(),
            created_at: None,
            repodata_revisions: Default::default(),
            channel_relations: None,
            virtual_package_detectors: None,
        },
        shards: shards
            .into_iter()
            .map(|(name, hash)| {
                let raw: [u8; 32] = hash.into();
                (name, raw.into())
            })
            .collect(),
    };
    let index = zst(&rmp_serde::to_vec_named(&index).expect("msgpack"));
    server.put(&format!("{prefix}/repodata_shards.msgpack.zst"), index);
}

/// Filler so that a full index is much bigger than one shard (as on a real channel).
fn filler() -> Vec<Rec> {
    let names: &'static [&'static str] = &[
        "numpy",
        "scipy",
        "pandas",
        "requests",
        "urllib3",
        "idna",
        "certifi",
        "six",
        "attrs",
        "packaging",
        "pyyaml",
        "ruamel.yaml",
        "tqdm",
        "rich",
        "click",
        "jinja2",
        "markupsafe",
    ];
    let versions: &'static [&'static str] = &["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0", "3.0.0"];
    names
        .iter()
        .flat_map(|n| versions.iter().map(move |v| (*n, *v, 1_700_000_000_000)))
        .collect()
}

fn with_filler(records: &[Rec]) -> Vec<Rec> {
    let mut all = filler();
    all.extend_from_slice(records);
    all
}

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

struct Probe {
    _cache: tempfile::TempDir,
    checker: ChannelChecker,
}

fn probe(options: CheckerOptions) -> Probe {
    let cache = tempfile::tempdir().expect("tempdir");
    let checker = ChannelChecker::with_options(cache.path(), options).expect("checker");
    Probe {
        _cache: cache,
        checker,
    }
}

fn fast_options() -> CheckerOptions {
    CheckerOptions {
        subdir_timeout: Duration::from_secs(20),
        ..CheckerOptions::default()
    }
}

fn query(base: &str, channel: &str, version: &str, subdirs: &[&str]) -> ChannelQuery {
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert(channel.to_owned(), format!("{base}/{channel}"));
    ChannelQuery::parse(channel, &overrides, "conda", version, subdirs).expect("query")
}

fn status(report: &ChannelReport, subdir: Subdir) -> &SubdirStatus {
    &report
        .subdirs
        .iter()
        .find(|s| s.subdir == subdir)
        .expect("subdir in report")
        .status
}

fn body_bytes(log: &[Logged]) -> usize {
    log.iter().map(|l| l.body_len).sum()
}

const OLD: Rec = ("conda", "26.9.0", 1_780_000_000_000);
const NEW: Rec = ("conda", "26.11.0", 1_790_000_000_000);

// ------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn channel_http_sharded_check_reads_one_shard_and_repeat_poll_is_304s() {
    let (server, base) = start().await;
    publish(
        &server,
        "cf",
        "noarch",
        &with_filler(&[OLD, NEW]),
        Layout::Sharded,
    );
    publish(
        &server,
        "cf",
        "linux-64",
        &with_filler(&[]),
        Layout::Sharded,
    );
    let p = probe(fast_options());
    let q = query(&base, "cf", "26.11", &["noarch", "linux-64"]);

    let first = p.checker.check(&q).await;
    assert!(status(&first, Subdir::NoArch).is_available(), "{first:?}");
    assert_eq!(status(&first, Subdir::Linux64), &SubdirStatus::NotYet);
    let log = server.log();
    assert!(
        log.iter().all(|l| !l.path.contains("repodata.json")),
        "a sharded channel is never downloaded whole: {log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.path.ends_with("/noarch/repodata_shards.msgpack.zst"))
    );
    assert_eq!(
        log.iter().filter(|l| l.path.contains("/shards/")).count(),
        1,
        "one shard (conda's, in noarch; linux-64 has no conda shard): {log:#?}"
    );

    // Nothing changed; the server says max-age=1200, but a release cockpit asks anyway, and
    // pays only for 304s.
    server.clear_log();
    let traffic_before = p.checker.traffic();
    let second = p.checker.check(&q).await;
    let log = server.log();
    assert_eq!(
        first.subdirs, second.subdirs,
        "same answer, same first_seen"
    );
    assert_eq!(log.len(), 2, "one conditional request per subdir: {log:#?}");
    assert!(
        log.iter()
            .all(|l| l.status == 304 && l.if_none_match.is_some())
    );
    assert_eq!(body_bytes(&log), 0, "a repeat poll moves no body");
    let traffic = p.checker.traffic().since(&traffic_before);
    assert_eq!(
        (traffic.requests, traffic.not_modified, traffic.body_bytes),
        (2, 2, 0)
    );
}

#[tokio::test]
async fn channel_http_upload_is_seen_on_the_next_poll_despite_max_age() {
    for layout in [Layout::Sharded, Layout::Unsharded] {
        let (server, base) = start().await;
        publish(&server, "cf", "noarch", &with_filler(&[OLD]), layout);
        let p = probe(fast_options());
        let q = query(&base, "cf", "26.11.0", &["noarch"]);
        let before = p.checker.check(&q).await;
        assert_eq!(status(&before, Subdir::NoArch), &SubdirStatus::NotYet);

        publish(&server, "cf", "noarch", &with_filler(&[OLD, NEW]), layout);
        let after = p.checker.check(&q).await;
        match status(&after, Subdir::NoArch) {
            SubdirStatus::Available { url, timestamp, .. } => {
                assert!(
                    url.as_str()
                        .starts_with(&format!("{base}/cf/noarch/conda-26.11.0")),
                    "{url}"
                );
                assert_eq!(timestamp.map(|t| t.timestamp_millis()), Some(NEW.2));
            }
            other => panic!("the upload must show on the next poll, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn channel_http_unsharded_channel_uses_zst_and_revalidates() {
    let (server, base) = start().await;
    publish(
        &server,
        "main",
        "noarch",
        &with_filler(&[NEW]),
        Layout::Unsharded,
    );
    let p = probe(fast_options());
    let q = query(&base, "main", "26.11.0", &["noarch"]);
    let first = p.checker.check(&q).await;
    assert!(status(&first, Subdir::NoArch).is_available(), "{first:?}");
    let log = server.log();
    assert!(
        log.iter().any(|l| l.method == "GET"
            && l.path == "/main/noarch/repodata.json.zst"
            && l.status == 200),
        "{log:#?}"
    );
    assert!(
        !log.iter()
            .any(|l| l.method == "GET" && l.path == "/main/noarch/repodata.json"),
        "the plain file is not downloaded when .zst exists: {log:#?}"
    );

    server.clear_log();
    let second = p.checker.check(&q).await;
    assert_eq!(first.subdirs, second.subdirs);
    let log = server.log();
    assert_eq!(body_bytes(&log), 0, "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.path == "/main/noarch/repodata.json.zst" && l.status == 304),
        "{log:#?}"
    );
}

#[tokio::test]
async fn channel_http_missing_subdir_and_missing_channel_are_permanent_errors() {
    let (server, base) = start().await;
    publish(
        &server,
        "cf",
        "noarch",
        &with_filler(&[NEW]),
        Layout::Sharded,
    );
    let p = probe(fast_options());

    let report = p
        .checker
        .check(&query(&base, "cf", "26.11.0", &["noarch", "linux-64"]))
        .await;
    assert!(status(&report, Subdir::NoArch).is_available());
    match status(&report, Subdir::Linux64) {
        SubdirStatus::Error {
            url,
            message,
            transient,
        } => {
            assert_eq!(url.as_str(), format!("{base}/cf/linux-64/repodata.json"));
            assert!(
                message.contains("does not exist") && message.contains("404"),
                "{message}"
            );
            assert!(!transient);
        }
        other => panic!("a 404 subdir is an error, got {other:?}"),
    }

    let report = p
        .checker
        .check(&query(
            &base,
            "no-such-channel",
            "26.11.0",
            &["noarch", "osx-arm64"],
        ))
        .await;
    for entry in &report.subdirs {
        match &entry.status {
            SubdirStatus::Error {
                url,
                message,
                transient,
            } => {
                assert!(url.as_str().contains("/no-such-channel/"), "{url}");
                assert!(message.contains("does not exist"), "{message}");
                assert!(!transient);
            }
            other => panic!("a missing channel is an error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn channel_http_shard_with_wrong_hash_is_an_error_naming_the_shard() {
    let (server, base) = start().await;
    publish(
        &server,
        "cf",
        "noarch",
        &with_filler(&[NEW]),
        Layout::Sharded,
    );
    publish(
        &server,
        "cf",
        "linux-64",
        &with_filler(&[NEW]),
        Layout::Sharded,
    );
    // A CDN serves stale bytes under linux-64's conda shard name.
    let shard_path = {
        let files = server.files.lock().expect("lock");
        let index = files
            .keys()
            .find(|p| p.starts_with("/cf/linux-64/shards/"))
            .cloned();
        drop(files);
        // Pick conda's shard: the one whose content mentions 26.11.0.
        let files = server.files.lock().expect("lock");
        files
            .iter()
            .filter(|(p, _)| p.starts_with("/cf/linux-64/shards/"))
            .find(|(_, b)| {
                zstd::decode_all(b.as_slice())
                    .map(|d| String::from_utf8_lossy(&d).contains("26.11.0"))
                    .unwrap_or(false)
            })
            .map(|(p, _)| p.clone())
            .or(index)
            .expect("a shard")
    };
    server.put(&shard_path, zst(b"not the shard you are looking for"));

    let p = probe(fast_options());
    let report = p
        .checker
        .check(&query(&base, "cf", "26.11.0", &["noarch", "linux-64"]))
        .await;
    assert!(
        status(&report, Subdir::NoArch).is_available(),
        "other subdirs go on"
    );
    match status(&report, Subdir::Linux64) {
        SubdirStatus::Error {
            url,
            message,
            transient,
        } => {
            assert_eq!(
                url.path(),
                shard_path,
                "the error names the shard: {message}"
            );
            assert!(
                message.contains("SHA-256") || message.contains("sha256"),
                "{message}"
            );
            assert!(transient, "a CDN may catch up");
        }
        other => panic!("a bad shard is an error, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_http_304_without_etag_still_works() {
    let (server, base) = start().await;
    *server.omit_etag_on_304.lock().expect("lock") = true;
    publish(
        &server,
        "cf",
        "noarch",
        &with_filler(&[OLD]),
        Layout::Sharded,
    );
    publish(
        &server,
        "main",
        "noarch",
        &with_filler(&[OLD]),
        Layout::Unsharded,
    );
    let p = probe(fast_options());
    for channel in ["cf", "main"] {
        let q = query(&base, channel, "26.11.0", &["noarch"]);
        for round in 0..3 {
            let report = p.checker.check(&q).await;
            assert_eq!(
                status(&report, Subdir::NoArch),
                &SubdirStatus::NotYet,
                "{channel} round {round}"
            );
        }
        publish(
            &server,
            channel,
            "noarch",
            &with_filler(&[OLD, NEW]),
            if channel == "cf" {
                Layout::Sharded
            } else {
                Layout::Unsharded
            },
        );
        let report = p.checker.check(&q).await;
        assert!(
            status(&report, Subdir::NoArch).is_available(),
            "{channel}: {report:?}"
        );
    }
    assert!(
        server.log().iter().any(|l| l.status == 304),
        "the 304 path was exercised"
    );
}

#[tokio::test]
async fn channel_http_unrequested_304_is_an_error_not_a_panic() {
    let (server, base) = start().await;
    publish(
        &server,
        "cf",
        "noarch",
        &with_filler(&[NEW]),
        Layout::Unsharded,
    );
    publish(
        &server,
        "cf",
        "linux-64",
        &with_filler(&[NEW]),
        Layout::Unsharded,
    );
    for path in [
        "/cf/linux-64/repodata.json.zst",
        "/cf/linux-64/repodata.json",
    ] {
        server
            .always_304
            .lock()
            .expect("lock")
            .insert(path.to_owned());
    }
    let p = probe(fast_options());
    let report = p
        .checker
        .check(&query(&base, "cf", "26.11.0", &["noarch", "linux-64"]))
        .await;
    assert!(status(&report, Subdir::NoArch).is_available());
    match status(&report, Subdir::Linux64) {
        SubdirStatus::Error { url, message, .. } => {
            assert!(url.as_str().contains("/cf/linux-64/"), "{url}");
            assert!(message.contains("304"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_http_stalled_server_times_out_and_others_go_on() {
    let (server, base) = start().await;
    publish(
        &server,
        "cf",
        "noarch",
        &with_filler(&[NEW]),
        Layout::Sharded,
    );
    publish(
        &server,
        "cf",
        "linux-64",
        &with_filler(&[NEW]),
        Layout::Sharded,
    );
    server.delay.lock().expect("lock").insert(
        "/cf/linux-64/repodata_shards.msgpack.zst".to_owned(),
        Duration::from_secs(30),
    );
    let p = probe(CheckerOptions {
        subdir_timeout: Duration::from_secs(2),
        ..CheckerOptions::default()
    });
    let started = std::time::Instant::now();
    let report = p
        .checker
        .check(&query(&base, "cf", "26.11.0", &["noarch", "linux-64"]))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "gave up in time"
    );
    assert!(status(&report, Subdir::NoArch).is_available());
    match status(&report, Subdir::Linux64) {
        SubdirStatus::Error {
            url,
            message,
            transient,
        } => {
            assert!(url.as_str().contains("/cf/linux-64"), "{url}");
            assert!(message.contains("within"), "{message}");
            assert!(transient);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_http_garbage_and_server_errors_are_reported_with_the_url() {
    let (server, base) = start().await;
    publish(
        &server,
        "cf",
        "noarch",
        &with_filler(&[NEW]),
        Layout::Unsharded,
    );
    publish(
        &server,
        "cf",
        "linux-64",
        &with_filler(&[NEW]),
        Layout::Unsharded,
    );
    publish(
        &server,
        "cf",
        "osx-arm64",
        &with_filler(&[NEW]),
        Layout::Sharded,
    );
    // noarch: the .zst is not zstd at all.
    server.put(
        "/cf/noarch/repodata.json.zst",
        b"<html>oops</html>".to_vec(),
    );
    // linux-64: the .zst decompresses to half a JSON document.
    let full = server
        .files
        .lock()
        .expect("lock")
        .get("/cf/linux-64/repodata.json")
        .cloned()
        .expect("published");
    server.put(
        "/cf/linux-64/repodata.json.zst",
        zst(&full[..full.len() / 2]),
    );
    // osx-arm64: the shard index answers 503.
    server
        .status_override
        .lock()
        .expect("lock")
        .insert("/cf/osx-arm64/repodata_shards.msgpack.zst".to_owned(), 503);

    let p = probe(fast_options());
    let report = p
        .checker
        .check(&query(
            &base,
            "cf",
            "26.11.0",
            &["noarch", "linux-64", "osx-arm64"],
        ))
        .await;
    for entry in &report.subdirs {
        match &entry.status {
            SubdirStatus::Error {
                url,
                message,
                transient,
            } => {
                assert!(
                    url.as_str().contains(&format!("/cf/{}", entry.subdir)),
                    "{}: {url}",
                    entry.subdir
                );
                assert!(!message.is_empty());
                assert!(transient, "{}: {message}", entry.subdir);
            }
            other => panic!("{}: expected an error, got {other:?}", entry.subdir),
        }
    }
    let SubdirStatus::Error { message, url, .. } = status(&report, Subdir::OsxArm64) else {
        unreachable!()
    };
    assert!(message.contains("503"), "{message}");
    assert!(
        url.path()
            .ends_with("/osx-arm64/repodata_shards.msgpack.zst"),
        "{url}"
    );
}

#[tokio::test]
async fn channel_http_forbidden_is_permanent() {
    let (server, base) = start().await;
    publish(
        &server,
        "private",
        "noarch",
        &with_filler(&[NEW]),
        Layout::Sharded,
    );
    server.status_override.lock().expect("lock").insert(
        "/private/noarch/repodata_shards.msgpack.zst".to_owned(),
        403,
    );
    let p = probe(fast_options());
    let report = p
        .checker
        .check(&query(&base, "private", "26.11.0", &["noarch"]))
        .await;
    match status(&report, Subdir::NoArch) {
        SubdirStatus::Error {
            url,
            message,
            transient,
        } => {
            assert!(message.contains("403"), "{message}");
            assert!(url.path().ends_with("repodata_shards.msgpack.zst"), "{url}");
            assert!(!transient, "a refusal does not go away by itself");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_http_real_pytorch_index_served_unsharded() {
    // The real pytorch linux-64 index (rattler's test data) behind an HTTP server, as
    // `repodata.json` and `repodata.json.zst`, with no shard index (like repo.anaconda.com).
    let (server, base) = start().await;
    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/channels/pytorch/linux-64/repodata.json"
    ))
    .expect("fixture");
    server.put("/pytorch/linux-64/repodata.json.zst", zst(&real));
    server.put("/pytorch/linux-64/repodata.json", real);
    let p = probe(fast_options());
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert("pytorch".to_owned(), format!("{base}/pytorch"));
    let q = ChannelQuery::parse("pytorch", &overrides, "torchvision", "0.8.2", &["linux-64"])
        .expect("query");
    let report = p.checker.check(&q).await;
    match status(&report, Subdir::Linux64) {
        SubdirStatus::Available {
            records,
            url,
            file_name,
            ..
        } => {
            assert_eq!(*records, 20);
            assert_eq!(url.as_str(), format!("{base}/pytorch/linux-64/{file_name}"));
        }
        other => panic!("expected available, got {other:?}"),
    }
    let q = ChannelQuery::parse("pytorch", &overrides, "torchvision", "0.8.3", &["linux-64"])
        .expect("query");
    assert_eq!(
        status(&p.checker.check(&q).await, Subdir::Linux64),
        &SubdirStatus::NotYet
    );
}
