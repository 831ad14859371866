//! The real binary in a real terminal (tmux): the pilot signs off a step and
//! adds a note, which land in `events.jsonl`; then the jump seat tries the
//! same, sees "read-only: jump seat", and the log stays byte-identical.
//! Skipped, saying so, when tmux is not installed (CI installs it).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Option<Tmux> {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        // One tmux server per test: `cargo test` runs tests as threads of one
        // process, and each test kills its own server when it ends.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ok.then(|| Tmux {
            socket: format!("flightdeck-e2e-{}-{n}", std::process::id()),
        })
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn start(&self, name: &str, command: &str) {
        self.tmux(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "40",
            command,
        ]);
        // Keep the pane after the program exits, so the exit can be observed.
        self.tmux(&["set-option", "-t", name, "remain-on-exit", "on"]);
    }

    fn keys(&self, name: &str, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", name, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn text(&self, name: &str, text: &str) {
        self.tmux(&["send-keys", "-t", name, "-l", text]);
    }

    fn screen(&self, name: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", name])
    }

    /// Waits until the screen shows `what` (the cockpit redraws on demand).
    fn wait_for(&self, name: &str, what: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen(name);
            if s.contains(what) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "waited for {what:?}; the screen is:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_exit(&self, name: &str) {
        let start = Instant::now();
        while self
            .tmux(&["display-message", "-p", "-t", name, "#{pane_dead}"])
            .trim()
            != "1"
        {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "the cockpit did not quit:\n{}",
                self.screen(name)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// `fly` with every probe source on a loopback port nobody listens on: the
/// probes fail fast and locally (a test never reaches the internet), and the
/// cockpit must stay usable while they do.
fn fly(home: &Path, role: &str, login: &str) -> String {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    format!(
        "env -u GH_TOKEN -u GITHUB_TOKEN FLIGHTDECK_LOGIN={login} TERM=xterm-256color {BIN} --home {} --role {role} \
         --github-api {dead} --pypi-url {dead} --channel conda-forge={dead}/cf --channel defaults={dead}/main fly",
        home.display()
    )
}

#[test]
fn pilot_signs_off_and_notes_then_the_jump_seat_cannot() {
    let Some(tmux) = Tmux::new() else {
        eprintln!("SKIPPED: tmux is not installed; the end-to-end cockpit test needs it");
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let started = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FLIGHTDECK_LOGIN", "jane")
        .args(["--home"])
        .arg(home.path())
        .args(["start", "checklists/conda.toml", "--version", "26.11.0"])
        .output()
        .expect("start runs");
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let log = home.path().join("releases/conda-26.11.0/events.jsonl");

    // The pilot: the cursor starts on the next pilot step, `release-issue`.
    tmux.start("pilot", &fly(home.path(), "pilot", "jane"));
    let s = tmux.wait_for("pilot", "Checklist 0/20");
    assert!(s.contains("PILOT"), "{s}");
    assert!(
        s.contains("▶ next for you: Open and pin the release issue"),
        "{s}"
    );
    tmux.keys("pilot", &["Space"]);
    tmux.wait_for("pilot", "Sign off `release-issue`?");
    tmux.keys("pilot", &["y"]);
    let s = tmux.wait_for("pilot", "✔ release-issue signed off");
    assert!(s.contains("Checklist 1/20"), "{s}");
    tmux.keys("pilot", &["n"]);
    tmux.wait_for("pilot", "Note for the timeline");
    tmux.text("pilot", "canary looks good from tmux");
    tmux.keys("pilot", &["Enter"]);
    let s = tmux.wait_for("pilot", "note added");
    assert!(
        s.contains("Note: canary looks good from tmux"),
        "the note is on the timeline:\n{s}"
    );
    tmux.keys("pilot", &["q"]);
    tmux.wait_exit("pilot");
    assert_restored(&tmux, "pilot");

    let text = std::fs::read_to_string(&log).expect("log");
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(
        events.iter().any(|e| e["what"]["kind"] == "step_done"
            && e["what"]["step"] == "release-issue"
            && e["author"] == "jane"),
        "{text}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["what"]["kind"] == "note"
                && e["what"]["text"] == "canary looks good from tmux"),
        "{text}"
    );

    // The jump seat: every mutating key is refused and nothing is written.
    let before = std::fs::read(&log).expect("bytes");
    tmux.start("jump", &fly(home.path(), "jump-seat", "sam"));
    let s = tmux.wait_for("jump", "JUMP SEAT");
    assert!(s.contains("Checklist 1/20"), "{s}");
    tmux.keys("jump", &["Space"]);
    tmux.wait_for("jump", "read-only: jump seat");
    tmux.keys("jump", &["n", "u", "s", "Tab", "Tab", "*"]);
    let s = tmux.wait_for("jump", "read-only: jump seat");
    assert!(
        !s.contains("Note for the timeline"),
        "no text field opens:\n{s}"
    );
    tmux.keys("jump", &["q"]);
    tmux.wait_exit("jump");
    assert_restored(&tmux, "jump");
    assert_eq!(
        std::fs::read(&log).expect("bytes"),
        before,
        "the jump seat changed the log"
    );
}

/// Leaving the alternate screen brings back the shell's screen: no cockpit left on it.
fn assert_restored(tmux: &Tmux, name: &str) {
    let s = tmux.screen(name);
    assert!(
        !s.contains("Checklist"),
        "the terminal was not restored:\n{s}"
    );
}

#[test]
fn sigterm_sighup_and_sigint_restore_the_terminal() {
    let Some(tmux) = Tmux::new() else {
        eprintln!("SKIPPED: tmux is not installed; the end-to-end cockpit test needs it");
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let started = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--home")
        .arg(home.path())
        .args(["start", "checklists/conda.toml", "--version", "26.11.0"])
        .output()
        .expect("start runs");
    assert!(started.status.success());
    for (name, signal) in [("term", "-TERM"), ("hup", "-HUP"), ("int", "-INT")] {
        tmux.start(name, &fly(home.path(), "pilot", "jane"));
        tmux.wait_for(name, "Checklist 0/20");
        // `env` execs the cockpit, so the pane's process is the cockpit.
        let pid = tmux.tmux(&["display-message", "-p", "-t", name, "#{pane_pid}"]);
        let killed = Command::new("kill")
            .arg(signal)
            .arg(pid.trim())
            .status()
            .expect("kill runs");
        assert!(killed.success());
        tmux.wait_exit(name);
        assert_restored(&tmux, name);
        // tmux marks a pane dead when its pty closes; under load it may reap
        // the process (and learn how it ended) much later. Until then the
        // exited process is a zombie whose wait status the kernel shows.
        let start = Instant::now();
        let status = loop {
            let s = tmux.tmux(&[
                "display-message",
                "-p",
                "-t",
                name,
                "#{pane_dead_status}/#{pane_dead_signal}",
            ]);
            if s.trim() != "/" {
                break s.trim().to_string();
            }
            if let Some(wait) = zombie_wait_status(pid.trim()) {
                break match (wait & 0x7f, wait >> 8) {
                    (0, code) => format!("{code}/"),
                    (signal, _) => format!("/{signal}"),
                };
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no exit status for {name}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(
            status, "0/",
            "{signal}: a clean exit after restoring (exit status/signal)"
        );
    }
}

/// The wait status of an exited, not yet reaped process (`/proc/PID/stat`'s
/// last field, Linux 3.5+), or `None` while it runs (or is gone).
fn zombie_wait_status(pid: &str) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: split after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    (fields.first() == Some(&"Z")).then(|| fields.last()?.parse().ok())?
}

#[test]
fn without_a_terminal_fly_points_at_status_and_exits_2() {
    let home = tempfile::tempdir().expect("tempdir");
    let ok = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--home")
        .arg(home.path())
        .args(["start", "checklists/conda.toml", "--version", "26.11.0"])
        .output()
        .expect("start runs");
    assert!(ok.status.success());
    // Captured output: stdout is a pipe here.
    let out = Command::new(BIN)
        .arg("--home")
        .arg(home.path())
        .arg("fly")
        .output()
        .expect("fly runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the cockpit needs a terminal"), "{err}");
    assert!(err.contains("flightdeck status conda-26.11.0"), "{err}");
}
