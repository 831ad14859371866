//! The channel probe against `file://` channels built from real channel indexes (rattler's test
//! data vendored in `tests/fixtures/channels`, copied into a temp dir so tests can change them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flightdeck::probe::channel::{
    ChannelChecker, ChannelQuery, ChannelReport, RedEvent, SubdirStatus, carry_forward, red_events,
};
use rattler_conda_types::Subdir;
use url::Url;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/channels");

/// Copies a fixture channel into `dest` (writable copies: the fixtures are read-only).
fn copy_channel(name: &str, dest: &Path) {
    copy_dir(&Path::new(FIXTURES).join(name), dest);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::write(&target, std::fs::read(entry.path()).expect("read")).expect("write");
        }
    }
}

struct World {
    _tmp: tempfile::TempDir,
    channel_dir: PathBuf,
    checker: ChannelChecker,
}

impl World {
    fn new(fixture: &str) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let channel_dir = tmp.path().join("channel");
        if !fixture.is_empty() {
            copy_channel(fixture, &channel_dir);
        }
        let checker = ChannelChecker::new(tmp.path().join("cache")).expect("checker");
        Self {
            _tmp: tmp,
            channel_dir,
            checker,
        }
    }

    fn url(&self) -> String {
        Url::from_directory_path(&self.channel_dir)
            .expect("absolute path")
            .to_string()
    }

    fn query(&self, package: &str, version: &str, subdirs: &[&str]) -> ChannelQuery {
        let mut overrides = BTreeMap::new();
        overrides.insert("local".to_owned(), self.url());
        ChannelQuery::parse("local", &overrides, package, version, subdirs).expect("valid query")
    }

    async fn check(&self, package: &str, version: &str, subdirs: &[&str]) -> ChannelReport {
        self.checker
            .check(&self.query(package, version, subdirs))
            .await
    }
}

fn status(report: &ChannelReport, subdir: Subdir) -> &SubdirStatus {
    &report
        .subdirs
        .iter()
        .find(|s| s.subdir == subdir)
        .expect("subdir in report")
        .status
}

#[tokio::test]
async fn channel_pytorch_version_is_available_with_its_earliest_build() {
    let world = World::new("pytorch");
    let report = world.check("pytorch", "1.11.0", &["linux-64"]).await;
    match status(&report, Subdir::Linux64) {
        SubdirStatus::Available {
            file_name,
            url,
            timestamp,
            records,
            build,
            ..
        } => {
            assert_eq!(*records, 20, "every pytorch 1.11.0 build counts");
            assert!(file_name.starts_with("pytorch-1.11.0-"), "{file_name}");
            assert!(file_name.contains(build.as_str()));
            assert!(
                url.as_str().starts_with(&world.url()) && url.as_str().ends_with(file_name),
                "the link points at the package file: {url}"
            );
            assert!(
                timestamp.is_some(),
                "the record's timestamp is the source time"
            );
        }
        other => panic!("expected available, got {other:?}"),
    }
    assert!(report.fully_available());
    assert_eq!(report.package, "pytorch");
    assert_eq!(report.version, "1.11.0");
}

