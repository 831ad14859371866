//! `update(&mut Model, Action) -> Vec<Effect>`: every decision of the cockpit,
//! pure and testable without a terminal. Every event the cockpit would write
//! is put to the rule book ([`crate::timeline::rules::judge`]) here; an
//! [`Effect::Append`] carries the rule book's permit, nothing else.

use super::action::{Action, Effect, Outcome};
use super::layout::{self, inner_height};
use super::model::{Flash, FlashKind, Mode, Model, Pane, Purpose, Row};
use crate::probe::ProbeMsg;
use crate::timeline::EventKind;
use crate::timeline::rules::{self, Book, Refusal, Verdict};

/// The longest note or reason a text field takes (a post-mortem row, not an essay).
pub const MAX_TEXT: usize = 500;

/// Applies an action to the model and returns what the driver must do.
pub fn update(m: &mut Model, action: Action) -> Vec<Effect> {
    // World messages never touch the prompt or the flash.
    match action {
        Action::Tick(now) => {
            m.now = now;
            return Vec::new();
        }
        Action::Probe(msg) => {
            return match msg {
                ProbeMsg::Report(r) => {
                    m.reports.insert(r.probe.clone(), r);
                    Vec::new()
                }
                ProbeMsg::Quota(q) => {
                    m.quota = Some(q);
                    Vec::new()
                }
                ProbeMsg::Clock(c) => {
                    m.clocks.insert(c.source, c.offset);
                    Vec::new()
                }
                // The store delivers what was recorded ([`Action::Recorded`]).
                ProbeMsg::Recorded(_) => Vec::new(),
            };
        }
        Action::Resize(w, h) => {
            m.ui.size = (w, h);
            keep_in_view(m);
            return Vec::new();
        }
        Action::Recorded(events) => {
            m.record(events);
            keep_in_view(m);
            ask_to_close(m);
            return Vec::new();
        }
        Action::Outcome(outcome) => {
            outcome_seen(m, outcome);
            return Vec::new();
        }
        Action::Synced(report) => {
            m.sync = Some(report);
            return Vec::new();
        }
        _ => {}
    }
    if matches!(action, Action::Quit) {
        m.ui.quit = true;
        return vec![Effect::Quit];
    }
    m.ui.flash = None;
    let effects = match m.ui.mode.clone() {
        Mode::Help => {
            m.ui.mode = Mode::Normal;
            Vec::new()
        }
        Mode::Confirm {
            step,
            verb,
            reasons,
            permit,
            done,
        } => match action {
            Action::Confirm(true) => {
                m.ui.mode = Mode::Normal;
                vec![Effect::Append {
                    permit: *permit,
                    done,
                }]
            }
            Action::Confirm(false) | Action::Cancel => {
                m.ui.mode = Mode::Normal;
                info(
                    m,
                    if verb == "Sign off" {
                        "not signed off"
                    } else {
                        "nothing was recorded"
                    },
                );
                Vec::new()
            }
            // Anything else leaves the question open.
            _ => {
                m.ui.mode = Mode::Confirm {
                    step,
                    verb,
                    reasons,
                    permit,
                    done,
                };
                Vec::new()
            }
        },
        Mode::Input { purpose, mut text } => match action {
            Action::Type(c) => {
                if text.chars().count() < MAX_TEXT && !c.is_control() {
                    text.push(c);
                }
                m.ui.mode = Mode::Input { purpose, text };
                Vec::new()
            }
            Action::Backspace => {
                text.pop();
                m.ui.mode = Mode::Input { purpose, text };
                Vec::new()
            }
            Action::Cancel => {
                m.ui.mode = Mode::Normal;
                info(m, "cancelled");
                Vec::new()
            }
            Action::Submit => submit(m, purpose, text),
            _ => {
                m.ui.mode = Mode::Input { purpose, text };
                Vec::new()
            }
        },
        Mode::Normal => normal(m, action),
    };
    keep_in_view(m);
    effects
}

