//! The team file: who is in the release rotation, when they are away, and
//! when releases happen. Read through [`crate::diag`], so every problem is
//! reported at once as `file:line:col` with a hint, like a checklist.
//!
//! ```toml
//! name = "conda"
//!
//! [cadence]
//! start = 2027-01-01        # release 1 is the first release day on or after this
//! every_months = 2
//! week = 2                  # the second …
//! weekday = "monday"        # … Monday of the month (or `day = 15`: a day of the month)
//! not_on = ["fri"]          # moved to the next allowed weekday; weekends are always avoided
//! checklist = "checklists/conda.toml"   # also avoid the weekdays its gates forbid
//!
//! [[member]]
//! login = "jane-doe"        # GitHub login
//! name = "Jane Doe"
//! joined = 2026-11-02       # the line is ordered by this (then by file order)
//! away = [{ from = 2027-03-01, to = 2027-03-20 }]
//! left = 2027-09-01         # or `active = false`: hands the seat in, in one line
//!
//! [[swap]]                  # from release 7 on, these two trade places in the line
//! release = 7
//! members = ["jane-doe", "tobby"]
//! ```
//!
//! The format is documented for users in `teams/example.toml` and the README.

use crate::checklist::weekday_name;
use crate::diag::{Diagnostic, Node, NodeValue, Reporter, Spanned, TableReader, closest};
use chrono::{NaiveDate, Weekday};
use std::fmt;
use std::ops::Range;
use std::path::Path;

/// A GitHub login: ASCII letters, digits and single hyphens, neither first nor
/// last, at most 39 characters — so it is safe to print anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Login(String);

impl Login {
    pub(crate) fn parse(s: &str) -> Result<Login, String> {
        let valid_chars = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if s.is_empty()
            || s.len() > 39
            || !valid_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return Err(format!("`{}` is not a GitHub login", clean(s)));
        }
        Ok(Login(s.to_string()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One person in the rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) login: Login,
    /// As written, with control characters removed (it reaches terminals and exports).
    pub(crate) name: String,
    /// When they joined the rotation; `None`: from the start.
    pub(crate) joined: Option<NaiveDate>,
    pub(crate) away: Vec<Away>,
    /// From this day on they are out of the rotation.
    pub(crate) left: Option<NaiveDate>,
    /// `active = false`: never planned.
    pub(crate) active: bool,
}

/// Days (both included) on which a member cannot fly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Away {
    pub(crate) from: NaiveDate,
    pub(crate) to: NaiveDate,
}

impl Away {
    pub(crate) fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// Why a member cannot take a seat on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unavailable {
    NotJoined(NaiveDate),
    Away(Away),
    Left(NaiveDate),
    Inactive,
}

impl Unavailable {
    /// Gone for good: their turn in the line is handed on, not covered.
    pub(crate) fn is_permanent(self) -> bool {
        matches!(self, Unavailable::Left(_) | Unavailable::Inactive)
    }
}

impl Member {
    /// Why they cannot fly on `day`, if they cannot.
    pub(crate) fn unavailable(&self, day: NaiveDate) -> Option<Unavailable> {
        if !self.active {
            return Some(Unavailable::Inactive);
        }
        if let Some(left) = self.left.filter(|l| *l <= day) {
            return Some(Unavailable::Left(left));
        }
        if let Some(joined) = self.joined.filter(|j| *j > day) {
            return Some(Unavailable::NotJoined(joined));
        }
        self.away
            .iter()
            .find(|a| a.contains(day))
            .map(|a| Unavailable::Away(*a))
    }
}

/// Which day of a release month is the release day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayRule {
    /// The `week`-th `weekday` of the month (1 … 4), e.g. the second Monday.
    Nth { week: u8, weekday: Weekday },
    /// A day of the month (1 … 28).
    Day(u8),
}

/// When releases happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cadence {
    /// Release 1 is the first release day on or after this day.
    pub(crate) start: NaiveDate,
    pub(crate) every_months: u32,
    pub(crate) day: DayRule,
    /// Weekdays a release is moved off (forward); Saturday and Sunday always are.
    /// Each with where the rule comes from, for the note that explains a move.
    pub(crate) not_on: Vec<(Weekday, String)>,
}

impl Cadence {
    pub(crate) fn forbids(&self, d: Weekday) -> Option<&str> {
        if matches!(d, Weekday::Sat | Weekday::Sun) {
            return Some("no releases at weekends");
        }
        self.not_on
            .iter()
            .find(|(w, _)| *w == d)
            .map(|(_, why)| why.as_str())
    }
}

