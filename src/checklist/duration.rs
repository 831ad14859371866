//! Human durations as written in checklists and config: `90s`, `15m`, `2h`, `1h30m`, `3d`.

use std::time::Duration;

/// Parses a duration made of `<number><unit>` pieces (units `s`, `m`, `h`, `d`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let hint = "write a duration such as `90s`, `15m`, `2h`, `1h30m` or `3d`";
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("empty duration: {hint}"));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("bad duration `{text}`: unknown unit `{c}`; {hint}")),
        };
        let n: u64 = digits.parse().map_err(|_| {
            format!("bad duration `{text}`: a number must come before `{c}`; {hint}")
        })?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("duration `{text}` is too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "bad duration `{text}`: `{digits}` has no unit; {hint}"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration compactly for the screen and exports: `45s`, `12m`, `2h05m`, `3d4h`.
pub(crate) fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compound_durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "10", "h", "5x", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn formats_for_humans() {
        assert_eq!(format_duration(Duration::from_secs(45)), "45s");
        assert_eq!(format_duration(Duration::from_secs(125 * 60)), "2h05m");
        assert_eq!(format_duration(Duration::from_secs(86_400 + 7200)), "1d2h");
    }
}
