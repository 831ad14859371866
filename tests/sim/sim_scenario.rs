//! Scenario timing on a paused clock, fault windows, and scenario diagnostics.

use crate::sim_support;

use std::time::Duration;

use flightdeck::sim::{Scenario, SimOptions, SimServer, builtin};
use serde_json::Value;
use sim_support::{get, header, http, scenario};

async fn advance_to_minute(sim: &SimServer, minute: i64) {
    let target = sim.sim_clock().start() + chrono::TimeDelta::minutes(minute);
    tokio::time::advance(sim.sim_clock().real_until(target)).await;
}

#[tokio::test(start_paused = true)]
async fn sim_happenings_appear_only_after_their_offset() {
    let text = builtin("conda-release").expect("shipped");
    let sim = SimServer::start(scenario(text), SimOptions::default())
        .await
        .expect("starts");
    let client = http();
    let api = sim.github_api();
    let tags = |c: reqwest::Client, url: String| async move {
        let r = get(&c, &url, Some("sim-pilot-token"), &[]).await;
        let v: Value = r.json().await.expect("json");
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["name"].as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let tags_url = format!("{api}/repos/conda/conda/tags");

    // Tag 26.11.0 is pushed at 30m.
    advance_to_minute(&sim, 29).await;
    assert_eq!(
        tags(client.clone(), tags_url.clone()).await,
        vec!["26.9.1", "26.9.0"]
    );
    advance_to_minute(&sim, 31).await;
    assert_eq!(
        tags(client.clone(), tags_url.clone()).await,
        vec!["26.11.0", "26.9.1", "26.9.0"]
    );

    // The release is published at 35m; published_at is the sim time, not the wall clock.
    advance_to_minute(&sim, 36).await;
    let r = get(
        &client,
        &format!("{api}/repos/conda/conda/releases/latest"),
        None,
        &[],
    )
    .await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["tag_name"], "26.11.0");
    assert_eq!(v["published_at"], "2026-11-10T13:35:00Z");

    // Channel skew: defaults has 26.11.0 at 2h30m, conda-forge only at 6h30m.
    let has = |c: reqwest::Client, url: String| async move {
        let r = get(&c, &url, None, &[]).await;
        let v: Value = r.json().await.expect("json");
        v["packages.conda"]
            .get("conda-26.11.0-py_0.conda")
            .is_some()
    };
    let defaults = format!("{}/noarch/repodata.json", sim.channel_url("defaults"));
    let forge = format!("{}/noarch/repodata.json", sim.channel_url("conda-forge"));
    advance_to_minute(&sim, 149).await;
    assert!(!has(client.clone(), defaults.clone()).await);
    advance_to_minute(&sim, 151).await;
    assert!(has(client.clone(), defaults.clone()).await);
    assert!(!has(client.clone(), forge.clone()).await);
    advance_to_minute(&sim, 6 * 60 + 31).await;
    assert!(has(client.clone(), forge.clone()).await);

    // The bot PR's CI failed once and then passed on a new head sha.
    let r = get(
        &client,
        &format!("{api}/repos/conda-forge/conda-feedstock/pulls/250"),
        None,
        &[],
    )
    .await;
    let pr: Value = r.json().await.expect("json");
    assert_eq!(pr["title"], "conda v26.11.0");
    assert_eq!(pr["merged_at"], "2026-11-10T14:50:00Z");
    let sha = pr["head"]["sha"].as_str().expect("sha");
    let r = get(
        &client,
        &format!("{api}/repos/conda-forge/conda-feedstock/commits/{sha}/status"),
        None,
        &[],
    )
    .await;
    let st: Value = r.json().await.expect("json");
    assert_eq!(st["state"], "success");

    assert!(!sim.finished(), "the bug report's reply is still to come");
    advance_to_minute(&sim, 8 * 60).await;
    assert!(
        sim.finished(),
        "the conda release plays out in ~8 sim hours"
    );
    assert!(
        sim.notes().is_empty(),
        "every happening applied: {:?}",
        sim.notes()
    );
    // Default speed: 8 simulated hours in 2–3 real minutes.
    let real = sim
        .sim_clock()
        .real_until(sim.sim_clock().start() + chrono::TimeDelta::hours(8));
    assert!(real.is_zero());
    let speed = sim.sim_clock().speed();
    assert!(
        (8.0 * 3600.0 / speed) >= 120.0 && (8.0 * 3600.0 / speed) <= 180.0,
        "speed {speed}"
    );
}

