//! What the cockpit knows: the folded release state (domain) and the UI's own
//! state (focus, cursors, folds, the prompt) kept apart, so the domain never
//! carries scroll positions.

use super::board::Board;
use crate::checklist::Plan;
use crate::crew::Role;
use crate::probe::{Health, ProbeReport, Quota};
use crate::timeline::{Event, EventId, Permit, State, StepStatus, fold, fold_owned};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A focusable pane. The detail pane follows the focused one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Checklist,
    Probes,
    Timeline,
}

impl Pane {
    pub(crate) fn next(self) -> Pane {
        match self {
            Pane::Checklist => Pane::Probes,
            Pane::Probes => Pane::Timeline,
            Pane::Timeline => Pane::Checklist,
        }
    }

    pub(crate) fn prev(self) -> Pane {
        match self {
            Pane::Checklist => Pane::Timeline,
            Pane::Probes => Pane::Checklist,
            Pane::Timeline => Pane::Probes,
        }
    }
}

/// One line of the checklist pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A phase header (index into `Plan::phases`).
    Phase(usize),
    /// A step (index into `Plan::steps` and `State::steps`).
    Step(usize),
}

/// What a text field is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purpose {
    Note,
    /// Undo the step's last resolution (index into `Plan::steps`).
    Undo(usize),
    Skip(usize),
    /// Complete a probe-backed step by hand.
    Override(usize),
}

impl Purpose {
    pub(crate) fn prompt(&self, plan: &Plan) -> String {
        let id = |i: &usize| plan.steps.get(*i).map(|s| s.id.0.as_str()).unwrap_or("?");
        match self {
            Purpose::Note => "Note for the timeline".into(),
            Purpose::Undo(i) => format!("Why undo `{}`?", id(i)),
            Purpose::Skip(i) => format!("Why skip `{}`?", id(i)),
            Purpose::Override(i) => format!(
                "`{}` completes itself when its probe sees it. Why sign it off by hand?",
                id(i)
            ),
        }
    }
}

/// What the keyboard is talking to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    #[default]
    Normal,
    Help,
    /// y/n before signing off; `reasons` say why it needs confirming.
    Confirm {
        step: usize,
        /// "Sign off", "Override", "Skip": what the question asks.
        verb: &'static str,
        reasons: Vec<String>,
        /// What the rule book will let through on a yes.
        permit: Box<Permit>,
        done: String,
    },
    /// A one-line text field.
    Input {
        purpose: Purpose,
        text: String,
    },
    /// The search field (`/`): what is typed filters the checklist and the timeline.
    Search {
        text: String,
    },
    /// Text to copy by hand (the terminal cannot take OSC 52), or a link with no opener.
    Show {
        title: String,
        text: String,
    },
}

/// A message in the status line until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flash {
    pub(crate) text: String,
    pub(crate) kind: FlashKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlashKind {
    Info,
    Ok,
    Error,
}

/// The UI's own state: nothing here is part of the release.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    pub focus: Option<Pane>,
    pub(crate) mode: Mode,
    pub(crate) flash: Option<Flash>,
    /// Terminal size (columns, rows), for mouse hit-testing and scrolling.
    pub size: (u16, u16),
    pub(crate) folded: BTreeSet<usize>,
    /// Checklist rows (phases and the steps of unfolded phases).
    pub rows: Vec<Row>,
    /// Cursor in `rows`, and the first row shown.
    pub cursor: usize,
    pub(crate) offset: usize,
    /// The selected timeline entry (position in `State::timeline`, and its
    /// event id so the selection survives a re-fold); `None` follows the newest.
    pub(crate) selected_event: Option<(usize, EventId)>,
    /// First timeline entry shown when not following.
    pub(crate) timeline_offset: usize,
    /// Cursor and first line in the probe board.
    pub board_cursor: usize,
    pub(crate) board_offset: usize,
    pub(crate) quit: bool,
    /// The checklist row the cursor was on when the search field opened
    /// (Esc puts it back there).
    pub(crate) anchor: Option<Row>,
    /// First line of the help overlay shown (it scrolls on a short terminal).
    pub(crate) help_offset: usize,
    /// The pane given the whole body (`z`, `d`), if any.
    pub(crate) zoom: Option<super::layout::Zoom>,
    /// The view filter (`F`).
    pub(crate) filter: super::find::Filter,
    /// The search `n`/`N` walk, after Enter in the search field.
    pub(crate) search: Option<super::find::Search>,
    /// Timeline positions and board lines the filters leave, cached by
    /// `find::refresh_views`; `None` shows everything.
    pub(crate) timeline_view: Option<Vec<usize>>,
    pub(crate) board_view: Option<Vec<usize>>,
    /// Whether the terminal takes OSC 52 (decided once, at start); otherwise
    /// `c`/`l` show the text to copy instead of claiming it was copied.
    pub osc52: bool,
    /// Whether to ring (bell or desktop notification) on alarms and new work (opt-in).
    pub(crate) notify: bool,
    /// The pilot was asked (once) to close the release when its last step completed.
    pub(crate) close_asked: bool,
}

