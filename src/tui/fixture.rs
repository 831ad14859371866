//! Fixed releases for tests, snapshots and the frame benchmark: the conda
//! checklist halfway through a release on a Friday afternoon, and a synthetic
//! 300-step checklist with a 10,000-event timeline. Deterministic: fixed ids,
//! fixed times, no clock.

use super::model::Model;
use crate::checklist::{Checklist, StepId};
use crate::crew::Role;
use crate::probe::{Health, ProbeReport, Quota};
use crate::timeline::{CiState, Event, EventId, EventKind, Fact};
use chrono::{DateTime, Duration, TimeZone, Utc};

/// The conda checklist as shipped.
pub const CONDA: &str = include_str!("../../checklists/conda.toml");

/// A time on the fixture's calendar (November 2026; the 13th is a Friday).
pub fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0)
        .single()
        .unwrap_or_default()
}

/// "Now" in the sample: Friday 13 November 2026, 15:00 UTC.
pub fn now() -> DateTime<Utc> {
    at(13, 15, 0)
}

/// Builds events with sequential ids `e0001`…, in the order given.
#[derive(Default)]
pub(crate) struct Events {
    pub(crate) events: Vec<Event>,
    seqs: std::collections::HashMap<String, u64>,
}

impl Events {
    pub(crate) fn push(
        &mut self,
        author: &str,
        role: Role,
        at: DateTime<Utc>,
        link: Option<&str>,
        what: EventKind,
    ) -> EventId {
        let id = EventId::from(format!("e{:04}", self.events.len() + 1));
        let seq = self.seqs.entry(author.to_string()).or_default();
        *seq += 1;
        let seq = *seq;
        self.events.push(Event {
            v: 1,
            id: id.clone(),
            author: author.into(),
            role,
            seq,
            at,
            observed_at: at + Duration::seconds(20),
            link: link.map(Into::into),
            what,
        });
        id
    }

    pub(crate) fn done(
        &mut self,
        author: &str,
        role: Role,
        at: DateTime<Utc>,
        step: &str,
        note: Option<&str>,
    ) {
        self.push(
            author,
            role,
            at,
            None,
            EventKind::StepDone {
                step: StepId(step.into()),
                note: note.map(str::to_string),
            },
        );
    }

    pub(crate) fn observe(
        &mut self,
        at: DateTime<Utc>,
        probe: &str,
        link: &str,
        fact: Fact,
    ) -> EventId {
        self.push(
            "jane",
            Role::Pilot,
            at,
            Some(link),
            EventKind::Observed {
                probe: probe.into(),
                fact,
            },
        )
    }
}

