//! `update` and the role policy, without a terminal: every mutating action ×
//! every seat, spelled out; then properties over random key sequences.

use super::action::{Action, Effect};
use super::fixture::sample_model;
use super::model::{Mode, Model, Pane, Row};
use super::update::update;
use crate::checklist::StepId;
use crate::crew::Role;
use crate::timeline::rules::seat_may_record;
use crate::timeline::{EventKind, StepStatus};
use proptest::prelude::*;

const SEATS: [Role; 3] = [Role::Pilot, Role::Copilot, Role::JumpSeat];

/// What an attempt ended in, as the crew member would notice it.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// An event was handed to the driver to write.
    Wrote(EventKind),
    /// Refused, with the message on screen.
    Refused(String),
    /// Nothing written and nothing refused (navigation, copy, export…).
    Quiet(Vec<Effect>),
}

fn model(role: Role) -> Model {
    sample_model(role, (200, 50))
}

fn select_step(m: &mut Model, id: &str) {
    m.ui.focus = Some(Pane::Checklist);
    let i = m
        .plan
        .step_index(&StepId(id.into()))
        .unwrap_or_else(|| panic!("no step {id}"));
    m.ui.cursor =
        m.ui.rows
            .iter()
            .position(|r| *r == Row::Step(i))
            .unwrap_or_else(|| panic!("{id} not shown"));
}

/// Presses `action`, answers a confirmation with yes and a text field with a reason.
fn attempt(m: &mut Model, action: Action) -> Outcome {
    let mut effects = update(m, action);
    // A reason first, then a confirmation (an override asks both).
    if matches!(m.ui.mode, Mode::Input { .. }) {
        for c in "because".chars() {
            effects.extend(update(m, Action::Type(c)));
        }
        effects.extend(update(m, Action::Submit));
    }
    if matches!(m.ui.mode, Mode::Confirm { .. }) {
        effects.extend(update(m, Action::Confirm(true)));
    }
    let wrote: Vec<EventKind> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Append { permit, .. } => Some(permit.what().clone()),
            _ => None,
        })
        .collect();
    match (wrote.as_slice(), &m.ui.flash) {
        ([one], _) => Outcome::Wrote(one.clone()),
        ([], Some(f)) if f.kind == super::model::FlashKind::Error => {
            Outcome::Refused(f.text.clone())
        }
        ([], _) => Outcome::Quiet(effects),
        (many, _) => panic!("one key wrote {} events", many.len()),
    }
}

fn step(id: &str) -> StepId {
    StepId(id.into())
}

const JUMP: &str = "read-only: jump seat";

/// Every mutating action × every seat. `None` in the table means refused with that message.
#[test]
fn the_policy_table_every_action_by_every_seat() {
    type Expect = fn(Role) -> Result<EventKind, &'static str>;
    let cases: Vec<(&str, &str, Action, Expect)> = vec![
        (
            "sign off a pilot step (confirmed)",
            "merge-back",
            Action::Activate,
            |r| match r {
                Role::Pilot => Ok(EventKind::StepDone {
                    step: step("merge-back"),
                    note: None,
                }),
                Role::Copilot => {
                    Err("this step belongs to the pilot; a copilot cannot sign it off")
                }
                Role::JumpSeat => Err(JUMP),
            },
        ),
        (
            "sign off an `any` step",
            "docs",
            Action::Activate,
            |r| match r {
                Role::JumpSeat => Err(JUMP),
                _ => Ok(EventKind::StepDone {
                    step: step("docs"),
                    note: None,
                }),
            },
        ),
        (
            "sign off a blocked copilot step (confirmed)",
            "announce",
            Action::Activate,
            |r| match r {
                Role::JumpSeat => Err(JUMP),
                _ => Ok(EventKind::StepDone {
                    step: step("announce"),
                    note: None,
                }),
            },
        ),
        (
            "override a probe-backed step",
            "on-defaults",
            Action::Activate,
            |r| match r {
                Role::Pilot => Ok(EventKind::StepOverridden {
                    step: step("on-defaults"),
                    reason: "because".into(),
                }),
                Role::Copilot => Err(
                    "only the pilot may override a probe-backed step (complete, skip or undo it by hand)",
                ),
                Role::JumpSeat => Err(JUMP),
            },
        ),
        (
            "undo a pilot step",
            "release-issue",
            Action::Undo,
            |r| match r {
                Role::Pilot => Ok(EventKind::StepUndone {
                    step: step("release-issue"),
                    reason: "because".into(),
                }),
                Role::Copilot => {
                    Err("this step belongs to the pilot; a copilot cannot sign it off")
                }
                Role::JumpSeat => Err(JUMP),
            },
        ),
        ("undo a copilot step", "alert", Action::Undo, |r| match r {
            Role::JumpSeat => Err(JUMP),
            _ => Ok(EventKind::StepUndone {
                step: step("alert"),
                reason: "because".into(),
            }),
        }),
        ("skip an `any` step", "docs", Action::Skip, |r| match r {
            Role::JumpSeat => Err(JUMP),
            _ => Ok(EventKind::StepSkipped {
                step: step("docs"),
                reason: "because".into(),
            }),
        }),
        (
            "skip a pilot step",
            "merge-back",
            Action::Skip,
            |r| match r {
                Role::Pilot => Ok(EventKind::StepSkipped {
                    step: step("merge-back"),
                    reason: "because".into(),
                }),
                Role::Copilot => {
                    Err("this step belongs to the pilot; a copilot cannot sign it off")
                }
                Role::JumpSeat => Err(JUMP),
            },
        ),
        ("add a note", "docs", Action::Note, |r| match r {
            Role::JumpSeat => Err(JUMP),
            _ => Ok(EventKind::Note {
                text: "because".into(),
            }),
        }),
    ];
    for (what, id, action, expect) in &cases {
        for seat in SEATS {
            let mut m = model(seat);
            select_step(&mut m, id);
            let got = attempt(&mut m, action.clone());
            let want = match expect(seat) {
                Ok(kind) => Outcome::Wrote(kind),
                Err(msg) => Outcome::Refused(msg.to_string()),
            };
            assert_eq!(got, want, "{what} as {seat}");
        }
    }
}

