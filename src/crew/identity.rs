//! Who "me" is: the GitHub login of my token when there is one (asked once,
//! then cached per API and token), else the configured login or the local
//! user name.

use crate::config::Config;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long `start` or `fly` waits for GitHub to say whose token this is.
const ASK: Duration = Duration::from_secs(5);

/// The login this process acts as.
pub(crate) fn me(config: &Config) -> String {
    // An explicit login (config file, FLIGHTDECK_LOGIN) is the user's word.
    if let Some(login) = config.login.clone().filter(|l| !l.trim().is_empty()) {
        return login;
    }
    token_login(config).unwrap_or_else(|| config.identity())
}

fn cache_path(config: &Config) -> std::path::PathBuf {
    config.cache_dir.join("github").join("whoami.json")
}

/// The token's login: from the cache, else from `GET /user`.
fn token_login(config: &Config) -> Option<String> {
    let api = config.github_api();
    let found = crate::github::token::discover(&api)?;
    // The key is a digest: the token itself never reaches the disk.
    let key = hex::encode(Sha256::digest(format!("{api}\n{}", found.token.secret())));
    let key = key.get(..32)?.to_string();
    let path = cache_path(config);
    let mut cache: BTreeMap<String, String> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(login) = cache.get(&key) {
        return Some(login.clone());
    }
    let client = crate::github::client_for(config).ok()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let login = runtime
        .block_on(async { tokio::time::timeout(ASK, client.user()).await })
        .ok()?
        .ok()?
        .login;
    cache.insert(key, login.clone());
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
        && let Ok(text) = serde_json::to_vec(&cache)
    {
        // A cache that cannot be written only costs one request next time.
        let _ = crate::timeline::fsutil::write_atomic(&path, &text);
    }
    Some(login)
}
