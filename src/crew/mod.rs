//! The crew: the seats (decided by the rule book in [`crate::timeline::rules`]),
//! the rotation of pilots and co-pilots, the roster ([`Roster`]), who "me"
//! is, and the sync of the crew's logs.

pub(crate) mod identity;
pub(crate) mod issue_format;
pub(crate) mod rotation;
pub(crate) mod share;
pub(crate) mod share_dir;
pub(crate) mod share_github;

pub(crate) use crate::checklist::StepRole;
pub(crate) use crate::timeline::roster::{Roster, lower, same_login};
pub use crate::timeline::rules::Role;
pub(crate) use identity::me;

use crate::timeline::State;

/// The seat `me` holds in a release: the roster's, lowered by `--role` if
/// asked (`flag` is `pilot` when not given); never raised by it. Someone not
/// on the roster is in the jump seat.
pub(crate) fn seat_in(state: &State, me: &str, flag: Role) -> Role {
    let on_roster = match (&state.roster, &state.started) {
        (Some(r), _) => r.seat_of(me),
        // A release from before rosters: whoever started it flies.
        (None, Some(s)) if same_login(&s.by, me) => Role::Pilot,
        (None, Some(_)) => Role::Copilot,
        (None, None) => flag,
    };
    lower(on_roster, flag)
}

/// "2 untrusted events ignored: …", or nothing when every event is trusted.
pub(crate) fn ignored_summary(state: &State, plan: &crate::checklist::Plan) -> Option<String> {
    if state.ignored.is_empty() {
        return None;
    }
    let n = state.ignored.len();
    let items: Vec<String> = state
        .ignored
        .iter()
        .take(5)
        .map(|i| format!("\"{}\" ({})", crate::export::describe(i.event, plan), i.why))
        .collect();
    let more = if n > 5 {
        format!("; and {} more", n - 5)
    } else {
        String::new()
    };
    Some(format!(
        "{n} untrusted event{} ignored: {}{more}",
        if n == 1 { "" } else { "s" },
        items.join("; ")
    ))
}
