//! Fuzz targets on stable Rust: proptest-driven mutation of the shipped files
//! (byte flips, truncations, deletions, splices, huge values, deep nesting), seeded
//! from the small corpus in `tests/fuzz/corpus/`. The property, for every parser a
//! user's file reaches: no panic, and every error names a place (`file:line:col`
//! for the TOML files, the path and line for the log), in a message of bounded size.
//!
//! Case counts are fixed and small so the whole file runs in CI in seconds; raise
//! them locally with `PROPTEST_CASES=5000 cargo test --release --test cli fuzz::`.
//!
//! The team file's target is in the crate (`crew/rotation/team.rs`, whose parser is
//! the crate's own) and shares the mutations in `tests/fuzz/mutate.rs`. Not covered
//! yet: the crew comment.

#[path = "../fuzz/mutate.rs"]
mod mutate;

use mutate::{config, corpus, mutated};
use proptest::prelude::*;
use std::path::Path;

const FILE: &str = "fuzz.toml";
/// No single message may grow with the input: values are echoed shortened.
const MAX_MESSAGE: usize = 4 * 1024;

/// Every diagnostic names `FILE` and a line and column inside the text, briefly.
fn names_places(text: &str, diagnostics: &[flightdeck::diag::Diagnostic]) -> Result<(), String> {
    if diagnostics.is_empty() {
        return Err("an error without a diagnostic".into());
    }
    let lines = text.lines().count() + 1;
    for d in diagnostics {
        if d.file != FILE || d.line == 0 || d.col == 0 || d.line > lines {
            return Err(format!("no place: {d}"));
        }
        let size = d.message.len() + d.hint.as_ref().map_or(0, String::len);
        if size > MAX_MESSAGE {
            return Err(format!("a {size}-byte message at {}:{}", d.line, d.col));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn checklist(bytes in mutated("checklist")) {
        let text = String::from_utf8_lossy(&bytes);
        match flightdeck::checklist::Checklist::parse(FILE, &text) {
            Ok(c) => {
                // A checklist that parses must also plan (or refuse the version) calmly.
                let _ = c.plan("26.11.0");
            }
            Err(d) => names_places(&text, &d).map_err(TestCaseError::fail)?,
        }
    }

    #[test]
    fn theme(bytes in mutated("theme")) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(d) = flightdeck::tui::theme::parse(FILE, &text) {
            names_places(&text, &d).map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn scenario(bytes in mutated("scenario")) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(d) = flightdeck::sim::Scenario::from_str(FILE, &text) {
            names_places(&text, &d).map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn log_line(bytes in mutated("log")) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = flightdeck::timeline::EventLog::read(&path) {
            let text = e.to_string();
            prop_assert!(text.contains(&path.display().to_string()), "no file: {}", text);
            prop_assert!(text.contains("line") || text.contains("read"), "no line: {}", text);
            // The size bound is checked by `a_damaged_log_line_costs_a_short_message` below.
        }
    }
}

/// Found by `log_line`: serde's message repeated a damaged value whole, so one line
/// with a 500 KB string made a 500 KB error; the log cuts serde's message short.
#[test]
fn a_damaged_log_line_costs_a_short_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.jsonl");
    let huge = "x".repeat(512 * 1024);
    let line = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/log/events.jsonl"),
    )
    .expect("corpus")
    .lines()
    .next()
    .expect("a line")
    .replace("\"role\":\"pilot\"", &format!("\"role\":\"{huge}\""));
    std::fs::write(&path, format!("{line}\n")).expect("write");
    let err = flightdeck::timeline::EventLog::read(&path).expect_err("damaged");
    assert!(
        err.to_string().len() <= MAX_MESSAGE,
        "a {}-byte message",
        err.to_string().len()
    );
}

#[test]
fn the_corpus_itself_parses() {
    for seed in corpus("checklist") {
        let text = String::from_utf8_lossy(&seed);
        assert!(flightdeck::checklist::Checklist::parse(FILE, &text).is_ok());
    }
    for seed in corpus("theme") {
        let text = String::from_utf8_lossy(&seed);
        assert!(flightdeck::tui::theme::parse(FILE, &text).is_ok());
    }
    for seed in corpus("scenario") {
        let text = String::from_utf8_lossy(&seed);
        assert!(flightdeck::sim::Scenario::from_str(FILE, &text).is_ok());
    }
}
