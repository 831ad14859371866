//! Paths, the config file, and command-line / environment overrides.
//!
//! Precedence: command line, then environment, then the config file, then defaults.
//! The config file is `<config dir>/flightdeck/config.toml` (or `FLIGHTDECK_CONFIG`):
//!
//! ```toml
//! home = "/srv/flightdeck"                 # where releases and caches live
//! login = "jane"                           # your GitHub login, recorded on your events
//! github_api = "https://github.example.com/api/v3"
//! pypi_url = "https://pypi.org"
//! theme = "light"                          # a built-in theme or a path
//! sync_interval = 10                       # seconds between the crew's exchanges (2-3600)
//! notify = "bell"                          # cockpit alerts: off (default), bell, desktop
//! clipboard = "show"                       # c/l: osc52, or show the text (default: detect)
//! [channels]
//! conda-forge = "https://prefix.dev/conda-forge"
//! ```

use crate::diag::{Diagnostics, Node, NodeValue, Reporter, TableReader};
use crate::error::user;
use color_eyre::eyre::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The settings a command runs with, after all overrides.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub home: PathBuf,
    pub cache_dir: PathBuf,
    pub login: Option<String>,
    pub github_api: Option<String>,
    pub pypi_url: Option<String>,
    pub channels: BTreeMap<String, String>,
    pub theme: Option<String>,
    /// The config directory, where user themes live (`themes/NAME.toml`).
    pub config_dir: Option<PathBuf>,
    /// Seconds between the crew sync's exchanges (`sync_interval`,
    /// `FLIGHTDECK_SYNC_INTERVAL`); `None` is the default.
    pub sync_interval: Option<u64>,
    /// A token the program itself hands over (the demo's simulated seat),
    /// used before any discovery; never read from a file or the environment.
    pub github_token: Option<crate::github::Token>,
    /// The cockpit's alerts: `off`, `bell` or `desktop` (checked when read).
    pub notify: Option<String>,
    /// `clipboard = "osc52"` (true) or `"show"` (false); `None` detects.
    pub clipboard: Option<bool>,
}

/// What the command line (and its environment variables) said.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) home: Option<PathBuf>,
    pub(crate) github_api: Option<String>,
    pub(crate) pypi_url: Option<String>,
    /// `NAME=URL` pairs.
    pub(crate) channels: Vec<String>,
    pub(crate) theme: Option<String>,
}

/// The config file as written.
#[derive(Debug, Clone, Default)]
struct FileConfig {
    home: Option<PathBuf>,
    login: Option<String>,
    github_api: Option<String>,
    pypi_url: Option<String>,
    theme: Option<String>,
    channels: BTreeMap<String, String>,
    sync_interval: Option<u64>,
    notify: Option<String>,
    clipboard: Option<bool>,
}

/// The seconds the crew sync may wait between exchanges.
const SYNC_INTERVALS: std::ops::RangeInclusive<u64> = 2..=3600;

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "flightdeck")
}

impl Config {
    /// Loads the config file (if any) and applies the overrides.
    pub(crate) fn load(overrides: &Overrides) -> Result<Config> {
        let dirs = project_dirs();
        let config_path = std::env::var_os("FLIGHTDECK_CONFIG")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().join("config.toml")));
        let file = match &config_path {
            Some(p) if p.is_file() => read_file(p)?,
            _ => FileConfig::default(),
        };
        let home = overrides
            .home
            .clone()
            .or(file.home)
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .ok_or_else(|| {
                user("cannot tell where to keep releases: set --home DIR or FLIGHTDECK_HOME")
            })?;
        let cache_dir = match (&overrides.home, &dirs) {
            // An explicit home keeps everything together (tests, demos, shared disks).
            (Some(h), _) => h.join("cache"),
            (None, Some(d)) => d.cache_dir().to_path_buf(),
            (None, None) => home.join("cache"),
        };
        let mut channels = file.channels;
        for pair in &overrides.channels {
            let (name, url) = pair
                .split_once('=')
                .filter(|(n, u)| !n.is_empty() && !u.is_empty())
                .ok_or_else(|| user(format!("--channel {pair}: expected NAME=URL, e.g. --channel conda-forge=https://prefix.dev/conda-forge")))?;
            channels.insert(name.to_string(), url.to_string());
        }
        let github_api = overrides.github_api.clone().or(file.github_api);
        let pypi_url = overrides.pypi_url.clone().or(file.pypi_url);
        if let Some(api) = &github_api {
            check_api_url(
                "the GitHub API (--github-api / FLIGHTDECK_GITHUB_API / github_api)",
                api,
            )?;
        }
        if let Some(url) = &pypi_url {
            check_api_url("the PyPI URL (--pypi-url / pypi_url)", url)?;
        }
        for (name, url) in &channels {
            crate::checklist::channel::parse_channel_url(url)
                .map_err(|e| user(format!("channel `{name}`: {e}")))?;
        }
        Ok(Config {
            home,
            cache_dir,
            login: std::env::var("FLIGHTDECK_LOGIN")
                .ok()
                .filter(|s| !s.is_empty())
                .or(file.login),
            github_api,
            pypi_url,
            channels,
            theme: overrides.theme.clone().or(file.theme),
            sync_interval: match std::env::var("FLIGHTDECK_SYNC_INTERVAL") {
                Ok(v) if !v.is_empty() => Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|s| SYNC_INTERVALS.contains(s))
                        .ok_or_else(|| {
                            user(format!(
                                "FLIGHTDECK_SYNC_INTERVAL={v}: give seconds between {} and {}",
                                SYNC_INTERVALS.start(),
                                SYNC_INTERVALS.end()
                            ))
                        })?,
                ),
                _ => file.sync_interval,
            },
            config_dir: config_path
                .as_deref()
                .and_then(Path::parent)
                .map(Path::to_path_buf),
            github_token: None,
            notify: file.notify,
            clipboard: file.clipboard,
        })
    }

    /// Who is acting: the GitHub login when known (config, `FLIGHTDECK_LOGIN`,
    /// or the `gh` CLI's stored login), else the local user name.
    pub(crate) fn identity(&self) -> String {
        self.login
            .clone()
            .or_else(|| crate::github::token::gh_stored_login("github.com"))
            .filter(|s| !s.trim().is_empty())
            .or_else(local_login)
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// The GitHub REST base URL.
    pub(crate) fn github_api(&self) -> String {
        self.github_api
            .clone()
            .unwrap_or_else(|| "https://api.github.com".to_string())
    }

    pub(crate) fn pypi_url(&self) -> String {
        self.pypi_url
            .clone()
            .unwrap_or_else(|| "https://pypi.org".to_string())
    }
}

