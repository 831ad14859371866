//! Errors that are the user's to fix (bad input, unknown release, wrong usage).
//! They exit with status 2 and print without a backtrace; everything else is a
//! runtime failure (status 1).

use std::fmt;

#[derive(Debug)]
pub(crate) struct UserError(pub String);

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Shorthand for returning a [`UserError`] through `color_eyre`.
pub(crate) fn user(message: impl Into<String>) -> color_eyre::Report {
    color_eyre::Report::new(UserError(message.into()))
}

/// Whether a report is (or wraps) a user error or damaged input.
pub fn is_user_error(report: &color_eyre::Report) -> bool {
    report.chain().any(|e| {
        e.downcast_ref::<UserError>().is_some()
            || e.downcast_ref::<crate::diag::Diagnostics>().is_some()
            || e.downcast_ref::<crate::timeline::LogError>()
                .is_some_and(|l| l.is_damage())
    })
}

/// A runtime failure in one or two plain sentences: what failed (with the
/// path or URL the context names), why, and what to try. No source location,
/// no colour: the details are one `-v` away.
pub fn plain(report: &color_eyre::Report) -> String {
    let what = format!("{report:#}");
    let hint = report
        .chain()
        .find_map(hint_for)
        .unwrap_or("run the command again with -v for the details, and report it if it persists");
    format!("error: {what}\n  {hint}")
}

fn hint_for(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            K::PermissionDenied | K::ReadOnlyFilesystem => Some(
                "check that path's permissions, or keep releases elsewhere with --home DIR (or FLIGHTDECK_HOME)",
            ),
            K::StorageFull | K::QuotaExceeded => Some("free some disk space, then try again"),
            K::AddrInUse => Some(
                "another program listens on that port: choose another with --port P, or stop it",
            ),
            K::ConnectionRefused
            | K::ConnectionReset
            | K::TimedOut
            | K::HostUnreachable
            | K::NetworkUnreachable => Some(
                "check the network and the URL (--github-api, --channel, --pypi-url), then try again",
            ),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use color_eyre::eyre::WrapErr;

    #[test]
    fn a_runtime_failure_is_plain_words_with_what_to_do() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "Permission denied");
        let report = Err::<(), _>(io)
            .wrap_err("appending to /ro/events.jsonl")
            .unwrap_err();
        let text = plain(&report);
        assert!(
            text.starts_with("error: appending to /ro/events.jsonl: Permission denied"),
            "{text}"
        );
        assert!(text.contains("--home DIR"), "{text}");
        assert!(!text.contains("Location"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert_eq!(text.lines().count(), 2, "{text}");
    }
}
