//! Version schemes: what a version given at `start` must look like, and the
//! template variables (`{major}`, `{branch}`, …) it yields.

use regex::Regex;
use std::fmt;

/// How a release's version is spelled.
#[derive(Debug, Clone)]
pub(crate) enum VersionScheme {
    /// conda's calendar versioning, `YY.MM.MICRO` (e.g. `26.11.0`; month 1–12, not zero-padded).
    Calver,
    /// Semantic versioning, `MAJOR.MINOR.PATCH` with optional `-pre` and `+build`.
    Semver,
    /// A regular expression that must match the whole version; named groups
    /// `major`, `minor`, `micro` feed the template variables of the same names.
    Regex(Regex),
}

impl VersionScheme {
    /// Parses `calver`, `semver` or `regex:<pattern>`.
    pub(crate) fn parse(text: &str) -> Result<VersionScheme, String> {
        match text {
            "calver" => Ok(VersionScheme::Calver),
            "semver" => Ok(VersionScheme::Semver),
            other => match other.strip_prefix("regex:") {
                Some(pattern) => {
                    let anchored = format!("^(?:{pattern})$");
                    Regex::new(&anchored)
                        .map(VersionScheme::Regex)
                        .map_err(|e| format!("invalid regular expression: {e}"))
                }
                None => Err(format!("unknown version scheme `{other}`")),
            },
        }
    }

    /// Checks `version` against the scheme and splits it into its parts.
    pub(crate) fn validate(&self, version: &str) -> Result<ReleaseVersion, String> {
        let parts = match self {
            VersionScheme::Calver => {
                let re = calver_re();
                let caps = re.captures(version).ok_or_else(|| {
                    format!(
                        "`{version}` is not a calver version: expected YY.MM.MICRO, e.g. 26.11.0"
                    )
                })?;
                let month: u32 = caps[2].parse().unwrap_or(0);
                if !(1..=12).contains(&month) {
                    return Err(format!(
                        "`{version}` is not a calver version: month {month} is not 1–12"
                    ));
                }
                (
                    caps[1].to_string(),
                    caps[2].to_string(),
                    caps[3].to_string(),
                )
            }
            VersionScheme::Semver => {
                let re = semver_re();
                let caps = re.captures(version).ok_or_else(|| {
                    format!("`{version}` is not a semver version: expected MAJOR.MINOR.PATCH, e.g. 2025.11.0 or 1.4.2-rc.1")
                })?;
                (
                    caps[1].to_string(),
                    caps[2].to_string(),
                    caps[3].to_string(),
                )
            }
            VersionScheme::Regex(re) => {
                let caps = re.captures(version).ok_or_else(|| {
                    format!(
                        "`{version}` does not match the checklist's version pattern `{}`",
                        re.as_str()
                    )
                })?;
                let get = |name: &str| {
                    caps.name(name)
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_default()
                };
                (get("major"), get("minor"), get("micro"))
            }
        };
        Ok(ReleaseVersion {
            full: version.to_string(),
            major: parts.0,
            minor: parts.1,
            micro: parts.2,
        })
    }
}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionScheme::Calver => f.write_str("calver"),
            VersionScheme::Semver => f.write_str("semver"),
            VersionScheme::Regex(re) => write!(f, "regex:{}", re.as_str()),
        }
    }
}

fn calver_re() -> Regex {
    // Leading zeros are not how conda spells months ("26.1.0", not "26.01.0").
    Regex::new(r"^(\d{2})\.([1-9]\d?)\.(0|[1-9]\d*)$").expect("static pattern")
}

fn semver_re() -> Regex {
    Regex::new(
        r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$",
    )
    .expect("static pattern")
}

/// A version that passed its scheme, split for templating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReleaseVersion {
    pub(crate) full: String,
    pub(crate) major: String,
    pub(crate) minor: String,
    pub(crate) micro: String,
}

impl ReleaseVersion {
    /// The maintenance branch, e.g. `26.11.x`.
    pub(crate) fn branch(&self) -> String {
        format!("{}.{}.x", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calver_accepts_conda_versions_and_refuses_others() {
        let s = VersionScheme::Calver;
        let v = s.validate("26.11.0").expect("valid");
        assert_eq!(
            (v.major.as_str(), v.minor.as_str(), v.micro.as_str()),
            ("26", "11", "0")
        );
        assert_eq!(v.branch(), "26.11.x");
        assert!(s.validate("26.1.2").is_ok());
        for bad in [
            "26.13.0",
            "2026.11.0",
            "26.01.0",
            "26.11",
            "v26.11.0",
            "26.0.1",
        ] {
            assert!(s.validate(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn semver_and_regex_schemes() {
        assert!(VersionScheme::Semver.validate("2025.11.0").is_ok());
        assert!(VersionScheme::Semver.validate("1.2.3-rc.1").is_ok());
        assert!(VersionScheme::Semver.validate("1.2").is_err());
        let re = VersionScheme::parse(r"regex:(?P<major>\d+)\.(?P<minor>\d+)").expect("valid");
        let v = re.validate("3.14").expect("matches");
        assert_eq!(v.branch(), "3.14.x");
        assert!(
            re.validate("3.14.1").is_err(),
            "the pattern must match the whole version"
        );
        assert!(VersionScheme::parse("regex:(").is_err());
        assert!(VersionScheme::parse("calendar").is_err());
    }
}
