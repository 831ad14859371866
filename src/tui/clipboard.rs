//! Copying through the terminal (OSC 52): works over SSH and inside tmux
//! (with `set -g set-clipboard on`), needs no clipboard daemon.

use ratatui::crossterm::clipboard::CopyToClipboard;
use ratatui::crossterm::execute;
use std::io::Write;

/// Asks the terminal to put `text` on the system clipboard.
pub fn copy(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    execute!(out, CopyToClipboard::to_clipboard_from(text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_an_osc52_sequence() {
        let mut out = Vec::new();
        super::copy(&mut out, "hi").expect("writes");
        let s = String::from_utf8(out).expect("utf8");
        assert!(s.starts_with("\x1b]52;c;aGk="), "{s:?}");
    }
}