/// Refuses an API base that is not an http(s) URL or that has a user-info part: the
/// host decision (where a token may go) is made on the parsed host, and
/// `http://127.0.0.1:1@127.0.0.2/` must not pass for loopback anywhere.
fn check_api_url(what: &str, raw: &str) -> Result<()> {
    let shown = crate::diag::echo(raw);
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        user(format!(
            "{what} `{shown}` is not a URL ({e}); use e.g. https://api.github.com"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(user(format!(
            "{what} `{}` has a user-info part (`user:password@`): refused, because it hides the real host ({}) and would leak into messages; give the host alone, and the token through GH_TOKEN or `flightdeck auth login`",
            crate::export::redact::redact(&shown),
            url.host_str().unwrap_or("none")
        )));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(user(format!(
            "{what} `{shown}` must be an http(s) URL with a host"
        )));
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| user(format!("cannot read {}: {e}", path.display())))?;
    let name = path.display().to_string();
    let mut rep = Reporter::new(&name, &text);
    let mut cfg = FileConfig::default();
    if let Some(root) = Node::parse(&mut rep, &text)
        && let Some(mut t) = TableReader::new(&mut rep, &root, "the config file")
    {
        cfg.home = t.string(&mut rep, "home").map(|s| PathBuf::from(s.value));
        cfg.login = t.string(&mut rep, "login").map(|s| s.value);
        cfg.github_api = t.string(&mut rep, "github_api").map(|s| s.value);
        cfg.pypi_url = t.string(&mut rep, "pypi_url").map(|s| s.value);
        cfg.theme = t.string(&mut rep, "theme").map(|s| s.value);
        if let Some(n) = t.integer(&mut rep, "sync_interval") {
            match u64::try_from(n.value) {
                Ok(secs) if SYNC_INTERVALS.contains(&secs) => cfg.sync_interval = Some(secs),
                _ => rep.error(
                    &n.span,
                    format!(
                        "sync_interval = {}: give seconds between {} and {}",
                        n.value,
                        SYNC_INTERVALS.start(),
                        SYNC_INTERVALS.end()
                    ),
                    Some("e.g. sync_interval = 10".into()),
                ),
            }
        }
        if let Some(n) = t.string(&mut rep, "notify") {
            match n.value.as_str() {
                "off" | "bell" | "desktop" => cfg.notify = Some(n.value),
                other => rep.error(
                    &n.span,
                    format!(
                        "`notify = \"{}\"`: use \"off\", \"bell\" or \"desktop\"",
                        crate::diag::echo(other)
                    ),
                    None,
                ),
            }
        }
        if let Some(c) = t.string(&mut rep, "clipboard") {
            match c.value.as_str() {
                "osc52" => cfg.clipboard = Some(true),
                "show" => cfg.clipboard = Some(false),
                "auto" => cfg.clipboard = None,
                other => rep.error(
                    &c.span,
                    format!(
                        "`clipboard = \"{}\"`: use \"osc52\" (the terminal takes OSC 52), \"show\" (show the text to copy) or \"auto\"",
                        crate::diag::echo(other)
                    ),
                    None,
                ),
            }
        }
        if let Some(node) = t.node("channels") {
            match &node.value {
                NodeValue::Table(entries) => {
                    for e in entries {
                        match &e.node.value {
                            NodeValue::String(url) => {
                                cfg.channels.insert(e.key.clone(), url.clone());
                            }
                            _ => rep.error(
                                &e.node.span,
                                format!("channel `{}` must map to a URL string", e.key),
                                None,
                            ),
                        }
                    }
                }
                _ => rep.error(
                    &node.span,
                    "`channels` must be a table of NAME = \"URL\"",
                    None,
                ),
            }
        }
        t.finish(&mut rep);
    }
    let diagnostics = rep.finish();
    if diagnostics.is_empty() {
        Ok(cfg)
    } else {
        Err(color_eyre::Report::new(Diagnostics(diagnostics)))
    }
}

/// The local account's name, for an author when no GitHub login is known:
/// `USER`, then `LOGNAME` (set by login and cron where `USER` is not), then
/// `USERNAME` (Windows), then the name of the process's uid.
pub(crate) fn local_login() -> Option<String> {
    local_login_from(|k| std::env::var(k).ok(), uid_name)
}

fn local_login_from(
    env: impl Fn(&str) -> Option<String>,
    uid: impl FnOnce() -> Option<String>,
) -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|k| env(k))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .or_else(uid)
}

