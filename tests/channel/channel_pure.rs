//! Channel name resolution and the pure helpers the board uses.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use flightdeck::probe::channel::{
    ChannelError, ChannelQuery, broken_label, is_broken_label, resolve_channel,
};
use flightdeck::timeline::availability::{
    channel_skew, first_channel, merge_to_available, tag_to_first_channel, waiting_for,
};
use proptest::prelude::*;

fn resolve(name: &str) -> Result<String, ChannelError> {
    resolve_channel(name, &BTreeMap::new()).map(|u| u.to_string())
}

#[test]
fn channel_names_resolve_to_their_urls() {
    assert_eq!(
        resolve("conda-forge").as_deref(),
        Ok("https://conda.anaconda.org/conda-forge")
    );
    assert_eq!(
        resolve("defaults").as_deref(),
        Ok("https://repo.anaconda.com/pkgs/main")
    );
    assert_eq!(
        resolve("conda-canary").as_deref(),
        Ok("https://conda.anaconda.org/conda-canary")
    );
    assert_eq!(
        resolve("conda-forge/label/broken").as_deref(),
        Ok("https://conda.anaconda.org/conda-forge/label/broken")
    );
    assert_eq!(
        resolve("https://prefix.dev/conda-forge/").as_deref(),
        Ok("https://prefix.dev/conda-forge")
    );
    assert_eq!(
        resolve("http://127.0.0.1:8080/conda-forge").as_deref(),
        Ok("http://127.0.0.1:8080/conda-forge")
    );
    assert_eq!(
        resolve("file:///srv/channels/local").as_deref(),
        Ok("file:///srv/channels/local")
    );
}

#[test]
fn channel_overrides_win_and_cover_labels() {
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "conda-forge".to_owned(),
        "http://127.0.0.1:9999/conda-forge/".to_owned(),
    );
    overrides.insert("defaults".to_owned(), "file:///srv/main".to_owned());
    let r = |n: &str| resolve_channel(n, &overrides).map(|u| u.to_string());
    assert_eq!(
        r("conda-forge").as_deref(),
        Ok("http://127.0.0.1:9999/conda-forge")
    );
    assert_eq!(
        r("conda-forge/label/broken").as_deref(),
        Ok("http://127.0.0.1:9999/conda-forge/label/broken")
    );
    assert_eq!(r("defaults").as_deref(), Ok("file:///srv/main"));
    // A name that merely starts with an override key is not covered by it.
    assert_eq!(
        r("conda-forge-staging").as_deref(),
        Ok("https://conda.anaconda.org/conda-forge-staging")
    );
}

#[test]
fn channel_bad_names_and_urls_get_clear_errors() {
    assert_eq!(resolve(""), Err(ChannelError::EmptyName));
    assert_eq!(resolve("   "), Err(ChannelError::EmptyName));
    for bad in [
        "conda forge",
        "conda-forge//label",
        "../etc",
        "conda-forge/",
        "a?b",
        "ü",
    ] {
        let err = resolve(bad).expect_err(bad);
        assert!(
            matches!(err, ChannelError::InvalidName { .. }),
            "{bad}: {err}"
        );
        assert!(
            err.to_string().contains("conda-forge"),
            "says what is valid: {err}"
        );
    }
    for bad in [
        "ftp://example.com/x",
        "https://",
        "s3://bucket/x",
        "http://[::1",
    ] {
        let err = resolve(bad).expect_err(bad);
        assert!(
            matches!(err, ChannelError::InvalidUrl { .. }),
            "{bad}: {err}"
        );
    }
    let mut overrides = BTreeMap::new();
    overrides.insert("conda-forge".to_owned(), "not a url".to_owned());
    assert!(matches!(
        resolve_channel("conda-forge", &overrides),
        Err(ChannelError::InvalidUrl { .. })
    ));
}

