//! Release checklists: the TOML format, its validation, and the [`Plan`] a
//! checklist becomes once templated with a version.
//!
//! The format is documented for users in `checklists/README.md`.

pub(crate) mod channel;
pub(crate) mod duration;
mod graph;
mod owner;
mod parse;
pub(crate) mod probe;
pub(crate) mod template;
pub(crate) mod version;

pub use probe::ProbeSpec;

use crate::diag::Diagnostic;
use chrono::{DateTime, Datelike, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

pub(crate) use owner::StepRole;
pub(crate) use version::{ReleaseVersion, VersionScheme};

/// The shipped checklists, embedded so the binary works alone (`flightdeck demo`).
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("conda", include_str!("../../checklists/conda.toml")),
    (
        "conda-store",
        include_str!("../../checklists/conda-store.toml"),
    ),
    (
        "conda-tandem",
        include_str!("../../checklists/conda-tandem.toml"),
    ),
];

/// A shipped checklist's text by name (`conda`, `conda-store`, `conda-tandem`).
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The identifier of a step, unique within a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StepId(pub String);

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for StepId {
    fn from(s: &str) -> Self {
        StepId(s.to_string())
    }
}

/// A package released by the checklist (several packages are released "in tandem").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Package {
    pub(crate) name: String,
    /// `owner/name` on GitHub.
    pub(crate) repo: String,
    /// Feedstock repositories, e.g. `conda-forge/conda-feedstock`, `AnacondaRecipes/conda-feedstock`.
    pub(crate) feedstocks: Vec<String>,
    /// Channel names or URLs the package must reach.
    pub(crate) channels: Vec<String>,
    pub(crate) subdirs: Vec<String>,
    pub(crate) pypi: Option<String>,
}

impl Package {
    fn feedstock_in(&self, org: &str) -> Option<&str> {
        self.feedstocks
            .iter()
            .find(|f| {
                f.split('/')
                    .next()
                    .is_some_and(|o| o.eq_ignore_ascii_case(org))
            })
            .map(String::as_str)
    }

    /// Template variables this package provides (only those it can fill).
    fn vars(&self) -> BTreeMap<&'static str, String> {
        let mut vars = BTreeMap::new();
        vars.insert("package", self.name.clone());
        vars.insert("repo", self.repo.clone());
        if let Some(p) = &self.pypi {
            vars.insert("pypi", p.clone());
        }
        if let Some(f) = self.feedstock_in("conda-forge") {
            vars.insert("cf_feedstock", f.to_string());
        }
        if let Some(f) = self.feedstock_in("AnacondaRecipes") {
            vars.insert("ar_feedstock", f.to_string());
        }
        vars
    }
}

/// A rule on time attached to a step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Gate {
    /// Weekdays (UTC) on which the step should not be done, e.g. Friday.
    pub(crate) not_on: Vec<Weekday>,
    /// How long after the step's `needs` were all done before it may be signed off.
    pub(crate) soak: Option<Duration>,
}

impl Gate {
    /// Why the step should wait at `now`, given when its needs were all done.
    pub fn blocks(
        &self,
        now: DateTime<Utc>,
        needs_done_at: Option<DateTime<Utc>>,
    ) -> Option<String> {
        if self.not_on.contains(&now.weekday()) {
            return Some(format!(
                "{} — the checklist says not to do this today",
                weekday_name(now.weekday())
            ));
        }
        if let (Some(soak), Some(since)) = (self.soak, needs_done_at) {
            let soak = chrono::Duration::from_std(soak).unwrap_or(chrono::Duration::MAX);
            let until = since
                .checked_add_signed(soak)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if now < until {
                let left = (until - now).to_std().unwrap_or_default();
                return Some(format!("soaking: {} left", duration::format_duration(left)));
            }
        }
        None
    }
}

pub(crate) fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// A checklist as written: valid, but not yet templated with a version.
#[derive(Debug, Clone)]
pub struct Checklist {
    /// Where it was read from, for messages.
    pub(crate) file: String,
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) scheme: VersionScheme,
    pub(crate) packages: Vec<Package>,
    pub(crate) phases: Vec<PhaseDef>,
    pub(crate) steps: Vec<StepDef>,
}

#[derive(Debug, Clone)]
pub(crate) struct PhaseDef {
    pub(crate) id: String,
    pub(crate) title: String,
}

/// A step as written (after `each_package` expansion), templates not yet filled.
#[derive(Debug, Clone)]
pub(crate) struct StepDef {
    pub(crate) id: StepId,
    pub(crate) phase: usize,
    pub(crate) title: String,
    pub(crate) role: StepRole,
    pub(crate) needs: Vec<StepId>,
    pub(crate) probe: Option<ProbeDef>,
    pub(crate) gate: Option<Gate>,
    pub(crate) command: Option<String>,
    pub(crate) link: Option<String>,
    pub(crate) description: Option<String>,
    /// Index into [`Checklist::packages`] when the step is bound to a package.
    pub(crate) package: Option<usize>,
}

/// A probe as written: its kind and its (templated) fields.
#[derive(Debug, Clone)]
pub(crate) struct ProbeDef {
    pub(crate) kind: String,
    pub(crate) fields: BTreeMap<String, ProbeField>,
    /// How often to poll, when the checklist says (`interval = "30s"`).
    pub(crate) interval: Option<Duration>,
}

#[derive(Debug, Clone)]
pub(crate) enum ProbeField {
    Text(String),
    List(Vec<String>),
    Number(u64),
}

