//! Intents and their key bindings. A key press becomes an [`Action`] through
//! one table ([`BINDINGS`]) that the help overlay also lists, so the help can
//! never disagree with the keys.

use super::model::{Mode, Model, Pane};
use crate::probe::ProbeMsg;
use crate::timeline::{Event, Permit};
use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// What the crew member (or the world) wants.
#[derive(Debug, Clone)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    /// Fold the phase under the cursor (or the step's phase).
    Fold,
    Unfold,
    /// Space / Enter: sign off the step (or fold a phase), star an event.
    Activate,
    Undo,
    Skip,
    Note,
    Star,
    CopyCommand,
    CopyLink,
    Export,
    /// `/`: open the search field.
    Search,
    /// `n` / `N` after a search.
    NextMatch,
    PrevMatch,
    /// `F`: the next view filter.
    Filter,
    /// `z`: the focused pane on the whole screen, and back.
    Zoom,
    /// `d`: the selection's details on the whole screen, and back.
    ZoomDetail,
    /// `o`: open the selected link in the browser.
    Open,
    Help,
    Quit,
    /// In a confirmation: yes / no.
    Confirm(bool),
    /// In a text field.
    Type(char),
    Backspace,
    Submit,
    Cancel,
    Click {
        col: u16,
        row: u16,
    },
    Scroll {
        col: u16,
        row: u16,
        down: bool,
    },
    Resize(u16, u16),
    /// The clock moved.
    Tick(DateTime<Utc>),
    Probe(ProbeMsg),
    /// Events the store recorded (ours, a probe's, another process's).
    Recorded(Vec<std::sync::Arc<Event>>),
    /// What became of an effect the driver performed.
    Outcome(Outcome),
    /// The crew sync's last exchange (what went up, what came down, who was seen).
    Synced(crate::crew::share::Report),
}

/// What became of an [`Effect`]: the driver performs it, `update` decides
/// what the crew member sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The event is on disk; show `done`.
    Appended {
        done: String,
    },
    /// Nothing was recorded.
    NotRecorded(String),
    /// The post-mortem was written there.
    Exported(std::path::PathBuf),
    ExportFailed(String),
    Copied {
        what: &'static str,
        text: String,
    },
    CopyFailed(String),
    /// The link was handed to the platform's opener.
    Opened(String),
    /// No opener could be started: the link is shown to copy, with why.
    NotOpened {
        url: String,
        why: String,
    },
    /// The log was read again: what arrived comes through the store.
    Refreshed,
    /// The log could not be read (another process's damage, a lost disk).
    LogUnreadable(String),
}

/// What `update` asks the driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Append to the timeline what the rule book permitted; on success show `done`.
    Append {
        permit: Permit,
        done: String,
    },
    /// Put text on the clipboard (OSC 52); `what` names it in the confirmation.
    Copy {
        what: &'static str,
        text: String,
    },
    /// Export the timeline (`crate::export`), when this build has it.
    Export,
    /// Open a link (http or https only) with the platform's opener, detached.
    Open(String),
    /// Ring the bell or send a desktop notification (opt-in; `update` emits
    /// it only when notifications are on).
    Notify(String),
    Quit,
}

/// A key as the table spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Char(char),
    Ctrl(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Key {
    pub(crate) fn label(self) -> String {
        match self {
            Key::Char(' ') => "space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Enter => "Enter".into(),
            Key::Esc => "Esc".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "Shift-Tab".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
        }
    }

    fn of(ev: &KeyEvent) -> Option<Key> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        Some(match ev.code {
            KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            _ => return None,
        })
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Every pane in normal mode.
    Any,
    Pane(Pane),
}

/// One row of the key table.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) keys: &'static [Key],
    pub(crate) ctx: Ctx,
    pub(crate) action: Action,
    pub(crate) help: &'static str,
    /// Writes to the timeline (refused in the jump seat).
    pub(crate) mutates: bool,
}