/// From release `release` on, two members trade places in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Swap {
    pub(crate) release: u32,
    /// Indices into [`Team::members`].
    pub(crate) members: [usize; 2],
}

/// A valid team file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Team {
    /// Where it was read from, for messages.
    pub(crate) file: String,
    pub(crate) name: Option<String>,
    pub(crate) cadence: Cadence,
    pub(crate) members: Vec<Member>,
    pub(crate) swaps: Vec<Swap>,
}

impl Team {
    /// Reads and validates a team file; every problem is reported as `file:line:col`.
    pub(crate) fn load(path: &Path) -> Result<Team, Vec<Diagnostic>> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Team::parse_in(&file, &text, path.parent()),
            Err(e) => Err(vec![Diagnostic {
                file,
                line: 1,
                col: 1,
                message: format!("cannot read the team file: {e}"),
                hint: Some("check the path; see teams/example.toml for the format".into()),
            }]),
        }
    }

    /// Parses team text; a `checklist` it names is resolved from the current directory.
    #[cfg(test)]
    pub(crate) fn parse(file: &str, text: &str) -> Result<Team, Vec<Diagnostic>> {
        Team::parse_in(file, text, None)
    }

    fn parse_in(file: &str, text: &str, dir: Option<&Path>) -> Result<Team, Vec<Diagnostic>> {
        let mut rep = Reporter::new(file, text);
        let team = Node::parse(&mut rep, text).and_then(|root| read_team(&mut rep, &root, dir));
        match team {
            Some(mut t) if !rep.has_errors() => {
                t.file = file.to_string();
                Ok(t)
            }
            _ => Err(rep.finish()),
        }
    }
}

/// Control characters become nothing: names reach terminals and exports.
pub(crate) fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

const DATE_HINT: &str = "write a date as YYYY-MM-DD, e.g. 2027-03-01";

fn read_team(rep: &mut Reporter<'_>, root: &Node, dir: Option<&Path>) -> Option<Team> {
    let mut top = TableReader::new(rep, root, "the team file")?;
    let name = top.string(rep, "name").map(|s| clean(&s.value));
    let member_nodes = top.tables(rep, "member");
    let members: Vec<(Member, Range<usize>)> = member_nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| read_member(rep, n, i + 1))
        .collect();
    if member_nodes.is_empty() {
        rep.error(
            &(0..0),
            "the team has no members",
            Some("add one [[member]] table per person, with login, name and joined".into()),
        );
    }
    for (i, (m, span)) in members.iter().enumerate() {
        if let Some((first, _)) = members[..i]
            .iter()
            .find(|(o, _)| o.login.as_str().eq_ignore_ascii_case(m.login.as_str()))
        {
            rep.error(
                span,
                format!("`{}` is in the team twice", m.login),
                Some(format!(
                    "GitHub logins ignore case; keep one [[member]] for `{}`",
                    first.login
                )),
            );
        }
    }
    let cadence = match top.node("cadence") {
        Some(node) => read_cadence(rep, node, dir),
        None => {
            rep.error(
                &(0..0),
                "the team file has no [cadence] table",
                Some("add [cadence] with start, every_months, week and weekday (or day)".into()),
            );
            None
        }
    };
    let members: Vec<Member> = members.into_iter().map(|(m, _)| m).collect();
    let swaps = top
        .tables(rep, "swap")
        .into_iter()
        .filter_map(|n| read_swap(rep, n, &members))
        .collect();
    top.finish(rep);
    Some(Team {
        file: String::new(),
        name,
        cadence: cadence?,
        members,
        swaps,
    })
}

