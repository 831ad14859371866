//! `flightdeck history`, the real binary on a home that holds four simulated
//! conda releases of 2025 (and a fifth only started): each release is started
//! at a fixed time, then `flightdeck poll --once` records what the simulated
//! world (tests/fixtures/history/four-releases.toml) shows about its version.
//! Every figure below was worked out by hand from that scenario's times.

use crate::github_support;

use github_support::*;
use std::path::Path;
use std::process::Output;

fn bin(home: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    // Nothing from the developer's machine: no token, no config, no gh.
    for var in [
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "FLIGHTDECK_HOME",
        "FLIGHTDECK_GITHUB_API",
        "FLIGHTDECK_ROLE",
        "COLUMNS",
    ] {
        c.env_remove(var);
    }
    c.env("FLIGHTDECK_CONFIG", "/nonexistent/flightdeck-config.toml");
    c.env("FLIGHTDECK_LOGIN", "jane");
    c.env("PATH", "/nonexistent");
    c.env("NO_COLOR", "1");
    c.arg("--home").arg(home);
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn history(home: &Path, format: &str, columns: Option<&str>) -> String {
    let mut c = bin(home);
    c.args(["history", "--format", format]);
    if let Some(w) = columns {
        c.env("COLUMNS", w);
    }
    let o = c.output().await.expect("the binary runs");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A home with the four releases polled against the sim, and 25.9.0 only started.
async fn home_with_releases() -> tempfile::TempDir {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/four-releases.toml");
    let scenario_text = std::fs::read_to_string(&path).expect("the scenario is readable");
    let sim = start(scenario("four-releases.toml", &scenario_text), 1.0).await;
    let home = tempfile::tempdir().expect("tempdir");
    for (version, started) in [
        ("25.1.0", "2025-01-14T08:00:00Z"),
        ("25.3.0", "2025-03-11T08:00:00Z"),
        ("25.5.0", "2025-05-13T08:00:00Z"),
        ("25.7.0", "2025-07-15T08:00:00Z"),
        ("25.9.0", "2025-09-16T08:00:00Z"),
    ] {
        release(home.path(), "conda.toml", version, t(started));
        if version == "25.9.0" {
            continue;
        }
        let o = bin(home.path())
            .args(sim.flags())
            .args(["poll", &format!("conda-{version}"), "--once"])
            .env("GH_TOKEN", PILOT_TOKEN)
            .output()
            .await
            .expect("the binary runs");
        assert_eq!(o.status.code(), Some(0), "{version}: {}", text(&o));
    }
    sim.shutdown().await;
    home
}

/// A table line as its words, so the figures are checked apart from the alignment.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_teaches_durations_medians_rates_and_the_soak_from_simulated_releases() {
    let home = home_with_releases().await;

    // --- the table, as a terminal 100 columns wide shows it ---------------------
    let out = history(home.path(), "table", Some("100")).await;
    let lines: Vec<&str> = out.lines().collect();
    let at = |first: &str| -> Vec<&str> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(first))
            .unwrap_or_else(|| panic!("no line starting {first:?}:\n{out}"));
        words(line)
    };
    assert_eq!(
        at("release"),
        [
            "release",
            "start→tag",
            "tag→conda-forge",
            "tag→defaults",
            "skew",
            "conda-forge",
            "PR",
            "AnacondaRecipes",
            "PR",
            "tag→bug"
        ],
        "{out}"
    );
    // start→tag, tag→conda-forge, tag→defaults, skew, cf PR, AR PR, tag→first bug.
    assert_eq!(
        at("conda-25.1.0"),
        ["conda-25.1.0", "2h", "6h", "4h", "2h", "1h30m", "2h", "19h"],
        "{out}"
    );
    // The release candidate's issue, filed before the tag, is not the first bug (the radar
    // watches from the publication, and a bug before the tag would not count anyway).
    assert_eq!(
        at("conda-25.3.0"),
        ["conda-25.3.0", "3h", "2h", "6h", "4h", "1h", "3h", "31h"],
        "{out}"
    );
    assert_eq!(
        at("conda-25.5.0"),
        ["conda-25.5.0", "1h", "5h", "3h", "2h", "2h", "1h", "—"],
        "{out}"
    );
    // Never on defaults: no skew either; the AnacondaRecipes PR never merged.
    assert_eq!(
        at("conda-25.7.0"),
        ["conda-25.7.0", "4h", "4h", "—", "—", "1h", "—", "40h"],
        "{out}"
    );
    assert_eq!(
        at("conda-25.9.0"),
        ["conda-25.9.0", "—", "—", "—", "—", "—", "—", "—"],
        "{out}"
    );
    // Medians: start→tag of 1h 2h 3h 4h is the mean of 2h and 3h; tag→conda-forge
    // of 2h 4h 5h 6h is 4h30m; the cf PRs 1h 1h 1h30m 2h give 1h15m; the rest are odd counts.
    assert_eq!(
        at("median"),
        ["median", "2h30m", "4h30m", "4h", "2h", "1h15m", "2h", "31h"],
        "{out}"
    );
    assert_eq!(
        at("of releases"),
        [
            "of", "releases", "4", "of", "5", "4", "of", "5", "3", "of", "5", "3", "of", "5", "4",
            "of", "5", "3", "of", "5", "3", "of", "5"
        ],
        "{out}"
    );
    assert!(
        out.contains("median of an even count: the mean of the two middle values"),
        "{out}"
    );
    // Tagged: four releases, each watched for more than a week by now.
    for line in [
        "a regression filed within 24h of the tag: 1 of 4 releases (25%)",
        "a regression filed within 72h of the tag: 3 of 4 releases (75%)",
        "a regression filed within a week of the tag: 3 of 4 releases (75%)",
        // 19h, 31h, 40h: all three came within 40h, so two whole days.
        "in 3 of the last 3 releases that had a regression, the first came within 40h: a 48h soak would have caught it",
        // conda.toml's all-clear soaks 24h: only 25.1.0's 19h.
        "the checklist's soak (step `all-clear`) is 24h: counted from the tag, it would have caught the first regression in 1 of those 3; suggested: soak = \"48h\"",
    ] {
        assert!(lines.contains(&line), "missing {line:?}:\n{out}");
    }

    // --- the chart under the table: 40h over the room 100 columns leave ---------
    let chart_at = lines
        .iter()
        .position(|l| l.starts_with("tag → first bug"))
        .unwrap_or_else(|| panic!("no chart:\n{out}"));
    assert_eq!(
        lines[chart_at],
        "tag → first bug (# = 1h; | = the 24h soak of step `all-clear`)"
    );
    let chart = &lines[chart_at + 1..];
    assert_eq!(
        chart,
        [
            format!("conda-25.1.0  {}{}|  19h", "#".repeat(19), " ".repeat(5)).as_str(),
            format!("conda-25.3.0  {}|{}  31h", "#".repeat(24), "#".repeat(6)).as_str(),
            format!("conda-25.5.0  {}|  none filed", " ".repeat(24)).as_str(),
            format!("conda-25.7.0  {}|{}  40h", "#".repeat(24), "#".repeat(15)).as_str(),
            format!("conda-25.9.0  {}|  not tagged", " ".repeat(24)).as_str(),
        ],
        "{out}"
    );
    assert!(!out.contains('\x1b'), "NO_COLOR: no escape codes\n{out}");

    // A narrow terminal gets a narrower chart, every line within its width.
    let narrow = history(home.path(), "table", Some("44")).await;
    let chart: Vec<&str> = narrow
        .lines()
        .skip_while(|l| !l.starts_with("tag → bug"))
        .collect();
    assert_eq!(chart.len(), 6, "{narrow}");
    for line in &chart {
        assert!(
            line.chars().count() <= 44,
            "{line:?} is wider than 44\n{narrow}"
        );
    }
    // 40h in the 18 cells left: a # every 3h; the 24h mark is the 9th cell.
    assert_eq!(chart[0], "tag → bug, # = 3h, | = 24h soak", "{narrow}");
    assert_eq!(
        chart[4],
        format!("conda-25.7.0  {}|{}  40h", "#".repeat(8), "#".repeat(5)),
        "{narrow}"
    );

    // --- JSON: the same figures in seconds ---------------------------------------
    let doc: serde_json::Value =
        serde_json::from_str(&history(home.path(), "json", None).await).expect("JSON");
    assert_eq!(doc["schema"], 1);
    let r1 = &doc["releases"][0];
    assert_eq!(r1["id"], "conda-25.1.0");
    assert_eq!(r1["tagged_at"], "2025-01-14T10:00:00Z");
    assert_eq!(r1["seconds"]["start_to_tag"], 2 * 3600);
    assert_eq!(r1["seconds"]["tag_to_channel:conda-forge"], 6 * 3600);
    assert_eq!(r1["seconds"]["feedstock_pr:conda-forge"], 90 * 60);
    assert_eq!(r1["feedstock_prs"]["AnacondaRecipes"]["number"], 20);
    assert_eq!(r1["first_bug"]["number"], 101);
    assert_eq!(r1["first_bug"]["after_tag"], 19 * 3600);
    assert_eq!(
        doc["releases"][3]["feedstock_prs"]["AnacondaRecipes"],
        serde_json::Value::Null
    );
    assert_eq!(doc["releases"][2]["first_bug"], serde_json::Value::Null);
    assert_eq!(
        doc["medians"]["start_to_tag"],
        serde_json::json!({ "seconds": 9000, "releases": 4, "of": 5 })
    );
    assert_eq!(
        doc["medians"]["tag_to_first_bug"],
        serde_json::json!({ "seconds": 31 * 3600, "releases": 3, "of": 5 })
    );
    assert_eq!(
        doc["regression_within"][0],
        serde_json::json!({ "within": "24h", "seconds": 86_400, "releases": 1, "of": 4 })
    );
    assert_eq!(doc["soak"]["within"], 40 * 3600);
    assert_eq!(doc["soak"]["suggested"], 48 * 3600);
    assert_eq!(
        doc["soak"]["gate"],
        serde_json::json!({ "step": "all-clear", "soak": 86_400, "caught": 1 })
    );

    // --- Markdown: a table to paste, with the first bugs linked by number ---------
    let md = history(home.path(), "md", None).await;
    assert!(
        md.contains("| conda-25.7.0 | 4h | 4h | — | — | 1h | — | 40h |"),
        "{md}"
    );
    assert!(
        md.contains("| **median** | 2h30m | 4h30m | 4h | 2h | 1h15m | 2h | 31h |"),
        "{md}"
    );
    assert!(
        md.contains(
            "- conda-25.3.0: conda/conda#201 filed 2025-03-12 18:00 UTC, 31h after the tag"
        ),
        "{md}"
    );
}

#[tokio::test]
async fn history_of_an_empty_home_says_there_is_nothing_yet() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = history(home.path(), "table", None).await;
    assert!(out.starts_with("no releases in "), "{out}");
    assert!(out.contains("nothing to learn from yet"), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&history(home.path(), "json", None).await).expect("JSON");
    assert_eq!(doc["releases"], serde_json::json!([]));
    assert_eq!(doc["soak"], serde_json::Value::Null);
}
