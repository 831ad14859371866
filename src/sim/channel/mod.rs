//! Simulated conda channels: records per subdir and their serialized forms.
//!
//! Serving must stay cheap even for hundreds of thousands of records, so every
//! body (`repodata.json`, its `.zst`, the shard index, each shard) is built
//! once, cached, and dropped only when that subdir changes. Shards are
//! content-addressed and immutable: a change re-serializes only the shards of
//! the package names it touched, and old shards stay downloadable, as on a CDN.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use sha2::{Digest, Sha256};

mod synthetic;

pub(crate) use synthetic::synthetic_channel;

use crate::sim::scenario::{ChannelSpec, PackageSpec};

/// One package record (one file in one subdir).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Package name.
    pub(crate) name: String,
    /// Version.
    pub(crate) version: String,
    /// Build string.
    pub(crate) build: String,
    /// Build number.
    pub(crate) build_number: u64,
    /// Subdir the record lives in.
    pub(crate) subdir: String,
    /// Dependencies (match specs).
    pub(crate) depends: Vec<String>,
    /// `noarch` kind (`python`, `generic`), for noarch records.
    pub(crate) noarch: Option<&'static str>,
    /// MD5 of the (imaginary) file.
    pub(crate) md5: [u8; 16],
    /// SHA-256 of the (imaginary) file.
    pub(crate) sha256: [u8; 32],
    /// File size in bytes.
    pub(crate) size: u64,
    /// Upload time, milliseconds since the epoch.
    pub(crate) timestamp_ms: i64,
    /// `.conda` (true) or `.tar.bz2`.
    pub(crate) conda_format: bool,
}

impl Record {
    /// The file name, e.g. `conda-26.11.0-py_0.conda`.
    pub(crate) fn filename(&self) -> String {
        let ext = if self.conda_format {
            "conda"
        } else {
            "tar.bz2"
        };
        format!("{}-{}-{}.{ext}", self.name, self.version, self.build)
    }

    /// A record with digests and size derived from its identity (deterministic).
    pub(crate) fn new(spec: &PackageSpec, subdir: &str, at: DateTime<Utc>) -> Record {
        let noarch = (subdir == "noarch").then_some(if spec.build.starts_with("py") {
            "python"
        } else {
            "generic"
        });
        let mut r = Record {
            name: spec.name.clone(),
            version: spec.version.clone(),
            build: spec.build.clone(),
            build_number: spec.build_number,
            subdir: subdir.to_string(),
            depends: spec.depends.clone(),
            noarch,
            md5: [0; 16],
            sha256: [0; 32],
            size: 0,
            timestamp_ms: at.timestamp_millis(),
            conda_format: spec.conda_format,
        };
        r.fill_digests();
        r
    }

    fn fill_digests(&mut self) {
        let digest: [u8; 32] =
            Sha256::digest(format!("{}/{}", self.subdir, self.filename()).as_bytes()).into();
        self.sha256 = digest;
        let md5: [u8; 32] = Sha256::digest(digest).into();
        self.md5.copy_from_slice(&md5[..16]);
        self.size = 10_000
            + u64::from(
                u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 2_000_000,
            );
    }
}

/// Digest bytes: hex in JSON, raw bytes in msgpack (as CEP-16 shards store them).
struct DigestOut<'a>(&'a [u8], bool);

impl Serialize for DigestOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.1 {
            s.serialize_str(&hex::encode(self.0))
        } else {
            s.serialize_bytes(self.0)
        }
    }
}

/// A record as written in repodata (keys sorted, as conda-index writes them).
struct RecordOut<'a>(&'a Record, bool);

impl Serialize for RecordOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("build", &r.build)?;
        m.serialize_entry("build_number", &r.build_number)?;
        m.serialize_entry("depends", &r.depends)?;
        m.serialize_entry("license", "BSD-3-Clause")?;
        m.serialize_entry("md5", &DigestOut(&r.md5, self.1))?;
        m.serialize_entry("name", &r.name)?;
        if let Some(n) = r.noarch {
            m.serialize_entry("noarch", n)?;
        }
        m.serialize_entry("sha256", &DigestOut(&r.sha256, self.1))?;
        m.serialize_entry("size", &r.size)?;
        m.serialize_entry("subdir", &r.subdir)?;
        m.serialize_entry("timestamp", &r.timestamp_ms)?;
        m.serialize_entry("version", &r.version)?;
        m.end()
    }
}

struct RecordsOut<'a, I: Iterator<Item = (&'a String, &'a Record)> + Clone>(I, bool);