#[test]
fn starring_is_for_the_crew_not_the_jump_seat() {
    for seat in SEATS {
        let mut m = model(seat);
        m.ui.focus = Some(Pane::Timeline);
        // Following: the newest event is the one acted on.
        let newest = m.state.events[*m.state.timeline.last().expect("events")]
            .id
            .clone();
        let got = attempt(&mut m, Action::Star);
        match seat {
            Role::JumpSeat => assert_eq!(got, Outcome::Refused(JUMP.into())),
            _ => assert_eq!(
                got,
                Outcome::Wrote(EventKind::Starred {
                    event: newest.clone()
                })
            ),
        }
    }
    // A starred event unstars.
    let mut m = model(Role::Copilot);
    m.ui.focus = Some(Pane::Timeline);
    let starred = m
        .state
        .starred
        .iter()
        .next()
        .cloned()
        .expect("the sample stars one event");
    let pos = m
        .state
        .timeline
        .iter()
        .position(|&i| m.state.events[i].id == starred)
        .expect("on the timeline");
    m.ui.selected_event = Some((pos, starred.clone()));
    assert_eq!(
        attempt(&mut m, Action::Star),
        Outcome::Wrote(EventKind::Unstarred { event: starred })
    );
}

#[test]
fn reading_keys_work_in_every_seat_and_write_nothing() {
    for seat in SEATS {
        for (pane, action) in [
            (Pane::Checklist, Action::CopyCommand),
            (Pane::Checklist, Action::CopyLink),
            (Pane::Timeline, Action::CopyLink),
            (Pane::Probes, Action::CopyLink),
            (Pane::Checklist, Action::Export),
            (Pane::Checklist, Action::Fold),
            (Pane::Checklist, Action::Help),
            (Pane::Timeline, Action::Up),
            (Pane::Probes, Action::Down),
        ] {
            let mut m = model(seat);
            select_step(&mut m, "cut-branch");
            m.ui.focus = Some(pane);
            if pane == Pane::Probes {
                // A feedstock PR line: it has a link.
                m.ui.board_cursor = m
                    .board
                    .lines
                    .iter()
                    .position(|l| l.link().is_some())
                    .expect("a linked line");
            }
            match attempt(&mut m, action.clone()) {
                Outcome::Quiet(_) => {}
                other => panic!("{action:?} in {pane:?} as {seat}: {other:?}"),
            }
        }
    }
}

