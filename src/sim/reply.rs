//! A reply before the server adds validators, rate-limit headers and faults.

use axum::http::StatusCode;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// What a route handler answers; the server turns it into an HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// Status code.
    pub(crate) status: StatusCode,
    /// Body bytes.
    pub(crate) body: Bytes,
    /// `Content-Type`.
    pub(crate) content_type: &'static str,
    /// Extra headers (`link`, `location`, ...).
    pub(crate) headers: Vec<(String, String)>,
    /// A precomputed strong ETag (channels); GitHub ETags are computed per token.
    pub(crate) etag: Option<String>,
    /// `Last-Modified`, for channel files.
    pub(crate) last_modified: Option<DateTime<Utc>>,
    /// `Cache-Control`.
    pub(crate) cache_control: Option<String>,
}

impl Reply {
    /// A JSON reply.
    pub(crate) fn json(status: StatusCode, v: &Value) -> Reply {
        Reply::bytes(
            status,
            "application/json; charset=utf-8",
            Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        )
    }

    /// A reply with a body of some type.
    pub(crate) fn bytes(status: StatusCode, content_type: &'static str, body: Bytes) -> Reply {
        Reply {
            status,
            body,
            content_type,
            headers: Vec::new(),
            etag: None,
            last_modified: None,
            cache_control: None,
        }
    }

    /// No body (204).
    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply::bytes(status, "text/plain", Bytes::new())
    }
}