impl<'a, I: Iterator<Item = (&'a String, &'a Record)> + Clone> Serialize for RecordsOut<'a, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.0.clone() {
            m.serialize_entry(k, &RecordOut(v, self.1))?;
        }
        m.end()
    }
}

/// A served body with its validators.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    /// The bytes.
    pub(crate) bytes: Bytes,
    /// Strong ETag, quoted.
    pub(crate) etag: String,
}

fn etag_of(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&d[..12]))
}

fn zstd_bytes(data: &[u8]) -> Bytes {
    // Level 3 is zstd's default and fast; failure here would be a bug in zstd, so
    // fall back to an empty frame instead of panicking.
    Bytes::from(zstd::encode_all(data, 3).unwrap_or_default())
}

/// (file name, record) pairs of one package name.
type Entries<'a> = Vec<(&'a String, &'a Record)>;

/// One subdir of one channel.
#[derive(Debug, Default)]
pub(crate) struct SubdirData {
    /// `.tar.bz2` records by file name.
    pub(crate) packages: BTreeMap<String, Record>,
    /// `.conda` records by file name.
    pub(crate) conda_packages: BTreeMap<String, Record>,
    /// File names removed from the index.
    pub(crate) removed: BTreeSet<String>,
    /// Sim time of the last change.
    pub(crate) last_modified: DateTime<Utc>,
    json: Option<Body>,
    zst: Option<Body>,
    index: Option<Body>,
    /// Current shard hash per name.
    shard_of: HashMap<String, [u8; 32]>,
    /// Every shard ever built, by hash (shards are immutable).
    shards: HashMap<[u8; 32], Bytes>,
    /// Names whose shard must be rebuilt.
    dirty: HashSet<String>,
}

impl SubdirData {
    fn touch(&mut self, name: &str, at: DateTime<Utc>) {
        self.json = None;
        self.zst = None;
        self.index = None;
        self.dirty.insert(name.to_string());
        if at > self.last_modified {
            self.last_modified = at;
        }
    }

    fn insert(&mut self, r: Record, at: DateTime<Utc>) {
        let file = r.filename();
        self.removed.remove(&file);
        self.touch(&r.name.clone(), at);
        if r.conda_format {
            self.conda_packages.insert(file, r);
        } else {
            self.packages.insert(file, r);
        }
    }

    /// Remove matching records, returning them.
    fn take(
        &mut self,
        name: &str,
        version: &str,
        build: Option<&str>,
        at: DateTime<Utc>,
    ) -> Vec<Record> {
        let matches = |r: &Record| {
            r.name == name && r.version == version && build.is_none_or(|b| r.build == b)
        };
        let mut out = Vec::new();
        for map in [&mut self.packages, &mut self.conda_packages] {
            let keys: Vec<String> = map
                .iter()
                .filter(|(_, r)| matches(r))
                .map(|(k, _)| k.clone())
                .collect();
            for k in keys {
                if let Some(r) = map.remove(&k) {
                    self.removed.insert(k);
                    out.push(r);
                }
            }
        }
        if !out.is_empty() {
            self.touch(name, at);
        }
        out
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.packages.len() + self.conda_packages.len()
    }