#[test]
fn copying_hands_the_text_to_the_driver_only_where_the_terminal_takes_osc52() {
    let mut m = model(Role::JumpSeat);
    let cmd = "git switch -c 26.11.x upstream/main && git push upstream 26.11.x";
    select_step(&mut m, "cut-branch");
    // A terminal not known to take OSC 52: the text is shown to copy by hand.
    m.ui.osc52 = false;
    assert_eq!(update(&mut m, Action::CopyCommand), vec![]);
    match &m.ui.mode {
        Mode::Show { title, text } => {
            assert_eq!(text, cmd);
            assert!(title.contains("cannot take OSC 52"), "{title}");
        }
        other => panic!("the command is not shown: {other:?}"),
    }
    let _ = update(&mut m, Action::Cancel);
    assert_eq!(m.ui.mode, Mode::Normal, "any key closes it");
    m.ui.osc52 = true;
    let fx = update(&mut m, Action::CopyCommand);
    assert_eq!(
        fx,
        vec![Effect::Copy {
            what: "command",
            text: cmd.into()
        }]
    );
    select_step(&mut m, "release-issue");
    assert_eq!(update(&mut m, Action::CopyCommand), vec![]);
    assert_eq!(
        m.ui.flash.as_ref().map(|f| f.text.as_str()),
        Some("this step has no command to copy")
    );
}

#[test]
fn export_is_an_effect_for_the_driver() {
    let mut m = model(Role::JumpSeat);
    assert_eq!(update(&mut m, Action::Export), vec![Effect::Export]);
}

#[test]
fn a_pilot_only_step_asks_first_and_no_means_nothing_is_written() {
    let mut m = model(Role::Pilot);
    select_step(&mut m, "merge-back");
    assert!(update(&mut m, Action::Activate).is_empty());
    match &m.ui.mode {
        Mode::Confirm { reasons, .. } => {
            assert_eq!(reasons, &vec!["a pilot-only step".to_string()])
        }
        other => panic!("expected a confirmation, got {other:?}"),
    }
    // Stray keys leave the question open.
    assert!(update(&mut m, Action::Down).is_empty());
    assert!(matches!(m.ui.mode, Mode::Confirm { .. }));
    assert!(update(&mut m, Action::Confirm(false)).is_empty());
    assert_eq!(m.ui.mode, Mode::Normal);
    assert_eq!(
        m.ui.flash.as_ref().map(|f| f.text.as_str()),
        Some("not signed off")
    );
}

#[test]
fn gates_and_unmet_needs_are_named_in_the_confirmation() {
    let mut m = model(Role::Pilot);
    select_step(&mut m, "handoff");
    let _ = update(&mut m, Action::Activate);
    match &m.ui.mode {
        Mode::Confirm { reasons, .. } => {
            assert!(reasons.iter().any(|r| r.contains("Friday")), "{reasons:?}");
        }
        other => panic!("expected a confirmation, got {other:?}"),
    }
    let mut m = model(Role::Copilot);
    select_step(&mut m, "announce");
    let _ = update(&mut m, Action::Activate);
    match &m.ui.mode {
        Mode::Confirm { reasons, .. } => assert_eq!(
            reasons,
            &vec!["blocked: needs on-defaults first".to_string()]
        ),
        other => panic!("expected a confirmation, got {other:?}"),
    }
}

#[test]
fn an_empty_reason_is_refused_and_the_field_stays_open() {
    let mut m = model(Role::Pilot);
    select_step(&mut m, "docs");
    let _ = update(&mut m, Action::Skip);
    let _ = update(&mut m, Action::Type(' '));
    assert!(update(&mut m, Action::Submit).is_empty());
    assert!(matches!(m.ui.mode, Mode::Input { .. }));
    assert!(
        m.ui.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("a reason is required"))
    );
    let _ = update(&mut m, Action::Cancel);
    assert_eq!(m.ui.mode, Mode::Normal);
}

#[test]
fn completed_steps_point_at_undo() {
    let mut m = model(Role::Pilot);
    select_step(&mut m, "release-issue");
    assert!(update(&mut m, Action::Activate).is_empty());
    assert!(
        m.ui.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("press u to undo")),
        "{:?}",
        m.ui.flash
    );
}

#[test]
fn phases_fold_and_the_cursor_follows_into_the_header() {
    let mut m = model(Role::JumpSeat);
    select_step(&mut m, "cut-branch");
    let rows = m.ui.rows.len();
    let _ = update(&mut m, Action::Fold);
    assert_eq!(m.ui.rows[m.ui.cursor], Row::Phase(0));
    assert_eq!(m.ui.rows.len(), rows - 6);
    let _ = update(&mut m, Action::Activate);
    assert_eq!(m.ui.rows.len(), rows);
}

#[test]
fn the_timeline_follows_until_scrolled_and_resumes_at_the_bottom() {
    let mut m = model(Role::Pilot);
    m.ui.focus = Some(Pane::Timeline);
    let len = m.state.timeline.len();
    assert_eq!(m.selected_timeline(), Some(len - 1));
    let _ = update(&mut m, Action::Up);
    assert_eq!(m.selected_timeline(), Some(len - 2));
    assert!(
        m.ui.selected_event.is_some(),
        "scrolled: no longer following"
    );
    let _ = update(&mut m, Action::Down);
    assert!(
        m.ui.selected_event.is_none(),
        "back at the newest: following again"
    );
    let _ = update(&mut m, Action::Top);
    assert_eq!(m.selected_timeline(), Some(0));
    let _ = update(&mut m, Action::Bottom);
    assert!(m.ui.selected_event.is_none());
}

