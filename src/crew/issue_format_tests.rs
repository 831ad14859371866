use super::*;
use crate::timeline::{EventId, EventKind, Role};

fn note(id: &str, author: &str, text: &str) -> Event {
    let at = "2026-11-10T14:00:00Z".parse().expect("time");
    Event {
        v: 1,
        id: EventId::from(id),
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

mod props {
    use super::*;
    use proptest::prelude::*;

    fn events(n: usize, authors: &[&str]) -> Vec<Event> {
        (0..n)
            .map(|i| {
                let author = authors[i % authors.len()];
                // Notes of varied length, some with the characters a format must survive.
                let text = format!("{i} ``` <!-- \"q\" \\ {}", "ž".repeat(i * 37 % 900));
                note(&format!("e{i:04}"), author, &text)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever order and chunking the comments arrive in, every reader
        /// gets back exactly the events that were written, each once, and no
        /// comment is over GitHub's limit.
        #[test]
        fn sharded_comments_read_back_whatever_the_order_and_the_chunking(
            n in 0usize..400,
            first in 0usize..40,
            seed in any::<u64>(),
        ) {
            let written = events(n, &["jane", "bob", "sam"]);
            let mut comments = Vec::new();
            for author in ["jane", "bob", "sam"] {
                let mine: Vec<Event> =
                    written.iter().filter(|e| e.author == author).cloned().collect();
                // Some go up first, the rest later: into the last comment, then new ones.
                let cut = first.min(mine.len());
                let (early, late) = mine.split_at(cut);
                let mut shards: Vec<Vec<Event>> = Vec::new();
                if !early.is_empty() {
                    shards.push(early.to_vec());
                }
                let len = shards.last().map(|s| {
                    render_comment(&header(author, 1), s, "summary").chars().count()
                });
                let (tail, fresh) = split(len, late.to_vec());
                if let Some(last) = shards.last_mut() {
                    last.extend(tail);
                } else {
                    prop_assert!(tail.is_empty());
                }
                shards.extend(fresh);
                for (k, s) in shards.iter().enumerate() {
                    let body = render_comment(&header(author, k as u32 + 1), s, "summary");
                    prop_assert!(body.chars().count() <= GITHUB_LIMIT);
                    comments.push(body);
                }
            }
            fastrand::Rng::with_seed(seed).shuffle(&mut comments);
            let mut read: Vec<Event> = Vec::new();
            for c in &comments {
                let shard = parse_comment(c).expect("ours").expect("readable");
                prop_assert!(shard.refused.is_empty());
                read.extend(shard.events);
            }
            read.sort_by(|a, b| a.id.cmp(&b.id));
            prop_assert_eq!(read, written);
        }

        /// Fuzz: any text, or a real comment or body with bytes changed, is
        /// read or refused with a reason — never a panic.
        #[test]
        fn no_text_makes_the_readers_panic(
            text in ".{0,400}",
            at in any::<prop::sample::Index>(),
            with in any::<char>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let _ = parse_comment(&text);
            let _ = parse_body(&text);
            let comment = render_comment(&header("bob", 1), &events(3, &["bob"]), "s");
            let body = render_body("## Release", &data());
            for real in [comment, body] {
                let chars: Vec<char> = real.chars().collect();
                let mut mutated = chars.clone();
                mutated[at.index(chars.len())] = with;
                let mutated: String = mutated.into_iter().collect();
                let truncated: String = chars[..cut.index(chars.len())].iter().collect();
                for t in [mutated, truncated, format!("{real}{text}"), format!("{text}{real}")] {
                    if let Some(Err(why)) = parse_comment(&t) {
                        prop_assert!(!why.is_empty());
                    }
                    if let Err(e) = parse_body(&t) {
                        prop_assert!(!e.to_string().is_empty());
                    }
                }
            }
        }
    }
}
