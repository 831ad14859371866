//! `/pypi/{name}/json` and `/pypi/{name}/{version}/json`.

use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::json;

use crate::sim::reply::Reply;
use crate::sim::world::World;

pub(super) fn reply(w: &World, segs: &[&str], get: bool) -> Reply {
    let not_found = || Reply::json(StatusCode::NOT_FOUND, &json!({"message": "Not Found"}));
    if !get {
        return Reply::bytes(StatusCode::METHOD_NOT_ALLOWED, "text/plain", Bytes::new());
    }
    let doc = match segs {
        [name, "json"] => w
            .pypi
            .projects
            .get(&crate::sim::pypi::normalize(name))
            .and_then(|p| p.project_json()),
        [name, version, "json"] => w
            .pypi
            .projects
            .get(&crate::sim::pypi::normalize(name))
            .and_then(|p| p.version_json(version)),
        _ => None,
    };
    match doc {
        Some(v) => {
            let mut r = Reply::json(StatusCode::OK, &v);
            r.cache_control = Some("max-age=0, public".into());
            r
        }
        None => not_found(),
    }
}
