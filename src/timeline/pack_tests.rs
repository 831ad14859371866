use super::*;

/// `events` as frames, each written by [`pack_frame`].
fn framed(events: &[Arc<Event>]) -> Vec<Vec<u8>> {
    let mut rest = events;
    let mut frames = Vec::new();
    while !rest.is_empty() {
        let (n, bytes) = pack_frame(rest).expect("to memory");
        assert!(n > 0, "a frame holds an event");
        rest = &rest[n..];
        frames.push(bytes);
    }
    frames
}

/// Every frame's events, each frame decoded on its own.
fn unframed(frames: &[Vec<u8>]) -> Option<Vec<Arc<Event>>> {
    let mut events = Vec::new();
    for f in frames {
        events.extend(unpack_frame(f)?);
    }
    Some(events)
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
    let back = unframed(&framed(&events)).expect("reads back");
    assert_eq!(back, events);
    // And as JSON, the form the log holds, too.
    for (a, b) in back.iter().zip(&events) {
        assert_eq!(
            serde_json::to_string(&**a).expect("json"),
            serde_json::to_string(&**b).expect("json")
        );
    }
    let reused = vec![ReusedId {
        line: 7,
        first_line: 3,
        id: EventId::from("dup"),
    }];
    let bytes = pack_reused(&reused);
    assert_eq!(unpack_reused(&bytes), Some(reused));
    for cut in 0..bytes.len() {
        assert!(unpack_reused(&bytes[..cut]).is_none(), "cut at {cut}");
    }
}

#[test]
fn a_cut_or_garbled_frame_is_refused_or_read_without_a_panic() {
    let frames = framed(&every_kind());
    assert_eq!(frames.len(), 1);
    let bytes = &frames[0];
    for cut in 0..bytes.len() {
        assert!(
            unpack_frame(&bytes[..cut]).is_none(),
            "cut at {cut} read as whole"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(unpack_frame(&longer).is_none(), "bytes left over");
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut garbled = bytes.clone();
            garbled[i] ^= flip;
            let _ = unpack_frame(&garbled);
        }
    }
    // A huge count is refused before anything is allocated for it.
    assert!(unpack_frame(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_none());
    assert!(unpack_frame(&[0x00, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_none());
    assert!(unpack_reused(&[0xff, 0xff, 0xff, 0xff, 0x7f]).is_none());
}

#[test]
fn each_frame_names_its_texts_once_and_decodes_alone() {
    let mut events = every_kind();
    while events.len() < 3 * FRAME {
        events.extend(every_kind());
    }
    events.truncate(3 * FRAME);
    let frames = framed(&events);
    assert_eq!(frames.len(), 3);
    // Any frame read alone gives its own events.
    assert_eq!(
        unpack_frame(&frames[2]).expect("the last frame alone"),
        events[2 * FRAME..]
    );
    assert_eq!(unframed(&frames).expect("reads back"), events);
    for f in &frames {
        let hay = String::from_utf8_lossy(f);
        assert_eq!(hay.matches("conda-forge/conda-feedstock").count(), 1);
        assert_eq!(hay.matches("channel conda-forge").count(), 1);
    }
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
    let frames = framed(&events);
    assert!(
        frames[0].len() < MAX_FRAME / 8 && frames.len() > 1,
        "the first frame closed early"
    );
    assert_eq!(unframed(&frames).expect("reads back"), events);
}
