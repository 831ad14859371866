//! The release rotation: who pilots and who co-pilots each release, and when.
//!
//! # The rule
//!
//! Members stand in a **line**, ordered by the day they joined the rotation
//! (then by their order in the team file). Each person in the line serves four
//! consecutive releases — co-pilot (new), pilot, pilot, co-pilot (handing
//! over) — and the next person's turn starts when the previous one's second
//! pilot release does. So every release has someone who has flown the one
//! before, and each pilot first learns the job as co-pilot. With `L[0]`,
//! `L[1]`, … the line and `k = n / 2` (integer division):
//!
//! | release `n` | pilot  | co-pilot |
//! |-------------|--------|----------|
//! | odd         | `L[k]` | `L[k+1]`, new to the crew |
//! | even        | `L[k]` | `L[k-1]`, handing over    |
//!
//! Release 1 has no one who flew before: `L[0]` pilots it as if it were their
//! second pilot release and co-pilots release 2 beside `L[1]`. Together with
//! a team of Bob, Jane, Tobby and Elvis (in order of joining) this gives
//! exactly the conda process's example: Bob (new) / Jane (new), Jane / Bob,
//! Jane / Tobby (new), Tobby / Jane, Tobby / Elvis (new).
//!
//! **Who comes next.** The line grows one person at each odd release: the
//! member who has held the fewest seats so far (then the earliest joined, then
//! file order), is free on that release's day, and is not the pilot. When
//! everyone has had a turn the line starts again from the top, so a team of
//! any size (two included) rotates. A member skipped because they are away
//! keeps their place: they have held fewer seats, so they come next; a
//! stand-in's extra seat moves them back a little.
//!
//! **Absences.** A member in the line who is away on the day of one of their
//! releases keeps their turn; for that release only, a **stand-in** takes the
//! seat: for the pilot seat the most recent pilot who is free, for the
//! co-pilot seat (or when no former pilot is free) the member next in line.
//!
//! **Leaving.** `left = DATE` or `active = false` hands the seat in: from that
//! day, the stand-in takes over the rest of the leaver's turn (their place in
//! the line), and the line goes on from there.
//!
//! **Swaps.** `[[swap]] release = N, members = [a, b]`: from release `N` on, `a`
//! and `b` trade places in the line: each takes over the other's turn.
//!
//! **Dates.** Release 1 is the first release day on or after `[cadence] start`,
//! then one every `every_months` months: the `week`-th `weekday` of the month,
//! or the `day`-th day. A day that falls on a forbidden weekday (`not_on`, the
//! gates of the team's checklist, and always Saturday and Sunday) moves
//! forward to the next allowed day.
//!
//! Every deviation from the plain rule — a moved date, a swap, a skip, a
//! stand-in, a hand-over — is a note on the release it changes, so a re-plan
//! says what changed and why. The plan is always computed from release 1, so
//! it does not depend on the day it is asked: `--from` only picks which
//! releases to show.

pub(crate) mod render;
pub(crate) mod team;

pub(crate) use render::{RotationArgs, run};
pub(crate) use team::{Login, Team};

use chrono::{Datelike, Months, NaiveDate};
use team::Unavailable;

/// The plan never looks further than this many releases from release 1
/// (more than 800 years at one release a month).
pub(crate) const MAX_RELEASES: u32 = 10_000;

/// Someone in a seat of a planned release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seat {
    /// Index into [`Team::members`].
    pub(crate) member: usize,
    /// Their first seat in the rotation.
    pub(crate) new: bool,
}

/// One release of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedRelease {
    /// Counted from 1, the first release of the rotation.
    pub(crate) number: u32,
    pub(crate) date: NaiveDate,
    /// `None`: nobody in the team is free for the seat.
    pub(crate) pilot: Option<Seat>,
    pub(crate) copilot: Option<Seat>,
    /// Why this release differs from the plain rule, in the order it happened.
    pub(crate) notes: Vec<String>,
}

/// The `count` releases on or after `from`.
pub(crate) fn plan(
    team: &Team,
    from: NaiveDate,
    count: usize,
) -> Result<Vec<PlannedRelease>, String> {
    let out: Vec<PlannedRelease> = Planner::new(team)
        .filter(|r| r.date >= from)
        .take(count)
        .collect();
    if out.is_empty() {
        return Err(format!(
            "{from} is more than {MAX_RELEASES} releases after the rotation's start ({}): nothing to plan",
            team.cadence.start
        ));
    }
    Ok(out)
}

/// The crew of the first release on or after `today`, as (pilot, co-pilot):
/// what `start --crew-from-rotation` fills the roster with.
pub(crate) fn next_release(team: &Team, today: NaiveDate) -> Result<(Login, Login), String> {
    let r = Planner::new(team)
        .find(|r| r.date >= today)
        .ok_or_else(|| format!("the rotation has no release on or after {today}"))?;
    let login = |seat: Option<Seat>, what: &str| {
        seat.and_then(|s| team.members.get(s.member))
            .map(|m| m.login.clone())
            .ok_or_else(|| {
                format!(
                    "release {} ({}) has no {what}: nobody in the team is free\n  give the crew with --pilot and --copilot",
                    r.number, r.date
                )
            })
    };
    Ok((login(r.pilot, "pilot")?, login(r.copilot, "co-pilot")?))
}

