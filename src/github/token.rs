//! Token discovery, and the rules on where a token may go.
//!
//! Precedence, as the GitHub CLI decides it: the environment, then what
//! `flightdeck auth login` stored for the host ([`from_keyring`]: the OS
//! keyring, or the plain-text file `--insecure-storage` wrote, with a warning on
//! every use), then `gh auth token`. Every decision is made on a parsed
//! [`url::Url`], never on a string prefix:
//! - a URL with user-info gets no token (it would be a second credential);
//! - no token over plain `http://` except to loopback (`flightdeck sim serve`);
//! - a github.com token (`GH_TOKEN`, `GITHUB_TOKEN`, `gh auth token`) never goes to
//!   another host: a GitHub Enterprise host reads `GH_ENTERPRISE_TOKEN` /
//!   `GITHUB_ENTERPRISE_TOKEN` and `gh auth token --hostname HOST`;
//! - a stored token is kept per host ([`host_key`]) and read only for that host;
//!   a simulated world on loopback gets the environment's token or one stored
//!   for its own `127.0.0.1:PORT`, never `gh`'s.

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

    pub fn redact(&self, text: &str) -> String {
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
    /// The plain-text file `flightdeck auth login --insecure-storage` wrote.
    InsecureFile,
    /// `gh auth token` (with `--hostname` for GitHub Enterprise).
    GhCli,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Env(var) => write!(f, "the environment ({var})"),
            TokenSource::Keyring => f.write_str("the OS keyring"),
            TokenSource::InsecureFile => {
                f.write_str("a plain-text file (flightdeck auth login --insecure-storage)")
            }
            TokenSource::GhCli => f.write_str("`gh auth token`"),
        }
    }
}

/// A token and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub(crate) token: Token,
    pub(crate) source: TokenSource,
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
pub(crate) fn host_kind(api_base: &str) -> HostKind {
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
pub(crate) fn may_carry_token(api_base: &str) -> bool {
    host_kind(api_base) != HostKind::NoToken
}

/// The key a host's stored token is kept under: `github.com`, an Enterprise
/// host name, or `HOST:PORT` of a loopback API; `None` where no token may go.
pub(crate) fn host_key(api_base: &str) -> Option<String> {
    match host_kind(api_base) {
        HostKind::GithubCom => Some("github.com".into()),
        HostKind::Enterprise(host) => Some(host),
        HostKind::Loopback => {
            let url = Url::parse(api_base).ok()?;
            Some(format!(
                "{}:{}",
                url.host_str()?,
                url.port_or_known_default()?
            ))
        }
        HostKind::NoToken => None,
    }
}

/// The environment variables read for `api_base`'s tokens, in order.
pub(crate) fn env_vars(api_base: &str) -> &'static [&'static str] {
    match host_kind(api_base) {
        HostKind::NoToken => &[],
        HostKind::Enterprise(_) => &["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"],
        HostKind::GithubCom | HostKind::Loopback => &["GH_TOKEN", "GITHUB_TOKEN"],
    }
}

/// The token for `api_base` and where it came from; `None`: unauthenticated.
pub(crate) fn discover(api_base: &str) -> Option<Discovered> {
    discover_with(api_base, &|var| std::env::var(var).ok(), &from_gh_cli)
}

/// [`discover`] with the environment and `gh` given (tests; the stores are the real ones).
pub(crate) fn discover_with(
    api_base: &str,
    env: &dyn Fn(&str) -> Option<String>,
    gh: &dyn Fn(&HostKind) -> Option<Token>,
) -> Option<Discovered> {
    let kind = host_kind(api_base);
    for var in env_vars(api_base) {
        if let Some(token) = env(var).as_deref().and_then(Token::new) {
            return Some(Discovered {
                token,
                source: TokenSource::Env(var),
            });
        }
    }
    let host = host_key(api_base)?;
    if let Some(token) = from_keyring(&host) {
        return Some(Discovered {
            token,
            source: TokenSource::Keyring,
        });
    }
    if let Some((token, path)) = super::keyring::load_insecure(&host) {
        warn_insecure_once(&host, &path);
        return Some(Discovered {
            token,
            source: TokenSource::InsecureFile,
        });
    }
    // `gh`'s tokens are github.com's or an Enterprise host's: never a simulated world's.
    if kind == HostKind::Loopback {
        return None;
    }
    gh(&kind).map(|token| Discovered {
        token,
        source: TokenSource::GhCli,
    })
}

/// `gh` warns on every use of a plain-text token; so does flightdeck, once per
/// process and host, on standard error (before the cockpit takes the screen).
fn warn_insecure_once(host: &str, path: &std::path::Path) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if warned.iter().any(|h| h == host) {
        return;
    }
    warned.push(host.to_string());
    eprintln!(
        "warning: the GitHub token for {host} is read from {}, a plain-text file \
         (flightdeck auth login --insecure-storage); keep it in an OS keyring instead with \
         `flightdeck auth login --hostname {host}` where there is one",
        path.display()
    );
}

