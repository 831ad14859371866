//! Exports of a fixed release log, compared byte for byte with reviewed files
//! in `tests/fixtures/export/`, plus the properties every export must keep.
//!
//! The fixture is a whole conda 26.11.0 release (`tests/fixtures/export/home`):
//! pilot jane and co-pilot bob, a release PR, a tag seen by both cockpits (a
//! duplicate fact), a failed feedstock CI run, conda-forge two days ahead of
//! defaults, a bug filed after the release, stars, and the close.
//!
//! To regenerate the golden files after an intended change:
//! `UPDATE_GOLDEN=1 cargo nextest run -E 'test(export)'`, then read the diff.

use chrono::{DateTime, Duration, Utc};
use flightdeck::crew::Role;
use flightdeck::export::{self, ExportOptions, Format, json, parse_since, parse_until};
use flightdeck::timeline::{Clock, Event, EventId, EventKind, Fact, Home, Release, State, fold};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/export")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("a valid time in the test")
}

/// The fixed "now" of every golden export.
fn now() -> DateTime<Utc> {
    at("2026-11-14T09:00:00Z")
}

fn fixture_release() -> (Release, State) {
    let home = Home::new(fixtures().join("home"));
    let release = home
        .open("conda-26.11.0")
        .expect("the fixture release opens");
    let events = release.read_events().expect("the fixture log reads");
    let state = fold(&release.plan, &events);
    (release, state)
}

fn render(release: &Release, state: &State, opts: &ExportOptions) -> String {
    export::export(release, state, opts).expect("export succeeds")
}

/// Compares with the golden file, or writes it when UPDATE_GOLDEN is set.
fn golden(name: &str, actual: &str) {
    let path = fixtures().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n expected: {:?}\n actual:   {:?}\n--- actual ---\n{actual}",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn export_markdown_matches_golden() {
    let (release, state) = fixture_release();
    golden(
        "timeline.md",
        &render(&release, &state, &ExportOptions::new(Format::Md, now())),
    );
}

#[test]
fn export_csv_matches_golden() {
    let (release, state) = fixture_release();
    golden(
        "timeline.csv",
        &render(&release, &state, &ExportOptions::new(Format::Csv, now())),
    );
}

#[test]
fn export_json_matches_golden() {
    let (release, state) = fixture_release();
    golden(
        "timeline.json",
        &render(&release, &state, &ExportOptions::new(Format::Json, now())),
    );
}

#[test]
fn export_postmortem_matches_golden() {
    let (release, state) = fixture_release();
    golden(
        "postmortem.md",
        &render(
            &release,
            &state,
            &ExportOptions::new(Format::Postmortem, now()),
        ),
    );
}

#[test]
fn export_starred_matches_golden() {
    let (release, state) = fixture_release();
    let opts = ExportOptions {
        starred_only: true,
        ..ExportOptions::new(Format::Md, now())
    };
    golden("starred.md", &render(&release, &state, &opts));
}

#[test]
fn export_window_matches_golden() {
    let (release, state) = fixture_release();
    let opts = ExportOptions {
        since: Some(parse_since("2026-11-10 14:00").expect("since")),
        until: Some(parse_until("2026-11-10").expect("until")),
        ..ExportOptions::new(Format::Md, now())
    };
    golden("window.md", &render(&release, &state, &opts));
}

/// Cells of a table row, split on unescaped pipes (as GitHub's table parser does).
fn cells(row: &str) -> usize {
    let mut n: usize = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n.saturating_sub(1)
}

fn table_rows(md: &str) -> Vec<&str> {
    md.lines().filter(|l| l.starts_with("| ")).collect()
}

#[test]
fn export_markdown_rows_always_have_four_columns() {
    let (release, state) = fixture_release();
    for format in [Format::Md, Format::Postmortem] {
        let md = render(&release, &state, &ExportOptions::new(format, now()));
        for row in table_rows(&md)
            .into_iter()
            .filter(|r| r.contains("| Date |") || r.starts_with("| 20") || r.starts_with("| …"))
        {
            assert_eq!(cells(row), 4, "{row}");
        }
    }
}

