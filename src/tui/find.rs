//! Find and filter (issue 15, item 5): `/` searches steps and events (the
//! typed text filters the checklist and the timeline live; Enter jumps to the
//! first match, `n`/`N` walk the matches, Esc ends the search), and `F` cycles
//! the view filters: my steps, alarms only, starred.
//!
//! Pure: the views are computed here from the model and cached in `Ui`, so a
//! frame never scans the timeline.

use super::board::{Cell, Line as BLine};
use super::model::{Mode, Model, Pane, Row};
use super::theme::Role as Paint;
use crate::export::{Actor, sentence};
use crate::probe::Health;
use crate::timeline::{CiState, EventKind};

/// A view filter (`F` cycles them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Filter {
    #[default]
    All,
    /// The checklist shows the steps of my seat (and those anyone may do).
    MySteps,
    /// Failing probes and warnings: steps, board lines and events in alarm.
    Alarms,
    /// The timeline shows starred events.
    Starred,
}

impl Filter {
    pub(crate) fn next(self) -> Filter {
        match self {
            Filter::All => Filter::MySteps,
            Filter::MySteps => Filter::Alarms,
            Filter::Alarms => Filter::Starred,
            Filter::Starred => Filter::All,
        }
    }

    /// How a pane title names it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::MySteps => "my steps",
            Filter::Alarms => "alarms only",
            Filter::Starred => "starred",
        }
    }
}

/// Something a search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hit {
    /// A step (index into `Plan::steps`).
    Step(usize),
    /// A timeline entry (position in `State::timeline`).
    Event(usize),
}

/// A search after Enter: `n`/`N` walk its matches until Esc.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Search {
    pub(crate) query: String,
    /// The match shown last (index into the matches).
    pub(crate) at: usize,
    /// How many matches the query has (steps, then events).
    pub(crate) count: usize,
}

/// The text being typed after `/`, if the search field is open.
pub(crate) fn typing(m: &Model) -> Option<&str> {
    match &m.ui.mode {
        Mode::Search { text } => Some(text.as_str()),
        _ => None,
    }
}

/// The filtering query: the text being typed (empty filters nothing).
fn live_query(m: &Model) -> Option<String> {
    typing(m)
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_lowercase)
}

fn contains(hay: &str, needle_lower: &str) -> bool {
    hay.to_lowercase().contains(needle_lower)
}

/// Whether a step matches a (lower-case) query: its id, title, or owner.
pub(crate) fn step_matches(m: &Model, i: usize, q: &str) -> bool {
    m.plan.steps.get(i).is_some_and(|s| {
        contains(&s.id.0, q)
            || contains(&s.title, q)
            || s.description.as_deref().is_some_and(|d| contains(d, q))
    })
}

/// Whether a timeline entry matches a (lower-case) query: its sentence or author.
pub(crate) fn event_matches(m: &Model, pos: usize, q: &str) -> bool {
    m.state
        .timeline
        .get(pos)
        .and_then(|&i| m.state.events.get(i))
        .is_some_and(|e| {
            contains(&e.author, q) || contains(&sentence(e, &m.plan, Actor::Omitted), q)
        })
}

/// Whether a step is in alarm: a failing probe, a warning, something done too early.
pub(crate) fn step_alarm(m: &Model, i: usize) -> bool {
    matches!(
        super::panes::checklist::step_info(m, i).1,
        Paint::Failed | Paint::Warning
    )
}

/// Whether a timeline entry is an alarm (failing CI, a bug filed, a failed copy…).
pub(crate) fn event_alarm(m: &Model, pos: usize) -> bool {
    m.state
        .timeline
        .get(pos)
        .and_then(|&i| m.state.events.get(i))
        .is_some_and(|e| matches!(&e.what, EventKind::Observed { fact, .. } if fact.is_alarm()))
}

