//! The loopback HTTP server: one port for GitHub (at the root), channels
//! (`/channels/...`) and PyPI (`/pypi/...`).
//!
//! Connections are served by hyper directly (with axum's body and http types)
//! rather than `axum::serve`, because one fault kind must close a socket without
//! any response, which only a service that can fail per request can do.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use color_eyre::eyre::{WrapErr, eyre};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod channels;
mod http;
mod pypi;
mod reqlog;

pub(crate) use reqlog::REQUEST_LOG_CAP;

use http::{decode, etag_matches, http_date, parse_http_date, parse_query};

use crate::sim::clock::SimClock;
use crate::sim::github::{self, Ctx};
use crate::sim::reply::Reply;
use crate::sim::scenario::{FaultKind, Scenario};
use crate::sim::world::World;

/// How to run the server.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Port on 127.0.0.1; `None` or `Some(0)` picks a free one.
    pub port: Option<u16>,
    /// Overrides the scenario's clock speed (sim seconds per real second).
    pub speed: Option<f64>,
    /// Also append every request as a JSON line to this file.
    pub request_log: Option<PathBuf>,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// Sim time of the request.
    pub at: DateTime<Utc>,
    /// The token's login, `None` when unauthenticated (or for channels and PyPI).
    pub login: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Status sent; 0 when the connection was dropped without a response.
    pub status: u16,
    /// Whether it counted against a GitHub quota.
    pub counted: bool,
    /// Body bytes sent.
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    limit: u32,
    used: u32,
    reset: DateTime<Utc>,
}

impl Bucket {
    fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Resource {
    Core,
    Search,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Resource::Core => "core",
            Resource::Search => "search",
        }
    }

    fn window(self) -> TimeDelta {
        match self {
            Resource::Core => TimeDelta::hours(1),
            Resource::Search => TimeDelta::minutes(1),
        }
    }
}

struct Shared {
    clock: SimClock,
    base: String,
    world: Mutex<World>,
    quotas: Mutex<HashMap<(Option<String>, Resource), Bucket>>,
    /// The most recent requests, at most [`REQUEST_LOG_CAP`]; the file log keeps all.
    log: Mutex<reqlog::Bounded<RequestRecord>>,
    log_file: Option<Mutex<std::fs::File>>,
}

/// Lock, recovering from poisoning: a panic elsewhere must not take the whole world down.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// The quota bucket for a login, reset when its window has passed.
    fn bucket(&self, login: Option<&str>, res: Resource, now: DateTime<Utc>) -> Bucket {
        let mut q = lock(&self.quotas);
        let limits = lock(&self.world).limits;
        let limit = match (res, login.is_some()) {
            (Resource::Core, true) => limits.authenticated,
            (Resource::Core, false) => limits.unauthenticated,
            // GitHub: 30/min authorized, 10/min unauthenticated.
            (Resource::Search, true) => limits.search,
            (Resource::Search, false) => (limits.search / 3).max(1),
        };
        let b = q.entry((login.map(str::to_string), res)).or_insert(Bucket {
            limit,
            used: 0,
            reset: now + res.window(),
        });
        if now >= b.reset {
            b.used = 0;
            b.reset = now + res.window();
        }
        *b
    }

    fn spend(&self, login: Option<&str>, res: Resource) {
        let mut q = lock(&self.quotas);
        if let Some(b) = q.get_mut(&(login.map(str::to_string), res)) {
            b.used = b.used.saturating_add(1);
        }
    }

    fn record(&self, r: RequestRecord) {
        if let Some(f) = &self.log_file
            && let Ok(line) = serde_json::to_string(&r)
        {
            let mut f = lock(f);
            // A log write failure must not fail the request it describes.
            let _ = writeln!(f, "{line}");
        }
        lock(&self.log).push(r);
    }
}

/// The running simulated world.
pub struct SimServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    channels: Vec<String>,
    scenario: Scenario,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a simulated fault")
    }
}

impl std::error::Error for DropConnection {}