const fn b(
    keys: &'static [Key],
    ctx: Ctx,
    action: Action,
    help: &'static str,
    mutates: bool,
) -> Binding {
    Binding {
        keys,
        ctx,
        action,
        help,
        mutates,
    }
}

const CL: Ctx = Ctx::Pane(Pane::Checklist);
const TL: Ctx = Ctx::Pane(Pane::Timeline);
const PB: Ctx = Ctx::Pane(Pane::Probes);

/// Normal-mode keys. Pane rows come first so they win over `Any` rows.
pub(crate) const BINDINGS: &[Binding] = &[
    b(
        &[Key::Char(' '), Key::Enter],
        CL,
        Action::Activate,
        "sign off the step (or fold/unfold a phase)",
        true,
    ),
    b(
        &[Key::Char('u')],
        CL,
        Action::Undo,
        "undo the step's sign-off, skip or override (asks why)",
        true,
    ),
    b(
        &[Key::Char('s')],
        CL,
        Action::Skip,
        "skip the step (asks why)",
        true,
    ),
    b(
        &[Key::Left, Key::Char('h')],
        CL,
        Action::Fold,
        "fold the phase",
        false,
    ),
    b(&[Key::Right], CL, Action::Unfold, "unfold the phase", false),
    b(
        &[Key::Char('c')],
        CL,
        Action::CopyCommand,
        "copy the step's command",
        false,
    ),
    b(
        &[Key::Char('l')],
        CL,
        Action::CopyLink,
        "copy the step's link",
        false,
    ),
    b(
        &[Key::Char(' '), Key::Enter, Key::Char('*')],
        TL,
        Action::Star,
        "star / unstar the event",
        true,
    ),
    b(
        &[Key::Char('l')],
        TL,
        Action::CopyLink,
        "copy the event's link",
        false,
    ),
    b(
        &[Key::Char('f')],
        TL,
        Action::Bottom,
        "follow the newest event",
        false,
    ),
    b(
        &[Key::Char('l'), Key::Enter],
        PB,
        Action::CopyLink,
        "copy the link (PR, release, package)",
        false,
    ),
    b(
        &[Key::Up, Key::Char('k')],
        Ctx::Any,
        Action::Up,
        "move up",
        false,
    ),
    b(
        &[Key::Down, Key::Char('j')],
        Ctx::Any,
        Action::Down,
        "move down",
        false,
    ),
    b(&[Key::PageUp], Ctx::Any, Action::PageUp, "page up", false),
    b(
        &[Key::PageDown],
        Ctx::Any,
        Action::PageDown,
        "page down",
        false,
    ),
    b(
        &[Key::Home, Key::Char('g')],
        Ctx::Any,
        Action::Top,
        "first",
        false,
    ),
    b(
        &[Key::End, Key::Char('G')],
        Ctx::Any,
        Action::Bottom,
        "last",
        false,
    ),
    b(&[Key::Tab], Ctx::Any, Action::NextPane, "next pane", false),
    b(
        &[Key::BackTab],
        Ctx::Any,
        Action::PrevPane,
        "previous pane",
        false,
    ),
    b(
        &[Key::Char('n')],
        Ctx::Any,
        Action::Note,
        "add a note to the timeline",
        true,
    ),
    b(
        &[Key::Char('e')],
        Ctx::Any,
        Action::Export,
        "export the timeline",
        false,
    ),
    b(
        &[Key::Char('/')],
        Ctx::Any,
        Action::Search,
        "search steps and events (Enter jumps, Esc cancels)",
        false,
    ),
    b(
        &[Key::Char('F')],
        Ctx::Any,
        Action::Filter,
        "filter: all → my steps → alarms only → starred",
        false,
    ),
    b(
        &[Key::Char('o')],
        Ctx::Any,
        Action::Open,
        "open the selected link in the browser",
        false,
    ),
    b(
        &[Key::Char('z')],
        Ctx::Any,
        Action::Zoom,
        "zoom: this pane on the whole screen (again: back)",
        false,
    ),
    b(
        &[Key::Char('d')],
        Ctx::Any,
        Action::ZoomDetail,
        "details of the selection, whole screen (again: back)",
        false,
    ),
    b(
        &[Key::Char('?')],
        Ctx::Any,
        Action::Help,
        "this help",
        false,
    ),
    b(
        &[Key::Char('q'), Key::Ctrl('c')],
        Ctx::Any,
        Action::Quit,
        "quit",
        false,
    ),
];