#[test]
fn the_selection_survives_a_refold_with_an_older_event_arriving() {
    let mut m = model(Role::Pilot);
    m.ui.focus = Some(Pane::Timeline);
    let _ = update(&mut m, Action::Top);
    let _ = update(&mut m, Action::Down);
    let chosen = m.ui.selected_event.clone().expect("selected").1;
    // Another crew member's event, dated before everything else, arrives.
    let mut events = super::fixture::sample_events();
    let mut early = events[0].clone();
    early.id = crate::timeline::EventId::from("e0000");
    early.at = super::fixture::at(1, 0, 0);
    early.what = EventKind::Note {
        text: "early".into(),
    };
    events.push(early);
    m.refold(&events);
    let (pos, id) = m.ui.selected_event.clone().expect("still selected");
    assert_eq!(id, chosen);
    assert_eq!(m.state.events[m.state.timeline[pos]].id, chosen);
}

#[test]
fn mouse_clicks_pick_the_pane_and_row_under_the_pointer() {
    let mut m = model(Role::Pilot);
    let a = super::layout::areas(200, 50, m.ui.focus).expect("fits");
    let (checklist, timeline) = (a.checklist.expect("shown"), a.timeline.expect("shown"));
    // Third line inside the checklist frame.
    let _ = update(
        &mut m,
        Action::Click {
            col: checklist.x + 3,
            row: checklist.y + 3,
        },
    );
    assert_eq!(m.ui.focus, Some(Pane::Checklist));
    assert_eq!(m.ui.cursor, m.ui.offset + 2);
    let _ = update(
        &mut m,
        Action::Click {
            col: timeline.x + 5,
            row: timeline.y + 1,
        },
    );
    assert_eq!(m.ui.focus, Some(Pane::Timeline));
    let newest_page = m.state.timeline.len() - super::layout::inner_height(timeline);
    assert_eq!(
        m.selected_timeline(),
        Some(newest_page),
        "following shows the newest page; its first line was clicked"
    );
    assert!(
        m.ui.selected_event.is_some(),
        "a click on an older event stops following"
    );
    let _ = update(
        &mut m,
        Action::Scroll {
            col: checklist.x + 3,
            row: checklist.y + 3,
            down: true,
        },
    );
    assert_eq!(m.ui.cursor, m.ui.offset + 2 + 3);
}

#[test]
fn the_next_step_is_per_seat() {
    let next = |r| {
        let m = model(r);
        m.next_step().map(|i| m.plan.steps[i].id.0.clone())
    };
    assert_eq!(next(Role::Pilot).as_deref(), Some("merge-back"));
    assert_eq!(
        next(Role::Copilot).as_deref(),
        Some("docs"),
        "merge-back is the pilot's"
    );
}

fn any_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Up),
        Just(Action::Down),
        Just(Action::PageDown),
        Just(Action::Top),
        Just(Action::Bottom),
        Just(Action::NextPane),
        Just(Action::Fold),
        Just(Action::Unfold),
        Just(Action::Activate),
        Just(Action::Undo),
        Just(Action::Skip),
        Just(Action::Note),
        Just(Action::Star),
        Just(Action::CopyLink),
        Just(Action::Help),
        Just(Action::Search),
        Just(Action::NextMatch),
        Just(Action::PrevMatch),
        Just(Action::Filter),
        Just(Action::Zoom),
        Just(Action::ZoomDetail),
        Just(Action::Open),
        Just(Action::Confirm(true)),
        Just(Action::Confirm(false)),
        any::<char>().prop_map(Action::Type),
        Just(Action::Backspace),
        Just(Action::Submit),
        Just(Action::Cancel),
        (0u16..260, 0u16..90).prop_map(|(col, row)| Action::Click { col, row }),
        (0u16..260, 0u16..90, any::<bool>()).prop_map(|(col, row, down)| Action::Scroll {
            col,
            row,
            down
        }),
        (0u16..260, 0u16..90).prop_map(|(w, h)| Action::Resize(w, h)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deny by default: whatever is pressed, no seat ever gets an event past
    /// the policy, and the jump seat never writes at all.
    #[test]
    fn no_key_sequence_gets_past_the_policy(seat in 0usize..3, actions in prop::collection::vec(any_action(), 1..60)) {
        let seat = SEATS[seat];
        let mut m = model(seat);
        for a in actions {
            for fx in update(&mut m, a) {
                if let Effect::Append { permit, .. } = fx {
                    let what = permit.what();
                    prop_assert_ne!(seat, Role::JumpSeat, "the jump seat wrote {:?}", what);
                    prop_assert_eq!(permit.seat(), seat);
                    prop_assert!(
                        seat_may_record(Some(&m.plan), seat, what).is_ok(),
                        "{seat} wrote {what:?}"
                    );
                }
            }
            // Cursors stay on something that exists.
            prop_assert!(m.ui.rows.is_empty() || m.ui.cursor < m.ui.rows.len());
            prop_assert!(m.ui.board_cursor < m.board.lines.len().max(1));
            if let Some(v) = &m.ui.timeline_view {
                prop_assert!(v.iter().all(|&p| p < m.state.timeline.len()));
            }
            if let Some((p, _)) = &m.ui.selected_event {
                prop_assert!(*p < m.state.timeline.len());
            }
            // Every frame draws, whatever state the keys left behind.
            let area = ratatui::layout::Rect::new(0, 0, m.ui.size.0.min(260), m.ui.size.1.min(90));
            let mut buf = ratatui::buffer::Buffer::empty(area);
            super::view::render(&m, &super::theme::Theme::monochrome(), area, &mut buf);
        }
    }
}

