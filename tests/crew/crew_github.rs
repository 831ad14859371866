//! The crew on two machines through the release's tracking issue: the real
//! binary, one home per person, each with their own token, against the
//! simulated GitHub over loopback. What GitHub vouches for is accepted; every
//! kind of forgery is ignored and said; the jump seat writes nothing.

use crate::github_support;
use crate::tmux_support;

use flightdeck::sim::SimServer;
use github_support::*;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// One person's machine: a home of their own and their own token.
struct Machine {
    home: tempfile::TempDir,
    token: Option<&'static str>,
    api: String,
}

impl Machine {
    fn new(sim: &SimServer, token: Option<&'static str>) -> Machine {
        Machine {
            home: tempfile::tempdir().expect("tempdir"),
            token,
            api: sim.github_api(),
        }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    /// Runs flightdeck off the async runtime (the sim answers meanwhile).
    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
        cmd.args(["--github-api", &self.api])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("FLIGHTDECK_HOME", self.path())
            .env("FLIGHTDECK_CONFIG", self.path().join("no-config.toml"))
            .env("FLIGHTDECK_KEYRING", "none")
            .env_remove("FLIGHTDECK_LOGIN")
            .env_remove("FLIGHTDECK_ROLE")
            .env_remove("GITHUB_TOKEN")
            .env("NO_COLOR", "1");
        match self.token {
            Some(t) => cmd.env("GH_TOKEN", t),
            None => cmd.env_remove("GH_TOKEN"),
        };
        tokio::task::spawn_blocking(move || cmd.output().expect("run flightdeck"))
            .await
            .expect("join")
    }

    /// The shell line that opens this person's cockpit on the sim, syncing every 2 s.
    fn fly(&self, sim: &SimServer) -> String {
        let token = self
            .token
            .map_or_else(|| "-u GH_TOKEN".to_string(), |t| format!("GH_TOKEN={t}"));
        format!(
            "env -u GITHUB_TOKEN -u FLIGHTDECK_LOGIN -u FLIGHTDECK_ROLE {token} FLIGHTDECK_HOME={home} \
             FLIGHTDECK_CONFIG={home}/no-config.toml FLIGHTDECK_KEYRING=none FLIGHTDECK_SYNC_INTERVAL=2 \
             TERM=xterm-256color {bin} --github-api {api} --pypi-url {pypi} \
             --channel defaults={defaults} --channel conda-forge={cf} fly",
            home = self.path().display(),
            bin = env!("CARGO_BIN_EXE_flightdeck"),
            api = self.api,
            pypi = sim.pypi_url(),
            defaults = sim.channel_url("defaults"),
            cf = sim.channel_url("conda-forge"),
        )
    }

    fn seen_file(&self) -> std::path::PathBuf {
        self.path().join("releases/conda-26.11.0/share-github.json")
    }

    /// The body is rewritten at most once a minute: let the next exchange write it.
    fn let_the_body_be_written(&self) {
        let path = self.seen_file();
        let mut seen: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("seen")).expect("json");
        seen["body_written_at"] = serde_json::json!("2000-01-01T00:00:00Z");
        std::fs::write(&path, serde_json::to_vec(&seen).expect("json")).expect("write");
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(out));
    text(out)
}

const BOB: &str = "sim-copilot-token";
const SAM: &str = "sim-observer-token";

/// The writes (anything but GET/HEAD) the sim saw from `login` (`None`: without a token).
fn writes_by(sim: &SimServer, login: Option<&str>) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD" && r.login.as_deref() == login)
        .count()
}

/// jane starts and shares on conda/conda; returns the issue's number.
async fn shared_release(sim: &SimServer, jane: &Machine) -> u64 {
    let out = jane
        .run(&[
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.0",
            "--copilot",
            "bob",
            "--share",
            "conda/conda",
        ])
        .await;
    let said = ok(&out);
    let (_, rest) = said
        .split_once("flightdeck join conda/conda#")
        .unwrap_or_else(|| panic!("no join hint: {said}"));
    let number: u64 = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("issue number");
    assert!(
        said.contains("shared on https://github.com/conda/conda/issues/"),
        "{said}"
    );
    let issue = client(sim, Some(PILOT_TOKEN))
        .issue(&conda(), number)
        .await
        .expect("read")
        .expect("the issue exists");
    assert_eq!(issue.title, "Release conda 26.11.0");
    assert_eq!(issue.user.login, "jane");
    let body = issue.body.unwrap_or_default();
    assert!(
        body.contains("- [ ] Open and pin the release issue"),
        "{body}"
    );
    assert!(body.contains("<!-- flightdeck-share v1"), "{body}");
    number
}

