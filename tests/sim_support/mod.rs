//! Helpers shared by the `sim_*` integration tests.
#![allow(dead_code)]

use flightdeck::sim::{Scenario, SimOptions, SimServer};

/// Parse a scenario or fail the test with every diagnostic.
pub fn scenario(text: &str) -> Scenario {
    match Scenario::from_str("test.toml", text) {
        Ok(s) => s,
        Err(diags) => {
            let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
            panic!("test scenario does not parse:\n{}", all.join("\n"));
        }
    }
}

/// Start a server for scenario text.
pub async fn start(text: &str) -> SimServer {
    SimServer::start(scenario(text), SimOptions::default())
        .await
        .expect("sim server starts")
}

/// An octocrab client pointed at the sim (built without octocrab's `retry` feature, so faults stay visible).
pub fn octo(sim: &SimServer, token: Option<&str>) -> octocrab::Octocrab {
    let b = octocrab::Octocrab::builder()
        .base_uri(sim.github_api())
        .expect("valid base uri");
    match token {
        Some(t) => b
            .personal_token(t.to_string())
            .build()
            .expect("octocrab builds"),
        None => b.build().expect("octocrab builds"),
    }
}

/// A plain HTTP client without an idle pool (no idle timers to disturb paused-clock tests).
pub fn http() -> reqwest::Client {
    flightdeck::install_crypto_provider();
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("reqwest client builds")
}

/// GET with an optional token and extra headers.
pub async fn get(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut rb = client.get(url);
    if let Some(t) = token {
        rb = rb.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.expect("request reaches the sim")
}

/// A header as a string ("" when absent).
pub fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Reads a real payload from `tests/fixtures/` (copied from GitHub's and rattler's test data).
pub fn fixture(rel: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}