    /// `repodata.json`.
    pub(crate) fn repodata_json(&mut self, subdir: &str) -> Body {
        if let Some(b) = &self.json {
            return b.clone();
        }
        #[derive(Serialize)]
        struct Info<'a> {
            subdir: &'a str,
        }
        let mut buf = Vec::with_capacity(self.len() * 400 + 100);
        let mut ser = serde_json::Serializer::new(&mut buf);
        let result = (|| {
            let mut m = ser.serialize_map(Some(5))?;
            m.serialize_entry("info", &Info { subdir })?;
            m.serialize_entry("packages", &RecordsOut(self.packages.iter(), true))?;
            m.serialize_entry(
                "packages.conda",
                &RecordsOut(self.conda_packages.iter(), true),
            )?;
            m.serialize_entry("removed", &self.removed)?;
            m.serialize_entry("repodata_version", &1)?;
            m.end()
        })();
        if result.is_err() {
            buf.clear();
        }
        let bytes = Bytes::from(buf);
        let body = Body {
            etag: etag_of(&bytes),
            bytes,
        };
        self.json = Some(body.clone());
        body
    }

    /// `repodata.json.zst`.
    pub(crate) fn repodata_zst(&mut self, subdir: &str) -> Body {
        if let Some(b) = &self.zst {
            return b.clone();
        }
        let json = self.repodata_json(subdir);
        let bytes = zstd_bytes(&json.bytes);
        let body = Body {
            etag: etag_of(&bytes),
            bytes,
        };
        self.zst = Some(body.clone());
        body
    }

    fn rebuild_shards(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let dirty: HashSet<String> = std::mem::take(&mut self.dirty);
        let mut groups: HashMap<&str, (Entries<'_>, Entries<'_>)> = HashMap::new();
        for n in &dirty {
            groups.insert(n.as_str(), (Vec::new(), Vec::new()));
        }
        for (k, r) in &self.packages {
            if let Some(g) = groups.get_mut(r.name.as_str()) {
                g.0.push((k, r));
            }
        }
        for (k, r) in &self.conda_packages {
            if let Some(g) = groups.get_mut(r.name.as_str()) {
                g.1.push((k, r));
            }
        }
        let mut built = Vec::new();
        // One compressor for all shards: creating a zstd context per small shard
        // dominated the cost of indexing a big subdir.
        let mut zc = zstd::bulk::Compressor::new(3).ok();
        for (name, (tar, conda)) in groups {
            if tar.is_empty() && conda.is_empty() {
                built.push((name.to_string(), None));
                continue;
            }
            let removed: Vec<&String> = self
                .removed
                .iter()
                .filter(|f| f.starts_with(name) && f.get(name.len()..name.len() + 1) == Some("-"))
                .collect();
            let bytes = shard_bytes(tar.into_iter(), conda.into_iter(), &removed, zc.as_mut());
            built.push((name.to_string(), Some(bytes)));
        }
        for (name, bytes) in built {
            match bytes {
                Some(b) => {
                    let hash: [u8; 32] = Sha256::digest(&b).into();
                    self.shards.insert(hash, b);
                    self.shard_of.insert(name, hash);
                }
                None => {
                    self.shard_of.remove(&name);
                }
            }
        }
    }

    /// `repodata_shards.msgpack.zst`.
    pub(crate) fn shard_index(&mut self, subdir: &str) -> Body {
        if let Some(b) = &self.index {
            return b.clone();
        }
        self.rebuild_shards();
        struct Shards<'a>(&'a HashMap<String, [u8; 32]>);
        impl Serialize for Shards<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let sorted: BTreeMap<&String, &[u8; 32]> = self.0.iter().collect();
                let mut m = s.serialize_map(Some(sorted.len()))?;
                for (k, v) in sorted {
                    m.serialize_entry(k, &DigestOut(v, false))?;
                }
                m.end()
            }
        }
        #[derive(Serialize)]
        struct Info<'a> {
            base_url: &'a str,
            shards_base_url: &'a str,
            subdir: &'a str,
            created_at: String,
        }
        #[derive(Serialize)]
        struct Index<'a> {
            info: Info<'a>,
            shards: Shards<'a>,
        }
        let index = Index {
            info: Info {
                base_url: "./",
                shards_base_url: "./shards/",
                subdir,
                created_at: self
                    .last_modified
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
            shards: Shards(&self.shard_of),
        };
        let raw = rmp_serde::to_vec_named(&index).unwrap_or_default();
        let bytes = zstd_bytes(&raw);
        let body = Body {
            etag: etag_of(&bytes),
            bytes,
        };
        self.index = Some(body.clone());
        body
    }

    /// A shard by its sha256, if it was ever served.
    pub(crate) fn shard(&mut self, hash: &[u8; 32]) -> Option<Body> {
        self.rebuild_shards();
        self.shards.get(hash).map(|b| Body {
            bytes: b.clone(),
            // Shards are immutable and named by their hash: that hash is the perfect validator.
            etag: format!("\"{}\"", hex::encode(hash)),
        })
    }
}

fn shard_bytes<'a>(
    tar: impl Iterator<Item = (&'a String, &'a Record)> + Clone,
    conda: impl Iterator<Item = (&'a String, &'a Record)> + Clone,
    removed: &'a [&'a String],
    zc: Option<&mut zstd::bulk::Compressor<'_>>,
) -> Bytes {
    struct Shard<'a, A, B>(A, B, &'a [&'a String]);
    impl<'a, A, B> Serialize for Shard<'a, A, B>
    where
        A: Iterator<Item = (&'a String, &'a Record)> + Clone,
        B: Iterator<Item = (&'a String, &'a Record)> + Clone,
    {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(3))?;
            m.serialize_entry("packages", &RecordsOut(self.0.clone(), false))?;
            m.serialize_entry("packages.conda", &RecordsOut(self.1.clone(), false))?;
            m.serialize_entry("removed", self.2)?;
            m.end()
        }
    }
    let raw = rmp_serde::to_vec_named(&Shard(tar, conda, removed)).unwrap_or_default();
    match zc.and_then(|c| c.compress(&raw).ok()) {
        Some(z) => Bytes::from(z),
        None => zstd_bytes(&raw),
    }
}

