//! How each happening of the scenario changes the world.

use chrono::{DateTime, Utc};

use super::*;

impl World {
    pub(super) fn apply(&mut self, h: &Happening) -> Result<(), String> {
        let at = h.at;
        match &h.what {
            What::Tag {
                repo,
                tag,
                annotated,
                message,
                author,
            } => {
                let tag_id = self.id();
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                push_tag(r, tag, *annotated, message, author, at, tag_id)?;
            }
            What::ReleaseDraft {
                repo,
                tag,
                name,
                body,
                author,
                target,
                prerelease,
            } => {
                let id = self.id();
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                let target = target.clone().unwrap_or_else(|| r.default_branch.clone());
                r.releases.push(ReleaseData {
                    id,
                    tag: tag.clone(),
                    name: name.clone(),
                    body: body.clone(),
                    draft: true,
                    prerelease: *prerelease,
                    created_at: at,
                    published_at: None,
                    author: author.clone(),
                    target,
                });
            }
            What::ReleasePublish {
                repo,
                tag,
                name,
                body,
                author,
            } => {
                let id = self.id();
                let tag_id = self.id();
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                // Publishing a release for a tag that does not exist creates the tag, as on GitHub.
                if !r.tags.iter().any(|t| &t.name == tag) {
                    push_tag(r, tag, false, &format!("Release {tag}"), author, at, tag_id)?;
                }
                if let Some(rel) = r.releases.iter_mut().find(|x| &x.tag == tag && x.draft) {
                    rel.draft = false;
                    rel.published_at = Some(at);
                    if let Some(n) = name {
                        rel.name = n.clone();
                    }
                    if let Some(b) = body {
                        rel.body = b.clone();
                    }
                } else {
                    let target = r.default_branch.clone();
                    r.releases.push(ReleaseData {
                        id,
                        tag: tag.clone(),
                        name: name.clone().unwrap_or_else(|| tag.clone()),
                        body: body.clone().unwrap_or_default(),
                        draft: false,
                        prerelease: false,
                        created_at: at,
                        published_at: Some(at),
                        author: author.clone(),
                        target,
                    });
                }
            }
            What::PrOpen {
                repo,
                number,
                title,
                author,
                head,
                head_owner,
                base,
                body,
                draft,
            } => {
                let id = self.id();
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                if r.pulls.contains_key(number) || r.issues.contains_key(number) {
                    return Err(format!("number {number} is taken in {repo}"));
                }
                let base = if base.is_empty() {
                    r.default_branch.clone()
                } else {
                    base.clone()
                };
                let number = r.take_number(Some(*number));
                let head_sha =
                    Self::new_commit(r, title, author, at, &base, &format!("pr{number}-0"));
                let base_sha = r
                    .branches
                    .get(&base)
                    .cloned()
                    .unwrap_or_else(|| head_sha.clone());
                r.pulls.insert(
                    number,
                    PullData {
                        id,
                        number,
                        title: title.clone(),
                        body: body.clone(),
                        author: author.clone(),
                        head_ref: head.clone(),
                        head_owner: head_owner.clone(),
                        head_sha,
                        pushes: 0,
                        base_ref: base,
                        base_sha,
                        state: State::Open,
                        draft: *draft,
                        created_at: at,
                        updated_at: at,
                        closed_at: None,
                        merged_at: None,
                        merged_by: None,
                        merge_commit_sha: None,
                    },
                );
            }
            What::PrPush { repo, number } => {
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                let (title, author, pushes) = {
                    let p = r.pulls.get(number).ok_or("no such pull request")?;
                    (p.title.clone(), p.author.clone(), p.pushes + 1)
                };
                let base = r
                    .pulls
                    .get(number)
                    .map(|p| p.base_ref.clone())
                    .unwrap_or_default();
                let sha = Self::new_commit(
                    r,
                    &format!("{title} (push {pushes})"),
                    &author,
                    at,
                    &base,
                    &format!("pr{number}-{pushes}"),
                );
                let p = r.pulls.get_mut(number).ok_or("no such pull request")?;
                p.head_sha = sha;
                p.pushes = pushes;
                p.updated_at = at;
            }
            What::Ci {
                repo,
                number,
                state,
                checks,
            } => {
                let ids: Vec<(u64, u64)> = checks.iter().map(|_| (self.id(), self.id())).collect();
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                let sha = r
                    .pulls
                    .get(number)
                    .ok_or("no such pull request")?
                    .head_sha
                    .clone();
                let old_runs = r.checks.remove(&sha).unwrap_or_default();
                let old_statuses = r.statuses.remove(&sha).unwrap_or_default();
                let mut runs = Vec::new();
                let mut statuses = Vec::new();
                for (i, (name, (run_id, status_id))) in checks.iter().zip(ids).enumerate() {
                    let old = old_runs.iter().find(|c| &c.name == name);
                    let old_status = old_statuses.iter().find(|c| &c.context == name);
                    // A failing CI fails its first check; the rest pass.
                    let (status, conclusion, st) = match state {
                        CiState::Pending => ("in_progress", None, "pending"),
                        CiState::Success => ("completed", Some("success"), "success"),
                        CiState::Failure if i == 0 => ("completed", Some("failure"), "failure"),
                        CiState::Failure => ("completed", Some("success"), "success"),
                    };
                    runs.push(CheckRunData {
                        id: old.map_or(run_id, |o| o.id),
                        name: name.clone(),
                        status,
                        conclusion,
                        started_at: old.map_or(at, |o| o.started_at),
                        completed_at: conclusion.map(|_| at),
                    });
                    statuses.push(StatusData {
                        id: status_id,
                        context: name.clone(),
                        state: st,
                        description: match st {
                            "pending" => "Build in progress".into(),
                            "success" => "All checks passed".into(),
                            _ => "Build failed".into(),
                        },
                        created_at: old_status.map_or(at, |o| o.created_at),
                        updated_at: at,
                    });
                }
                r.checks.insert(sha.clone(), runs);
                r.statuses.insert(sha, statuses);
            }
            What::PrMerge { repo, number, by } => {
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                let (title, base, open) = {
                    let p = r.pulls.get(number).ok_or("no such pull request")?;
                    (p.title.clone(), p.base_ref.clone(), p.state == State::Open)
                };
                if !open {
                    return Err(format!("pull request #{number} is not open"));
                }
                let msg = format!("Merge pull request #{number}\n\n{title}");
                let sha = Self::new_commit(r, &msg, by, at, &base, "merge");
                r.branches.insert(base, sha.clone());
                let p = r.pulls.get_mut(number).ok_or("no such pull request")?;
                p.state = State::Closed;
                p.merged_at = Some(at);
                p.closed_at = Some(at);
                p.updated_at = at;
                p.merged_by = Some(by.clone());
                p.merge_commit_sha = Some(sha);
            }
            What::PrClose { repo, number, .. } => {
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                let p = r.pulls.get_mut(number).ok_or("no such pull request")?;
                p.state = State::Closed;
                p.closed_at = Some(at);
                p.updated_at = at;
            }
            What::Issue {
                repo,
                number,
                title,
                body,
                author,
                labels,
            } => {
                let id = self.id();
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                if number.is_some_and(|n| r.pulls.contains_key(&n) || r.issues.contains_key(&n)) {
                    return Err(format!("number {number:?} is taken in {repo}"));
                }
                let number = r.take_number(*number);
                r.issues.insert(
                    number,
                    IssueData {
                        id,
                        number,
                        title: title.clone(),
                        body: body.clone(),
                        author: author.clone(),
                        labels: labels.clone(),
                        state: State::Open,
                        created_at: at,
                        updated_at: at,
                        closed_at: None,
                    },
                );
            }
            What::Comment {
                repo,
                number,
                author,
                body,
            } => {
                let id = self.id();
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                if !r.issues.contains_key(number) && !r.pulls.contains_key(number) {
                    return Err(format!("no issue or pull request #{number}"));
                }
                r.comments.insert(
                    id,
                    CommentData {
                        id,
                        number: *number,
                        author: author.clone(),
                        body: body.clone(),
                        created_at: at,
                        updated_at: at,
                    },
                );
                if let Some(i) = r.issues.get_mut(number) {
                    i.updated_at = at;
                }
            }
            What::CommentEdit {
                repo,
                number,
                author,
                body,
            } => {
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                let id = latest_comment(r, *number, author)?;
                if let Some(c) = r.comments.get_mut(&id) {
                    c.body = body.clone();
                    c.updated_at = at;
                }
            }
            What::CommentDelete {
                repo,
                number,
                author,
            } => {
                let r = self.repo_mut(repo).ok_or("no such repo")?;
                let id = latest_comment(r, *number, author)?;
                r.comments.remove(&id);
            }
            What::Package { channel, package } => {
                self.channels.add(channel, package, at)?;
            }
            What::PackageRemove {
                channel,
                name,
                version,
                build,
            } => {
                self.channels
                    .remove(channel, name, version, build.as_deref(), at)?;
            }
            What::PackageBroken {
                channel,
                name,
                version,
                build,
            } => {
                self.channels
                    .mark_broken(channel, name, version, build.as_deref(), at)?;
            }
            What::PypiUpload {
                project,
                version,
                requires_python,
            } => {
                self.pypi
                    .upload(project, version, requires_python.as_deref(), at);
            }
            What::PypiYank {
                project,
                version,
                reason,
            } => {
                self.pypi.yank(project, version, reason)?;
            }
        }
        Ok(())
    }
}

/// The id of `author`'s most recent comment on #`number`.
fn latest_comment(r: &Repo, number: u64, author: &str) -> Result<u64, String> {
    r.comments
        .values()
        .filter(|c| c.number == number && c.author.eq_ignore_ascii_case(author))
        .map(|c| c.id)
        .max()
        .ok_or_else(|| format!("{author} has no comment on #{number} to change"))
}

fn push_tag(
    r: &mut Repo,
    tag: &str,
    annotated: bool,
    message: &str,
    author: &str,
    at: DateTime<Utc>,
    tag_id: u64,
) -> Result<(), String> {
    if r.tags.iter().any(|t| t.name == tag) {
        return Err(format!("tag {tag} already exists"));
    }
    let branch = r.default_branch.clone();
    let commit_sha = World::new_commit(r, message, author, at, &branch, &format!("tag {tag}"));
    let object = annotated.then(|| TagObject {
        sha: fake_sha(&[&r.full_name(), "tag-object", tag, &tag_id.to_string()]),
        message: message.to_string(),
        tagger: author.to_string(),
        date: at,
    });
    r.tags.push(TagData {
        name: tag.to_string(),
        commit_sha,
        object,
        pushed_at: at,
    });
    Ok(())
}
