//! Secrets never reach a sentence, a link, an error or the log: credentials are removed from
//! every URL before text leaves flightdeck.

/// Removes credentials from every URL in `text`: `user:password@` and
/// anaconda.org's `/t/<token>/`. Channel URLs may carry them, and errors and
/// links built from those URLs reach the screen, `poll` output and the log.
pub fn redact(text: &str) -> String {
    use std::sync::OnceLock;
    if clean(text) {
        return text.to_string();
    }
    static USERINFO: OnceLock<regex::Regex> = OnceLock::new();
    static TOKEN: OnceLock<regex::Regex> = OnceLock::new();
    let userinfo =
        USERINFO.get_or_init(|| regex::Regex::new(r"://[^/\s@]+@").expect("static pattern"));
    let token = TOKEN.get_or_init(|| {
        regex::Regex::new(r"(anaconda\.[A-Za-z0-9.-]+(?::\d+)?/t/)[^/\s)]+")
            .expect("static pattern")
    });
    let text = userinfo.replace_all(text, "://");
    token.replace_all(&text, "${1}<token>").into_owned()
}

/// [`redact`], keeping `text` itself when it holds no credentials.
pub(crate) fn redact_owned(text: String) -> String {
    if clean(&text) { text } else { redact(&text) }
}

/// Neither pattern can match without these: most links are left as they are
/// without running either (a large export redacts 100,000 links).
fn clean(text: &str) -> bool {
    !text.contains('@') && !text.contains("/t/")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn credentials_are_removed_from_urls_inside_any_text() {
        let text = "https://conda.anaconda.org/t/abc-123/private/noarch/repodata.json: error sending request for url (https://jane:s3cret@mirror.example/private/noarch/x.conda)";
        let clean = redact(text);
        assert!(
            !clean.contains("abc-123") && !clean.contains("s3cret"),
            "{clean}"
        );
        assert!(
            clean.contains("https://conda.anaconda.org/t/<token>/private/noarch/repodata.json"),
            "{clean}"
        );
        assert!(
            clean.contains("(https://mirror.example/private/noarch/x.conda)"),
            "{clean}"
        );
        assert_eq!(
            redact("https://conda.anaconda.org/conda-forge"),
            "https://conda.anaconda.org/conda-forge"
        );
    }

    #[test]
    fn credentials_never_reach_an_export() {
        assert_eq!(
            redact("https://jane:s3cret@conda.anaconda.org/t/abc-123/private/noarch/x.conda"),
            "https://conda.anaconda.org/t/<token>/private/noarch/x.conda"
        );
        assert_eq!(
            redact("https://github.com/a/b/pull/1"),
            "https://github.com/a/b/pull/1"
        );
        assert_eq!(redact("not a url @ all"), "not a url @ all");
        // A GitHub user called `t` is not a token.
        assert_eq!(
            redact("https://github.com/t/repo"),
            "https://github.com/t/repo"
        );
    }
}
