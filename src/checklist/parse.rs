//! Reading a checklist from TOML, reporting every problem with its place.

use super::StepRole;
use super::probe as spec;
use super::template::{self, PACKAGE_VARS, RELEASE_VARS};
use super::{Checklist, Gate, Package, PhaseDef, ProbeDef, ProbeField, VersionScheme};
use crate::diag::{Diagnostic, Node, NodeValue, Reporter, Spanned, TableReader, closest};
use chrono::Weekday;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// A step before `each_package` expansion, with the spans validation needs.
pub(super) struct RawStep {
    pub(super) id: Spanned<String>,
    pub(super) phase: usize,
    pub(super) title: Spanned<String>,
    pub(super) role: StepRole,
    pub(super) needs: Vec<Spanned<String>>,
    pub(super) probe: Option<ProbeDef>,
    pub(super) gate: Option<Gate>,
    pub(super) command: Option<String>,
    pub(super) link: Option<String>,
    pub(super) description: Option<String>,
    pub(super) binding: Binding,
}

pub(super) enum Binding {
    None,
    One(usize),
    Each,
}

pub(super) fn parse(file: &str, text: &str) -> Result<Checklist, Vec<Diagnostic>> {
    let mut rep = Reporter::new(file, text);
    let Some(root) = Node::parse(&mut rep, text) else {
        return Err(rep.finish());
    };
    let Some(mut top) = TableReader::new(&mut rep, &root, "the checklist") else {
        return Err(rep.finish());
    };

    if let Some(schema) = top.integer(&mut rep, "schema")
        && schema.value != 1
    {
        rep.error(
            &schema.span,
            format!("unsupported checklist schema {}", schema.value),
            Some("this flightdeck reads schema = 1".into()),
        );
    }

    let (name, title, scheme) = match top.node("release") {
        Some(node) => read_release(&mut rep, node),
        None => {
            rep.error(
                &(0..0),
                "the checklist has no [release] table",
                Some("add [release] with name, title and version_scheme".into()),
            );
            (String::new(), String::new(), None)
        }
    };

    let packages = read_packages(&mut rep, &mut top);
    let package_names: Vec<&str> = packages.iter().map(|(p, _)| p.name.as_str()).collect();

    let mut phases = Vec::new();
    let mut raw_steps = Vec::new();
    let mut phase_ids: HashMap<String, Range<usize>> = HashMap::new();
    let phase_nodes = top.tables(&mut rep, "phases");
    if phase_nodes.is_empty() {
        rep.error(
            &top.span(),
            "the checklist has no phases",
            Some("add at least one [[phases]] with [[phases.steps]]".into()),
        );
    }
    for node in phase_nodes {
        let Some(mut t) = TableReader::new(&mut rep, node, "a phase") else {
            continue;
        };
        let id = t.required_string(
            &mut rep,
            "id",
            "give the phase an id, e.g. id = \"release-week\"",
        );
        let what = id
            .as_ref()
            .map(|i| format!("phase `{}`", i.value))
            .unwrap_or_else(|| "a phase".into());
        if let Some(id) = &id {
            t.set_what(what.clone());
            check_id(&mut rep, id, "phase");
            if let Some(first) = phase_ids.insert(id.value.clone(), id.span.clone()) {
                let (l, c) = rep.line_col(first.start);
                rep.error(
                    &id.span,
                    format!("duplicate phase id `{}`", id.value),
                    Some(format!("first defined at line {l}, column {c}")),
                );
            }
        }
        let title = t.string(&mut rep, "title");
        if let Some(title) = &title {
            check_template(&mut rep, title, false, &what);
        }
        let phase_index = phases.len();
        phases.push(PhaseDef {
            id: id.as_ref().map(|i| i.value.clone()).unwrap_or_default(),
            title: title
                .map(|t| t.value)
                .or(id.map(|i| i.value))
                .unwrap_or_default(),
        });
        for step_node in t.tables(&mut rep, "steps") {
            if let Some(step) = read_step(
                &mut rep,
                step_node,
                phase_index,
                &package_names,
                packages.len(),
            ) {
                raw_steps.push(step);
            }
        }
        t.finish(&mut rep);
    }
    top.finish(&mut rep);

    let packages: Vec<Package> = packages.into_iter().map(|(p, _)| p).collect();
    let steps = super::graph::expand_and_check_graph(&mut rep, raw_steps, &packages);

    if rep.has_errors() {
        return Err(rep.finish());
    }
    Ok(Checklist {
        file: file.to_string(),
        name,
        title,
        // Only None when an error was reported, which returned above.
        scheme: scheme.unwrap_or(VersionScheme::Semver),
        packages,
        phases,
        steps,
    })
}