/// A channel: its subdirs and serving settings.
#[derive(Debug)]
pub(crate) struct Channel {
    /// Channel name, e.g. `conda-forge` or `conda-forge/label/broken`.
    pub(crate) name: String,
    /// Whether the shard index is served.
    pub(crate) sharded: bool,
    /// `Cache-Control: max-age`, real seconds.
    pub(crate) max_age: u32,
    /// Subdirs by name.
    pub(crate) subdirs: BTreeMap<String, SubdirData>,
    channeldata: Option<Body>,
}

impl Channel {
    /// An empty channel with these subdirs.
    pub(crate) fn new(
        name: &str,
        sharded: bool,
        max_age: u32,
        subdirs: &[String],
        at: DateTime<Utc>,
    ) -> Channel {
        Channel {
            name: name.to_string(),
            sharded,
            max_age,
            subdirs: subdirs
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        SubdirData {
                            last_modified: at,
                            ..SubdirData::default()
                        },
                    )
                })
                .collect(),
            channeldata: None,
        }
    }

    /// Insert a record into its subdir (ignored when the channel lacks that subdir).
    pub(crate) fn insert(&mut self, r: Record, at: DateTime<Utc>) -> bool {
        match self.subdirs.get_mut(&r.subdir) {
            Some(sd) => {
                sd.insert(r, at);
                self.channeldata = None;
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.subdirs.values().map(SubdirData::len).sum()
    }

    /// Sim time of the last change in any subdir.
    pub(crate) fn last_modified(&self) -> DateTime<Utc> {
        self.subdirs
            .values()
            .map(|s| s.last_modified)
            .max()
            .unwrap_or_default()
    }

    /// `channeldata.json`: newest version per package (a hint, not proof).
    pub(crate) fn channeldata(&mut self) -> Body {
        if let Some(b) = &self.channeldata {
            return b.clone();
        }
        #[derive(Serialize)]
        struct Pkg {
            subdirs: BTreeSet<String>,
            version: String,
            timestamp: i64,
        }
        let mut packages: BTreeMap<&str, Pkg> = BTreeMap::new();
        for (sd_name, sd) in &self.subdirs {
            for r in sd.packages.values().chain(sd.conda_packages.values()) {
                let e = packages.entry(r.name.as_str()).or_insert_with(|| Pkg {
                    subdirs: BTreeSet::new(),
                    version: r.version.clone(),
                    timestamp: 0,
                });
                e.subdirs.insert(sd_name.clone());
                if newer(&r.version, &e.version) {
                    e.version = r.version.clone();
                }
                e.timestamp = e.timestamp.max(r.timestamp_ms / 1000);
            }
        }
        let doc = serde_json::json!({
            "channeldata_version": 1,
            "packages": packages,
            "subdirs": self.subdirs.keys().collect::<Vec<_>>(),
        });
        let bytes = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
        let body = Body {
            etag: etag_of(&bytes),
            bytes,
        };
        self.channeldata = Some(body.clone());
        body
    }
}

/// Conda version order via rattler's `Version`; falls back to string order.
fn newer(a: &str, b: &str) -> bool {
    use rattler_conda_types::Version;
    use std::str::FromStr;
    match (Version::from_str(a), Version::from_str(b)) {
        (Ok(a), Ok(b)) => a > b,
        _ => a > b,
    }
}

/// All channels of the world.
#[derive(Debug)]
pub(crate) struct ChannelStore {
    /// Channels by name (labels are separate channels: `name/label/x`).
    pub(crate) channels: BTreeMap<String, Channel>,
}

impl ChannelStore {
    /// Channels as a scenario declares them, with any synthetic filler.
    pub(crate) fn new(specs: &[ChannelSpec], start: DateTime<Utc>) -> ChannelStore {
        let mut channels = BTreeMap::new();
        for s in specs {
            let mut ch = match s.synthetic {
                Some((seed, n)) if n > 0 => {
                    let names: Vec<&str> = s.subdirs.iter().map(String::as_str).collect();
                    let mut ch = synthetic_channel(seed, n, &names);
                    ch.name = s.name.clone();
                    ch
                }
                _ => Channel::new(&s.name, s.sharded, s.max_age, &s.subdirs, start),
            };
            ch.sharded = s.sharded;
            ch.max_age = s.max_age;
            channels.insert(s.name.clone(), ch);
        }
        ChannelStore { channels }
    }

    /// Publish a package to a channel.
    pub(crate) fn add(
        &mut self,
        channel: &str,
        p: &PackageSpec,
        at: DateTime<Utc>,
    ) -> Result<(), String> {
        let ch = self
            .channels
            .get_mut(channel)
            .ok_or_else(|| format!("no channel {channel}"))?;
        let mut missing = Vec::new();
        for sd in &p.subdirs {
            if !ch.insert(Record::new(p, sd, at), at) {
                missing.push(sd.as_str());
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "channel {channel} has no subdir {}",
                missing.join(", ")
            ))
        }
    }

    /// Remove a package version from a channel (all subdirs).
    pub(crate) fn remove(
        &mut self,
        channel: &str,
        name: &str,
        version: &str,
        build: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Vec<Record>, String> {
        let ch = self
            .channels
            .get_mut(channel)
            .ok_or_else(|| format!("no channel {channel}"))?;
        let mut out = Vec::new();
        for sd in ch.subdirs.values_mut() {
            out.extend(sd.take(name, version, build, at));
        }
        if out.is_empty() {
            return Err(format!("{name} {version} is not on {channel}"));
        }
        ch.channeldata = None;
        Ok(out)
    }

    /// Move a package version to `{channel}/label/broken`.
    pub(crate) fn mark_broken(
        &mut self,
        channel: &str,
        name: &str,
        version: &str,
        build: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), String> {
        let records = self.remove(channel, name, version, build, at)?;
        let label = format!("{channel}/label/broken");
        if !self.channels.contains_key(&label) {
            let (sharded, max_age, subdirs) = match self.channels.get(channel) {
                Some(c) => (
                    c.sharded,
                    c.max_age,
                    c.subdirs.keys().cloned().collect::<Vec<_>>(),
                ),
                None => (false, 0, vec!["noarch".to_string()]),
            };
            self.channels.insert(
                label.clone(),
                Channel::new(&label, sharded, max_age, &subdirs, at),
            );
        }
        if let Some(ch) = self.channels.get_mut(&label) {
            for r in records {
                ch.insert(r, at);
            }
        }
        Ok(())
    }

    /// Split `/channels/...` path segments into (channel name, rest), longest channel first.
    pub(crate) fn split_path<'p>(&self, segs: &'p [&'p str]) -> Option<(String, &'p [&'p str])> {
        for cut in (1..=segs.len()).rev() {
            let name = segs[..cut].join("/");
            if self.channels.contains_key(&name) {
                return Some((name, &segs[cut..]));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_channel_is_deterministic_and_sized() {
        let mut a = synthetic_channel(7, 3000, &["linux-64", "osx-arm64"]);
        let mut b = synthetic_channel(7, 3000, &["linux-64", "osx-arm64"]);
        assert_eq!(a.len(), 3000);
        let ja = a
            .subdirs
            .get_mut("linux-64")
            .map(|s| s.repodata_json("linux-64").bytes);
        let jb = b
            .subdirs
            .get_mut("linux-64")
            .map(|s| s.repodata_json("linux-64").bytes);
        assert_eq!(ja, jb);
        let c = synthetic_channel(8, 3000, &["linux-64", "osx-arm64"]);
        assert_ne!(
            a.subdirs
                .get("linux-64")
                .map(|s| s.packages.keys().next().cloned()),
            c.subdirs
                .get("linux-64")
                .map(|s| s.packages.keys().next().cloned())
        );
    }

    #[test]
    fn shards_are_named_by_their_hash_and_rebuilt_only_on_change() {
        let mut ch = synthetic_channel(1, 500, &["linux-64"]);
        let sd = ch.subdirs.get_mut("linux-64").expect("subdir exists");
        let first = sd.shard_index("linux-64");
        let again = sd.shard_index("linux-64");
        assert_eq!(first.etag, again.etag);
        for (hash, bytes) in &sd.shards {
            let h: [u8; 32] = Sha256::digest(bytes).into();
            assert_eq!(&h, hash);
        }
        let spec = PackageSpec {
            name: "newpkg".into(),
            version: "1.0".into(),
            build: "0".into(),
            build_number: 0,
            subdirs: vec!["linux-64".into()],
            depends: vec![],
            conda_format: true,
        };
        ch.insert(Record::new(&spec, "linux-64", Utc::now()), Utc::now());
        let sd = ch.subdirs.get_mut("linux-64").expect("subdir exists");
        let changed = sd.shard_index("linux-64");
        assert_ne!(first.etag, changed.etag);
        assert!(sd.shard_of.contains_key("newpkg"));
    }
}
