//! Fuzz targets on stable Rust: proptest-driven mutation of the shipped files
//! (byte flips, truncations, deletions, splices, huge values, deep nesting), seeded
//! from the small corpus in `tests/fuzz/corpus/`. The property, for every parser a
//! user's file reaches: no panic, and every error names a place (`file:line:col`
//! for the TOML files, the path and line for the log), in a message of bounded size.
//!
//! Case counts are fixed and small so the whole file runs in CI in seconds; raise
//! them locally with `PROPTEST_CASES=5000 cargo test --release --test fuzz`.
//!
//! Not covered yet: the team file (`crew/rotation/team.rs`, not on this branch) and
//! the crew comment (not built yet).

use proptest::prelude::*;
use std::path::Path;

const FILE: &str = "fuzz.toml";
/// No single message may grow with the input: values are echoed shortened.
const MAX_MESSAGE: usize = 4 * 1024;

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).expect("corpus file"))
        .collect();
    assert!(!seeds.is_empty(), "an empty corpus in {}", dir.display());
    seeds
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        bit: u8,
    },
    Truncate {
        at: usize,
    },
    Delete {
        at: usize,
        len: usize,
    },
    /// Copies `len` bytes from `from` to `at` (a key or a table twice).
    Splice {
        from: usize,
        len: usize,
        at: usize,
    },
    /// `len` copies of `byte` at `at`: a huge id, colour or string.
    Huge {
        at: usize,
        byte: u8,
        len: usize,
    },
    /// `depth` copies of `open` at `at`: arrays or inline tables nested deep.
    Deep {
        at: usize,
        open: &'static str,
        depth: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        4 => (at, 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        1 => at.prop_map(|at| Mutation::Truncate { at }),
        2 => (at, 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        2 => (at, 1usize..200, any::<usize>())
            .prop_map(|(from, len, at)| Mutation::Splice { from, len, at }),
        1 => (
            at,
            prop::sample::select(vec![b'x', b'"', b'\\', b'[', b'\n', 0xff, b'{', b'#']),
            prop_oneof![1usize..4096, Just(1 << 20)],
        )
            .prop_map(|(at, byte, len)| Mutation::Huge { at, byte, len }),
        1 => (
            at,
            prop::sample::select(vec!["[", "{a=", "[[", "{\"a\":", "[{"]),
            prop_oneof![1usize..200, Just(10_000usize)],
        )
            .prop_map(|(at, open, depth)| Mutation::Deep { at, open, depth }),
    ]
}

fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let pos = |at: usize, b: &Vec<u8>| at % (b.len() + 1);
        match m {
            Mutation::Flip { at, bit } => {
                if !b.is_empty() {
                    let i = at % b.len();
                    b[i] ^= 1 << bit;
                }
            }
            Mutation::Truncate { at } => {
                let i = pos(*at, &b);
                b.truncate(i);
            }
            Mutation::Delete { at, len } => {
                let i = pos(*at, &b);
                let end = (i + len).min(b.len());
                b.drain(i..end);
            }
            Mutation::Splice { from, len, at } => {
                let i = pos(*from, &b);
                let piece: Vec<u8> = b[i..(i + len).min(b.len())].to_vec();
                let j = pos(*at, &b);
                b.splice(j..j, piece);
            }
            Mutation::Huge { at, byte, len } => {
                let i = pos(*at, &b);
                b.splice(i..i, std::iter::repeat_n(*byte, *len));
            }
            Mutation::Deep { at, open, depth } => {
                let i = pos(*at, &b);
                b.splice(i..i, open.as_bytes().repeat(*depth));
            }
        }
    }
    b
}

/// A seed and up to four mutations of it.
fn mutated(kind: &str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = corpus(kind);
    (
        prop::sample::select(seeds),
        prop::collection::vec(mutation(), 1..5),
    )
        .prop_map(|(seed, ms)| apply(&seed, &ms))
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        // The failing input is printed; nothing is written next to the tests.
        failure_persistence: None,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

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