/// Whether a board line is in alarm: its probe failing, a failed or broken thing on it.
pub(crate) fn line_alarm(m: &Model, line: &BLine) -> bool {
    if line
        .probe()
        .and_then(|p| m.reports.get(p))
        .is_some_and(|r| r.health == Health::Failing)
    {
        return true;
    }
    match line {
        BLine::Pr { pr, alarm, .. } => {
            alarm.is_some() || pr.as_ref().is_some_and(|p| p.ci == Some(CiState::Failure))
        }
        BLine::Ci { state, .. } => *state == Some(CiState::Failure),
        BLine::Channel { cells, .. } => cells
            .iter()
            .any(|c| matches!(c, Some(Cell::Gone) | Some(Cell::Broken))),
        BLine::Pypi { yanked, .. } => *yanked,
        BLine::Radar { issues, .. } => *issues > 0,
        BLine::Spread { channels, .. } => !crate::timeline::availability::channel_skew(
            channels,
            m.now,
            super::model::SKEW_THRESHOLD,
        )
        .is_empty(),
        _ => false,
    }
}

/// Whether the checklist shows a step under the filter and the typed query.
pub(crate) fn shows_step(m: &Model, i: usize) -> bool {
    let by_filter = match m.ui.filter {
        Filter::All | Filter::Starred => true,
        Filter::MySteps => super::notify::owns(m.role, m.plan.steps[i].role),
        Filter::Alarms => step_alarm(m, i),
    };
    by_filter && live_query(m).is_none_or(|q| step_matches(m, i, &q))
}

/// Whether the checklist is filtered at all (phases without a shown step are hidden then).
pub(crate) fn checklist_filtered(m: &Model) -> bool {
    matches!(m.ui.filter, Filter::MySteps | Filter::Alarms) || live_query(m).is_some()
}

/// The timeline positions shown, or `None` for all of them (no filter applies).
pub(crate) fn timeline_view(m: &Model) -> Option<Vec<usize>> {
    let q = live_query(m);
    let filter = m.ui.filter;
    if q.is_none() && !matches!(filter, Filter::Alarms | Filter::Starred) {
        return None;
    }
    Some(
        (0..m.state.timeline.len())
            .filter(|&p| match filter {
                Filter::Alarms => event_alarm(m, p),
                Filter::Starred => m
                    .state
                    .events
                    .get(m.state.timeline[p])
                    .is_some_and(|e| m.state.starred.contains(&e.id)),
                Filter::All | Filter::MySteps => true,
            })
            .filter(|&p| q.as_deref().is_none_or(|q| event_matches(m, p, q)))
            .collect(),
    )
}

/// The board lines shown, or `None` for all of them. Alarms only keeps the
/// lines in alarm with their package's name line.
pub(crate) fn board_view(m: &Model) -> Option<Vec<usize>> {
    if m.ui.filter != Filter::Alarms {
        return None;
    }
    let mut out = Vec::new();
    let mut header = None;
    for (i, l) in m.board.lines.iter().enumerate() {
        if matches!(l, BLine::Package { .. }) {
            header = Some(i);
        } else if line_alarm(m, l) {
            if let Some(h) = header.take() {
                out.push(h);
            }
            out.push(i);
        }
    }
    Some(out)
}

/// Every match of a (lower-case) query: steps in plan order, then events oldest first.
pub(crate) fn hits(m: &Model, q: &str) -> Vec<Hit> {
    let steps = (0..m.plan.steps.len())
        .filter(|&i| step_matches(m, i, q))
        .map(Hit::Step);
    let events = (0..m.state.timeline.len())
        .filter(|&p| event_matches(m, p, q))
        .map(Hit::Event);
    steps.chain(events).collect()
}

