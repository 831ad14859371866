//! Issues and comments: lists, single items, and the writes the cockpit makes.

use super::search::parse_day_or_time;
use super::*;

/// `GET /repos/{owner}/{name}/issues...` (pull requests included, as on GitHub).
pub(super) fn get(repo: &Repo, rest: &[&str], ctx: &Ctx<'_>) -> Reply {
    let api = ctx.api;
    match rest {
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

pub(super) fn issue_json(api: &str, repo: &Repo, i: &IssueData) -> Value {
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

pub(super) fn pull_as_issue_json(api: &str, repo: &Repo, p: &PullData) -> Value {
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

pub(super) fn create_issue(world: &mut World, full: &str, ctx: &Ctx<'_>) -> Reply {
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

pub(super) fn create_comment(world: &mut World, full: &str, n: &str, ctx: &Ctx<'_>) -> Reply {
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

pub(super) fn edit_comment(
    world: &mut World,
    full: &str,
    id: &str,
    ctx: &Ctx<'_>,
    delete: bool,
) -> Reply {
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

/// `PATCH /repos/{o}/{r}/issues/{n}`: title, body, state. The issue's author or a maintainer.
pub(super) fn edit_issue(world: &mut World, full: &str, n: &str, ctx: &Ctx<'_>) -> Reply {
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
    let invalid = |field: &str| {
        Reply::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "invalid", "field": field}], "documentation_url": DOCS, "status": "422"}),
        )
    };
    let mut edit = crate::sim::world::IssueEdit::default();
    match v.get("title") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if !t.is_empty() => edit.title = Some(t.clone()),
        Some(_) => return invalid("title"),
    }
    match v.get("body") {
        None => {}
        Some(Value::Null) => edit.body = Some(String::new()),
        Some(Value::String(b)) if b.chars().count() > MAX_BODY => return too_long("Issue"),
        Some(Value::String(b)) => edit.body = Some(b.clone()),
        Some(_) => return invalid("body"),
    }
    match v.get("state").map(|s| s.as_str()) {
        None => {}
        Some(Some("open")) => edit.state = Some(State::Open),
        Some(Some("closed")) => edit.state = Some(State::Closed),
        Some(_) => return invalid("state"),
    }
    let Some(repo) = world.repo(full) else {
        return not_found();
    };
    let Some(issue) = repo.issues.get(&n) else {
        return not_found();
    };
    // As on GitHub: the author may edit their issue; anyone else needs write access.
    if !issue.author.eq_ignore_ascii_case(login) && !repo.maintainers.contains(login) {
        return error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by personal access token",
        );
    }
    if world.edit_issue(full, n, edit, ctx.now).is_none() {
        return not_found();
    }
    match world
        .repo(full)
        .and_then(|r| r.issues.get(&n).map(|i| issue_json(ctx.api, r, i)))
    {
        Some(v) => Reply::json(StatusCode::OK, &v),
        None => not_found(),
    }
}

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
