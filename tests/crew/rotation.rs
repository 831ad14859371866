//! `flightdeck rotation`, driven as a user would: the real binary, real team files.

use std::path::Path;
use std::process::{Command, Output};

fn run_in(dir: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .current_dir(dir)
        .env("FLIGHTDECK_CONFIG", config)
        .env("FLIGHTDECK_HOME", config.parent().unwrap_or(dir))
        .env("NO_COLOR", "1")
        .output()
        .expect("run flightdeck")
}

/// From the repository root, with no config file and no team.toml in reach.
fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    run_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &dir.path().join("no-config.toml"),
        args,
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const EXAMPLE: &str = "tests/fixtures/teams/valid/conda-example.toml";

#[test]
fn the_conda_example_rotation_is_reproduced_exactly() {
    let out = run(&[
        "rotation",
        "--team",
        EXAMPLE,
        "--from",
        "2027-01-01",
        "--releases",
        "5",
        "--format",
        "md",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
| release | date | pilot | co-pilot | note |
| --- | --- | --- | --- | --- |
| 1 | 2027-01-11 | Bob Ross (new) | Jane Doe (new) | |
| 2 | 2027-03-08 | Jane Doe | Bob Ross | |
| 3 | 2027-05-10 | Jane Doe | Tobby Smith (new) | |
| 4 | 2027-07-12 | Tobby Smith | Jane Doe | |
| 5 | 2027-09-13 | Tobby Smith | Elvis Presley (new) | |
"
    );
}

#[test]
fn the_table_is_aligned_and_counts_releases_from_the_start() {
    let out = run(&[
        "rotation",
        "--team",
        EXAMPLE,
        "--from",
        "2027-04-01",
        "--releases",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "a release every 2 months on the second Monday (never on Friday, Saturday, Sunday), from 2027-01-01"
    );
    assert_eq!(
        lines[2..],
        [
            "release  date            pilot        co-pilot           note",
            "      3  2027-05-10 Mon  Jane Doe     Tobby Smith (new)",
            "      4  2027-07-12 Mon  Tobby Smith  Jane Doe",
        ]
    );
}

#[test]
fn json_has_stable_fields() {
    let out = run(&[
        "rotation",
        "--team",
        EXAMPLE,
        "--from",
        "2027-01-01",
        "--releases",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["schema"], 1);
    let r = &v["releases"][0];
    assert_eq!(r["release"], 1);
    assert_eq!(r["date"], "2027-01-11");
    assert_eq!(r["weekday"], "Mon");
    assert_eq!(r["pilot"]["login"], "bob");
    assert_eq!(r["pilot"]["name"], "Bob Ross");
    assert_eq!(r["pilot"]["new"], true);
    assert_eq!(r["copilot"]["login"], "jane");
    assert_eq!(v["releases"][1]["copilot"]["new"], false);
    assert_eq!(r["notes"], serde_json::json!([]));
}

/// The shipped example: the table, then an absence re-planned with a note.
#[test]
fn the_shipped_example_plans_and_explains_an_absence() {
    let out = run(&[
        "rotation",
        "--team",
        "teams/example.toml",
        "--from",
        "2027-01-01",
        "--releases",
        "7",
        "--format",
        "md",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("| 5 | 2027-09-13 | Tobby Smith | Elvis Presley (new) | |"),
        "{text}"
    );
    assert!(
        text.contains(
            "| 6 | 2027-11-08 | Elvis Presley | Bob Ross | tobby is away 2027-11-01 … 2027-11-12: bob-ross co-pilots instead |"
        ),
        "{text}"
    );
    assert!(
        text.contains("| 7 | 2028-01-10 | Elvis Presley | Bob Ross | |"),
        "{text}"
    );
}

#[test]
fn a_leaver_and_a_friday_are_replanned_with_notes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE))
        .expect("fixture");
    // Handing in the seat is one line; so is a day of the month that can be a Friday.
    let team = example
        .replace(
            "name = \"Jane Doe\"\n",
            "name = \"Jane Doe\"\nleft = 2027-04-01\n",
        )
        .replace("week = 2\nweekday = \"monday\"\n", "day = 12\n");
    std::fs::write(dir.path().join("team.toml"), team).expect("write");
    let out = run_in(
        dir.path(),
        &dir.path().join("no-config.toml"),
        &[
            "rotation",
            "--from",
            "2027-01-01",
            "--releases",
            "4",
            "--format",
            "md",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
| release | date | pilot | co-pilot | note |
| --- | --- | --- | --- | --- |
| 1 | 2027-01-12 | Bob Ross (new) | Jane Doe (new) | |
| 2 | 2027-03-15 | Jane Doe | Bob Ross | moved from Fri 2027-03-12: not on Fridays (the team file) |
| 3 | 2027-05-12 | Bob Ross | Tobby Smith (new) | jane left the rotation on 2027-04-01: bob takes over their turn |
| 4 | 2027-07-12 | Tobby Smith | Bob Ross | |
"
    );
}

#[test]
fn the_team_file_defaults_to_the_current_then_the_config_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).expect("mkdir");
    let config = config_dir.join("config.toml");
    let args = ["rotation", "--from", "2027-01-01", "--releases", "1"];

    let out = run_in(dir.path(), &config, &args);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no team file: looked for ./team.toml and "),
        "{err}"
    );
    assert!(err.contains("--team FILE"), "{err}");

    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    std::fs::copy(&example, config_dir.join("team.toml")).expect("copy");
    let out = run_in(dir.path(), &config, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Bob Ross (new)"));

    // ./team.toml wins over the config directory's.
    let here = std::fs::read_to_string(&example)
        .expect("fixture")
        .replace("Bob Ross", "Robert Ross");
    std::fs::write(dir.path().join("team.toml"), here).expect("write");
    let out = run_in(dir.path(), &config, &args);
    assert!(
        stdout(&out).contains("Robert Ross (new)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn names_lose_their_control_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evil.toml");
    let team = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE))
        .expect("fixture")
        .replace("\"Bob Ross\"", "\"Bob\\u001b]52;c;aGk=\\u0007 Ross\\r\"");
    std::fs::write(&path, team).expect("write");
    let path = path.display().to_string();
    for format in ["table", "md", "json"] {
        let out = run(&[
            "rotation",
            "--team",
            &path,
            "--from",
            "2027-01-01",
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\r'),
            "{format}: {text:?}"
        );
        assert!(text.contains("Bob]52;c;aGk= Ross"), "{format}: {text}");
    }
}