impl Checklist {
    /// Reads and validates a checklist file. Every problem is reported, each as `file:line:col`.
    pub(crate) fn load(path: &Path) -> Result<Checklist, Vec<Diagnostic>> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Checklist::parse(&file, &text),
            Err(e) => Err(vec![Diagnostic {
                file,
                line: 1,
                col: 1,
                message: format!("cannot read the checklist: {e}"),
                hint: Some("check the path; `flightdeck check` takes checklist files such as checklists/conda.toml".into()),
            }]),
        }
    }

    /// Parses and validates checklist text; `file` names it in diagnostics.
    pub fn parse(file: &str, text: &str) -> Result<Checklist, Vec<Diagnostic>> {
        parse::parse(file, text)
    }

    /// Templates the checklist with a version, which must fit its scheme.
    pub fn plan(&self, version: &str) -> Result<Plan, String> {
        let version = self.scheme.validate(version)?;
        let mut base: BTreeMap<&str, String> = BTreeMap::new();
        base.insert("version", version.full.clone());
        base.insert("major", version.major.clone());
        base.insert("minor", version.minor.clone());
        base.insert("micro", version.micro.clone());
        base.insert("branch", version.branch());
        base.insert("release", self.name.clone());
        let title = template::render(&self.title, &base);
        let steps = self
            .steps
            .iter()
            .map(|s| {
                let mut vars = base.clone();
                let package = s.package.and_then(|i| self.packages.get(i));
                if let Some(p) = package {
                    vars.extend(p.vars());
                }
                let r = |t: &str| template::render(t, &vars);
                Step {
                    id: s.id.clone(),
                    phase: s.phase,
                    title: r(&s.title),
                    role: s.role,
                    needs: s.needs.clone(),
                    probe: s
                        .probe
                        .as_ref()
                        .and_then(|p| render_probe(p, &vars, package)),
                    probe_interval: s.probe.as_ref().and_then(|p| p.interval),
                    gate: s.gate.clone(),
                    command: s.command.as_deref().map(r),
                    link: s.link.as_deref().map(r),
                    description: s.description.as_deref().map(r),
                }
            })
            .collect();
        let phases = self
            .phases
            .iter()
            .map(|p| Phase {
                id: p.id.clone(),
                title: template::render(&p.title, &base),
            })
            .collect();
        Ok(Plan {
            title,
            version,
            packages: self.packages.clone(),
            phases,
            steps,
        })
    }
}

fn render_probe(
    p: &ProbeDef,
    vars: &BTreeMap<&str, String>,
    package: Option<&Package>,
) -> Option<ProbeSpec> {
    let text = |k: &str| match p.fields.get(k) {
        Some(ProbeField::Text(t)) => Some(template::render(t, vars)),
        _ => None,
    };
    let req = |k: &str| text(k).unwrap_or_default();
    let version =
        || text("version").unwrap_or_else(|| vars.get("version").cloned().unwrap_or_default());
    Some(match p.kind.as_str() {
        "tag" => ProbeSpec::Tag {
            repo: req("repo"),
            tag: req("tag"),
        },
        "release" => ProbeSpec::Release {
            repo: req("repo"),
            tag: req("tag"),
        },
        "pr" => ProbeSpec::Pr {
            repo: req("repo"),
            head: text("head"),
            title: text("title"),
            number: match p.fields.get("number") {
                Some(ProbeField::Number(n)) => Some(*n),
                _ => None,
            },
        },
        "feedstock_pr" => ProbeSpec::FeedstockPr {
            feedstock: req("feedstock"),
            version: version(),
        },
        "ci" => ProbeSpec::Ci {
            repo: req("repo"),
            reference: req("ref"),
        },
        "issues_mentioning" => ProbeSpec::IssuesMentioning {
            repo: req("repo"),
            version: version(),
        },
        "channel" => ProbeSpec::Channel {
            channel: req("channel"),
            package: req("package"),
            version: version(),
            subdirs: match p.fields.get("subdirs") {
                Some(ProbeField::List(l)) => l.iter().map(|s| template::render(s, vars)).collect(),
                _ => package
                    .map(|p| p.subdirs.clone())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| vec!["noarch".to_string()]),
            },
        },
        "pypi" => ProbeSpec::Pypi {
            package: req("package"),
            version: version(),
        },
        _ => return None,
    })
}

/// A checklist templated with one version: what a release follows.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) title: String,
    pub(crate) version: ReleaseVersion,
    pub(crate) packages: Vec<Package>,
    pub(crate) phases: Vec<Phase>,
    /// In checklist order; every `needs` names a step in here.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub(crate) struct Phase {
    pub(crate) id: String,
    pub(crate) title: String,
}

/// One step of a [`Plan`], templates filled.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: StepId,
    /// Index into [`Plan::phases`].
    pub(crate) phase: usize,
    pub(crate) title: String,
    pub(crate) role: StepRole,
    pub(crate) needs: Vec<StepId>,
    pub(crate) probe: Option<ProbeSpec>,
    /// The checklist's poll interval for this step's probe, if it set one.
    pub(crate) probe_interval: Option<Duration>,
    pub gate: Option<Gate>,
    pub(crate) command: Option<String>,
    pub(crate) link: Option<String>,
    pub(crate) description: Option<String>,
}

impl Plan {
    pub(crate) fn step(&self, id: &StepId) -> Option<&Step> {
        self.steps.iter().find(|s| &s.id == id)
    }

    pub(crate) fn step_index(&self, id: &StepId) -> Option<usize> {
        self.steps.iter().position(|s| &s.id == id)
    }

    /// Each step's index by id, for looking many up.
    pub(crate) fn step_indices(&self) -> std::collections::HashMap<&StepId, usize> {
        self.steps
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.id, i))
            .collect()
    }

    /// Every distinct probe of the plan, in step order.
    pub fn probes(&self) -> Vec<&ProbeSpec> {
        let mut seen = std::collections::HashSet::new();
        self.steps
            .iter()
            .filter_map(|s| s.probe.as_ref())
            .filter(|p| seen.insert(p.id()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
