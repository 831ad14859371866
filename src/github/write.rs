//! Writes (issues, comments) through octocrab, and the reads the crew sync
//! needs beside them (`GET /user`, an issue's comments), conditional.
//!
//! A write is one octocrab request on the host's client: same base URL and
//! token as the reads (the token rules were checked when the client was made),
//! connect and read deadlines in octocrab, a total deadline around the call,
//! and **no retry** (octocrab's `retry` feature is off). A write that failed or
//! timed out may still have happened: the caller re-reads before writing again.
//! The reply's rate-limit headers feed the host's one budget.

use super::client::{GhError, GithubClient};
use bytes::Bytes;
use octocrab::models::issues::{Comment, Issue};
use octocrab::models::{Author, CommentId};
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::json;

/// A repository, `owner/name`, checked once: each part is a GitHub name
/// (letters, digits, `-`, `_`, `.`), so it is safe in a path as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoRef {
    owner: String,
    name: String,
}

impl RepoRef {
    /// `owner/name`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<RepoRef> {
        let (owner, name) = text.trim().split_once('/')?;
        let ok = |p: &str| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        (ok(owner) && ok(name)).then(|| RepoRef {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    fn path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

impl std::fmt::Display for RepoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A token's access to a repository, as `GET /repos/…` reports it (all false
/// without a token).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Permissions {
    #[serde(default)]
    pub(crate) admin: bool,
    #[serde(default)]
    pub(crate) maintain: bool,
    #[serde(default)]
    pub(crate) push: bool,
    #[serde(default)]
    pub(crate) triage: bool,
    #[serde(default)]
    pub(crate) pull: bool,
}

impl Permissions {
    /// May edit issues it did not open (the tracking issue's body after a handover).
    pub(crate) fn triage_or_more(self) -> bool {
        self.admin || self.maintain || self.push || self.triage
    }
}

/// An issue's comments, oldest first.
#[derive(Debug, Clone)]
pub struct CommentList {
    pub comments: Vec<Comment>,
    /// Whether anything differs from the last read (false when every page answered 304).
    pub changed: bool,
}

/// An issue's comments are read this many pages deep at most (100 a page):
/// a tracking issue holds a few comments per crew member, far below this.
const MAX_COMMENT_PAGES: usize = 30;

#[derive(Debug, Clone, Copy)]
enum Verb {
    Post,
    Patch,
    Delete,
}

impl GithubClient {
    /// The login and profile of the token's owner (`GET /user`, conditional).
    /// [`GhError::Unauthorized`] without a token.
    pub async fn user(&self) -> Result<Author, GhError> {
        let page = self.get("/user").await?;
        if !page.found {
            return Err(GhError::Http {
                path: page.path,
                status: 404,
                message: "no user for this token".into(),
            });
        }
        page.json()
    }

    /// An issue (`None` when it does not exist or is not visible), conditional.
    pub async fn issue(&self, repo: &RepoRef, number: u64) -> Result<Option<Issue>, GhError> {
        let page = self
            .get(&format!("{}/issues/{number}", repo.path()))
            .await?;
        if !page.found {
            return Ok(None);
        }
        page.json().map(Some)
    }

    /// What the token may do in a repository (`permissions` of `GET /repos/…`);
    /// `None` when the repository does not exist or is not visible.
    pub(crate) async fn permissions(&self, repo: &RepoRef) -> Result<Option<Permissions>, GhError> {
        let page = self.get(&repo.path()).await?;
        if !page.found {
            return Ok(None);
        }
        #[derive(serde::Deserialize)]
        struct RepoPermissions {
            #[serde(default)]
            permissions: Permissions,
        }
        page.json::<RepoPermissions>().map(|r| Some(r.permissions))
    }

    /// Opens an issue.
    pub async fn create_issue(
        &self,
        repo: &RepoRef,
        title: &str,
        body: &str,
    ) -> Result<Issue, GhError> {
        let path = format!("{}/issues", repo.path());
        let reply = self
            .write(Verb::Post, &path, &json!({"title": title, "body": body}))
            .await?;
        parse(&path, &reply)
    }

    /// Replaces an issue's body (the tracking issue's live task list).
    pub async fn edit_issue_body(
        &self,
        repo: &RepoRef,
        number: u64,
        body: &str,
    ) -> Result<Issue, GhError> {
        let path = format!("{}/issues/{number}", repo.path());
        let reply = self
            .write(Verb::Patch, &path, &json!({"body": body}))
            .await?;
        parse(&path, &reply)
    }

    /// Adds a comment to an issue.
    pub async fn create_comment(
        &self,
        repo: &RepoRef,
        number: u64,
        body: &str,
    ) -> Result<Comment, GhError> {
        let path = format!("{}/issues/{number}/comments", repo.path());
        let reply = self
            .write(Verb::Post, &path, &json!({"body": body}))
            .await?;
        parse(&path, &reply)
    }

    /// Replaces a comment's body.
    pub async fn edit_comment(
        &self,
        repo: &RepoRef,
        id: CommentId,
        body: &str,
    ) -> Result<Comment, GhError> {
        let path = format!("{}/issues/comments/{id}", repo.path());
        let reply = self
            .write(Verb::Patch, &path, &json!({"body": body}))
            .await?;
        parse(&path, &reply)
    }

    /// Deletes a comment. One already gone is not an error (the goal is reached).
    pub async fn delete_comment(&self, repo: &RepoRef, id: CommentId) -> Result<(), GhError> {
        let path = format!("{}/issues/comments/{id}", repo.path());
        match self.write(Verb::Delete, &path, &()).await {
            Ok(_) => Ok(()),
            Err(GhError::Http { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// An issue's comments, every page, each page a conditional GET: an
    /// unchanged thread costs no quota. A missing issue is an error.
    pub async fn list_comments(&self, repo: &RepoRef, number: u64) -> Result<CommentList, GhError> {
        let mut url = format!("{}/issues/{number}/comments?per_page=100", repo.path());
        let mut comments = Vec::new();
        let mut changed = false;
        for _ in 0..MAX_COMMENT_PAGES {
            let page = self.get(&url).await?;
            if !page.found {
                return Err(GhError::Http {
                    path: page.path,
                    status: 404,
                    message: format!(
                        "issue {repo}#{number} not found, or not visible with this token"
                    ),
                });
            }
            changed |= page.changed;
            comments.extend(page.json::<Vec<Comment>>()?);
            match page.next {
                Some(next) => url = next,
                None => return Ok(CommentList { comments, changed }),
            }
        }
        // A thread read only in part would look as if comments were missing.
        Err(GhError::Http {
            path: url,
            status: 413,
            message: format!(
                "issue {repo}#{number} has more than {} comments; flightdeck reads at most that many",
                MAX_COMMENT_PAGES * 100
            ),
        })
    }

    fn octocrab(&self) -> Result<&octocrab::Octocrab, GhError> {
        self.octo
            .get_or_init(|| {
                let fail = |e: octocrab::Error| GhError::Transport {
                    path: self.base().to_string(),
                    message: self.redact(&format!("cannot set up the GitHub client: {e}")),
                };
                let mut b = octocrab::Octocrab::builder()
                    .base_uri(self.base())
                    .map_err(fail)?
                    .set_connect_timeout(Some(self.connect_timeout))
                    .set_read_timeout(Some(self.timeout))
                    .set_write_timeout(Some(self.timeout));
                if let Some(t) = &self.token {
                    b = b.personal_token(t.secret().to_string());
                }
                b.build().map_err(fail)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// One write, once, within the total deadline. The reply's body on success.
    async fn write<B: Serialize>(
        &self,
        verb: Verb,
        path: &str,
        body: &B,
    ) -> Result<Bytes, GhError> {
        let octo = self.octocrab()?;
        let _one_at_a_time = self.writing.lock().await;
        let shown = path.to_string();
        // Once a request may have left, so may the write: say so, whichever deadline fired.
        let transport = |message: String| GhError::Transport {
            path: shown.clone(),
            message: self.redact(&format!(
                "{message}; the write may still have happened: re-read before writing again"
            )),
        };
        let call = async {
            let resp = match verb {
                Verb::Post => octo._post(path, Some(body)).await,
                Verb::Patch => octo._patch(path, Some(body)).await,
                Verb::Delete => octo._delete(path, None::<&()>).await,
            }
            .map_err(|e| transport(describe(&e)))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            self.note_quota(&headers);
            let text = octo
                .body_to_string(resp)
                .await
                .map_err(|e| transport(format!("the reply broke off ({})", describe(&e))))?;
            Ok::<_, GhError>((status, headers, Bytes::from(text)))
        };
        let (status, headers, bytes) =
            tokio::time::timeout(self.timeout, call)
                .await
                .map_err(|_| {
                    transport(format!(
                        "timed out after {:.1} s",
                        self.timeout.as_secs_f64()
                    ))
                })??;
        if status.is_success() {
            return Ok(bytes);
        }
        let status = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        Err(self.classify(status, &headers, &bytes, shown))
    }
}

fn parse<T: serde::de::DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, GhError> {
    serde_json::from_slice(body).map_err(|e| GhError::BadBody {
        path: path.to_string(),
        message: format!("unexpected JSON ({e})"),
    })
}

/// octocrab's error, with its source chain (its own text is terse).
fn describe(e: &octocrab::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_checked_once() {
        let r = RepoRef::parse("conda/conda").expect("a repo");
        assert_eq!((r.owner(), r.name()), ("conda", "conda"));
        assert_eq!(r.path(), "/repos/conda/conda");
        assert_eq!(r.to_string(), "conda/conda");
        for bad in [
            "conda", "/conda", "conda/", "a/b/c", "../x", "a/..", "a b/c", "a/b?x",
        ] {
            assert!(RepoRef::parse(bad).is_none(), "{bad} is not a repository");
        }
    }
}
