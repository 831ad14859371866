//! Derived files' lists as MessagePack binary: lists of indices four bytes
//! each, read at the speed of a copy rather than one number at a time
//! (a saved fold's), and plain bytes (a checkpoint's directory).

use serde::de::{Error, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn bytes_of(list: &[usize]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(list.len() * 4);
    for &i in list {
        let i = u32::try_from(i).map_err(|_| "an index past 4 billion".to_string())?;
        out.extend_from_slice(&i.to_le_bytes());
    }
    Ok(out)
}

fn list_of(bytes: &[u8]) -> Option<Vec<usize>> {
    let words = bytes.chunks_exact(4);
    if !words.remainder().is_empty() {
        return None;
    }
    Some(
        words
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize)
            .collect(),
    )
}

/// One list, as bytes.
pub(crate) struct Bin(pub(crate) Vec<usize>);

impl Serialize for Bin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Bin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bin, D::Error> {
        deserialize(d).map(Bin)
    }
}

pub(crate) fn serialize<S: Serializer>(list: &[usize], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(&bytes_of(list).map_err(serde::ser::Error::custom)?)
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<usize>, D::Error> {
    struct Words;
    impl Visitor<'_> for Words {
        type Value = Vec<usize>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("bytes of 32-bit indices")
        }
        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<usize>, E> {
            list_of(v).ok_or_else(|| E::custom("a length not a multiple of 4"))
        }
    }
    d.deserialize_bytes(Words)
}

/// Per probe, its list.
pub(crate) mod map {
    use super::Bin;
    use crate::timeline::Sym;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub(crate) fn serialize<S: Serializer>(
        map: &BTreeMap<Sym, Vec<usize>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(k, v)| (k, Bin(v.clone()))))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Sym, Vec<usize>>, D::Error> {
        let pairs: Vec<(Sym, Bin)> = Deserialize::deserialize(d)?;
        Ok(pairs.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

/// Per step, its list.
pub(crate) mod lists {
    use super::Bin;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(lists: &[Vec<usize>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(lists.iter().map(|v| Bin(v.clone())))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Vec<usize>>, D::Error> {
        let lists: Vec<Bin> = Deserialize::deserialize(d)?;
        Ok(lists.into_iter().map(|v| v.0).collect())
    }
}

/// The facts seen: positions, then the key bits of each.
pub(crate) mod facts {
    use super::Bin;
    use crate::timeline::positions::FactSet;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(set: &FactSet, s: S) -> Result<S::Ok, S::Error> {
        let (at, bits): (Vec<usize>, Vec<usize>) =
            set.entries().map(|(p, k)| (p as usize, k as usize)).unzip();
        (Bin(at), Bin(bits)).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FactSet, D::Error> {
        let (at, bits): (Bin, Bin) = Deserialize::deserialize(d)?;
        if at.0.len() != bits.0.len() {
            return Err(D::Error::custom("positions and keys differ in number"));
        }
        Ok(FactSet::of_entries(
            at.0.iter()
                .zip(&bits.0)
                .map(|(&p, &k)| (p as u32, k as u32))
                .collect(),
        ))
    }
}

/// Plain bytes, as MessagePack's binary rather than a list of numbers.
pub(crate) mod bytes {
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl Visitor<'_> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
        }
        d.deserialize_byte_buf(Bytes)
    }
}