fn conda() -> flightdeck::github::RepoRef {
    flightdeck::github::RepoRef::parse("conda/conda").expect("repo")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copilot_on_another_machine_signs_off_and_the_pilot_sees_it() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = Machine::new(&sim, Some(PILOT_TOKEN));
    let bob = Machine::new(&sim, Some(BOB));
    let sam = Machine::new(&sim, None);
    let n = shared_release(&sim, &jane).await;
    let issue = format!("conda/conda#{n}");

    // bob joins from his machine: the same plan, his seat from the roster.
    let joined = ok(&bob.run(&["join", &issue]).await);
    assert!(joined.contains("joined conda-26.11.0"), "{joined}");
    assert!(joined.contains("you: @bob, co-pilot"), "{joined}");

    // jane signs off the first step; bob the next (his), after a sync.
    ok(&jane
        .run(&["step", "done", "release-issue", "--force"])
        .await);
    let up = ok(&jane.run(&["sync", "--once"]).await);
    assert!(up.contains("pushed"), "{up}");
    let down = ok(&bob.run(&["sync", "--once"]).await);
    assert!(!down.contains("⇣ 0 pulled"), "{down}");
    ok(&bob.run(&["step", "done", "alert"]).await);
    let up = ok(&bob.run(&["sync", "--once"]).await);
    assert!(up.contains("⇡ 1 pushed"), "{up}");
    let again = ok(&bob.run(&["sync", "--once"]).await);
    assert!(again.contains("⇡ 0 pushed"), "nothing twice: {again}");

    // jane's machine folds bob's sign-off, and her body follows.
    jane.let_the_body_be_written();
    ok(&jane.run(&["sync", "--once"]).await);
    let status = ok(&jane.run(&["status"]).await);
    assert!(status.contains("2/20 steps complete"), "{status}");
    let body = client(&sim, Some(PILOT_TOKEN))
        .issue(&conda(), n)
        .await
        .expect("read")
        .expect("issue")
        .body
        .unwrap_or_default();
    assert!(body.contains("- [x] Alert interested parties"), "{body}");
    assert!(body.contains("— @bob, "), "{body}");

    // The jump seat joins without a token and writes nothing.
    let before = writes_by(&sim, None);
    let watched = ok(&sam.run(&["join", &issue]).await);
    assert!(watched.contains("jump seat"), "{watched}");
    ok(&sam.run(&["sync", "--once"]).await);
    let status = ok(&sam.run(&["status"]).await);
    assert!(status.contains("2/20 steps complete"), "{status}");
    assert_eq!(writes_by(&sim, None), before, "the jump seat wrote");
    assert_eq!(writes_by(&sim, Some("sam")), 0);
}

/// A comment in the documented format, written by hand.
fn comment(author: &str, events: &[String]) -> String {
    format!(
        "forged\n\n<!-- flightdeck-events v1 -->\n```jsonl\n{{\"format\":\"flightdeck-events\",\"format_version\":1,\"release\":\"conda-26.11.0\",\"author\":\"{author}\",\"shard\":1}}\n{}\n```\n",
        events.join("\n")
    )
}