fn normal(m: &mut Model, action: Action) -> Vec<Effect> {
    let focus = m.ui.focus.unwrap_or(Pane::Checklist);
    match action {
        Action::Up => move_by(m, focus, -1),
        Action::Down => move_by(m, focus, 1),
        Action::PageUp => move_by(m, focus, -page(m, focus)),
        Action::PageDown => move_by(m, focus, page(m, focus)),
        Action::Top => move_to(m, focus, Some(0)),
        Action::Bottom => move_to(m, focus, None),
        Action::NextPane => m.ui.focus = Some(focus.next()),
        Action::PrevPane => m.ui.focus = Some(focus.prev()),
        Action::Fold | Action::Unfold => {
            let phase = match m.ui.rows.get(m.ui.cursor) {
                Some(Row::Phase(p)) => Some(*p),
                Some(Row::Step(s)) => m.plan.steps.get(*s).map(|s| s.phase),
                None => None,
            };
            if let Some(p) = phase {
                set_fold(m, p, matches!(action, Action::Fold));
            }
        }
        Action::Activate => match m.ui.rows.get(m.ui.cursor).copied() {
            Some(Row::Phase(p)) => {
                let folded = m.ui.folded.contains(&p);
                set_fold(m, p, !folded);
            }
            Some(Row::Step(i)) => return activate_step(m, i),
            None => {}
        },
        Action::Undo | Action::Skip => {
            let Some(i) = m.selected_step() else {
                info(m, "select a step first");
                return Vec::new();
            };
            let step = m.plan.steps[i].id.clone();
            let (what, purpose) = if matches!(action, Action::Undo) {
                let what = EventKind::StepUndone {
                    step,
                    reason: String::new(),
                };
                (what, Purpose::Undo(i))
            } else {
                let what = EventKind::StepSkipped {
                    step,
                    reason: String::new(),
                };
                (what, Purpose::Skip(i))
            };
            if may_ask_for_text(m, what) {
                open_input(m, purpose);
            }
        }
        Action::Note => {
            if may_ask_for_text(
                m,
                EventKind::Note {
                    text: String::new(),
                },
            ) {
                open_input(m, Purpose::Note);
            }
        }
        Action::Star => return star(m),
        Action::CopyCommand => match m
            .selected_step()
            .and_then(|i| m.plan.steps[i].command.clone())
        {
            Some(text) => {
                return vec![Effect::Copy {
                    what: "command",
                    text,
                }];
            }
            None => info(m, "this step has no command to copy"),
        },
        Action::CopyLink => match link_here(m, focus) {
            Some(text) => return vec![Effect::Copy { what: "link", text }],
            None => info(m, "nothing to link to here"),
        },
        Action::Export => return vec![Effect::Export],
        Action::Help => m.ui.mode = Mode::Help,
        Action::Cancel => {}
        Action::Click { col, row } => click(m, col, row),
        Action::Scroll { col, row, down } => {
            if let Some(pane) = pane_at(m, col, row) {
                move_by(m, pane, if down { 3 } else { -3 });
            }
        }
        // Mode-specific actions outside their mode, and world messages (handled above).
        Action::Confirm(_)
        | Action::Type(_)
        | Action::Backspace
        | Action::Submit
        | Action::Quit
        | Action::Resize(..)
        | Action::Tick(_)
        | Action::Probe(_)
        | Action::Recorded(_)
        | Action::Synced(_)
        | Action::Outcome(_) => {}
    }
    Vec::new()
}

/// Puts an event to the rule book, on the release's clock.
fn judge(m: &Model, what: EventKind) -> Verdict {
    let book = Book::new(&m.plan, &m.state, m.now);
    rules::judge(&book, m.role, what)
}

/// Sentinel step index of the close question (it concerns no step).
pub const CLOSE_QUESTION: usize = usize::MAX;

/// When the last step completes, the pilot is asked once whether the release
/// shipped; "no" leaves it open (`flightdeck close` ends it any time).
fn ask_to_close(m: &mut Model) {
    let (done, total) = m.state.progress();
    if m.ui.close_asked
        || m.role != crate::crew::Role::Pilot
        || m.state.closed.is_some()
        || done < total
        || m.ui.mode != Mode::Normal
    {
        return;
    }
    m.ui.close_asked = true;
    let what = EventKind::ReleaseClosed {
        outcome: crate::timeline::Outcome::Shipped,
        reason: None,
    };
    if let Verdict::Accepted(permit) = judge(m, what) {
        m.ui.mode = Mode::Confirm {
            step: CLOSE_QUESTION,
            verb: "Close",
            reasons: vec![format!(
                "all {total} steps are complete; aborted or rolled back? n, then `flightdeck close --outcome …`"
            )],
            permit: Box::new(permit),
            done: "release closed as shipped".into(),
        };
    }
}

fn refuse(m: &mut Model, refusal: &Refusal) {
    error(m, &refusal.to_string());
}

/// Records `what` if the rule book accepts it, asks first if it wants a
/// confirmation, and says why if it refuses.
fn propose(
    m: &mut Model,
    step: usize,
    verb: &'static str,
    what: EventKind,
    done: String,
) -> Vec<Effect> {
    match judge(m, what) {
        Verdict::Accepted(permit) => vec![Effect::Append { permit, done }],
        Verdict::NeedsConfirmation { reasons, permit } => {
            m.ui.mode = Mode::Confirm {
                step,
                verb,
                reasons: reasons.iter().map(ToString::to_string).collect(),
                permit: Box::new(permit),
                done,
            };
            Vec::new()
        }
        Verdict::Refused(r) => {
            refuse(m, &r);
            Vec::new()
        }
    }
}

