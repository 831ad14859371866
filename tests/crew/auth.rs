//! `flightdeck auth`, the real binary against the simulated world and the real
//! OS keyring (on Linux the kernel's keyutils store: `.ci/run` needs no daemon).
//! Each test has its own simulated world, so its own host (`127.0.0.1:PORT`)
//! and its own keyring entry, and its own config directory.
//!
//! Every test ends by searching for the token everywhere it must not be: the
//! command's output and errors, the files under its home and config directory
//! (logs, caches, exports), and the simulated server's request log.

use crate::github_support;

use flightdeck::github::keyring;
use flightdeck::sim::{SimOptions, SimServer};
use github_support::{PILOT_TOKEN, scenario};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

const CLASSIC: &str = "ghp_authTestClassic0123456789";
const FINE: &str = "github_pat_11AUTHTEST_fineGrained0123456789";
/// A token this world does not know: GitHub answers 401, as for a revoked one.
const REVOKED: &str = "ghp_authTestRevoked9876543210";

/// The OS keyring, or a loud skip; CI must have one, so there a missing one fails.
fn keyring_or_skip(test: &str) -> bool {
    match keyring::keyring_available() {
        Ok(()) => true,
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("{test}: CI must run against a real OS keyring, and: {why}")
        }
        Err(why) => {
            eprintln!(
                "\n*** SKIPPED {test}: no OS keyring on this machine ({why}) ***\n\
                 *** CI runs it against the kernel's keyutils store ***\n"
            );
            false
        }
    }
}

