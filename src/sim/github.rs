//! The GitHub REST subset: routing and reply shapes.
//!
//! Shapes follow the real payloads in `tests/fixtures/github/` closely enough that
//! octocrab's own models deserialize them. API `url`s point back at this server
//! (as on GitHub Enterprise); `html_url`s look like github.com so that links in
//! exports are the ones a human would paste.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::reply::Reply;
use super::world::{CommentData, IssueData, PullData, ReleaseData, Repo, State, World, user_id};

const WEB: &str = "https://github.com";
const DOCS: &str = "https://docs.github.com/rest";

/// What a handler knows about the request.
pub struct Ctx<'a> {
    /// This server's base URL, no trailing slash.
    pub api: &'a str,
    /// The authenticated login, if any.
    pub login: Option<&'a str>,
    /// Sim time.
    pub now: DateTime<Utc>,
    /// Decoded query pairs.
    pub query: &'a [(String, String)],
    /// The request path (no query).
    pub path: &'a str,
    /// Request body (for writes).
    pub body: &'a [u8],
}

impl Ctx<'_> {
    fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ts_opt(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(ts(t)))
}

/// GitHub's JSON error body.
pub fn error(status: StatusCode, message: &str) -> Reply {
    let body = json!({
        "message": message,
        "documentation_url": DOCS,
        "status": status.as_u16().to_string(),
    });
    Reply::json(status, &body)
}

