//! `flightdeck auth login|status|logout`: tokens in the OS keyring, one per host.
//! Wiring only: the stores are [`crate::github::keyring`], discovery is
//! [`crate::github::token`], the check is [`crate::github::whoami`]. No token is
//! ever printed: only its owner, kind, scopes, source and quota.

use crate::config::Config;
use crate::error::user;
use crate::github::keyring::{self, Stored};
use crate::github::token::{self, Token, TokenSource};
use crate::github::whoami::{Whoami, WhoamiError, whoami};
use clap::{Args, Subcommand};
use color_eyre::eyre::{Result, WrapErr, eyre};

#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Check a GitHub token (GET /user) and keep it in the OS keyring
    Login(LoginArgs),
    /// For each host: the login, where its token comes from, the quota left (never the token)
    Status {
        /// Only this host (github.com, a GitHub Enterprise host, or HOST:PORT of a simulated world)
        #[arg(long, value_name = "HOST")]
        hostname: Option<String>,
    },
    /// Remove the token stored for a host
    Logout {
        /// The host [default: the configured GitHub API's]
        #[arg(long, value_name = "HOST")]
        hostname: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The host [default: the configured GitHub API's, github.com unless --github-api says otherwise]
    #[arg(long, value_name = "HOST")]
    pub(crate) hostname: Option<String>,
    /// Read the token from standard input instead of prompting
    #[arg(long)]
    pub(crate) with_token: bool,
    /// Where there is no OS keyring: keep the token in a plain-text file readable only by you
    /// (flightdeck warns on every use)
    #[arg(long)]
    pub(crate) insecure_storage: bool,
}

/// Runs an `auth` command.
pub(crate) fn run(command: AuthCommand, config: &Config) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().wrap_err("starting the async runtime")?;
    match command {
        AuthCommand::Login(args) => runtime.block_on(login(args, config)),
        AuthCommand::Status { hostname } => runtime.block_on(status(hostname.as_deref(), config)),
        AuthCommand::Logout { hostname } => logout(hostname.as_deref(), config),
    }
}

/// A host's key and API base: the configured API's when the host is its host,
/// else github.com's, a host logged in before, or `https://HOST/api/v3`.
fn target(hostname: Option<&str>, config: &Config) -> Result<(String, String)> {
    let configured = config.github_api();
    let configured_key = token::host_key(&configured);
    let Some(raw) = hostname else {
        let key = configured_key.ok_or_else(|| user(token::missing_token_help(&configured)))?;
        return Ok((key, configured));
    };
    let host = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let bad = host.is_empty()
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '@' | '?' | '#'));
    if bad {
        return Err(user(format!(
            "--hostname {raw:?}: expected a host name such as github.com or github.example.com"
        )));
    }
    if configured_key.as_deref() == Some(host.as_str()) {
        return Ok((host, configured));
    }
    if host == "github.com" || host == "api.github.com" {
        return Ok(("github.com".into(), "https://api.github.com".into()));
    }
    if let Some(api) = keyring::known_hosts().remove(&host) {
        return Ok((host, api));
    }
    let api = format!("https://{host}/api/v3");
    match token::host_key(&api) {
        Some(key) if key == host && token::host_kind(&api) != token::HostKind::Loopback => {
            Ok((host, api))
        }
        _ => Err(user(format!(
            "--hostname {host}: a simulated world on loopback is named by its URL: \
             `flightdeck --github-api http://{host} auth …`"
        ))),
    }
}

