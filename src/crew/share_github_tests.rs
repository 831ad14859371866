//! The GitHub transport against the simulated GitHub over loopback, for what
//! needs a short client deadline: a write whose reply is lost, a secondary limit.

use super::*;
use crate::checklist::Checklist;
use crate::github::{ClientOptions, Hosts, Token};
use crate::sim::{Scenario, SimOptions, SimServer};
use crate::timeline::roster::Roster;
use crate::timeline::{Clock, Home};

#[test]
fn an_issue_is_named_by_reference_or_by_its_url() {
    let want = IssueRef {
        repo: RepoRef::parse("conda/conda").expect("repo"),
        number: 15,
    };
    for text in [
        "conda/conda#15",
        "https://github.com/conda/conda/issues/15",
        "https://github.com/conda/conda/issues/15/",
    ] {
        assert_eq!(IssueRef::parse(text), Some(want.clone()), "{text}");
    }
    for bad in [
        "conda/conda",
        "conda/conda#0",
        "conda/conda#x",
        "conda#15",
        "https://github.com/conda/conda/pulls",
        "ftp://github.com/conda/conda/issues/15",
    ] {
        assert_eq!(IssueRef::parse(bad), None, "{bad}");
    }
    assert_eq!(want.to_string(), "conda/conda#15");
    assert_eq!(want.web_url(), "https://github.com/conda/conda/issues/15");
}

/// conda-release with `extra` TOML appended (faults, limits).
async fn sim(extra: &str, github: &str) -> SimServer {
    let text = crate::sim::builtin("conda-release")
        .expect("shipped")
        .replace("[github]\n", &format!("[github]\n{github}\n"));
    let scenario = Scenario::from_str("test.toml", &format!("{text}\n{extra}"))
        .unwrap_or_else(|d| panic!("{d:?}"));
    SimServer::start(
        scenario,
        SimOptions {
            speed: Some(1.0),
            ..SimOptions::default()
        },
    )
    .await
    .expect("sim")
}

fn release(home: &std::path::Path) -> Release {
    let text = std::fs::read_to_string("checklists/conda.toml").expect("checklist");
    let checklist = Checklist::parse("checklists/conda.toml", &text).expect("valid");
    let roster = Roster {
        pilot: "jane".into(),
        copilot: Some("bob".into()),
        jump_seat: None,
    };
    Home::new(home)
        .create_crewed(
            &checklist,
            &text,
            "26.11.0",
            "jane",
            Clock::System,
            Some(&roster),
        )
        .expect("release")
}

fn client(sim: &SimServer, timeout: Duration) -> Arc<GithubClient> {
    Hosts::new()
        .client(
            &sim.github_api(),
            Token::new("sim-pilot-token"),
            ClientOptions {
                timeout,
                ..ClientOptions::default()
            },
        )
        .expect("client")
}

fn posts(sim: &SimServer, n: u64) -> usize {
    let path = format!("/repos/conda/conda/issues/{n}/comments");
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_reply_is_lost_is_seen_on_the_next_read_and_never_made_twice() {
    let sim = sim(
        "[[fault]]\nkind = \"lost_reply\"\nafter = \"0s\"\nduration = \"4s\"\npath = \"/repos/conda/conda/issues/\"\n",
        "",
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let release = release(dir.path());
    let text = std::fs::read_to_string(release.dir.join("checklist.toml")).expect("checklist");
    let client = client(&sim, Duration::from_millis(800));
    let repo = RepoRef::parse("conda/conda").expect("repo");
    let share = IssueShare::open(client, &repo, &release, &text)
        .await
        .expect("the issue is opened (creating it is outside the fault's path)");
    let n = share.issue.number;

    let first = share.exchange(&release, "jane", Role::Pilot).await;
    let error = first.error.clone().expect("the reply never came");
    assert!(error.contains("may still have happened"), "{error}");
    assert_eq!(first.to_push, 2, "{first:?}");
    assert_eq!(posts(&sim, n), 1);

    tokio::time::sleep(Duration::from_secs(4)).await;
    let second = share.exchange(&release, "jane", Role::Pilot).await;
    assert_eq!(second.error, None, "{second:?}");
    assert_eq!((second.pushed, second.to_push), (0, 0), "{second:?}");
    assert_eq!(
        posts(&sim, n),
        1,
        "the write that happened is not made again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secondary_limit_holds_writes_back_until_retry_after() {
    // One new comment a minute: the issue itself and the first comment use it up.
    let sim = sim("", "writes_per_minute = 1").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let release = release(dir.path());
    let text = std::fs::read_to_string(release.dir.join("checklist.toml")).expect("checklist");
    let client = client(&sim, Duration::from_secs(10));
    let repo = RepoRef::parse("conda/conda").expect("repo");
    let share = IssueShare::open(client, &repo, &release, &text)
        .await
        .expect("issue");
    let n = share.issue.number;
    let first = share.exchange(&release, "jane", Role::Pilot).await;
    let error = first.error.expect("limited");
    assert!(error.contains("secondary rate limit"), "{error}");
    assert!(error.contains("waits and writes again later"), "{error}");
    assert_eq!(first.to_push, 2);
    let tried = sim.requests().iter().filter(|r| r.method == "POST").count();

    let second = share.exchange(&release, "jane", Role::Pilot).await;
    let error = second.error.expect("still held");
    assert!(error.contains("writes wait until"), "{error}");
    assert_eq!(second.to_push, 2);
    assert_eq!(
        sim.requests().iter().filter(|r| r.method == "POST").count(),
        tried,
        "no write while GitHub asked to wait"
    );
    assert_eq!(posts(&sim, n), 1);
}
