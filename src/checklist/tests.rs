use super::*;
use crate::checklist::ProbeSpec;

const HEAD: &str = r#"
[release]
name = "demo"
version_scheme = "calver"

[[packages]]
name = "foo"
repo = "example/foo"
feedstocks = ["conda-forge/foo-feedstock"]
subdirs = ["noarch", "linux-64"]

[[phases]]
id = "p"
title = "Phase"
"#;

fn errors(body: &str) -> Vec<String> {
    let text = format!("{HEAD}{body}");
    match Checklist::parse("c.toml", &text) {
        Ok(_) => vec![],
        Err(d) => d.iter().map(|d| d.to_string()).collect(),
    }
}

/// The line of `needle` in HEAD + body, to state expected places readably.
fn line_of(body: &str, needle: &str) -> usize {
    let text = format!("{HEAD}{body}");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle present")
        + 1
}

#[test]
fn shipped_checklists_are_valid_and_plan_with_a_real_version() {
    for (file, text, version) in [
        (
            "conda.toml",
            include_str!("../../checklists/conda.toml"),
            "26.11.0",
        ),
        (
            "conda-store.toml",
            include_str!("../../checklists/conda-store.toml"),
            "2025.11.0",
        ),
        (
            "conda-tandem.toml",
            include_str!("../../checklists/conda-tandem.toml"),
            "26.11.0",
        ),
    ] {
        let c = Checklist::parse(file, text)
            .unwrap_or_else(|d| panic!("{file}: {}", crate::diag::Diagnostics(d)));
        let plan = c.plan(version).expect("version fits");
        // No template survives rendering.
        for s in &plan.steps {
            assert!(!s.title.contains('{'), "{file}: {}", s.title);
        }
    }
}

#[test]
fn templates_fill_version_parts_and_package_fields() {
    let body = r#"
[[phases.steps]]
id = "merge-back"
title = "Merge {branch} of {repo} ({major}/{minor}/{micro})"
probe = { kind = "feedstock_pr", feedstock = "{cf_feedstock}" }
"#;
    let c = Checklist::parse("c.toml", &format!("{HEAD}{body}")).expect("valid");
    let plan = c.plan("26.11.2").expect("calver");
    let s = &plan.steps[0];
    assert_eq!(s.title, "Merge 26.11.x of example/foo (26/11/2)");
    assert_eq!(
        s.probe,
        Some(ProbeSpec::FeedstockPr {
            feedstock: "conda-forge/foo-feedstock".into(),
            version: "26.11.2".into()
        })
    );
    assert!(
        c.plan("26.11").is_err(),
        "a version that breaks the scheme is refused"
    );
}