#[test]
fn export_every_event_of_the_fixture_appears_once_in_json() {
    let (release, state) = fixture_release();
    let text = render(&release, &state, &ExportOptions::new(Format::Json, now()));
    let back = json::parse(&text).expect("parses");
    let on_disk = release.read_events().expect("reads");
    assert_eq!(back.len(), on_disk.len());
    let mut sorted: Vec<Event> = on_disk.iter().map(|e| (**e).clone()).collect();
    sorted.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    assert_eq!(back, sorted, "the raw events come back exactly");
}

#[test]
fn export_duplicate_fact_is_one_row_but_two_json_entries() {
    let (release, state) = fixture_release();
    let md = render(&release, &state, &ExportOptions::new(Format::Md, now()));
    assert_eq!(
        md.matches("conda 26.11.0 tagged on GitHub").count(),
        1,
        "{md}"
    );
    let text = render(&release, &state, &ExportOptions::new(Format::Json, now()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let tags: Vec<&serde_json::Value> = doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "observed.tag_pushed")
        .collect();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0]["duplicate_of"], serde_json::Value::Null);
    assert_eq!(tags[1]["duplicate_of"], tags[0]["id"]);
}

/// A release in a temporary home, started at a fixed time by jane.
fn fresh_release(dir: &Path) -> Release {
    let home = Home::new(dir);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let text = std::fs::read_to_string(&path).expect("checklist");
    let checklist = flightdeck::checklist::Checklist::parse("checklists/conda.toml", &text)
        .expect("valid checklist");
    home.create(
        &checklist,
        &text,
        "26.11.0",
        "jane",
        Clock::Fixed(at("2026-11-10T09:00:00Z")),
    )
    .expect("release created")
}

#[test]
fn export_release_with_only_its_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let release = fresh_release(dir.path());
    let events = release.read_events().expect("events");
    let state = fold(&release.plan, &events);
    let later = at("2026-11-10T12:30:00Z");

    let md = render(&release, &state, &ExportOptions::new(Format::Md, later));
    assert_eq!(
        md,
        "| Date | Time | Action | Link |\n| ---- | ---- | ------ | ---- |\n| 2026-11-10 | 09:00 | Release started by @jane | |\n"
    );
    let csv = render(&release, &state, &ExportOptions::new(Format::Csv, later));
    assert_eq!(csv.lines().count(), 2, "{csv}");

    let pm = render(
        &release,
        &state,
        &ExportOptions::new(Format::Postmortem, later),
    );
    assert!(pm.starts_with("# Post-mortem: conda 26.11.0\n"), "{pm}");
    assert!(
        pm.contains("conda 26.11.0 is in progress: started 2026-11-10 09:00 UTC, 3h 30m ago; 0 of 20 steps complete so far; no bugs filed."),
        "{pm}"
    );
    assert!(
        pm.contains("| Start → tag | n/a | no tag of conda/conda observed yet |"),
        "{pm}"
    );
    assert!(pm.contains("| Start → all-clear | not yet |"), "{pm}");
    assert!(pm.contains("- **Co-pilot:** none recorded"), "{pm}");

    // A filter that matches nothing still gives a valid, honest document.
    let none = ExportOptions {
        starred_only: true,
        ..ExportOptions::new(Format::Postmortem, later)
    };
    assert!(render(&release, &state, &none).contains("_No events match the filter._"));
}

#[test]
fn export_postmortem_of_an_aborted_release_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let release = fresh_release(dir.path());
    let mut log = release
        .open_log(
            "jane",
            Role::Pilot,
            Clock::Fixed(at("2026-11-10T11:30:00Z")),
        )
        .expect("log");
    log.append(permit(
        Role::Pilot,
        EventKind::ReleaseClosed {
            outcome: flightdeck::timeline::Outcome::Aborted,
            reason: Some("tests fail on | windows\nsee #1".into()),
        },
    ))
    .expect("close");
    let state = fold(&release.plan, &release.read_events().expect("events"));
    let pm = render(
        &release,
        &state,
        &ExportOptions::new(Format::Postmortem, now()),
    );
    assert!(
        pm.contains("- **Outcome:** aborted 2026-11-10 11:30 UTC by @jane"),
        "{pm}"
    );
    assert!(
        pm.contains("conda 26.11.0 was aborted after 2h 30m (tests fail on \\| windows<br>see #1), from 2026-11-10 09:00 UTC to 2026-11-10 11:30 UTC; 0 of 20 steps complete; no bugs filed."),
        "{pm}"
    );
    assert!(
        pm.contains("| Release aborted by @jane: tests fail on \\| windows<br>see #1 | |"),
        "{pm}"
    );
}

