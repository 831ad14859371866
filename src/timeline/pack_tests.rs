use super::*;

fn packed(events: &[Arc<Event>], reused: &[ReusedId]) -> Vec<u8> {
    let mut out = Vec::new();
    let n = pack(&mut out, events, reused).expect("to memory");
    assert_eq!(n, out.len() as u64);
    out
}

fn unpacked(mut bytes: &[u8]) -> Option<(Vec<Arc<Event>>, Vec<ReusedId>)> {
    let whole = bytes.len();
    let mut seen = 0;
    let read = unpack(&mut bytes, &mut |b| seen += b.len());
    // What was read was all digested, and nothing was left behind.
    read.filter(|_| seen == whole && bytes.is_empty())
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

/// One event of every kind and every fact, with every optional field both
/// set and unset somewhere.
fn every_kind() -> Vec<Arc<Event>> {
    let facts = vec![
        Fact::TagPushed {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            sha: Some("abc".into()),
        },
        Fact::TagPushed {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            sha: None,
        },
        Fact::ReleaseDrafted {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
        },
        Fact::ReleasePublished {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            prerelease: true,
        },
        Fact::PrOpened {
            repo: "conda-forge/conda-feedstock".into(),
            number: 301,
            title: "conda v26.11.0".into(),
            author: "regro-cf-autotick-bot".into(),
            head: "26.11.0_h1".into(),
        },
        Fact::PrChecks {
            repo: "conda-forge/conda-feedstock".into(),
            number: 301,
            sha: "f00".into(),
            state: CiState::Failure,
        },
        Fact::PrMerged {
            repo: "conda-forge/conda-feedstock".into(),
            number: 301,
            by: Some("jane".into()),
        },
        Fact::PrClosed {
            repo: "r/f".into(),
            number: u64::MAX,
        },
        Fact::PrSuperseded {
            repo: "r/f".into(),
            number: 1,
            by_number: 2,
        },
        Fact::Checks {
            repo: "conda/conda".into(),
            reference: "26.11.0".into(),
            sha: "f00".into(),
            state: CiState::Success,
        },
        Fact::CopyFailed {
            repo: "r/f".into(),
            number: 9,
            title: "[warning] failed package validation".into(),
        },
        Fact::IssueFiled {
            repo: "conda/conda".into(),
            number: 15401,
            title: "26.11.0 breaks \u{1b}[31m everything".into(),
            author: "someone".into(),
        },
        Fact::Available {
            channel: "conda-forge".into(),
            package: "conda".into(),
            version: "26.11.0".into(),
            subdir: "noarch".into(),
            build: "py_0".into(),
            file_name: "conda-26.11.0-py_0.conda".into(),
            first_seen: Some(t("2026-11-10T14:02:09.123456789Z")),
        },
        Fact::Disappeared {
            channel: "defaults".into(),
            package: "conda".into(),
            version: "26.11.0".into(),
            subdir: "linux-64".into(),
        },
        Fact::LabelledBroken {
            channel: "conda-forge".into(),
            package: "conda".into(),
            version: "26.11.0".into(),
            subdir: "win-64".into(),
        },
        Fact::PypiUploaded {
            package: "conda".into(),
            version: "26.11.0".into(),
            files: 2,
        },
        Fact::PypiYanked {
            package: "conda".into(),
            version: "26.11.0".into(),
            reason: Some("broken".into()),
        },
    ];
    let step = || StepId("tag".into());
    let mut kinds = vec![
        EventKind::ReleaseStarted {
            release: "conda-26.11.0".into(),
            version: "26.11.0".into(),
            checklist: "conda.toml".into(),
        },
        EventKind::StepDone {
            step: step(),
            note: Some("ünïcode\tand a tab".into()),
        },
        EventKind::StepDone {
            step: step(),
            note: None,
        },
        EventKind::StepOverridden {
            step: step(),
            reason: "r".into(),
        },
        EventKind::StepSkipped {
            step: step(),
            reason: String::new(),
        },
        EventKind::StepUndone {
            step: step(),
            reason: "again".into(),
        },
        EventKind::Note { text: "n".into() },
        EventKind::Starred {
            event: EventId::random(),
        },
        EventKind::Unstarred {
            event: EventId::from("by-hand"),
        },
        EventKind::CrewAssigned {
            pilot: "jane".into(),
            copilot: Some("bob".into()),
            jump_seat: None,
        },
        EventKind::Handover { to: "bob".into() },
        EventKind::ReleaseClosed {
            outcome: Outcome::RolledBack,
            reason: Some("why".into()),
        },
        EventKind::ReleaseClosed {
            outcome: Outcome::Shipped,
            reason: None,
        },
        EventKind::Unknown {
            of: "from_the_future".into(),
        },
    ];
    kinds.extend(facts.into_iter().map(|fact| EventKind::Observed {
        probe: "channel conda-forge".into(),
        fact,
    }));
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, what)| {
            Arc::new(Event {
                v: 1,
                id: if i % 2 == 0 {
                    EventId::random()
                } else {
                    EventId::from(format!("hand-{i}"))
                },
                author: ["jane", "bob", "sam"][i % 3].into(),
                role: [Role::Pilot, Role::Copilot, Role::JumpSeat][i % 3],
                seq: i as u64 * 1_000_003,
                at: t("1969-07-20T20:17:40Z") + chrono::Duration::days(i as i64 * 7000),
                observed_at: t("2026-11-10T14:02:09.5Z"),
                link: (i % 3 == 0).then(|| Sym::from("https://github.com/conda/conda/pull/1")),
                what,
            })
        })
        .collect()
}