/// Everything the cockpit draws from.
#[derive(Debug, Clone)]
pub struct Model {
    /// The release id, e.g. `conda-26.11.0`.
    pub release: String,
    pub plan: Plan,
    pub state: State,
    pub(crate) role: Role,
    /// The highest seat this cockpit may take (`--role` lowers, never raises):
    /// the seat follows the roster up to it, handovers included.
    pub(crate) cap: Role,
    /// The crew sync's last exchange, when the release is shared.
    pub(crate) sync: Option<crate::crew::share::Report>,
    /// Who this cockpit writes as.
    pub(crate) me: String,
    /// "Now", from the cockpit's clock; moved by ticks so `update` stays pure.
    pub now: DateTime<Utc>,
    pub(crate) reports: BTreeMap<String, ProbeReport>,
    pub(crate) quota: Option<Quota>,
    /// Each source's clock minus ours (from its replies' `Date`): ages of source
    /// times are measured on the source's clock ([`Model::source_now`]).
    pub(crate) clocks: BTreeMap<String, chrono::TimeDelta>,
    /// Authors seen in the log, with the roles they wrote as.
    pub(crate) crew: Vec<(String, Role)>,
    /// The probe board, derived from the observations.
    pub board: Board,
    pub ui: Ui,
}

pub(crate) use crate::timeline::availability::SKEW_THRESHOLD;

impl Model {
    pub fn new<E: crate::timeline::Shared>(
        release: &str,
        plan: Plan,
        events: impl IntoIterator<Item = E>,
        role: Role,
        me: &str,
        now: DateTime<Utc>,
    ) -> Model {
        let state = fold(&plan, events);
        Model::with_state(release, plan, state, role, me, now)
    }

    /// [`Model::new`] from a fold already made (of every event of the log).
    pub fn with_state(
        release: &str,
        plan: Plan,
        state: State,
        role: Role,
        me: &str,
        now: DateTime<Utc>,
    ) -> Model {
        // A seat below the roster's was asked for (`--role`): it caps every later seat.
        let cap = if role == crate::crew::seat_in(&state, me, Role::Pilot) {
            Role::Pilot
        } else {
            role
        };
        let mut m = Model {
            release: release.to_string(),
            state,
            role,
            cap,
            sync: None,
            me: me.to_string(),
            now,
            reports: BTreeMap::new(),
            quota: None,
            clocks: BTreeMap::new(),
            crew: Vec::new(),
            board: Board::default(),
            ui: Ui {
                focus: Some(Pane::Checklist),
                size: (80, 24),
                ..Ui::default()
            },
            plan,
        };
        m.derive();
        m.ui.rows = m.rows();
        // Start on the step that is next for this seat, so the pilot lands on work.
        if let Some(next) = m.next_step()
            && let Some(pos) = m.ui.rows.iter().position(|r| *r == Row::Step(next))
        {
            m.ui.cursor = pos;
        }
        m
    }