/// Keys of the other modes, for the help overlay.
pub(crate) const MODE_KEYS: &[(&str, &str)] = &[
    (
        "y / n",
        "in a confirmation: yes / no (Enter = yes, Esc = no)",
    ),
    ("Enter / Esc", "in a text field: save / cancel"),
    ("n / N", "next / previous match of a search (Esc ends it)"),
    ("Esc", "ends a search, then leaves a zoom"),
    ("mouse", "click to select a row or pane, wheel to scroll"),
];

/// The bindings that apply to a pane, pane rows first.
pub(crate) fn bindings_for(pane: Pane) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.ctx == Ctx::Any || b.ctx == Ctx::Pane(pane))
}

/// Translates a key press into an action for the model's current mode.
pub(crate) fn key_action(model: &Model, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let key = Key::of(ev)?;
    if key == Key::Ctrl('c') {
        return Some(Action::Quit);
    }
    match &model.ui.mode {
        Mode::Help => Some(match key {
            Key::Char('q') => Action::Quit,
            // A long help scrolls on a short terminal.
            Key::Up | Key::Char('k') => Action::Up,
            Key::Down | Key::Char('j') => Action::Down,
            Key::PageUp => Action::PageUp,
            Key::PageDown => Action::PageDown,
            _ => Action::Cancel,
        }),
        Mode::Show { .. } => Some(Action::Cancel),
        Mode::Confirm { .. } => match key {
            Key::Char('y') | Key::Char('Y') | Key::Enter => Some(Action::Confirm(true)),
            Key::Char('n') | Key::Char('N') | Key::Esc | Key::Char('q') => {
                Some(Action::Confirm(false))
            }
            _ => None,
        },
        Mode::Input { .. } | Mode::Search { .. } => match key {
            Key::Enter => Some(Action::Submit),
            Key::Esc => Some(Action::Cancel),
            Key::Char(c) => Some(Action::Type(c)),
            _ if ev.code == KeyCode::Backspace => Some(Action::Backspace),
            _ => None,
        },
        Mode::Normal => {
            if key == Key::Esc {
                return Some(Action::Cancel);
            }
            // While a search is on, n/N walk its matches (a note waits until Esc).
            if model.ui.search.is_some() {
                match key {
                    Key::Char('n') => return Some(Action::NextMatch),
                    Key::Char('N') => return Some(Action::PrevMatch),
                    _ => {}
                }
            }
            let pane = model.ui.focus.unwrap_or(Pane::Checklist);
            bindings_for(pane)
                .find(|b| b.keys.contains(&key))
                .map(|b| b.action.clone())
        }
    }
}

/// Translates a mouse event.
pub(crate) fn mouse_action(ev: &MouseEvent) -> Option<Action> {
    match ev.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
            col: ev.column,
            row: ev.row,
        }),
        MouseEventKind::ScrollUp => Some(Action::Scroll {
            col: ev.column,
            row: ev.row,
            down: false,
        }),
        MouseEventKind::ScrollDown => Some(Action::Scroll {
            col: ev.column,
            row: ev.row,
            down: true,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_one_pane() {
        for pane in [Pane::Checklist, Pane::Probes, Pane::Timeline] {
            let mut seen: Vec<Key> = Vec::new();
            let mut shadowed = Vec::new();
            for b in bindings_for(pane) {
                for k in b.keys {
                    if seen.contains(k) {
                        shadowed.push((*k, b.help));
                    }
                    seen.push(*k);
                }
            }
            // A pane row may deliberately shadow a global one only if the global
            // row's help would be a lie in that pane; none do today.
            assert!(shadowed.is_empty(), "{pane:?}: {shadowed:?}");
        }
    }
}