/// The user name of the process's uid (`id -un`), where there is one.
fn uid_name() -> Option<String> {
    let out = std::process::Command::new("id").arg("-un").output().ok()?;
    let name = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {

    #[test]
    fn without_user_the_author_falls_back_to_logname_then_the_uid() {
        let env = |set: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                set.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let uid = || Some("uid-name".to_string());
        assert_eq!(
            local_login_from(env(&[("USER", "jane"), ("LOGNAME", "x")]), uid),
            Some("jane".into())
        );
        assert_eq!(
            local_login_from(env(&[("USER", " "), ("LOGNAME", "bob")]), uid),
            Some("bob".into())
        );
        assert_eq!(local_login_from(env(&[]), uid), Some("uid-name".into()));
        assert_eq!(local_login_from(env(&[]), || None), None);
    }
    use super::*;

    fn config(channels: &[(&str, &str)]) -> Config {
        Config {
            channels: channels
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..Config::default()
        }
    }

    #[test]
    fn channel_names_resolve_as_the_design_says() {
        let c = config(&[]);
        // Resolution lives in the channel probe; this pins the design's rules for
        // the names and overrides a config can hold.
        let url = |c: &Config, name: &str| {
            crate::probe::channel::resolve_channel(name, &c.channels)
                .expect("resolves")
                .to_string()
                .trim_end_matches('/')
                .to_string()
        };
        assert_eq!(
            url(&c, "conda-forge"),
            "https://conda.anaconda.org/conda-forge"
        );
        assert_eq!(url(&c, "defaults"), "https://repo.anaconda.com/pkgs/main");
        assert_eq!(url(&c, "bioconda"), "https://conda.anaconda.org/bioconda");
        assert_eq!(
            url(&c, "https://prefix.dev/conda-forge/"),
            "https://prefix.dev/conda-forge"
        );
        assert_eq!(url(&c, "file:///srv/channel"), "file:///srv/channel");
        let o = config(&[("conda-forge", "http://127.0.0.1:9/channels/conda-forge")]);
        assert_eq!(
            url(&o, "conda-forge"),
            "http://127.0.0.1:9/channels/conda-forge"
        );
        assert_eq!(
            url(&o, "conda-forge/label/broken"),
            "http://127.0.0.1:9/channels/conda-forge/label/broken"
        );
    }

    #[test]
    fn notify_and_clipboard_are_read_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "notify = \"bell\"\nclipboard = \"show\"\n").expect("write");
        let c = read_file(&p).expect("valid");
        assert_eq!(c.notify.as_deref(), Some("bell"));
        assert_eq!(c.clipboard, Some(false));
        std::fs::write(&p, "notify = \"loud\"\nclipboard = \"yes\"\n").expect("write");
        let err = read_file(&p).expect_err("must fail").to_string();
        assert!(
            err.contains(
                "config.toml:1:10: `notify = \"loud\"`: use \"off\", \"bell\" or \"desktop\""
            ),
            "{err}"
        );
        assert!(
            err.contains("config.toml:2:13: `clipboard = \"yes\"`"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_config_file_names_the_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("config.toml");
        std::fs::write(
            &p,
            "home = \"/x\"\nthem = \"light\"\n[channels]\nconda-forge = 3\n",
        )
        .expect("write");
        let err = read_file(&p).expect_err("must fail").to_string();
        assert!(err.contains("config.toml:2:1: unknown key `them`"), "{err}");
        assert!(err.contains("did you mean `theme`"), "{err}");
        assert!(
            err.contains("config.toml:4:15: channel `conda-forge` must map to a URL string"),
            "{err}"
        );
    }
}
