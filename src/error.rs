//! Errors that are the user's to fix (bad input, unknown release, wrong usage).
//! They exit with status 2 and print without a backtrace; everything else is a
//! runtime failure (status 1).

use std::fmt;

#[derive(Debug)]
pub struct UserError(pub String);

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Shorthand for returning a [`UserError`] through `color_eyre`.
pub fn user(message: impl Into<String>) -> color_eyre::Report {
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
