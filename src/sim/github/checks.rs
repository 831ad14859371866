//! Check runs and combined commit statuses.

use super::repos::repo_json;
use super::*;

/// `GET /repos/{owner}/{name}/commits/{ref}/check-runs` and `.../status`.
pub(super) fn get(repo: &Repo, rest: &[&str], ctx: &Ctx<'_>) -> Reply {
    let api = ctx.api;
    let full = repo.full_name();
    let full = full.as_str();
    match rest {
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
        _ => not_found(),
    }
}
