use super::*;
use crate::timeline::{EventId, EventKind, Role};

fn note(id: &str, author: &str, text: &str) -> Event {
    let at = "2026-11-10T14:00:00Z".parse().expect("time");
    Event {
        v: 1,
        id: EventId(id.into()),
        author: author.into(),
        role: Role::Copilot,
        seq: 1,
        at,
        observed_at: at,
        link: None,
        what: EventKind::Note { text: text.into() },
    }
}

fn data() -> IssueData {
    let checklist = "schema = 1\n# a ``` fence and a blank line\n\n[release]\n".to_string();
    IssueData {
        manifest: Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            release: "conda-26.11.0".into(),
            version: "26.11.0".into(),
            checklist_file: "checklists/conda.toml".into(),
            checklist_sha256: sha256(&checklist),
            created_by: "jane".into(),
            created_at: "2026-11-10T13:00:00Z".parse().expect("time"),
        },
        checklist,
    }
}

fn header(author: &str, shard: u32) -> ShardHeader {
    ShardHeader {
        format: EVENTS_FORMAT.into(),
        format_version: FORMAT_VERSION,
        release: "conda-26.11.0".into(),
        author: author.into(),
        shard,
    }
}

#[test]
fn a_body_carries_the_checklist_through_its_own_fences() {
    let body = render_body("## Release conda 26.11.0\n- [ ] Tag", &data());
    assert!(body.starts_with("## Release conda 26.11.0\n"));
    assert_eq!(parse_body(&body), Ok(data()));
}

#[test]
fn a_body_that_is_not_ours_or_was_edited_is_refused_with_why() {
    assert_eq!(
        parse_body("just a bug report"),
        Err(BodyError::NotFlightdeck)
    );
    let body = render_body("x", &data());
    assert_eq!(
        parse_body(&body.replace("flightdeck-share v1", "flightdeck-share v7")),
        Err(BodyError::Version(7))
    );
    let edited = body.replace("[release]", "[release2]");
    assert!(matches!(
        parse_body(&edited),
        Err(BodyError::Checksum { .. })
    ));
    let cut = body.replace("\"checklist\":", "\"checklist_\":");
    assert!(matches!(parse_body(&cut), Err(BodyError::Damaged(_))));
    let message = BodyError::NotFlightdeck.to_string();
    assert!(message.contains("flightdeck start --share"), "{message}");
}

#[test]
fn a_comment_round_trips_and_a_garbled_line_is_set_aside() {
    let events = vec![note("a", "bob", "one"), note("b", "bob", "two ``` three")];
    let body = render_comment(&header("bob", 1), &events, "**flightdeck** · @bob");
    let shard = parse_comment(&body).expect("ours").expect("readable");
    assert_eq!(shard.header, header("bob", 1));
    assert_eq!(shard.events, events);
    assert!(shard.refused.is_empty());
    let garbled = body.replacen("{\"v\":1", "{\"v\":", 1);
    let shard = parse_comment(&garbled).expect("ours").expect("readable");
    assert_eq!(shard.events.len(), 1);
    assert!(
        shard.refused[0].starts_with("line 2 of the block: not an event"),
        "{:?}",
        shard.refused
    );
    assert_eq!(
        parse_comment("LGTM, ship it"),
        None,
        "a person's comment is not ours"
    );
    let newer = body.replace("flightdeck-events v1", "flightdeck-events v2");
    let err = parse_comment(&newer).expect("ours").expect_err("newer");
    assert!(err.contains("version 2"), "{err}");
    let cut = &body[..body.rfind("```").expect("fence")];
    assert!(
        parse_comment(cut).expect("ours").is_err(),
        "a cut-off block is refused"
    );
}

#[test]
fn events_are_split_below_the_comment_limit_and_fill_the_last_comment_first() {
    let big = "x".repeat(2_000);
    let events: Vec<Event> = (0..100)
        .map(|i| note(&format!("e{i}"), "bob", &big))
        .collect();
    let (tail, fresh) = split(None, events.clone());
    assert!(
        tail.is_empty(),
        "no comment yet: everything goes to new ones"
    );
    assert!(fresh.len() >= 4, "{} comments", fresh.len());
    assert_eq!(fresh.iter().map(Vec::len).sum::<usize>(), 100);
    for shard in &fresh {
        let body = render_comment(&header("bob", 1), shard, &"s".repeat(OVERHEAD - 500));
        assert!(
            body.chars().count() <= GITHUB_LIMIT,
            "{}",
            body.chars().count()
        );
    }
    let (tail, fresh) = split(Some(50_000), events[..10].to_vec());
    assert!(!tail.is_empty() && tail.len() < 10, "{} fit", tail.len());
    assert_eq!(tail.len() + fresh.iter().map(Vec::len).sum::<usize>(), 10);
    let (tail, fresh) = split(Some(1_000), events[..2].to_vec());
    assert_eq!((tail.len(), fresh.len()), (2, 0));
}
