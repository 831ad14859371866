//! Token discovery, and the rules on where a token may go.
//!
//! Precedence, as the GitHub CLI decides it: the environment, then the OS
//! keyring (`flightdeck auth login`; the slot is [`from_keyring`], filled by a
//! later change), then `gh auth token`. Every decision is made on a parsed
//! [`url::Url`], never on a string prefix:
//! - a URL with user-info gets no token (it would be a second credential);
//! - no token over plain `http://` except to loopback (`flightdeck sim serve`);
//! - a github.com token (`GH_TOKEN`, `GITHUB_TOKEN`, `gh auth token`) never goes to
//!   another host: a GitHub Enterprise host reads `GH_ENTERPRISE_TOKEN` /
//!   `GITHUB_ENTERPRISE_TOKEN` and `gh auth token --hostname HOST`.

use sha2::{Digest, Sha256};
use std::fmt;
use url::{Host, Url};

/// A GitHub token. Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Token {
    /// A token from text; `None` when blank.
    pub fn new(text: &str) -> Option<Token> {
        let t = text.trim();
        (!t.is_empty()).then(|| Token(t.to_string()))
    }

    /// The secret itself, for the one place that puts it in a header.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }

    /// An identity for cache keys: ETags are tied to the token, but the token
    /// itself must never be written to disk.
    pub(crate) fn identity(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"flightdeck-etag-identity:");
        h.update(self.0.as_bytes());
        format!("t{}", hex::encode(&h.finalize()[..8]))
    }

    pub(crate) fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

/// Where a token was found, for `flightdeck auth status` (never the token itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// An environment variable: `GH_TOKEN`, `GITHUB_TOKEN`, `GH_ENTERPRISE_TOKEN`, `GITHUB_ENTERPRISE_TOKEN`.
    Env(&'static str),
    /// The OS keyring, where `flightdeck auth login` keeps it.
    Keyring,
    /// `gh auth token` (with `--hostname` for GitHub Enterprise).
    GhCli,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Env(var) => write!(f, "the environment ({var})"),
            TokenSource::Keyring => f.write_str("the OS keyring"),
            TokenSource::GhCli => f.write_str("`gh auth token`"),
        }
    }
}

/// A token and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub token: Token,
    pub source: TokenSource,
}

/// What kind of host an API base is, as far as tokens are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// `https://api.github.com`: github.com's tokens.
    GithubCom,
    /// A GitHub Enterprise host (by name): its own tokens only.
    Enterprise(String),
    /// `127.0.0.1`, `::1` or `localhost` (a simulated world): any scheme, environment tokens only.
    Loopback,
    /// No token may go there: plain http to another machine, user-info in the URL, or not a URL.
    NoToken,
}

/// Classifies an API base URL for the token rules.
pub fn host_kind(api_base: &str) -> HostKind {
    let Ok(url) = Url::parse(api_base) else {
        return HostKind::NoToken;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return HostKind::NoToken;
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return HostKind::NoToken,
    };
    if loopback && matches!(url.scheme(), "http" | "https") {
        return HostKind::Loopback;
    }
    if url.scheme() != "https" {
        return HostKind::NoToken;
    }
    match url.host_str() {
        Some("api.github.com") => HostKind::GithubCom,
        Some(host) => HostKind::Enterprise(host.to_string()),
        None => HostKind::NoToken,
    }
}

/// Whether a token may be sent to `api_base` at all (plain http only to loopback, no user-info).
pub fn may_carry_token(api_base: &str) -> bool {
    host_kind(api_base) != HostKind::NoToken
}

/// The token for `api_base` and where it came from; `None`: unauthenticated.
pub fn discover(api_base: &str) -> Option<Discovered> {
    let kind = host_kind(api_base);
    let vars: &[&'static str] = match &kind {
        HostKind::NoToken => return None,
        HostKind::Enterprise(_) => &["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"],
        HostKind::GithubCom | HostKind::Loopback => &["GH_TOKEN", "GITHUB_TOKEN"],
    };
    for var in vars {
        if let Some(token) = std::env::var(var).ok().as_deref().and_then(Token::new) {
            return Some(Discovered {
                token,
                source: TokenSource::Env(var),
            });
        }
    }
    // A simulated world's tokens come from the environment only: nothing real is sent there.
    let host = match &kind {
        HostKind::GithubCom => "github.com",
        HostKind::Enterprise(h) => h.as_str(),
        HostKind::Loopback | HostKind::NoToken => return None,
    };
    if let Some(token) = from_keyring(host) {
        return Some(Discovered {
            token,
            source: TokenSource::Keyring,
        });
    }
    from_gh_cli(&kind).map(|token| Discovered {
        token,
        source: TokenSource::GhCli,
    })
}