/// A member, with the span of their login (for the duplicate check).
fn read_member(rep: &mut Reporter<'_>, node: &Node, n: usize) -> Option<(Member, Range<usize>)> {
    let mut t = TableReader::new(rep, node, format!("member #{n}"))?;
    let login = t.required_string(
        rep,
        "login",
        "give the member's GitHub login: login = \"jane-doe\"",
    );
    let login = login.and_then(|l| match Login::parse(&l.value) {
        Ok(login) => Some((login, l.span)),
        Err(e) => {
            rep.error(
                &l.span,
                e,
                Some("GitHub logins are letters, digits and single hyphens (not first or last), at most 39 characters".into()),
            );
            None
        }
    });
    if let Some((l, _)) = &login {
        t.set_what(format!("member `{l}`"));
    }
    let name = t.string(rep, "name").map(|s| clean(&s.value));
    let joined = date(rep, &mut t, "joined");
    let left = date(rep, &mut t, "left");
    let active = t.bool(rep, "active").unwrap_or(true);
    let mut away = Vec::new();
    for a in t.tables(rep, "away") {
        let Some(mut r) = TableReader::new(rep, a, "an `away` entry") else {
            continue;
        };
        let from = date(rep, &mut r, "from");
        let to = date(rep, &mut r, "to");
        match (from, to) {
            (Some(from), Some(to)) if to < from => rep.error(
                &a.span,
                format!("this absence ends ({to}) before it starts ({from})"),
                Some("swap `from` and `to`".into()),
            ),
            (Some(from), Some(to)) => away.push(Away { from, to }),
            (None, _) | (_, None) if !has_key(a, "from") || !has_key(a, "to") => rep.error(
                &a.span,
                "an `away` entry needs both `from` and `to`",
                Some(
                    "e.g. away = [{ from = 2027-03-01, to = 2027-03-20 }] (both days included)"
                        .into(),
                ),
            ),
            _ => {}
        }
        r.finish(rep);
    }
    t.finish(rep);
    let (login, span) = login?;
    let member = Member {
        name: name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| login.to_string()),
        login,
        joined,
        away,
        left,
        active,
    };
    Some((member, span))
}

fn has_key(node: &Node, key: &str) -> bool {
    node.as_table()
        .is_some_and(|t| t.iter().any(|e| e.key == key))
}

fn read_cadence(rep: &mut Reporter<'_>, node: &Node, dir: Option<&Path>) -> Option<Cadence> {
    let mut t = TableReader::new(rep, node, "[cadence]")?;
    let start = date(rep, &mut t, "start");
    if start.is_none() && !has_key(node, "start") {
        rep.error(
            &t.span(),
            "[cadence] is missing `start`",
            Some(
                "release 1 is the first release day on or after `start`, e.g. start = 2027-01-01"
                    .into(),
            ),
        );
    }
    let every_months = t.integer(rep, "every_months").map_or(Some(2), |n| {
        let ok = (1..=12).contains(&n.value);
        if !ok {
            rep.error(
                &n.span,
                format!("every_months = {} is out of range", n.value),
                Some("use 1 … 12 (2: a release every two months)".into()),
            );
        }
        ok.then_some(n.value as u32)
    });
    let week = t.integer(rep, "week");
    let weekday = t.string(rep, "weekday");
    let day = t.integer(rep, "day");
    let parsed_weekday = weekday.as_ref().and_then(|w| {
        let d = parse_weekday(rep, w);
        if let Some(d) = d.filter(|d| matches!(d, Weekday::Sat | Weekday::Sun)) {
            rep.error(
                &w.span,
                format!(
                    "releases are never planned at weekends, so not on {}s",
                    weekday_name(d)
                ),
                Some("pick a weekday from monday to friday".into()),
            );
        }
        d
    });
    let rule = match (day, week, parsed_weekday) {
        (Some(d), None, None) if weekday.is_none() => {
            let ok = (1..=28).contains(&d.value);
            if !ok {
                rep.error(
                    &d.span,
                    format!("day = {} is out of range", d.value),
                    Some("use 1 … 28, so that every month has that day".into()),
                );
            }
            ok.then_some(DayRule::Day(d.value as u8))
        }
        (Some(d), _, _) => {
            rep.error(
                &d.span,
                "[cadence] has both `day` and `week`/`weekday`",
                Some("keep `day` (a day of the month) or `week` + `weekday` (e.g. the second Monday)".into()),
            );
            None
        }
        (None, week, weekday) => {
            let week = match week {
                Some(w) if (1..=4).contains(&w.value) => Some(w.value as u8),
                Some(w) => {
                    rep.error(
                        &w.span,
                        format!("week = {} is out of range", w.value),
                        Some(
                            "use 1 … 4: week = 2 with weekday = \"monday\" is the second Monday"
                                .into(),
                        ),
                    );
                    None
                }
                None => Some(2),
            };
            Some(DayRule::Nth {
                week: week?,
                weekday: weekday.or(Some(Weekday::Mon))?,
            })
        }
    };
    let mut not_on = Vec::new();
    for w in t.strings(rep, "not_on").unwrap_or_default() {
        if let Some(d) = parse_weekday(rep, &w) {
            not_on.push((d, format!("not on {}s (the team file)", weekday_name(d))));
        }
    }
    if let Some(c) = t.string(rep, "checklist") {
        not_on.extend(checklist_not_on(rep, &c, dir));
    }
    let allowed = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .iter()
    .any(|d| not_on.iter().all(|(w, _)| w != d));
    if !allowed {
        rep.error(
            &t.span(),
            "the cadence forbids every weekday: no release could ever be planned",
            Some("shorten `not_on` (weekends are always avoided)".into()),
        );
    }
    if let (Some(DayRule::Nth { weekday, .. }), Some(w)) = (rule, &weekday)
        && let Some((_, why)) = not_on.iter().find(|(d, _)| *d == weekday)
    {
        rep.error(
            &w.span,
            format!(
                "releases fall on a {} but the cadence forbids it: {why}",
                weekday_name(weekday)
            ),
            Some("pick another weekday, or drop it from `not_on`".into()),
        );
    }
    t.finish(rep);
    Some(Cadence {
        start: start?,
        every_months: every_months?,
        day: rule?,
        not_on,
    })
}

