use super::*;

#[test]
fn the_on_disk_shape_is_stable() {
    let e = Event {
        v: 1,
        id: EventId::from("e1"),
        author: "jane".into(),
        role: Role::Pilot,
        seq: 4,
        at: "2026-11-10T14:02:00Z".parse().expect("time"),
        observed_at: "2026-11-10T14:02:09Z".parse().expect("time"),
        link: None,
        what: EventKind::StepDone {
            step: StepId("publish".into()),
            note: None,
        },
    };
    let json = serde_json::to_string(&e).expect("serializes");
    assert_eq!(
        json,
        r#"{"v":1,"id":"e1","author":"jane","role":"pilot","seq":4,"at":"2026-11-10T14:02:00Z","observed_at":"2026-11-10T14:02:09Z","what":{"kind":"step_done","step":"publish"}}"#
    );
    let back: Event = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, e);
}

#[test]
fn observations_nest_their_fact() {
    let kind = EventKind::Observed {
        probe: "tag conda/conda@26.11.0".into(),
        fact: Fact::TagPushed {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            sha: None,
        },
    };
    let json = serde_json::to_value(&kind).expect("serializes");
    assert_eq!(json["kind"], "observed");
    assert_eq!(json["fact"]["fact"], "tag_pushed");
    assert_eq!(json["fact"]["repo"], "conda/conda");
}

fn channel_fact(kind: &str, subdir: &str, build: &str) -> Fact {
    let (channel, package, version, subdir) = (
        "conda-forge".into(),
        "conda".into(),
        "26.11.0".into(),
        subdir.into(),
    );
    match kind {
        "available" => Fact::Available {
            channel,
            package,
            version,
            subdir,
            build: build.into(),
            file_name: format!("conda-26.11.0-{build}.conda").into(),
            first_seen: None,
        },
        "disappeared" => Fact::Disappeared {
            channel,
            package,
            version,
            subdir,
        },
        _ => Fact::LabelledBroken {
            channel,
            package,
            version,
            subdir,
        },
    }
}

fn checks(state: CiState, sha: &str) -> Fact {
    Fact::PrChecks {
        repo: "conda-forge/conda-feedstock".into(),
        number: 301,
        sha: sha.into(),
        state,
    }
}

#[test]
fn hashed_keys_agree_with_the_written_keys() {
    let facts = vec![
        channel_fact("available", "noarch", "py_0"),
        channel_fact("available", "noarch", "py_1"),
        channel_fact("available", "linux-64", "py_0"),
        channel_fact("disappeared", "noarch", ""),
        channel_fact("broken", "noarch", ""),
        checks(CiState::Pending, "a1"),
        checks(CiState::Success, "a1"),
        checks(CiState::Success, "b2"),
        Fact::Checks {
            repo: "conda-forge/conda-feedstock".into(),
            reference: "301".into(),
            sha: "a1".into(),
            state: CiState::Success,
        },
        Fact::PrMerged {
            repo: "conda-forge/conda-feedstock".into(),
            number: 301,
            by: None,
        },
        Fact::PrClosed {
            repo: "conda-forge/conda-feedstock".into(),
            number: 301,
        },
        Fact::PrClosed {
            repo: "conda-forge/conda-feedstock".into(),
            number: 302,
        },
        Fact::TagPushed {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            sha: Some("x".into()),
        },
        Fact::TagPushed {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            sha: None,
        },
    ];
    for a in &facts {
        for b in &facts {
            assert_eq!(
                a.key_hash() == b.key_hash(),
                a.key() == b.key(),
                "{} / {}",
                a.key(),
                b.key()
            );
        }
    }
}

#[test]
fn a_fact_supersedes_exactly_its_counterparts() {
    let keys = |f: &Fact| -> Vec<FactKey> { f.supersedes().into_iter().flatten().collect() };
    let available = channel_fact("available", "noarch", "py_0");
    let gone = channel_fact("disappeared", "noarch", "");
    assert_eq!(keys(&available), [gone.key_hash()]);
    assert_eq!(keys(&gone), [available.key_hash()]);
    assert!(keys(&channel_fact("broken", "noarch", "")).is_empty());
    let pending = checks(CiState::Pending, "a1");
    assert_eq!(
        keys(&pending),
        [
            checks(CiState::Success, "a1").key_hash(),
            checks(CiState::Failure, "a1").key_hash()
        ]
    );
    assert!(!keys(&pending).contains(&checks(CiState::Success, "b2").key_hash()));
}