impl SimServer {
    /// Bind 127.0.0.1 and start serving `scenario`.
    pub async fn start(scenario: Scenario, opts: SimOptions) -> color_eyre::Result<SimServer> {
        let listener = TcpListener::bind(("127.0.0.1", opts.port.unwrap_or(0)))
            .await
            .wrap_err_with(|| format!("binding 127.0.0.1:{}", opts.port.unwrap_or(0)))?;
        let addr = listener
            .local_addr()
            .wrap_err("reading the bound address")?;
        let log_file = match &opts.request_log {
            Some(p) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .wrap_err_with(|| format!("opening the request log {}", p.display()))?,
            )),
            None => None,
        };
        let speed = opts.speed.unwrap_or(scenario.speed);
        if !(speed.is_finite() && speed > 0.0) {
            return Err(eyre!("speed must be a positive number, got {speed}"));
        }
        let shared = Arc::new(Shared {
            clock: SimClock::new(scenario.start, speed),
            base: format!("http://{addr}"),
            world: Mutex::new(World::new(&scenario)),
            quotas: Mutex::new(HashMap::new()),
            log: Mutex::new(reqlog::Bounded::new(REQUEST_LOG_CAP)),
            log_file,
        });
        let (stop, mut stopped) = watch::channel(false);
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let shared = accept_shared.clone();
                        conns.spawn(async move {
                            let svc = hyper::service::service_fn(move |req| serve(shared.clone(), req));
                            // Errors here are clients hanging up or our deliberate drops.
                            let _ = hyper::server::conn::http1::Builder::new()
                                .keep_alive(true)
                                .serve_connection(TokioIo::new(stream), svc)
                                .await;
                        });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
            conns.abort_all();
        });
        Ok(SimServer {
            addr,
            shared,
            channels: scenario.channels.iter().map(|c| c.name.clone()).collect(),
            scenario,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    /// GitHub REST base URL (the server root, as for GitHub Enterprise).
    pub fn github_api(&self) -> String {
        self.base_url()
    }

    /// Base URL of a channel, e.g. `http://127.0.0.1:PORT/channels/conda-forge`.
    pub fn channel_url(&self, name: &str) -> String {
        format!("{}/channels/{name}", self.shared.base)
    }

    /// PyPI JSON API base: `{pypi_url}/{project}/json`.
    pub fn pypi_url(&self) -> String {
        format!("{}/pypi", self.shared.base)
    }

    /// The scenario being served.
    pub(crate) fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Current sim time.
    pub fn clock(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// The sim clock itself (start, speed, conversions).
    pub fn sim_clock(&self) -> SimClock {
        self.shared.clock
    }

    /// The requests served so far, oldest first: all of them up to
    /// [`REQUEST_LOG_CAP`], then the most recent ones (`--request-log FILE` keeps all).
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).recent()
    }

    /// How many requests were served in all, including those no longer in [`Self::requests`].
    pub fn requests_served(&self) -> u64 {
        lock(&self.shared.log).served()
    }

    /// Happenings that could not apply (e.g. a package for a subdir the channel lacks).
    pub fn notes(&self) -> Vec<String> {
        lock(&self.shared.world).notes.clone()
    }

    /// Whether every happening has applied by now (the scenario has played out).
    pub fn finished(&self) -> bool {
        let now = self.clock();
        let mut w = lock(&self.shared.world);
        w.advance(now);
        w.next_due().is_none()
    }

    /// Command-line flags that point a cockpit at this world.
    pub fn flags(&self) -> Vec<String> {
        let mut f = vec!["--github-api".to_string(), self.github_api()];
        for c in &self.channels {
            f.push("--channel".into());
            f.push(format!("{c}={}", self.channel_url(c)));
        }
        f.push("--pypi-url".into());
        f.push(self.pypi_url());
        f
    }

    /// Stop accepting and close every connection.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

enum Auth {
    Anonymous,
    Login(String),
    BadToken,
}

fn auth(world: &World, headers: &HeaderMap) -> Auth {
    let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Auth::Anonymous;
    };
    let v = v.trim();
    let token = v
        .split_once(' ')
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")
        })
        .map(|(_, t)| t.trim());
    match token.and_then(|t| world.tokens.get(t)) {
        Some(owner) => Auth::Login(owner.login.clone()),
        None => Auth::BadToken,
    }
}