/// The weekdays any gate of a checklist forbids: a release should not start on
/// a day its own checklist would stop.
fn checklist_not_on(
    rep: &mut Reporter<'_>,
    path: &Spanned<String>,
    dir: Option<&Path>,
) -> Vec<(Weekday, String)> {
    let file = dir.map_or_else(
        || Path::new(&path.value).to_path_buf(),
        |d| d.join(&path.value),
    );
    let checklist = if file.is_file() {
        crate::checklist::Checklist::load(&file)
    } else if let Some(text) = crate::checklist::builtin(&path.value) {
        crate::checklist::Checklist::parse(&path.value, text)
    } else {
        rep.error(
            &path.span,
            format!("no checklist at {}", clean(&file.display().to_string())),
            Some("give a path relative to the team file, or a built-in name: conda, conda-store, conda-tandem".into()),
        );
        return Vec::new();
    };
    match checklist {
        Ok(c) => {
            let mut out: Vec<(Weekday, String)> = Vec::new();
            for step in &c.steps {
                for d in step.gate.iter().flat_map(|g| &g.not_on) {
                    if !out.iter().any(|(w, _)| w == d) {
                        out.push((
                            *d,
                            format!(
                                "not on {}s (a gate of step `{}`)",
                                weekday_name(*d),
                                step.id
                            ),
                        ));
                    }
                }
            }
            out
        }
        Err(d) => {
            rep.error(
                &path.span,
                format!(
                    "the checklist {} has {} error(s)",
                    clean(&path.value),
                    d.len()
                ),
                Some(format!("run `flightdeck check {}`", clean(&path.value))),
            );
            Vec::new()
        }
    }
}

fn read_swap(rep: &mut Reporter<'_>, node: &Node, members: &[Member]) -> Option<Swap> {
    let mut t = TableReader::new(rep, node, "a [[swap]]")?;
    let release = t.integer(rep, "release");
    if release.is_none() && !has_key(node, "release") {
        rep.error(
            &node.span,
            "a [[swap]] is missing `release`",
            Some("from which release on the two trade places, e.g. release = 7".into()),
        );
    }
    let release = release.and_then(|r| match u32::try_from(r.value) {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            rep.error(
                &r.span,
                format!("release = {} is not a release number", r.value),
                Some("releases count from 1".into()),
            );
            None
        }
    });
    let names = t.strings(rep, "members").unwrap_or_default();
    let logins: Vec<&str> = members.iter().map(|m| m.login.as_str()).collect();
    let mut found = Vec::new();
    for n in &names {
        match members
            .iter()
            .position(|m| m.login.as_str().eq_ignore_ascii_case(&n.value))
        {
            Some(i) => found.push(i),
            None => {
                let hint = closest(&n.value, &logins)
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                rep.error(
                    &n.span,
                    format!("`{}` is not a member of the team", clean(&n.value)),
                    Some(match logins.is_empty() {
                        true => "name members of the team, by login".to_string(),
                        false => format!("{hint}members: {}", logins.join(", ")),
                    }),
                );
            }
        }
    }
    let pair = match found[..] {
        [a, b] if a != b => Some([a, b]),
        _ => {
            if names.len() != 2 || found.len() == 2 {
                rep.error(
                    &node.span,
                    "a [[swap]] names two different members",
                    Some("e.g. members = [\"jane-doe\", \"tobby\"]".into()),
                );
            }
            None
        }
    };
    t.finish(rep);
    Some(Swap {
        release: release?,
        members: pair?,
    })
}

fn parse_weekday(rep: &mut Reporter<'_>, w: &Spanned<String>) -> Option<Weekday> {
    let d = w.value.parse::<Weekday>().ok();
    if d.is_none() {
        let names = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        let hint = closest(&w.value.to_ascii_lowercase(), &names)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        rep.error(
            &w.span,
            format!("unknown weekday `{}`", clean(&w.value)),
            Some(format!("{hint}use monday … sunday (or mon … sun)")),
        );
    }
    d
}

