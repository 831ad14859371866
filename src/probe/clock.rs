//! The sources' own clocks (issue 15).
//!
//! An event's `at` is the source's time (`merged_at`, a record's `timestamp`,
//! `upload_time`). Measuring "how long ago" against the local clock mixes two
//! clocks: a laptop whose clock is off, or a cockpit flying against a simulated
//! world whose time is weeks away, would read "merged 21 d ago" for a merge of a
//! minute ago. Every HTTP reply carries the source's clock in its `Date` header;
//! the probes note the offset between it and the local clock, and the cockpit
//! measures ages as source-now minus event time, and says so when the local
//! clock differs by more than a minute.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::{DATE, HeaderMap};
use std::collections::BTreeMap;

/// How far a source's clock is from ours before the cockpit says so.
pub(crate) const CLOCK_WARNING: TimeDelta = TimeDelta::minutes(1);

/// How much an offset must move before the probes tell the cockpit again:
/// `Date` has whole seconds and replies take time, so small moves are noise.
pub(crate) const CLOCK_JITTER: TimeDelta = TimeDelta::seconds(5);

/// Offsets beyond this are ignored (and keep every sum of times far from overflow).
pub(crate) const MAX_OFFSET: TimeDelta = TimeDelta::days(3660);

/// One source's clock against the local one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockReading {
    /// Who answered: `GitHub`, a channel's name, `PyPI`.
    pub(crate) source: String,
    /// Source time minus local time (positive: the source is ahead of us).
    pub(crate) offset: TimeDelta,
}