async fn login(args: LoginArgs, config: &Config) -> Result<()> {
    let (host, api) = target(args.hostname.as_deref(), config)?;
    // Where the token will go is settled before the secret is asked for.
    if !args.insecure_storage
        && let Err(why) = keyring::keyring_available()
    {
        return Err(user(format!(
            "there is no OS keyring to keep a token for {host} in: {why}.\n  {}.\n\
             Nothing was stored. Either:\n  \
             - run again with --insecure-storage: the token goes to a plain-text file readable \
             only by you, under the config directory, and flightdeck warns every time it reads it\n  \
             - or give the token to each command in {} instead",
            keyring::how_to_get_a_keyring(),
            token::env_vars(&api).join(" or ")
        )));
    }
    let secret = read_token(args.with_token, &host)?;
    let who = whoami(&api, &secret).await.map_err(|e| match e {
        WhoamiError::Refused { .. } | WhoamiError::NotHere { .. } => {
            user(format!("{e}; nothing was stored"))
        }
        e => eyre!("{e}; nothing was stored"),
    })?;
    let stored = if args.insecure_storage {
        let path = keyring::save_insecure(&host, &secret).map_err(|e| eyre!(e))?;
        // An older keyring entry would come first and hide the token just stored.
        keyring::delete_keyring(&host).map_err(|e| eyre!(e))?;
        Stored::InsecureFile(path)
    } else {
        keyring::save_keyring(&host, &secret).map_err(|e| eyre!("{e}; nothing was stored"))?;
        // A token left from an earlier --insecure-storage would be the one read after a logout.
        keyring::delete_insecure(&host).map_err(|e| eyre!(e))?;
        Stored::Keyring
    };
    keyring::remember_host(&host, Some(&api)).map_err(|e| eyre!(e))?;

    println!("Logged in to {host} as {}.", who.login);
    print_token(&who);
    match &stored {
        Stored::Keyring => println!("  stored in: the OS keyring (entry flightdeck:{host})"),
        Stored::InsecureFile(path) => {
            println!(
                "  stored in: {} (plain text, readable only by you)",
                path.display()
            );
            eprintln!(
                "warning: the token is stored in plain text at {}; flightdeck warns every time it \
                 reads it. Move it to an OS keyring with `flightdeck auth login --hostname {host}` \
                 where there is one",
                path.display()
            );
        }
    }
    for w in who.warnings() {
        eprintln!("warning: {w}");
    }
    if let Some(var) = set_env_var(&api) {
        eprintln!(
            "note: {var} is set and comes first: flightdeck uses it, not the stored token, \
             while it is set"
        );
    }
    Ok(())
}

fn print_token(who: &Whoami) {
    let scopes = match &who.scopes {
        Some(s) if s.is_empty() => "; scopes: none".to_string(),
        Some(s) => format!("; scopes: {}", s.join(", ")),
        None => String::new(),
    };
    println!("  token: {}{scopes}", who.kind);
    if let Some(expires) = &who.expires {
        println!("  expires: {expires}");
    }
}

/// The environment variable that would win over a stored token, if one is set.
fn set_env_var(api: &str) -> Option<&'static str> {
    token::env_vars(api)
        .iter()
        .copied()
        .find(|v| std::env::var(v).is_ok_and(|t| !t.trim().is_empty()))
}

/// The token from standard input (`--with-token`) or a prompt that does not echo.
fn read_token(with_token: bool, host: &str) -> Result<Token> {
    use std::io::{IsTerminal, Read};
    if with_token {
        let mut text = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .wrap_err("reading the token from standard input")?;
        return Token::new(&text).ok_or_else(|| {
            user("no token on standard input: e.g. `gh auth token | flightdeck auth login --with-token`")
        });
    }
    if !std::io::stdin().is_terminal() {
        return Err(user(
            "standard input is not a terminal, so there is no prompt for the token: pipe it in \
             with --with-token, e.g. `gh auth token | flightdeck auth login --with-token`",
        ));
    }
    eprint!("Paste a GitHub token for {host} (it is not shown): ");
    let typed = prompt_hidden()?;
    eprintln!();
    Token::new(&typed).ok_or_else(|| user("no token was typed; nothing was stored"))
}