/// A date, written as a TOML date (`2027-03-01`) or a string.
fn date(rep: &mut Reporter<'_>, t: &mut TableReader<'_>, key: &'static str) -> Option<NaiveDate> {
    let node = t.node(key)?;
    let text = match &node.value {
        NodeValue::Datetime(s) | NodeValue::String(s) => s,
        _ => {
            rep.error(
                &node.span,
                format!("`{key}` must be a date, found {}", node.type_name()),
                Some(DATE_HINT.into()),
            );
            return None;
        }
    };
    let d = parse_date(text);
    if d.is_none() {
        rep.error(
            &node.span,
            format!("`{key}` = `{}` is not a date", clean(text)),
            Some(DATE_HINT.into()),
        );
    }
    d
}

/// `YYYY-MM-DD`, nothing more (a time of day has no place in a rotation).
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    (s.len() == 10)
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// The team file's fuzz target, on stable Rust like `tests/cli/fuzz.rs` (whose mutations it
/// shares): mutated team files from `tests/fuzz/corpus/team/`, and arbitrary text and
/// bytes. The property: no panic, and every error names a place inside the file
/// (`file:line:col`) in a message of bounded size. More cases locally:
/// `PROPTEST_CASES=5000 cargo test --release --lib team_fuzz`.
#[cfg(test)]
#[path = "../../../tests/fuzz/mutate.rs"]
mod fuzz_mutations;

#[cfg(test)]
mod team_fuzz {
    use super::Team;
    use super::fuzz_mutations::{config, corpus, mutated};
    use crate::diag::Diagnostic;
    use proptest::prelude::*;

    const FILE: &str = "fuzz-team.toml";
    /// No single message may grow with the input.
    const MAX_MESSAGE: usize = 4 * 1024;

    fn names_places(text: &str, diagnostics: &[Diagnostic]) -> Result<(), String> {
        if diagnostics.is_empty() {
            return Err("an error without a diagnostic".into());
        }
        let lines = text.lines().count() + 1;
        for d in diagnostics {
            if d.file != FILE || d.line == 0 || d.col == 0 || d.line > lines {
                return Err(format!("no place: {d}"));
            }
            let size = d.message.len() + d.hint.as_ref().map_or(0, String::len);
            if size > MAX_MESSAGE {
                return Err(format!("a {size}-byte message at {}:{}", d.line, d.col));
            }
        }
        Ok(())
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        match Team::parse(FILE, text) {
            // A team that parses must also be read calmly by what uses it.
            Ok(team) => {
                for m in &team.members {
                    prop_assert!(!m.name.chars().any(char::is_control), "{:?}", m.name);
                    prop_assert!(super::Login::parse(m.login.as_str()).is_ok());
                }
                Ok(())
            }
            Err(d) => names_places(text, &d).map_err(TestCaseError::fail),
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn mutated_team_files(bytes in mutated("team")) {
            check(&String::from_utf8_lossy(&bytes))?;
        }

        #[test]
        fn arbitrary_text(text in any::<String>()) {
            check(&text)?;
        }

        #[test]
        fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            check(&String::from_utf8_lossy(&bytes))?;
        }

        /// TOML-shaped noise: the team file's own keys and values in any order.
        #[test]
        fn team_shaped_text(pieces in prop::collection::vec(prop::sample::select(vec![
            "[cadence]\n", "[[member]]\n", "[[swap]]\n", "name = \"x\"\n", "login = \"a\"\n",
            "login = \"-a\"\n", "joined = 2026-01-01\n", "left = 2025-01-01\n", "active = false\n",
            "away = [{ from = 2027-03-01, to = 2027-02-01 }]\n", "start = 2027-01-01\n",
            "every_months = 13\n", "every_months = 0\n", "week = 5\n", "weekday = \"sunday\"\n",
            "day = 31\n", "not_on = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n",
            "release = 0\n", "members = [\"a\", \"a\"]\n", "checklist = \"nope\"\n",
            "start = 9999-12-31\n", "every_months = 18446744073709551615\n", "x = 1\n",
        ]), 0..40)) {
            check(&pieces.concat())?;
        }
    }

    #[test]
    fn the_corpus_itself_parses() {
        for seed in corpus("team") {
            let text = String::from_utf8_lossy(&seed);
            if let Err(d) = Team::parse(FILE, &text) {
                let all: Vec<String> = d.iter().map(ToString::to_string).collect();
                panic!("a corpus team file does not parse:\n{}", all.join("\n"));
            }
        }
    }
}