#[test]
fn channel_probes_default_to_the_package_subdirs() {
    let body = r#"
[[phases.steps]]
id = "cf"
title = "on conda-forge"
probe = { kind = "channel", channel = "conda-forge", package = "foo" }
"#;
    let c = Checklist::parse("c.toml", &format!("{HEAD}{body}")).expect("valid");
    let plan = c.plan("26.11.0").expect("calver");
    match &plan.steps[0].probe {
        Some(ProbeSpec::Channel {
            subdirs, version, ..
        }) => {
            assert_eq!(subdirs, &["noarch", "linux-64"]);
            assert_eq!(version, "26.11.0");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_error_names_its_place() {
    let body = r#"
[[phases.steps]]
id = "a"
title = "Tag {verison}"
role = "captain"
needs = ["ghost"]
probe = { kind = "tagg", repo = "x/y" }
colour = "red"

[[phases.steps]]
id = "a"
title = "again"
gate = { soak = "2 hours", not_on = ["caturday"] }
probe = { kind = "release", repo = "x/y" }
"#;
    let e = errors(body);
    let at = |needle: &str, col: usize| format!("c.toml:{}:{col}:", line_of(body, needle));
    let expect = [
        (
            at("Tag {verison}", 14),
            "unknown template variable `{verison}` in step `a`",
        ),
        (at("captain", 8), "unknown role `captain`"),
        (at("ghost", 10), "needs `ghost`, which is not a step"),
        (at("tagg", 18), "unknown probe kind `tagg`"),
        (at("colour", 1), "unknown key `colour` in step `a`"),
        (
            format!("c.toml:{}:6:", line_of(body, "title = \"again\"") - 1),
            "duplicate step id `a`",
        ),
        (at("2 hours", 17), "bad duration `2 hours`"),
        (at("2 hours", 38), "unknown weekday `caturday`"),
        (
            at("kind = \"release\"", 9),
            "the `release` probe of step `a` is missing `tag`",
        ),
    ];
    for (place, message) in &expect {
        assert!(
            e.iter()
                .any(|d| d.starts_with(place.as_str()) && d.contains(message)),
            "expected `{place} … {message}` in:\n{}",
            e.join("\n")
        );
    }
    assert_eq!(
        e.len(),
        expect.len(),
        "one diagnostic per problem:\n{}",
        e.join("\n")
    );
}

#[test]
fn cycles_are_reported_with_their_path() {
    let body = r#"
[[phases.steps]]
id = "a"
title = "A"
needs = ["c"]

[[phases.steps]]
id = "b"
title = "B"
needs = ["a"]

[[phases.steps]]
id = "c"
title = "C"
needs = ["b"]
"#;
    let e = errors(body);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("`needs` form a cycle: a → c → b → a"),
        "{}",
        e[0]
    );
}

#[test]
fn bad_version_scheme_and_missing_release_table() {
    let e: Vec<String> = Checklist::parse(
        "d.toml",
        "[release]\nname = \"x\"\nversion_scheme = \"regex:(\"\n[[phases]]\nid = \"p\"\n",
    )
    .err()
    .unwrap_or_default()
    .iter()
    .map(|d| d.to_string())
    .collect();
    assert!(
        e.iter()
            .any(|d| d.starts_with("d.toml:3:18: bad version_scheme: invalid regular expression")),
        "{e:?}"
    );
    let none = Checklist::parse("e.toml", "[[phases]]\nid = \"p\"\n").expect_err("no release");
    assert!(
        none.iter()
            .any(|d| d.message.contains("no [release] table")),
        "{none:?}"
    );
}

#[test]
fn package_variables_need_a_bound_package() {
    let text = r#"
[release]
name = "two"
version_scheme = "semver"
[[packages]]
name = "a"
repo = "o/a"
[[packages]]
name = "b"
repo = "o/b"
[[phases]]
id = "p"
[[phases.steps]]
id = "s"
title = "Release {package}"
[[phases.steps]]
id = "t"
title = "PyPI {pypi}"
package = "a"
"#;
    let e: Vec<String> = Checklist::parse("c.toml", text)
        .expect_err("invalid")
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert!(
        e.iter()
            .any(|d| d.contains("`{package}` in step `s` needs a package")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|d| d.contains("package `a` has no a `pypi` name")),
        "{e:?}"
    );
}

#[test]
fn each_package_expands_and_needs_follow_the_package() {
    let text = r#"
[release]
name = "tandem"
version_scheme = "calver"
[[packages]]
name = "a"
repo = "o/a"
[[packages]]
name = "b"
repo = "o/b"
[[phases]]
id = "p"
[[phases.steps]]
id = "tag"
title = "Tag {package}"
each_package = true
[[phases.steps]]
id = "publish"
title = "Publish {package}"
each_package = true
needs = ["tag"]
[[phases.steps]]
id = "announce"
title = "Announce"
needs = ["publish", "tag-a"]
"#;
    let c = Checklist::parse("c.toml", text).expect("valid");
    let ids: Vec<&str> = c.steps.iter().map(|s| s.id.0.as_str()).collect();
    assert_eq!(
        ids,
        ["tag-a", "tag-b", "publish-a", "publish-b", "announce"]
    );
    let needs = |id: &str| -> Vec<String> {
        c.steps
            .iter()
            .find(|s| s.id.0 == id)
            .expect("step")
            .needs
            .iter()
            .map(|n| n.0.clone())
            .collect()
    };
    assert_eq!(needs("publish-b"), ["tag-b"]);
    assert_eq!(needs("announce"), ["publish-a", "publish-b", "tag-a"]);
}

#[test]
fn gates_report_weekdays_and_soak() {
    let gate = Gate {
        not_on: vec![Weekday::Fri],
        soak: Some(Duration::from_secs(3600)),
    };
    let friday: DateTime<Utc> = "2026-11-13T12:00:00Z".parse().expect("time");
    let thursday: DateTime<Utc> = "2026-11-12T12:00:00Z".parse().expect("time");
    assert!(
        gate.blocks(friday, None)
            .expect("gated")
            .starts_with("Friday")
    );
    let since = thursday - chrono::Duration::minutes(20);
    assert_eq!(
        gate.blocks(thursday, Some(since)).as_deref(),
        Some("soaking: 40m left")
    );
    assert_eq!(
        gate.blocks(thursday, Some(thursday - chrono::Duration::hours(2))),
        None
    );
}

#[test]
fn a_pr_title_is_a_regular_expression_checked_at_check_time() {
    let body = r#"
[[phases.steps]]
id = "release-pr"
title = "Release PR"
role = "pilot"
probe = { kind = "pr", repo = "{repo}", title = "^Release {version} (" }
"#;
    let errs = errors(body);
    assert!(
        errs.iter()
            .any(|e| e.contains("`title` of the pr probe is not a valid pattern")),
        "{errs:?}"
    );
    let ok = r#"
[[phases.steps]]
id = "release-pr"
title = "Release PR"
role = "pilot"
probe = { kind = "pr", repo = "{repo}", title = "^(Release|Changelog) {version}$" }
"#;
    assert_eq!(errors(ok), Vec::<String>::new());
}

#[test]
fn two_probes_that_would_see_the_same_fact_are_refused() {
    let body = r#"
[[phases.steps]]
id = "changelog-pr"
title = "Changelog PR"
role = "pilot"
probe = { kind = "pr", repo = "{repo}", head = "changelog-{version}" }

[[phases.steps]]
id = "release-pr"
title = "Release PR"
role = "pilot"
probe = { kind = "pr", repo = "{repo}", title = "^Release" }
"#;
    let errs = errors(body);
    assert!(
        errs.iter().any(|e| e.contains(
            "steps `changelog-pr` and `release-pr` have probes watching the same pull requests"
        )),
        "{errs:?}"
    );
    let distinct = r#"
[[phases.steps]]
id = "changelog-pr"
title = "Changelog PR"
role = "pilot"
probe = { kind = "pr", repo = "{repo}", head = "changelog-{version}" }

[[phases.steps]]
id = "backport-pr"
title = "Backport PR"
role = "pilot"
probe = { kind = "pr", repo = "{repo}", head = "backport-{version}" }

[[phases.steps]]
id = "on-cf"
title = "On conda-forge"
role = "pilot"
probe = { kind = "channel", channel = "conda-forge", package = "foo" }

[[phases.steps]]
id = "on-cf-again"
title = "Still on conda-forge"
role = "pilot"
probe = { kind = "channel", channel = "conda-forge", package = "foo" }
"#;
    assert_eq!(
        errors(distinct),
        Vec::<String>::new(),
        "distinct heads; one identical probe"
    );
}