/// One test's world: a simulated GitHub with a request log, a home and a config directory.
struct World {
    sim: SimServer,
    dir: tempfile::TempDir,
    outputs: Vec<String>,
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!(
            "{}\n[[tokens]]\ntoken = \"{CLASSIC}\"\nlogin = \"carol\"\nrole = \"observer\"\n\n\
             [[tokens]]\ntoken = \"{FINE}\"\nlogin = \"dave\"\nrole = \"observer\"\n",
            flightdeck::sim::builtin("conda-release").expect("a shipped scenario")
        );
        let sim = SimServer::start(
            scenario("auth", &text),
            SimOptions {
                speed: Some(1.0e7),
                request_log: Some(dir.path().join("sim-requests.jsonl")),
                ..SimOptions::default()
            },
        )
        .await
        .expect("the sim starts");
        World {
            sim,
            dir,
            outputs: Vec::new(),
        }
    }

    fn host(&self) -> String {
        self.sim
            .github_api()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The binary with this world's config and home, nothing from the machine
    /// (no token, no `gh`), `env` added, `stdin` piped in.
    async fn run(&mut self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"));
        for var in [
            "GH_TOKEN",
            "GITHUB_TOKEN",
            "GH_ENTERPRISE_TOKEN",
            "GITHUB_ENTERPRISE_TOKEN",
            "FLIGHTDECK_GITHUB_API",
            "FLIGHTDECK_ROLE",
            "FLIGHTDECK_KEYRING",
            "RUST_BACKTRACE",
            "RUST_LIB_BACKTRACE",
        ] {
            c.env_remove(var);
        }
        c.env("FLIGHTDECK_CONFIG", self.config_dir().join("config.toml"))
            .env("FLIGHTDECK_LOGIN", "jane")
            .env("PATH", "/nonexistent")
            .arg("--home")
            .arg(self.home())
            .args(self.sim.flags())
            .args(args)
            .envs(env.iter().copied())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("the binary runs");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use tokio::io::AsyncWriteExt;
            pipe.write_all(text.as_bytes()).await.expect("stdin");
        }
        let out = child.wait_with_output().await.expect("the binary runs");
        self.outputs.push(text(&out));
        out
    }

    /// `auth login --with-token` with `token` on standard input.
    async fn login(&mut self, token: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let mut args = vec!["auth", "login", "--with-token"];
        args.extend_from_slice(extra);
        self.run(&args, env, Some(&format!("{token}\n"))).await
    }

    async fn status(&mut self, env: &[(&str, &str)]) -> Output {
        self.run(&["auth", "status"], env, None).await
    }

    /// The token is in no output and in no file but `allowed`.
    fn assert_nowhere(&self, token: &str, allowed: Option<&Path>) {
        for out in &self.outputs {
            assert!(!out.contains(token), "the token is in an output:\n{out}");
        }
        let mut files = Vec::new();
        walk(self.dir.path(), &mut files);
        for f in files {
            if Some(f.as_path()) == allowed {
                continue;
            }
            let bytes = std::fs::read(&f).unwrap_or_default();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "the token is in {}",
                f.display()
            );
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_status_and_logout_use_the_os_keyring() {
    if !keyring_or_skip("login_status_and_logout_use_the_os_keyring") {
        return;
    }
    let mut w = World::new().await;
    let host = w.host();

    let o = w.login(CLASSIC, &[], &[]).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!("Logged in to {host} as carol.")),
        "{out}"
    );
    assert!(
        out.contains("token: classic personal access token"),
        "{out}"
    );
    assert!(out.contains("stored in: the OS keyring"), "{out}");
    assert!(
        out.contains("warning: GitHub reported no scopes") && out.contains("tracking issue"),
        "a token that may not write issues is warned about: {out}"
    );
    assert_eq!(
        keyring::load_keyring(&host)
            .as_ref()
            .map(|t| format!("{t:?}")),
        Some("Token(***)".to_string()),
        "the entry is in the OS keyring itself"
    );
    assert!(
        !w.config_dir().join(keyring::INSECURE_FILE).exists(),
        "nothing in plain text"
    );

    let o = w.status(&[]).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(&format!("{host} (http://{host})")), "{out}");
    assert!(
        out.contains("logged in as carol (token from the OS keyring)"),
        "{out}"
    );
    assert!(
        out.contains("quota: ") && out.contains("requests left this hour"),
        "{out}"
    );

    // The stored token is the one every command uses: a poll, then an export.
    let checklist = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists/conda.toml");
    let checklist = checklist.to_string_lossy().to_string();
    let o = w
        .run(&["start", &checklist, "--version", "26.11.0"], &[], None)
        .await;
    assert!(o.status.success(), "{}", text(&o));
    let o = w.run(&["poll", "--once"], &[], None).await;
    assert!(o.status.success(), "{}", text(&o));
    let logins: Vec<Option<String>> = w.sim.requests().into_iter().map(|r| r.login).collect();
    assert!(
        logins.iter().any(|l| l.as_deref() == Some("carol")),
        "poll sent the keyring's token: {logins:?}"
    );
    let export = w.dir.path().join("export.json");
    let export_arg = export.to_string_lossy().to_string();
    let o = w
        .run(
            &["export", "--format", "json", "-o", &export_arg],
            &[],
            None,
        )
        .await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(export.is_file());

    let o = w.run(&["auth", "logout"], &[], None).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "Removed the token for {host} from the OS keyring."
        )),
        "{out}"
    );
    assert!(keyring::load_keyring(&host).is_none(), "the entry is gone");
    let o = w.status(&[]).await;
    let out = text(&o);
    assert!(out.contains("no token"), "{out}");
    assert!(
        out.contains(&format!(
            "`flightdeck --github-api http://{host} auth login`"
        )),
        "says exactly what to do: {out}"
    );
    assert!(out.contains("set GH_TOKEN or GITHUB_TOKEN"), "{out}");
    let o = w.run(&["auth", "logout"], &[], None).await;
    assert!(text(&o).contains(&format!("No token was stored for {host}.")));

    w.assert_nowhere(CLASSIC, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_comes_before_the_keyring() {
    if !keyring_or_skip("the_environment_comes_before_the_keyring") {
        return;
    }
    let mut w = World::new().await;
    let host = w.host();
    // Logging in while GH_TOKEN is set stores the token, and says which one wins.
    let o = w.login(CLASSIC, &[], &[("GH_TOKEN", FINE)]).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("GH_TOKEN is set and comes first"), "{out}");

    let o = w.status(&[("GH_TOKEN", FINE)]).await;
    let out = text(&o);
    assert!(
        out.contains("logged in as dave (token from the environment (GH_TOKEN))"),
        "{out}"
    );
    assert!(
        out.contains("token: fine-grained personal access token"),
        "{out}"
    );
    assert!(out.contains("Issues: Read and write"), "{out}");
    let o = w.status(&[("GITHUB_TOKEN", FINE)]).await;
    assert!(
        text(&o).contains("logged in as dave (token from the environment (GITHUB_TOKEN))"),
        "{}",
        text(&o)
    );
    let o = w.status(&[]).await;
    assert!(
        text(&o).contains("logged in as carol (token from the OS keyring)"),
        "{}",
        text(&o)
    );
    // An Enterprise host's variable is not this host's.
    let o = w.status(&[("GH_ENTERPRISE_TOKEN", FINE)]).await;
    assert!(text(&o).contains("logged in as carol"), "{}", text(&o));

    let o = w
        .run(&["auth", "logout"], &[("GH_TOKEN", FINE)], None)
        .await;
    assert!(text(&o).contains("GH_TOKEN is still set"), "{}", text(&o));
    assert!(keyring::load_keyring(&host).is_none());
    w.assert_nowhere(CLASSIC, None);
    w.assert_nowhere(FINE, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_and_never_stored() {
    if !keyring_or_skip("a_revoked_token_is_refused_and_never_stored") {
        return;
    }
    let mut w = World::new().await;
    let host = w.host();
    let o = w.login(REVOKED, &[], &[]).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("refused the token (401 Bad credentials)"),
        "{out}"
    );
    assert!(out.contains("nothing was stored"), "{out}");
    assert!(keyring::load_keyring(&host).is_none(), "nothing was stored");

    // A token revoked after it was stored: status says so, and what to do.
    let revoked = flightdeck::github::Token::new(REVOKED).expect("token");
    keyring::save_keyring(&host, &revoked).expect("stored");
    let o = w.status(&[]).await;
    let removed = keyring::delete_keyring(&host);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("the token from the OS keyring does not work")
            && out.contains("revoked, expired or mistyped"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "`flightdeck --github-api http://{host} auth login`, or remove it with \
             `flightdeck --github-api http://{host} auth logout`"
        )),
        "{out}"
    );
    assert_eq!(removed, Ok(true));
    // Revoked in the environment: the variable is named.
    let o = w.status(&[("GH_TOKEN", REVOKED)]).await;
    assert!(
        text(&o).contains("set GH_TOKEN to a valid token, or unset it"),
        "{}",
        text(&o)
    );
    w.assert_nowhere(REVOKED, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_stays_with_its_host() {
    if !keyring_or_skip("a_token_stays_with_its_host") {
        return;
    }
    let mut a = World::new().await;
    let mut b = World::new().await;
    let o = a.login(CLASSIC, &[], &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Another world is another host: it gets nothing, not even a request.
    let before = b.sim.requests().len();
    let o = b.status(&[]).await;
    let out = text(&o);
    assert!(out.contains("no token"), "{out}");
    assert_eq!(b.sim.requests().len(), before, "no request without a token");
    // Status by host name, and github.com's and an Enterprise host's own ways to log in.
    let host_a = a.host();
    let o = b
        .run(&["auth", "status", "--hostname", &host_a], &[], None)
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("`flightdeck --github-api http://{host_a} auth …`")),
        "a loopback host is named by its URL, and b's config knows none: {}",
        text(&o)
    );
    let o = b
        .run(
            &["auth", "status", "--hostname", "ghe.example.com"],
            &[("GH_TOKEN", CLASSIC)],
            None,
        )
        .await;
    let out = text(&o);
    assert!(
        out.contains("ghe.example.com (https://ghe.example.com/api/v3)")
            && out.contains("no token"),
        "a github.com token never goes to another host: {out}"
    );
    assert!(
        out.contains("`flightdeck auth login --hostname ghe.example.com`"),
        "{out}"
    );
    assert!(
        out.contains("GH_ENTERPRISE_TOKEN or GITHUB_ENTERPRISE_TOKEN"),
        "{out}"
    );
    assert!(
        out.contains("`gh auth login --hostname ghe.example.com`"),
        "{out}"
    );

    let o = a.run(&["auth", "logout"], &[], None).await;
    assert!(o.status.success(), "{}", text(&o));
    a.assert_nowhere(CLASSIC, None);
    b.assert_nowhere(CLASSIC, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keyring_only_insecure_storage_keeps_a_token_with_a_warning() {
    let mut w = World::new().await;
    let host = w.host();
    let no_keyring = [("FLIGHTDECK_KEYRING", "none")];
    let file = w.config_dir().join(keyring::INSECURE_FILE);

    let o = w.login(CLASSIC, &[], &no_keyring).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("there is no OS keyring"), "{out}");
    assert!(out.contains("Nothing was stored"), "{out}");
    assert!(out.contains("--insecure-storage"), "{out}");
    assert!(!file.exists(), "nothing was stored");

    let o = w.login(CLASSIC, &["--insecure-storage"], &no_keyring).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("plain text, readable only by you"), "{out}");
    assert!(
        out.contains("warning: the token is stored in plain text"),
        "{out}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("the file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "readable by the user alone");
    }

    let stored = std::fs::read_to_string(&file).expect("the file");
    assert!(
        stored.contains(CLASSIC),
        "the file holds the token, so the search finds a token wherever it is"
    );
    w.assert_nowhere(CLASSIC, Some(&file));

    // Every use warns.
    for _ in 0..2 {
        let o = w.status(&no_keyring).await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}");
        assert!(
            out.contains("logged in as carol (token from a plain-text file"),
            "{out}"
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains(&format!(
                "warning: the GitHub token for {host} is read from"
            )) && stderr.contains("plain-text file"),
            "{out}"
        );
    }

    let o = w.run(&["auth", "logout"], &no_keyring, None).await;
    assert!(
        text(&o).contains("from the plain-text file"),
        "{}",
        text(&o)
    );
    assert!(!file.exists(), "logout removes the last token's file");
    w.assert_nowhere(CLASSIC, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_without_a_token_says_how_to_give_one() {
    let mut w = World::new().await;
    let o = w.login("   ", &[], &[]).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("no token on standard input"), "{out}");
    // No terminal: no prompt, and the message says what to do instead.
    let o = w.run(&["auth", "login"], &[], None).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("--with-token"), "{out}");
    w.assert_nowhere(PILOT_TOKEN, None);
}

