//! The checker's HTTP middleware: freshness (`no-cache` on indexes), traffic accounting, and
//! guarding rattler against servers that break HTTP's rules.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use http::Extensions;
use reqwest::header::{CACHE_CONTROL, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use reqwest_middleware::{Middleware, Next};
use url::Url;

// ---------------------------------------------------------------------------------------------
// HTTP middleware: freshness, accounting, and guarding rattler against odd servers
// ---------------------------------------------------------------------------------------------

/// A reply's `Date`, and the release time it arrived.
pub(super) type Dated = (DateTime<Utc>, DateTime<Utc>);

/// Counters and per-URL statuses shared between the checker and its middleware.
#[derive(Default)]
pub(super) struct NetState {
    pub(super) requests: AtomicU64,
    pub(super) not_modified: AtomicU64,
    pub(super) body_bytes: AtomicU64,
    /// The last status of each plain `…/repodata.json` request: how a missing subdir is told
    /// apart from an empty one.
    pub(super) index_status: Mutex<HashMap<String, StatusCode>>,
    /// The release's clock (`None`: the system clock), for [`Self::dates`].
    pub(super) clock: Mutex<Option<crate::timeline::Clock>>,
    /// Per host (`host:port`): the `Date` of its latest reply and the release time it arrived.
    pub(super) dates: Mutex<HashMap<String, Dated>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The key of [`NetState::dates`].
pub(super) fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

impl NetState {
    pub(super) fn forget_status(&self, url: &Url) {
        self.index_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(url.as_str());
    }

    pub(super) fn status_of(&self, url: &Url) -> Option<StatusCode> {
        self.index_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(url.as_str())
            .copied()
    }

    pub(super) fn record_status(&self, url: &Url, status: StatusCode) {
        self.index_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(url.as_str().to_owned(), status);
    }
}

/// Whether a URL names a channel index (as opposed to an immutable shard or a package).
fn is_index_url(url: &Url) -> bool {
    let path = url.path();
    [
        "/repodata.json",
        "/repodata.json.zst",
        "/repodata.json.bz2",
        "/repodata_shards.msgpack.zst",
    ]
    .iter()
    .any(|suffix| path.ends_with(suffix))
}

/// Sits between rattler and the network.
pub(super) struct PollMiddleware {
    pub(super) net: Arc<NetState>,
    /// The cap of a full `repodata.json`; see [`body_cap`].
    pub(super) max_body: u64,
}

/// The most a reply for `url` may hold, by what it is, and the name of that kind.
fn body_cap(url: &Url, max_body: u64) -> (u64, &'static str) {
    let path = url.path();
    if path.ends_with("/repodata.json") {
        (max_body, "a repodata.json")
    } else if path.ends_with(".json.zst") || path.ends_with(".json.bz2") {
        (max_body / 4, "a compressed repodata.json")
    } else if path.ends_with("/repodata_shards.msgpack.zst") {
        (max_body / 32, "a shard index")
    } else {
        (max_body / 32, "a shard")
    }
}

/// `response` with its body cut off, as an error, past `cap` bytes: an endless or huge
/// body costs at most the cap, whether or not the server announced a length.
fn capped(
    response: reqwest::Response,
    cap: u64,
    kind: &'static str,
) -> reqwest_middleware::Result<reqwest::Response> {
    use futures::StreamExt;
    use reqwest::ResponseBuilderExt;
    let url = response.url().clone();
    let too_big = move || format!("{url} sent more than {cap} bytes, the most {kind} may be");
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(reqwest_middleware::Error::Middleware(anyhow::anyhow!(
            too_big()
        )));
    }
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version())
        .url(response.url().clone());
    if let Some(headers) = builder.headers_mut() {
        *headers = response.headers().clone();
    }
    // (bytes seen, ended): the stream ends right after its error.
    let body = response
        .bytes_stream()
        .scan((0u64, false), move |(seen, ended), chunk| {
            let item = if *ended {
                None
            } else {
                Some(match chunk {
                    Ok(bytes) => {
                        *seen += bytes.len() as u64;
                        if *seen > cap {
                            *ended = true;
                            Err(std::io::Error::other(too_big()))
                        } else {
                            Ok(bytes)
                        }
                    }
                    Err(e) => {
                        *ended = true;
                        Err(std::io::Error::other(e))
                    }
                })
            };
            std::future::ready(item)
        });
    let rebuilt = builder
        .body(reqwest::Body::wrap_stream(body))
        .map_err(|e| reqwest_middleware::Error::Middleware(anyhow::anyhow!(e)))?;
    Ok(reqwest::Response::from(rebuilt))
}

#[async_trait::async_trait]
impl Middleware for PollMiddleware {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let url = req.url().clone();
        let is_head = req.method() == Method::HEAD;
        let sent_etag = req.headers().get(IF_NONE_MATCH).cloned();
        let conditional = sent_etag.is_some() || req.headers().contains_key(IF_MODIFIED_SINCE);

        let mut response = next.run(req, extensions).await?;
        if let Some(date) = crate::probe::clock::date_header(response.headers()) {
            let local = lock(&self.net.clock)
                .as_ref()
                .map_or_else(Utc::now, crate::timeline::Clock::now);
            lock(&self.net.dates).insert(host_key(&url), (date, local));
        }
        let status = response.status();
        self.net.requests.fetch_add(1, Ordering::Relaxed);
        if !is_head {
            self.net
                .body_bytes
                .fetch_add(response.content_length().unwrap_or(0), Ordering::Relaxed);
        }
        if url.path().ends_with("/repodata.json") && !is_head {
            self.net.record_status(&url, status);
        }

        if status == StatusCode::NOT_MODIFIED {
            self.net.not_modified.fetch_add(1, Ordering::Relaxed);
            if !conditional {
                // rattler assumes a 304 only follows its own conditional request (and would
                // panic otherwise); a server that sends one anyway is broken: say so.
                return Err(reqwest_middleware::Error::Middleware(anyhow::anyhow!(
                    "{url} answered 304 Not Modified to a request that had no cached copy to \
                     validate; the server (or a proxy) is misbehaving"
                )));
            }
            let has_validator = response.headers().contains_key(ETAG)
                || response
                    .headers()
                    .contains_key(reqwest::header::LAST_MODIFIED);
            if !has_validator && let Some(etag) = sent_etag.filter(is_single_etag) {
                // RFC 9110 says a 304 should repeat the ETag; some servers do not, and rattler's
                // shard-index cache then fails the poll. A 304 to `If-None-Match: X` with one
                // tag means "X still matches", so restore the header instead of failing.
                response.headers_mut().insert(ETAG, etag);
            }
        }

        if is_index_url(&url) && (status.is_success() || status == StatusCode::NOT_MODIFIED) {
            // The freshness knob (see the module docs): keep the copy, revalidate every poll.
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        if status.is_success() && !is_head {
            let (cap, kind) = body_cap(&url, self.max_body);
            return capped(response, cap, kind);
        }
        Ok(response)
    }
}

/// Whether an `If-None-Match` value names exactly one entity tag.
fn is_single_etag(value: &HeaderValue) -> bool {
    value
        .to_str()
        .is_ok_and(|s| !s.contains(',') && s.trim() != "*" && !s.trim().is_empty())
}
