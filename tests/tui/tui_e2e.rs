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

    /// A session of a given size, with extra environment for the command.
    fn start_sized(&self, name: &str, command: &str, w: u16, h: u16) {
        let (w, h) = (w.to_string(), h.to_string());
        self.tmux(&["new-session", "-d", "-s", name, "-x", &w, "-y", &h, command]);
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

/// Status words as the cockpit writes them, each with its symbol: none may
/// appear cut (a proper prefix followed by `…`, a border or the screen's edge).
const STATUS_WORDS: &[&str] = &[
    "✔ published",
    "✔ tagged",
    "✔ merged",
    "✔ uploaded",
    "✔ passed",
    "✔ none",
    "○ not yet",
    "○ no PR yet",
    "◔ draft",
    "◔ open",
    "◔ running",
    "✖ failed",
    "✖ closed",
    "✖ broken",
    "✖ gone",
    "✖ yanked",
    "probe failing",
    "probe degraded",
    "gate: not today",
    "SHIPPED",
];

/// The cut status words on a captured screen.
fn cut_words(screen: &str) -> Vec<String> {
    let mut cut = Vec::new();
    for row in screen.lines() {
        for word in STATUS_WORDS {
            let w: Vec<char> = word.chars().collect();
            let shortest = if w[0].is_alphanumeric() { 4 } else { 3 };
            for len in shortest..w.len() {
                let prefix: String = w[..len].iter().collect();
                for (i, _) in row.match_indices(&prefix) {
                    let next = row[i + prefix.len()..].chars().next();
                    let starts = row[..i].chars().last().is_none_or(|c| !c.is_alphanumeric());
                    if starts && matches!(next, None | Some('…' | '│' | '┃' | '║')) {
                        cut.push(format!("{prefix}… in {row:?}"));
                    }
                }
            }
        }
    }
    cut
}

/// A whole conda 26.11.0 release (the export tests' fixture), copied to a
/// fresh home: tags, PRs, CI and both channels on the board.
fn fixture_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/export/home/releases/conda-26.11.0");
    let to = home.path().join("releases/conda-26.11.0");
    std::fs::create_dir_all(&to).expect("mkdir");
    for f in ["checklist.toml", "events.jsonl", "release.toml"] {
        std::fs::copy(from.join(f), to.join(f)).expect("copy");
    }
    home
}

