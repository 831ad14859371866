//! Repositories, tags, git objects, commits and releases.

use super::*;

/// `GET /repos/{owner}/{name}/...` for the repository itself, its tags, git objects, commits and releases.
pub(super) fn get(repo: &Repo, rest: &[&str], ctx: &Ctx<'_>, maintainer: bool) -> Reply {
    let api = ctx.api;
    let full = repo.full_name();
    let full = full.as_str();
    match rest {
        [] => {
            let mut v = repo_json(api, &repo.owner, &repo.name, repo.id, &repo.default_branch);
            // GitHub tells an authenticated caller what it may do here; anonymous callers get no key.
            if ctx.login.is_some()
                && let Some(o) = v.as_object_mut()
            {
                o.insert(
                    "permissions".into(),
                    json!({"admin": false, "maintain": maintainer, "push": maintainer,
                           "triage": maintainer, "pull": true}),
                );
            }
            Reply::json(StatusCode::OK, &v)
        }
        ["tags"] => {
            let mut tags: Vec<&crate::sim::world::TagData> = repo.tags.iter().collect();
            tags.sort_by_key(|t| std::cmp::Reverse(t.pushed_at));
            let items = tags
                .into_iter()
                .map(|t| {
                    json!({
                        "name": t.name,
                        "zipball_url": format!("{api}/repos/{full}/zipball/refs/tags/{}", t.name),
                        "tarball_url": format!("{api}/repos/{full}/tarball/refs/tags/{}", t.name),
                        "commit": {"sha": t.commit_sha, "url": format!("{api}/repos/{full}/commits/{}", t.commit_sha)},
                        "node_id": format!("REF_kwDO{}", &t.commit_sha[..12.min(t.commit_sha.len())]),
                    })
                })
                .collect();
            list(ctx, items)
        }
        ["git", "ref", "tags", tag @ ..] => {
            let tag = tag.join("/");
            match repo.tags.iter().find(|t| t.name == tag) {
                Some(t) => Reply::json(StatusCode::OK, &ref_json(api, repo, t)),
                None => not_found(),
            }
        }
        ["git", "refs", "tags", tag @ ..] => {
            let tag = tag.join("/");
            if let Some(t) = repo.tags.iter().find(|t| t.name == tag) {
                return Reply::json(StatusCode::OK, &ref_json(api, repo, t));
            }
            // The legacy endpoint answers a prefix with the list of matches.
            let matches: Vec<Value> = repo
                .tags
                .iter()
                .filter(|t| t.name.starts_with(&tag))
                .map(|t| ref_json(api, repo, t))
                .collect();
            if matches.is_empty() {
                not_found()
            } else {
                Reply::json(StatusCode::OK, &Value::Array(matches))
            }
        }
        ["git", "tags", sha] => {
            let found = repo
                .tags
                .iter()
                .find_map(|t| t.object.as_ref().filter(|o| o.sha == *sha).map(|o| (t, o)));
            match found {
                Some((t, o)) => Reply::json(
                    StatusCode::OK,
                    &json!({
                        "node_id": format!("TAG_kwDO{}", &o.sha[..12.min(o.sha.len())]),
                        "tag": t.name,
                        "sha": o.sha,
                        "url": format!("{api}/repos/{full}/git/tags/{}", o.sha),
                        "message": o.message,
                        "tagger": git_person(&o.tagger, o.date),
                        "object": {"sha": t.commit_sha, "type": "commit", "url": format!("{api}/repos/{full}/git/commits/{}", t.commit_sha)},
                        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
                    }),
                ),
                None => not_found(),
            }
        }
        ["git", "commits", sha] => match git_commit_json(api, repo, sha) {
            Some(v) => Reply::json(StatusCode::OK, &v),
            None => not_found(),
        },
        ["commits", r] => match repo
            .resolve(r)
            .and_then(|sha| repo_commit_json(api, repo, &sha))
        {
            Some(v) => Reply::json(StatusCode::OK, &v),
            None => error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("No commit found for SHA: {r}"),
            ),
        },
        ["releases"] => {
            let mut rels: Vec<&ReleaseData> = repo
                .releases
                .iter()
                .filter(|r| maintainer || !r.draft)
                .collect();
            // Newest first; drafts (no published_at) sort by creation.
            rels.sort_by(|a, b| {
                b.published_at
                    .unwrap_or(b.created_at)
                    .cmp(&a.published_at.unwrap_or(a.created_at))
                    .then(b.id.cmp(&a.id))
            });
            list(
                ctx,
                rels.into_iter()
                    .map(|r| release_json(api, repo, r))
                    .collect(),
            )
        }
        ["releases", "latest"] => {
            let latest = repo
                .releases
                .iter()
                .filter(|r| !r.draft && !r.prerelease)
                .max_by_key(|r| (r.published_at, r.id));
            match latest {
                Some(r) => Reply::json(StatusCode::OK, &release_json(api, repo, r)),
                None => not_found(),
            }
        }
        ["releases", "tags", tag @ ..] => {
            let tag = tag.join("/");
            // Drafts are not reachable by tag, even for maintainers.
            match repo.releases.iter().find(|r| r.tag == tag && !r.draft) {
                Some(r) => Reply::json(StatusCode::OK, &release_json(api, repo, r)),
                None => not_found(),
            }
        }
        ["releases", id] => {
            let id: u64 = id.parse().unwrap_or(0);
            match repo
                .releases
                .iter()
                .find(|r| r.id == id && (maintainer || !r.draft))
            {
                Some(r) => Reply::json(StatusCode::OK, &release_json(api, repo, r)),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

pub(super) fn repo_json(
    api: &str,
    owner: &str,
    name: &str,
    id: u64,
    default_branch: &str,
) -> Value {
    let u = format!("{api}/repos/{owner}/{name}");
    json!({
        "id": id,
        "node_id": format!("R_kgDO{id:08}"),
        "name": name,
        "full_name": format!("{owner}/{name}"),
        "owner": user(api, owner),
        "private": false,
        "html_url": format!("{WEB}/{owner}/{name}"),
        "description": null,
        "fork": owner == crate::sim::scenario::AUTOTICK_BOT,
        "url": u,
        "issues_url": format!("{u}/issues{{/number}}"),
        "pulls_url": format!("{u}/pulls{{/number}}"),
        "releases_url": format!("{u}/releases{{/id}}"),
        "tags_url": format!("{u}/tags"),
        "statuses_url": format!("{u}/statuses/{{sha}}"),
        "clone_url": format!("{WEB}/{owner}/{name}.git"),
        "default_branch": default_branch,
        "visibility": "public",
        "archived": false,
        "disabled": false,
    })
}

fn release_json(api: &str, repo: &Repo, r: &ReleaseData) -> Value {
    let full = repo.full_name();
    let u = format!("{api}/repos/{full}/releases/{}", r.id);
    // Drafts have an "untagged-" URL on GitHub until published.
    let html = if r.draft {
        format!("{WEB}/{full}/releases/tag/untagged-{:x}", r.id)
    } else {
        format!("{WEB}/{full}/releases/tag/{}", r.tag)
    };
    json!({
        "url": u,
        "assets_url": format!("{u}/assets"),
        "upload_url": format!("https://uploads.github.com/repos/{full}/releases/{}/assets{{?name,label}}", r.id),
        "html_url": html,
        "id": r.id,
        "author": user(api, &r.author),
        "node_id": format!("RE_kwDO{:08}", r.id),
        "tag_name": r.tag,
        "target_commitish": r.target,
        "name": r.name,
        "draft": r.draft,
        "prerelease": r.prerelease,
        "immutable": false,
        "created_at": ts(r.created_at),
        "published_at": ts_opt(r.published_at),
        "assets": [],
        "tarball_url": format!("{api}/repos/{full}/tarball/{}", r.tag),
        "zipball_url": format!("{api}/repos/{full}/zipball/{}", r.tag),
        "body": r.body,
    })
}

fn git_person(login: &str, at: DateTime<Utc>) -> Value {
    json!({"name": login, "email": format!("{login}@users.noreply.github.com"), "date": ts(at)})
}

fn git_commit_json(api: &str, repo: &Repo, sha: &str) -> Option<Value> {
    let c = repo.commits.get(sha)?;
    let full = repo.full_name();
    let tree = crate::sim::world::fake_sha(&[sha, "tree"]);
    Some(json!({
        "sha": c.sha,
        "node_id": format!("C_kwDO{}", &c.sha[..12.min(c.sha.len())]),
        "url": format!("{api}/repos/{full}/git/commits/{}", c.sha),
        "html_url": format!("{WEB}/{full}/commit/{}", c.sha),
        "author": git_person(&c.author, c.date),
        "committer": git_person(&c.author, c.date),
        "message": c.message,
        "tree": {"sha": tree, "url": format!("{api}/repos/{full}/git/trees/{tree}")},
        "parents": c.parents.iter().map(|p| json!({
            "sha": p,
            "url": format!("{api}/repos/{full}/git/commits/{p}"),
            "html_url": format!("{WEB}/{full}/commit/{p}"),
        })).collect::<Vec<_>>(),
        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
    }))
}

fn repo_commit_json(api: &str, repo: &Repo, sha: &str) -> Option<Value> {
    let c = repo.commits.get(sha)?;
    let full = repo.full_name();
    let tree = crate::sim::world::fake_sha(&[sha, "tree"]);
    Some(json!({
        "url": format!("{api}/repos/{full}/commits/{}", c.sha),
        "sha": c.sha,
        "node_id": format!("C_kwDO{}", &c.sha[..12.min(c.sha.len())]),
        "html_url": format!("{WEB}/{full}/commit/{}", c.sha),
        "comments_url": format!("{api}/repos/{full}/commits/{}/comments", c.sha),
        "commit": {
            "url": format!("{api}/repos/{full}/git/commits/{}", c.sha),
            "author": git_person(&c.author, c.date),
            "committer": git_person(&c.author, c.date),
            "message": c.message,
            "comment_count": 0,
            "tree": {"sha": tree, "url": format!("{api}/repos/{full}/git/trees/{tree}")},
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        },
        "author": user(api, &c.author),
        "committer": user(api, &c.author),
        "parents": c.parents.iter().map(|p| json!({
            "sha": p,
            "url": format!("{api}/repos/{full}/commits/{p}"),
            "html_url": format!("{WEB}/{full}/commit/{p}"),
        })).collect::<Vec<_>>(),
        "stats": {"total": 2, "additions": 1, "deletions": 1},
        "files": [],
    }))
}

fn ref_json(api: &str, repo: &Repo, tag: &crate::sim::world::TagData) -> Value {
    let full = repo.full_name();
    let (kind, sha, url) = match &tag.object {
        Some(o) => (
            "tag",
            o.sha.clone(),
            format!("{api}/repos/{full}/git/tags/{}", o.sha),
        ),
        None => (
            "commit",
            tag.commit_sha.clone(),
            format!("{api}/repos/{full}/git/commits/{}", tag.commit_sha),
        ),
    };
    json!({
        "ref": format!("refs/tags/{}", tag.name),
        "node_id": format!("REF_kwDO{}", &sha[..12.min(sha.len())]),
        "url": format!("{api}/repos/{full}/git/refs/tags/{}", tag.name),
        "object": {"sha": sha, "type": kind, "url": url},
    })
}

// ---------------------------------------------------------------------------
// Pagination.