#[test]
fn every_kind_of_event_reads_back_as_it_was_written() {
    let events = every_kind();
    let reused = vec![ReusedId {
        line: 7,
        first_line: 3,
        id: EventId::from("dup"),
    }];
    let bytes = packed(&events, &reused);
    let (back, back_reused) = unpacked(&bytes).expect("reads back");
    assert_eq!(back, events);
    assert_eq!(back_reused, reused);
    // And as JSON, the form the log holds, too.
    for (a, b) in back.iter().zip(&events) {
        assert_eq!(
            serde_json::to_string(&**a).expect("json"),
            serde_json::to_string(&**b).expect("json")
        );
    }
}

#[test]
fn a_cut_or_garbled_body_is_refused_or_read_without_a_panic() {
    let bytes = packed(&every_kind(), &[]);
    for cut in 0..bytes.len() {
        assert!(
            unpacked(&bytes[..cut]).is_none(),
            "cut at {cut} read as whole"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(unpacked(&longer).is_none(), "bytes left over");
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut garbled = bytes.clone();
            garbled[i] ^= flip;
            let _ = unpacked(&garbled);
        }
    }
    // A huge length or count is refused before anything is allocated for it.
    assert!(unpacked(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_none());
    assert!(unpacked(&[0x05, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_none());
}

#[test]
fn repeated_texts_are_written_once() {
    let mut events = every_kind();
    // Over several frames: a text named in an earlier frame is not written again.
    while events.len() < 3 * FRAME {
        events.extend(every_kind());
    }
    let bytes = packed(&events, &[]);
    assert_eq!(unpacked(&bytes).expect("reads back").0, events);
    let hay = String::from_utf8_lossy(&bytes);
    assert_eq!(hay.matches("conda-forge/conda-feedstock").count(), 1);
    assert_eq!(hay.matches("channel conda-forge").count(), 1);
}

#[test]
fn long_notes_close_a_frame_early_and_read_back() {
    let note = |i: usize| {
        Arc::new(Event {
            what: EventKind::Note {
                text: format!("{i} {}", "x".repeat(100_000)),
            },
            ..(*every_kind()[0]).clone()
        })
    };
    let events: Vec<Arc<Event>> = (0..60).map(note).collect();
    let bytes = packed(&events, &[]);
    let frame_len = |mut b: &[u8]| {
        let mut buf = Vec::new();
        read_frame(&mut b, &mut |_| {}, &mut buf).expect("a frame");
        buf.len()
    };
    assert!(
        frame_len(&bytes) < MAX_FRAME / 8,
        "the first frame closed early"
    );
    assert_eq!(unpacked(&bytes).expect("reads back").0, events);
}