const HTML_ERROR: &str = "<!DOCTYPE html>\n<html>\n<head><title>Unicorn! &middot; GitHub</title></head>\n<body>\n<h1>No server is currently available to service your request.</h1>\n<p>Sorry about that. Please try refreshing and contact us if the problem persists.</p>\n</body>\n</html>\n";

async fn serve(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let (parts, body) = req.into_parts();
    let method = parts.method;
    let path = parts.uri.path().to_string();
    let path_q = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_string());
    let query = parse_query(parts.uri.query());
    let headers = parts.headers;
    // 10 MB is far beyond any real request (comments are capped at 65,536 characters).
    let body = axum::body::to_bytes(Body::new(body), 10 * 1024 * 1024)
        .await
        .unwrap_or_default();

    let mut now = shared.clock.now();
    let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);

    // Faults that act before any handling.
    let fault = {
        let mut w = lock(&shared.world);
        w.advance(now);
        w.faults
            .iter()
            .find(|f| f.applies(now, &path, write))
            .map(|f| (f.kind, f.until))
    };
    let mut record = RequestRecord {
        at: now,
        login: None,
        method: method.to_string(),
        path: path_q.clone(),
        status: 0,
        counted: false,
        bytes: 0,
    };
    let mut post_fault = None;
    if let Some((kind, until)) = fault {
        let early = match kind {
            FaultKind::Drop => {
                shared.record(record);
                return Err(DropConnection);
            }
            FaultKind::Slow { delay } => {
                tokio::time::sleep(delay).await;
                now = shared.clock.now();
                record.at = now;
                None
            }
            FaultKind::ServerError { status } => {
                let s = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                Some(github::error(s, "Server Error"))
            }
            FaultKind::HtmlError { status } => {
                let s = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                Some(Reply::bytes(
                    s,
                    "text/html; charset=utf-8",
                    Bytes::from_static(HTML_ERROR.as_bytes()),
                ))
            }
            FaultKind::SecondaryRateLimit { retry_after } => {
                Some(github::secondary_rate_limit(retry_after))
            }
            FaultKind::TooManyRequests { retry_after } => {
                let mut r = github::error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                );
                r.headers
                    .push(("retry-after".into(), retry_after.to_string()));
                Some(r)
            }
            FaultKind::QuotaExhausted { status } => {
                let login = match auth(&lock(&shared.world), &headers) {
                    Auth::Login(l) => Some(l),
                    _ => None,
                };
                let s = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
                let who = login.as_deref().map_or_else(
                    || "127.0.0.1".to_string(),
                    |l| format!("user ID {}", super::world::user_id(l)),
                );
                let mut r = Reply::json(
                    s,
                    &json!({
                        "message": format!("API rate limit exceeded for {who}."),
                        "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                        "status": status.to_string(),
                    }),
                );
                let b = shared.bucket(login.as_deref(), Resource::Core, now);
                r.headers
                    .push(("x-ratelimit-limit".into(), b.limit.to_string()));
                r.headers.push(("x-ratelimit-remaining".into(), "0".into()));
                // The quota comes back when the fault's window ends.
                r.headers
                    .push(("x-ratelimit-reset".into(), until.timestamp().to_string()));
                r.headers
                    .push(("x-ratelimit-used".into(), b.limit.to_string()));
                r.headers
                    .push(("x-ratelimit-resource".into(), "core".into()));
                record.login = login;
                Some(r)
            }
            FaultKind::Truncated | FaultKind::Malformed | FaultKind::LostReply => {
                post_fault = Some(kind);
                None
            }
        };
        if let Some(reply) = early {
            return Ok(finish(&shared, reply, &method, record, None, false));
        }
    }

    let segs_owned: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| decode(s, false))
        .collect();
    let segs: Vec<&str> = segs_owned.iter().map(String::as_str).collect();
    let get = method == Method::GET || method == Method::HEAD;

    let mut reply = match segs.as_slice() {
        ["channels", rest @ ..] => {
            let mut w = lock(&shared.world);
            channels::reply(&mut w, rest, get)
        }
        ["pypi", rest @ ..] => {
            let w = lock(&shared.world);
            pypi::reply(&w, rest, get)
        }
        [] if get => Reply::json(
            StatusCode::OK,
            &json!({
                "simulated_world": lock(&shared.world).start.to_rfc3339(),
                "github_api": shared.base,
                "channels": format!("{}/channels/{{name}}", shared.base),
                "pypi": format!("{}/pypi", shared.base),
                "sim_time": now.to_rfc3339(),
            }),
        ),
        _ => {
            let resp = github_request(
                &shared, &method, &segs, &query, &path, &headers, &body, now, record, post_fault,
            );
            if post_fault == Some(FaultKind::LostReply) {
                // The write is done; its reply never leaves. The client's deadline ends the wait
                // (an hour is far past any), and shutting the server down ends it too.
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                return Err(DropConnection);
            }
            return Ok(resp);
        }
    };

    // Conditional requests for channel and PyPI files.
    if get && reply.status == StatusCode::OK {
        if reply.etag.is_none() {
            let d = Sha256::digest(&reply.body);
            reply.etag = Some(format!("\"{}\"", hex::encode(&d[..12])));
        }
        let inm = headers.get("if-none-match").and_then(|v| v.to_str().ok());
        let ims = headers
            .get("if-modified-since")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date);
        let fresh = match (inm, &reply.etag) {
            (Some(h), Some(e)) => etag_matches(h, e),
            (None, _) => match (ims, reply.last_modified) {
                (Some(since), Some(lm)) => lm.timestamp() <= since.timestamp(),
                _ => false,
            },
            _ => false,
        };
        if fresh && post_fault.is_none() {
            reply.status = StatusCode::NOT_MODIFIED;
            reply.body = Bytes::new();
        }
    }
    Ok(finish(&shared, reply, &method, record, post_fault, false))
}