fn read_release(rep: &mut Reporter<'_>, node: &Node) -> (String, String, Option<VersionScheme>) {
    let Some(mut t) = TableReader::new(rep, node, "[release]") else {
        return (String::new(), String::new(), None);
    };
    let name = t.required_string(rep, "name", "name the release, e.g. name = \"conda\"");
    if let Some(n) = &name {
        check_id(rep, n, "release name");
    }
    let title = t.string(rep, "title");
    if let Some(title) = &title {
        check_template(rep, title, false, "[release] title");
    }
    let scheme = t
        .required_string(
            rep,
            "version_scheme",
            "use \"calver\", \"semver\" or \"regex:<pattern>\"",
        )
        .and_then(|s| match VersionScheme::parse(&s.value) {
            Ok(scheme) => Some(scheme),
            Err(e) => {
                rep.error(
                    &s.span,
                    format!("bad version_scheme: {e}"),
                    Some("use \"calver\" (YY.MM.MICRO), \"semver\" or \"regex:<pattern>\"".into()),
                );
                None
            }
        });
    t.finish(rep);
    let name = name.map(|n| n.value).unwrap_or_default();
    let title = title
        .map(|t| t.value)
        .unwrap_or_else(|| format!("{name} {{version}}"));
    (name, title, scheme)
}

fn read_packages(
    rep: &mut Reporter<'_>,
    top: &mut TableReader<'_>,
) -> Vec<(Package, Range<usize>)> {
    let mut out: Vec<(Package, Range<usize>)> = Vec::new();
    for node in top.tables(rep, "packages") {
        let Some(mut t) = TableReader::new(rep, node, "a package") else {
            continue;
        };
        let name = t.required_string(
            rep,
            "name",
            "name the package as on its channels, e.g. name = \"conda\"",
        );
        let repo = t.required_string(rep, "repo", "give its GitHub repository as owner/name");
        if let Some(r) = &repo {
            check_repo(rep, r);
        }
        let feedstocks = t.strings(rep, "feedstocks").unwrap_or_default();
        for f in &feedstocks {
            check_repo(rep, f);
        }
        let channels = t.strings(rep, "channels").unwrap_or_default();
        let subdirs = t.strings(rep, "subdirs").unwrap_or_default();
        for s in &subdirs {
            check_subdir(rep, s);
        }
        let pypi = t.string(rep, "pypi");
        t.finish(rep);
        let Some(name) = name else { continue };
        if let Some((_, first)) = out.iter().find(|(p, _)| p.name == name.value) {
            let (l, c) = rep.line_col(first.start);
            rep.error(
                &name.span,
                format!("duplicate package `{}`", name.value),
                Some(format!("first defined at line {l}, column {c}")),
            );
            continue;
        }
        out.push((
            Package {
                name: name.value,
                repo: repo.map(|r| r.value).unwrap_or_default(),
                feedstocks: feedstocks.into_iter().map(|f| f.value).collect(),
                channels: channels.into_iter().map(|c| c.value).collect(),
                subdirs: subdirs.into_iter().map(|s| s.value).collect(),
                pypi: pypi.map(|p| p.value),
            },
            name.span,
        ));
    }
    out
}

