//! The simulated PyPI JSON API (`/pypi/{name}/json`, `/pypi/{name}/{version}/json`).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::scenario::PypiSpec;

/// PEP 503 normalization: lowercase, runs of `-_.` become `-`.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// One uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct PypiFile {
    pub(crate) filename: String,
    pub(crate) packagetype: &'static str,
    pub(crate) python_version: &'static str,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) md5: String,
    pub(crate) blake2b_256: String,
    pub(crate) upload_time: DateTime<Utc>,
    pub(crate) requires_python: Option<String>,
}

/// A release (version) of a project.
#[derive(Debug, Clone, Default)]
pub(crate) struct PypiRelease {
    pub(crate) files: Vec<PypiFile>,
    pub(crate) yanked: bool,
    pub(crate) yanked_reason: Option<String>,
}

/// A project.
#[derive(Debug, Clone)]
pub(crate) struct PypiProject {
    pub(crate) name: String,
    pub(crate) summary: String,
    pub(crate) releases: BTreeMap<String, PypiRelease>,
    /// Upload order, to tell the latest version.
    pub(crate) order: Vec<String>,
    pub(crate) serial: u64,
}

/// All projects by normalized name.
#[derive(Debug, Default)]
pub(crate) struct PypiStore {
    pub(crate) projects: BTreeMap<String, PypiProject>,
    serial: u64,
}

fn digest_hex(parts: &str, salt: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{parts}").as_bytes()))
}

impl PypiStore {
    /// Projects declared by a scenario (with no releases yet).
    pub(crate) fn new(specs: &[PypiSpec]) -> Self {
        let mut s = PypiStore::default();
        for p in specs {
            s.projects.insert(
                normalize(&p.name),
                PypiProject {
                    name: p.name.clone(),
                    summary: p.summary.clone(),
                    releases: BTreeMap::new(),
                    order: Vec::new(),
                    serial: 0,
                },
            );
        }
        s
    }

    /// Upload an sdist and a wheel for `version`.
    pub(crate) fn upload(
        &mut self,
        project: &str,
        version: &str,
        requires_python: Option<&str>,
        at: DateTime<Utc>,
    ) {
        self.serial += 1;
        let serial = self.serial;
        let key = normalize(project);
        let p = self.projects.entry(key).or_insert_with(|| PypiProject {
            name: project.to_string(),
            summary: String::new(),
            releases: BTreeMap::new(),
            order: Vec::new(),
            serial: 0,
        });
        p.serial = serial;
        let stem = p.name.replace('-', "_");
        let files = [
            (format!("{stem}-{version}.tar.gz"), "sdist", "source"),
            (
                format!("{stem}-{version}-py3-none-any.whl"),
                "bdist_wheel",
                "py3",
            ),
        ];
        let release = p.releases.entry(version.to_string()).or_default();
        for (filename, packagetype, python_version) in files {
            if release.files.iter().any(|f| f.filename == filename) {
                continue;
            }
            let sha256 = digest_hex(&filename, "sha256");
            let size =
                20_000 + u64::from_str_radix(sha256.get(..5).unwrap_or("0"), 16).unwrap_or(0);
            release.files.push(PypiFile {
                md5: digest_hex(&filename, "md5").chars().take(32).collect(),
                blake2b_256: digest_hex(&filename, "blake2b"),
                sha256,
                size,
                filename,
                packagetype,
                python_version,
                upload_time: at,
                requires_python: requires_python.map(str::to_string),
            });
        }
        if !p.order.iter().any(|v| v == version) {
            p.order.push(version.to_string());
        }
    }

    /// Yank a release.
    pub(crate) fn yank(
        &mut self,
        project: &str,
        version: &str,
        reason: &str,
    ) -> Result<(), String> {
        let p = self
            .projects
            .get_mut(&normalize(project))
            .ok_or_else(|| format!("no PyPI project {project}"))?;
        let r = p
            .releases
            .get_mut(version)
            .ok_or_else(|| format!("{project} has no release {version}"))?;
        r.yanked = true;
        r.yanked_reason = (!reason.is_empty()).then(|| reason.to_string());
        Ok(())
    }
}

