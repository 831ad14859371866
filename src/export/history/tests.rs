use super::render::{ChartStyle, chart, hours, soak_lines};
use super::*;
use chrono::{DateTime, TimeDelta, Utc};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("time literal")
}

/// A release tagged an hour after its start, watched for 30 days, with its
/// first bug `bug_hours` after the tag (none when `None`).
fn release(n: usize, bug_minutes: Option<i64>) -> Figures {
    let started_at = t("2025-01-01T08:00:00Z") + TimeDelta::days(60 * n as i64);
    let tag = started_at + TimeDelta::hours(1);
    Figures {
        id: format!("conda-25.{n}.0"),
        name: "conda".into(),
        version: format!("25.{n}.0"),
        started_at,
        tagged_at: Some(tag),
        channels: BTreeMap::new(),
        skew: None,
        prs: BTreeMap::new(),
        first_bug: bug_minutes.map(|m| Bug {
            repo: "conda/conda".into(),
            number: 100 + n as u64,
            at: tag + TimeDelta::minutes(m),
            after_tag: TimeDelta::minutes(m),
        }),
        watched_until: tag + TimeDelta::days(30),
        soak_gate: Some(("all-clear".into(), TimeDelta::hours(24))),
    }
}

#[test]
fn the_median_of_an_even_count_is_the_mean_of_the_two_middle_values() {
    let h = |v: &[i64]| {
        median(&v.iter().map(|m| TimeDelta::minutes(*m)).collect::<Vec<_>>())
            .map(|d| d.num_seconds())
    };
    assert_eq!(h(&[]), None);
    assert_eq!(h(&[50]), Some(3000));
    assert_eq!(h(&[240, 60, 120]), Some(7200));
    // 1h and 2h (the middle of 0h, 1h, 2h, 4h): 1h30m.
    assert_eq!(h(&[240, 0, 120, 60]), Some(5400));
    // An odd number of seconds between the middle two rounds down.
    let odd = median(&[TimeDelta::seconds(1), TimeDelta::seconds(2)]);
    assert_eq!(odd, Some(TimeDelta::seconds(1)));
}

#[test]
fn nine_in_ten_of_the_last_ten_regressions_set_the_soak() {
    // Twelve releases with a bug; only the last ten count. The first two
    // (5 days and 6 days) are forgotten; of the last ten the slowest (80h)
    // is the one in ten the suggestion lets go; the ninth is 31h.
    let mut minutes: Vec<i64> = vec![5 * 1440, 6 * 1440];
    minutes.extend([
        120,
        31 * 60,
        600,
        80 * 60,
        19 * 60,
        300,
        45,
        25 * 60,
        30 * 60,
        1,
    ]);
    let mut releases: Vec<Figures> = minutes
        .iter()
        .enumerate()
        .map(|(i, m)| release(i, Some(*m)))
        .collect();
    releases.push(release(12, None));
    let h = teach(releases);
    let s = h.soak.clone().expect("a suggestion");
    assert_eq!((s.considered, s.covered), (10, 9));
    assert_eq!(s.within, TimeDelta::hours(31));
    assert_eq!(s.suggested, TimeDelta::hours(48));
    // The 24h gate would have caught 120m, 600m, 19h, 300m, 45m and 1m: 6 of 10.
    assert_eq!(
        s.gate,
        Some(("all-clear".to_string(), TimeDelta::hours(24), 6))
    );
    assert_eq!(
        soak_lines(&h),
        vec![
            "in 9 of the last 10 releases that had a regression, the first came within 31h: a 48h soak would have caught it".to_string(),
            "the checklist's soak (step `all-clear`) is 24h: counted from the tag, it would have caught the first regression in 6 of those 10; suggested: soak = \"48h\"".to_string(),
        ]
    );
}

