//! The GitHub REST subset: routing and reply shapes.
//!
//! Shapes follow the real payloads in `tests/fixtures/github/` closely enough that
//! octocrab's own models deserialize them. API `url`s point back at this server
//! (as on GitHub Enterprise); `html_url`s look like github.com so that links in
//! exports are the ones a human would paste.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};

mod checks;
mod issues;
mod pulls;
mod repos;
mod search;

use crate::sim::reply::Reply;
use crate::sim::world::{
    CommentData, IssueData, PullData, ReleaseData, Repo, State, World, user_id,
};

const WEB: &str = "https://github.com";
const DOCS: &str = "https://docs.github.com/rest";

/// What a handler knows about the request.
pub(crate) struct Ctx<'a> {
    /// This server's base URL, no trailing slash.
    pub(crate) api: &'a str,
    /// The authenticated login, if any.
    pub(crate) login: Option<&'a str>,
    /// Sim time.
    pub(crate) now: DateTime<Utc>,
    /// Decoded query pairs.
    pub(crate) query: &'a [(String, String)],
    /// The request path (no query).
    pub(crate) path: &'a str,
    /// Request body (for writes).
    pub(crate) body: &'a [u8],
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

pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
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
pub(crate) fn user(api: &str, login: &str) -> Value {
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

pub(crate) fn enc(s: &str) -> String {
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

/// GitHub's secondary rate limit: 403 with its message, and `retry-after` when known.
pub(crate) fn secondary_rate_limit(retry_after: Option<u64>) -> Reply {
    let mut r = Reply::json(
        StatusCode::FORBIDDEN,
        &json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000:0000:00000000.",
            "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "status": "403",
        }),
    );
    if let Some(s) = retry_after {
        r.headers.push(("retry-after".into(), s.to_string()));
    }
    r
}

fn requires_auth() -> Reply {
    error(StatusCode::UNAUTHORIZED, "Requires authentication")
}

pub(crate) fn handle(world: &mut World, method: &Method, segs: &[&str], ctx: &Ctx<'_>) -> Reply {
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
        ["search", "issues"] if get => search::search_issues(world, ctx),
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
    // Writes first: they need the world mutably.
    if let (Some(login), "POST", ["issues"] | ["issues", _, "comments"]) =
        (ctx.login, method.as_str(), rest)
        && let Err(wait) = world.count_write(login, ctx.now)
    {
        return secondary_rate_limit(Some(wait));
    }
    match (method.as_str(), rest) {
        ("POST", ["issues"]) => return issues::create_issue(world, full, ctx),
        ("POST", ["issues", n, "comments"]) => return issues::create_comment(world, full, n, ctx),
        ("PATCH", ["issues", n]) => return issues::edit_issue(world, full, n, ctx),
        ("PATCH" | "POST", ["issues", "comments", id]) => {
            return issues::edit_comment(world, full, id, ctx, false);
        }
        ("DELETE", ["issues", "comments", id]) => {
            return issues::edit_comment(world, full, id, ctx, true);
        }
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
        ["commits", _, "check-runs" | "status"] => checks::get(repo, rest, ctx),
        ["pulls", ..] => pulls::get(repo, rest, ctx),
        ["issues", ..] => issues::get(repo, rest, ctx),
        _ => repos::get(repo, rest, ctx, maintainer),
    }
}