fn read_step(
    rep: &mut Reporter<'_>,
    node: &Node,
    phase: usize,
    package_names: &[&str],
    package_count: usize,
) -> Option<RawStep> {
    let mut t = TableReader::new(rep, node, "a step")?;
    let id = t.required_string(rep, "id", "give the step an id, e.g. id = \"tag\"");
    let what = id
        .as_ref()
        .map(|i| format!("step `{}`", i.value))
        .unwrap_or_else(|| "a step".into());
    if let Some(id) = &id {
        check_id(rep, id, "step");
        t.set_what(what.clone());
    }
    let title = t.required_string(
        rep,
        "title",
        "say what the step is, e.g. title = \"Tag {version}\"",
    );
    let role = match t.string(rep, "role") {
        Some(r) => match StepRole::parse(&r.value) {
            Some(role) => role,
            None => {
                rep.error(
                    &r.span,
                    format!("unknown role `{}` in {what}", r.value),
                    Some("use pilot, copilot or any".into()),
                );
                StepRole::Any
            }
        },
        None => StepRole::Pilot,
    };
    let needs = t.strings(rep, "needs").unwrap_or_default();

    let package = t.string(rep, "package");
    let each = t.bool(rep, "each_package").unwrap_or(false);
    let binding = match (&package, each) {
        (Some(p), true) => {
            rep.error(&p.span, format!("{what} sets both `package` and `each_package`"), Some("keep one: `package` binds one package, `each_package` repeats the step per package".into()));
            Binding::None
        }
        (Some(p), false) => match package_names.iter().position(|n| *n == p.value) {
            Some(i) => Binding::One(i),
            None => {
                let hint = closest(&p.value, package_names)
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                rep.error(
                    &p.span,
                    format!("unknown package `{}` in {what}", p.value),
                    Some(format!("{hint}packages: {}", package_names.join(", "))),
                );
                Binding::None
            }
        },
        (None, true) if package_count == 0 => {
            rep.error(
                &t.span(),
                format!("{what} has each_package = true but the checklist has no [[packages]]"),
                None,
            );
            Binding::None
        }
        (None, true) => Binding::Each,
        (None, false) if package_count == 1 => Binding::One(0),
        (None, false) => Binding::None,
    };
    let has_package = !matches!(binding, Binding::None);

    let command = t.string(rep, "command");
    let link = t.string(rep, "link");
    let description = t.string(rep, "description");
    for s in [&title, &command, &link, &description]
        .into_iter()
        .flatten()
    {
        check_template(rep, s, has_package, &what);
    }
    let probe = t
        .node("probe")
        .and_then(|n| read_probe(rep, n, has_package, &what));
    let gate = t.node("gate").and_then(|n| read_gate(rep, n, &what));
    t.finish(rep);

    Some(RawStep {
        id: id?,
        phase,
        title: title?,
        role,
        needs,
        probe,
        gate,
        command: command.map(|c| c.value),
        link: link.map(|l| l.value),
        description: description.map(|d| d.value),
        binding,
    })
}

