//! The mutations of the fuzz targets, shared by `tests/cli/fuzz.rs` and the team file's
//! in-crate target (`src/crew/rotation/team.rs`): proptest-driven byte flips,
//! truncations, deletions, splices, huge values and deep nesting of a seed from
//! `tests/fuzz/corpus/KIND/`. Only `std` and `proptest`, so both can include it.
#![allow(dead_code)]

use proptest::prelude::*;
use std::path::Path;

pub fn corpus(kind: &str) -> Vec<Vec<u8>> {
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
pub enum Mutation {
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

pub fn mutation() -> impl Strategy<Value = Mutation> {
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

pub fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
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
pub fn mutated(kind: &str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = corpus(kind);
    (
        prop::sample::select(seeds),
        prop::collection::vec(mutation(), 1..5),
    )
        .prop_map(|(seed, ms)| apply(&seed, &ms))
}

pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        // The failing input is printed; nothing is written next to the tests.
        failure_persistence: None,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}