#[tokio::test(start_paused = true)]
async fn sim_faults_appear_in_their_windows_only() {
    let text = builtin("flaky-github").expect("shipped");
    let sim = SimServer::start(scenario(text), SimOptions::default())
        .await
        .expect("starts");
    let client = http();
    let repos = format!("{}/repos/conda/conda/tags", sim.github_api());
    let chan = format!("{}/noarch/repodata.json", sim.channel_url("conda-forge"));
    let tok = Some("sim-pilot-token");

    // Quiet before the first window.
    advance_to_minute(&sim, 9).await;
    assert_eq!(get(&client, &repos, tok, &[]).await.status(), 200);

    // 10m: 502 with GitHub's JSON error, on /repos/ only.
    advance_to_minute(&sim, 11).await;
    let r = get(&client, &repos, tok, &[]).await;
    assert_eq!(r.status(), 502);
    assert_eq!(
        r.json::<Value>().await.expect("json")["message"],
        "Server Error"
    );
    assert_eq!(get(&client, &chan, None, &[]).await.status(), 200);
    advance_to_minute(&sim, 21).await;
    assert_eq!(get(&client, &repos, tok, &[]).await.status(), 200);

    // 25m: slow replies (2 s real).
    advance_to_minute(&sim, 26).await;
    let before = tokio::time::Instant::now();
    assert_eq!(get(&client, &repos, tok, &[]).await.status(), 200);
    assert!(before.elapsed() >= Duration::from_secs(2));
    let before = tokio::time::Instant::now();
    get(&client, &chan, None, &[]).await;
    assert!(
        before.elapsed() < Duration::from_secs(1),
        "channels are not slowed"
    );

    // 40m: the connection is closed without a response.
    advance_to_minute(&sim, 41).await;
    let mut rb = client.get(&repos);
    rb = rb.header("authorization", "Bearer sim-pilot-token");
    assert!(
        rb.send().await.is_err(),
        "a dropped connection is a transport error"
    );
    assert!(sim.requests().iter().any(|r| r.status == 0));

    // 55m: secondary rate limit with retry-after; 70m without.
    advance_to_minute(&sim, 56).await;
    let r = get(&client, &repos, tok, &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "retry-after"), "60");
    assert!(
        r.json::<Value>().await.expect("json")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("secondary rate limit")
    );
    advance_to_minute(&sim, 71).await;
    let r = get(&client, &repos, tok, &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "retry-after"), "");

    // 85m: quota exhausted (403), 100m: (429); reset points at the window's end.
    advance_to_minute(&sim, 86).await;
    let r = get(&client, &repos, tok, &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    let reset: i64 = header(&r, "x-ratelimit-reset").parse().expect("number");
    assert_eq!(
        reset,
        (sim.sim_clock().start() + chrono::TimeDelta::minutes(95)).timestamp()
    );
    advance_to_minute(&sim, 101).await;
    let r = get(&client, &repos, tok, &[]).await;
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");

    // 115m: an HTML error page.
    advance_to_minute(&sim, 116).await;
    let r = get(&client, &repos, tok, &[]).await;
    assert_eq!(r.status(), 503);
    assert!(header(&r, "content-type").starts_with("text/html"));

    // 130m: truncated JSON; 145m: malformed JSON. Both 200s that do not parse.
    for minute in [131, 146] {
        advance_to_minute(&sim, minute).await;
        let r = get(&client, &repos, tok, &[]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "etag"), "", "a broken body carries no validator");
        let body = r.bytes().await.expect("body");
        assert!(
            serde_json::from_slice::<Value>(&body).is_err(),
            "minute {minute}: body parsed"
        );
    }

    // 160m: channels fail, GitHub does not.
    advance_to_minute(&sim, 161).await;
    assert_eq!(get(&client, &chan, None, &[]).await.status(), 503);
    assert_eq!(get(&client, &repos, tok, &[]).await.status(), 200);

    // Quiet again.
    advance_to_minute(&sim, 176).await;
    assert_eq!(get(&client, &chan, None, &[]).await.status(), 200);
    assert_eq!(get(&client, &repos, tok, &[]).await.status(), 200);
}

