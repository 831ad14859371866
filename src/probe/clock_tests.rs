//! Ages against the source's clock, end to end: a simulated world whose clock is
//! years away from this machine's, watched by the real probes over loopback and
//! drawn by the real cockpit. (A `…tests.rs` file: it may reach `sim` and `tui`.)

use crate::checklist::Checklist;
use crate::crew::Role;
use crate::github::{ClientOptions, GithubClient, Token};
use crate::probe::ProbeMsg;
use crate::probe::scheduler::{self, SchedulerOptions};
use crate::sim::{Scenario, SimOptions, SimServer};
use crate::store::Store;
use crate::timeline::{Clock, Home};
use crate::tui::action::Action;
use crate::tui::model::Model;
use crate::tui::theme::Theme;
use crate::tui::update::update;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::sync::Arc;

/// A world of March 2020: the feedstock PR merged 5½ minutes before "now" (half a
/// minute from either edge of "5m"), conda reached conda-forge 3 minutes before it.
const WORLD: &str = r#"
[clock]
start = "2020-03-01T12:00:00Z"
speed = 1

[[tokens]]
token = "sim-pilot-token"
login = "jane"
role = "pilot"

[[repos]]
name = "conda/conda"

[[repos]]
name = "conda-forge/conda-feedstock"

[[repos]]
name = "AnacondaRecipes/conda-feedstock"

[[channels]]
name = "conda-forge"
subdirs = ["noarch"]
packages = [
  { name = "conda", version = "26.11.0", build = "py_0", subdirs = ["noarch"], after = "-3m" },
]

[[channels]]
name = "defaults"
subdirs = ["noarch"]

[[happening]]
after = "-40m"
kind = "tag"
repo = "conda/conda"
tag = "26.11.0"

[[happening]]
after = "-30m"
kind = "bot_pr"
repo = "conda-forge/conda-feedstock"
number = 250
package = "conda"
version = "26.11.0"

[[happening]]
after = "-5m30s"
kind = "pr_merge"
repo = "conda-forge/conda-feedstock"
number = 250
"#;

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn ages_read_in_minutes_on_the_sources_clock_even_when_ours_is_years_off() {
    let scenario = Scenario::from_str("far.toml", WORLD).expect("the world parses");
    let sim = SimServer::start(scenario, SimOptions::default())
        .await
        .expect("the sim starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let source = std::fs::read_to_string(&path).expect("the checklist");
    let checklist = Checklist::parse("conda.toml", &source).expect("the checklist parses");
    // This machine's clock, as `fly` uses it: years after the world's.
    let release = Home::new(dir.path())
        .create(&checklist, &source, "26.11.0", "jane", Clock::System)
        .expect("a release");
    let store = Store::new(
        release
            .open_log("jane", Role::Pilot, Clock::System)
            .expect("the log opens"),
    );
    let mut config = crate::config::Config {
        home: dir.path().to_path_buf(),
        cache_dir: dir.path().join("cache"),
        login: None,
        github_api: Some(sim.github_api()),
        pypi_url: Some(sim.pypi_url()),
        channels: Default::default(),
        theme: None,
        config_dir: None,
        ..crate::config::Config::default()
    };
    for c in ["conda-forge", "defaults"] {
        config.channels.insert(c.into(), sim.channel_url(c));
    }
    let client = GithubClient::new(
        &sim.github_api(),
        Token::new("sim-pilot-token"),
        ClientOptions::default(),
    )
    .map(Arc::new);
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let probes = release.plan.probes().into_iter().cloned().collect();
    let opts = SchedulerOptions {
        once: true,
        ..SchedulerOptions::default()
    };
    let handle = scheduler::spawn_with_config(
        probes,
        client,
        store.clone(),
        Clock::System,
        tx,
        opts,
        &config,
    );
    let mut msgs = Vec::new();
    while let Some(m) = rx.recv().await {
        msgs.push(m);
    }
    handle.join().await;
    let clocks: Vec<&str> = msgs
        .iter()
        .filter_map(|m| match m {
            ProbeMsg::Clock(c) => Some(c.source.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        clocks.contains(&"GitHub"),
        "GitHub's clock was read: {clocks:?}"
    );
    assert!(
        clocks.contains(&"conda-forge"),
        "the channel's clock was read: {clocks:?}"
    );

    let mut model = store.with_events(|events| {
        Model::new(
            &release.meta.id,
            release.plan.clone(),
            events,
            Role::Pilot,
            "jane",
            chrono::Utc::now(),
        )
    });
    let draw = |m: &Model| {
        let area = Rect::new(0, 0, 160, 48);
        let mut buf = Buffer::empty(area);
        crate::tui::view::render(m, &Theme::monochrome(), area, &mut buf);
        text(&buf)
    };
    let before = draw(&model);
    for m in msgs {
        update(&mut model, Action::Probe(m));
    }
    let screen = draw(&model);
    assert!(
        screen.contains("PR merged 5m ago"),
        "the merge reads in minutes on GitHub's clock:\n{screen}"
    );
    assert!(
        screen.contains("⚠ your clock is ") && screen.contains(" ahead of GitHub's"),
        "the header says this clock is off:\n{screen}"
    );
    assert!(
        !screen.contains("skew:"),
        "no channel skew measured from our clock:\n{screen}"
    );
    assert!(
        !before.contains("PR merged 5m ago"),
        "without the sources' clocks the age is measured on ours (the test can fail):\n{before}"
    );
}