/// The token `flightdeck auth login` stored for `host` (`github.com` or an
/// Enterprise host name) in the OS keyring.
///
/// The slot for the keyring: this build has no keyring support yet, so nothing
/// is found and discovery falls through to `gh`.
pub fn from_keyring(host: &str) -> Option<Token> {
    let _ = host;
    None
}

/// The login `gh auth login` stored for `host` (`github.com`), read from its
/// hosts file: no network, no subprocess.
pub fn gh_stored_login(host: &str) -> Option<String> {
    let dir = std::env::var_os("GH_CONFIG_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".config/gh")))?;
    let text = std::fs::read_to_string(dir.join("hosts.yml")).ok()?;
    login_in_gh_hosts(&text, host)
}

/// `HOST:` at the start of a line, then an indented `user: login` line.
fn login_in_gh_hosts(text: &str, host: &str) -> Option<String> {
    let mut in_host = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_host = line.trim_end() == format!("{host}:");
        } else if in_host && let Some(user) = line.trim().strip_prefix("user:") {
            let user = user.trim().trim_matches('"');
            if !user.is_empty() {
                return Some(user.to_string());
            }
        }
    }
    None
}

fn from_gh_cli(kind: &HostKind) -> Option<Token> {
    let mut cmd = std::process::Command::new("gh");
    cmd.args(["auth", "token"]);
    if let HostKind::Enterprise(host) = kind {
        cmd.args(["--hostname", host]);
    }
    let out = cmd
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Token::new(&String::from_utf8_lossy(&out.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_print() {
        let t = Token::new("  ghp_secret123 ").expect("token");
        assert_eq!(format!("{t:?} {t}"), "Token(***) ***");
        assert_eq!(t.redact("bad ghp_secret123 here"), "bad *** here");
        assert!(!t.identity().contains("secret"));
        assert!(Token::new("   ").is_none());
    }

    #[test]
    fn a_github_com_token_never_goes_to_another_host_or_over_http() {
        // Only the decision is tested here: the environment is the process's own.
        assert_eq!(host_kind("http://127.0.0.1:8080"), HostKind::Loopback);
        assert_eq!(host_kind("http://[::1]:9/"), HostKind::Loopback);
        assert_eq!(host_kind("http://localhost:9/"), HostKind::Loopback);
        assert_eq!(host_kind("https://api.github.com"), HostKind::GithubCom);
        assert_eq!(
            host_kind("https://ghe.example.com/api/v3"),
            HostKind::Enterprise("ghe.example.com".into())
        );
        // A look-alike is another host, whatever its prefix says.
        assert_eq!(
            host_kind("https://api.github.com.evil.example/"),
            HostKind::Enterprise("api.github.com.evil.example".into())
        );
        assert_eq!(
            host_kind("http://ghe.example.com/api/v3"),
            HostKind::NoToken
        );
        assert_eq!(
            host_kind("http://127.0.0.1.evil.example/"),
            HostKind::NoToken
        );
        assert!(
            discover("http://ghe.example.com/api/v3").is_none(),
            "no token over plain http"
        );
        assert!(!may_carry_token("http://ghe.example.com/api/v3"));
    }

    #[test]
    fn a_url_with_user_info_gets_no_token() {
        assert_eq!(host_kind("https://me:pw@api.github.com"), HostKind::NoToken);
        assert_eq!(host_kind("https://me@api.github.com"), HostKind::NoToken);
        assert_eq!(host_kind("not a url"), HostKind::NoToken);
        assert!(discover("https://me:pw@api.github.com").is_none());
    }

    #[test]
    fn the_login_gh_stored_is_read_for_its_host() {
        let hosts = "ghe.example.com:\n    user: work\ngithub.com:\n    git_protocol: ssh\n    user: \"jane\"\n";
        assert_eq!(
            login_in_gh_hosts(hosts, "github.com").as_deref(),
            Some("jane")
        );
        assert_eq!(
            login_in_gh_hosts(hosts, "ghe.example.com").as_deref(),
            Some("work")
        );
        assert_eq!(login_in_gh_hosts(hosts, "other.example"), None);
        assert_eq!(
            login_in_gh_hosts("github.com:\n    user: \n", "github.com"),
            None
        );
    }

    #[test]
    fn the_keyring_slot_finds_nothing_yet() {
        assert_eq!(from_keyring("github.com"), None);
    }

    #[test]
    fn sources_are_named_for_auth_status() {
        assert_eq!(
            TokenSource::Env("GH_TOKEN").to_string(),
            "the environment (GH_TOKEN)"
        );
        assert_eq!(TokenSource::GhCli.to_string(), "`gh auth token`");
    }
}
