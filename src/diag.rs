//! Diagnostics that name a place in a file, and a spanned view of TOML.
//!
//! Every user-written file (checklist, config, theme, scenario) is read through
//! [`Node`], a small TOML tree that remembers where each key and value sits.
//! That lets a reader report *every* problem at once as `file:line:col`,
//! instead of stopping at the first one the way `deny_unknown_fields` would.

use std::fmt;
use std::ops::Range;

/// One problem found in a user-written file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Several diagnostics, shown one per paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Collects diagnostics for one file, turning byte offsets into line:col.
pub(crate) struct Reporter<'a> {
    file: String,
    text: &'a str,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Problems past [`MAX_DIAGNOSTICS`], counted, not kept.
    dropped: usize,
}

/// A file with more problems than this is not a typo: the rest are counted, so a
/// hostile file costs a bounded report.
const MAX_DIAGNOSTICS: usize = 100;

impl<'a> Reporter<'a> {
    pub(crate) fn new(file: impl Into<String>, text: &'a str) -> Self {
        Reporter {
            file: file.into(),
            text,
            diagnostics: Vec::new(),
            dropped: 0,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    /// Records a problem. Values the message quotes in backticks are shortened and
    /// their control characters made visible: they come from the file, which may be hostile.
    pub(crate) fn error(
        &mut self,
        span: &Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            self.dropped += 1;
            return;
        }
        let (line, col) = self.line_col(span.start);
        self.diagnostics.push(Diagnostic {
            file: self.file.clone(),
            line,
            col,
            message: shorten_quoted(&message.into()),
            hint: hint.map(|h| shorten_quoted(&h)),
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.diagnostics.is_empty()
    }

    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics.sort_by_key(|d| (d.line, d.col));
        if self.dropped > 0 {
            let (line, col) = self.diagnostics.last().map_or((1, 1), |d| (d.line, d.col));
            self.diagnostics.push(Diagnostic {
                file: self.file.clone(),
                line,
                col,
                message: format!("{} more problems not shown", self.dropped),
                hint: Some("fix the ones above first".into()),
            });
        }
        self.diagnostics
    }
}

/// `text` with each backtick-quoted value cut to [`echo`]'s length and made harmless
/// for a terminal.
fn shorten_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts are quoted values; an even part is ours unless a value held a
        // backtick itself, so it is bounded too, more loosely (our hints list names).
        let part = if i % 2 == 1 {
            echo(part)
        } else {
            echo_at(part, 1000)
        };
        out.push_str(&harmless(&part));
    }
    out
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = text
        .get(line_start..offset)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// A TOML value with the byte range it came from.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) span: Range<usize>,
    pub(crate) value: NodeValue,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeValue {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
    /// Dates and times are kept as written; readers parse them where they need them.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// One `key = value` of a table, with the key's own span.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Range<usize>,
    pub(crate) node: Node,
}

impl Node {
    /// Parses TOML text into a spanned tree; a syntax error becomes one diagnostic.
    pub(crate) fn parse(rep: &mut Reporter<'_>, text: &str) -> Option<Node> {
        match toml_edit::Document::parse(text) {
            Ok(doc) => Some(Node {
                span: 0..text.len(),
                value: NodeValue::Table(table_entries(doc.as_table(), 0..text.len())),
            }),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().trim().to_string();
                rep.error(&span, format!("TOML syntax error: {message}"), None);
                None
            }
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self.value {
            NodeValue::String(_) => "a string",
            NodeValue::Integer(_) => "an integer",
            NodeValue::Float(_) => "a float",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Datetime(_) => "a date-time",
            NodeValue::Array(_) => "an array",
            NodeValue::Table(_) => "a table",
        }
    }