fn read_probe(
    rep: &mut Reporter<'_>,
    node: &Node,
    has_package: bool,
    what: &str,
) -> Option<ProbeDef> {
    let NodeValue::Table(entries) = &node.value else {
        rep.error(&node.span, format!("`probe` in {what} must be a table, e.g. probe = {{ kind = \"tag\", repo = \"{{repo}}\", tag = \"{{version}}\" }}"), None);
        return None;
    };
    let Some(kind_entry) = entries.iter().find(|e| e.key == "kind") else {
        rep.error(
            &node.span,
            format!("the probe of {what} has no `kind`"),
            Some(format!("kinds: {}", spec::KINDS.join(", "))),
        );
        return None;
    };
    let NodeValue::String(kind) = &kind_entry.node.value else {
        rep.error(
            &kind_entry.node.span,
            "probe `kind` must be a string",
            Some(format!("kinds: {}", spec::KINDS.join(", "))),
        );
        return None;
    };
    let Some((required, optional)) = spec::fields(kind) else {
        let hint = closest(kind, spec::KINDS)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        rep.error(
            &kind_entry.node.span,
            format!("unknown probe kind `{kind}` in {what}"),
            Some(format!("{hint}kinds: {}", spec::KINDS.join(", "))),
        );
        return None;
    };
    let mut fields = BTreeMap::new();
    let mut ok = true;
    for e in entries
        .iter()
        .filter(|e| e.key != "kind" && e.key != "interval")
    {
        if !required.contains(&e.key.as_str()) && !optional.contains(&e.key.as_str()) {
            let mut valid: Vec<&str> = required.iter().chain(optional.iter()).copied().collect();
            valid.push("interval");
            let hint = closest(&e.key, &valid)
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            rep.error(
                &e.key_span,
                format!("unknown field `{}` for a `{kind}` probe in {what}", e.key),
                Some(format!("{hint}fields: {}", valid.join(", "))),
            );
            ok = false;
            continue;
        }
        let field = match (&e.node.value, e.key.as_str()) {
            (NodeValue::Integer(n), "number") if *n > 0 => ProbeField::Number(*n as u64),
            (_, "number") => {
                rep.error(
                    &e.node.span,
                    "`number` must be a positive pull request number",
                    None,
                );
                ok = false;
                continue;
            }
            (NodeValue::String(s), "subdirs") => {
                check_subdir(rep, &Spanned::new(s.clone(), e.node.span.clone()));
                ProbeField::List(vec![s.clone()])
            }
            (NodeValue::Array(items), "subdirs") => {
                let mut list = Vec::new();
                for item in items {
                    match &item.value {
                        NodeValue::String(s) => {
                            check_subdir(rep, &Spanned::new(s.clone(), item.span.clone()));
                            list.push(s.clone());
                        }
                        _ => rep.error(&item.span, "`subdirs` must list strings", None),
                    }
                }
                ProbeField::List(list)
            }
            (NodeValue::String(s), _) => {
                check_template(
                    rep,
                    &Spanned::new(s.clone(), e.node.span.clone()),
                    has_package,
                    what,
                );
                if e.key == "title"
                    && let Err(err) = regex::Regex::new(&without_placeholders(s))
                {
                    rep.error(
                        &e.node.span,
                        format!("`title` of the pr probe is not a valid pattern: {err}"),
                        Some("it is a regular expression matched against PR titles".into()),
                    );
                }
                ProbeField::Text(s.clone())
            }
            _ => {
                rep.error(
                    &e.node.span,
                    format!(
                        "probe field `{}` must be a string, found {}",
                        e.key,
                        e.node.type_name()
                    ),
                    None,
                );
                ok = false;
                continue;
            }
        };
        fields.insert(e.key.clone(), field);
    }
    let mut interval = None;
    if let Some(entry) = entries.iter().find(|e| e.key == "interval") {
        match &entry.node.value {
            NodeValue::String(s) => match super::duration::parse_duration(s) {
                Ok(d) if (1..=86_400).contains(&d.as_secs()) => interval = Some(d),
                Ok(_) => rep.error(
                    &entry.node.span,
                    "`interval` must be between 1s and 1d",
                    None,
                ),
                Err(e) => rep.error(&entry.node.span, e, None),
            },
            _ => rep.error(
                &entry.node.span,
                "`interval` must be a duration string such as \"30s\"",
                None,
            ),
        }
    }
    for field in required.iter() {
        if !fields.contains_key(*field) && entries.iter().all(|e| e.key != *field) {
            rep.error(
                &node.span,
                format!("the `{kind}` probe of {what} is missing `{field}`"),
                Some(format!("a `{kind}` probe needs: {}", required.join(", "))),
            );
            ok = false;
        }
    }
    if kind == "pr"
        && !["head", "title", "number"]
            .iter()
            .any(|k| fields.contains_key(*k))
    {
        rep.error(
            &node.span,
            format!("the `pr` probe of {what} must say which PR"),
            Some("give one of head = \"branch\", title = \"pattern\" or number = 123".into()),
        );
        ok = false;
    }
    ok.then(|| ProbeDef {
        kind: kind.clone(),
        fields,
        interval,
    })
}

