//! The one place that makes text from outside harmless for a terminal.
//!
//! Notes, logins, GitHub titles and comments, file contents quoted in errors: any of
//! them may hold `ESC ] 0 ; … BEL` (retitle the window), `ESC [ 2 J` (clear the
//! screen), `ESC ] 52 ; c ; …` (write the clipboard) or bidirectional overrides that
//! make text read differently from what it is. Every such text passes through
//! [`harmless`] (kept in [`crate::diag`], which the plan and the timeline may use too) before it reaches stdout, the cockpit's cells or an export: each
//! control character becomes its visible escape (`\x1b`), so the text is still all
//! there to read, and nothing in it is obeyed.

pub(crate) use crate::diag::{harmless, harmless_line};