/// The `Date` header of a reply (RFC 9110's IMF-fixdate, or any RFC 2822 date).
pub(crate) fn date_header(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let v = headers.get(DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(v.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The offset of the clock that wrote `date` against `local`, the local time the
/// reply arrived. `Date` is cut to the second and written before the reply
/// travels, so the offset errs by up to a second or so towards "the source is behind".
pub(crate) fn offset(date: DateTime<Utc>, local: DateTime<Utc>) -> TimeDelta {
    date - local
}

/// Whether a new offset is worth a message (the first one always is).
pub(crate) fn worth_telling(previous: Option<TimeDelta>, new: TimeDelta) -> bool {
    previous.is_none_or(|p| (new - p).abs() >= CLOCK_JITTER)
}

/// Tells the cockpit about one source's clock: the first reading, then moves
/// of more than [`CLOCK_JITTER`].
#[derive(Debug, Default)]
pub(crate) struct Teller {
    last: Option<TimeDelta>,
}

impl Teller {
    /// The offset last told (source minus local), if any.
    pub(crate) fn offset(&self) -> Option<TimeDelta> {
        self.last
    }

    /// The reading to send for a reply dated `date` that arrived at local time `local`, if any.
    pub(crate) fn reading(
        &mut self,
        source: &str,
        date: DateTime<Utc>,
        local: DateTime<Utc>,
    ) -> Option<ClockReading> {
        let offset = offset(date, local);
        // Ten years off is a server's broken header, not a clock worth measuring by.
        if offset.abs() > MAX_OFFSET {
            return None;
        }
        worth_telling(self.last, offset).then(|| {
            self.last = Some(offset);
            ClockReading {
                source: source.to_string(),
                offset,
            }
        })
    }
}

/// The one best estimate from every source's reading: the lower median, so one
/// source with a strange clock does not move the cockpit's. GitHub's own reading
/// is preferred when it agrees with that within a minute (it times the most
/// events, and names the clock best in the warning). A simulated world that runs
/// faster than real time drifts between readings, hence the minute.
pub(crate) fn best(readings: &BTreeMap<String, TimeDelta>) -> Option<(&str, TimeDelta)> {
    let mut all: Vec<(&str, TimeDelta)> = readings.iter().map(|(s, o)| (s.as_str(), *o)).collect();
    all.sort_by_key(|(_, o)| *o);
    let median = *all.get(all.len().checked_sub(1)? / 2)?;
    match readings.get_key_value("GitHub") {
        Some((s, o)) if (*o - median.1).abs() <= CLOCK_WARNING => Some((s.as_str(), *o)),
        _ => Some(median),
    }
}

/// "your clock is 3 min behind GitHub's", when the local clock is off by more than [`CLOCK_WARNING`].
pub(crate) fn warning(source: &str, offset: TimeDelta) -> Option<String> {
    if offset.abs() <= CLOCK_WARNING {
        return None;
    }
    let way = if offset > TimeDelta::zero() {
        "behind"
    } else {
        "ahead of"
    };
    Some(format!(
        "your clock is {} {way} {source}'s",
        span(offset.abs())
    ))
}

/// A positive span, roughly: `3 min`, `2 h 05 min`, `21 d 13 h`.
fn span(d: TimeDelta) -> String {
    let s = d.num_seconds();
    match s {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("a valid time")
    }

    #[test]
    fn the_date_header_is_read_as_servers_write_it() {
        let mut h = HeaderMap::new();
        h.insert(
            DATE,
            "Tue, 10 Nov 2026 13:05:07 GMT".parse().expect("value"),
        );
        assert_eq!(date_header(&h), Some(t("2026-11-10T13:05:07Z")));
        h.insert(DATE, "yesterday".parse().expect("value"));
        assert_eq!(date_header(&h), None);
        assert_eq!(date_header(&HeaderMap::new()), None);
    }

    #[test]
    fn the_warning_says_which_way_and_how_far() {
        let behind = warning("GitHub", TimeDelta::minutes(3) + TimeDelta::seconds(10));
        assert_eq!(
            behind.as_deref(),
            Some("your clock is 3 min behind GitHub's")
        );
        let ahead = warning("conda-forge", -(TimeDelta::days(21) + TimeDelta::hours(13)));
        assert_eq!(
            ahead.as_deref(),
            Some("your clock is 21 d 13 h ahead of conda-forge's")
        );
        assert_eq!(warning("GitHub", TimeDelta::seconds(59)), None);
        assert_eq!(warning("GitHub", TimeDelta::seconds(-60)), None);
    }

    #[test]
    fn the_best_estimate_is_a_sources_own_reading_and_ignores_one_odd_clock() {
        let mut r = BTreeMap::new();
        assert_eq!(best(&r), None);
        r.insert("GitHub".to_string(), TimeDelta::seconds(2));
        assert_eq!(best(&r), Some(("GitHub", TimeDelta::seconds(2))));
        r.insert("PyPI".to_string(), TimeDelta::days(-3));
        r.insert("conda-forge".to_string(), TimeDelta::seconds(3));
        assert_eq!(best(&r), Some(("GitHub", TimeDelta::seconds(2))));
        // Without GitHub, the median source speaks; a lone odd clock never does.
        r.remove("GitHub");
        r.insert("defaults".to_string(), TimeDelta::seconds(4));
        assert_eq!(best(&r), Some(("conda-forge", TimeDelta::seconds(3))));
        // GitHub far from the others: the median wins.
        r.insert("GitHub".to_string(), TimeDelta::hours(5));
        assert_eq!(best(&r), Some(("conda-forge", TimeDelta::seconds(3))));
        assert!(worth_telling(None, TimeDelta::zero()));
        let mut teller = Teller::default();
        let now = t("2026-11-10T13:00:00Z");
        assert_eq!(
            teller.reading("GitHub", t("9999-12-31T23:59:59Z"), now),
            None
        );
        assert!(
            teller
                .reading("GitHub", t("2020-03-01T12:00:00Z"), now)
                .is_some()
        );
        assert_eq!(
            teller.reading("GitHub", t("2020-03-01T12:00:03Z"), now),
            None,
            "jitter"
        );
        assert!(!worth_telling(
            Some(TimeDelta::seconds(1)),
            TimeDelta::seconds(4)
        ));
        assert!(worth_telling(
            Some(TimeDelta::seconds(1)),
            TimeDelta::seconds(-4)
        ));
    }
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod world_tests;
