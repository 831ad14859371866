//! `GET /user` for `flightdeck auth`: who a token belongs to, what kind it is,
//! what GitHub says it may do, and the quota left.
//!
//! One plain request rather than [`super::GithubClient::user`]: the scopes and
//! the token's expiry are response headers (`x-oauth-scopes`,
//! `github-authentication-token-expiration`) that the shared client does not
//! keep, and `auth` is a one-request command with no budget to share. It keeps
//! the client's rules: the token goes only where [`super::token::may_carry_token`]
//! allows, with connect and total deadlines, a capped body, no redirects, and
//! errors that never carry the token.

use super::token::{self, Token};
use chrono::{DateTime, TimeZone, Utc};
use std::time::Duration;

/// What kind of token it is, from its prefix (GitHub's documented formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `ghp_…` or a 40-hex token of old: a personal access token (classic), with scopes.
    Classic,
    /// `github_pat_…`: permissions per repository, not reported by the API.
    FineGrained,
    /// `gho_…`: an OAuth app's token (what `gh auth login` gets), with scopes.
    OAuth,
    /// `ghu_…` / `ghs_…`: a GitHub App's token, with the app's permissions.
    App,
    Unknown,
}

impl TokenKind {
    pub(crate) fn of(token: &Token) -> TokenKind {
        let t = token.secret();
        if t.starts_with("github_pat_") {
            TokenKind::FineGrained
        } else if t.starts_with("ghp_")
            || (t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            TokenKind::Classic
        } else if t.starts_with("gho_") {
            TokenKind::OAuth
        } else if t.starts_with("ghu_") || t.starts_with("ghs_") {
            TokenKind::App
        } else {
            TokenKind::Unknown
        }
    }
}

impl std::fmt::Display for TokenKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenKind::Classic => "classic personal access token",
            TokenKind::FineGrained => "fine-grained personal access token",
            TokenKind::OAuth => "OAuth token (scopes like a classic token)",
            TokenKind::App => "GitHub App token",
            TokenKind::Unknown => "token of an unknown kind",
        })
    }
}

/// What `GET /user` said about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Whoami {
    pub(crate) login: String,
    pub(crate) kind: TokenKind,
    /// `x-oauth-scopes`; `None` when GitHub sent none (fine-grained and app tokens).
    pub(crate) scopes: Option<Vec<String>>,
    /// `github-authentication-token-expiration`, as GitHub wrote it.
    pub(crate) expires: Option<String>,
    /// Requests left, the hour's limit, and when it resets.
    pub(crate) quota: Option<(u64, u64, DateTime<Utc>)>,
}

impl Whoami {
    /// What the token cannot do of what flightdeck does, in words; empty when
    /// nothing is known to be missing.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let issues_rw = "the crew's tracking issue needs write access to issues in its repository";
        match (self.kind, &self.scopes) {
            (_, Some(scopes)) => {
                let has = |s: &str| scopes.iter().any(|x| x == s);
                if has("repo") {
                    Vec::new()
                } else if has("public_repo") {
                    vec![format!(
                        "scope `public_repo` only: {issues_rw}, so a private repository's tracking issue needs the `repo` scope"
                    )]
                } else {
                    vec![format!(
                        "no `repo` or `public_repo` scope: reading public repositories works, but {issues_rw} (add `public_repo`, or `repo` for a private repository)"
                    )]
                }
            }
            (TokenKind::FineGrained | TokenKind::App, None) => vec![format!(
                "GitHub does not report this token's permissions: reading public repositories needs none, but {issues_rw} (\"Issues: Read and write\" on that repository)"
            )],
            (_, None) => vec![format!(
                "GitHub reported no scopes for this token: reading public repositories needs none, but {issues_rw}"
            )],
        }
    }
}

/// Why the check failed. The texts name the host and never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WhoamiError {
    /// 401: the token is revoked, expired or mistyped.
    #[error(
        "GitHub at {api} refused the token (401 {message}): it is revoked, expired or mistyped"
    )]
    Refused { api: String, message: String },
    #[error(
        "refusing to send a GitHub token to {api}: use https (plain http only to 127.0.0.1 or localhost) and no user:password@ in the URL"
    )]
    NotHere { api: String },
    #[error("GitHub at {api} answered {status} to GET /user: {message}")]
    Http {
        api: String,
        status: u16,
        message: String,
    },
    #[error("no answer from GitHub at {api}: {message}")]
    Transport { api: String, message: String },
}

