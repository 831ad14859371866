//! Where `flightdeck auth login` keeps tokens: the OS keyring, one entry per
//! host, or — only when asked with `--insecure-storage` — a plain-text file
//! readable by the user alone under the config directory, as `gh` does.
//!
//! The OS keyring is the `keyring` crate's native store: the kernel's keyutils
//! store on Linux (the user's persistent keyring: no daemon; it survives
//! logging out for a few days after the last use, not a reboot), the Keychain
//! on macOS, the Credential Manager on Windows. `FLIGHTDECK_KEYRING=none` turns
//! it off (a machine whose keyring should not hold a token, and the tests of
//! the fallback).
//!
//! Hosts are keys as [`super::token::host_key`] makes them: `github.com`, an
//! Enterprise host name, or `127.0.0.1:PORT` for a simulated world. Nothing in
//! here prints a token: errors name the host and the store, never the secret.

use super::token::Token;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The keyring service of a host's entry (the entry's user is [`ENTRY_USER`]).
fn service(host: &str) -> String {
    format!("flightdeck:{host}")
}

const ENTRY_USER: &str = "token";

/// The plain-text token file `--insecure-storage` writes, under the config directory.
pub const INSECURE_FILE: &str = "insecure-tokens.toml";

/// The hosts `auth login` stored a token for, and their API base (no secrets),
/// so `auth status` knows which hosts to report.
const HOSTS_FILE: &str = "auth-hosts.toml";

/// Where a stored token lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stored {
    Keyring,
    InsecureFile(PathBuf),
}

/// The config directory, decided as [`crate::config::Config::load`] does
/// (`FLIGHTDECK_CONFIG`'s folder, else the platform's): token discovery runs
/// without a loaded config.
pub(crate) fn config_dir() -> Option<PathBuf> {
    match std::env::var_os("FLIGHTDECK_CONFIG") {
        Some(p) => Path::new(&p).parent().map(Path::to_path_buf),
        None => directories::ProjectDirs::from("", "", "flightdeck")
            .map(|d| d.config_dir().to_path_buf()),
    }
}

/// Why the OS keyring cannot be used here, with what to do about it; `Ok` when it can.
pub fn keyring_available() -> Result<(), String> {
    if std::env::var("FLIGHTDECK_KEYRING").is_ok_and(|v| v.eq_ignore_ascii_case("none")) {
        return Err("the OS keyring is turned off (FLIGHTDECK_KEYRING=none)".into());
    }
    // A read of an entry that does not exist tells whether the store answers at all
    // (keyutils is refused in some containers: Docker's default seccomp profile).
    native::get("flightdeck-probe.invalid").map(|_| ())
}

/// How to get an OS keyring where there is none, for `auth login`'s message.
pub(crate) fn how_to_get_a_keyring() -> &'static str {
    if cfg!(target_os = "linux") {
        "flightdeck uses the kernel's keyutils store on Linux; it is refused inside containers \
         that filter the keyctl system call (Docker's default seccomp profile): run flightdeck \
         on the host or allow keyctl, and unset FLIGHTDECK_KEYRING if it is `none`"
    } else {
        "unset FLIGHTDECK_KEYRING if it is `none`"
    }
}

/// Stores `token` for `host` in the OS keyring and reads it back.
pub fn save_keyring(host: &str, token: &Token) -> Result<(), String> {
    keyring_available()?;
    native::set(host, token.secret())?;
    match native::get(host)? {
        Some(back) if back == token.secret() => Ok(()),
        Some(_) => Err("the OS keyring gave back another token than the one stored".into()),
        None => Err("the OS keyring lost the token it was given".into()),
    }
}

/// The token stored for `host` in the OS keyring.
pub fn load_keyring(host: &str) -> Option<Token> {
    keyring_available().ok()?;
    Token::new(&native::get(host).ok()??)
}

