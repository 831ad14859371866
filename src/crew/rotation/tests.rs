use super::*;
use chrono::Weekday;

const CADENCE: &str = r#"
[cadence]
start = 2027-01-01
every_months = 2
week = 2
weekday = "monday"
"#;

fn team(extra: &str) -> Team {
    let text = format!(
        r#"{CADENCE}
[[member]]
login = "bob"
name = "Bob Ross"
joined = 2026-11-01

[[member]]
login = "jane"
name = "Jane Doe"
joined = 2026-11-02

[[member]]
login = "tobby"
name = "Tobby Smith"
joined = 2026-12-01

[[member]]
login = "elvis"
name = "Elvis Presley"
joined = 2027-01-01
{extra}"#
    );
    match Team::parse("team.toml", &text) {
        Ok(t) => t,
        Err(d) => panic!("{}", crate::diag::Diagnostics(d)),
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// `pilot / co-pilot` rows with `*` after a newcomer, as in the issue's table.
fn rows(team: &Team, n: usize) -> Vec<String> {
    let name = |s: Option<Seat>| match s {
        Some(s) => format!(
            "{}{}",
            team.members[s.member].login,
            if s.new { "*" } else { "" }
        ),
        None => "-".into(),
    };
    Planner::new(team)
        .take(n)
        .map(|r| format!("{} {} / {}", r.number, name(r.pilot), name(r.copilot)))
        .collect()
}

fn notes(team: &Team, n: u32) -> Vec<String> {
    Planner::new(team)
        .find(|r| r.number == n)
        .map(|r| r.notes)
        .unwrap_or_default()
}

#[test]
fn the_conda_example_is_reproduced_exactly() {
    let t = team("");
    assert_eq!(
        rows(&t, 5),
        [
            "1 bob* / jane*",
            "2 jane / bob",
            "3 jane / tobby*",
            "4 tobby / jane",
            "5 tobby / elvis*",
        ]
    );
    // And it goes on: Elvis pilots twice, then the line starts again with Bob.
    assert_eq!(
        rows(&t, 9)[5..],
        [
            "6 elvis / tobby",
            "7 elvis / bob",
            "8 bob / elvis",
            "9 bob / jane"
        ]
    );
    assert!(Planner::new(&t).take(9).all(|r| r.notes.is_empty()));
}

#[test]
fn releases_come_every_two_months_on_the_second_monday() {
    let t = team("");
    let dates: Vec<String> = Planner::new(&t)
        .take(4)
        .map(|r| r.date.format("%Y-%m-%d %a").to_string())
        .collect();
    assert_eq!(
        dates,
        [
            "2027-01-11 Mon",
            "2027-03-08 Mon",
            "2027-05-10 Mon",
            "2027-07-12 Mon"
        ]
    );
}

#[test]
fn a_release_day_that_falls_on_a_forbidden_weekday_moves_forward() {
    // The 12th: a Friday in March 2027 and November 2027.
    let text = r#"
[cadence]
start = 2027-03-01
every_months = 2
day = 12
not_on = ["fri"]

[[member]]
login = "bob"

[[member]]
login = "jane"
"#;
    let t = Team::parse("t.toml", text).expect("valid");
    let r: Vec<PlannedRelease> = Planner::new(&t).take(5).collect();
    assert_eq!(r[0].date, d("2027-03-15"), "Friday → Monday (not Saturday)");
    assert_eq!(
        r[0].notes,
        ["moved from Fri 2027-03-12: not on Fridays (the team file)"]
    );
    assert_eq!(r[1].date, d("2027-05-12"), "a Wednesday stays");
    assert!(r[1].notes.is_empty());
    // 2027-09-12 is a Sunday: weekends are always avoided.
    assert_eq!(r[3].date, d("2027-09-13"));
    assert_eq!(
        r[3].notes,
        ["moved from Sun 2027-09-12: no releases at weekends"]
    );
    assert_eq!(r[4].date, d("2027-11-15"));
}

#[test]
fn a_newcomer_who_is_away_keeps_their_place_in_line() {
    // Tobby is away for release 3 (2027-05-10): Elvis joins instead, Tobby next time.
    let t = team("");
    let mut t2 = t.clone();
    t2.members[2].away.push(team::Away {
        from: d("2027-05-01"),
        to: d("2027-05-20"),
    });
    assert_eq!(
        rows(&t2, 7),
        [
            "1 bob* / jane*",
            "2 jane / bob",
            "3 jane / elvis*",
            "4 elvis / jane",
            "5 elvis / tobby*",
            "6 tobby / elvis",
            "7 tobby / bob",
        ]
    );
    assert_eq!(
        notes(&t2, 3),
        ["tobby is away 2027-05-01 … 2027-05-20, so elvis is next in line"]
    );
    assert_eq!(rows(&t2, 2), rows(&t, 2), "the past does not change");
}

#[test]
fn an_absent_pilot_gets_a_stand_in_for_that_release_only() {
    // Jane is away for release 3 (2027-05-10), her second as pilot.
    let t = team(
        r#"
[[member]]
login = "zed"
joined = 2027-02-01
"#,
    );
    let mut t = t;
    t.members[1].away.push(team::Away {
        from: d("2027-05-03"),
        to: d("2027-05-14"),
    });
    assert_eq!(
        rows(&t, 5),
        [
            "1 bob* / jane*",
            "2 jane / bob",
            "3 bob / tobby*",
            "4 tobby / jane",
            "5 tobby / elvis*",
        ]
    );
    assert_eq!(
        notes(&t, 3),
        ["jane is away 2027-05-03 … 2027-05-14: bob pilots instead"]
    );
    assert!(notes(&t, 4).is_empty(), "jane is back for her hand-over");
}

#[test]
fn an_absent_copilot_is_covered_by_the_next_in_line() {
    // Jane is away for release 4 (2027-07-12), her hand-over.
    let mut t = team("");
    t.members[1].away.push(team::Away {
        from: d("2027-07-01"),
        to: d("2027-07-31"),
    });
    assert_eq!(
        rows(&t, 6),
        [
            "1 bob* / jane*",
            "2 jane / bob",
            "3 jane / tobby*",
            "4 tobby / elvis*",
            "5 tobby / elvis",
            "6 elvis / tobby",
        ]
    );
    assert_eq!(
        notes(&t, 4),
        ["jane is away 2027-07-01 … 2027-07-31: elvis co-pilots instead"]
    );
}

#[test]
fn a_member_who_leaves_hands_their_turn_on() {
    // Jane leaves before release 3: Bob takes over her turn (pilot 3, hand-over 4).
    let t = team("");
    let mut t2 = t.clone();
    t2.members[1].left = Some(d("2027-04-01"));
    assert_eq!(
        rows(&t2, 8),
        [
            "1 bob* / jane*",
            "2 jane / bob",
            "3 bob / tobby*",
            "4 tobby / bob",
            "5 tobby / elvis*",
            "6 elvis / tobby",
            "7 elvis / bob",
            "8 bob / elvis",
        ]
    );
    assert_eq!(
        notes(&t2, 3),
        ["jane left the rotation on 2027-04-01: bob takes over their turn"]
    );
    assert!(
        notes(&t2, 4).is_empty(),
        "the turn is Bob's now: no stand-in"
    );
    // `active = false` is the same hand-over, from the start.
    let mut t3 = t.clone();
    t3.members[0].active = false;
    assert_eq!(
        rows(&t3, 3),
        ["1 jane* / tobby*", "2 tobby / jane", "3 tobby / elvis*"]
    );
}

#[test]
fn a_swap_trades_places_from_its_release_on() {
    let t = team("\n[[swap]]\nrelease = 4\nmembers = [\"tobby\", \"elvis\"]\n");
    assert_eq!(
        rows(&t, 6),
        [
            "1 bob* / jane*",
            "2 jane / bob",
            "3 jane / tobby*",
            "4 elvis* / jane",
            "5 elvis / tobby",
            "6 tobby / elvis",
        ]
    );
    assert_eq!(
        notes(&t, 4),
        ["from here on tobby and elvis trade places (a [[swap]] in the team file)"]
    );
}

#[test]
fn members_join_the_line_only_once_they_joined_the_rotation() {
    let mut t = team("");
    t.members[2].joined = Some(d("2027-06-01")); // after release 3 (2027-05-10)
    assert_eq!(
        rows(&t, 5)[2..],
        ["3 jane / elvis*", "4 elvis / jane", "5 elvis / tobby*"]
    );
    assert!(notes(&t, 3).is_empty(), "not having joined yet is no skip");
}

#[test]
fn a_team_of_two_alternates_and_a_team_of_one_flies_alone() {
    let mut t = team("");
    t.members.truncate(2);
    assert_eq!(
        rows(&t, 5),
        [
            "1 bob* / jane*",
            "2 jane / bob",
            "3 jane / bob",
            "4 bob / jane",
            "5 bob / jane"
        ]
    );
    t.members.truncate(1);
    let r: Vec<PlannedRelease> = Planner::new(&t).take(2).collect();
    assert!(r.iter().all(|r| r.pilot.is_some() && r.copilot.is_none()));
    assert_eq!(r[0].notes, ["nobody is free: no one co-pilots"]);
}

#[test]
fn everyone_away_leaves_seats_empty_without_panicking() {
    let mut t = team("");
    for m in &mut t.members {
        m.away.push(team::Away {
            from: d("2027-01-01"),
            to: d("2027-12-31"),
        });
    }
    let r: Vec<PlannedRelease> = Planner::new(&t).take(8).collect();
    assert!(
        r[..6]
            .iter()
            .all(|r| r.pilot.is_none() && r.copilot.is_none())
    );
    assert_eq!(rows(&t, 7)[6], "7 bob* / jane*", "2028: back to the rule");
}

#[test]
fn next_release_gives_the_crew_for_start() {
    let t = team("");
    let (p, c) = next_release(&t, d("2027-05-11")).expect("crew");
    assert_eq!((p.as_str(), c.as_str()), ("tobby", "jane"), "release 4");
    let (p, c) = next_release(&t, d("2027-05-10")).expect("crew");
    assert_eq!(
        (p.as_str(), c.as_str()),
        ("jane", "tobby"),
        "release 3, that day"
    );
    let mut alone = t.clone();
    alone.members.truncate(1);
    let e = next_release(&alone, d("2027-01-01")).unwrap_err();
    assert!(e.contains("has no co-pilot"), "{e}");
}

#[test]
fn plan_shows_releases_from_a_day_and_is_bounded() {
    let t = team("");
    let r = plan(&t, d("2027-04-01"), 3).expect("plan");
    assert_eq!(
        r.iter().map(|r| r.number).collect::<Vec<_>>(),
        [3, 4, 5],
        "numbers count from the rotation's start, not from --from"
    );
    let e = plan(&t, d("9999-01-01"), 3).unwrap_err();
    assert!(e.contains("more than 10000 releases"), "{e}");
}

#[test]
fn weekday_names_match_the_checklists() {
    let text = format!("{CADENCE}not_on = [\"Fri\", \"tuesday\"]\n[[member]]\nlogin = \"a\"\n");
    let t = Team::parse("t.toml", &text).expect("valid");
    let days: Vec<Weekday> = t.cadence.not_on.iter().map(|(d, _)| *d).collect();
    assert_eq!(days, [Weekday::Fri, Weekday::Tue]);
}

#[test]
fn logins_follow_github_rules() {
    for ok in ["a", "jane-doe", "J4ne", &"x".repeat(39)] {
        assert!(team::Login::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "-jane",
        "jane-",
        "ja--ne",
        "jane_doe",
        "jané",
        "a b",
        &"x".repeat(40),
    ] {
        assert!(team::Login::parse(bad).is_err(), "{bad}");
    }
    let e = team::Login::parse("ja\u{1b}[2Jne").unwrap_err();
    assert!(!e.contains('\u{1b}'), "{e:?}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn arb_member() -> impl Strategy<Value = team::Member> {
        (
            0..400i64,
            prop::collection::vec((0..900i64, 0..60i64), 0..3),
            prop::option::of(0..900i64),
            prop::bool::weighted(0.9),
        )
            .prop_map(|(joined, away, left, active)| {
                let day = |n: i64| d("2027-01-01") + chrono::Duration::days(n - 100);
                team::Member {
                    login: team::Login::parse("x").expect("login"),
                    name: String::new(),
                    joined: Some(day(joined)),
                    away: away
                        .into_iter()
                        .map(|(from, len)| team::Away {
                            from: day(from),
                            to: day(from + len),
                        })
                        .collect(),
                    left: left.map(day),
                    active,
                }
            })
    }

    proptest! {
        /// Whatever the team, the plan never panics, never seats anyone who
        /// cannot fly that day, never seats one person twice, and moves forward.
        #[test]
        fn the_plan_only_seats_people_who_can_fly(
            members in prop::collection::vec(arb_member(), 1..7),
            swaps in prop::collection::vec((1..30u32, 0..7usize, 0..7usize), 0..3),
            every in 1..13u32,
            day in 1..29u8,
            not_on in prop::collection::vec(0..5u8, 0..3),
        ) {
            let mut t = team("");
            let n = members.len();
            t.members = members;
            t.swaps = swaps
                .into_iter()
                .filter(|(_, a, b)| a % n != b % n)
                .map(|(release, a, b)| team::Swap { release, members: [a % n, b % n] })
                .collect();
            t.cadence.every_months = every;
            t.cadence.day = team::DayRule::Day(day);
            t.cadence.not_on = not_on
                .into_iter()
                .map(|w| (Weekday::try_from(w).unwrap_or(Weekday::Mon), String::new()))
                .collect();
            let mut last = None;
            for r in Planner::new(&t).take(40) {
                prop_assert!(last < Some(r.date), "dates go forward");
                last = Some(r.date);
                prop_assert!(!matches!(r.date.weekday(), Weekday::Sat | Weekday::Sun));
                for s in [r.pilot, r.copilot].into_iter().flatten() {
                    let m = &t.members[s.member];
                    prop_assert!(m.unavailable(r.date).is_none(), "{:?} on {}", m, r.date);
                }
                if let (Some(p), Some(c)) = (r.pilot, r.copilot) {
                    prop_assert_ne!(p.member, c.member);
                }
            }
        }
    }
}

#[test]
fn the_checklist_s_gates_forbid_days_too() {
    let text = "[cadence]\nstart = 2027-01-01\nweekday = \"friday\"\nchecklist = \"conda\"\n\n[[member]]\nlogin = \"a\"\n";
    let d = Team::parse("t.toml", text).unwrap_err();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].col), (3, 11));
    assert!(
        d[0].message.starts_with(
            "releases fall on a Friday but the cadence forbids it: not on Fridays (a gate of step `"
        ),
        "{}",
        d[0]
    );
    let text = text
        .replace("friday", "monday")
        .replace("\"conda\"", "\"nope.toml\"");
    let d = Team::parse("t.toml", &text).unwrap_err();
    assert_eq!(d[0].message, "no checklist at nope.toml");
}