/// Recomputes the cached rows and views after anything that may change them,
/// keeping the checklist cursor on the same row when it is still shown.
pub(crate) fn refresh_views(m: &mut Model) {
    // While typing, the cursor goes back to where it was whenever that row is shown.
    let current = match (typing(m), m.ui.anchor) {
        (Some(_), Some(a)) => Some(a),
        _ => m.ui.rows.get(m.ui.cursor).copied(),
    };
    m.ui.rows = m.rows();
    if let Some(pos) = current.and_then(|c| m.ui.rows.iter().position(|r| *r == c)) {
        m.ui.cursor = pos;
    }
    m.ui.timeline_view = timeline_view(m);
    m.ui.board_view = board_view(m);
    // A selected event the view no longer shows: follow the view's newest.
    if let (Some(view), Some((pos, _))) = (&m.ui.timeline_view, &m.ui.selected_event)
        && view.binary_search(pos).is_err()
    {
        m.ui.selected_event = None;
    }
    if let Some(view) = &m.ui.board_view
        && !view.contains(&m.ui.board_cursor)
    {
        m.ui.board_cursor = view.first().copied().unwrap_or(0);
    }
}

/// Shows a hit: focuses its pane and selects it (unfolding its phase).
pub(crate) fn show_hit(m: &mut Model, hit: Hit) {
    match hit {
        Hit::Step(i) => {
            if let Some(step) = m.plan.steps.get(i) {
                m.ui.folded.remove(&step.phase);
            }
            m.ui.focus = Some(Pane::Checklist);
            m.ui.rows = m.rows();
            if let Some(pos) = m.ui.rows.iter().position(|r| *r == Row::Step(i)) {
                m.ui.cursor = pos;
            }
        }
        Hit::Event(pos) => {
            m.ui.focus = Some(Pane::Timeline);
            if let Some(&i) = m.state.timeline.get(pos)
                && let Some(e) = m.state.events.get(i)
            {
                m.ui.selected_event = Some((pos, e.id.clone()));
            }
        }
    }
}

/// Where the selection is now, as a hit (to search onwards from it).
fn current(m: &Model) -> Option<Hit> {
    match m.ui.focus.unwrap_or(Pane::Checklist) {
        Pane::Checklist => m.selected_step().map(Hit::Step),
        Pane::Timeline => m.selected_timeline().map(Hit::Event),
        Pane::Probes => None,
    }
}

fn order(h: Hit) -> (u8, usize) {
    match h {
        Hit::Step(i) => (0, i),
        Hit::Event(p) => (1, p),
    }
}

/// Enter in the search field: the first match from the selection on (or the
/// first of all), and the search stays for `n`/`N`. Returns what to say.
pub(crate) fn submit(m: &mut Model, text: String) -> String {
    m.ui.mode = Mode::Normal;
    let query = text.trim().to_string();
    if query.is_empty() {
        m.ui.search = None;
        return "search cancelled".into();
    }
    let q = query.to_lowercase();
    let found = hits(m, &q);
    let here = current(m).map(order);
    let at = here
        .and_then(|h| found.iter().position(|f| order(*f) >= h))
        .unwrap_or(0);
    m.ui.search = Some(Search {
        query: query.clone(),
        at,
        count: found.len(),
    });
    match found.get(at) {
        Some(&hit) => {
            show_hit(m, hit);
            format!(
                "“{query}”: match {} of {} — n/N next/previous, Esc ends the search",
                at + 1,
                found.len()
            )
        }
        None => {
            m.ui.search = None;
            format!("no step or event matches “{query}”")
        }
    }
}

/// `n` / `N` after a search.
pub(crate) fn step_search(m: &mut Model, forward: bool) -> String {
    let Some(s) = m.ui.search.clone() else {
        return "no search — press / to search".into();
    };
    let found = hits(m, &s.query.to_lowercase());
    if found.is_empty() {
        m.ui.search = None;
        return format!("no step or event matches “{}” any more", s.query);
    }
    let n = found.len();
    let at = if forward {
        (s.at + 1) % n
    } else {
        (s.at + n - 1) % n
    };
    show_hit(m, found[at]);
    m.ui.search = Some(Search {
        query: s.query.clone(),
        at,
        count: n,
    });
    format!("“{}”: match {} of {n}", s.query, at + 1)
}
