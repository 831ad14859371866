//! The house rules, checked: the arrows between the rooms of `src/` (see the
//! crate's doc) and the size of a file. A new import that breaks a rule fails
//! here, by name, instead of quietly tangling the layers.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            // A room's own tests may use what the room must not (an export to check a sentence).
            && !p.file_name().is_some_and(|n| n.to_string_lossy().ends_with("tests.rs"))
        {
            out.push(p);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `crate::ROOM` paths a set of files uses, with where.
fn uses(rooms: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for room in rooms {
        let dir = src().join(room);
        if dir.is_dir() {
            sources(&dir, &mut files);
        } else {
            files.push(src().join(format!("{room}.rs")));
        }
    }
    // `crate::room` and the grouped `crate::{room, other}`.
    let pattern = regex::Regex::new(r"crate::(?:([a-z_]+)|\{([^}]*)\})").expect("static pattern");
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            for c in pattern.captures_iter(line) {
                let place = format!(
                    "{}:{}",
                    f.strip_prefix(src()).unwrap_or(&f).display(),
                    n + 1
                );
                let rooms = match (c.get(1), c.get(2)) {
                    (Some(one), _) => vec![one.as_str().to_string()],
                    (None, Some(group)) => group
                        .as_str()
                        .split(',')
                        .filter_map(|p| p.trim().split("::").next().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                };
                for room in rooms {
                    found.push((room, place.clone()));
                }
            }
        }
    }
    found
}

fn forbid(rooms: &[&str], never: &[&str]) {
    let bad: Vec<String> = uses(rooms)
        .into_iter()
        .filter(|(to, _)| never.contains(&to.as_str()))
        .map(|(to, at)| format!("{at} uses crate::{to}"))
        .collect();
    assert!(
        bad.is_empty(),
        "{rooms:?} must never reach {never:?}:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_domain_builds_without_the_outside_world() {
    forbid(
        &["checklist", "timeline"],
        &[
            "probe", "github", "store", "tui", "sim", "export", "crew", "demo", "cli", "config",
        ],
    );
}

#[test]
fn nothing_below_the_cockpit_reaches_up_into_it() {
    forbid(
        &["probe", "export", "crew", "github", "store"],
        &["tui", "demo", "cli"],
    );
}

#[test]
fn the_simulated_world_is_reached_only_by_the_demo_and_imports_nothing_of_the_app() {
    forbid(
        &[
            "checklist",
            "timeline",
            "store",
            "github",
            "probe",
            "crew",
            "export",
            "tui",
            "config",
        ],
        &["sim"],
    );
    forbid(
        &["sim"],
        &["demo", "tui", "cli", "probe", "github", "export", "store"],
    );
}

#[test]
fn no_file_is_over_800_lines() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 800).then(|| format!("{} has {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}
