//! Simulated conda channels (read by rattler's Gateway) and the PyPI JSON API.

use crate::sim_support;

use std::collections::BTreeSet;

use rattler_conda_types::{Channel, ChannelConfig, MatchSpec, ParseStrictness, Subdir};
use rattler_repodata_gateway::{CacheClearMode, Gateway, SubdirSelection};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sim_support::{fixture, get, header, http, start};

const WORLD: &str = r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[[channels]]
name = "conda-forge"
sharded = true
subdirs = ["noarch", "linux-64", "osx-arm64"]
synthetic = { seed = 5, records = 4000 }
packages = [
  { name = "conda", version = "26.9.0", build = "py_0", subdirs = ["noarch"], depends = ["python >=3.9"] },
  { name = "conda", version = "26.11.0", build = "py_0", subdirs = ["noarch"], depends = ["python >=3.9"], after = "-1h" },
  { name = "libmamba", version = "2.3.0", build = "h1234567_0", subdirs = ["linux-64", "osx-arm64"], after = "-3h" },
  { name = "libmamba", version = "2.3.1", build = "h7654321_0", subdirs = ["linux-64"], after = "-2h" },
]

[[channels]]
name = "defaults"
sharded = false
subdirs = ["noarch", "linux-64"]
packages = [
  { name = "conda", version = "26.11.0", build = "py_0", subdirs = ["noarch"], after = "-5h" },
  { name = "conda", version = "26.9.0", build = "py_0", subdirs = ["noarch"], format = "tar.bz2" },
]

[[pypi]]
name = "conda-store"
summary = "conda-store client"

[[happening]]
after = "-30m"
kind = "package_broken"
channel = "conda-forge"
name = "libmamba"
version = "2.3.1"

[[happening]]
after = "-3d"
kind = "pypi_upload"
project = "conda-store"
version = "2025.10.0"
requires_python = ">=3.10"

[[happening]]
after = "-1h"
kind = "pypi_upload"
project = "conda_store"
version = "2025.11.0"

[[happening]]
after = "-10m"
kind = "pypi_yank"
project = "conda-store"
version = "2025.10.0"
reason = "broken wheel"
"#;

fn channel(url: &str) -> Channel {
    let config = ChannelConfig::default_with_root_dir(std::env::temp_dir());
    Channel::from_str(url, &config).expect("channel url parses")
}

fn spec(s: &str) -> MatchSpec {
    MatchSpec::from_str(s, ParseStrictness::Lenient).expect("match spec parses")
}

/// (version, subdir, timestamp ms) of every record found.
async fn query(
    gw: &Gateway,
    url: &str,
    platforms: Vec<Subdir>,
    s: &str,
) -> BTreeSet<(String, String, i64)> {
    let data = gw
        .query(vec![channel(url)], platforms, vec![spec(s)])
        .await
        .expect("gateway query succeeds");
    data.iter()
        .flat_map(|rd| rd.iter())
        .map(|r| {
            (
                r.package_record.version.to_string(),
                r.package_record.subdir.clone(),
                r.package_record
                    .timestamp
                    .map(|t| t.timestamp_millis())
                    .unwrap_or(0),
            )
        })
        .collect()
}

