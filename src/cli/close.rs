//! `flightdeck close`: the end of a release, shipped, aborted or rolled back.
//! The pilot's act, judged by the rule book like every other event.

use crate::crew::Role;
use crate::error::user;
use crate::timeline::rules::{self, Book, Refusal, Verdict};
use crate::timeline::{Clock, EventKind, Home, Outcome};
use clap::Args;
use color_eyre::eyre::Result;

/// `flightdeck close [RELEASE] --outcome shipped|aborted|rolled-back [--note TEXT]`.
#[derive(Debug, Args)]
pub(crate) struct CloseArgs {
    /// The release (default: the only one in progress)
    pub(crate) release: Option<String>,
    /// How it ended: shipped, aborted or rolled-back
    #[arg(long, value_parser = parse_outcome, value_name = "OUTCOME")]
    pub(crate) outcome: Outcome,
    /// Why, in a sentence: it goes into the timeline and the post-mortem
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    /// Close it as shipped although some steps are not complete
    #[arg(long)]
    pub(crate) force: bool,
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    s.parse()
}

/// `role` (`--role`) caps the seat the roster gives `me`.
pub(crate) fn close(home: &Home, args: CloseArgs, me: &str, role: Role) -> Result<()> {
    let release = home.resolve(args.release.as_deref())?;
    let super::crew::Seated {
        mut log,
        seat: role,
        state,
    } = super::crew::open_seated(&release, me, role, Clock::System)?;
    let what = EventKind::ReleaseClosed {
        outcome: args.outcome,
        reason: args.note.filter(|n| !n.trim().is_empty()),
    };
    let book = Book::new(&release.plan, &state, log.clock().now());
    let permit = match rules::judge(&book, role, what) {
        Verdict::Accepted(permit) => permit,
        Verdict::NeedsConfirmation { permit, .. } if args.force => permit,
        Verdict::NeedsConfirmation { reasons, .. } => {
            let bullets: Vec<String> = reasons.iter().map(|r| format!("  • {r}")).collect();
            return Err(user(format!(
                "closing {} as {} needs a confirmation:\n{}\n  add --force to close it anyway, or --outcome aborted",
                release.meta.id,
                args.outcome,
                bullets.join("\n")
            )));
        }
        Verdict::Refused(r @ Refusal::Seat { .. }) => {
            return Err(user(format!(
                "{r}\n  ask the pilot to run `flightdeck close {} --outcome {}`",
                release.meta.id, args.outcome
            )));
        }
        Verdict::Refused(r) => return Err(user(format!("{}: {r}", release.meta.id))),
    };
    let event = log.append(permit)?;
    let (done, total) = state.progress();
    println!(
        "{} closed as {} by {} at {} — {done}/{total} steps complete",
        release.meta.id,
        args.outcome,
        event.author,
        event.at.format("%Y-%m-%d %H:%M UTC")
    );
    println!(
        "post-mortem: flightdeck export {} --format postmortem",
        release.meta.id
    );
    Ok(())
}
