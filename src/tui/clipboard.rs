//! Copying through the terminal (OSC 52), and opening links in the browser.
//!
//! OSC 52 works over SSH and needs no clipboard daemon, but only where the
//! terminal takes it; elsewhere the sequence is silently dropped. So the
//! cockpit says "copied" only where it can tell the terminal takes it
//! ([`osc52_supported`], conservative), and otherwise shows the text to copy.

use ratatui::crossterm::clipboard::CopyToClipboard;
use ratatui::crossterm::execute;
use std::io::Write;

/// Asks the terminal to put `text` on the system clipboard.
pub(crate) fn copy(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    execute!(out, CopyToClipboard::to_clipboard_from(text))
}

/// Terminals known to take OSC 52 writes, by `TERM_PROGRAM`.
const PROGRAMS: &[&str] = &[
    "iTerm.app",
    "WezTerm",
    "ghostty",
    "kitty",
    "Alacritty",
    "foot",
    "contour",
    "rio",
    "WarpTerminal",
];

/// `TERM` values (prefixes) of terminals known to take OSC 52 writes.
const TERMS: &[&str] = &[
    "xterm-kitty",
    "xterm-ghostty",
    "alacritty",
    "foot",
    "wezterm",
    "contour",
];

/// Whether the terminal takes OSC 52, from the environment (`env` reads a
/// variable) and, inside tmux, tmux's `set-clipboard` option (`tmux_option`
/// runs `tmux show-options -gv set-clipboard`; only `on` lets an application
/// set the clipboard). A config override wins over both.
pub(crate) fn osc52_supported(
    config: Option<bool>,
    env: impl Fn(&str) -> Option<String>,
    tmux_option: impl FnOnce() -> Option<String>,
) -> bool {
    if let Some(forced) = config {
        return forced;
    }
    if env("TMUX").is_some_and(|v| !v.is_empty()) {
        return tmux_option().is_some_and(|v| v.trim() == "on");
    }
    if env("WT_SESSION").is_some_and(|v| !v.is_empty()) {
        return true; // Windows Terminal
    }
    let program = env("TERM_PROGRAM").unwrap_or_default();
    let term = env("TERM").unwrap_or_default();
    PROGRAMS.iter().any(|p| program.eq_ignore_ascii_case(p))
        || TERMS.iter().any(|t| term.starts_with(t))
}

/// tmux's `set-clipboard` option, asked of the tmux this process runs in.
pub(crate) fn tmux_set_clipboard() -> Option<String> {
    let out = std::process::Command::new("tmux")
        .args(["show-options", "-gv", "set-clipboard"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The program that opens a link: `FLIGHTDECK_OPENER` (tests point it at a
/// script), else the platform's opener.
fn opener() -> (std::ffi::OsString, Vec<&'static str>) {
    if let Some(p) = std::env::var_os("FLIGHTDECK_OPENER").filter(|p| !p.is_empty()) {
        return (p, Vec::new());
    }
    if cfg!(target_os = "macos") {
        ("open".into(), Vec::new())
    } else if cfg!(windows) {
        // `start`'s first quoted argument is a window title.
        ("cmd".into(), vec!["/C", "start", ""])
    } else {
        ("xdg-open".into(), Vec::new())
    }
}

/// Opens an http(s) link in the browser: the opener is spawned detached,
/// with no output reaching the terminal. Fails (with a reason to show) for
/// any other kind of link, or when no opener starts.
pub(crate) fn open(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|_| "not a URL".to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "only http(s) links are opened, this is {}:",
            parsed.scheme()
        ));
    }
    let (program, args) = opener();
    let shown = program.to_string_lossy().into_owned();
    let mut cmd = std::process::Command::new(&program);
    cmd.args(args)
        .arg(parsed.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    {
        // Its own process group: a Ctrl-C meant for the terminal never reaches it.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    match cmd.spawn() {
        Ok(mut child) => {
            // Reaped off the UI task, so no zombie is left behind.
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("no browser opener found ({shown})"))
        }
        Err(e) => Err(format!("{shown} did not start: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::osc52_supported;

    #[test]
    fn writes_an_osc52_sequence() {
        let mut out = Vec::new();
        super::copy(&mut out, "hi").expect("writes");
        let s = String::from_utf8(out).expect("utf8");
        assert!(s.starts_with("\x1b]52;c;aGk="), "{s:?}");
    }

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn osc52_is_claimed_only_where_it_is_known_to_work() {
        let no_tmux = || panic!("not in tmux: tmux is not asked");
        assert!(!osc52_supported(
            None,
            env(&[("TERM", "xterm-256color")]),
            no_tmux
        ));
        assert!(!osc52_supported(
            None,
            env(&[("TERM_PROGRAM", "Apple_Terminal")]),
            no_tmux
        ));
        assert!(osc52_supported(
            None,
            env(&[("TERM", "xterm-kitty")]),
            no_tmux
        ));
        assert!(osc52_supported(
            None,
            env(&[("TERM_PROGRAM", "WezTerm")]),
            no_tmux
        ));
        assert!(osc52_supported(None, env(&[("WT_SESSION", "x")]), no_tmux));
        // Inside tmux, tmux decides: only `set-clipboard on` takes it from an application.
        let tmux = env(&[
            ("TMUX", "/tmp/tmux-0/default,1,0"),
            ("TERM_PROGRAM", "WezTerm"),
        ]);
        assert!(!osc52_supported(None, &tmux, || Some("external".into())));
        assert!(osc52_supported(None, &tmux, || Some("on".into())));
        assert!(!osc52_supported(None, &tmux, || None));
        // The config decides when it says.
        assert!(osc52_supported(Some(true), env(&[]), no_tmux));
        assert!(!osc52_supported(
            Some(false),
            env(&[("TERM", "xterm-kitty")]),
            no_tmux
        ));
    }

    #[test]
    fn only_web_links_are_opened() {
        assert!(super::open("file:///etc/passwd").is_err());
        assert!(super::open("--help").is_err());
    }
}