/// Text from GitHub with its control characters made harmless (it reaches a terminal).
fn harmless(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// A profile is a few KB; more is not GitHub.
const MAX_BODY: usize = 1 << 20;

/// `GET {api}/user` with `token`.
pub(crate) async fn whoami(api: &str, token: &Token) -> Result<Whoami, WhoamiError> {
    let shown = crate::probe::redact(api.trim_end_matches('/'));
    if !token::may_carry_token(api) {
        return Err(WhoamiError::NotHere { api: shown });
    }
    let transport = |e: &dyn std::fmt::Display| WhoamiError::Transport {
        api: shown.clone(),
        message: token.redact(&crate::probe::redact(&e.to_string())),
    };
    crate::install_crypto_provider();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        // A redirect could carry the token to another host.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| transport(&e))?;
    let mut resp = http
        .get(format!("{}/user", api.trim_end_matches('/')))
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .header(reqwest::header::USER_AGENT, "flightdeck")
        .header("x-github-api-version", "2022-11-28")
        .bearer_auth(token.secret())
        .send()
        .await
        .map_err(|e| transport(&e))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(transport(&"the reply is larger than 1 MB"));
        }
        body.extend_from_slice(&chunk);
    }
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let message = || {
        let m = json
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("no message");
        token.redact(&harmless(m))
    };
    if status == 401 {
        return Err(WhoamiError::Refused {
            api: shown,
            message: message(),
        });
    }
    if status != 200 {
        return Err(WhoamiError::Http {
            api: shown,
            status,
            message: message(),
        });
    }
    let Some(login) = json.get("login").and_then(|l| l.as_str()) else {
        return Err(WhoamiError::Http {
            api: shown,
            status,
            message: "the reply names no login".into(),
        });
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| harmless(v.trim()))
    };
    let number = |name: &str| header(name).and_then(|v| v.parse::<u64>().ok());
    let quota = match (
        number("x-ratelimit-remaining"),
        number("x-ratelimit-limit"),
        number("x-ratelimit-reset")
            .and_then(|s| i64::try_from(s).ok())
            .and_then(|s| Utc.timestamp_opt(s, 0).single()),
    ) {
        (Some(left), Some(limit), Some(reset)) => Some((left, limit, reset)),
        _ => None,
    };
    Ok(Whoami {
        login: harmless(login),
        kind: TokenKind::of(token),
        scopes: header("x-oauth-scopes").map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        }),
        expires: header("github-authentication-token-expiration"),
        quota,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(kind: TokenKind, scopes: Option<&[&str]>) -> Whoami {
        Whoami {
            login: "jane".into(),
            kind,
            scopes: scopes.map(|s| s.iter().map(|x| x.to_string()).collect()),
            expires: None,
            quota: None,
        }
    }

    /// One canned HTTP reply on loopback; the request it got.
    async fn serve_once(reply: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let api = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            let n = sock.read(&mut buf).await.unwrap_or(0);
            let _ = sock.write_all(reply.as_bytes()).await;
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        (api, task)
    }

    #[tokio::test]
    async fn scopes_expiry_and_quota_are_read_from_the_reply() {
        let (api, task) = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
             x-oauth-scopes: read:org, public_repo\r\n\
             github-authentication-token-expiration: 2027-01-01 00:00:00 UTC\r\n\
             x-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 4321\r\n\
             x-ratelimit-reset: 1800000000\r\ncontent-length: 16\r\nconnection: close\r\n\r\n\
             {\"login\":\"jane\"}",
        )
        .await;
        let token = Token::new("ghp_scopetest").expect("token");
        let who = whoami(&api, &token).await.expect("who");
        let request = task.await.expect("request");
        assert!(request.starts_with("GET /user "), "{request}");
        assert_eq!(who.login, "jane");
        assert_eq!(who.kind, TokenKind::Classic);
        assert_eq!(
            who.scopes,
            Some(vec!["read:org".to_string(), "public_repo".to_string()])
        );
        assert_eq!(who.expires.as_deref(), Some("2027-01-01 00:00:00 UTC"));
        assert_eq!(
            who.quota.map(|(left, limit, _)| (left, limit)),
            Some((4321, 5000))
        );
        assert!(who.warnings().join(" ").contains("private repository"));
    }

    #[tokio::test]
    async fn a_refusal_never_carries_the_token() {
        let (api, task) = serve_once(
            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\
             content-length: 40\r\nconnection: close\r\n\r\n\
             {\"message\":\"Bad credentials ghp_leakme\"}",
        )
        .await;
        let token = Token::new("ghp_leakme").expect("token");
        let err = whoami(&api, &token).await.expect_err("refused");
        let _ = task.await;
        assert!(matches!(err, WhoamiError::Refused { .. }), "{err}");
        assert!(!err.to_string().contains("ghp_leakme"), "{err}");
        let err = whoami("http://ghe.example.com/api/v3", &token)
            .await
            .expect_err("plain http to another machine");
        assert!(matches!(err, WhoamiError::NotHere { .. }), "{err}");
    }

    #[test]
    fn kinds_come_from_the_documented_prefixes() {
        let kind = |t: &str| TokenKind::of(&Token::new(t).expect("token"));
        assert_eq!(kind("ghp_abc"), TokenKind::Classic);
        assert_eq!(kind("github_pat_11ABC_def"), TokenKind::FineGrained);
        assert_eq!(kind("gho_abc"), TokenKind::OAuth);
        assert_eq!(kind("ghs_abc"), TokenKind::App);
        assert_eq!(kind(&"a1".repeat(20)), TokenKind::Classic);
        assert_eq!(kind("sim-pilot-token"), TokenKind::Unknown);
    }

    #[test]
    fn a_token_that_cannot_write_issues_is_warned_about() {
        assert!(
            who(TokenKind::Classic, Some(&["repo", "read:org"]))
                .warnings()
                .is_empty()
        );
        let w = who(TokenKind::Classic, Some(&["read:org"]))
            .warnings()
            .join("\n");
        assert!(
            w.contains("public_repo") && w.contains("tracking issue"),
            "{w}"
        );
        let w = who(TokenKind::Classic, Some(&["public_repo"]))
            .warnings()
            .join("\n");
        assert!(w.contains("private repository"), "{w}");
        let w = who(TokenKind::FineGrained, None).warnings().join("\n");
        assert!(w.contains("Issues: Read and write"), "{w}");
    }
}