fn not_found() -> Reply {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// A user object (the `simple-user` shape).
pub fn user(api: &str, login: &str) -> Value {
    let bot = login.ends_with("[bot]");
    let enc = login.replace('[', "%5B").replace(']', "%5D");
    let u = format!("{api}/users/{enc}");
    let html = if bot {
        format!("{WEB}/apps/{}", login.trim_end_matches("[bot]"))
    } else {
        format!("{WEB}/{login}")
    };
    let id = user_id(login);
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_kgDO{id:08}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": u,
        "html_url": html,
        "followers_url": format!("{u}/followers"),
        "following_url": format!("{u}/following{{/other_user}}"),
        "gists_url": format!("{u}/gists{{/gist_id}}"),
        "starred_url": format!("{u}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{u}/subscriptions"),
        "organizations_url": format!("{u}/orgs"),
        "repos_url": format!("{u}/repos"),
        "events_url": format!("{u}/events{{/privacy}}"),
        "received_events_url": format!("{u}/received_events"),
        "type": if bot { "Bot" } else { "User" },
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn repo_json(api: &str, owner: &str, name: &str, id: u64, default_branch: &str) -> Value {
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
        "fork": owner == super::scenario::AUTOTICK_BOT,
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

fn pull_json(api: &str, repo: &Repo, p: &PullData) -> Value {
    let full = repo.full_name();
    let u = format!("{api}/repos/{full}/pulls/{}", p.number);
    let issue = format!("{api}/repos/{full}/issues/{}", p.number);
    let html = format!("{WEB}/{full}/pull/{}", p.number);
    let head_repo_name = &repo.name;
    let head_repo = if p.head_owner == repo.owner {
        repo_json(api, &repo.owner, &repo.name, repo.id, &repo.default_branch)
    } else {
        repo_json(
            api,
            &p.head_owner,
            head_repo_name,
            repo.id + 500_000,
            &repo.default_branch,
        )
    };
    let head = json!({
        "label": format!("{}:{}", p.head_owner, p.head_ref),
        "ref": p.head_ref,
        "sha": p.head_sha,
        "user": user(api, &p.head_owner),
        "repo": head_repo,
    });
    let base = json!({
        "label": format!("{}:{}", repo.owner, p.base_ref),
        "ref": p.base_ref,
        "sha": p.base_sha,
        "user": user(api, &repo.owner),
        "repo": repo_json(api, &repo.owner, &repo.name, repo.id, &repo.default_branch),
    });
    let links = json!({
        "self": {"href": u},
        "html": {"href": html},
        "issue": {"href": issue},
        "comments": {"href": format!("{issue}/comments")},
        "review_comments": {"href": format!("{u}/comments")},
        "review_comment": {"href": format!("{api}/repos/{full}/pulls/comments{{/number}}")},
        "commits": {"href": format!("{u}/commits")},
        "statuses": {"href": format!("{api}/repos/{full}/statuses/{}", p.head_sha)},
    });
    json!({
        "url": u,
        "id": p.id,
        "node_id": format!("PR_kwDO{:08}", p.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": issue,
        "commits_url": format!("{u}/commits"),
        "review_comments_url": format!("{u}/comments"),
        "review_comment_url": format!("{api}/repos/{full}/pulls/comments{{/number}}"),
        "comments_url": format!("{issue}/comments"),
        "statuses_url": format!("{api}/repos/{full}/statuses/{}", p.head_sha),
        "number": p.number,
        "state": p.state.as_str(),
        "locked": false,
        "title": p.title,
        "user": user(api, &p.author),
        "body": p.body,
        "labels": [],
        "milestone": null,
        "active_lock_reason": null,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
        "closed_at": ts_opt(p.closed_at),
        "merged_at": ts_opt(p.merged_at),
        "merge_commit_sha": p.merge_commit_sha,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": head,
        "base": base,
        "_links": links,
        "author_association": if repo.maintainers.contains(&p.author) { "MEMBER" } else { "CONTRIBUTOR" },
        "auto_merge": null,
        "draft": p.draft,
        "merged": p.merged_at.is_some(),
        "merged_by": p.merged_by.as_deref().map(|l| user(api, l)),
    })
}

fn label_json(api: &str, full: &str, name: &str) -> Value {
    let id = user_id(&format!("label:{full}:{name}"));
    json!({
        "id": id,
        "node_id": format!("LA_kwDO{id:08}"),
        "url": format!("{api}/repos/{full}/labels/{}", name.replace(' ', "%20")),
        "name": name,
        "color": "d73a4a",
        "default": name == "bug",
        "description": null,
    })
}

fn comment_count(repo: &Repo, number: u64) -> usize {
    repo.comments
        .values()
        .filter(|c| c.number == number)
        .count()
}

fn issue_json(api: &str, repo: &Repo, i: &IssueData) -> Value {
    let full = repo.full_name();
    let u = format!("{api}/repos/{full}/issues/{}", i.number);
    json!({
        "url": u,
        "repository_url": format!("{api}/repos/{full}"),
        "labels_url": format!("{u}/labels{{/name}}"),
        "comments_url": format!("{u}/comments"),
        "events_url": format!("{u}/events"),
        "html_url": format!("{WEB}/{full}/issues/{}", i.number),
        "id": i.id,
        "node_id": format!("I_kwDO{:08}", i.id),
        "number": i.number,
        "title": i.title,
        "user": user(api, &i.author),
        "labels": i.labels.iter().map(|l| label_json(api, &full, l)).collect::<Vec<_>>(),
        "state": i.state.as_str(),
        "state_reason": null,
        "locked": false,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "comments": comment_count(repo, i.number),
        "created_at": ts(i.created_at),
        "updated_at": ts(i.updated_at),
        "closed_at": ts_opt(i.closed_at),
        "author_association": if repo.maintainers.contains(&i.author) { "MEMBER" } else { "NONE" },
        "active_lock_reason": null,
        "body": i.body,
    })
}

/// A pull request in its issue form (issue lists and search include PRs like this).
fn pull_as_issue_json(api: &str, repo: &Repo, p: &PullData) -> Value {
    let full = repo.full_name();
    let u = format!("{api}/repos/{full}/issues/{}", p.number);
    let html = format!("{WEB}/{full}/pull/{}", p.number);
    json!({
        "url": u,
        "repository_url": format!("{api}/repos/{full}"),
        "labels_url": format!("{u}/labels{{/name}}"),
        "comments_url": format!("{u}/comments"),
        "events_url": format!("{u}/events"),
        "html_url": html,
        "id": p.id,
        "node_id": format!("PR_kwDO{:08}", p.id),
        "number": p.number,
        "title": p.title,
        "user": user(api, &p.author),
        "labels": [],
        "state": p.state.as_str(),
        "state_reason": null,
        "locked": false,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "comments": comment_count(repo, p.number),
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
        "closed_at": ts_opt(p.closed_at),
        "author_association": if repo.maintainers.contains(&p.author) { "MEMBER" } else { "CONTRIBUTOR" },
        "active_lock_reason": null,
        "draft": p.draft,
        "pull_request": {
            "url": format!("{api}/repos/{full}/pulls/{}", p.number),
            "html_url": html,
            "diff_url": format!("{html}.diff"),
            "patch_url": format!("{html}.patch"),
            "merged_at": ts_opt(p.merged_at),
        },
        "body": p.body,
    })
}

fn comment_json(api: &str, repo: &Repo, c: &CommentData) -> Value {
    let full = repo.full_name();
    let kind = if repo.pulls.contains_key(&c.number) {
        "pull"
    } else {
        "issues"
    };
    json!({
        "url": format!("{api}/repos/{full}/issues/comments/{}", c.id),
        "html_url": format!("{WEB}/{full}/{kind}/{}#issuecomment-{}", c.number, c.id),
        "issue_url": format!("{api}/repos/{full}/issues/{}", c.number),
        "id": c.id,
        "node_id": format!("IC_kwDO{:08}", c.id),
        "user": user(api, &c.author),
        "created_at": ts(c.created_at),
        "updated_at": ts(c.updated_at),
        "author_association": if repo.maintainers.contains(&c.author) { "MEMBER" } else { "NONE" },
        "body": c.body,
    })
}

fn git_person(login: &str, at: DateTime<Utc>) -> Value {
    json!({"name": login, "email": format!("{login}@users.noreply.github.com"), "date": ts(at)})
}

fn git_commit_json(api: &str, repo: &Repo, sha: &str) -> Option<Value> {
    let c = repo.commits.get(sha)?;
    let full = repo.full_name();
    let tree = super::world::fake_sha(&[sha, "tree"]);
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
    let tree = super::world::fake_sha(&[sha, "tree"]);
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

fn ref_json(api: &str, repo: &Repo, tag: &super::world::TagData) -> Value {
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

/// Slice `items` by `per_page`/`page` and add GitHub's `Link` header.
fn paginate(
    ctx: &Ctx<'_>,
    items: Vec<Value>,
    wrap: impl FnOnce(usize, Vec<Value>) -> Value,
) -> Reply {
    let per_page = ctx
        .q("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = ctx
        .q("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let mut reply = Reply::json(StatusCode::OK, &wrap(total, slice));
    let link_to = |n: usize| {
        let mut pairs: Vec<String> = ctx
            .query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        pairs.push(format!("page={n}"));
        format!("<{}{}?{}>", ctx.api, ctx.path, pairs.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", link_to(page - 1)));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", link_to(page + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", link_to(1)));
    }
    if !links.is_empty() {
        reply.headers.push(("link".into(), links.join(", ")));
    }
    reply
}

/// Percent-encode a query component.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn list(ctx: &Ctx<'_>, items: Vec<Value>) -> Reply {
    paginate(ctx, items, |_, v| Value::Array(v))
}

// ---------------------------------------------------------------------------
// Search.

fn parse_day_or_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// `created:>=X`, `created:<X`, `created:A..B`, `created:DAY`.
fn time_filter(spec: &str) -> Option<Box<dyn Fn(DateTime<Utc>) -> bool>> {
    if let Some((a, b)) = spec.split_once("..") {
        let a = if a == "*" {
            None
        } else {
            Some(parse_day_or_time(a)?)
        };
        let b_end = if b == "*" {
            None
        } else if b.len() == 10 {
            Some(parse_day_or_time(b)? + chrono::TimeDelta::days(1))
        } else {
            Some(parse_day_or_time(b)? + chrono::TimeDelta::seconds(1))
        };
        return Some(Box::new(move |t| {
            a.is_none_or(|a| t >= a) && b_end.is_none_or(|b| t < b)
        }));
    }
    for (op, len) in [(">=", 2), ("<=", 2), (">", 1), ("<", 1)] {
        if let Some(rest) = spec.strip_prefix(op) {
            let t0 = parse_day_or_time(rest)?;
            let day = rest.len() == 10;
            let _ = len;
            return Some(match op {
                ">=" => Box::new(move |t| t >= t0),
                // `>DAY` means after that whole day, `<=DAY` through its end.
                ">" if day => Box::new(move |t| t >= t0 + chrono::TimeDelta::days(1)),
                ">" => Box::new(move |t| t > t0),
                "<=" if day => Box::new(move |t| t < t0 + chrono::TimeDelta::days(1)),
                "<=" => Box::new(move |t| t <= t0),
                _ => Box::new(move |t| t < t0),
            });
        }
    }
    let t0 = parse_day_or_time(spec)?;
    if spec.len() == 10 {
        Some(Box::new(move |t| {
            t >= t0 && t < t0 + chrono::TimeDelta::days(1)
        }))
    } else {
        Some(Box::new(move |t| t == t0))
    }
}

fn tokenize(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Candidate<'a> {
    repo: &'a Repo,
    number: u64,
    is_pr: bool,
    title: &'a str,
    body: &'a str,
    author: &'a str,
    state: State,
    merged: bool,
    labels: &'a [String],
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    value: Value,
}

fn search_issues(world: &World, ctx: &Ctx<'_>) -> Reply {
    let Some(q) = ctx.q("q") else {
        return Reply::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"message": "Validation Failed", "errors": [{"resource": "Search", "field": "q", "code": "missing"}], "documentation_url": DOCS, "status": "422"}),
        );
    };
    let mut repos: Vec<String> = Vec::new();
    let mut want_pr: Option<bool> = None;
    let mut want_state: Option<State> = None;
    let mut want_merged = false;
    let mut author: Option<String> = None;
    let mut labels: Vec<String> = Vec::new();
    let mut created: Vec<Box<dyn Fn(DateTime<Utc>) -> bool>> = Vec::new();
    let mut updated: Vec<Box<dyn Fn(DateTime<Utc>) -> bool>> = Vec::new();
    let mut terms: Vec<String> = Vec::new();
    for tok in tokenize(q) {
        let lower = tok.to_lowercase();
        match lower.split_once(':') {
            Some(("repo", r)) => repos.push(r.to_string()),
            Some(("is" | "type", "pr" | "pull-request")) => want_pr = Some(true),
            Some(("is" | "type", "issue")) => want_pr = Some(false),
            Some(("is" | "state", "open")) => want_state = Some(State::Open),
            Some(("is" | "state", "closed")) => want_state = Some(State::Closed),
            Some(("is", "merged")) => want_merged = true,
            Some(("author", a)) => author = Some(a.to_string()),
            Some(("label", l)) => labels.push(l.trim_matches('"').to_string()),
            Some(("created", spec)) => match time_filter(spec) {
                Some(f) => created.push(f),
                None => return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed"),
            },
            Some(("updated", spec)) => match time_filter(spec) {
                Some(f) => updated.push(f),
                None => return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed"),
            },
            Some(("in" | "sort" | "org" | "user", _)) => {}
            _ => terms.push(lower),
        }
    }
    let mut cands: Vec<Candidate<'_>> = Vec::new();
    for repo in world.repos.values() {
        if !repos.is_empty()
            && !repos
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&repo.full_name()))
        {
            continue;
        }
        for i in repo.issues.values() {
            cands.push(Candidate {
                repo,
                number: i.number,
                is_pr: false,
                title: &i.title,
                body: &i.body,
                author: &i.author,
                state: i.state,
                merged: false,
                labels: &i.labels,
                created: i.created_at,
                updated: i.updated_at,
                value: Value::Null,
            });
        }
        for p in repo.pulls.values() {
            cands.push(Candidate {
                repo,
                number: p.number,
                is_pr: true,
                title: &p.title,
                body: &p.body,
                author: &p.author,
                state: p.state,
                merged: p.merged_at.is_some(),
                labels: &[],
                created: p.created_at,
                updated: p.updated_at,
                value: Value::Null,
            });
        }
    }
    let mut hits: Vec<Candidate<'_>> = cands
        .into_iter()
        .filter(|c| want_pr.is_none_or(|w| w == c.is_pr))
        .filter(|c| want_state.is_none_or(|s| s == c.state))
        .filter(|c| !want_merged || c.merged)
        .filter(|c| {
            author
                .as_deref()
                .is_none_or(|a| a.eq_ignore_ascii_case(c.author))
        })
        .filter(|c| {
            labels
                .iter()
                .all(|l| c.labels.iter().any(|x| x.eq_ignore_ascii_case(l)))
        })
        .filter(|c| created.iter().all(|f| f(c.created)))
        .filter(|c| updated.iter().all(|f| f(c.updated)))
        .filter(|c| {
            let hay = format!("{} {}", c.title, c.body).to_lowercase();
            terms.iter().all(|t| hay.contains(t.as_str()))
        })
        .collect();
    let by_updated = ctx.q("sort") == Some("updated");
    let asc = ctx.q("order") == Some("asc");
    hits.sort_by_key(|c| if by_updated { c.updated } else { c.created });
    if !asc {
        hits.reverse();
    }
    for c in &mut hits {
        c.value = if c.is_pr {
            c.repo
                .pulls
                .get(&c.number)
                .map(|p| pull_as_issue_json(ctx.api, c.repo, p))
                .unwrap_or(Value::Null)
        } else {
            c.repo
                .issues
                .get(&c.number)
                .map(|i| issue_json(ctx.api, c.repo, i))
                .unwrap_or(Value::Null)
        };
    }
    let items: Vec<Value> = hits.into_iter().map(|c| c.value).collect();
    paginate(
        ctx,
        items,
        |total, items| json!({"total_count": total, "incomplete_results": false, "items": items}),
    )
}

// ---------------------------------------------------------------------------
// Routing.

fn body_json(ctx: &Ctx<'_>) -> Result<Value, Box<Reply>> {
    serde_json::from_slice(ctx.body)
        .map_err(|_| Box::new(error(StatusCode::BAD_REQUEST, "Problems parsing JSON")))
}

const MAX_BODY: usize = 65_536;

fn too_long(resource: &str) -> Reply {
    Reply::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({
            "message": "Validation Failed",
            "errors": [{"resource": resource, "code": "custom", "field": "body",
                        "message": format!("body is too long (maximum is {MAX_BODY} characters)")}],
            "documentation_url": DOCS,
            "status": "422",
        }),
    )
}

fn requires_auth() -> Reply {
    error(StatusCode::UNAUTHORIZED, "Requires authentication")
}

/// Answer one GitHub API request. `/rate_limit` is answered by the server itself.
pub fn handle(world: &mut World, method: &Method, segs: &[&str], ctx: &Ctx<'_>) -> Reply {
    let get = method == Method::GET || method == Method::HEAD;
    match segs {
        ["user"] if get => match ctx.login {
            Some(login) => {
                let mut u = user(ctx.api, login);
                if let Some(o) = u.as_object_mut() {
                    o.insert("name".into(), json!(login));
                    o.insert("created_at".into(), json!("2015-01-01T00:00:00Z"));
                    o.insert("updated_at".into(), json!(ts(world.start)));
                    o.insert("public_repos".into(), json!(3));
                    o.insert("followers".into(), json!(10));
                    o.insert("following".into(), json!(1));
                }
                Reply::json(StatusCode::OK, &u)
            }
            None => requires_auth(),
        },
        ["users", login] if get => Reply::json(StatusCode::OK, &user(ctx.api, login)),
        ["search", "issues"] if get => search_issues(world, ctx),
        ["repos", owner, name, rest @ ..] => {
            let full = format!("{owner}/{name}");
            if world.repo(&full).is_none() {
                return not_found();
            }
            repo_route(world, method, &full, rest, ctx)
        }
        _ => not_found(),
    }
}

fn repo_route(
    world: &mut World,
    method: &Method,
    full: &str,
    rest: &[&str],
    ctx: &Ctx<'_>,
) -> Reply {
    let get = method == Method::GET || method == Method::HEAD;
    let api = ctx.api;
    // Writes first: they need the world mutably.
    match (method.as_str(), rest) {
        ("POST", ["issues"]) => return create_issue(world, full, ctx),
        ("POST", ["issues", n, "comments"]) => return create_comment(world, full, n, ctx),
        ("PATCH" | "POST", ["issues", "comments", id]) => {
            return edit_comment(world, full, id, ctx, false);
        }
        ("DELETE", ["issues", "comments", id]) => return edit_comment(world, full, id, ctx, true),
        _ => {}
    }
    if !get {
        return not_found();
    }
    let Some(repo) = world.repo(full) else {
        return not_found();
    };
    let maintainer = ctx.login.is_some_and(|l| repo.maintainers.contains(l));
    match rest {
        [] => Reply::json(
            StatusCode::OK,
            &repo_json(api, &repo.owner, &repo.name, repo.id, &repo.default_branch),
        ),
        ["tags"] => {
            let mut tags: Vec<&super::world::TagData> = repo.tags.iter().collect();
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
        ["commits", r, "check-runs"] => {
            let Some(sha) = repo.resolve(r) else {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("No commit found for SHA: {r}"),
                );
            };
            let runs = repo.checks.get(&sha).cloned().unwrap_or_default();
            let items: Vec<Value> = runs
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "name": c.name,
                        "node_id": format!("CR_kwDO{:08}", c.id),
                        "head_sha": sha,
                        "external_id": "",
                        "url": format!("{api}/repos/{full}/check-runs/{}", c.id),
                        "html_url": format!("{WEB}/{full}/runs/{}", c.id),
                        "details_url": format!("https://dev.azure.com/conda-forge/feedstock-builds/_build/results?buildId={}", c.id),
                        "status": c.status,
                        "conclusion": c.conclusion,
                        "started_at": ts(c.started_at),
                        "completed_at": ts_opt(c.completed_at),
                        "output": {"title": null, "summary": null, "text": null, "annotations_count": 0,
                                   "annotations_url": format!("{api}/repos/{full}/check-runs/{}/annotations", c.id)},
                        "check_suite": {"id": c.id + 7},
                        "app": {"id": 9426, "slug": "azure-pipelines", "name": "Azure Pipelines"},
                        "pull_requests": [],
                    })
                })
                .collect();
            paginate(
                ctx,
                items,
                |total, runs| json!({"total_count": total, "check_runs": runs}),
            )
        }
        ["commits", r, "status"] => {
            let Some(sha) = repo.resolve(r) else {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("No commit found for SHA: {r}"),
                );
            };
            let statuses = repo.statuses.get(&sha).cloned().unwrap_or_default();
            // GitHub: failure/error wins, then pending (also when there are no statuses), else success.
            let state = if statuses
                .iter()
                .any(|s| s.state == "failure" || s.state == "error")
            {
                "failure"
            } else if statuses.is_empty() || statuses.iter().any(|s| s.state == "pending") {
                "pending"
            } else {
                "success"
            };
            let list: Vec<Value> = statuses
                .iter()
                .map(|s| {
                    json!({
                        "url": format!("{api}/repos/{full}/statuses/{sha}"),
                        "avatar_url": "https://avatars.githubusercontent.com/u/9919?v=4",
                        "id": s.id,
                        "node_id": format!("SC_kwDO{:08}", s.id),
                        "state": s.state,
                        "description": s.description,
                        "target_url": format!("https://dev.azure.com/conda-forge/feedstock-builds/_build/results?buildId={}", s.id),
                        "context": s.context,
                        "created_at": ts(s.created_at),
                        "updated_at": ts(s.updated_at),
                    })
                })
                .collect();
            Reply::json(
                StatusCode::OK,
                &json!({
                    "state": state,
                    "statuses": list,
                    "sha": sha,
                    "total_count": statuses.len(),
                    "repository": repo_json(api, &repo.owner, &repo.name, repo.id, &repo.default_branch),
                    "commit_url": format!("{api}/repos/{full}/commits/{sha}"),
                    "url": format!("{api}/repos/{full}/commits/{sha}/status"),
                }),
            )
        }
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
        ["pulls"] => {
            let state = ctx.q("state").unwrap_or("open");
            let head = ctx.q("head");
            let base = ctx.q("base");
            let mut pulls: Vec<&PullData> = repo
                .pulls
                .values()
                .filter(|p| match state {
                    "all" => true,
                    "closed" => p.state == State::Closed,
                    _ => p.state == State::Open,
                })
                .filter(|p| {
                    head.is_none_or(|h| match h.split_once(':') {
                        Some((o, b)) => o.eq_ignore_ascii_case(&p.head_owner) && b == p.head_ref,
                        None => h.eq_ignore_ascii_case(&p.head_owner),
                    })
                })
                .filter(|p| base.is_none_or(|b| b == p.base_ref))
                .collect();
            let by_updated = ctx.q("sort") == Some("updated");
            pulls.sort_by_key(|p| {
                if by_updated {
                    p.updated_at
                } else {
                    p.created_at
                }
            });
            if ctx.q("direction") != Some("asc") {
                pulls.reverse();
            }
            list(
                ctx,
                pulls.into_iter().map(|p| pull_json(api, repo, p)).collect(),
            )
        }
        ["pulls", n] => match n.parse::<u64>().ok().and_then(|n| repo.pulls.get(&n)) {
            Some(p) => Reply::json(StatusCode::OK, &pull_json(api, repo, p)),
            None => not_found(),
        },
        ["issues"] => {
            let state = ctx.q("state").unwrap_or("open");
            let creator = ctx.q("creator");
            let since = ctx.q("since").and_then(parse_day_or_time);
            let want_state = |s: State| match state {
                "all" => true,
                "closed" => s == State::Closed,
                _ => s == State::Open,
            };
            let mut all: Vec<(DateTime<Utc>, DateTime<Utc>, Value)> = Vec::new();
            for i in repo.issues.values() {
                if want_state(i.state)
                    && creator.is_none_or(|c| c.eq_ignore_ascii_case(&i.author))
                    && since.is_none_or(|s| i.updated_at >= s)
                {
                    all.push((i.created_at, i.updated_at, issue_json(api, repo, i)));
                }
            }
            for p in repo.pulls.values() {
                if want_state(p.state)
                    && creator.is_none_or(|c| c.eq_ignore_ascii_case(&p.author))
                    && since.is_none_or(|s| p.updated_at >= s)
                {
                    all.push((p.created_at, p.updated_at, pull_as_issue_json(api, repo, p)));
                }
            }
            let by_updated = ctx.q("sort") == Some("updated");
            all.sort_by_key(|(c, u, _)| if by_updated { *u } else { *c });
            if ctx.q("direction") != Some("asc") {
                all.reverse();
            }
            list(ctx, all.into_iter().map(|(_, _, v)| v).collect())
        }
        ["issues", "comments", id] => {
            let c = id.parse::<u64>().ok().and_then(|id| repo.comments.get(&id));
            match c {
                Some(c) => Reply::json(StatusCode::OK, &comment_json(api, repo, c)),
                None => not_found(),
            }
        }
        ["issues", n] => {
            let Ok(n) = n.parse::<u64>() else {
                return not_found();
            };
            if let Some(i) = repo.issues.get(&n) {
                Reply::json(StatusCode::OK, &issue_json(api, repo, i))
            } else if let Some(p) = repo.pulls.get(&n) {
                Reply::json(StatusCode::OK, &pull_as_issue_json(api, repo, p))
            } else {
                not_found()
            }
        }
        ["issues", n, "comments"] => {
            let Ok(n) = n.parse::<u64>() else {
                return not_found();
            };
            if !repo.issues.contains_key(&n) && !repo.pulls.contains_key(&n) {
                return not_found();
            }
            let since = ctx.q("since").and_then(parse_day_or_time);
            let items = repo
                .comments
                .values()
                .filter(|c| c.number == n && since.is_none_or(|s| c.updated_at >= s))
                .map(|c| comment_json(api, repo, c))
                .collect();
            list(ctx, items)
        }
        _ => not_found(),
    }
}