/// The day of release `n` (from 1) and, when it was moved off a forbidden
/// weekday, the day it would have been and why.
pub(crate) fn release_date(
    team: &Team,
    n: u32,
) -> Option<(NaiveDate, Option<(NaiveDate, String)>)> {
    let c = &team.cadence;
    // Release 1's month: the start's own, unless its release day is already past.
    let start_month = NaiveDate::from_ymd_opt(c.start.year(), c.start.month(), 1)?;
    let first = (0..2)
        .filter_map(|i| start_month.checked_add_months(Months::new(i)))
        .find(|m| day_in(team, *m).is_some_and(|(d, _)| d >= c.start))?;
    let months = (n.checked_sub(1)?).checked_mul(c.every_months)?;
    day_in(team, first.checked_add_months(Months::new(months))?)
}

/// The release day in the month starting at `month`, moved off forbidden days.
fn day_in(team: &Team, month: NaiveDate) -> Option<(NaiveDate, Option<(NaiveDate, String)>)> {
    use team::DayRule;
    let c = &team.cadence;
    let planned = match c.day {
        DayRule::Day(d) => month.with_day(u32::from(d))?,
        DayRule::Nth { week, weekday } => {
            NaiveDate::from_weekday_of_month_opt(month.year(), month.month(), weekday, week)?
        }
    };
    let Some(why) = c.forbids(planned.weekday()) else {
        return Some((planned, None));
    };
    let mut day = planned;
    for _ in 0..7 {
        day = day.succ_opt()?;
        if c.forbids(day.weekday()).is_none() {
            return Some((day, Some((planned, why.to_string()))));
        }
    }
    None
}

/// Walks the rotation from release 1, one release per `next()`.
pub(crate) struct Planner<'t> {
    team: &'t Team,
    /// The next release's number.
    n: u32,
    /// The line; `None` where nobody was free to join.
    line: Vec<Option<usize>>,
    /// Seats held so far, per member: who has flown least comes next.
    seats: Vec<u32>,
    /// Who actually piloted, oldest first (stand-ins included).
    pilots: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chair {
    Pilot,
    Copilot,
}