#[test]
fn at_80x24_120x36_and_160x45_every_pane_fits_with_hints_and_zoom() {
    let Some(tmux) = Tmux::new() else {
        eprintln!("SKIPPED: tmux is not installed; the end-to-end cockpit test needs it");
        return;
    };
    let home = fixture_home();
    for (w, h) in [(80u16, 24u16), (120, 36), (160, 45)] {
        let name = format!("s{w}");
        let cmd = format!("{} conda-26.11.0", fly(home.path(), "jump-seat", "sam"));
        tmux.start_sized(&name, &cmd, w, h);
        let s = tmux.wait_for(&name, "Checklist");
        // The board is on screen at every size, with nothing cut; rows that do
        // not fit are announced.
        assert!(
            s.contains("Probes") && s.contains("conda/conda"),
            "{w}x{h}:\n{s}"
        );
        assert_eq!(cut_words(&s), Vec::<String>::new(), "{w}x{h}:\n{s}");
        if !s.contains("defaults ") {
            assert!(
                s.contains("more ┘"),
                "{w}x{h}: hidden rows without a hint:\n{s}"
            );
        }
        // Tab to the board; z gives it the screen: the whole channel matrix, uncut.
        tmux.keys(&name, &["Tab", "z"]);
        let start = Instant::now();
        let zoomed = loop {
            let s = tmux.screen(&name);
            if !s.contains("Checklist") {
                break s;
            }
            assert!(start.elapsed() < Duration::from_secs(15), "no zoom:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(!zoomed.contains("Timeline"), "{zoomed}");
        assert!(zoomed.contains("defaults"), "{w}x{h} zoomed:\n{zoomed}");
        assert_eq!(
            cut_words(&zoomed),
            Vec::<String>::new(),
            "{w}x{h} zoomed:\n{zoomed}"
        );
        // Tab while zoomed: the timeline gets the screen; z again: back.
        tmux.keys(&name, &["Tab"]);
        tmux.wait_for(&name, "Timeline");
        tmux.keys(&name, &["z"]);
        let s = tmux.wait_for(&name, "Checklist");
        assert!(s.contains("Probes") && s.contains("Timeline"), "{s}");
        assert_eq!(
            cut_words(&s),
            Vec::<String>::new(),
            "{w}x{h} timeline:\n{s}"
        );
        // d: the detail of the selection, with the whole title, wrapped.
        tmux.keys(&name, &["d"]);
        tmux.wait_for(&name, "id ");
        tmux.keys(&name, &["q"]);
        tmux.wait_exit(&name);
    }
}

#[test]
fn search_filters_open_and_copy_in_the_real_terminal() {
    let Some(tmux) = Tmux::new() else {
        eprintln!("SKIPPED: tmux is not installed; the end-to-end cockpit test needs it");
        return;
    };
    let home = fixture_home();
    let opened = home.path().join("opened.txt");
    let opener = home.path().join("opener.sh");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\necho \"$1\" >> {}\n", opened.display()),
    )
    .expect("script");
    make_executable(&opener);
    let cmd = format!(
        "env -u TERM_PROGRAM FLIGHTDECK_OPENER={} {} conda-26.11.0",
        opener.display(),
        fly(home.path(), "jump-seat", "sam")
    );
    tmux.start_sized("find", &cmd, 120, 36);
    tmux.wait_for("find", "Checklist");
    // `/` filters as you type; Enter jumps; n walks; Esc ends.
    tmux.keys("find", &["/"]);
    tmux.text("find", "feedstock");
    let s = tmux.wait_for("find", "matching “feedstock”");
    assert!(s.contains("Enter jumps"), "{s}");
    assert!(!s.contains("Cut the release branch"), "filtered:\n{s}");
    tmux.keys("find", &["Enter"]);
    tmux.wait_for("find", "match 1 of");
    tmux.keys("find", &["n"]);
    tmux.wait_for("find", "match 2 of");
    tmux.keys("find", &["N"]);
    tmux.wait_for("find", "match 1 of");
    tmux.keys("find", &["Escape"]);
    let s = tmux.wait_for("find", "search ended");
    assert!(
        s.contains("Cut the release branch"),
        "everything again:\n{s}"
    );
    // F cycles the filters.
    tmux.keys("find", &["F"]);
    tmux.wait_for("find", "filter: my steps");
    tmux.keys("find", &["F"]);
    let s = tmux.wait_for("find", "alarms only");
    assert!(s.contains("Probes · alarms only"), "{s}");
    tmux.keys("find", &["F"]);
    tmux.wait_for("find", "filter: starred");
    tmux.keys("find", &["F"]);
    tmux.wait_for("find", "filter off");
    // o on an event with a link (found by a search): the opener gets the URL,
    // the terminal gets nothing.
    tmux.keys("find", &["/"]);
    tmux.text("find", "#211 opened");
    tmux.wait_for("find", "matching");
    tmux.keys("find", &["Enter"]);
    tmux.wait_for("find", "match 1 of 1");
    tmux.keys("find", &["o"]);
    tmux.wait_for("find", "opened in the browser");
    let start = Instant::now();
    while !opened.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the opener was not run"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = std::fs::read_to_string(&opened).expect("opened");
    assert!(url.trim().starts_with("https://"), "{url}");
    // tmux's default set-clipboard (external) does not take an application's OSC 52:
    // `l` shows the link to copy instead of claiming it was copied.
    tmux.keys("find", &["l"]);
    let s = tmux.wait_for("find", "cannot take OSC 52");
    assert!(s.contains(url.trim()), "the link is shown:\n{s}");
    assert!(!s.contains("copied the link"), "{s}");
    tmux.keys("find", &["Escape", "q"]);
    tmux.wait_exit("find");

    // With set-clipboard on, `l` copies: the link lands in tmux's buffer.
    tmux.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    tmux.start_sized("copy", &cmd, 120, 36);
    tmux.wait_for("copy", "Checklist");
    tmux.keys("copy", &["/"]);
    tmux.text("copy", "#211 opened");
    tmux.wait_for("copy", "matching");
    tmux.keys("copy", &["Enter"]);
    tmux.wait_for("copy", "match 1 of 1");
    tmux.keys("copy", &["l"]);
    tmux.wait_for("copy", "copied the link");
    let start = Instant::now();
    loop {
        let buffer = tmux.tmux(&["show-buffer"]);
        if buffer.trim() == url.trim() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "tmux's buffer: {buffer:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.keys("copy", &["q"]);
    tmux.wait_exit("copy");
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[cfg(not(unix))]
fn make_executable(_: &Path) {}

#[test]
fn a_step_becoming_yours_sends_a_desktop_notification_when_asked() {
    let Some(tmux) = Tmux::new() else {
        eprintln!("SKIPPED: tmux is not installed; the end-to-end cockpit test needs it");
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let started = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FLIGHTDECK_LOGIN", "jane")
        .arg("--home")
        .arg(home.path())
        .args([
            "start",
            "checklists/conda.toml",
            "--version",
            "26.11.0",
            "--copilot",
            "bob",
        ])
        .output()
        .expect("start runs");
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let said = home.path().join("notified.txt");
    let notifier = home.path().join("notify.sh");
    std::fs::write(
        &notifier,
        format!("#!/bin/sh\necho \"$2\" >> {}\n", said.display()),
    )
    .expect("script");
    make_executable(&notifier);
    let fly_bob = fly(home.path(), "copilot", "bob").replace(" fly", " fly --notify desktop");
    tmux.start_sized(
        "bob",
        &format!("env FLIGHTDECK_NOTIFIER={} {fly_bob}", notifier.display()),
        120,
        36,
    );
    tmux.wait_for("bob", "Checklist 0/20");
    // The pilot signs off release-issue in another terminal: `alert` is bob's now.
    let done = Command::new(BIN)
        .env("FLIGHTDECK_LOGIN", "jane")
        .arg("--home")
        .arg(home.path())
        .args(["step", "done", "release-issue", "--force"])
        .output()
        .expect("step runs");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    tmux.wait_for("bob", "Checklist 1/20");
    let start = Instant::now();
    let text = loop {
        let t = std::fs::read_to_string(&said).unwrap_or_default();
        if !t.is_empty() {
            break t;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no notification");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        text.contains("your step is ready: Alert interested parties"),
        "{text}"
    );
    tmux.keys("bob", &["q"]);
    tmux.wait_exit("bob");
}