/// `tmux` on its own socket, killed when dropped.
struct Tmux(String);

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.0)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `what`; the pane as it is then.
    fn wait_for(&self, what: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let screen = self.run(&["capture-pane", "-p", "-t", "auth"]);
            if screen.contains(what) {
                return screen;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(15),
                "waited for {what:?}; the screen is:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// The prompt, in a real terminal: what is typed is never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_does_not_echo_the_token() {
    if !keyring_or_skip("the_prompt_does_not_echo_the_token") {
        return;
    }
    let has_tmux = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_tmux {
        assert!(std::env::var_os("CI").is_none(), "CI installs tmux");
        eprintln!("\n*** SKIPPED the_prompt_does_not_echo_the_token: tmux is not installed ***\n");
        return;
    }
    let w = World::new().await;
    let host = w.host();
    let command = format!(
        "env -u GH_TOKEN -u GITHUB_TOKEN -u FLIGHTDECK_KEYRING FLIGHTDECK_CONFIG={} PATH=/nonexistent {} --home {} --github-api {} auth login",
        w.config_dir().join("config.toml").display(),
        env!("CARGO_BIN_EXE_flightdeck"),
        w.home().display(),
        w.sim.github_api()
    );
    let screen = tokio::task::spawn_blocking(move || {
        // The crew tests share one process: a socket of this test's own.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux(format!("flightdeck-auth-{}-{n}", std::process::id()));
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "auth",
            "-x",
            "150",
            "-y",
            "20",
            &command,
        ]);
        tmux.run(&["set-option", "-t", "auth", "remain-on-exit", "on"]);
        tmux.wait_for("(it is not shown)");
        tmux.run(&["send-keys", "-t", "auth", "-l", CLASSIC]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let typed = tmux.run(&["capture-pane", "-p", "-t", "auth"]);
        tmux.run(&["send-keys", "-t", "auth", "Enter"]);
        let done = tmux.wait_for("stored in:");
        format!("{typed}\n---\n{done}")
    })
    .await
    .expect("tmux");
    let removed = keyring::delete_keyring(&host);
    assert!(
        screen.contains(&format!("Logged in to {host} as carol.")),
        "{screen}"
    );
    assert!(!screen.contains(CLASSIC), "the token was echoed:\n{screen}");
    assert!(!screen.contains("ghp_"), "not even its start:\n{screen}");
    assert_eq!(removed, Ok(true), "the typed token was stored");
    w.assert_nowhere(CLASSIC, None);
}