    pub(crate) fn as_table(&self) -> Option<&[Entry]> {
        match &self.value {
            NodeValue::Table(t) => Some(t),
            _ => None,
        }
    }
}

fn table_entries(table: &dyn toml_edit::TableLike, fallback: Range<usize>) -> Vec<Entry> {
    table
        .iter()
        .filter_map(|(k, item)| {
            let key_span = table
                .key(k)
                .and_then(|key| key.span())
                .unwrap_or_else(|| fallback.clone());
            item_node(item, key_span.clone()).map(|node| Entry {
                key: k.to_string(),
                key_span,
                node,
            })
        })
        .collect()
}

fn item_node(item: &toml_edit::Item, fallback: Range<usize>) -> Option<Node> {
    match item {
        toml_edit::Item::None => None,
        toml_edit::Item::Value(v) => Some(value_node(v, fallback)),
        toml_edit::Item::Table(t) => {
            let span = t.span().unwrap_or(fallback);
            Some(Node {
                value: NodeValue::Table(table_entries(t, span.clone())),
                span,
            })
        }
        toml_edit::Item::ArrayOfTables(a) => {
            let span = a.span().unwrap_or(fallback.clone());
            let items = a
                .iter()
                .map(|t| {
                    let span = t.span().unwrap_or(fallback.clone());
                    Node {
                        value: NodeValue::Table(table_entries(t, span.clone())),
                        span,
                    }
                })
                .collect();
            Some(Node {
                span,
                value: NodeValue::Array(items),
            })
        }
    }
}

fn value_node(v: &toml_edit::Value, fallback: Range<usize>) -> Node {
    use toml_edit::Value as V;
    let span = v.span().unwrap_or(fallback);
    let value = match v {
        V::String(s) => NodeValue::String(s.value().clone()),
        V::Integer(i) => NodeValue::Integer(*i.value()),
        V::Float(f) => NodeValue::Float(*f.value()),
        V::Boolean(b) => NodeValue::Bool(*b.value()),
        V::Datetime(d) => NodeValue::Datetime(d.value().to_string()),
        V::Array(a) => NodeValue::Array(a.iter().map(|v| value_node(v, span.clone())).collect()),
        V::InlineTable(t) => NodeValue::Table(table_entries(t, span.clone())),
    };
    Node { span, value }
}

/// Reads the fields of one TOML table, reporting wrong types, missing keys
/// and — when [`TableReader::finish`] is called — keys nobody asked for.
pub(crate) struct TableReader<'n> {
    entries: &'n [Entry],
    span: Range<usize>,
    what: String,
    used: Vec<&'n str>,
}