    /// Folds newly recorded events in (the store delivers them in memory)
    /// and gives back those the timeline now shows that it did not before
    /// (trusted, and not a repeat of a fact shown). Events that sort after
    /// everything folded (the crew's notes and sign-offs, as they are made)
    /// are folded on their own; otherwise everything is folded again.
    pub(crate) fn record(&mut self, new: Vec<Arc<Event>>) -> Vec<Arc<Event>> {
        if new.is_empty() {
            return Vec::new();
        }
        let (from, shown) = (self.state.events.len(), self.state.timeline.len());
        let new = match self.state.extend(&self.plan, new) {
            Ok(()) => {
                self.folded(Some(from));
                let state = &self.state;
                return state.timeline[shown..]
                    .iter()
                    .map(|&i| Arc::clone(&state.events[i]))
                    .collect();
            }
            Err(new) => new,
        };
        // Which of them the state did not have (a snapshot after a lag repeats it all).
        let mut fresh: foldhash::HashSet<EventId> = new.iter().map(|e| e.id.clone()).collect();
        for e in self
            .state
            .events
            .iter()
            .chain(self.state.ignored.events().iter())
        {
            fresh.remove(&e.id);
        }
        let mut events = std::mem::take(&mut self.state.events).into_vec();
        // Ignored events are judged again: a late handover may change their author's seat.
        events.extend(std::mem::take(&mut self.state.ignored).into_events());
        events.extend(new);
        // The old state goes before the new one is built: one at a time.
        self.state = fold_owned(&self.plan, Vec::new());
        self.state = fold_owned(&self.plan, events);
        self.folded(None);
        let state = &self.state;
        state
            .timeline
            .iter()
            .map(|&i| &state.events[i])
            .filter(|e| fresh.contains(&e.id))
            .cloned()
            .collect()
    }

    /// Folds `events` again from nothing; keeps the selections on the same things.
    pub fn refold<E: crate::timeline::Shared>(&mut self, events: impl IntoIterator<Item = E>) {
        self.state = fold(&self.plan, events);
        self.folded(None);
    }

    /// After a fold: events from `from` on are new at the end of the
    /// timeline (`None`: everything was folded again).
    fn folded(&mut self, from: Option<usize>) {
        // A handover moves seats while the cockpit is open.
        if self.state.roster.is_some() {
            self.role = crate::crew::seat_in(&self.state, &self.me, self.cap);
        }
        self.derive();
        if from.is_none()
            && let Some((_, id)) = self.ui.selected_event.clone()
        {
            self.ui.selected_event = self
                .state
                .timeline
                .iter()
                .position(|&i| self.state.events[i].id == id)
                .map(|p| (p, id));
        }
    }

    /// Caches what panes need from the whole log, so a frame never scans it.
    fn derive(&mut self) {
        self.crew = crate::tui::waiting::crew_of(&self.state);
        self.crew.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        // The roster, when the release has one, says who sits where.
        if let Some(r) = &self.state.roster {
            self.crew = std::iter::once((r.pilot.clone(), Role::Pilot))
                .chain(r.copilot.clone().map(|c| (c, Role::Copilot)))
                .chain(r.jump_seat.clone().map(|j| (j, Role::JumpSeat)))
                .collect();
        }
        self.board = Board::build(&self.plan, &self.state);
    }