fn create_issue(world: &mut World, full: &str, ctx: &Ctx<'_>) -> Reply {
    let Some(login) = ctx.login else {
        return requires_auth();
    };
    let v = match body_json(ctx) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Some(title) = v
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return Reply::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}], "documentation_url": DOCS, "status": "422"}),
        );
    };
    let body = v.get("body").and_then(Value::as_str).unwrap_or_default();
    if body.chars().count() > MAX_BODY {
        return too_long("Issue");
    }
    let labels = v
        .get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(n) = world.create_issue(full, title, body, login, labels, ctx.now) else {
        return not_found();
    };
    created(
        world
            .repo(full)
            .and_then(|r| r.issues.get(&n).map(|i| issue_json(ctx.api, r, i))),
        format!("{}/repos/{full}/issues/{n}", ctx.api),
    )
}

fn create_comment(world: &mut World, full: &str, n: &str, ctx: &Ctx<'_>) -> Reply {
    let Some(login) = ctx.login else {
        return requires_auth();
    };
    let Ok(n) = n.parse::<u64>() else {
        return not_found();
    };
    let v = match body_json(ctx) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Some(body) = v.get("body").and_then(Value::as_str) else {
        return Reply::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "missing_field", "field": "body"}], "documentation_url": DOCS, "status": "422"}),
        );
    };
    if body.chars().count() > MAX_BODY {
        return too_long("IssueComment");
    }
    let Some(id) = world.create_comment(full, n, login, body, ctx.now) else {
        return not_found();
    };
    created(
        world
            .repo(full)
            .and_then(|r| r.comments.get(&id).map(|c| comment_json(ctx.api, r, c))),
        format!("{}/repos/{full}/issues/comments/{id}", ctx.api),
    )
}