#[tokio::test]
async fn sim_request_log_file_has_one_json_line_per_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("requests.jsonl");
    let sim = SimServer::start(
        scenario(builtin("conda-store-release").expect("shipped")),
        SimOptions {
            port: None,
            speed: Some(1.0),
            request_log: Some(path.clone()),
        },
    )
    .await
    .expect("starts");
    let client = http();
    get(
        &client,
        &format!("{}/conda-store/json", sim.pypi_url()),
        None,
        &[],
    )
    .await;
    get(
        &client,
        &format!(
            "{}/repos/conda-incubator/conda-store/releases",
            sim.github_api()
        ),
        Some("sim-copilot-token"),
        &[],
    )
    .await;
    let flags = sim.flags();
    assert_eq!(flags[0], "--github-api");
    assert!(flags.contains(&format!("conda-forge={}", sim.channel_url("conda-forge"))));
    assert!(flags.contains(&"--pypi-url".to_string()));
    sim.shutdown().await;
    let text = std::fs::read_to_string(&path).expect("log written");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["path"], "/pypi/conda-store/json");
    assert_eq!(lines[0]["login"], Value::Null);
    assert_eq!(lines[1]["login"], "bob");
    assert_eq!(lines[1]["counted"], true);
    assert!(
        !text.contains("sim-copilot-token"),
        "tokens never reach the log"
    );
}

#[test]
fn sim_malformed_scenario_reports_every_error_with_its_place() {
    let text = r#"[clock]
start = "2026-13-40T00:00:00Z"
sped = 10

[[repos]]
name = "conda/conda"

[[happening]]
after = "1h30x"
kind = "tag"
repo = "conda/conda"
tag = "1.0"

[[happening]]
after = "2h"
kind = "tag_pushed"

[[happening]]
after = "3h"
kind = "issue"
repo = "conda/conda"

[[fault]]
kind = "slow"
after = "1h"
duration = "5m"
"#;
    let diags = Scenario::from_str("bad.toml", text).expect_err("must be rejected");
    let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
    let all = shown.join("\n");
    let expect = [
        ("bad.toml:2:9: bad time", "RFC 3339"),
        (
            "bad.toml:3:1: unknown key `sped` in [clock]",
            "did you mean `speed`?",
        ),
        ("bad.toml:9:9: bad duration `1h30x`", "units d, h, m or s"),
        (
            "bad.toml:16:8: unknown happening kind `tag_pushed`",
            "did you mean `tag`?",
        ),
        (
            "bad.toml:18:1: missing `title` in a [[happening]]",
            "title =",
        ),
        ("bad.toml:23:1: missing `delay` in a [[fault]]", "delay ="),
    ];
    for (start, hint) in expect {
        let d = shown
            .iter()
            .find(|d| d.starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` in:\n{all}"));
        assert!(d.contains(hint), "`{d}` lacks hint `{hint}`");
    }
    assert_eq!(diags.len(), expect.len(), "exactly these errors:\n{all}");
}

#[test]
fn sim_scenario_reference_errors_and_invalid_toml() {
    let text = r#"[clock]
start = "2026-11-10T13:00:00Z"

[[happening]]
after = "1h"
kind = "pr_merge"
repo = "conda/conda"
number = 5
"#;
    let diags = Scenario::from_str("refs.toml", text).expect_err("unknown repo and PR");
    let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(
        all.iter()
            .any(|d| d.contains("repo `conda/conda`, which is not in [[repos]]")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|d| d.contains("conda/conda#5 before any pr_open")),
        "{all:?}"
    );

    let diags = Scenario::from_str("broken.toml", "[clock\nstart = 1").expect_err("not TOML");
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0].to_string().starts_with("broken.toml:1:"),
        "{}",
        diags[0]
    );

    let diags = Scenario::from_str("empty.toml", "").expect_err("needs a clock");
    assert!(diags[0].message.contains("[clock]"));
}