#[test]
fn export_escapes_notes_and_csv_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let release = fresh_release(dir.path());
    let mut log = release
        .open_log(
            "bob",
            Role::Copilot,
            Clock::Fixed(at("2026-11-10T10:00:00Z")),
        )
        .expect("log");
    let nasty = "  a | b `c` \r\nline two\n| --- |\t";
    log.append(permit(
        Role::Copilot,
        EventKind::Note { text: nasty.into() },
    ))
    .expect("note");
    let quoted = EventKind::Note {
        text: "comma, \"quoted\"\nnext".into(),
    };
    log.append_with(
        permit(Role::Copilot, quoted),
        Some(at("2026-11-10T10:01:00Z")),
        None,
    )
    .expect("note");
    let events = release.read_events().expect("events");
    let state = fold(&release.plan, &events);

    let md = render(&release, &state, &ExportOptions::new(Format::Md, now()));
    let rows = table_rows(&md);
    assert_eq!(
        rows.len(),
        5,
        "header, separator, start, two notes — the notes did not add rows:\n{md}"
    );
    for row in &rows {
        assert_eq!(cells(row), 4, "{row}");
    }
    assert!(
        md.contains("| Note by @bob: a \\| b \\`c\\` <br>line two<br>\\| --- \\| | |"),
        "{md}"
    );

    let csv = render(&release, &state, &ExportOptions::new(Format::Csv, now()));
    assert!(
        csv.contains(",note,\"Note by @bob: comma, \"\"quoted\"\"\nnext\",\r\n"),
        "{csv:?}"
    );
    // Every record ends with CRLF; the only bare LFs are inside quoted fields.
    assert!(csv.ends_with("\r\n"));
    let records = parse_csv(&csv);
    assert!(records.iter().all(|r| r.len() == 8), "{records:?}");
    assert_eq!(records[3][6], "Note by @bob: comma, \"quoted\"\nnext");
    assert_eq!(records[2][6], format!("Note by @bob: {}", nasty.trim()));
}

/// A minimal RFC 4180 reader, to check that what we write reads back.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

#[test]
fn export_starred_and_window_filters_narrow_every_format() {
    let (release, state) = fixture_release();
    let starred = ExportOptions {
        starred_only: true,
        ..ExportOptions::new(Format::Json, now())
    };
    let back = json::parse(&render(&release, &state, &starred)).expect("json");
    let ids: Vec<String> = back.iter().map(|e| e.id.to_string()).collect();
    // ev-18 (a note) was starred, then unstarred: it is not in.
    assert_eq!(ids, ["ev-14", "ev-29", "ev-36"]);

    let csv = render(
        &release,
        &state,
        &ExportOptions {
            since: Some(at("2026-11-12T00:00:00Z")),
            ..ExportOptions::new(Format::Csv, now())
        },
    );
    assert!(csv.lines().skip(1).all(|l| l >= "2026-11-12"), "{csv}");
    assert!(csv.contains("Release shipped by @jane"));

    // The post-mortem's key durations ignore the filter: they are about the release.
    let pm = render(
        &release,
        &state,
        &ExportOptions {
            starred_only: true,
            ..ExportOptions::new(Format::Postmortem, now())
        },
    );
    assert!(pm.contains("All times UTC; only starred events."), "{pm}");
    assert!(
        pm.contains("| Tag → available on conda-forge | 4h 18m |"),
        "{pm}"
    );
}

#[test]
fn export_quiet_stretches_follow_the_gap() {
    let (release, state) = fixture_release();
    let count = |gap: Option<Duration>| {
        let opts = ExportOptions {
            gap,
            ..ExportOptions::new(Format::Md, now())
        };
        render(&release, &state, &opts).matches("| … | … |").count()
    };
    assert_eq!(count(None), 0);
    let six = count(Some(Duration::hours(6)));
    let day = count(Some(Duration::hours(24)));
    assert!(six > day && day > 0, "6h: {six}, 24h: {day}");
}

