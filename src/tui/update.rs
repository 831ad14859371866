//! `update(&mut Model, Action) -> Vec<Effect>`: every decision of the cockpit,
//! pure and testable without a terminal. Every event the cockpit would write
//! is put to the rule book ([`crate::timeline::rules::judge`]) here; an
//! [`Effect::Append`] carries the rule book's permit, nothing else.

use super::action::{Action, Effect, Outcome};
use super::find::Filter;
use super::layout::Zoom;
use super::model::{Flash, FlashKind, Mode, Model, Pane, Purpose, Row};
use super::nav::{self, click, keep_in_view, move_by, move_to, pane_at};
use crate::probe::ProbeMsg;
use crate::timeline::EventKind;
use crate::timeline::rules::{self, Book, Refusal, Verdict};

/// The longest note or reason a text field takes (a post-mortem row, not an essay).
pub(crate) const MAX_TEXT: usize = 500;

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
                    // A probe turning red (or back) changes what "alarms only" shows.
                    if m.ui.filter == Filter::Alarms {
                        keep_in_view(m);
                    }
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
            let before = m.ui.notify.then(|| super::notify::Before::of(m));
            let fresh = m.record(events);
            keep_in_view(m);
            ask_to_close(m);
            return before
                .and_then(|b| b.alert(m, &fresh))
                .map(Effect::Notify)
                .into_iter()
                .collect();
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
            let o = m.ui.help_offset;
            match action {
                Action::Up => m.ui.help_offset = o.saturating_sub(1),
                Action::Down => m.ui.help_offset = o + 1,
                Action::PageUp => m.ui.help_offset = o.saturating_sub(10),
                Action::PageDown => m.ui.help_offset = o + 10,
                _ => {
                    m.ui.mode = Mode::Normal;
                    m.ui.help_offset = 0;
                }
            }
            Vec::new()
        }
        Mode::Show { .. } => {
            m.ui.mode = Mode::Normal;
            Vec::new()
        }
        Mode::Search { mut text } => {
            match action {
                Action::Type(c) => {
                    if text.chars().count() < MAX_TEXT && !c.is_control() {
                        text.push(c);
                    }
                    m.ui.mode = Mode::Search { text };
                }
                Action::Backspace => {
                    text.pop();
                    m.ui.mode = Mode::Search { text };
                }
                Action::Cancel => {
                    back_to_anchor(m);
                    info(m, "search cancelled");
                }
                Action::Submit => {
                    // From where the cursor was before typing filtered the list.
                    back_to_anchor(m);
                    let said = super::find::submit(m, text);
                    info(m, &said);
                }
                _ => m.ui.mode = Mode::Search { text },
            }
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
        Action::PageUp => nav::page_up(m, focus),
        Action::PageDown => nav::page_down(m, focus),
        Action::Top => move_to(m, focus, Some(0)),
        Action::Bottom => move_to(m, focus, None),
        Action::NextPane | Action::PrevPane => {
            let next = if matches!(action, Action::NextPane) {
                focus.next()
            } else {
                focus.prev()
            };
            m.ui.focus = Some(next);
            // A zoomed pane hands the whole screen to the next one.
            if matches!(m.ui.zoom, Some(Zoom::Pane(_))) {
                m.ui.zoom = Some(Zoom::Pane(next));
            }
        }
        Action::Search => {
            m.ui.search = None;
            m.ui.anchor = m.ui.rows.get(m.ui.cursor).copied();
            m.ui.mode = Mode::Search {
                text: String::new(),
            };
        }
        Action::NextMatch | Action::PrevMatch => {
            let said = super::find::step_search(m, matches!(action, Action::NextMatch));
            info(m, &said);
        }
        Action::Filter => {
            m.ui.filter = m.ui.filter.next();
            let said = match m.ui.filter {
                Filter::All => "filter off: everything is shown".to_string(),
                Filter::MySteps if m.role == crate::crew::Role::JumpSeat => {
                    "filter: my steps — the jump seat owns none (F for the next filter)".into()
                }
                f => format!("filter: {} — F for the next", f.label()),
            };
            info(m, &said);
        }
        Action::Zoom | Action::ZoomDetail => {
            let want = if matches!(action, Action::Zoom) {
                Zoom::Pane(focus)
            } else {
                Zoom::Detail
            };
            m.ui.zoom = if m.ui.zoom == Some(want) {
                None
            } else {
                Some(want)
            };
        }
        Action::Open => match link_here(m, focus) {
            Some(url) => return vec![Effect::Open(url)],
            None => info(m, "nothing to open here"),
        },
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
            Some(text) => return copy(m, "command", text),
            None => info(m, "this step has no command to copy"),
        },
        Action::CopyLink => match link_here(m, focus) {
            Some(text) => return copy(m, "link", text),
            None => info(m, "nothing to link to here"),
        },
        Action::Export => return vec![Effect::Export],
        Action::Help => m.ui.mode = Mode::Help,
        Action::Cancel => {
            if m.ui.search.take().is_some() {
                info(m, "search ended");
            } else if m.ui.zoom.take().is_some() {
                info(m, "zoom off");
            }
        }
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

/// Leaves the search field: the whole list again, the cursor where it was.
fn back_to_anchor(m: &mut Model) {
    m.ui.mode = Mode::Normal;
    m.ui.rows = m.rows();
    if let Some(pos) =
        m.ui.anchor
            .take()
            .and_then(|a| m.ui.rows.iter().position(|r| *r == a))
    {
        m.ui.cursor = pos;
    }
}

/// Copies through the terminal where it takes OSC 52; elsewhere shows the
/// text to copy by hand, instead of claiming it was copied.
fn copy(m: &mut Model, what: &'static str, text: String) -> Vec<Effect> {
    if m.ui.osc52 {
        return vec![Effect::Copy { what, text }];
    }
    m.ui.mode = Mode::Show {
        title: format!("The {what} — select it to copy (this terminal cannot take OSC 52)"),
        text,
    };
    Vec::new()
}

/// Puts an event to the rule book, on the release's clock.
fn judge(m: &Model, what: EventKind) -> Verdict {
    let book = Book::new(&m.plan, &m.state, m.now);
    rules::judge(&book, m.role, what)
}

/// Sentinel step index of the close question (it concerns no step).
pub(crate) const CLOSE_QUESTION: usize = usize::MAX;

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
                m.last_observation(&probe)
                    .and_then(|e| e.link.as_deref().map(String::from))
            })
        }
        Pane::Timeline => {
            let pos = m.selected_timeline()?;
            let &i = m.state.timeline.get(pos)?;
            m.state.events.get(i)?.link.as_deref().map(String::from)
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
        Outcome::Opened(url) => (
            FlashKind::Ok,
            format!("opened in the browser: {}", super::panes::fit(&url, 60)),
        ),
        Outcome::NotOpened { url, why } => {
            if m.ui.mode == Mode::Normal {
                m.ui.mode = Mode::Show {
                    title: format!("Not opened ({why}) — select the link to copy"),
                    text: url,
                };
            }
            return;
        }
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
