//! The one place that makes text from outside harmless for a terminal.
//!
//! Notes, logins, GitHub titles and comments, file contents quoted in errors: any of
//! them may hold `ESC ] 0 ; … BEL` (retitle the window), `ESC [ 2 J` (clear the
//! screen), `ESC ] 52 ; c ; …` (write the clipboard) or bidirectional overrides that
//! make text read differently from what it is. Every such text passes through
//! [`harmless`] before it reaches stdout, the cockpit's cells or an export: each
//! control character becomes its visible escape (`\x1b`), so the text is still all
//! there to read, and nothing in it is obeyed.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is. Line feeds and tabs are kept:
/// notes have several lines, and neither moves the cursor anywhere harmful.
fn is_harmful(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        // Bidirectional embeddings, overrides and isolates ("trojan source").
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character (but line feed and tab) written as a visible
/// escape: `eve\x1b]0;PWNED\x07`. Borrowed when nothing needed escaping.
pub fn harmless(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_harmful) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_harmful(c) {
            let n = u32::from(c);
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`harmless`] for one line: line feeds and tabs are escaped too (a login, a title,
/// a table cell).
pub fn harmless_line(text: &str) -> Cow<'_, str> {
    let text = harmless(text);
    if !text.contains(['\n', '\t']) {
        return text;
    }
    Cow::Owned(text.replace('\n', "\\n").replace('\t', "\\t"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_obeyed() {
        let evil = "eve\u{1b}]0;PWNED\u{7}\u{1b}[2J";
        assert_eq!(harmless(evil), "eve\\x1b]0;PWNED\\x07\\x1b[2J");
        let clip = "\u{1b}]52;c;aGk=\u{7}";
        assert!(!harmless(clip).contains('\u{1b}'));
        assert_eq!(harmless("C1 \u{9b}2J"), "C1 \\x9b2J");
        assert_eq!(harmless("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(harmless("two\nlines\tok"), "two\nlines\tok");
        assert_eq!(harmless_line("two\nlines"), "two\\nlines");
        assert!(matches!(harmless("plain café"), Cow::Borrowed(_)));
        assert_eq!(harmless("cr\rlf"), "cr\\x0dlf");
    }
}
