//! The crew's format on a GitHub tracking issue (documented in
//! `docs/crew-format.md`): the data block at the foot of the issue's body
//! (the manifest and the checklist as it was at start), and each member's
//! comments (a short summary for people, the member's own events in a
//! versioned block for flightdeck). Pure text in, text out: the transport is
//! [`super::share_github`].

use super::share_dir::{FORMAT, FORMAT_VERSION, Manifest, sha256};
use crate::timeline::Event;
use serde::{Deserialize, Serialize};

/// The marker that starts the body's data block.
const SHARE_MARK: &str = "<!-- flightdeck-share v";
/// The marker that starts a comment's events.
const EVENTS_MARK: &str = "<!-- flightdeck-events v";
/// What a comment's header says it is.
pub(crate) const EVENTS_FORMAT: &str = "flightdeck-events";
/// GitHub refuses a body or comment longer than this many characters.
pub(crate) const GITHUB_LIMIT: usize = 65_536;
/// A comment is filled up to this many characters (room for the summary and a margin).
pub(crate) const SHARD_BUDGET: usize = 60_000;

/// What the issue's body carries for flightdeck: the manifest and the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IssueData {
    #[serde(flatten)]
    pub(crate) manifest: Manifest,
    /// The checklist exactly as it was at start; its sha256 is in the manifest.
    pub(crate) checklist: String,
}

/// Why a body is not one flightdeck can join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// No `<!-- flightdeck-share v… -->` block.
    NotFlightdeck,
    /// A format version this build does not read.
    Version(u64),
    /// The block is there but damaged.
    Damaged(String),
    /// The checklist does not match its sha256.
    Checksum { expected: String, found: String },
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::NotFlightdeck => write!(
                f,
                "not a flightdeck tracking issue (its body has no `{SHARE_MARK}1 -->` block)\n  join the issue that `flightdeck start --share OWNER/REPO` opened"
            ),
            BodyError::Version(v) => write!(
                f,
                "share format version {v}, this flightdeck reads version {FORMAT_VERSION}\n  use the same flightdeck version as the rest of the crew"
            ),
            BodyError::Damaged(why) => write!(
                f,
                "the flightdeck block in the issue's body is damaged ({why})\n  it must not be edited by hand: ask the pilot to share the release again"
            ),
            BodyError::Checksum { expected, found } => write!(
                f,
                "the checklist in the issue's body does not match its sha256 ({expected}, found {found})\n  the plan would differ between machines: ask the pilot to share the release again"
            ),
        }
    }
}

/// The body: what people read (`human`), then the data block flightdeck reads.
pub(crate) fn render_body(human: &str, data: &IssueData) -> String {
    // One line of JSON: a checklist's own backticks or blank lines cannot end the fence.
    let json = serde_json::to_string(data).unwrap_or_default();
    format!(
        "{human}\n\n{SHARE_MARK}{FORMAT_VERSION}: written by flightdeck, do not edit below -->\n<details><summary>flightdeck data (the checklist as it was at start)</summary>\n\n```json\n{json}\n```\n\n</details>\n"
    )
}

/// The data block of a body, checked (format, version, checksum).
pub(crate) fn parse_body(body: &str) -> Result<IssueData, BodyError> {
    let (version, block) = block_after(body, SHARE_MARK).ok_or(BodyError::NotFlightdeck)?;
    if version != u64::from(FORMAT_VERSION) {
        return Err(BodyError::Version(version));
    }
    let line = block
        .lines
        .first()
        .ok_or_else(|| BodyError::Damaged("the block is empty".into()))?;
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| BodyError::Damaged(format!("not JSON: {}", short(&e.to_string()))))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(BodyError::Damaged(format!("no `\"format\": \"{FORMAT}\"`")));
    }
    match value.get("format_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) => return Err(BodyError::Version(v)),
        None => return Err(BodyError::Damaged("no format_version".into())),
    }
    let data: IssueData =
        serde_json::from_value(value).map_err(|e| BodyError::Damaged(short(&e.to_string())))?;
    let found = sha256(&data.checklist);
    if found != data.manifest.checklist_sha256 {
        return Err(BodyError::Checksum {
            expected: data.manifest.checklist_sha256.clone(),
            found,
        });
    }
    Ok(data)
}

/// The first line of a comment's block: whose events, of which release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardHeader {
    pub(crate) format: String,
    pub(crate) format_version: u32,
    pub(crate) release: String,
    pub(crate) author: String,
    /// 1, 2, …: a member's comments in the order they were opened.
    pub(crate) shard: u32,
}

/// One member's comment, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) header: ShardHeader,
    pub(crate) events: Vec<Event>,
    /// Lines set aside, each with its line in the block and why.
    pub(crate) refused: Vec<String>,
}