#[tokio::test]
async fn sim_rattler_gateway_reads_a_sharded_channel() {
    let sim = start(WORLD).await;
    let cache = tempfile::tempdir().expect("tempdir");
    // The gateway builds its own client: the provider must be there first.
    flightdeck::install_crypto_provider();
    let gw = Gateway::builder().with_cache_dir(cache.path()).finish();
    let url = sim.channel_url("conda-forge");

    let found = query(
        &gw,
        &url,
        vec![Subdir::NoArch, Subdir::Linux64],
        "conda ==26.11.0",
    )
    .await;
    let start_ms = sim.sim_clock().start().timestamp_millis();
    assert_eq!(
        found,
        BTreeSet::from([(
            "26.11.0".to_string(),
            "noarch".to_string(),
            start_ms - 3_600_000
        )]),
        "the record's timestamp is the sim time it appeared"
    );

    // The broken build moved to label/broken; only 2.3.0 remains in the main channel.
    let found = query(&gw, &url, vec![Subdir::NoArch, Subdir::Linux64], "libmamba").await;
    let versions: BTreeSet<String> = found.into_iter().map(|f| f.0).collect();
    assert_eq!(versions, BTreeSet::from(["2.3.0".to_string()]));
    let broken = query(
        &gw,
        &format!("{url}/label/broken"),
        vec![Subdir::NoArch, Subdir::Linux64],
        "libmamba",
    )
    .await;
    let versions: BTreeSet<String> = broken.into_iter().map(|f| f.0).collect();
    assert_eq!(versions, BTreeSet::from(["2.3.1".to_string()]));

    // It went through shards, never the full repodata.
    let log = sim.requests();
    assert!(
        log.iter()
            .any(|r| r.path.ends_with("/linux-64/repodata_shards.msgpack.zst") && r.status == 200)
    );
    assert!(
        log.iter()
            .any(|r| r.path.contains("/linux-64/shards/") && r.status == 200)
    );
    assert!(
        !log.iter()
            .any(|r| r.path.contains("conda-forge/linux-64/repodata.json")),
        "{log:#?}"
    );

    // A repeat poll after clearing rattler's in-memory cache revalidates: 304s with ETags.
    gw.clear_repodata_cache(
        &channel(&url),
        SubdirSelection::All,
        CacheClearMode::InMemoryOnly,
    )
    .expect("cache cleared");
    let before = sim.requests().len();
    let again = query(
        &gw,
        &url,
        vec![Subdir::NoArch, Subdir::Linux64],
        "conda ==26.11.0",
    )
    .await;
    assert_eq!(again.len(), 1);
    let repeat: Vec<_> = sim.requests().into_iter().skip(before).collect();
    assert!(
        repeat.iter().all(|r| r.status == 304 || r.status == 200),
        "{repeat:#?}"
    );
    let moved: u64 = repeat.iter().map(|r| r.bytes).sum();
    assert!(
        moved < 200,
        "an unchanged channel moves next to nothing, moved {moved} bytes"
    );
}

#[tokio::test]
async fn sim_rattler_gateway_reads_an_unsharded_channel() {
    let sim = start(WORLD).await;
    let cache = tempfile::tempdir().expect("tempdir");
    // The gateway builds its own client: the provider must be there first.
    flightdeck::install_crypto_provider();
    let gw = Gateway::builder().with_cache_dir(cache.path()).finish();
    let url = sim.channel_url("defaults");
    let found = query(&gw, &url, vec![Subdir::NoArch, Subdir::Linux64], "conda").await;
    let versions: BTreeSet<String> = found.into_iter().map(|f| f.0).collect();
    assert_eq!(
        versions,
        BTreeSet::from(["26.11.0".to_string(), "26.9.0".to_string()])
    );
    let log = sim.requests();
    assert!(log.iter().any(|r| {
        r.path
            .ends_with("defaults/noarch/repodata_shards.msgpack.zst")
            && r.status == 404
    }));
    assert!(
        log.iter()
            .any(|r| r.path.contains("defaults/noarch/repodata.json") && r.status == 200)
    );
}

#[tokio::test]
async fn sim_channel_files_validators_and_shapes() {
    let sim = start(WORLD).await;
    let client = http();
    let url = format!("{}/noarch/repodata.json", sim.channel_url("defaults"));
    let r = get(&client, &url, None, &[]).await;
    assert_eq!(r.status(), 200);
    let etag = header(&r, "etag");
    let last_modified = header(&r, "last-modified");
    assert!(!etag.is_empty() && !last_modified.is_empty());
    let body: Value = r.json().await.expect("repodata is JSON");
    let rec = &body["packages.conda"]["conda-26.11.0-py_0.conda"];
    let fx = fixture("channels/test-server/noarch/repodata.json");
    let fx_rec = &fx["packages"]["test-package-0.1-0.tar.bz2"];
    let fx_keys: BTreeSet<&String> = fx_rec
        .as_object()
        .expect("object")
        .keys()
        .filter(|k| *k != "license_family")
        .collect();
    let keys: BTreeSet<&String> = rec.as_object().expect("record exists").keys().collect();
    assert!(
        fx_keys.is_subset(&keys),
        "missing {:?}",
        fx_keys.difference(&keys).collect::<Vec<_>>()
    );
    assert_eq!(
        rec["timestamp"],
        sim.sim_clock().start().timestamp_millis() - 5 * 3_600_000
    );
    assert_eq!(rec["sha256"].as_str().map(str::len), Some(64));
    assert!(body["packages"]["conda-26.9.0-py_0.tar.bz2"].is_object());

    let r = get(&client, &url, None, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status(), 304);
    assert_eq!(
        header(&r, "etag"),
        etag,
        "rattler needs the ETag repeated on a 304"
    );
    let r = get(
        &client,
        &url,
        None,
        &[("if-modified-since", &last_modified)],
    )
    .await;
    assert_eq!(r.status(), 304);

    let zst = get(&client, &format!("{url}.zst"), None, &[]).await;
    assert_eq!(zst.status(), 200);
    let bytes = zst.bytes().await.expect("body");
    let decoded = zstd::decode_all(&bytes[..]).expect("valid zstd");
    assert_eq!(
        serde_json::from_slice::<Value>(&decoded).expect("json"),
        body
    );

    let missing = get(
        &client,
        &format!("{}/win-64/repodata.json", sim.channel_url("defaults")),
        None,
        &[],
    )
    .await;
    assert_eq!(missing.status(), 404, "a subdir the channel lacks is a 404");
    let unknown = get(
        &client,
        &format!("{}/channels/nope/noarch/repodata.json", sim.base_url()),
        None,
        &[],
    )
    .await;
    assert_eq!(unknown.status(), 404);
    let cd = get(
        &client,
        &format!("{}/channeldata.json", sim.channel_url("conda-forge")),
        None,
        &[],
    )
    .await;
    let cd: Value = cd.json().await.expect("channeldata");
    assert_eq!(cd["packages"]["conda"]["version"], "26.11.0");
}