/// What to do when a command needs a token for `api_base` and finds none:
/// every way to give one, for this host.
pub(crate) fn missing_token_help(api_base: &str) -> String {
    let Some(host) = host_key(api_base) else {
        return format!(
            "no GitHub token may be sent to {}: use https (plain http only to 127.0.0.1 or \
             localhost) and no user:password@ in the URL",
            crate::probe::redact(api_base)
        );
    };
    let vars = env_vars(api_base).join(" or ");
    let login = if host == "github.com" {
        "flightdeck auth login".to_string()
    } else if host_kind(api_base) == HostKind::Loopback {
        format!(
            "flightdeck --github-api {} auth login",
            api_base.trim_end_matches('/')
        )
    } else {
        format!("flightdeck auth login --hostname {host}")
    };
    let mut help = format!(
        "no GitHub token for {host}. Do one of these:\n  \
         - `{login}` (checks the token and keeps it in the OS keyring; \
         add --with-token to read it from standard input)\n  \
         - set {vars} in the environment"
    );
    if host_kind(api_base) != HostKind::Loopback {
        let gh = if host == "github.com" {
            "gh auth login".to_string()
        } else {
            format!("gh auth login --hostname {host}")
        };
        help.push_str(&format!(
            "\n  - `{gh}` (flightdeck then reads `gh auth token`)"
        ));
    }
    help
}

/// The token `flightdeck auth login` stored for `host` ([`host_key`]) in the
/// OS keyring; `None` when there is no entry or no keyring (see [`super::keyring`]).
pub(crate) fn from_keyring(host: &str) -> Option<Token> {
    super::keyring::load_keyring(host)
}

/// The login `gh auth login` stored for `host` (`github.com`), read from its
/// hosts file: no network, no subprocess.
pub(crate) fn gh_stored_login(host: &str) -> Option<String> {
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

    /// The OS keyring is the real one (CI runs it: the kernel's keyutils store);
    /// the environment and `gh` are given, so the precedence is tested whole.
    #[test]
    fn the_environment_beats_the_keyring_which_beats_gh() {
        if let Err(why) = super::super::keyring::keyring_available() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run against a real OS keyring, and: {why}"
            );
            eprintln!("\n*** SKIPPED: no OS keyring on this machine ({why}); CI has one ***\n");
            return;
        }
        let host = format!("ghe-{}.example", uuid::Uuid::new_v4().simple());
        let api = format!("https://{host}/api/v3");
        let no_env = |_: &str| None;
        let env = |var: &str| (var == "GH_ENTERPRISE_TOKEN").then(|| "from-env".to_string());
        let gh = |kind: &HostKind| {
            assert_eq!(
                kind,
                &HostKind::Enterprise(host.clone()),
                "gh is asked for this host"
            );
            Token::new("from-gh")
        };
        let d = discover_with(&api, &no_env, &gh).expect("gh's token");
        assert_eq!(
            (d.token.secret(), d.source),
            ("from-gh", TokenSource::GhCli)
        );

        let stored = Token::new("from-keyring").expect("token");
        super::super::keyring::save_keyring(&host, &stored).expect("stored");
        let d = discover_with(&api, &no_env, &gh).expect("the keyring's token");
        let from_keyring = (d.token.secret().to_string(), d.source);
        let d = discover_with(&api, &env, &gh).expect("the environment's token");
        let from_env = (d.token.secret().to_string(), d.source);
        // github.com's discovery never sees another host's entry.
        let github = discover_with("https://api.github.com", &no_env, &|_: &HostKind| None);
        let removed = super::super::keyring::delete_keyring(&host);
        assert_eq!(from_keyring, ("from-keyring".into(), TokenSource::Keyring));
        assert_eq!(
            from_env,
            ("from-env".into(), TokenSource::Env("GH_ENTERPRISE_TOKEN"))
        );
        assert!(github.is_none_or(|d| d.token.secret() != "from-keyring"));
        assert_eq!(removed, Ok(true));
        assert_eq!(from_keyring_of(&host), None, "logout leaves nothing");
    }

    fn from_keyring_of(host: &str) -> Option<String> {
        from_keyring(host).map(|t| t.secret().to_string())
    }

    #[test]
    fn stored_tokens_are_kept_per_host() {
        assert_eq!(
            host_key("https://api.github.com/").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            host_key("https://ghe.example.com/api/v3").as_deref(),
            Some("ghe.example.com")
        );
        assert_eq!(
            host_key("http://127.0.0.1:8080").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(host_key("http://ghe.example.com/api/v3"), None);
        assert!(missing_token_help("https://api.github.com").contains("flightdeck auth login"));
        let ghe = missing_token_help("https://ghe.example.com/api/v3");
        assert!(
            ghe.contains("flightdeck auth login --hostname ghe.example.com"),
            "{ghe}"
        );
        assert!(ghe.contains("GH_ENTERPRISE_TOKEN"), "{ghe}");
        assert!(
            ghe.contains("gh auth login --hostname ghe.example.com"),
            "{ghe}"
        );
        let sim = missing_token_help("http://127.0.0.1:9");
        assert!(
            !sim.contains("gh auth login"),
            "gh's tokens never go to a simulated world"
        );
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