#[test]
fn a_soak_is_whole_days_and_a_long_enough_gate_says_so() {
    let h = teach(vec![release(1, Some(3 * 60)), release(2, None)]);
    let s = h.soak.clone().expect("a suggestion");
    assert_eq!((s.considered, s.covered), (1, 1));
    assert_eq!(s.suggested, TimeDelta::hours(24));
    assert_eq!(
        soak_lines(&h),
        vec![
            "in the one release that had a regression, it came 3h after the tag: a 24h soak would have caught it".to_string(),
            "the checklist's soak (step `all-clear`) is 24h: counted from the tag, it would have caught it; long enough".to_string(),
        ]
    );
    let quiet = teach(vec![release(1, None)]);
    assert_eq!(quiet.soak, None);
    assert_eq!(
        soak_lines(&quiet),
        vec!["no regression was filed after the tag of the one tagged release: nothing suggests changing the checklist's 24h soak (step `all-clear`)".to_string()]
    );
}

#[test]
fn a_release_without_a_bug_counts_in_a_rate_only_once_watched_that_long() {
    let mut short = release(3, None);
    short.watched_until = short.tagged_at.expect("tagged") + TimeDelta::hours(30);
    let mut untagged = release(4, None);
    untagged.tagged_at = None;
    let h = teach(vec![
        release(1, Some(20 * 60)),
        release(2, Some(50 * 60)),
        short,
        untagged,
    ]);
    let rates: Vec<(&str, usize, usize)> =
        h.rates.iter().map(|r| (r.label, r.filed, r.of)).collect();
    // 24h: 20h filed; 50h not; 30h watched, nothing. 72h: the short one never watched that long.
    assert_eq!(rates, vec![("24h", 1, 3), ("72h", 2, 2), ("a week", 2, 2)]);
}

#[test]
fn hours_never_turn_into_days() {
    assert_eq!(hours(TimeDelta::minutes(45)), "45m");
    assert_eq!(hours(TimeDelta::hours(31)), "31h");
    assert_eq!(hours(TimeDelta::minutes(150)), "2h30m");
    assert_eq!(hours(TimeDelta::minutes(-65)), "-1h05m");
    assert_eq!(hours(TimeDelta::days(7)), "168h");
}

#[test]
fn the_chart_fits_the_width_in_plain_characters_and_marks_the_soak() {
    let h = teach(vec![
        release(1, Some(19 * 60)),
        release(2, Some(31 * 60)),
        release(3, None),
    ]);
    for width in [40, 80, 200] {
        let text = chart(
            &h,
            ChartStyle {
                width,
                color: false,
            },
        );
        for (i, line) in text.lines().enumerate() {
            assert!(line.chars().count() <= width, "{width}: {line:?}");
            assert!(i == 0 || line.is_ascii(), "plain characters: {line:?}");
        }
    }
    let text = chart(
        &h,
        ChartStyle {
            width: 80,
            color: false,
        },
    );
    assert!(!text.contains('\x1b'), "no colour codes: {text}");
    let lines: Vec<&str> = text.lines().collect();
    // 31h in the 54 cells left at 80 columns: a # an hour; the 24h mark is the 25th cell.
    assert_eq!(
        lines[0],
        "tag → first bug (# = 1h; | = the 24h soak of step `all-clear`)"
    );
    assert_eq!(
        lines[1],
        format!("conda-25.1.0  {}{}|  19h", "#".repeat(19), " ".repeat(5))
    );
    assert_eq!(
        lines[2],
        format!("conda-25.2.0  {}|{}  31h", "#".repeat(24), "#".repeat(6))
    );
    assert_eq!(
        lines[3],
        format!("conda-25.3.0  {}|  none filed", " ".repeat(24))
    );
    let colored = chart(
        &h,
        ChartStyle {
            width: 80,
            color: true,
        },
    );
    assert!(colored.contains("\x1b[31m"), "a late bug is red: {colored}");
    assert!(
        colored.contains("\x1b[32m"),
        "a caught bug is green: {colored}"
    );
}