#[allow(clippy::too_many_arguments)]
fn github_request(
    shared: &Shared,
    method: &Method,
    segs: &[&str],
    query: &[(String, String)],
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
    now: DateTime<Utc>,
    mut record: RequestRecord,
    post_fault: Option<FaultKind>,
) -> Response<Body> {
    let get = method == Method::GET || method == Method::HEAD;
    let mut w = lock(&shared.world);
    let login = match auth(&w, headers) {
        Auth::Anonymous => None,
        Auth::Login(l) => Some(l),
        Auth::BadToken => {
            drop(w);
            let reply = github::error(StatusCode::UNAUTHORIZED, "Bad credentials");
            return finish(shared, reply, method, record, None, false);
        }
    };
    record.login = login.clone();
    let resource = if segs.first() == Some(&"search") {
        Resource::Search
    } else {
        Resource::Core
    };

    // `/rate_limit` is free on GitHub.
    if segs == ["rate_limit"] && get {
        drop(w);
        let core = shared.bucket(login.as_deref(), Resource::Core, now);
        let search = shared.bucket(login.as_deref(), Resource::Search, now);
        let rate = |b: Bucket| json!({"limit": b.limit, "used": b.used, "remaining": b.remaining(), "reset": b.reset.timestamp()});
        let graphql = json!({"limit": 5000, "used": 0, "remaining": 5000, "reset": (now + TimeDelta::hours(1)).timestamp()});
        let mut reply = Reply::json(
            StatusCode::OK,
            &json!({
                "resources": {"core": rate(core), "search": rate(search), "graphql": graphql,
                              "integration_manifest": graphql, "code_search": rate(search)},
                "rate": rate(core),
            }),
        );
        add_rate_headers(&mut reply, core, Resource::Core);
        return finish(shared, reply, method, record, post_fault, true);
    }

    let ctx = Ctx {
        api: &shared.base,
        login: login.as_deref(),
        now,
        query,
        path,
        body,
    };
    let mut reply = github::handle(&mut w, method, segs, &ctx);
    drop(w);

    // GitHub validates 404s too: a client that remembers one asks again for free.
    if get && matches!(reply.status, StatusCode::OK | StatusCode::NOT_FOUND) {
        // Real ETags are tied to the token: hash the body together with who asked.
        let mut h = Sha256::new();
        h.update(&reply.body);
        h.update(login.as_deref().unwrap_or("").as_bytes());
        let etag = format!("W/\"{}\"", hex::encode(&h.finalize()[..16]));
        let inm = headers.get("if-none-match").and_then(|v| v.to_str().ok());
        if inm.is_some_and(|h| etag_matches(h, &etag)) && post_fault.is_none() {
            reply.status = StatusCode::NOT_MODIFIED;
            reply.body = Bytes::new();
            reply.headers.retain(|(k, _)| k != "link");
        }
        reply.etag = Some(etag);
        reply.cache_control = Some(if login.is_some() {
            "private, max-age=60, s-maxage=60".into()
        } else {
            "public, max-age=60, s-maxage=60".into()
        });
    }

    // A 304 to an authorized request is free; everything else counts.
    let counted = !(login.is_some() && reply.status == StatusCode::NOT_MODIFIED);
    let mut b = shared.bucket(login.as_deref(), resource, now);
    let mut charged = false;
    if counted {
        if b.remaining() == 0 {
            let who = login.as_deref().map_or_else(
                || "127.0.0.1".to_string(),
                |l| format!("user ID {}", super::world::user_id(l)),
            );
            reply = github::error(
                StatusCode::FORBIDDEN,
                &format!("API rate limit exceeded for {who}."),
            );
        } else {
            shared.spend(login.as_deref(), resource);
            b.used += 1;
            charged = true;
        }
    }
    add_rate_headers(&mut reply, b, resource);
    finish(shared, reply, method, record, post_fault, charged)
}