impl<'t> Planner<'t> {
    pub(crate) fn new(team: &'t Team) -> Planner<'t> {
        Planner {
            team,
            n: 1,
            line: Vec::new(),
            seats: vec![0; team.members.len()],
            pilots: Vec::new(),
        }
    }

    fn login(&self, m: usize) -> &str {
        self.team.members.get(m).map_or("?", |m| m.login.as_str())
    }

    fn free(&self, m: usize, day: NaiveDate) -> bool {
        self.team
            .members
            .get(m)
            .is_some_and(|mem| mem.unavailable(day).is_none())
    }

    /// Members by who should come next: fewest seats held, earliest joined, file order.
    fn waiting_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.team.members.len()).collect();
        order.sort_by_key(|&i| (self.seats[i], self.team.members[i].joined, i));
        order
    }

    /// Adds the next member to the line (see the module doc).
    fn join_line(&mut self, day: NaiveDate, not: &[Option<usize>], notes: &mut Vec<String>) {
        let mut skipped = Vec::new();
        let mut pick = None;
        for m in self.waiting_order() {
            if not.contains(&Some(m)) {
                continue;
            }
            match self.team.members[m].unavailable(day) {
                None => {
                    pick = Some(m);
                    break;
                }
                Some(Unavailable::Away(a)) => {
                    skipped.push(format!("{} is away {} … {}", self.login(m), a.from, a.to))
                }
                Some(_) => {}
            }
        }
        match pick {
            Some(m) if !skipped.is_empty() => notes.push(format!(
                "{}, so {} is next in line",
                skipped.join(", "),
                self.login(m)
            )),
            // An empty place is the seat's to explain.
            Some(_) | None => {}
        }
        self.line.push(pick);
    }

    /// Someone for a seat whose holder cannot fly: see the module doc.
    fn stand_in(&self, chair: Chair, day: NaiveDate, taken: &[usize]) -> Option<usize> {
        let ok = |m: &usize| !taken.contains(m) && self.free(*m, day);
        let former_pilot = match chair {
            Chair::Pilot => self.pilots.iter().rev().copied().find(ok),
            Chair::Copilot => None,
        };
        former_pilot.or_else(|| self.waiting_order().into_iter().find(ok))
    }

    /// The member for the seat held by line place `place`, with a note when
    /// that is not the line's own member.
    fn seat(
        &mut self,
        chair: Chair,
        place: usize,
        day: NaiveDate,
        taken: &[usize],
        notes: &mut Vec<String>,
    ) -> Option<usize> {
        let due = self.line.get(place).copied().flatten();
        let why = match due {
            Some(m) if taken.contains(&m) => None,
            Some(m) => match self.team.members[m].unavailable(day) {
                None => return Some(m),
                why => why,
            },
            None => None,
        };
        let verb = match chair {
            Chair::Pilot => "pilots",
            Chair::Copilot => "co-pilots",
        };
        let stand_in = self.stand_in(chair, day, taken);
        let who = stand_in.map(|s| self.login(s).to_string());
        let due_login = due.map(|m| self.login(m).to_string());
        let note = match (due_login, why, &who) {
            (Some(d), Some(Unavailable::Away(a)), Some(w)) => {
                format!("{d} is away {} … {}: {w} {verb} instead", a.from, a.to)
            }
            (Some(d), Some(Unavailable::Left(on)), Some(w)) => {
                format!("{d} left the rotation on {on}: {w} takes over their turn")
            }
            (Some(d), Some(Unavailable::Inactive), Some(w)) => {
                format!("{d} is out of the rotation (active = false): {w} takes over their turn")
            }
            (Some(d), Some(Unavailable::NotJoined(on)), Some(w)) => {
                format!("{d} joins the rotation on {on}: {w} {verb} instead")
            }
            (_, _, Some(w)) => format!("nobody in line for this seat: {w} {verb}"),
            (Some(d), _, None) => format!("{d} cannot fly and nobody is free: no one {verb}"),
            (None, _, None) => format!("nobody is free: no one {verb}"),
        };
        notes.push(note);
        // A leaver's turn, or an empty place, is taken over for good; an
        // absence is covered for this release only.
        if let Some(s) = stand_in
            && why.is_none_or(Unavailable::is_permanent)
            && let Some(slot) = self.line.get_mut(place)
        {
            *slot = Some(s);
        }
        stand_in
    }

    fn apply_swaps(&mut self, notes: &mut Vec<String>) {
        for swap in self.team.swaps.iter().filter(|s| s.release == self.n) {
            let [a, b] = swap.members;
            for slot in self.line.iter_mut().flatten() {
                if *slot == a {
                    *slot = b;
                } else if *slot == b {
                    *slot = a;
                }
            }
            notes.push(format!(
                "from here on {} and {} trade places (a [[swap]] in the team file)",
                self.login(a),
                self.login(b)
            ));
        }
    }
}

impl Iterator for Planner<'_> {
    type Item = PlannedRelease;

    fn next(&mut self) -> Option<PlannedRelease> {
        if self.n > MAX_RELEASES || self.team.members.is_empty() {
            return None;
        }
        let n = self.n;
        let (date, moved) = release_date(self.team, n)?;
        let mut notes = Vec::new();
        if let Some((planned, why)) = moved {
            notes.push(format!(
                "moved from {} {planned}: {why}",
                planned.format("%a")
            ));
        }
        self.apply_swaps(&mut notes);
        let k = (n / 2) as usize;
        if n == 1 {
            self.join_line(date, &[], &mut notes);
        }
        let (pilot, copilot) = if n % 2 == 1 {
            // The pilot's seat first, so the newcomer is neither the pilot due
            // (in the middle of their turn) nor a stand-in for them.
            let pilot = self.seat(Chair::Pilot, k, date, &[], &mut notes);
            let due = self.line.get(k).copied().flatten();
            self.join_line(date, &[due, pilot], &mut notes);
            let copilot = self.seat(Chair::Copilot, k + 1, date, pilot.as_slice(), &mut notes);
            (pilot, copilot)
        } else {
            // The co-pilot due is kept out of the pilot's stand-ins, when free.
            let copilot_due = self
                .line
                .get(k - 1)
                .copied()
                .flatten()
                .filter(|m| self.free(*m, date));
            let before = notes.len();
            let mut pilot = self.seat(Chair::Pilot, k, date, copilot_due.as_slice(), &mut notes);
            if pilot.is_none() && copilot_due.is_some() {
                // Better a pilot flying alone than a co-pilot without one.
                notes.truncate(before);
                pilot = self.seat(Chair::Pilot, k, date, &[], &mut notes);
            }
            let copilot = self.seat(Chair::Copilot, k - 1, date, pilot.as_slice(), &mut notes);
            (pilot, copilot)
        };
        let mut seat = |m: Option<usize>| {
            m.map(|m| {
                let new = self.seats[m] == 0;
                self.seats[m] += 1;
                Seat { member: m, new }
            })
        };
        let (pilot, copilot) = (seat(pilot), seat(copilot));
        if let Some(p) = pilot {
            self.pilots.push(p.member);
        }
        self.n += 1;
        Some(PlannedRelease {
            number: n,
            date,
            pilot,
            copilot,
            notes,
        })
    }
}

#[cfg(test)]
mod tests;
