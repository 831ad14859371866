//! [`Sym`]: a short text that repeats across a release's events (a login, a
//! probe's id, a channel, a subdir, a repository, a link), held once per
//! thread however many events name it.
//!
//! A log of 100,000 observations names the same few dozen channels, subdirs,
//! packages, repositories and logins again and again: as `String`s they were
//! most of the memory a read log took (issue 16). A `Sym` is a shared,
//! immutable `str`: cloning it copies a pointer, and reading one back from a
//! log or a checkpoint looks the text up in the thread's pool instead of
//! allocating it again (strings of at most [`POOLED`] bytes; a longer one is
//! simply shared by its clones).
//!
//! It reads and writes exactly as the `String` it replaces (serde, `Display`,
//! comparisons), so the log's format is unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Texts up to this long are pooled; longer ones (an issue's title) rarely repeat.
const POOLED: usize = 200;
/// A thread's pool holds at most this many texts (a process that reads many
/// releases' logs, or a cockpit open for days, must not keep them all).
/// When it is full, texts nobody else holds any more are let go — after
/// every [`POOL_CAP`]` / 4` texts it could not pool, so the sweep costs a few
/// steps per text — and until then new texts are not pooled.
const POOL_CAP: usize = 1 << 14;

#[derive(Default)]
struct Pool {
    texts: HashSet<Sym, foldhash::fast::RandomState>,
    /// Texts not pooled since the last sweep.
    missed: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// A shared, immutable text; see the module's documentation.
///
/// One pointer wide (the text's length lives behind it): a fact names up to
/// six of them, and 100,000 facts are held at once.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(Arc<Box<str>>);

impl Sym {
    /// The pooled copy of `s` (made on first sight).
    pub fn new(s: &str) -> Sym {
        if s.len() > POOLED {
            return Sym::unpooled(s);
        }
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if let Some(have) = pool.texts.get(s) {
                return have.clone();
            }
            let made = Sym::unpooled(s);
            if pool.texts.len() >= POOL_CAP {
                pool.missed += 1;
                if pool.missed >= POOL_CAP / 4 {
                    pool.missed = 0;
                    pool.texts.retain(|t| Arc::strong_count(&t.0) > 1);
                }
            }
            if pool.texts.len() < POOL_CAP {
                pool.texts.insert(made.clone());
            }
            made
        })
    }

    /// A copy of `s` outside the pool (a text that never repeats).
    pub(crate) fn unpooled(s: &str) -> Sym {
        Sym(Arc::new(Box::from(s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Sym {
    fn default() -> Sym {
        Sym::new("")
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self.0, f)
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Sym {
        Sym::new(s)
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Sym {
        Sym::new(s)
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Sym {
        Sym::new(&s)
    }
}

impl From<&Sym> for Sym {
    fn from(s: &Sym) -> Sym {
        s.clone()
    }
}

impl From<Sym> for String {
    fn from(s: Sym) -> String {
        s.0.to_string()
    }
}

impl From<&Sym> for String {
    fn from(s: &Sym) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        **self.0 == *other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        **self.0 == **other
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        **self.0 == **other
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, other: &Sym) -> bool {
        *self == **other.0
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, other: &Sym) -> bool {
        **self == **other.0
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, other: &Sym) -> bool {
        **self == **other.0
    }
}

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Sym {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sym, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Sym;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sym, E> {
                Ok(Sym::new(v))
            }
        }
        d.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy_and_read_back_as_strings() {
        let a: Sym = serde_json::from_str("\"conda-forge\"").expect("a string");
        let b = Sym::from(String::from("conda-forge"));
        assert!(Arc::ptr_eq(&a.0, &b.0), "one copy per thread");
        assert_eq!(a, "conda-forge");
        assert_eq!(serde_json::to_string(&a).expect("json"), "\"conda-forge\"");
        let escaped: Sym = serde_json::from_str("\"a\\u0007b\"").expect("escaped");
        assert_eq!(escaped.as_str(), "a\u{7}b");
        assert!(serde_json::from_str::<Sym>("3").is_err());
    }

    #[test]
    fn a_full_pool_lets_go_of_texts_nobody_holds() {
        let pooled = |s: &Sym| Arc::strong_count(&s.0) > 1;
        let size = || POOL.with(|p| p.borrow().texts.len());
        let base = size();
        let held: Vec<Sym> = (0..POOL_CAP / 2)
            .map(|i| Sym::new(&format!("held {i}")))
            .collect();
        for i in 0..POOL_CAP - POOL_CAP / 2 - base {
            drop(Sym::new(&format!("passing {i}")));
        }
        assert_eq!(size(), POOL_CAP);
        // Full: a new text is not pooled, and the pool does not grow…
        let late = Sym::new("late");
        assert!(!pooled(&late));
        assert_eq!(size(), POOL_CAP);
        // …until enough were missed: then the texts nobody holds are let go.
        for i in 0..POOL_CAP / 4 - 2 {
            drop(Sym::new(&format!("missed {i}")));
        }
        assert_eq!(size(), POOL_CAP, "no sweep yet");
        let last = Sym::new("the sweep");
        assert!(size() <= base + POOL_CAP / 2 + 1, "{}", size());
        assert!(pooled(&last), "pooled again after the sweep");
        assert!(held.iter().all(pooled), "what others hold is kept");
        assert!(Arc::ptr_eq(&Sym::new("held 7").0, &held[7].0));
    }

    #[test]
    fn long_texts_are_not_pooled() {
        let long = "x".repeat(POOLED + 1);
        let (a, b) = (Sym::new(&long), Sym::new(&long));
        assert_eq!(a, b);
        assert!(!Arc::ptr_eq(&a.0, &b.0));
    }
}