fn event(id: &str, author: &str, role: &str, what: &str) -> String {
    format!(
        r#"{{"v":1,"id":"{id}","author":"{author}","role":"{role}","seq":90,"at":"2026-11-10T14:00:00Z","observed_at":"2026-11-10T14:00:00Z","what":{what}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_comments_are_ignored_and_an_accepted_event_is_never_forgotten() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = Machine::new(&sim, Some(PILOT_TOKEN));
    let bob = Machine::new(&sim, Some(BOB));
    let n = shared_release(&sim, &jane).await;
    ok(&bob.run(&["join", &format!("conda/conda#{n}")]).await);
    ok(&jane
        .run(&["step", "done", "release-issue", "--force"])
        .await);
    ok(&jane.run(&["sync", "--once"]).await);
    ok(&bob.run(&["sync", "--once"]).await);
    ok(&bob.run(&["step", "done", "alert"]).await);
    ok(&bob.run(&["sync", "--once"]).await);

    let repo = conda();
    let sam_gh = client(&sim, Some(SAM));
    let bob_gh = client(&sim, Some(BOB));
    // A stranger posts events in jane's name, and in a block that claims to be hers.
    sam_gh
        .create_comment(
            &repo,
            n,
            &comment(
                "sam",
                &[event(
                    "f1",
                    "jane",
                    "pilot",
                    r#"{"kind":"step_done","step":"cut-branch"}"#,
                )],
            ),
        )
        .await
        .expect("posted");
    sam_gh
        .create_comment(
            &repo,
            n,
            &comment(
                "jane",
                &[event(
                    "f2",
                    "jane",
                    "pilot",
                    r#"{"kind":"step_done","step":"milestone"}"#,
                )],
            ),
        )
        .await
        .expect("posted");
    // The co-pilot claims the pilot's act: closing the release.
    bob_gh
        .create_comment(
            &repo,
            n,
            &comment(
                "bob",
                &[event(
                    "f3",
                    "bob",
                    "copilot",
                    r#"{"kind":"release_closed","outcome":"aborted","reason":"FORGED-ABORT"}"#,
                )],
            ),
        )
        .await
        .expect("posted");
    // A garbled block.
    bob_gh
        .create_comment(&repo, n, &comment("bob", &["{not an event".to_string()]))
        .await
        .expect("posted");

    let said = ok(&jane.run(&["sync", "--once"]).await);
    assert!(
        said.contains("an event by @jane in @sam's comment"),
        "{said}"
    );
    assert!(
        said.contains("@sam's comment says it carries @jane's events"),
        "{said}"
    );
    assert!(said.contains("not an event"), "{said}");
    let status = ok(&jane.run(&["status"]).await);
    assert!(status.contains("1 untrusted event ignored"), "{status}");
    assert!(!status.contains("· aborted by"), "{status}");
    assert!(status.contains("2/20 steps complete"), "{status}");
    let export = jane.run(&["export", "--format", "md"]).await;
    ok(&export);
    let table = String::from_utf8_lossy(&export.stdout);
    assert!(!table.contains("FORGED"), "{table}");
    assert!(table.contains("signed off by @bob (co-pilot)"), "{table}");

    // bob's real comment is deleted: jane keeps his sign-off and says so.
    let comments = bob_gh.list_comments(&repo, n).await.expect("list").comments;
    let his = comments
        .iter()
        .find(|c| {
            c.user.login == "bob"
                && c.body
                    .as_deref()
                    .is_some_and(|b| b.contains("\"step\":\"alert\""))
        })
        .expect("bob's comment");
    bob_gh.delete_comment(&repo, his.id).await.expect("deleted");
    let said = ok(&jane.run(&["sync", "--once"]).await);
    assert!(said.contains("@bob's comment"), "{said}");
    assert!(
        said.contains("was deleted; its 1 event are kept here"),
        "{said}"
    );
    let status = ok(&jane.run(&["status"]).await);
    assert!(status.contains("2/20 steps complete"), "{status}");
    // bob's next exchange puts his event back up, once.
    let up = ok(&bob.run(&["sync", "--once"]).await);
    assert!(up.contains("⇡ 1 pushed"), "{up}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_share_is_a_clear_error_and_creates_nothing() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = Machine::new(&sim, Some(PILOT_TOKEN));
    let nobody = Machine::new(&sim, None);
    let start = |m: &'static str| {
        [
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.0",
            "--share",
            m,
        ]
    };
    let out = jane.run(&start("conda/no-such-repo")).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("repository conda/no-such-repo does not exist"),
        "{}",
        text(&out)
    );
    let sam = Machine::new(&sim, Some(SAM));
    let out = sam.run(&start("conda/conda")).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("@sam has read-only access to conda/conda"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("Issues: read and write"),
        "{}",
        text(&out)
    );
    let out = nobody.run(&start("conda/conda")).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("needs a GitHub token"),
        "{}",
        text(&out)
    );
    assert!(
        !jane.path().join("releases/conda-26.11.0").exists()
            && !nobody.path().join("releases/conda-26.11.0").exists()
            && !sam.path().join("releases/conda-26.11.0").exists(),
        "nothing is created"
    );

    // An issue that is not a tracking issue.
    let plain = client(&sim, Some(PILOT_TOKEN))
        .create_issue(&conda(), "a bug", "it broke")
        .await
        .expect("issue");
    let out = jane
        .run(&["join", &format!("conda/conda#{}", plain.number)])
        .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not a flightdeck tracking issue"),
        "{}",
        text(&out)
    );
    // A data block naming someone else as the creator, with escapes in the name.
    let forged = client(&sim, Some(PILOT_TOKEN))
        .create_issue(
            &conda(),
            "Release conda 26.11.0",
            "x\n<!-- flightdeck-share v1 -->\n```json\n{\"format\":\"flightdeck-share\",\"format_version\":1,\"release\":\"conda-26.11.0\",\"version\":\"26.11.0\",\"checklist_file\":\"c.toml\",\"checklist_sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"created_by\":\"eve\\u001b]0;PWNED\\u0007\\u001b[2J\",\"created_at\":\"2026-11-10T13:00:00Z\",\"checklist\":\"\"}\n```\n",
        )
        .await
        .expect("issue");
    let out = jane
        .run(&["join", &format!("conda/conda#{}", forged.number)])
        .await;
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("not trusted"), "{said}");
    assert!(
        !said.contains('\u{1b}') && !said.contains('\u{7}'),
        "{said:?}"
    );
    let out = jane.run(&["join", "conda/conda#9999"]).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("conda/conda#9999"), "{}", text(&out));
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_cockpits_share_a_release_and_a_handover_moves_both_seats() {
    let Some(tmux) = tmux_support::Tmux::new() else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = Machine::new(&sim, Some(PILOT_TOKEN));
    let bob = Machine::new(&sim, Some(BOB));
    let n = shared_release(&sim, &jane).await;
    ok(&jane
        .run(&["step", "done", "release-issue", "--force"])
        .await);
    ok(&jane.run(&["sync", "--once"]).await);
    ok(&bob.run(&["join", &format!("conda/conda#{n}")]).await);

    tmux.start("jane", 160, 45, &jane.fly(&sim));
    tmux.start("bob", 160, 45, &bob.fly(&sim));
    let wait = Duration::from_secs(30);
    // The sim answers on the other worker while this one waits on a screen.
    let on = |who: &str, what: &str| tokio::task::block_in_place(|| tmux.wait_for(who, what, wait));
    on("bob", "CO-PILOT");
    on("bob", "⇅ synced");
    // bob lands on his next step (alert) and signs it off in his cockpit.
    tmux.keys("bob", &["Enter"]);
    // jane's cockpit shows it within a sync interval or two.
    let screen = on("jane", "2/20");
    assert!(screen.contains("bob (copilot) seen"), "{screen}");

    // A crash right after the sign-off cost nothing: bob's event is up once.
    let pid = tmux.pid("bob");
    let _ = Command::new("kill").args(["-9", &pid]).status();
    ok(&bob.run(&["sync", "--once"]).await);
    let comments = client(&sim, Some(BOB))
        .list_comments(&conda(), n)
        .await
        .expect("list")
        .comments;
    let copies: usize = comments
        .iter()
        .filter(|c| c.user.login == "bob")
        .map(|c| {
            c.body
                .as_deref()
                .unwrap_or_default()
                .matches("\"step\":\"alert\"")
                .count()
        })
        .sum();
    assert_eq!(copies, 1, "bob's sign-off is on the issue exactly once");

    // The pilot hands over from the command line; her cockpit follows, and so
    // does bob's once it syncs.
    tmux.start("bob2", 160, 45, &bob.fly(&sim));
    on("bob2", "CO-PILOT");
    ok(&jane.run(&["crew", "handover", "bob"]).await);
    on("jane", "jane (copilot)");
    let screen = on("bob2", "bob (pilot)");
    assert!(screen.contains(" PILOT "), "{screen}");
    assert!(!screen.contains("CO-PILOT"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_gone_from_github_is_a_clear_error_and_the_log_stays() {
    let sim = start(builtin("conda-release"), 1.0).await;
    let jane = Machine::new(&sim, Some(PILOT_TOKEN));
    let n = shared_release(&sim, &jane).await;
    ok(&jane
        .run(&["step", "done", "release-issue", "--force"])
        .await);
    // The issue is gone (deleted by an admin): the share now names a missing one.
    let share = jane.path().join("releases/conda-26.11.0/share.toml");
    let toml = std::fs::read_to_string(&share).expect("share.toml");
    std::fs::write(&share, toml.replace(&format!("#{n}"), "#9999")).expect("write");
    let out = jane.run(&["sync", "--once"]).await;
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("conda/conda#9999 not found"), "{said}");
    assert!(
        said.contains("your events are safe in the local log"),
        "{said}"
    );
    let status = ok(&jane.run(&["status"]).await);
    assert!(status.contains("1/20 steps complete"), "{status}");
}
