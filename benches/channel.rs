//! Channel probe budgets (design.md): a first availability check of one package across six
//! subdirs moves at most 5% of the bytes of downloading those subdirs' full
//! `repodata.json.zst`; a repeat poll of an unchanged channel moves next to nothing.
//!
//! Runs against the simulated world with a deterministic synthetic channel of realistic size.
//! Prints the bytes and ratios once, then lets criterion time the three operations.
//!
//! `cargo bench --bench channel` (set `FLIGHTDECK_BENCH_RECORDS` to change the channel size).

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flightdeck::probe::channel::{ChannelChecker, ChannelQuery};
use flightdeck::sim::{Scenario, SimOptions, SimServer};

const SUBDIRS: [&str; 6] = [
    "noarch",
    "linux-64",
    "linux-aarch64",
    "osx-64",
    "osx-arm64",
    "win-64",
];

fn scenario(records: usize) -> Scenario {
    let text = format!(
        r#"
[clock]
start = "2026-11-10T13:00:00Z"
speed = 1

[[channels]]
name = "conda-forge"
sharded = true
subdirs = ["noarch", "linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64"]
synthetic = {{ seed = 42, records = {records} }}
packages = [
  {{ name = "conda", version = "26.9.0", build = "py_0", subdirs = ["noarch"], after = "-60d" }},
  {{ name = "conda", version = "26.11.0", build = "py_0", subdirs = ["noarch"], after = "-1h" }},
]
"#
    );
    match Scenario::from_str("bench.toml", &text) {
        Ok(s) => s,
        Err(d) => panic!(
            "{}",
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// Body bytes the sim sent since request number `from`.
fn bytes_since(sim: &SimServer, from: usize) -> (u64, usize) {
    let recs = sim.requests();
    let new = &recs[from.min(recs.len())..];
    (new.iter().map(|r| r.bytes).sum(), new.len())
}

async fn full_download(client: &reqwest::Client, channel_url: &str) -> u64 {
    let mut total = 0;
    for subdir in SUBDIRS {
        let url = format!("{channel_url}/{subdir}/repodata.json.zst");
        let body = client
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("full repodata downloads")
            .bytes()
            .await
            .expect("body");
        total += body.len() as u64;
    }
    total
}

fn bench(c: &mut Criterion) {
    let records = std::env::var("FLIGHTDECK_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let started = Instant::now();
    let sim = rt
        .block_on(SimServer::start(scenario(records), SimOptions::default()))
        .expect("sim starts");
    let channel_url = sim.channel_url("conda-forge");
    eprintln!(
        "simulated channel: {records} records over {} subdirs, built in {:.1?}",
        SUBDIRS.len(),
        started.elapsed()
    );
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert("conda-forge".to_owned(), channel_url.clone());
    let query = ChannelQuery::parse("conda-forge", &overrides, "conda", "26.11.0", &SUBDIRS)
        .expect("query");
    flightdeck::install_crypto_provider();
    let client = reqwest::Client::new();

    // --- bytes, measured once -----------------------------------------------------------
    let mark = sim.requests().len();
    let t = Instant::now();
    let full = rt.block_on(full_download(&client, &channel_url));
    let full_time = t.elapsed();
    let (full_wire, _) = bytes_since(&sim, mark);

    let cache = tempfile::tempdir().expect("tempdir");
    let checker = ChannelChecker::new(cache.path()).expect("checker");
    let mark = sim.requests().len();
    let t = Instant::now();
    let report = rt.block_on(checker.check(&query));
    let first_time = t.elapsed();
    assert!(
        report.subdirs.iter().all(|s| !matches!(
            s.status,
            flightdeck::probe::channel::SubdirStatus::Error { .. }
        )),
        "{report:#?}"
    );
    assert!(report.subdirs[0].status.is_available(), "{report:#?}");
    let (first_bytes, first_requests) = bytes_since(&sim, mark);
    // Where the first check's bytes go: the six shard indexes (one entry per package name in
    // the subdir) versus the one shard that holds the package.
    let first_reqs: Vec<_> = sim.requests().into_iter().skip(mark).collect();
    let index_bytes: u64 = first_reqs
        .iter()
        .filter(|r| r.path.ends_with("repodata_shards.msgpack.zst"))
        .map(|r| r.bytes)
        .sum();
    let shard_bytes: u64 = first_reqs
        .iter()
        .filter(|r| r.path.contains("/shards/"))
        .map(|r| r.bytes)
        .sum();

    let mark = sim.requests().len();
    let t = Instant::now();
    let _ = rt.block_on(checker.check(&query));
    let repeat_time = t.elapsed();
    let (repeat_bytes, repeat_requests) = bytes_since(&sim, mark);

    println!();
    println!(
        "channel probe budget ({records} records, {} subdirs, sharded)",
        SUBDIRS.len()
    );
    println!(
        "  full repodata.json.zst download : {full:>12} bytes ({full_wire} on the wire), {full_time:.1?}"
    );
    println!(
        "  first availability check        : {first_bytes:>12} bytes in {first_requests} requests, {first_time:.1?}  -> {:.3}% of full (goal: at most 2.1%)",
        100.0 * first_bytes as f64 / full as f64
    );
    println!(
        "    of which shard indexes         : {index_bytes:>12} bytes; shards: {shard_bytes} bytes"
    );
    println!(
        "  repeat poll, unchanged channel  : {repeat_bytes:>12} bytes in {repeat_requests} requests, {repeat_time:.1?}  -> {:.5}% of full",
        100.0 * repeat_bytes as f64 / full as f64
    );
    println!(
        "  note: a shard index costs ~40 bytes per package *name* in the subdir, full repodata \
         ~100 bytes per *record*, so the ratio follows names per record. The synthetic channel \
         is shaped like a real one (~20 builds per name and subdir, a third of the names \
         noarch-only), as conda-forge is: index 0.4-0.9 MB vs tens of MB of .zst per subdir."
    );
    println!();

    // --- wall time -----------------------------------------------------------------------
    let mut group = c.benchmark_group("channel");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("full_zst_download_6_subdirs", |b| {
        b.iter(|| rt.block_on(full_download(&client, &channel_url)));
    });
    group.bench_function("first_check_6_subdirs", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let checker = ChannelChecker::new(dir.path()).expect("checker");
                (dir, checker)
            },
            |(dir, checker)| {
                let report = rt.block_on(checker.check(&query));
                drop(dir);
                report
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("repeat_poll_6_subdirs", |b| {
        b.iter(|| rt.block_on(checker.check(&query)));
    });
    group.finish();
    drop(sim);
}

criterion_group!(benches, bench);
criterion_main!(benches);
