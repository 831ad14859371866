//! A reply before the server adds validators, rate-limit headers and faults.

use axum::http::StatusCode;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// What a route handler answers; the server turns it into an HTTP response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Body bytes.
    pub body: Bytes,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Extra headers (`link`, `location`, ...).
    pub headers: Vec<(String, String)>,
    /// A precomputed strong ETag (channels); GitHub ETags are computed per token.
    pub etag: Option<String>,
    /// `Last-Modified`, for channel files.
    pub last_modified: Option<DateTime<Utc>>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: StatusCode, v: &Value) -> Reply {
        Reply::bytes(
            status,
            "application/json; charset=utf-8",
            Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        )
    }

    /// A reply with a body of some type.
    pub fn bytes(status: StatusCode, content_type: &'static str, body: Bytes) -> Reply {
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
    pub fn empty(status: StatusCode) -> Reply {
        Reply::bytes(status, "text/plain", Bytes::new())
    }
}
