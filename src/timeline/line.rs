//! One line of the log: an event as JSON with its checksum last (see
//! [`super::event`] for the format), parsed straight into an event, and the
//! CRC-32 that the checksum (and the checkpoint's marks) use.

use super::event::{Event, KNOWN_KINDS, SCHEMA_VERSION};

pub(super) enum LineError {
    Damaged(String),
    TooNew(u64),
}

/// The checksum suffix: `,"sum":"` + 8 hex digits + `"}`.
pub(super) const SUM_OPEN: &[u8] = b",\"sum\":\"";
pub(super) const SUM_LEN: usize = SUM_OPEN.len() + 8 + 2;

/// One line, straight into an event: the generic JSON value is built only
/// when that fails, to say why (too new, an unknown kind, damage).
pub(super) fn parse_line(text: &[u8]) -> Result<Event, LineError> {
    verify_sum(text)?;
    let first = match serde_json::from_slice::<Event>(text) {
        Ok(event) if event.v > SCHEMA_VERSION => return Err(LineError::TooNew(event.v.into())),
        Ok(event) => return Ok(event),
        Err(e) => e,
    };
    let mut value: serde_json::Value = serde_json::from_slice(text)
        .map_err(|e| LineError::Damaged(format!("not JSON ({})", short(&e))))?;
    let v = value.get("v").and_then(|v| v.as_u64()).unwrap_or(0);
    if v > u64::from(SCHEMA_VERSION) {
        return Err(LineError::TooNew(v));
    }
    let invalid = || LineError::Damaged(format!("not a valid event ({})", short(&first)));
    // A kind from a newer build (same schema version): keep the event, fold nothing from it.
    let kind = value
        .get("what")
        .and_then(|w| w.get("kind"))
        .and_then(|k| k.as_str())
        .filter(|k| !KNOWN_KINDS.contains(k))
        .map(str::to_string)
        .ok_or_else(invalid)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "what".into(),
            serde_json::json!({ "kind": "unknown", "of": kind }),
        );
    }
    serde_json::from_value(value).map_err(|_| invalid())
}

/// Checks a line's checksum, if it has one (lines from before checksums have none).
fn verify_sum(text: &[u8]) -> Result<(), LineError> {
    let Some(cut) = text.len().checked_sub(SUM_LEN) else {
        return Ok(());
    };
    let (body, suffix) = text.split_at(cut);
    if !suffix.starts_with(SUM_OPEN) || !suffix.ends_with(b"\"}") {
        return Ok(());
    }
    let hex = &suffix[SUM_OPEN.len()..SUM_OPEN.len() + 8];
    let written = std::str::from_utf8(hex)
        .ok()
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or_else(|| LineError::Damaged("its checksum is not 8 hex digits".into()))?;
    let actual = crc32_finish(crc32_update(crc32_update(!0, body), b"}"));
    if actual != written {
        return Err(LineError::Damaged(format!(
            "checksum mismatch (the line says {written:08x}, its content gives {actual:08x}): \
             it was changed after it was written"
        )));
    }
    Ok(())
}

/// serde's message, cut short: it may repeat a damaged value whole (a 500 KB
/// string makes a 500 KB error), and the line and byte offset already say where.
fn short(e: &serde_json::Error) -> String {
    const MOST: usize = 200;
    let text = e.to_string();
    match text.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}… at column {}", &text[..cut], e.column()),
        None => text,
    }
}

/// An event as one line of the log (with its newline and checksum), for
/// benchmarks that build big logs without an fsync per event.
#[doc(hidden)]
pub fn line_of(event: &Event) -> Vec<u8> {
    let mut line = encode_line(event).unwrap_or_default();
    line.push(b'\n');
    line
}

/// An event as one line (without the newline), its checksum last.
pub(super) fn encode_line(event: &Event) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(event)?;
    let sum = crc32_finish(crc32_update(!0, &line));
    line.pop(); // the closing brace, written back after the checksum
    line.extend_from_slice(SUM_OPEN);
    line.extend_from_slice(format!("{sum:08x}\"}}").as_bytes());
    Ok(line)
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it), one table lookup per byte.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc32_update(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

fn crc32_finish(crc: u32) -> u32 {
    !crc
}

pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    crc32_finish(crc32_update(!0, bytes))
}