#[tokio::test]
async fn sim_shards_are_named_by_the_sha256_of_their_bytes() {
    let sim = start(WORLD).await;
    let client = http();
    let base = format!("{}/linux-64", sim.channel_url("conda-forge"));
    let r = get(
        &client,
        &format!("{base}/repodata_shards.msgpack.zst"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status(), 200);
    let raw = zstd::decode_all(&r.bytes().await.expect("body")[..]).expect("zstd");
    let index: rattler_conda_types::ShardedRepodata =
        rmp_serde::from_slice(&raw).expect("CEP-16 index");
    assert_eq!(index.info.subdir, "linux-64");
    assert!(index.shards.len() > 10);
    let hash = index.shards.get("libmamba").expect("libmamba has a shard");
    let hex_name = hex::encode(hash);
    let shard = get(
        &client,
        &format!("{base}/shards/{hex_name}.msgpack.zst"),
        None,
        &[],
    )
    .await;
    assert_eq!(shard.status(), 200);
    let bytes = shard.bytes().await.expect("body");
    assert_eq!(hex::encode(Sha256::digest(&bytes)), hex_name);
    let shard: rattler_conda_types::Shard =
        rmp_serde::from_slice(&zstd::decode_all(&bytes[..]).expect("zstd")).expect("shard");
    assert_eq!(
        shard.conda_packages.len(),
        1,
        "2.3.0 only: 2.3.1 was marked broken"
    );
    assert_eq!(shard.removed.len(), 1);
    let gone = get(
        &client,
        &format!("{base}/shards/{}.msgpack.zst", "00".repeat(32)),
        None,
        &[],
    )
    .await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn sim_pypi_json_api() {
    let sim = start(WORLD).await;
    let client = http();
    let r = get(
        &client,
        &format!("{}/Conda_Store/json", sim.pypi_url()),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["info"]["version"], "2025.11.0");
    let files = v["releases"]["2025.11.0"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    let upload = sim.sim_clock().start() - chrono::TimeDelta::hours(1);
    for f in files {
        assert_eq!(
            f["upload_time"],
            upload.format("%Y-%m-%dT%H:%M:%S").to_string()
        );
        assert!(
            f["upload_time_iso_8601"]
                .as_str()
                .is_some_and(|s| s.starts_with(&upload.format("%Y-%m-%dT%H:%M:%S").to_string()))
        );
        assert_eq!(f["digests"]["sha256"].as_str().map(str::len), Some(64));
        assert!(
            f["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://files.pythonhosted.org/"))
        );
        assert_eq!(f["yanked"], false);
    }
    assert_eq!(v["releases"]["2025.10.0"][0]["yanked"], true);
    assert_eq!(
        v["releases"]["2025.10.0"][0]["yanked_reason"],
        "broken wheel"
    );
    assert_eq!(v["urls"].as_array().map(Vec::len), Some(2));

    let r = get(
        &client,
        &format!("{}/conda-store/2025.10.0/json", sim.pypi_url()),
        None,
        &[],
    )
    .await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["info"]["yanked"], true);
    assert_eq!(v["info"]["requires_python"], ">=3.10");
    let r = get(
        &client,
        &format!("{}/conda-store/9.9.9/json", sim.pypi_url()),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = get(
        &client,
        &format!("{}/no-such-project/json", sim.pypi_url()),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status(), 404);
}