/// The sample release's events: prep done, tag and GitHub release out, the
/// conda-forge feedstock merged and the package on conda-forge (starred), the
/// AnacondaRecipes feedstock merged this morning, `defaults` not there yet,
/// and an issue filed against the new version.
pub fn sample_events() -> Vec<Event> {
    let (p, c) = (Role::Pilot, Role::Copilot);
    let mut e = Events::default();
    e.push(
        "jane",
        p,
        at(9, 14, 0),
        None,
        EventKind::ReleaseStarted {
            release: "conda-26.11.0".into(),
            version: "26.11.0".into(),
            checklist: "checklists/conda.toml".into(),
        },
    );
    e.done("jane", p, at(9, 14, 5), "release-issue", None);
    e.done("jane", p, at(9, 14, 30), "cut-branch", None);
    e.done("bob", c, at(9, 15, 0), "alert", None);
    e.done("bob", c, at(10, 10, 0), "canary", None);
    e.done("jane", p, at(11, 9, 0), "milestone", None);
    e.done(
        "bob",
        c,
        at(11, 16, 0),
        "test-rc",
        Some("rc1 and rc2 fine on linux-64 and osx-arm64"),
    );
    let pr = "pr conda/conda head:changelog-26.11.0";
    e.observe(
        at(12, 10, 0),
        pr,
        "https://github.com/conda/conda/pull/15300",
        Fact::PrOpened {
            repo: "conda/conda".into(),
            number: 15300,
            title: "Changelog 26.11.0".into(),
            author: "jane".into(),
            head: "changelog-26.11.0".into(),
        },
    );
    e.observe(
        at(12, 13, 0),
        pr,
        "https://github.com/conda/conda/pull/15300",
        Fact::PrMerged {
            repo: "conda/conda".into(),
            number: 15300,
            by: Some("jane".into()),
        },
    );
    e.done("jane", p, at(12, 13, 10), "draft-release", None);
    e.done("bob", c, at(12, 13, 15), "announce-start", None);
    e.observe(
        at(12, 13, 20),
        "tag conda/conda@26.11.0",
        "https://github.com/conda/conda/releases/tag/26.11.0",
        Fact::TagPushed {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            sha: Some("4f2a9c1".into()),
        },
    );
    e.observe(
        at(12, 13, 40),
        "release conda/conda@26.11.0",
        "https://github.com/conda/conda/releases/tag/26.11.0",
        Fact::ReleasePublished {
            repo: "conda/conda".into(),
            tag: "26.11.0".into(),
            prerelease: false,
        },
    );
    e.push(
        "jane",
        p,
        at(12, 14, 0),
        None,
        EventKind::Note {
            text: "docs build is slow today".into(),
        },
    );
    let cf = "feedstock_pr conda-forge/conda-feedstock@26.11.0";
    let cf_link = "https://github.com/conda-forge/conda-feedstock/pull/211";
    e.observe(
        at(12, 14, 10),
        cf,
        cf_link,
        Fact::PrOpened {
            repo: "conda-forge/conda-feedstock".into(),
            number: 211,
            title: "conda v26.11.0".into(),
            author: "regro-cf-autotick-bot".into(),
            head: "26.11.0_h1a2b3c".into(),
        },
    );
    e.observe(
        at(12, 14, 50),
        cf,
        cf_link,
        Fact::PrChecks {
            repo: "conda-forge/conda-feedstock".into(),
            number: 211,
            sha: "9e8d7c6".into(),
            state: CiState::Success,
        },
    );
    e.observe(
        at(12, 15, 40),
        cf,
        cf_link,
        Fact::PrMerged {
            repo: "conda-forge/conda-feedstock".into(),
            number: 211,
            by: Some("bob".into()),
        },
    );
    let ar = "feedstock_pr AnacondaRecipes/conda-feedstock@26.11.0";
    let ar_link = "https://github.com/AnacondaRecipes/conda-feedstock/pull/88";
    e.observe(
        at(12, 16, 0),
        ar,
        ar_link,
        Fact::PrOpened {
            repo: "AnacondaRecipes/conda-feedstock".into(),
            number: 88,
            title: "conda 26.11.0".into(),
            author: "jane".into(),
            head: "26.11.0".into(),
        },
    );
    let available = e.observe(
        at(12, 16, 27),
        "channel conda-forge/conda==26.11.0 [noarch]",
        "https://conda.anaconda.org/conda-forge/noarch/conda-26.11.0-pyhd8ed1ab_0.conda",
        Fact::Available {
            channel: "conda-forge".into(),
            package: "conda".into(),
            version: "26.11.0".into(),
            subdir: "noarch".into(),
            build: "pyhd8ed1ab_0".into(),
            file_name: "conda-26.11.0-pyhd8ed1ab_0.conda".into(),
            first_seen: None,
        },
    );
    e.push(
        "bob",
        c,
        at(12, 16, 40),
        None,
        EventKind::Starred { event: available },
    );
    e.observe(
        at(13, 9, 0),
        "issues_mentioning conda/conda@26.11.0",
        "https://github.com/conda/conda/issues/15320",
        Fact::IssueFiled {
            repo: "conda/conda".into(),
            number: 15320,
            title: "conda 26.11.0 breaks activate on fish".into(),
            author: "fishfan".into(),
        },
    );
    e.observe(
        at(13, 10, 30),
        ar,
        ar_link,
        Fact::PrChecks {
            repo: "AnacondaRecipes/conda-feedstock".into(),
            number: 88,
            sha: "77aa11".into(),
            state: CiState::Success,
        },
    );
    e.observe(
        at(13, 11, 0),
        ar,
        ar_link,
        Fact::PrMerged {
            repo: "AnacondaRecipes/conda-feedstock".into(),
            number: 88,
            by: Some("jane".into()),
        },
    );
    e.events
}

/// What the probe tasks last said about the sample release.
pub(crate) fn sample_reports() -> Vec<ProbeReport> {
    let r = |probe: &str, health: Health, summary: &str, error: Option<&str>| ProbeReport {
        probe: probe.into(),
        health,
        last_ok: Some(at(13, 14, 58)),
        error: error.map(str::to_string),
        summary: Some(summary.into()),
        next_poll: Some(at(13, 15, 1)),
    };
    vec![
        r(
            "tag conda/conda@26.11.0",
            Health::Finished,
            "tag 26.11.0 at 4f2a9c1",
            None,
        ),
        r(
            "release conda/conda@26.11.0",
            Health::Finished,
            "published",
            None,
        ),
        r(
            "feedstock_pr conda-forge/conda-feedstock@26.11.0",
            Health::Finished,
            "PR #211 merged",
            None,
        ),
        r(
            "feedstock_pr AnacondaRecipes/conda-feedstock@26.11.0",
            Health::Finished,
            "PR #88 merged",
            None,
        ),
        r(
            "channel conda-forge/conda==26.11.0 [noarch]",
            Health::Finished,
            "noarch: available",
            None,
        ),
        r(
            "channel defaults/conda==26.11.0 [noarch]",
            Health::Degraded,
            "noarch: not yet",
            Some(
                "https://repo.anaconda.com/pkgs/main/noarch/repodata.json.zst: 503 Service Unavailable; retrying in 60s",
            ),
        ),
        r(
            "issues_mentioning conda/conda@26.11.0",
            Health::Healthy,
            "1 new issue",
            None,
        ),
    ]
}