impl<'n> TableReader<'n> {
    /// `what` names the table in messages, e.g. "step `tag`" or "[release]".
    pub(crate) fn new(
        rep: &mut Reporter<'_>,
        node: &'n Node,
        what: impl Into<String>,
    ) -> Option<TableReader<'n>> {
        let what = what.into();
        match &node.value {
            NodeValue::Table(entries) => Some(TableReader {
                entries,
                span: node.span.clone(),
                what,
                used: Vec::new(),
            }),
            _ => {
                rep.error(
                    &node.span,
                    format!("{what} must be a table, found {}", node.type_name()),
                    None,
                );
                None
            }
        }
    }

    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Renames the table in later messages (once its id is known).
    pub(crate) fn set_what(&mut self, what: impl Into<String>) {
        self.what = what.into();
    }

    pub(crate) fn entry(&mut self, key: &'static str) -> Option<&'n Entry> {
        self.used.push(key);
        self.entries.iter().find(|e| e.key == key)
    }

    pub(crate) fn node(&mut self, key: &'static str) -> Option<&'n Node> {
        self.entry(key).map(|e| &e.node)
    }

    pub(crate) fn string(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
    ) -> Option<Spanned<String>> {
        let node = self.node(key)?;
        match &node.value {
            NodeValue::String(s) => Some(Spanned::new(s.clone(), node.span.clone())),
            _ => {
                rep.error(
                    &node.span,
                    format!(
                        "`{key}` in {} must be a string, found {}",
                        self.what,
                        node.type_name()
                    ),
                    None,
                );
                None
            }
        }
    }

    pub(crate) fn required_string(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
        hint: &str,
    ) -> Option<Spanned<String>> {
        let present = self.entries.iter().any(|e| e.key == key);
        if !present {
            self.used.push(key);
            rep.error(
                &self.span,
                format!("{} is missing `{key}`", self.what),
                Some(hint.to_string()),
            );
            return None;
        }
        self.string(rep, key)
    }

    pub(crate) fn bool(&mut self, rep: &mut Reporter<'_>, key: &'static str) -> Option<bool> {
        let node = self.node(key)?;
        match node.value {
            NodeValue::Bool(b) => Some(b),
            _ => {
                rep.error(
                    &node.span,
                    format!(
                        "`{key}` in {} must be true or false, found {}",
                        self.what,
                        node.type_name()
                    ),
                    None,
                );
                None
            }
        }
    }

    pub(crate) fn integer(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
    ) -> Option<Spanned<i64>> {
        let node = self.node(key)?;
        match node.value {
            NodeValue::Integer(i) => Some(Spanned::new(i, node.span.clone())),
            _ => {
                rep.error(
                    &node.span,
                    format!(
                        "`{key}` in {} must be an integer, found {}",
                        self.what,
                        node.type_name()
                    ),
                    None,
                );
                None
            }
        }
    }

    /// An array of strings; a single string is accepted as a one-element list.
    pub(crate) fn strings(
        &mut self,
        rep: &mut Reporter<'_>,
        key: &'static str,
    ) -> Option<Vec<Spanned<String>>> {
        let node = self.node(key)?;
        match &node.value {
            NodeValue::String(s) => Some(vec![Spanned::new(s.clone(), node.span.clone())]),
            NodeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        NodeValue::String(s) => {
                            out.push(Spanned::new(s.clone(), item.span.clone()))
                        }
                        _ => rep.error(
                            &item.span,
                            format!(
                                "`{key}` in {} must list strings, found {}",
                                self.what,
                                item.type_name()
                            ),
                            None,
                        ),
                    }
                }
                Some(out)
            }
            _ => {
                rep.error(
                    &node.span,
                    format!(
                        "`{key}` in {} must be an array of strings, found {}",
                        self.what,
                        node.type_name()
                    ),
                    None,
                );
                None
            }
        }
    }

    /// An array of tables (`[[key]]` or `key = [{…}]`).
    pub(crate) fn tables(&mut self, rep: &mut Reporter<'_>, key: &'static str) -> Vec<&'n Node> {
        let Some(node) = self.node(key) else {
            return Vec::new();
        };
        match &node.value {
            NodeValue::Array(items) => items.iter().collect(),
            _ => {
                rep.error(
                    &node.span,
                    format!(
                        "`{key}` in {} must be an array of tables ([[{key}]]), found {}",
                        self.what,
                        node.type_name()
                    ),
                    None,
                );
                Vec::new()
            }
        }
    }

    /// Reports every key that no accessor asked for, naming the keys that are valid.
    pub(crate) fn finish(self, rep: &mut Reporter<'_>) {
        for e in self.entries {
            if !self.used.contains(&e.key.as_str()) {
                let mut valid: Vec<&str> = self.used.clone();
                valid.sort_unstable();
                valid.dedup();
                let suggestion = closest(&e.key, &valid)
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                rep.error(
                    &e.key_span,
                    format!("unknown key `{}` in {}", e.key, self.what),
                    Some(format!("{suggestion}valid keys: {}", valid.join(", "))),
                );
            }
        }
    }
}

/// A value with the byte range it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
}

impl<T> Spanned<T> {
    pub(crate) fn new(value: T, span: Range<usize>) -> Self {
        Spanned { value, span }
    }
}

/// The candidate closest to `word` by edit distance, if it is plausibly a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // A word much longer than every candidate is no typo of one, and the distance
    // costs len(word) × len(candidate): a 5 MB key must not cost seconds.
    let longest = candidates.iter().map(|c| c.len()).max().unwrap_or(0);
    if word.len() > CLOSEST_MAX_LEN.max(longest * 2) {
        return None;
    }
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Words longer than this (and twice the longest candidate) get no suggestion.
const CLOSEST_MAX_LEN: usize = 64;

/// How much of an outside value a message repeats.
const ECHO_MAX_CHARS: usize = 80;

/// `value` as a message may repeat it: at most [`ECHO_MAX_CHARS`] characters, the rest
/// counted, so a 5 MB value costs a short line, not a 5 MB one.
pub(crate) fn echo(value: &str) -> std::borrow::Cow<'_, str> {
    echo_at(value, ECHO_MAX_CHARS)
}

fn echo_at(value: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(max_chars) {
        None => std::borrow::Cow::Borrowed(value),
        Some((cut, _)) => {
            std::borrow::Cow::Owned(format!("{}… ({} bytes in all)", &value[..cut], value.len()))
        }
    }
}

/// Edit distance where swapping two neighbours counts as one edit (typos like `nmae`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

// ---------------------------------------------------------------------------------------------
// Text from outside, made harmless for a terminal (see `export::sanitize`)
// ---------------------------------------------------------------------------------------------