fn file_json(f: &PypiFile, r: &PypiRelease) -> Value {
    json!({
        "comment_text": "",
        "digests": {"blake2b_256": f.blake2b_256, "md5": f.md5, "sha256": f.sha256},
        "downloads": -1,
        "filename": f.filename,
        "has_sig": false,
        "md5_digest": f.md5,
        "packagetype": f.packagetype,
        "python_version": f.python_version,
        "requires_python": f.requires_python,
        "size": f.size,
        "upload_time": f.upload_time.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "upload_time_iso_8601": f.upload_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        "url": format!(
            "https://files.pythonhosted.org/packages/{}/{}/{}/{}",
            f.blake2b_256.get(..2).unwrap_or("00"),
            f.blake2b_256.get(2..4).unwrap_or("00"),
            f.blake2b_256.get(4..).unwrap_or("00"),
            f.filename
        ),
        "yanked": r.yanked,
        "yanked_reason": r.yanked_reason,
    })
}

impl PypiProject {
    /// The newest non-yanked version by upload order (what PyPI shows as "latest").
    pub(crate) fn latest(&self) -> Option<&str> {
        self.order
            .iter()
            .rev()
            .find(|v| self.releases.get(*v).is_some_and(|r| !r.yanked))
            .or_else(|| self.order.last())
            .map(String::as_str)
    }

    fn info(&self, version: &str) -> Value {
        let r = self.releases.get(version);
        let requires_python = r
            .and_then(|r| r.files.first())
            .and_then(|f| f.requires_python.clone());
        json!({
            "author": "",
            "classifiers": [],
            "description": "",
            "home_page": "",
            "license": "BSD-3-Clause",
            "name": self.name,
            "package_url": format!("https://pypi.org/project/{}/", self.name),
            "project_url": format!("https://pypi.org/project/{}/", self.name),
            "project_urls": {"Homepage": format!("https://github.com/conda-incubator/{}", self.name)},
            "release_url": format!("https://pypi.org/project/{}/{version}/", self.name),
            "requires_dist": null,
            "requires_python": requires_python,
            "summary": self.summary,
            "version": version,
            "yanked": r.is_some_and(|r| r.yanked),
            "yanked_reason": r.and_then(|r| r.yanked_reason.clone()),
        })
    }

    /// `/pypi/{name}/json`, or `None` when nothing was uploaded yet (PyPI answers 404 then).
    pub(crate) fn project_json(&self) -> Option<Value> {
        let latest = self.latest()?;
        let releases: serde_json::Map<String, Value> = self
            .releases
            .iter()
            .map(|(v, r)| {
                let files = r.files.iter().map(|f| file_json(f, r)).collect();
                (v.clone(), Value::Array(files))
            })
            .collect();
        let urls: Vec<Value> = self
            .releases
            .get(latest)
            .map(|r| r.files.iter().map(|f| file_json(f, r)).collect())
            .unwrap_or_default();
        Some(json!({
            "info": self.info(latest),
            "last_serial": self.serial,
            "releases": releases,
            "urls": urls,
            "vulnerabilities": [],
        }))
    }

    /// `/pypi/{name}/{version}/json`.
    pub(crate) fn version_json(&self, version: &str) -> Option<Value> {
        let r = self.releases.get(version)?;
        let urls: Vec<Value> = r.files.iter().map(|f| file_json(f, r)).collect();
        Some(json!({
            "info": self.info(version),
            "last_serial": self.serial,
            "urls": urls,
            "vulnerabilities": [],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_like_pep_503() {
        assert_eq!(normalize("Conda_Store.Server"), "conda-store-server");
        assert_eq!(normalize("conda--store"), "conda-store");
    }
}
