//! Filler records: a channel of realistic size and shape, from a seed.

use chrono::{TimeZone, Utc};

use super::{Channel, Record};
use crate::sim::scenario::PackageSpec;

/// A deterministic channel of `n_records` synthetic records spread over `subdirs`
/// (`noarch` is always included). Same seed, same channel, byte for byte.
pub(crate) fn synthetic_channel(seed: u64, n_records: usize, subdirs: &[&str]) -> Channel {
    let mut names: Vec<String> = subdirs.iter().map(|s| s.to_string()).collect();
    if !names.iter().any(|s| s == "noarch") {
        names.insert(0, "noarch".into());
    }
    let epoch = Utc
        .timestamp_opt(1_704_067_200, 0)
        .single()
        .unwrap_or_default(); // 2024-01-01
    let mut ch = Channel::new("synthetic", true, 0, &names, epoch);
    let mut rng = fastrand::Rng::with_seed(seed);
    const SYLLABLES: &[&str] = &[
        "py", "lib", "conda", "arrow", "numpy", "zlib", "xz", "ssl", "pkg", "tool", "data", "io",
        "net", "cli", "core",
    ];
    // Shaped like a real channel: a third of the names are noarch-only, the
    // rest are built for every platform subdir, and each name has about 20
    // records (versions × builds) in each subdir it lives in. The shape matters:
    // a shard index lists each name of its subdir once, so its size follows
    // names per subdir, while the full repodata follows records.
    const PER_NAME_AND_SUBDIR: f64 = 20.0;
    let platforms: Vec<String> = names.iter().filter(|s| *s != "noarch").cloned().collect();
    let avg_subdirs = (1.0 + 2.0 * platforms.len().max(1) as f64) / 3.0;
    let n_names = ((n_records as f64 / (PER_NAME_AND_SUBDIR * avg_subdirs)).ceil() as usize).max(1);
    let pkg_names: Vec<String> = (0..n_names)
        .map(|i| {
            let a = SYLLABLES[rng.usize(..SYLLABLES.len())];
            let b = SYLLABLES[rng.usize(..SYLLABLES.len())];
            format!("{a}-{b}-{i}")
        })
        .collect();
    let noarch = ["noarch".to_string()];
    let home = |i: usize| -> &[String] {
        if i.is_multiple_of(3) || platforms.is_empty() {
            &noarch
        } else {
            &platforms
        }
    };
    let mut produced = 0usize;
    let mut i = 0u64;
    while produced < n_records {
        let which = rng.usize(..pkg_names.len());
        let name = &pkg_names[which];
        let homes = home(which);
        let subdir = homes[rng.usize(..homes.len())].clone();
        let version = format!("{}.{}.{}", rng.u32(0..30), rng.u32(0..20), rng.u32(0..10));
        let build_number = rng.u64(0..5);
        let build = format!("h{:08x}_{build_number}", rng.u32(..));
        let dep_count = rng.usize(0..4);
        let depends = (0..dep_count)
            .map(|_| {
                format!(
                    "{} >={}",
                    pkg_names[rng.usize(..pkg_names.len())],
                    rng.u32(0..5)
                )
            })
            .collect();
        let at = epoch + chrono::TimeDelta::seconds(i as i64 * 97);
        let spec = PackageSpec {
            name: name.clone(),
            version,
            build,
            build_number,
            subdirs: vec![subdir.clone()],
            depends,
            conda_format: rng.bool(),
        };
        let r = Record::new(&spec, &subdir, at);
        if let Some(sd) = ch.subdirs.get_mut(&subdir) {
            let before = sd.len();
            sd.insert(r, at);
            if sd.len() > before {
                produced += 1;
            }
        }
        i += 1;
        // Collisions are rare; this bound only guards against a degenerate loop.
        if i > (n_records as u64) * 4 + 100 {
            break;
        }
    }
    ch
}