/// Whether `c` must not reach a terminal as it is. Line feeds and tabs are kept:
/// notes have several lines, and neither moves the cursor anywhere harmful.
/// Whether UTF-8 `bytes` hold a character [`is_harmful`] names, checked a
/// byte at a time (a large export is scanned whole): C0 controls but line
/// feed and tab, DEL, C1 controls (`C2 80`–`C2 9F`), and the bidirectional
/// controls (`E2 80 AA`–`E2 80 AE`, `E2 81 A6`–`E2 81 A9`).
fn any_harmful(bytes: &[u8]) -> bool {
    // Plain ASCII text first, in a loop simple enough to vectorize.
    if all_bytes(bytes, |b| {
        (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t'
    }) {
        return false;
    }
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\n' | b'\t' => false,
        0..0x20 | 0x7f => true,
        0xc2 => bytes.get(i + 1).is_some_and(|c| (0x80..=0x9f).contains(c)),
        0xe2 => matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(0x80), Some(0xaa..=0xae)) | (Some(0x81), Some(0xa6..=0xa9))
        ),
        _ => false,
    })
}

/// Whether every byte passes `plain`: by chunks without an early exit
/// inside one, so that the compiler vectorizes the test (`Iterator::all`
/// stops at each byte, and does not).
pub(crate) fn all_bytes(bytes: &[u8], plain: impl Fn(u8) -> bool) -> bool {
    bytes
        .chunks(64)
        .all(|chunk| chunk.iter().fold(true, |ok, &b| ok & plain(b)))
}

fn is_harmful(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        // Bidirectional embeddings, overrides and isolates ("trojan source").
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character (but line feed and tab) written as a visible
/// escape: `eve\x1b]0;PWNED\x07`. Borrowed when nothing needed escaping.
pub fn harmless(text: &str) -> std::borrow::Cow<'_, str> {
    if !any_harmful(text.as_bytes()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // CR LF is a line break (Windows notes); a lone CR could overwrite a line.
        if c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if is_harmful(c) {
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
    std::borrow::Cow::Owned(out)
}

/// [`harmless`] for one line: line breaks and tabs are escaped too (a login, a
/// title, a cell of the cockpit).
pub(crate) fn harmless_line(text: &str) -> std::borrow::Cow<'_, str> {
    let text = harmless(text);
    if !text.contains(['\n', '\t', '\r']) {
        return text;
    }
    std::borrow::Cow::Owned(
        text.replace('\r', "\\r")
            .replace('\n', "\\n")
            .replace('\t', "\\t"),
    )
}

#[cfg(test)]
mod sanitize_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte scan finds a harmful character exactly when one is there.
        #[test]
        fn the_byte_scan_agrees_with_the_characters(
            text in "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{2028}-\\u{206f}])*"
        ) {
            prop_assert_eq!(any_harmful(text.as_bytes()), text.chars().any(is_harmful));
        }
    }

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
        assert!(matches!(
            harmless("plain café"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(harmless("cr\rlf"), "cr\\x0dlf");
        assert_eq!(harmless("crlf\r\nok\u{7}"), "crlf\r\nok\\x07");
        assert_eq!(harmless_line("crlf\r\n"), "crlf\\r\\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // the byte after `é` (two bytes) is the third character
        assert_eq!(line_col(text, 9), (2, 3));
    }

    #[test]
    fn unknown_keys_are_reported_with_a_suggestion() {
        let text = "[release]\nnmae = \"x\"\n";
        let mut rep = Reporter::new("c.toml", text);
        let root = Node::parse(&mut rep, text).expect("valid toml");
        let mut top = TableReader::new(&mut rep, &root, "the checklist").expect("table");
        let release = top.node("release").expect("release");
        let mut r = TableReader::new(&mut rep, release, "[release]").expect("table");
        let _ = r.string(&mut rep, "name");
        r.finish(&mut rep);
        top.finish(&mut rep);
        let d = rep.finish();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].col), (2, 1));
        assert!(d[0].to_string().contains("did you mean `name`"), "{}", d[0]);
    }

    #[test]
    fn syntax_errors_name_the_place() {
        let text = "a = 1\nb = [\n";
        let mut rep = Reporter::new("c.toml", text);
        assert!(Node::parse(&mut rep, text).is_none());
        let d = rep.finish();
        assert_eq!(d.len(), 1);
        assert!(d[0].to_string().starts_with("c.toml:"), "{}", d[0]);
    }
}
