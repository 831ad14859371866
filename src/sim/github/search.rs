//! `GET /search/issues`: the subset of GitHub's query language the probes use.

use super::issues::{issue_json, pull_as_issue_json};
use super::*;

pub(super) fn parse_day_or_time(s: &str) -> Option<DateTime<Utc>> {
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

pub(super) fn search_issues(world: &World, ctx: &Ctx<'_>) -> Reply {
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