/// Removes `host`'s keyring entry; whether there was one.
pub fn delete_keyring(host: &str) -> Result<bool, String> {
    if keyring_available().is_err() {
        return Ok(false);
    }
    native::delete(host)
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
mod native {
    use super::{ENTRY_USER, service};
    use ::keyring::{Entry, Error};

    fn entry(host: &str) -> Result<Entry, String> {
        Entry::new(&service(host), ENTRY_USER)
            .map_err(|e| format!("the OS keyring does not answer ({})", describe(&e)))
    }

    /// A keyring error in words, never with a secret (`BadEncoding` carries the bytes).
    fn describe(e: &Error) -> String {
        match e {
            Error::PlatformFailure(err) | Error::NoStorageAccess(err) => err.to_string(),
            Error::NoEntry => "no entry".into(),
            Error::BadEncoding(_) => "the stored entry is not text".into(),
            Error::TooLong(what, _) | Error::Invalid(what, _) => {
                format!("the entry's {what} is not accepted")
            }
            _ => "an ambiguous entry".into(),
        }
    }

    pub(super) fn get(host: &str) -> Result<Option<String>, String> {
        match entry(host)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(format!("the OS keyring does not answer ({})", describe(&e))),
        }
    }

    pub(super) fn set(host: &str, secret: &str) -> Result<(), String> {
        entry(host)?
            .set_password(secret)
            .map_err(|e| format!("the OS keyring refused the token: {}", describe(&e)))
    }

    pub(super) fn delete(host: &str) -> Result<bool, String> {
        match entry(host)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(format!(
                "the OS keyring did not remove the entry: {}",
                describe(&e)
            )),
        }
    }
}

/// A platform without a native store in the `keyring` crate: no keyring at all
/// (its mock store would accept a token and forget it).
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod native {
    const NONE: &str = "flightdeck knows no OS keyring on this platform";

    pub(super) fn get(_host: &str) -> Result<Option<String>, String> {
        Err(NONE.into())
    }

    pub(super) fn set(_host: &str, _secret: &str) -> Result<(), String> {
        Err(NONE.into())
    }

    pub(super) fn delete(_host: &str) -> Result<bool, String> {
        Err(NONE.into())
    }
}

fn read_map(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| toml::from_str(&text).ok())
        .unwrap_or_default()
}

/// Writes `map` to `path` atomically; `secret` files are readable by the user alone.
fn write_map(path: &Path, map: &BTreeMap<String, String>, secret: bool) -> Result<(), String> {
    let text =
        toml::to_string(map).map_err(|e| format!("cannot encode {}: {e}", path.display()))?;
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no folder", path.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("auth"),
        uuid::Uuid::new_v4().simple()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        // Created 0600, never widened and narrowed afterwards: no moment when others may read it.
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// The plain-text token file's path.
pub(crate) fn insecure_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(INSECURE_FILE))
}

/// Stores `token` for `host` in the plain-text file; its path.
pub(crate) fn save_insecure(host: &str, token: &Token) -> Result<PathBuf, String> {
    let path = insecure_file().ok_or_else(|| {
        "no config directory to keep the token in: set FLIGHTDECK_CONFIG to a file path".to_string()
    })?;
    let mut map = read_map(&path);
    map.insert(host.to_string(), token.secret().to_string());
    write_map(&path, &map, true)?;
    Ok(path)
}

/// The token stored for `host` in the plain-text file, and the file's path.
pub(crate) fn load_insecure(host: &str) -> Option<(Token, PathBuf)> {
    let path = insecure_file()?;
    let token = Token::new(read_map(&path).get(host)?)?;
    Some((token, path))
}

/// Removes `host` from the plain-text file (the file goes when it is empty); whether it was there.
pub(crate) fn delete_insecure(host: &str) -> Result<bool, String> {
    let Some(path) = insecure_file() else {
        return Ok(false);
    };
    let mut map = read_map(&path);
    if map.remove(host).is_none() {
        return Ok(false);
    }
    if map.is_empty() {
        std::fs::remove_file(&path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    } else {
        write_map(&path, &map, true)?;
    }
    Ok(true)
}

/// The hosts a token was stored for, with their API base.
pub(crate) fn known_hosts() -> BTreeMap<String, String> {
    config_dir()
        .map(|d| read_map(&d.join(HOSTS_FILE)))
        .unwrap_or_default()
}

/// Records (`Some(api)`) or forgets (`None`) a host in the list `auth status` reports.
pub(crate) fn remember_host(host: &str, api: Option<&str>) -> Result<(), String> {
    let Some(dir) = config_dir() else {
        return Ok(());
    };
    let path = dir.join(HOSTS_FILE);
    let mut map = read_map(&path);
    let changed = match api {
        Some(api) => map.insert(host.to_string(), api.to_string()).as_deref() != Some(api),
        None => map.remove(host).is_some(),
    };
    if changed {
        write_map(&path, &map, false)?;
    }
    Ok(())
}