/// Whether a text field for `what` is worth opening: the rule book refuses
/// nothing but the (still empty) text. Shows the refusal otherwise.
fn may_ask_for_text(m: &mut Model, what: EventKind) -> bool {
    match judge(m, what) {
        Verdict::Refused(Refusal::NeedsText) => true,
        Verdict::Refused(r) => {
            refuse(m, &r);
            false
        }
        // An empty text is always refused; reaching here means the rules changed.
        Verdict::Accepted(_) | Verdict::NeedsConfirmation { .. } => true,
    }
}

fn info(m: &mut Model, text: &str) {
    m.ui.flash = Some(Flash {
        text: text.to_string(),
        kind: FlashKind::Info,
    });
}

fn error(m: &mut Model, text: &str) {
    m.ui.flash = Some(Flash {
        text: text.to_string(),
        kind: FlashKind::Error,
    });
}

fn open_input(m: &mut Model, purpose: Purpose) {
    m.ui.mode = Mode::Input {
        purpose,
        text: String::new(),
    };
}

/// Whether signing off this step is really a probe override.
fn is_probe_backed(m: &Model, i: usize) -> bool {
    m.plan.steps[i]
        .probe
        .as_ref()
        .is_some_and(|p| p.completes())
}

fn activate_step(m: &mut Model, i: usize) -> Vec<Effect> {
    let id = m.plan.steps[i].id.clone();
    if is_probe_backed(m, i) {
        let what = EventKind::StepOverridden {
            step: id,
            reason: String::new(),
        };
        if may_ask_for_text(m, what) {
            open_input(m, Purpose::Override(i));
        }
        return Vec::new();
    }
    if m.state.steps[i].status.is_complete() {
        // The rule book first, so the jump seat hears "read-only", not a hint to undo.
        let probe = EventKind::StepUndone {
            step: id.clone(),
            reason: String::new(),
        };
        if may_ask_for_text(m, probe) {
            let text = format!(
                "`{id}` is already {} — press u to undo it",
                m.state.steps[i].status.label()
            );
            info(m, &text);
        }
        return Vec::new();
    }
    let done = format!("✔ {id} signed off");
    propose(
        m,
        i,
        "Sign off",
        EventKind::StepDone {
            step: id,
            note: None,
        },
        done,
    )
}

fn submit(m: &mut Model, purpose: Purpose, text: String) -> Vec<Effect> {
    let reason = text.trim().to_string();
    if reason.is_empty() {
        error(
            m,
            if purpose == Purpose::Note {
                "the note is empty — type it, or Esc to cancel"
            } else {
                "a reason is required — type it, or Esc to cancel"
            },
        );
        m.ui.mode = Mode::Input { purpose, text };
        return Vec::new();
    }
    m.ui.mode = Mode::Normal;
    let step_of = |i: usize| m.plan.steps[i].id.clone();
    // The rule book again: the seat cannot change, but a text field must never be a way around it.
    let (step, verb, what, done) = match purpose {
        Purpose::Note => (
            None,
            "Note",
            EventKind::Note { text: reason },
            "note added".to_string(),
        ),
        Purpose::Undo(i) => (
            Some(i),
            "Undo",
            EventKind::StepUndone {
                step: step_of(i),
                reason,
            },
            // Undoing what a probe saw leaves the step pending for good: say how to finish it.
            if matches!(
                m.state.steps[i].status,
                crate::timeline::StepStatus::Observed { .. }
            ) {
                format!(
                    "↶ {} undone — its probe's earlier sighting no longer counts; mark it done (with the reason) when it really is",
                    step_of(i)
                )
            } else {
                format!("↶ {} undone", step_of(i))
            },
        ),
        Purpose::Skip(i) => (
            Some(i),
            "Skip",
            EventKind::StepSkipped {
                step: step_of(i),
                reason,
            },
            format!("⤼ {} skipped", step_of(i)),
        ),
        Purpose::Override(i) => (
            Some(i),
            "Override",
            EventKind::StepOverridden {
                step: step_of(i),
                reason,
            },
            format!("✚ {} overridden", step_of(i)),
        ),
    };
    match step {
        Some(i) => propose(m, i, verb, what, done),
        None => record(m, what, done),
    }
}

