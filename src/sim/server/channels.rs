//! `/channels/{name}/...`: conda channel files from the world's channel store.

use axum::http::StatusCode;
use bytes::Bytes;

use crate::sim::reply::Reply;
use crate::sim::world::World;

pub(super) fn reply(w: &mut World, segs: &[&str], get: bool) -> Reply {
    let not_found = || {
        Reply::bytes(
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"404 Not Found\n"),
        )
    };
    if !get {
        return Reply::bytes(StatusCode::METHOD_NOT_ALLOWED, "text/plain", Bytes::new());
    }
    let Some((name, rest)) = w.channels.split_path(segs) else {
        return not_found();
    };
    let Some(ch) = w.channels.channels.get_mut(&name) else {
        return not_found();
    };
    let max_age = ch.max_age;
    let sharded = ch.sharded;
    let cc = format!("public, max-age={max_age}");
    let (body, ct, lm, cache) = match rest {
        ["channeldata.json"] => {
            let lm = ch.last_modified();
            (ch.channeldata(), "application/json", Some(lm), cc)
        }
        [subdir, file] => {
            let Some(sd) = ch.subdirs.get_mut(*subdir) else {
                return not_found();
            };
            let lm = sd.last_modified;
            match *file {
                "repodata.json" => (sd.repodata_json(subdir), "application/json", Some(lm), cc),
                "repodata.json.zst" => (
                    sd.repodata_zst(subdir),
                    "application/octet-stream",
                    Some(lm),
                    cc,
                ),
                "repodata_shards.msgpack.zst" if sharded => (
                    sd.shard_index(subdir),
                    "application/octet-stream",
                    Some(lm),
                    cc,
                ),
                _ => return not_found(),
            }
        }
        [subdir, "shards", file] if sharded => {
            let Some(sd) = ch.subdirs.get_mut(*subdir) else {
                return not_found();
            };
            let hash = file
                .strip_suffix(".msgpack.zst")
                .and_then(|h| hex::decode(h).ok())
                .and_then(|v| <[u8; 32]>::try_from(v).ok());
            match hash.and_then(|h| sd.shard(&h)) {
                Some(b) => (
                    b,
                    "application/octet-stream",
                    None,
                    "public, max-age=31536000, immutable".to_string(),
                ),
                None => return not_found(),
            }
        }
        _ => return not_found(),
    };
    let mut r = Reply::bytes(StatusCode::OK, ct, body.bytes);
    r.etag = Some(body.etag);
    r.last_modified = lm;
    r.cache_control = Some(cache);
    r
}