fn edit_comment(world: &mut World, full: &str, id: &str, ctx: &Ctx<'_>, delete: bool) -> Reply {
    let Some(login) = ctx.login else {
        return requires_auth();
    };
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let new_body = if delete {
        None
    } else {
        let v = match body_json(ctx) {
            Ok(v) => v,
            Err(r) => return *r,
        };
        match v.get("body").and_then(Value::as_str) {
            Some(b) if b.chars().count() > MAX_BODY => return too_long("IssueComment"),
            Some(b) => Some(b.to_string()),
            None => return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed"),
        }
    };
    let now = ctx.now;
    let Some(repo) = world.repo_mut(full) else {
        return not_found();
    };
    let maintainer = repo.maintainers.contains(login);
    let Some(c) = repo.comments.get_mut(&id) else {
        return not_found();
    };
    // Anyone with write access may edit anyone's comment; others only their own.
    if c.author != login && !maintainer {
        return error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by personal access token",
        );
    }
    let reply = match new_body {
        Some(b) => {
            c.body = b;
            c.updated_at = now;
            let c = c.clone();
            Reply::json(StatusCode::OK, &comment_json(ctx.api, repo, &c))
        }
        None => {
            repo.comments.remove(&id);
            Reply::empty(StatusCode::NO_CONTENT)
        }
    };
    world.generation += 1;
    reply
}

/// `201 Created` with the new resource and its `Location`, as GitHub answers a POST.
fn created(body: Option<serde_json::Value>, location: String) -> Reply {
    match body {
        Some(v) => {
            let mut reply = Reply::json(StatusCode::CREATED, &v);
            reply.headers.push(("location".into(), location));
            reply
        }
        None => not_found(),
    }
}