/// Reads a line in raw mode, so nothing typed is echoed; Ctrl-C gives up.
fn prompt_hidden() -> Result<String> {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    use ratatui::crossterm::terminal;
    struct Raw;
    impl Drop for Raw {
        fn drop(&mut self) {
            let _ = terminal::disable_raw_mode();
        }
    }
    terminal::enable_raw_mode().wrap_err("switching the terminal to hide the token")?;
    let _raw = Raw;
    let mut typed = String::new();
    loop {
        match event::read().wrap_err("reading the token")? {
            Event::Key(k) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => return Ok(typed),
                KeyCode::Char('c' | 'd') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Err(user("cancelled; nothing was stored"));
                }
                KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => typed.clear(),
                KeyCode::Char(c) => typed.push(c),
                KeyCode::Backspace => {
                    typed.pop();
                }
                _ => {}
            },
            Event::Paste(p) => typed.push_str(&p),
            _ => {}
        }
    }
}

/// The hosts to report: the one asked, else the configured API's host and every
/// host logged in to.
fn hosts(hostname: Option<&str>, config: &Config) -> Result<Vec<(String, String)>> {
    if hostname.is_some() {
        return Ok(vec![target(hostname, config)?]);
    }
    let mut hosts = Vec::new();
    if let Ok(t) = target(None, config) {
        hosts.push(t);
    }
    for (host, api) in keyring::known_hosts() {
        if !hosts.iter().any(|(h, _)| *h == host) {
            hosts.push((host, api));
        }
    }
    Ok(hosts)
}

async fn status(hostname: Option<&str>, config: &Config) -> Result<()> {
    let mut failed = Vec::new();
    for (host, api) in hosts(hostname, config)? {
        println!("{host} ({})", crate::probe::redact(&api));
        let Some(found) = token::discover(&api) else {
            println!("  no token");
            for line in token::missing_token_help(&api).lines().skip(1) {
                println!("  {}", line.trim_start());
            }
            continue;
        };
        let source = found.source;
        match whoami(&api, &found.token).await {
            Ok(who) => {
                println!("  logged in as {} (token from {source})", who.login);
                print_token(&who);
                if let Some((left, limit, reset)) = who.quota {
                    println!(
                        "  quota: {left} of {limit} requests left this hour, resets at {}",
                        reset.format("%H:%M UTC")
                    );
                }
                for w in who.warnings() {
                    println!("  warning: {w}");
                }
            }
            Err(e) => {
                println!("  the token from {source} does not work: {e}");
                println!("  {}", fix_for(source, &host, &api));
                failed.push(host);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(eyre!("no working token for {}", failed.join(", ")))
    }
}

/// What to do about a token that GitHub refused, by where it came from.
fn fix_for(source: TokenSource, host: &str, api: &str) -> String {
    let login = if token::host_kind(api) == token::HostKind::Loopback {
        format!(
            "flightdeck --github-api {} auth login",
            api.trim_end_matches('/')
        )
    } else {
        format!("flightdeck auth login --hostname {host}")
    };
    match source {
        TokenSource::Env(var) => format!("set {var} to a valid token, or unset it"),
        TokenSource::Keyring | TokenSource::InsecureFile => format!(
            "store a new one with `{login}`, or remove it with `{}`",
            login.replace(" login", " logout")
        ),
        TokenSource::GhCli => format!("renew it with `gh auth login --hostname {host}`"),
    }
}

fn logout(hostname: Option<&str>, config: &Config) -> Result<()> {
    let (host, api) = target(hostname, config)?;
    let from_keyring = keyring::delete_keyring(&host).map_err(|e| eyre!(e))?;
    let from_file = keyring::delete_insecure(&host).map_err(|e| eyre!(e))?;
    keyring::remember_host(&host, None).map_err(|e| eyre!(e))?;
    match (from_keyring, from_file) {
        (false, false) => println!("No token was stored for {host}."),
        (true, false) => println!("Removed the token for {host} from the OS keyring."),
        (false, true) => println!("Removed the token for {host} from the plain-text file."),
        (true, true) => {
            println!("Removed the token for {host} from the OS keyring and the plain-text file.")
        }
    }
    if let Some(var) = set_env_var(&api) {
        println!("{var} is still set: flightdeck keeps using it while it is set.");
    }
    Ok(())
}