/// A comment read: `None` when it is not flightdeck's (a person's comment),
/// an error (with why) when it claims to be and is not readable.
pub(crate) fn parse_comment(body: &str) -> Option<Result<Shard, String>> {
    let (version, block) = block_after(body, EVENTS_MARK)?;
    Some(read_shard(version, &block))
}

fn read_shard(version: u64, block: &Block<'_>) -> Result<Shard, String> {
    if version != u64::from(FORMAT_VERSION) {
        return Err(format!(
            "events format version {version}, this flightdeck reads version {FORMAT_VERSION} (update flightdeck)"
        ));
    }
    if !block.closed {
        return Err("the events block is cut off (no closing ```)".into());
    }
    let (first, rest) = block
        .lines
        .split_first()
        .ok_or_else(|| "the events block is empty".to_string())?;
    let header: ShardHeader = serde_json::from_str(first).map_err(|e| {
        format!(
            "the block's header is not readable ({})",
            short(&e.to_string())
        )
    })?;
    if header.format != EVENTS_FORMAT || header.format_version != FORMAT_VERSION {
        return Err(format!(
            "the block's header says {} version {}, not {EVENTS_FORMAT} version {FORMAT_VERSION}",
            header.format, header.format_version
        ));
    }
    let mut shard = Shard {
        header,
        events: Vec::new(),
        refused: Vec::new(),
    };
    for (n, line) in rest.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => shard.events.push(e),
            Err(e) => shard.refused.push(format!(
                "line {} of the block: not an event ({})",
                n + 2,
                short(&e.to_string())
            )),
        }
    }
    Ok(shard)
}

/// A member's comment: `summary` for people, then the block.
pub(crate) fn render_comment(header: &ShardHeader, events: &[Event], summary: &str) -> String {
    let mut block = String::new();
    block.push_str(&serde_json::to_string(header).unwrap_or_default());
    block.push('\n');
    for e in events {
        block.push_str(&event_line(e));
        block.push('\n');
    }
    format!(
        "{summary}\n\n<details><summary>flightdeck data: {} event{} (written by flightdeck, do not edit)</summary>\n\n{EVENTS_MARK}{FORMAT_VERSION} -->\n```jsonl\n{block}```\n\n</details>\n",
        events.len(),
        if events.len() == 1 { "" } else { "s" }
    )
}

/// One event as it travels: the JSON of the log, without the checksum.
pub(crate) fn event_line(e: &Event) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

/// Where new events go: the tail that still fits the member's last comment
/// (`existing` characters long now; `None` when there is none) and the new
/// comments, each within [`SHARD_BUDGET`] characters. An event alone over the
/// budget gets a comment of its own (GitHub refuses it, and says so).
pub(crate) fn split(existing: Option<usize>, events: Vec<Event>) -> (Vec<Event>, Vec<Vec<Event>>) {
    let mut into_existing = Vec::new();
    let mut fresh: Vec<Vec<Event>> = Vec::new();
    let mut filling_existing = existing.is_some();
    let mut used = existing.unwrap_or(SHARD_BUDGET);
    for e in events {
        let len = event_line(&e).chars().count() + 1;
        if used + len > SHARD_BUDGET {
            if filling_existing || fresh.last().is_none_or(|s| !s.is_empty()) {
                fresh.push(Vec::new());
            }
            filling_existing = false;
            used = OVERHEAD;
        }
        used += len;
        match fresh.last_mut() {
            Some(shard) if !filling_existing => shard.push(e),
            _ => into_existing.push(e),
        }
    }
    (into_existing, fresh)
}

/// What a comment costs besides its event lines (summary, header, markup).
pub(crate) const OVERHEAD: usize = 2_000;

/// A block after a marker: its version and its fenced lines.
struct Block<'a> {
    lines: Vec<&'a str>,
    closed: bool,
}

fn block_after<'a>(text: &'a str, mark: &str) -> Option<(u64, Block<'a>)> {
    let start = text.find(mark)?;
    let after = &text[start + mark.len()..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    let version = digits.parse::<u64>().unwrap_or(0);
    let mut lines = after.lines().skip(1);
    // The fence opens on the first line that starts with ``` after the marker.
    let mut open = false;
    for line in lines.by_ref() {
        if line.trim_start().starts_with("```") {
            open = true;
            break;
        }
    }
    let mut block = Block {
        lines: Vec::new(),
        closed: false,
    };
    if !open {
        return Some((version, block));
    }
    for line in lines {
        if line.trim() == "```" {
            block.closed = true;
            break;
        }
        block.lines.push(line.trim_end_matches('\r'));
    }
    Some((version, block))
}

/// serde's messages can quote a whole value: keep them short.
fn short(text: &str) -> String {
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
#[path = "issue_format_tests.rs"]
mod tests;