#[tokio::test]
async fn channel_earliest_record_is_reported_across_archive_formats() {
    // dummy has foo 3.0.2 as a 2020 .tar.bz2 and as 2024 .conda builds: the version first became
    // installable in 2020.
    let world = World::new("dummy");
    let report = world.check("foo", "3.0.2", &["linux-64"]).await;
    match status(&report, Subdir::Linux64) {
        SubdirStatus::Available {
            file_name,
            timestamp,
            records,
            ..
        } => {
            assert_eq!(file_name, "foo-3.0.2-py36h1af98f8_1.tar.bz2");
            assert_eq!(
                timestamp.map(|t| t.timestamp_millis()),
                Some(1_605_110_689_658)
            );
            assert_eq!(*records, 4);
        }
        other => panic!("expected available, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_versions_compare_the_conda_way() {
    let world = World::new("pytorch");
    // cuda100's record says version `1.0`.
    for same in ["1.0", "1.0.0", "1"] {
        let report = world.check("cuda100", same, &["linux-64"]).await;
        assert!(
            status(&report, Subdir::Linux64).is_available(),
            "cuda100 {same} is the `1.0` record"
        );
    }
    for different in ["1.0.1", "1.01.1", "0.1", "1.0.0.1"] {
        let report = world.check("cuda100", different, &["linux-64"]).await;
        assert_eq!(
            status(&report, Subdir::Linux64),
            &SubdirStatus::NotYet,
            "cuda100 {different} is not there"
        );
    }
    // `1.1` is not a prefix match of `1.11.0`.
    let report = world.check("pytorch", "1.1", &["linux-64"]).await;
    assert_eq!(status(&report, Subdir::Linux64), &SubdirStatus::NotYet);
    let report = world.check("pytorch", "1.11", &["linux-64"]).await;
    assert!(status(&report, Subdir::Linux64).is_available());
}

#[tokio::test]
async fn channel_unknown_package_is_not_yet() {
    let world = World::new("pytorch");
    let report = world.check("conda", "26.11.0", &["linux-64"]).await;
    assert_eq!(status(&report, Subdir::Linux64), &SubdirStatus::NotYet);
    assert!(!report.fully_available());
}

#[tokio::test]
async fn channel_missing_subdir_is_a_clear_permanent_error_and_others_go_on() {
    // The pytorch fixture has linux-64 only: noarch and osx-arm64 are missing.
    let world = World::new("pytorch");
    let report = world
        .check("pytorch", "1.11.0", &["noarch", "linux-64", "osx-arm64"])
        .await;
    assert!(status(&report, Subdir::Linux64).is_available());
    for subdir in [Subdir::NoArch, Subdir::OsxArm64] {
        match status(&report, subdir) {
            SubdirStatus::Error {
                url,
                message,
                transient,
            } => {
                assert!(
                    url.as_str().contains(subdir.as_str()),
                    "the error names the subdir's URL: {url}"
                );
                assert!(message.contains("does not exist"), "{message}");
                assert!(!transient, "polling again will not create the subdir");
            }
            other => panic!("expected an error for {subdir}, got {other:?}"),
        }
    }
    assert!(!report.only_transient_errors());
}

#[tokio::test]
async fn channel_that_does_not_exist_errors_for_every_subdir() {
    let world = World::new("");
    let report = world
        .check("conda", "26.11.0", &["noarch", "linux-64"])
        .await;
    assert_eq!(report.subdirs.len(), 2);
    for entry in &report.subdirs {
        match &entry.status {
            SubdirStatus::Error {
                url,
                message,
                transient,
            } => {
                assert!(url.as_str().starts_with("file://"), "{url}");
                assert!(
                    message.contains("does not exist") && message.contains("channel"),
                    "{message}"
                );
                assert!(!transient);
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
}

/// Writes `body` as `subdir/repodata.json` of the world's channel.
fn write_repodata(world: &World, subdir: &str, body: &[u8]) {
    let dir = world.channel_dir.join(subdir);
    std::fs::create_dir_all(&dir).expect("subdir");
    std::fs::write(dir.join("repodata.json"), body).expect("write repodata");
}

#[tokio::test]
async fn channel_garbage_repodata_is_an_error_with_the_url_and_others_go_on() {
    let world = World::new("pytorch");
    write_repodata(&world, "noarch", b"<html>502 Bad Gateway</html>");
    let report = world
        .check("pytorch", "1.11.0", &["noarch", "linux-64"])
        .await;
    assert!(status(&report, Subdir::Linux64).is_available());
    match status(&report, Subdir::NoArch) {
        SubdirStatus::Error { url, message, .. } => {
            assert!(url.as_str().contains("/noarch"), "{url}");
            assert!(message.contains("repodata"), "{message}");
            eprintln!("garbage: {url}: {message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_truncated_repodata_is_an_error_not_a_panic() {
    let world = World::new("pytorch");
    let full = std::fs::read(world.channel_dir.join("linux-64/repodata.json")).expect("read");
    for cut in [1, full.len() / 3, full.len() / 2, full.len() - 2] {
        write_repodata(&world, "linux-64", &full[..cut]);
        let report = world.check("pytorch", "1.11.0", &["linux-64"]).await;
        assert!(
            matches!(status(&report, Subdir::Linux64), SubdirStatus::Error { .. }),
            "repodata cut at {cut} of {} bytes must be an error, got {:?}",
            full.len(),
            status(&report, Subdir::Linux64)
        );
    }
}

#[tokio::test]
async fn channel_garbage_record_of_the_package_is_an_error() {
    let world = World::new("");
    let body = serde_json::json!({
        "info": {"subdir": "noarch"},
        "packages": {
            "conda-26.11.0-py_0.tar.bz2": {
                "name": "conda", "version": "not a version!!", "build": "py_0",
                "build_number": 0, "depends": [], "subdir": "noarch"
            }
        }
    });
    write_repodata(&world, "noarch", body.to_string().as_bytes());
    let report = world.check("conda", "26.11.0", &["noarch"]).await;
    assert!(
        matches!(status(&report, Subdir::NoArch), SubdirStatus::Error { .. }),
        "{:?}",
        status(&report, Subdir::NoArch)
    );
}

/// A minimal noarch index with `conda` at the given versions.
fn conda_index(versions: &[(&str, i64)]) -> Vec<u8> {
    let packages: serde_json::Map<String, serde_json::Value> = versions
        .iter()
        .map(|(version, ts)| {
            (
                format!("conda-{version}-pyhd8ed1ab_0.conda"),
                serde_json::json!({
                    "name": "conda", "version": version, "build": "pyhd8ed1ab_0",
                    "build_number": 0, "depends": ["python >=3.9"], "subdir": "noarch",
                    "timestamp": ts, "sha256": "0".repeat(64), "size": 1000
                }),
            )
        })
        .collect();
    serde_json::json!({
        "info": {"subdir": "noarch"},
        "packages": {},
        "packages.conda": packages,
        "repodata_version": 1
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn channel_new_upload_is_seen_on_the_next_poll_and_first_seen_sticks() {
    let world = World::new("");
    write_repodata(
        &world,
        "noarch",
        &conda_index(&[("26.9.0", 1_700_000_000_000)]),
    );
    let before = world.check("conda", "26.11.0", &["noarch"]).await;
    assert_eq!(status(&before, Subdir::NoArch), &SubdirStatus::NotYet);

    // The release lands: the very next poll must see it (no stale in-memory copy).
    write_repodata(
        &world,
        "noarch",
        &conda_index(&[
            ("26.9.0", 1_700_000_000_000),
            ("26.11.0", 1_790_000_000_000),
        ]),
    );
    let first = world.check("conda", "26.11.0", &["noarch"]).await;
    let SubdirStatus::Available {
        first_seen: seen_1,
        timestamp,
        ..
    } = status(&first, Subdir::NoArch).clone()
    else {
        panic!(
            "expected available, got {:?}",
            status(&first, Subdir::NoArch)
        );
    };
    assert_eq!(
        timestamp.map(|t| t.timestamp_millis()),
        Some(1_790_000_000_000)
    );
    assert!(seen_1 >= before.checked_at);

    let second = world.check("conda", "26.11.0", &["noarch"]).await;
    let SubdirStatus::Available {
        first_seen: seen_2, ..
    } = status(&second, Subdir::NoArch).clone()
    else {
        panic!("still available");
    };
    assert_eq!(
        seen_1, seen_2,
        "first_seen is the first sighting, not the latest"
    );
    assert!(red_events(Some(&first), &second).is_empty());
}

#[tokio::test]
async fn channel_version_that_disappears_is_a_red_event() {
    let world = World::new("");
    write_repodata(
        &world,
        "noarch",
        &conda_index(&[("26.11.0", 1_790_000_000_000)]),
    );
    let available = world.check("conda", "26.11.0", &["noarch"]).await;
    assert!(available.fully_available());

    // Pulled from the channel (or hidden by a repodata patch).
    write_repodata(
        &world,
        "noarch",
        &conda_index(&[("26.9.0", 1_700_000_000_000)]),
    );
    let gone = world.check("conda", "26.11.0", &["noarch"]).await;
    let events = red_events(Some(&available), &gone);
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0] {
        RedEvent::Disappeared {
            channel,
            subdir,
            file_name,
            ..
        } => {
            assert_eq!(channel, "local");
            assert_eq!(*subdir, Subdir::NoArch);
            assert_eq!(file_name, "conda-26.11.0-pyhd8ed1ab_0.conda");
        }
        other => panic!("expected a disappearance, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_outage_between_polls_is_not_a_disappearance() {
    let world = World::new("");
    write_repodata(
        &world,
        "noarch",
        &conda_index(&[("26.11.0", 1_790_000_000_000)]),
    );
    let available = world.check("conda", "26.11.0", &["noarch"]).await;

    write_repodata(&world, "noarch", b"{ truncated");
    let broken = world.check("conda", "26.11.0", &["noarch"]).await;
    assert!(red_events(Some(&available), &broken).is_empty());
    let known = carry_forward(Some(&available), &broken);
    assert!(
        known.fully_available(),
        "the last known state survives an error"
    );

    write_repodata(
        &world,
        "noarch",
        &conda_index(&[("26.11.0", 1_790_000_000_000)]),
    );
    let back = world.check("conda", "26.11.0", &["noarch"]).await;
    assert!(red_events(Some(&known), &back).is_empty());
}

#[tokio::test]
async fn channel_version_under_label_broken_is_a_red_event() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let forge = tmp.path().join("conda-forge");
    let broken_noarch = forge.join("label/broken/noarch");
    std::fs::create_dir_all(&broken_noarch).expect("dirs");
    std::fs::write(
        broken_noarch.join("repodata.json"),
        conda_index(&[("26.9.0", 1_700_000_000_000)]),
    )
    .expect("write");
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "conda-forge".to_owned(),
        Url::from_directory_path(&forge).expect("abs").to_string(),
    );
    let label = flightdeck::probe::channel::broken_label("conda-forge");
    let query =
        ChannelQuery::parse(&label, &overrides, "conda", "26.11.0", &["noarch"]).expect("query");
    assert!(
        query
            .channel_url
            .as_str()
            .ends_with("/conda-forge/label/broken")
    );
    let checker = ChannelChecker::new(tmp.path().join("cache")).expect("checker");

    let clean = checker.check(&query).await;
    assert_eq!(status(&clean, Subdir::NoArch), &SubdirStatus::NotYet);
    assert!(red_events(None, &clean).is_empty());

    std::fs::write(
        broken_noarch.join("repodata.json"),
        conda_index(&[
            ("26.9.0", 1_700_000_000_000),
            ("26.11.0", 1_790_000_000_000),
        ]),
    )
    .expect("write");
    let marked = checker.check(&query).await;
    let events = red_events(Some(&clean), &marked);
    assert!(
        matches!(events.as_slice(), [RedEvent::MarkedBroken { channel, .. }] if channel == "conda-forge/label/broken"),
        "{events:?}"
    );
    // Still there next time: no second alarm.
    let again = checker.check(&query).await;
    assert!(red_events(Some(&marked), &again).is_empty());
}

#[tokio::test]
async fn channel_report_serializes_for_the_timeline() {
    let world = World::new("pytorch");
    let report = world
        .check("pytorch", "1.11.0", &["linux-64", "noarch"])
        .await;
    let json = serde_json::to_value(&report).expect("serialize");
    assert_eq!(json["subdirs"][0]["subdir"], "linux-64");
    assert_eq!(json["subdirs"][0]["status"], "available");
    assert_eq!(json["subdirs"][1]["status"], "error");
    assert!(json["subdirs"][1]["url"].as_str().is_some());
    let back: ChannelReport = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, report);
}