#[test]
fn export_never_changes_the_log() {
    let (release, state) = fixture_release();
    let before = std::fs::read(release.events_path()).expect("read");
    for format in [Format::Md, Format::Csv, Format::Json, Format::Postmortem] {
        render(&release, &state, &ExportOptions::new(format, now()));
    }
    assert_eq!(std::fs::read(release.events_path()).expect("read"), before);
}

#[test]
fn export_default_paths_live_in_the_release_directory() {
    let (release, _) = fixture_release();
    assert_eq!(
        export::default_path(&release, Format::Postmortem),
        release.dir.join("conda-26.11.0-postmortem.md")
    );
    assert_eq!(
        export::default_path(&release, Format::Csv),
        release.dir.join("conda-26.11.0-timeline.csv")
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::sync::OnceLock;

    fn release() -> &'static Release {
        static RELEASE: OnceLock<(tempfile::TempDir, Release)> = OnceLock::new();
        let (_, r) = RELEASE.get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let r = fresh_release(dir.path());
            (dir, r)
        });
        r
    }

    fn kind() -> impl Strategy<Value = EventKind> {
        let text = "[a-z|`\\n\",<> ]{0,12}";
        prop_oneof![
            text.prop_map(|text| EventKind::Note { text }),
            ("[a-z-]{1,8}", text).prop_map(|(s, reason)| EventKind::StepSkipped {
                step: flightdeck::checklist::StepId(s),
                reason
            }),
            (0u8..20).prop_map(|n| EventKind::Starred {
                event: EventId::from(format!("p{n}"))
            }),
            (
                0u8..3,
                prop::sample::select(vec!["noarch", "linux-64", "osx-64"])
            )
                .prop_map(|(v, subdir)| {
                    EventKind::Observed {
                        probe: "channel".into(),
                        fact: Fact::Available {
                            channel: "conda-forge".into(),
                            package: "conda".into(),
                            version: format!("26.11.{v}").into(),
                            subdir: subdir.into(),
                            build: "0".into(),
                            file_name: "f".into(),
                            first_seen: None,
                        },
                    }
                }),
            (
                0u64..3,
                prop::sample::select(vec![
                    flightdeck::timeline::CiState::Pending,
                    flightdeck::timeline::CiState::Failure
                ])
            )
                .prop_map(|(sha, state)| EventKind::Observed {
                    probe: "pr".into(),
                    fact: Fact::PrChecks {
                        repo: "conda-forge/conda-feedstock".into(),
                        number: 211,
                        sha: sha.to_string().into(),
                        state,
                    },
                }),
        ]
    }

    fn events() -> impl Strategy<Value = Vec<Event>> {
        // Ids may repeat (a merged log can hold the same event twice); times cluster
        // within minutes so folding has something to fold.
        prop::collection::vec((0u8..20, 0i64..600, kind()), 0..40).prop_map(|raw| {
            raw.into_iter()
                .map(|(id, secs, what)| Event {
                    v: 1,
                    id: EventId::from(format!("p{id}")),
                    author: "jane".into(),
                    role: Role::Pilot,
                    seq: 1,
                    at: at("2026-11-10T14:00:00Z") + Duration::seconds(secs * 7),
                    observed_at: at("2026-11-10T14:00:00Z"),
                    link: None,
                    what,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn export_json_has_every_event_exactly_once(events in events()) {
            let state = fold(&release().plan, &events);
            let text = export::export(release(), &state, &ExportOptions::new(Format::Json, now())).expect("export");
            let back = json::parse(&text).expect("parses");
            let mut seen: HashMap<&EventId, usize> = HashMap::new();
            for e in &back {
                *seen.entry(&e.id).or_default() += 1;
            }
            prop_assert!(seen.values().all(|&n| n == 1), "an id appears twice");
            let distinct: std::collections::HashSet<&EventId> = events.iter().map(|e| &e.id).collect();
            prop_assert_eq!(back.len(), distinct.len());
            let folded: Vec<Event> = state.events.iter().map(|e| (**e).clone()).collect();
            prop_assert_eq!(&back, &folded);
        }

        #[test]
        fn export_tables_never_break_and_account_for_every_event(events in events(), gap in 0i64..3) {
            let state = fold(&release().plan, &events);
            let opts = ExportOptions {
                gap: (gap > 0).then(|| Duration::minutes(gap * 10)),
                ..ExportOptions::new(Format::Md, now())
            };
            let md = export::export(release(), &state, &opts).expect("export");
            for row in table_rows(&md) {
                prop_assert_eq!(cells(row), 4, "{}", row);
            }
            let rows = flightdeck::export::markdown::fold_rows(
                &release().plan,
                &state.timeline.iter().map(|&i| &*state.events[i])
                    .filter(|e| !matches!(e.what, EventKind::Starred { .. } | EventKind::Unstarred { .. }))
                    .collect::<Vec<_>>(),
                opts.gap,
                &opts.channels,
            );
            let shown: usize = rows.iter().map(|r| r.events).sum();
            let expected = state.timeline.iter()
                .filter(|&&i| !matches!(state.events[i].what, EventKind::Starred { .. } | EventKind::Unstarred { .. }))
                .count();
            prop_assert_eq!(shown, expected, "folding lost or doubled an event");
            for format in [Format::Csv, Format::Postmortem] {
                export::export(release(), &state, &ExportOptions::new(format, now())).expect("export");
            }
        }
    }
}

/// What the rule book lets `seat` record (these events concern no step).
fn permit(seat: Role, what: EventKind) -> flightdeck::timeline::Permit {
    flightdeck::timeline::judge(&flightdeck::timeline::Book::without_plan(now()), seat, what)
        .confirmed()
        .expect("the rule book accepts it")
}

/// An observation the timeline shows is not a duplicate in the JSON export,
/// even when its fact was seen before: a package that disappeared from a
/// channel and came back is shown again, and a repeat points at the return.
#[test]
fn export_json_duplicates_follow_what_the_timeline_shows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let release = fresh_release(dir.path());
    let mut events = release.read_events().expect("events").into_vec();
    let (channel, package, version, subdir) = ("conda-forge", "conda", "26.11.0", "noarch");
    let available = EventKind::Observed {
        probe: "channel conda-forge/conda==26.11.0".into(),
        fact: Fact::Available {
            channel: channel.into(),
            package: package.into(),
            version: version.into(),
            subdir: subdir.into(),
            build: "py_0".into(),
            file_name: "conda-26.11.0-py_0.conda".into(),
            first_seen: None,
        },
    };
    let gone = EventKind::Observed {
        probe: "channel conda-forge/conda==26.11.0".into(),
        fact: Fact::Disappeared {
            channel: channel.into(),
            package: package.into(),
            version: version.into(),
            subdir: subdir.into(),
        },
    };
    for (n, what) in [available.clone(), gone, available.clone(), available]
        .into_iter()
        .enumerate()
    {
        let t = at("2026-11-10T10:00:00Z") + Duration::minutes(n as i64);
        events.push(std::sync::Arc::new(Event {
            v: 1,
            id: EventId::from(format!("obs-{n}")),
            author: "jane".into(),
            role: Role::Pilot,
            seq: 10 + n as u64,
            at: t,
            observed_at: t,
            link: None,
            what,
        }));
    }
    let state = fold(&release.plan, &events);
    let md = render(&release, &state, &ExportOptions::new(Format::Md, now()));
    let text = render(&release, &state, &ExportOptions::new(Format::Json, now()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let dup: Vec<(String, serde_json::Value)> = doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["id"].as_str().is_some_and(|id| id.starts_with("obs-")))
        .map(|e| {
            (
                e["id"].as_str().unwrap_or("").to_string(),
                e["duplicate_of"].clone(),
            )
        })
        .collect();
    let null = serde_json::Value::Null;
    assert_eq!(
        dup,
        vec![
            ("obs-0".to_string(), null.clone()),
            ("obs-1".to_string(), null.clone()),
            ("obs-2".to_string(), null),
            ("obs-3".to_string(), serde_json::json!("obs-2")),
        ],
        "{md}"
    );
}