    /// The checklist rows given the folds.
    pub(crate) fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::with_capacity(self.plan.steps.len() + self.plan.phases.len());
        // Filtered (a filter or a search): only phases with a shown step, unfolded.
        // Each step is judged once, however many phases there are.
        let shown: Option<Vec<bool>> = super::find::checklist_filtered(self).then(|| {
            (0..self.plan.steps.len())
                .map(|i| super::find::shows_step(self, i))
                .collect()
        });
        for (p, _) in self.plan.phases.iter().enumerate() {
            if let Some(shown) = &shown {
                let mine: Vec<Row> = (0..self.plan.steps.len())
                    .filter(|&i| self.plan.steps[i].phase == p && shown[i])
                    .map(Row::Step)
                    .collect();
                if !mine.is_empty() {
                    rows.push(Row::Phase(p));
                    rows.extend(mine);
                }
                continue;
            }
            rows.push(Row::Phase(p));
            if !self.ui.folded.contains(&p) {
                rows.extend(
                    self.plan
                        .steps
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.phase == p)
                        .map(|(i, _)| Row::Step(i)),
                );
            }
        }
        rows
    }

    /// The step under the checklist cursor.
    pub(crate) fn selected_step(&self) -> Option<usize> {
        match self.ui.rows.get(self.ui.cursor) {
            Some(Row::Step(i)) => Some(*i),
            _ => None,
        }
    }

    /// The timeline position shown as selected: the chosen one, or the newest while following.
    pub(crate) fn selected_timeline(&self) -> Option<usize> {
        match (&self.ui.selected_event, &self.ui.timeline_view) {
            (Some((p, _)), _) => Some(*p),
            (None, Some(view)) => view.last().copied(),
            (None, None) => self.state.timeline.len().checked_sub(1),
        }
    }

    /// Whether this seat may act on a step of the given owner (ignoring overrides).
    pub(crate) fn is_mine(&self, owner: crate::crew::StepRole) -> bool {
        crate::timeline::rules::seat_may(self.role, crate::timeline::rules::Act::SignOff(owner))
            .is_ok()
    }

    /// The first step, in plan order, that is ready (or waiting on its probe)
    /// and that this seat may sign off. The jump seat gets the crew's next step.
    pub(crate) fn next_step(&self) -> Option<usize> {
        let ready = |i: &usize| {
            matches!(
                self.state.steps.get(*i).map(|s| &s.status),
                Some(StepStatus::Ready)
            )
        };
        let mine = (0..self.plan.steps.len()).find(|i| {
            ready(i) && (self.role == Role::JumpSeat || self.is_mine(self.plan.steps[*i].role))
        });
        mine.or_else(|| {
            (0..self.plan.steps.len()).find(|i| {
                matches!(
                    self.state.steps.get(*i).map(|s| &s.status),
                    Some(StepStatus::Pending)
                )
            })
        })
    }

    /// "Now" on the sources' clock, for ages of source times (a merge, an upload,
    /// a record's timestamp) and open-ended channel skew; [`Model::now`] until a
    /// source has answered.
    pub(crate) fn source_now(&self) -> DateTime<Utc> {
        crate::probe::clock::best(&self.clocks)
            .and_then(|(_, off)| self.now.checked_add_signed(off))
            .unwrap_or(self.now)
    }

    /// Warnings for the header: channel skew first (it caused a real
    /// incident), then gates of steps that could be worked on now, deduplicated,
    /// then a local clock that is off from the sources'.
    pub(crate) fn gate_warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = crate::timeline::skew_warnings(
            &self.state.availability,
            self.source_now(),
            SKEW_THRESHOLD,
        );
        for (step, st) in self.plan.steps.iter().zip(&self.state.steps) {
            if st.status.is_complete() || matches!(st.status, StepStatus::Blocked { .. }) {
                continue;
            }
            if let Some(w) = step
                .gate
                .as_ref()
                .and_then(|g| g.blocks(self.now, st.needs_done_at))
            {
                let w = w.replace("not to do this today", "not to release today");
                let line = if w.starts_with("soaking") {
                    format!("{}: {w}", step.id)
                } else {
                    w
                };
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        if let Some(w) = crate::probe::clock::best(&self.clocks)
            .and_then(|(source, off)| crate::probe::clock::warning(source, off))
        {
            out.push(w);
        }
        out
    }

    /// (healthy, degraded, failing) probes by their latest reports.
    pub fn health_counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for r in self.reports.values() {
            match r.health {
                Health::Healthy | Health::Finished => c.0 += 1,
                Health::Degraded => c.1 += 1,
                Health::Failing => c.2 += 1,
            }
        }
        c
    }

    /// The latest observation event of a probe, if any.
    pub(crate) fn last_observation(&self, probe_id: &str) -> Option<&Event> {
        self.state
            .observations
            .get(probe_id)
            .and_then(|v| v.last())
            .map(|&i| &*self.state.events[i])
    }
}