#[test]
fn channel_query_parses_once_at_the_edge() {
    let q = ChannelQuery::parse(
        "conda-forge",
        &BTreeMap::new(),
        "conda",
        "26.11.0",
        &["noarch", "linux-64"],
    )
    .expect("valid");
    assert_eq!(q.subdirs.len(), 2);
    assert_eq!(q.version, "26.11".parse().expect("version"));
    assert!(matches!(
        ChannelQuery::parse(
            "conda-forge",
            &BTreeMap::new(),
            "conda",
            "26..x",
            &["noarch"]
        ),
        Err(ChannelError::InvalidVersion { .. })
    ));
    assert!(matches!(
        ChannelQuery::parse(
            "conda-forge",
            &BTreeMap::new(),
            "Bad Name!",
            "1",
            &["noarch"]
        ),
        Err(ChannelError::InvalidPackage { .. })
    ));
    assert!(matches!(
        ChannelQuery::parse("conda-forge", &BTreeMap::new(), "conda", "1", &["linux 64"]),
        Err(ChannelError::InvalidSubdir { .. })
    ));
}

#[test]
fn channel_broken_label_names() {
    assert_eq!(broken_label("conda-forge"), "conda-forge/label/broken");
    assert!(is_broken_label("conda-forge/label/broken"));
    assert!(is_broken_label(
        "https://conda.anaconda.org/conda-forge/label/broken/"
    ));
    assert!(!is_broken_label("conda-forge"));
}

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, h, m, 0)
        .single()
        .expect("valid time")
}

fn avail(entries: &[(&str, Option<DateTime<Utc>>)]) -> BTreeMap<String, Option<DateTime<Utc>>> {
    entries.iter().map(|(n, a)| ((*n).to_owned(), *a)).collect()
}

#[test]
fn channel_skew_flags_the_lagging_channel_after_the_threshold() {
    let a = avail(&[("defaults", Some(t(14, 0))), ("conda-forge", None)]);
    let threshold = TimeDelta::hours(2);
    assert!(
        channel_skew(&a, t(15, 59), threshold).is_empty(),
        "within threshold"
    );
    let skew = channel_skew(&a, t(16, 30), threshold);
    assert_eq!(skew.len(), 1);
    assert_eq!(skew[0].ahead, "defaults");
    assert_eq!(skew[0].behind, "conda-forge");
    assert_eq!(skew[0].lag, TimeDelta::minutes(150));

    let both = avail(&[
        ("defaults", Some(t(14, 0))),
        ("conda-forge", Some(t(18, 0))),
    ]);
    assert!(channel_skew(&both, t(20, 0), threshold).is_empty());
    let none = avail(&[("defaults", None), ("conda-forge", None)]);
    assert!(channel_skew(&none, t(20, 0), threshold).is_empty());
}

#[test]
fn channel_lags_from_tag_and_merge() {
    let a = avail(&[
        ("defaults", Some(t(16, 0))),
        ("conda-forge", Some(t(14, 30))),
    ]);
    let first = tag_to_first_channel(t(14, 2), &a).expect("some channel has it");
    assert_eq!(first.channel, "conda-forge");
    assert_eq!(first.lag, TimeDelta::minutes(28));
    assert_eq!(tag_to_first_channel(t(14, 2), &avail(&[("x", None)])), None);

    assert_eq!(
        merge_to_available(t(15, 40), Some(t(16, 27))),
        Some(TimeDelta::minutes(47))
    );
    assert_eq!(merge_to_available(t(15, 40), None), None);
    assert_eq!(waiting_for(t(15, 0), t(15, 45)), TimeDelta::minutes(45));
    assert_eq!(waiting_for(t(16, 0), t(15, 45)), TimeDelta::zero());
}

proptest! {
    #[test]
    fn channel_skew_only_names_channels_without_the_version(
        times in proptest::collection::btree_map("[a-z]{1,8}", proptest::option::of(0i64..100_000), 0..6),
        now_offset in 0i64..200_000,
        threshold_min in 0i64..10_000,
    ) {
        let base = t(0, 0);
        let a: BTreeMap<String, Option<DateTime<Utc>>> = times
            .iter()
            .map(|(n, m)| (n.clone(), m.map(|m| base + TimeDelta::minutes(m))))
            .collect();
        let now = base + TimeDelta::minutes(now_offset);
        let threshold = TimeDelta::minutes(threshold_min);
        let first = first_channel(&a);
        for skew in channel_skew(&a, now, threshold) {
            prop_assert_eq!(a.get(&skew.behind), Some(&None));
            prop_assert!(skew.lag > threshold);
            prop_assert_eq!(Some((skew.ahead.clone(), skew.ahead_since)), first.clone());
        }
    }
}
