//! Pull requests.

use super::repos::repo_json;
use super::*;

/// `GET /repos/{owner}/{name}/pulls` and `.../pulls/{n}`.
pub(super) fn get(repo: &Repo, rest: &[&str], ctx: &Ctx<'_>) -> Reply {
    let api = ctx.api;
    match rest {
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
        _ => not_found(),
    }
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
