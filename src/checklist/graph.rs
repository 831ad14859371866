//! The step graph of a checklist: `each_package` expansion, then ids, `needs`, package fields
//! and cycles, each problem reported with its place.

use super::parse::{Binding, RawStep};
use super::template::{self, PACKAGE_VARS};
use super::{Package, ProbeField, StepDef, StepId};
use crate::diag::{Reporter, closest};
use std::collections::HashMap;
use std::ops::Range;

/// Expands `each_package` steps, then checks ids, `needs`, package fields and cycles.
pub(super) fn expand_and_check_graph(
    rep: &mut Reporter<'_>,
    raw: Vec<RawStep>,
    packages: &[Package],
) -> Vec<StepDef> {
    // Duplicate ids, on the ids as written.
    let mut first: HashMap<&str, &Range<usize>> = HashMap::new();
    for s in &raw {
        if let Some(prev) = first.insert(&s.id.value, &s.id.span) {
            let (l, c) = rep.line_col(prev.start);
            rep.error(
                &s.id.span,
                format!("duplicate step id `{}`", s.id.value),
                Some(format!("first defined at line {l}, column {c}")),
            );
        }
    }
    let each: HashMap<&str, bool> = raw
        .iter()
        .map(|s| (s.id.value.as_str(), matches!(s.binding, Binding::Each)))
        .collect();

    let mut steps: Vec<StepDef> = Vec::new();
    // For each expanded step, the span of each of its needs (for cycle reports).
    let mut need_spans: Vec<Vec<Range<usize>>> = Vec::new();
    for s in &raw {
        let instances: Vec<Option<usize>> = match s.binding {
            Binding::None => vec![None],
            Binding::One(i) => vec![Some(i)],
            Binding::Each => (0..packages.len()).map(Some).collect(),
        };
        for pkg in instances {
            let id = match (&s.binding, pkg) {
                (Binding::Each, Some(i)) => format!("{}-{}", s.id.value, packages[i].name),
                _ => s.id.value.clone(),
            };
            let mut needs = Vec::new();
            let mut spans = Vec::new();
            for n in &s.needs {
                match each.get(n.value.as_str()) {
                    Some(true) => match (&s.binding, pkg) {
                        // A per-package step needs the same package's instance.
                        (Binding::Each, Some(i)) => {
                            needs.push(StepId(format!("{}-{}", n.value, packages[i].name)));
                            spans.push(n.span.clone());
                        }
                        _ => {
                            for p in packages {
                                needs.push(StepId(format!("{}-{}", n.value, p.name)));
                                spans.push(n.span.clone());
                            }
                        }
                    },
                    Some(false) => {
                        needs.push(StepId(n.value.clone()));
                        spans.push(n.span.clone());
                    }
                    None => {
                        // An expanded id (`tag-conda`) may be named directly.
                        let expanded = raw.iter().any(|r| {
                            matches!(r.binding, Binding::Each)
                                && packages
                                    .iter()
                                    .any(|p| format!("{}-{}", r.id.value, p.name) == n.value)
                        });
                        if expanded {
                            needs.push(StepId(n.value.clone()));
                            spans.push(n.span.clone());
                        } else if pkg.is_none_or(|i| i == 0) {
                            let ids: Vec<&str> = raw.iter().map(|r| r.id.value.as_str()).collect();
                            let hint = closest(&n.value, &ids)
                                .map(|c| format!("did you mean `{c}`?"))
                                .unwrap_or_else(|| "`needs` lists ids of other steps".into());
                            rep.error(
                                &n.span,
                                format!(
                                    "step `{}` needs `{}`, which is not a step",
                                    s.id.value, n.value
                                ),
                                Some(hint),
                            );
                        }
                    }
                }
            }
            steps.push(StepDef {
                id: StepId(id),
                phase: s.phase,
                title: s.title.value.clone(),
                role: s.role,
                needs,
                probe: s.probe.clone(),
                gate: s.gate.clone(),
                command: s.command.clone(),
                link: s.link.clone(),
                description: s.description.clone(),
                package: pkg,
            });
            need_spans.push(spans);
        }
    }

    // Package fields a template asks for must exist on the bound package.
    for (s, raw_step) in steps.iter().zip(raw.iter().flat_map(|r| {
        let n = match r.binding {
            Binding::Each => packages.len(),
            _ => 1,
        };
        std::iter::repeat_n(r, n)
    })) {
        let Some(p) = s.package.and_then(|i| packages.get(i)) else {
            continue;
        };
        let vars = p.vars();
        let texts = [
            Some(&s.title),
            s.command.as_ref(),
            s.link.as_ref(),
            s.description.as_ref(),
        ];
        let probe_texts = s
            .probe
            .iter()
            .flat_map(|p| p.fields.values())
            .filter_map(|f| match f {
                ProbeField::Text(t) => Some(t),
                _ => None,
            });
        for t in texts.into_iter().flatten().chain(probe_texts) {
            for ph in template::placeholders(t).unwrap_or_default() {
                if PACKAGE_VARS.contains(&ph.name.as_str()) && !vars.contains_key(ph.name.as_str())
                {
                    let missing = match ph.name.as_str() {
                        "pypi" => "a `pypi` name",
                        "cf_feedstock" => "a conda-forge/… feedstock",
                        "ar_feedstock" => "an AnacondaRecipes/… feedstock",
                        _ => "that field",
                    };
                    rep.error(
                        &raw_step.id.span,
                        format!(
                            "step `{}` uses `{{{}}}` but package `{}` has no {missing}",
                            s.id, ph.name, p.name
                        ),
                        Some("add it to the package's [[packages]] entry".into()),
                    );
                }
            }
        }
    }

    let spans: Vec<&Range<usize>> = raw
        .iter()
        .flat_map(|r| {
            let n = match r.binding {
                Binding::Each => packages.len(),
                _ => 1,
            };
            std::iter::repeat_n(&r.id.span, n)
        })
        .collect();
    check_overlapping_probes(rep, &steps, &spans);

    // Cycles: depth-first search, reporting each cycle once, at the first need that closes it.
    let index: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.0.as_str(), i))
        .collect();
    let mut color = vec![0u8; steps.len()]; // 0 new, 1 on stack, 2 done
    for start in 0..steps.len() {
        if color[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        color[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(need) = steps[node].needs.get(*next) {
                let k = *next;
                *next += 1;
                let Some(&to) = index.get(need.0.as_str()) else {
                    continue;
                };
                match color[to] {
                    0 => {
                        color[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut path: Vec<&str> = stack[pos..]
                            .iter()
                            .map(|(n, _)| steps[*n].id.0.as_str())
                            .collect();
                        path.push(&steps[to].id.0);
                        let span = need_spans[node].get(k).cloned().unwrap_or(0..0);
                        rep.error(&span, format!("`needs` form a cycle: {}", path.join(" → ")), Some("a step cannot (even indirectly) need itself; remove one of these needs".into()));
                    }
                    _ => {}
                }
            } else {
                color[node] = 2;
                stack.pop();
            }
        }
    }
    steps
}

/// Two different probes that can see the same fact: the log records a fact
/// once, under the first probe that saw it, so the second step would never
/// complete. Refused here rather than discovered mid-release.
/// A probe field as it will read once templated (the package it is bound to, the text).
type Field = Option<(Option<usize>, String)>;

fn check_overlapping_probes(rep: &mut Reporter<'_>, steps: &[StepDef], spans: &[&Range<usize>]) {
    // A field as it will read once templated: package-bound templates differ per package.
    let field = |s: &StepDef, key: &str| -> Field {
        let p = s.probe.as_ref()?;
        match p.fields.get(key)? {
            ProbeField::Text(t) => Some((s.package.filter(|_| t.contains('{')), t.clone())),
            ProbeField::Number(n) => Some((None, n.to_string())),
            ProbeField::List(_) => None,
        }
    };
    let watched = |s: &StepDef| -> Option<(&'static str, Vec<Field>)> {
        let kind = s.probe.as_ref()?.kind.as_str();
        Some(match kind {
            "pr" => ("pull requests", vec![field(s, "repo")]),
            "feedstock_pr" => ("pull requests", vec![field(s, "feedstock")]),
            "channel" => (
                "channel records",
                vec![field(s, "channel"), field(s, "package")],
            ),
            _ => return None,
        })
    };
    // Distinct numbers or distinct head branches never select the same PR.
    let disjoint = |a: &StepDef, b: &StepDef| {
        ["number", "head"]
            .iter()
            .any(|k| matches!((field(a, k), field(b, k)), (Some(x), Some(y)) if x != y))
    };
    let same_probe = |a: &StepDef, b: &StepDef| match (&a.probe, &b.probe) {
        (Some(x), Some(y)) => {
            let (fx, fy) = (format!("{:?}", x.fields), format!("{:?}", y.fields));
            x.kind == y.kind && fx == fy && (a.package == b.package || !fx.contains('{'))
        }
        _ => false,
    };
    for (i, a) in steps.iter().enumerate() {
        let Some((what, key_a)) = watched(a) else {
            continue;
        };
        for b in &steps[..i] {
            let Some((_, key_b)) = watched(b) else {
                continue;
            };
            let same_kind_family = a.probe.as_ref().map(|p| p.kind == "channel")
                == b.probe.as_ref().map(|p| p.kind == "channel");
            if !same_kind_family || key_a != key_b || same_probe(a, b) || disjoint(a, b) {
                continue;
            }
            rep.error(
                spans.get(i).copied().unwrap_or(&(0..0)),
                format!(
                    "steps `{}` and `{}` have probes watching the same {what}: a fact is recorded once, for the first probe that sees it, so one of them would never complete",
                    b.id, a.id
                ),
                Some("give the pr probes distinct `head` or `number`, or let one step `needs` the other without a probe".into()),
            );
        }
    }
}