#[test]
fn probe_messages_update_the_header_counts_and_recorded_events_arrive_from_the_store() {
    let mut m = model(Role::JumpSeat);
    assert_eq!(m.health_counts(), (6, 1, 0));
    let mut r = super::fixture::sample_reports().remove(5);
    r.health = crate::probe::Health::Failing;
    let _ = update(&mut m, Action::Probe(crate::probe::ProbeMsg::Report(r)));
    assert_eq!(m.health_counts(), (6, 0, 1));
    // A probe's own word that it recorded something changes nothing: the
    // store delivers the event itself, in memory.
    let mut e = super::fixture::sample_events().remove(1);
    let before = m.state.timeline.len();
    assert!(
        update(
            &mut m,
            Action::Probe(crate::probe::ProbeMsg::Recorded(Box::new(e.clone())))
        )
        .is_empty()
    );
    assert_eq!(m.state.timeline.len(), before);
    e.id = crate::timeline::EventId::from("from-the-store");
    e.what = EventKind::Note {
        text: "canary builds look green".into(),
    };
    assert!(update(&mut m, Action::Recorded(vec![std::sync::Arc::new(e)])).is_empty());
    assert_eq!(m.state.timeline.len(), before + 1);
    assert_eq!(
        m.state.notes.len(),
        1 + super::fixture::sample_events()
            .iter()
            .filter(|e| matches!(e.what, EventKind::Note { .. }))
            .count()
    );
}

#[test]
fn the_sample_is_what_the_snapshots_claim() {
    let m = model(Role::Pilot);
    let status = |id: &str| {
        m.state
            .step(&step(id))
            .map(|s| s.status.label())
            .unwrap_or("?")
    };
    assert_eq!(status("tag"), "observed");
    assert_eq!(status("on-conda-forge"), "observed");
    assert_eq!(status("handoff"), "ready");
    assert!(matches!(
        m.state.step(&step("on-defaults")).map(|s| &s.status),
        Some(StepStatus::Blocked { .. })
    ));
    assert_eq!(
        m.gate_warnings(),
        vec![
            "skew: conda on conda-forge 22h33m ahead of defaults".to_string(),
            "Friday — the checklist says not to release today".to_string()
        ]
    );
}

#[test]
fn undoing_an_observed_step_says_how_to_complete_it_again() {
    let mut m = model(Role::Pilot);
    let i = m
        .state
        .steps
        .iter()
        .position(|s| matches!(s.status, StepStatus::Observed { .. }))
        .expect("the sample has an observed step");
    let id = m.plan.steps[i].id.0.clone();
    select_step(&mut m, &id);
    let mut effects = update(&mut m, Action::Undo);
    for c in "wrong tag".chars() {
        effects.extend(update(&mut m, Action::Type(c)));
    }
    effects.extend(update(&mut m, Action::Submit));
    if matches!(m.ui.mode, Mode::Confirm { .. }) {
        effects.extend(update(&mut m, Action::Confirm(true)));
    }
    let done = effects.iter().find_map(|e| match e {
        Effect::Append { done, .. } => Some(done.clone()),
        _ => None,
    });
    assert!(
        done.as_deref()
            .is_some_and(|d| d.contains("undone") && d.contains("mark it done")),
        "{done:?}"
    );
}
