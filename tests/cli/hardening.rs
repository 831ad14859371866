//! Issue 13, "what a hostile server, a hostile log and a hostile terminal found":
//! each finding as a test. The hostile servers are small loopback servers of this
//! file (a thread per connection), every deadline is short, and no test reaches
//! the internet.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flightdeck::github::{ClientOptions, GhError, GithubClient, Token};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const EVIL: &str = "eve\u{1b}]0;PWNED\u{7}\u{1b}[2J";
const CLIPBOARD: &str = "\u{1b}]52;c;cm0gLXJmIH4=\u{7}";

// ---------------------------------------------------------------------------------------------
// A hostile server
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Reads the request and never answers.
    Silent,
    /// Announces a body and sends one byte every 200 ms.
    Trickle,
    /// A body without end, as fast as the client reads.
    Endless,
    /// Echoes the `Authorization` header into a JSON body (with an ETag), with this status.
    Echo(u16),
}

struct Hostile {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Hostile {
    fn start(ip: &str, behaviour: Behaviour) -> std::io::Result<Hostile> {
        let listener = TcpListener::bind((ip, 0))?;
        let addr = listener.local_addr()?;
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || serve(stream, behaviour));
            }
        });
        Ok(Hostile { addr, hits })
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn serve(mut stream: TcpStream, behaviour: Behaviour) {
    let head = read_head(&mut stream);
    match behaviour {
        Behaviour::Silent => std::thread::sleep(Duration::from_secs(30)),
        Behaviour::Trickle => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n[",
            );
            for _ in 0..150 {
                std::thread::sleep(Duration::from_millis(200));
                if stream.write_all(b" ").is_err() {
                    return;
                }
            }
        }
        Behaviour::Endless => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[",
            );
            let chunk = vec![b' '; 64 * 1024];
            // Stops when the client hangs up; 1 GB at most, whatever happens.
            for _ in 0..16 * 1024 {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
        Behaviour::Echo(status) => {
            let auth = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                        .map(|(_, v)| v.trim().to_string())
                })
                .unwrap_or_default();
            let body = serde_json::json!({ "message": format!("you sent {auth}"), "echo": auth })
                .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\netag: \"e1\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

fn bin(home: &Path) -> Command {
    let mut c = Command::new(BIN);
    for var in [
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "FLIGHTDECK_HOME",
        "FLIGHTDECK_GITHUB_API",
        "FLIGHTDECK_ROLE",
        "FLIGHTDECK_POLL_DEADLINE",
    ] {
        c.env_remove(var);
    }
    c.env("FLIGHTDECK_CONFIG", "/nonexistent/flightdeck-config.toml");
    c.env("FLIGHTDECK_LOGIN", "jane");
    c.env("PATH", "/nonexistent");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.arg("--home").arg(home);
    c
}

fn out(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn start_release(home: &Path) {
    let o = bin(home)
        .args(["start", "checklists/conda.toml", "--version", "26.11.0"])
        .output()
        .expect("start runs");
    assert!(o.status.success(), "{}", out(&o));
}

// ---------------------------------------------------------------------------------------------
// 1. A token never travels to the host hidden behind a user-info part
// ---------------------------------------------------------------------------------------------

#[test]
fn an_api_or_channel_url_with_user_info_is_refused_and_nothing_is_sent() {
    // 127.0.0.2 is loopback on Linux; elsewhere the test uses 127.0.0.1 and still
    // checks the refusal and that the server saw nothing.
    let server = Hostile::start("127.0.0.2", Behaviour::Echo(200))
        .or_else(|_| Hostile::start("127.0.0.1", Behaviour::Echo(200)))
        .expect("a loopback server");
    let target = server.addr.to_string();
    let home = tempfile::tempdir().expect("tempdir");
    start_release(home.path());
    let variants = [
        format!("http://127.0.0.1:1@{target}"),
        format!("http://localhost:x@{target}"),
        format!("http://[::1]@{target}"),
        format!("http://127.0.0.1@{target}/api"),
    ];
    for (i, url) in variants.iter().enumerate() {
        for via_env in [false, true] {
            let mut c = bin(home.path());
            c.env("GH_TOKEN", "ghp_hostile_test_token");
            if via_env {
                c.env("FLIGHTDECK_GITHUB_API", url);
            } else {
                c.args(["--github-api", url]);
            }
            let o = c.args(["poll", "--once"]).output().expect("poll runs");
            let text = out(&o);
            assert_eq!(o.status.code(), Some(2), "variant {i} ({url}):\n{text}");
            assert!(
                text.contains("user-info") || text.contains("is not a URL"),
                "variant {i} says why:\n{text}"
            );
            assert!(!text.contains("ghp_hostile_test_token"), "{text}");
        }
        let o = bin(home.path())
            .env("GH_TOKEN", "ghp_hostile_test_token")
            .args(["--channel", &format!("conda-forge={url}/cf")])
            .args(["poll", "--once"])
            .output()
            .expect("poll runs");
        let text = out(&o);
        assert_eq!(o.status.code(), Some(2), "channel {url}:\n{text}");
        assert!(
            text.contains("user-info") || text.contains("invalid channel URL"),
            "{text}"
        );
    }
    assert_eq!(server.hits(), 0, "the hidden host was never contacted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_echoes_the_token_is_never_cached_and_errors_never_show_it() {
    let secret = "ghp_echoed_secret_123";
    let ok = Hostile::start("127.0.0.1", Behaviour::Echo(200)).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("etags.json");
    let client = GithubClient::new(
        &ok.url(),
        Token::new(secret),
        ClientOptions {
            cache_file: Some(cache.clone()),
            ..ClientOptions::default()
        },
    )
    .expect("client");
    let page = client.get("/repos/a/b").await.expect("a 200");
    assert!(page.found);
    client.save_cache().expect("cache saved");
    let stored = std::fs::read_to_string(&cache).unwrap_or_default();
    assert!(!stored.contains(secret), "the token reached the cache file");

    let refused = Hostile::start("127.0.0.1", Behaviour::Echo(422)).expect("server");
    let client = GithubClient::new(&refused.url(), Token::new(secret), ClientOptions::default())
        .expect("client");
    let err = client.get("/repos/a/b").await.expect_err("a 422");
    assert!(!err.to_string().contains(secret), "{err}");
    assert!(
        err.to_string().contains("***"),
        "redacted, not dropped: {err}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Deadlines and caps
// ---------------------------------------------------------------------------------------------

fn short() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_millis(1500),
        connect_timeout: Duration::from_millis(500),
        read_timeout: Duration::from_millis(500),
        max_body: 1024 * 1024,
        ..ClientOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_trickling_and_endless_github_servers_cost_one_bounded_error() {
    for (behaviour, expect) in [
        (Behaviour::Silent, "timed out"),
        (Behaviour::Trickle, "timed out"),
        (Behaviour::Endless, "larger than 1048576 bytes"),
    ] {
        let server = Hostile::start("127.0.0.1", behaviour).expect("server");
        let client = GithubClient::new(&server.url(), None, short()).expect("client");
        let started = Instant::now();
        let err = client
            .get("/repos/a/b")
            .await
            .expect_err("no page from a hostile server");
        let text = err.to_string();
        assert!(text.contains(expect), "{text}");
        assert!(text.contains("/repos/a/b"), "names the URL: {text}");
        if expect == "timed out" {
            assert!(matches!(err, GhError::Transport { .. }), "{err:?}");
            assert!(text.contains("limits"), "names the limits: {text}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "bounded by the deadlines"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_pypi_is_bounded_and_names_its_limits() {
    use flightdeck::probe::pypi::{PypiChecker, PypiOptions, PypiQuery};
    let server = Hostile::start("127.0.0.1", Behaviour::Silent).expect("server");
    let mut options = PypiOptions::with_base_url(&server.url()).expect("options");
    options.request_timeout = Duration::from_millis(1500);
    options.read_timeout = Duration::from_millis(500);
    let checker = PypiChecker::with_options(options).expect("checker");
    let report = checker
        .check(&PypiQuery::new("conda", "26.11.0").expect("query"))
        .await;
    let text = format!("{report:?}");
    assert!(text.contains("timed out"), "{text}");
    assert!(text.contains("limits"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_channel_index_stops_at_its_cap() {
    use flightdeck::probe::channel::{ChannelChecker, ChannelQuery, CheckerOptions};
    let server = Hostile::start("127.0.0.1", Behaviour::Endless).expect("server");
    let cache = tempfile::tempdir().expect("tempdir");
    let checker = ChannelChecker::with_options(
        cache.path(),
        CheckerOptions {
            max_body: 1024 * 1024,
            read_timeout: Duration::from_secs(2),
            subdir_timeout: Duration::from_secs(8),
            ..CheckerOptions::default()
        },
    )
    .expect("checker");
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert("cf".to_string(), format!("{}/cf", server.url()));
    let q = ChannelQuery::parse("cf", &overrides, "conda", "26.11.0", &["noarch"]).expect("query");
    let started = Instant::now();
    let report = checker.check(&q).await;
    let text = format!("{report:?}");
    assert!(text.contains("bytes, the most"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(15), "bounded");
}

#[test]
fn poll_once_has_an_overall_deadline_and_says_what_did_not_answer() {
    let silent = Hostile::start("127.0.0.1", Behaviour::Silent).expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    start_release(home.path());
    let url = silent.url();
    let started = Instant::now();
    let o = bin(home.path())
        .env("FLIGHTDECK_POLL_DEADLINE", "1.5")
        .args(["--github-api", &url])
        .args(["--channel", &format!("conda-forge={url}/cf")])
        .args(["--channel", &format!("defaults={url}/main")])
        .args(["--pypi-url", &url])
        .args(["poll", "--once"])
        .output()
        .expect("poll runs");
    let text = out(&o);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the deadline held:\n{text}"
    );
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("no answer within 1.5 s"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 3. Terminal injection
// ---------------------------------------------------------------------------------------------

fn harmless(what: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{what} lets a control character through:\n{text:?}"
    );
}

#[test]
fn notes_and_logins_reach_status_and_exports_harmless() {
    let home = tempfile::tempdir().expect("tempdir");
    let o = bin(home.path())
        .env("FLIGHTDECK_LOGIN", EVIL)
        .args(["start", "checklists/conda.toml", "--version", "26.11.0"])
        .output()
        .expect("start runs");
    assert!(o.status.success(), "{}", out(&o));
    let o = bin(home.path())
        .env("FLIGHTDECK_LOGIN", EVIL)
        .args(["note", &format!("copy this {CLIPBOARD} {EVIL}")])
        .output()
        .expect("note runs");
    harmless("note", &out(&o));
    assert!(o.status.success(), "{}", out(&o));
    for args in [
        &["status"][..],
        &["export", "--format", "md", "-o", "-"][..],
        &["export", "--format", "csv", "-o", "-"][..],
        &["export", "--format", "postmortem", "-o", "-"][..],
    ] {
        let o = bin(home.path()).args(args).output().expect("runs");
        let text = out(&o);
        assert!(o.status.success(), "{args:?}: {text}");
        harmless(&format!("{args:?}"), &text);
        assert!(
            text.contains("PWNED"),
            "{args:?} still shows the text:\n{text}"
        );
    }
}

#[test]
fn the_cockpit_draws_outside_text_harmless() {
    use flightdeck::crew::Role as Seat;
    use flightdeck::timeline::{Event, EventId, EventKind};
    use flightdeck::tui::fixture::{now, sample_events, sample_model};
    use flightdeck::tui::model::Model;
    use flightdeck::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let base = sample_model(Seat::Pilot, (120, 40));
    let mut events = sample_events();
    let last = events.last().cloned().expect("events");
    events.push(Event {
        id: EventId::from("e-evil"),
        seq: last.seq + 100,
        at: now(),
        observed_at: now(),
        what: EventKind::Note {
            text: format!("{EVIL} {CLIPBOARD}"),
        },
        ..last
    });
    let mut m = Model::new(
        "conda-26.11.0",
        base.plan.clone(),
        &events,
        Seat::Pilot,
        "jane",
        now(),
    );
    m.ui.size = (120, 40);
    let mut t = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    t.draw(|f| {
        flightdeck::tui::view::render(&m, &Theme::default_theme(), f.area(), f.buffer_mut())
    })
    .expect("draws");
    let screen: String = t
        .backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol())
        .collect();
    harmless("the cockpit", &screen);
    assert!(screen.contains("PWNED"), "the note is shown:\n{screen}");
}

// ---------------------------------------------------------------------------------------------
// 4. A release id is one safe path component
// ---------------------------------------------------------------------------------------------

#[test]
fn a_version_never_escapes_the_home() {
    let home = tempfile::tempdir().expect("tempdir");
    let checklist = home.path().join("any.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml"),
    )
    .expect("shipped checklist")
    .replace(
        "version_scheme = \"calver\"",
        "version_scheme = \"regex:.+\"",
    );
    std::fs::write(&checklist, text).expect("write");
    let inner = home.path().join("inner");
    for version in ["x/../../../escaped", "..", "a\\b", "bell\u{7}", "x:y"] {
        let o = bin(&inner)
            .arg("start")
            .arg(&checklist)
            .args(["--version", version])
            .output()
            .expect("start runs");
        let text = out(&o);
        assert_eq!(o.status.code(), Some(2), "{version:?}:\n{text}");
        assert!(text.contains("cannot start release"), "{text}");
        harmless("the refusal", &text);
    }
    assert!(!home.path().join("escaped").exists());
    assert!(!inner.join("escaped").exists());
    let o = bin(&inner)
        .arg("start")
        .arg(&checklist)
        .args(["--version", "RC1"])
        .output()
        .expect("start runs");
    assert!(o.status.success(), "{}", out(&o));
    let o = bin(&inner)
        .arg("start")
        .arg(&checklist)
        .args(["--version", "rc1"])
        .output()
        .expect("start runs");
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("differs only by case"), "{}", out(&o));
}

// ---------------------------------------------------------------------------------------------
// 8. Costly inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn a_five_megabyte_id_costs_a_short_message() {
    let huge = "x".repeat(5 * 1024 * 1024);
    assert_eq!(
        flightdeck::diag::closest(&huge, &["tag", "release"]),
        None,
        "no suggestion is searched for"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let checklist = dir.path().join("huge.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml"),
    )
    .expect("shipped checklist");
    // A `needs` naming a 5 MB step id that does not exist.
    let text = text.replacen("needs = [", &format!("needs = [\"{huge}\", "), 1);
    std::fs::write(&checklist, text).expect("write");
    let o = bin(dir.path())
        .arg("check")
        .arg(&checklist)
        .output()
        .expect("check runs");
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("huge.toml:"), "names the place: {stderr}");
    assert!(
        o.stderr.len() < 8 * 1024,
        "the message does not repeat the value ({} bytes)",
        o.stderr.len()
    );
}

#[test]
fn a_huge_colour_and_bytes_that_are_not_utf8_are_named_and_bounded() {
    use flightdeck::tui::theme::Theme;
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.toml");
    std::fs::write(
        &big,
        format!("[roles]\nok = \"{}\"\n", "r".repeat(5 * 1024 * 1024)),
    )
    .expect("write");
    let (_, warnings) = Theme::load(big.to_str(), None);
    let w = warnings.join("\n");
    assert!(w.contains("big.toml"), "{w}");
    assert!(w.len() < 2048, "a short warning ({} bytes)", w.len());

    let long = dir.path().join("long.toml");
    std::fs::write(
        &long,
        format!("[roles]\nok = \"{}\"\n", "r".repeat(100_000)),
    )
    .expect("write");
    let (_, warnings) = Theme::load(long.to_str(), None);
    let w = warnings.join("\n");
    assert!(w.contains("long.toml:2:"), "{w}");
    assert!(w.len() < 2048, "a short warning ({} bytes)", w.len());

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, b"[roles]\nok = \"gr\xffeen\"\n").expect("write");
    let (_, warnings) = Theme::load(bad.to_str(), None);
    let w = warnings.join("\n");
    assert!(
        w.contains("bad.toml:2:9"),
        "file:line:col of the bad byte: {w}"
    );
}