fn add_rate_headers(reply: &mut Reply, b: Bucket, res: Resource) {
    reply
        .headers
        .push(("x-ratelimit-limit".into(), b.limit.to_string()));
    reply
        .headers
        .push(("x-ratelimit-remaining".into(), b.remaining().to_string()));
    reply
        .headers
        .push(("x-ratelimit-reset".into(), b.reset.timestamp().to_string()));
    reply
        .headers
        .push(("x-ratelimit-used".into(), b.used.to_string()));
    reply
        .headers
        .push(("x-ratelimit-resource".into(), res.name().into()));
}

fn finish(
    shared: &Shared,
    mut reply: Reply,
    method: &Method,
    mut record: RequestRecord,
    post_fault: Option<FaultKind>,
    counted: bool,
) -> Response<Body> {
    match post_fault {
        Some(FaultKind::Truncated) if reply.status == StatusCode::OK => {
            let half = reply.body.len() / 2;
            reply.body = reply.body.slice(..half);
            // Never let a broken body be cached under a good validator.
            reply.etag = None;
            reply.last_modified = None;
        }
        Some(FaultKind::Malformed) if reply.status == StatusCode::OK => {
            reply.body = Bytes::from_static(b"{\"message\": \"ok\", \"items\": [{\"id\": 1,, ]");
            reply.content_type = "application/json; charset=utf-8";
            reply.etag = None;
            reply.last_modified = None;
        }
        _ => {}
    }
    // The world's own clock, as a real server's `Date` is its own: clients measure ages against it.
    let mut resp = Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type)
        .header("date", http_date(shared.clock.now()))
        .header("server", "flightdeck-sim");
    if let Some(e) = &reply.etag {
        resp = resp.header("etag", e);
    }
    if let Some(lm) = reply.last_modified {
        resp = resp.header("last-modified", http_date(lm));
    }
    if let Some(cc) = &reply.cache_control {
        resp = resp.header("cache-control", cc);
    }
    for (k, v) in &reply.headers {
        resp = resp.header(k.as_str(), v.as_str());
    }
    record.status = reply.status.as_u16();
    record.counted = counted;
    record.bytes = if *method == Method::HEAD {
        0
    } else {
        reply.body.len() as u64
    };
    if post_fault == Some(FaultKind::LostReply) {
        // Applied, but nothing is sent: the log says so as for a dropped connection.
        record.status = 0;
        record.bytes = 0;
    }
    shared.record(record);
    let body = if reply.status == StatusCode::NOT_MODIFIED || reply.status == StatusCode::NO_CONTENT
    {
        Body::empty()
    } else {
        Body::from(reply.body)
    };
    resp.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(Body::from("internal error building the reply"));
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}
