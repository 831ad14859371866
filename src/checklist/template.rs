//! `{variable}` templates in checklist strings.
//!
//! `{{` and `}}` stand for literal braces. Variables are checked when the
//! checklist is read, so a typo is a `check` error, not a surprise mid-release.

use std::collections::BTreeMap;

/// Variables every template may use.
pub(crate) const RELEASE_VARS: &[&str] =
    &["version", "major", "minor", "micro", "branch", "release"];
/// Variables available when a step is bound to a package (`package = "…"`, `each_package`,
/// or a checklist with a single package).
pub(crate) const PACKAGE_VARS: &[&str] =
    &["package", "repo", "pypi", "cf_feedstock", "ar_feedstock"];

/// One `{name}` in a template, with its byte offset inside the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    pub(crate) name: String,
    pub(crate) offset: usize,
}

/// Lists the placeholders of a template, or says where its braces are unbalanced.
pub(crate) fn placeholders(template: &str) -> Result<Vec<Placeholder>, (usize, String)> {
    let mut out = Vec::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
            b'{' => {
                let Some(end) = template[i + 1..].find('}') else {
                    return Err((
                        i,
                        "unclosed `{` (write `{{` for a literal brace)".to_string(),
                    ));
                };
                let name = &template[i + 1..i + 1 + end];
                out.push(Placeholder {
                    name: name.trim().to_string(),
                    offset: i,
                });
                i += end + 2;
            }
            b'}' => {
                return Err((
                    i,
                    "unmatched `}` (write `}}` for a literal brace)".to_string(),
                ));
            }
            _ => i += 1,
        }
    }
    Ok(out)
}

/// Fills a template whose placeholders were already validated; an unknown
/// variable is left as written rather than failing mid-release.
pub(crate) fn render(template: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(pos) = rest.find(['{', '}']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if tail.starts_with('{') {
            match tail.find('}') {
                Some(end) => {
                    let name = tail[1..end].trim();
                    match vars.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&tail[..=end]),
                    }
                    rest = &tail[end + 1..];
                }
                None => {
                    out.push_str(tail);
                    rest = "";
                }
            }
        } else {
            out.push('}');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_variables_and_escaped_braces() {
        let mut vars = BTreeMap::new();
        vars.insert("version", "26.11.0".to_string());
        vars.insert("branch", "26.11.x".to_string());
        assert_eq!(
            render("merge {branch} back, tag {version} {{literal}}", &vars),
            "merge 26.11.x back, tag 26.11.0 {literal}"
        );
    }

    #[test]
    fn finds_placeholders_and_unbalanced_braces() {
        let p = placeholders("a {version} b {{x}} {pkg}").expect("balanced");
        assert_eq!(
            p.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["version", "pkg"]
        );
        assert_eq!(p[1].offset, 20);
        assert!(placeholders("oops {version").is_err());
        assert!(placeholders("oops }").is_err());
    }
}
