//! A tmux server of a test's own, to drive the real binary in a real terminal.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server on its own socket, killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` when tmux is not installed (CI installs it; the caller says it skipped).
    pub fn new() -> Option<Tmux> {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ok.then(|| Tmux {
            socket: format!("flightdeck-tmux-{}-{n}", std::process::id()),
        })
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `command` (a shell line) in a new `width`×`height` session `name`.
    pub fn start(&self, name: &str, width: u16, height: u16, command: &str) {
        let (w, h) = (width.to_string(), height.to_string());
        self.tmux(&["new-session", "-d", "-s", name, "-x", &w, "-y", &h, command]);
        self.tmux(&["set-option", "-t", name, "remain-on-exit", "on"]);
    }

    pub fn keys(&self, name: &str, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", name, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn screen(&self, name: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", name])
    }

    /// Waits up to `within` until the screen shows `what`; returns the screen.
    pub fn wait_for(&self, name: &str, what: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen(name);
            if s.contains(what) {
                return s;
            }
            assert!(
                start.elapsed() < within,
                "{name}: waited {within:?} for {what:?}; the screen is:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The pid of the program in the session's pane.
    pub fn pid(&self, name: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", name, "#{pane_pid}"])
            .trim()
            .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}