/// Records what asks no confirmation (a note, a star), or says why not.
fn record(m: &mut Model, what: EventKind, done: String) -> Vec<Effect> {
    match judge(m, what).confirmed() {
        Ok(permit) => vec![Effect::Append { permit, done }],
        Err(r) => {
            refuse(m, &r);
            Vec::new()
        }
    }
}

fn star(m: &mut Model) -> Vec<Effect> {
    let Some(pos) = m.selected_timeline() else {
        info(m, "the timeline is empty");
        return Vec::new();
    };
    let Some(e) = m
        .state
        .timeline
        .get(pos)
        .and_then(|&i| m.state.events.get(i))
    else {
        return Vec::new();
    };
    let event = e.id.clone();
    let (what, done) = if m.state.starred.contains(&event) {
        (EventKind::Unstarred { event }, "☆ unstarred")
    } else {
        (EventKind::Starred { event }, "★ starred")
    };
    record(m, what, done.into())
}

fn link_here(m: &Model, focus: Pane) -> Option<String> {
    match focus {
        Pane::Checklist => {
            let i = m.selected_step()?;
            let step = &m.plan.steps[i];
            step.link.clone().or_else(|| {
                let probe = step.probe.as_ref()?.id();
                m.last_observation(&probe).and_then(|e| e.link.clone())
            })
        }
        Pane::Timeline => {
            let pos = m.selected_timeline()?;
            let &i = m.state.timeline.get(pos)?;
            m.state.events.get(i)?.link.clone()
        }
        Pane::Probes => m
            .board
            .lines
            .get(m.ui.board_cursor)?
            .link()
            .map(str::to_string),
    }
}

fn set_fold(m: &mut Model, phase: usize, fold: bool) {
    let current = m.ui.rows.get(m.ui.cursor).copied();
    if fold {
        m.ui.folded.insert(phase);
    } else {
        m.ui.folded.remove(&phase);
    }
    m.ui.rows = m.rows();
    // Keep the cursor on the same row, or on the phase that swallowed it.
    let target = match current {
        Some(Row::Step(s)) if fold && m.plan.steps.get(s).is_some_and(|st| st.phase == phase) => {
            Some(Row::Phase(phase))
        }
        other => other,
    };
    m.ui.cursor = target
        .and_then(|t| m.ui.rows.iter().position(|r| *r == t))
        .unwrap_or(0);
}

fn page(m: &Model, pane: Pane) -> isize {
    let h = pane_rect(m, pane).map(inner_height).unwrap_or(10);
    h.saturating_sub(1).max(1) as isize
}

fn pane_rect(m: &Model, pane: Pane) -> Option<ratatui::layout::Rect> {
    let a = layout::areas(m.ui.size.0, m.ui.size.1, m.ui.focus)?;
    match pane {
        Pane::Checklist => Some(a.checklist),
        Pane::Probes => a.probes,
        Pane::Timeline => Some(a.timeline),
    }
}

fn clamp_add(pos: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let p = pos as isize + delta;
    p.clamp(0, len as isize - 1) as usize
}

fn move_by(m: &mut Model, pane: Pane, delta: isize) {
    match pane {
        Pane::Checklist => m.ui.cursor = clamp_add(m.ui.cursor, delta, m.ui.rows.len()),
        Pane::Probes => {
            m.ui.board_cursor = clamp_add(m.ui.board_cursor, delta, m.board.lines.len())
        }
        Pane::Timeline => {
            let len = m.state.timeline.len();
            if len == 0 {
                return;
            }
            let cur = m.selected_timeline().unwrap_or(len - 1);
            let next = clamp_add(cur, delta, len);
            if delta > 0 && next == len - 1 {
                // Reaching the newest resumes following.
                m.ui.selected_event = None;
            } else {
                select_event(m, next);
            }
        }
    }
}

/// `None`: the last (and, in the timeline, follow the newest).
fn move_to(m: &mut Model, pane: Pane, pos: Option<usize>) {
    match pane {
        Pane::Checklist => m.ui.cursor = pos.unwrap_or(m.ui.rows.len().saturating_sub(1)),
        Pane::Probes => m.ui.board_cursor = pos.unwrap_or(m.board.lines.len().saturating_sub(1)),
        Pane::Timeline => match pos {
            Some(p) if !m.state.timeline.is_empty() => select_event(m, p),
            _ => m.ui.selected_event = None,
        },
    }
}

fn select_event(m: &mut Model, pos: usize) {
    if let Some(&i) = m.state.timeline.get(pos) {
        m.ui.selected_event = Some((pos, m.state.events[i].id.clone()));
    }
}