#[test]
fn bad_arguments_exit_2() {
    for (args, says) in [
        (&["--releases", "0"][..], "0 is not in 1..=100"),
        (&["--releases", "101"][..], "101 is not in 1..=100"),
        (&["--from", "2027-02-30"][..], "is not a date"),
        (&["--format", "csv"][..], "invalid value 'csv'"),
        (
            &["--team", "no/such/team.toml"][..],
            "cannot read the team file",
        ),
        (&["--from", "9999-01-01"][..], "more than 10000 releases"),
    ] {
        let mut all = vec!["rotation"];
        all.extend_from_slice(args);
        if !args.contains(&"--team") {
            all.extend(["--team", EXAMPLE]);
        }
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// Each invalid team file ends with the diagnostics it must produce:
/// `# expect: LINE:COL: message`, each followed by its `# hint: …`.
#[test]
fn every_invalid_team_file_gets_its_exact_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/teams/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for path in files {
        let rel = format!(
            "tests/fixtures/teams/invalid/{}",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let text = std::fs::read_to_string(&path).expect("fixture");
        let mut want = String::new();
        for line in text.lines() {
            if let Some(e) = line.strip_prefix("# expect: ") {
                want.push_str(&format!("{rel}:{e}\n"));
            } else if let Some(h) = line.strip_prefix("# hint: ") {
                want.push_str(&format!("  hint: {h}\n"));
            }
        }
        assert!(!want.is_empty(), "{rel} says nothing it expects");
        let out = run(&["rotation", "--team", &rel]);
        assert_eq!(out.status.code(), Some(2), "{rel}");
        let err = stderr(&out);
        let at = err.rfind("\nerror: ").map_or(err.len(), |i| i + 1);
        let (diagnostics, summary) = err.split_at(at);
        assert_eq!(diagnostics, want, "{rel}");
        assert!(
            summary.contains("error(s) in the team file; see teams/example.toml"),
            "{rel}: {summary}"
        );
        assert!(out.stdout.is_empty(), "{rel}");
    }
}