/// The sample release as `role` sees it at [`now`], in a terminal of `size`.
pub fn sample_model(role: Role, size: (u16, u16)) -> Model {
    let checklist = match Checklist::parse("checklists/conda.toml", CONDA) {
        Ok(c) => c,
        Err(d) => panic!("the shipped checklist must parse: {d:?}"),
    };
    let plan = match checklist.plan("26.11.0") {
        Ok(p) => p,
        Err(e) => panic!("26.11.0 fits the calver scheme: {e}"),
    };
    let me = match role {
        Role::Pilot => "jane",
        Role::Copilot => "bob",
        Role::JumpSeat => "sam",
    };
    let mut m = Model::new("conda-26.11.0", plan, sample_events(), role, me, now());
    for r in sample_reports() {
        m.reports.insert(r.probe.clone(), r);
    }
    m.quota = Some(Quota {
        limit: 5000,
        remaining: 4812,
        reset: at(13, 15, 42),
    });
    let _ = super::update::update(&mut m, super::action::Action::Resize(size.0, size.1));
    m
}

/// A synthetic checklist of `steps` steps in phases of 30, each needing the one before.
pub fn big_checklist(steps: usize) -> String {
    let mut s = String::from(
        "schema = 1\n[release]\nname = \"big\"\ntitle = \"big {version}\"\nversion_scheme = \"calver\"\n\n\
         [[packages]]\nname = \"big\"\nrepo = \"example/big\"\nfeedstocks = [\"conda-forge/big-feedstock\"]\n\
         channels = [\"conda-forge\"]\nsubdirs = [\"noarch\", \"linux-64\", \"osx-arm64\", \"win-64\"]\n",
    );
    for i in 0..steps {
        if i % 30 == 0 {
            s.push_str(&format!(
                "\n[[phases]]\nid = \"p{}\"\ntitle = \"Phase {}\"\n",
                i / 30,
                i / 30
            ));
        }
        s.push_str(&format!(
            "\n[[phases.steps]]\nid = \"s{i}\"\ntitle = \"Step {i} of the big release: do the thing number {i} carefully\"\nrole = \"{}\"\n",
            ["pilot", "copilot", "any"][i % 3]
        ));
        if i > 0 {
            s.push_str(&format!("needs = [\"s{}\"]\n", i - 1));
        }
        if i % 50 == 7 {
            s.push_str(
                "probe = { kind = \"channel\", channel = \"conda-forge\", package = \"big\" }\n",
            );
        }
        if i % 40 == 3 {
            s.push_str(
                "command = \"git push upstream {version}\"\ngate = { not_on = [\"friday\"] }\n",
            );
        }
    }
    s
}

/// 300 steps, 10,000 events (half the steps signed off, the rest notes), as the pilot sees it.
pub fn big_model(steps: usize, events: usize, size: (u16, u16)) -> Model {
    let text = big_checklist(steps);
    let checklist = match Checklist::parse("big.toml", &text) {
        Ok(c) => c,
        Err(d) => panic!("the synthetic checklist must parse: {d:?}"),
    };
    let plan = match checklist.plan("26.11.0") {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let mut e = Events::default();
    let t0 = at(9, 8, 0);
    e.push(
        "jane",
        Role::Pilot,
        t0,
        None,
        EventKind::ReleaseStarted {
            release: "big-26.11.0".into(),
            version: "26.11.0".into(),
            checklist: "big.toml".into(),
        },
    );
    let mut signed = 0;
    for k in 1..events {
        let t = t0 + Duration::seconds(k as i64 * 30);
        if signed < steps / 2 && k % 7 == 0 {
            let (who, role) = if signed % 3 == 1 {
                ("bob", Role::Copilot)
            } else {
                ("jane", Role::Pilot)
            };
            e.done(who, role, t, &format!("s{signed}"), None);
            signed += 1;
        } else {
            e.push(
                if k % 2 == 0 { "jane" } else { "bob" },
                if k % 2 == 0 {
                    Role::Pilot
                } else {
                    Role::Copilot
                },
                t,
                None,
                EventKind::Note {
                    text: format!("note {k}: everything is fine, keep going"),
                },
            );
        }
    }
    let mut m = Model::new(
        "big-26.11.0",
        plan,
        &e.events,
        Role::Pilot,
        "jane",
        t0 + Duration::days(3),
    );
    let _ = super::update::update(&mut m, super::action::Action::Resize(size.0, size.1));
    m
}