fn pane_at(m: &Model, col: u16, row: u16) -> Option<Pane> {
    let a = layout::areas(m.ui.size.0, m.ui.size.1, m.ui.focus)?;
    if layout::contains(a.checklist, col, row) {
        Some(Pane::Checklist)
    } else if a.probes.is_some_and(|r| layout::contains(r, col, row)) {
        Some(Pane::Probes)
    } else if layout::contains(a.timeline, col, row) {
        Some(Pane::Timeline)
    } else {
        None
    }
}

fn click(m: &mut Model, col: u16, row: u16) {
    let Some(pane) = pane_at(m, col, row) else {
        return;
    };
    m.ui.focus = Some(pane);
    let Some(r) = pane_rect(m, pane) else { return };
    if row <= r.y || row + 1 >= r.y + r.height {
        return; // a border
    }
    let line = usize::from(row - r.y - 1);
    match pane {
        Pane::Checklist => {
            let p = m.ui.offset + line;
            if p < m.ui.rows.len() {
                m.ui.cursor = p;
            }
        }
        Pane::Probes => {
            let p = m.ui.board_offset + line;
            if p < m.board.lines.len() {
                m.ui.board_cursor = p;
            }
        }
        Pane::Timeline => {
            let first = timeline_first(m, inner_height(r));
            let p = first + line;
            if p < m.state.timeline.len() {
                if p + 1 == m.state.timeline.len() {
                    m.ui.selected_event = None;
                } else {
                    select_event(m, p);
                }
            }
        }
    }
}

/// The first timeline entry on screen: the newest page while following.
pub fn timeline_first(m: &Model, height: usize) -> usize {
    let len = m.state.timeline.len();
    match m.ui.selected_event {
        None => len.saturating_sub(height),
        Some(_) => m.ui.timeline_offset.min(len.saturating_sub(1)),
    }
}

fn scroll_into(offset: &mut usize, cursor: usize, height: usize) {
    if height == 0 {
        return;
    }
    if cursor < *offset {
        *offset = cursor;
    } else if cursor >= *offset + height {
        *offset = cursor + 1 - height;
    }
}

/// Keeps every cursor on screen for the current size (after any action).
fn keep_in_view(m: &mut Model) {
    m.ui.cursor = m.ui.cursor.min(m.ui.rows.len().saturating_sub(1));
    m.ui.board_cursor = m.ui.board_cursor.min(m.board.lines.len().saturating_sub(1));
    let Some(a) = layout::areas(m.ui.size.0, m.ui.size.1, m.ui.focus) else {
        return;
    };
    scroll_into(&mut m.ui.offset, m.ui.cursor, inner_height(a.checklist));
    if let Some(p) = a.probes {
        scroll_into(&mut m.ui.board_offset, m.ui.board_cursor, inner_height(p));
    }
    let th = inner_height(a.timeline);
    match m.ui.selected_event.as_ref().map(|s| s.0) {
        Some(pos) => {
            if m.ui.timeline_offset == usize::MAX {
                m.ui.timeline_offset = 0;
            }
            scroll_into(&mut m.ui.timeline_offset, pos, th);
        }
        // While following, remember where the newest page starts so that the
        // first step up scrolls from there instead of jumping to the top.
        None => m.ui.timeline_offset = m.state.timeline.len().saturating_sub(th),
    }
}

/// Re-applies the view rules after the driver changed the model (a re-fold).
pub fn after_refold(m: &mut Model) {
    keep_in_view(m);
}

/// Tells the crew member what became of an effect.
fn outcome_seen(m: &mut Model, outcome: Outcome) {
    let (kind, text) = match outcome {
        Outcome::Appended { done } => (FlashKind::Ok, done),
        Outcome::NotRecorded(why) => (FlashKind::Error, format!("nothing was recorded: {why}")),
        Outcome::Exported(path) => (
            FlashKind::Ok,
            format!("exported the post-mortem to {}", path.display()),
        ),
        Outcome::ExportFailed(why) => (FlashKind::Error, format!("export failed: {why}")),
        Outcome::Copied { what, text } => (
            FlashKind::Ok,
            format!(
                "copied the {what} to the clipboard (OSC 52): {}",
                super::panes::fit(&text, 60)
            ),
        ),
        Outcome::CopyFailed(why) => (FlashKind::Error, format!("could not copy: {why}")),
        Outcome::Refreshed => return,
        Outcome::LogUnreadable(why) => {
            // Said once, not on every refresh.
            if m.ui.flash.as_ref().is_some_and(|f| f.text == why) {
                return;
            }
            (FlashKind::Error, why)
        }
    };
    m.ui.flash = Some(Flash { text, kind });
}