fn read_gate(rep: &mut Reporter<'_>, node: &Node, what: &str) -> Option<Gate> {
    let mut t = TableReader::new(rep, node, format!("the gate of {what}"))?;
    let mut gate = Gate::default();
    for day in t.strings(rep, "not_on").unwrap_or_default() {
        match parse_weekday(&day.value) {
            Some(d) => gate.not_on.push(d),
            None => rep.error(
                &day.span,
                format!("unknown weekday `{}`", day.value),
                Some("use monday … sunday (or mon … sun)".into()),
            ),
        }
    }
    if let Some(soak) = t.string(rep, "soak") {
        match super::duration::parse_duration(&soak.value) {
            Ok(d) => gate.soak = Some(d),
            Err(e) => rep.error(&soak.span, e, None),
        }
    }
    t.finish(rep);
    Some(gate)
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

fn check_id(rep: &mut Reporter<'_>, id: &Spanned<String>, what: &str) {
    let valid = !id.value.is_empty()
        && id
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !valid {
        rep.error(
            &id.span,
            format!("bad {what} id `{}`", id.value),
            Some("use letters, digits, `-`, `_` and `.` only".into()),
        );
    }
}

fn check_repo(rep: &mut Reporter<'_>, repo: &Spanned<String>) {
    let parts: Vec<&str> = repo.value.split('/').collect();
    if parts.len() != 2
        || parts
            .iter()
            .any(|p| p.is_empty() || p.contains(char::is_whitespace))
    {
        rep.error(
            &repo.span,
            format!("`{}` is not a GitHub repository", repo.value),
            Some("write owner/name, e.g. conda-forge/conda-feedstock".into()),
        );
    }
}

const SUBDIRS: &[&str] = &[
    "noarch",
    "linux-64",
    "linux-aarch64",
    "linux-ppc64le",
    "linux-s390x",
    "linux-32",
    "osx-64",
    "osx-arm64",
    "win-64",
    "win-32",
    "win-arm64",
    "emscripten-wasm32",
    "wasi-wasm32",
];

fn check_subdir(rep: &mut Reporter<'_>, subdir: &Spanned<String>) {
    if !SUBDIRS.contains(&subdir.value.as_str()) {
        let hint = closest(&subdir.value, SUBDIRS)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        rep.error(
            &subdir.span,
            format!("unknown subdir `{}`", subdir.value),
            Some(format!("{hint}subdirs: {}", SUBDIRS.join(", "))),
        );
    }
}

/// Checks a template's variables; the error points at the placeholder itself.
fn check_template(rep: &mut Reporter<'_>, s: &Spanned<String>, has_package: bool, what: &str) {
    // +1 skips the opening quote: exact when the string has no escapes before the placeholder.
    let at = |offset: usize| s.span.start + 1 + offset;
    match template::placeholders(&s.value) {
        Err((offset, message)) => rep.error(
            &(at(offset)..at(offset)),
            format!("{message} in {what}"),
            None,
        ),
        Ok(list) => {
            for p in list {
                if RELEASE_VARS.contains(&p.name.as_str()) {
                    continue;
                }
                if PACKAGE_VARS.contains(&p.name.as_str()) {
                    if !has_package {
                        rep.error(
                            &(at(p.offset)..at(p.offset)),
                            format!("`{{{}}}` in {what} needs a package, but the step is not bound to one", p.name),
                            Some("add package = \"<name>\" or each_package = true to the step".into()),
                        );
                    }
                    continue;
                }
                let all: Vec<&str> = RELEASE_VARS.iter().chain(PACKAGE_VARS).copied().collect();
                let hint = closest(&p.name, &all)
                    .map(|c| format!("did you mean `{{{c}}}`? "))
                    .unwrap_or_default();
                rep.error(
                    &(at(p.offset)..at(p.offset)),
                    format!("unknown template variable `{{{}}}` in {what}", p.name),
                    Some(format!(
                        "{hint}variables: {}",
                        all.iter()
                            .map(|v| format!("{{{v}}}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )),
                );
            }
        }
    }
}

/// A template with each `{placeholder}` replaced by a plain word, so a `pr`
/// probe's `title` can be compiled as the regular expression it will be once
/// `{version}` and the like are filled in.
fn without_placeholders(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let name_end = rest[open + 1..].find('}').map(|i| open + 1 + i);
        match name_end {
            Some(close)
                if rest[open + 1..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && close > open + 1
                    && !rest[open + 1..close]
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ',') =>
            {
                out.push_str(&rest[..open]);
                out.push('x');
                rest = &rest[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}
