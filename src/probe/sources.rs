//! Polling the channel and PyPI probes: "is it really installable yet?"
//!
//! Unlike GitHub (one quota, so one request at a time), each channel or PyPI
//! probe is its own source: each runs in its own loop, with at most one check
//! in flight. A check's result becomes facts in the timeline (one `available`
//! per subdir as it appears, with the package record's own timestamp), and a
//! [`ProbeReport`] for the cockpit. Errors back off and turn the probe
//! degraded, keeping what it last saw; the other probes go on.
//!
//! A complete probe keeps polling, more slowly: a version that disappears, or
//! shows up under the channel's `broken` label, is exactly what a release
//! manager must hear about.

use super::channel::{self, ChannelChecker, ChannelQuery, ChannelReport, RedEvent, SubdirStatus};
use super::pypi::{PypiChecker, PypiOptions, PypiQuery, PypiStatus};
use super::scheduler::{SchedulerOptions, failure_backoff, health_for};
use super::{Health, Observation, ProbeMsg, ProbeReport, ProbeSpec};
use crate::config::Config;
use crate::store::Store;
use crate::timeline::{Clock, Fact};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How much more slowly a complete probe keeps watching.
const SETTLED_FACTOR: u32 = 4;

/// Where channel and PyPI probes look, taken from the config.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub channels: BTreeMap<String, String>,
    pub cache_dir: PathBuf,
    pub pypi_url: String,
}

impl SourceConfig {
    pub(crate) fn from_config(config: &Config) -> SourceConfig {
        SourceConfig {
            channels: config.channels.clone(),
            cache_dir: config.cache_dir.join("channels"),
            pypi_url: config.pypi_url(),
        }
    }
}

/// One round of a probe: what it saw, and how the cockpit should show it.
struct Round {
    observations: Vec<Observation>,
    summary: String,
    /// The error to show (naming the URL), if the round failed in part or whole.
    error: Option<String>,
    /// Whether any part answered: a partial failure must not slow down the
    /// subdirs that work (one bad subdir would otherwise hide the others).
    answered: bool,
    complete: bool,
}

/// Runs every channel and PyPI probe until `stopped` turns true (or once, with `opts.once`).
pub async fn run(
    specs: Vec<ProbeSpec>,
    sources: SourceConfig,
    log: Store,
    clock: Clock,
    tx: mpsc::Sender<ProbeMsg>,
    opts: SchedulerOptions,
    stopped: watch::Receiver<bool>,
) {
    let channels = match ChannelChecker::new(&sources.cache_dir) {
        Ok(c) => Some(Arc::new(c.with_clock(clock.clone()))),
        Err(e) => {
            fail_all(
                &specs,
                |s| matches!(s, ProbeSpec::Channel { .. }),
                &e.to_string(),
                &tx,
            )
            .await;
            None
        }
    };
    let pypi =
        match PypiOptions::with_base_url(&sources.pypi_url).and_then(PypiChecker::with_options) {
            Ok(p) => Some(Arc::new(p.with_clock(clock.clone()))),
            Err(e) => {
                fail_all(
                    &specs,
                    |s| matches!(s, ProbeSpec::Pypi { .. }),
                    &e.to_string(),
                    &tx,
                )
                .await;
                None
            }
        };
    let mut tasks = Vec::new();
    for spec in specs {
        let source = match &spec {
            ProbeSpec::Channel {
                channel,
                package,
                version,
                subdirs,
            } => {
                let Some(checker) = channels.clone() else {
                    continue;
                };
                let subdirs: Vec<&str> = subdirs.iter().map(String::as_str).collect();
                let main =
                    ChannelQuery::parse(channel, &sources.channels, package, version, &subdirs);
                // anaconda.org channels have labels; `defaults` does not.
                let broken = (channel != "defaults")
                    .then(|| {
                        ChannelQuery::parse(
                            &channel::broken_label(channel),
                            &sources.channels,
                            package,
                            version,
                            &subdirs,
                        )
                        .ok()
                    })
                    .flatten();
                match main {
                    Ok(query) => Source::Channel(Box::new(ChannelSource {
                        checker,
                        query,
                        broken,
                        last: None,
                    })),
                    Err(e) => {
                        let _ = tx
                            .send(ProbeMsg::Report(failing(&spec, e.to_string())))
                            .await;
                        continue;
                    }
                }
            }
            ProbeSpec::Pypi { package, version } => {
                let Some(checker) = pypi.clone() else {
                    continue;
                };
                match PypiQuery::new(package, version) {
                    Ok(query) => Source::Pypi { checker, query },
                    Err(e) => {
                        let _ = tx
                            .send(ProbeMsg::Report(failing(&spec, e.to_string())))
                            .await;
                        continue;
                    }
                }
            }
            _ => continue,
        };
        let interval = opts
            .intervals
            .get(&spec.id())
            .copied()
            .unwrap_or(opts.interval);
        tasks.push(tokio::spawn(watch_one(
            spec,
            source,
            log.clone(),
            clock.clone(),
            tx.clone(),
            interval,
            opts.clone(),
            stopped.clone(),
        )));
    }
    for t in tasks {
        let _ = t.await;
    }
}

enum Source {
    Channel(Box<ChannelSource>),
    Pypi {
        checker: Arc<PypiChecker>,
        query: PypiQuery,
    },
}

struct ChannelSource {
    checker: Arc<ChannelChecker>,
    query: ChannelQuery,
    /// The channel's `broken` label, watched alongside.
    broken: Option<ChannelQuery>,
    last: Option<ChannelReport>,
}

impl Source {
    /// The source's name and clock: the `Date` of its latest reply and when it arrived.
    fn source_date(&self) -> Option<(String, DateTime<Utc>, DateTime<Utc>)> {
        match self {
            Source::Channel(c) => c
                .checker
                .source_date(&c.query.channel_url)
                .map(|(d, l)| (c.query.channel_name.clone(), d, l)),
            Source::Pypi { checker, .. } => checker
                .source_date()
                .map(|(d, l)| ("PyPI".to_string(), d, l)),
        }
    }

    async fn poll(&mut self, log: &Store, probe: &str) -> Round {
        match self {
            Source::Channel(c) => {
                let ChannelSource {
                    checker,
                    query,
                    broken,
                    last,
                } = c.as_mut();
                let report = checker.check(query).await;
                // A fresh process starts from what the log holds, so a version that
                // vanished while nothing was watching is reported gone, not "not yet".
                if last.is_none() {
                    *last = log.with_events(|events| recorded_report(events, probe, &report));
                }
                let mut round = channel_round(&report, last.as_ref());
                // A version that was available and is no longer: red.
                for red in channel::red_events(last.as_ref(), &report) {
                    round.observations.push(red_observation(red));
                }
                if let Some(label) = broken {
                    // Most packages never appear under `broken`: a missing label is not an error.
                    let under_label = checker.check(label).await;
                    for red in channel::red_events(None, &under_label) {
                        round.observations.push(red_observation(red));
                    }
                }
                *last = Some(channel::carry_forward(last.as_ref(), &report));
                round
            }
            Source::Pypi { checker, query } => pypi_round(checker.check(query).await),
        }
    }
}

/// The channel as the log last recorded it for `probe`: each subdir whose
/// latest fact is an `available` (not followed by a `disappeared`).
fn recorded_report(
    events: &crate::timeline::Events,
    probe: &str,
    current: &ChannelReport,
) -> Option<ChannelReport> {
    use crate::timeline::EventKind;
    let mut latest: BTreeMap<String, Option<&crate::timeline::Event>> = BTreeMap::new();
    for e in events {
        let EventKind::Observed { probe: p, fact } = &e.what else {
            continue;
        };
        if p != probe {
            continue;
        }
        match fact {
            Fact::Available { subdir, .. } => {
                latest.insert(subdir.to_string(), Some(e));
            }
            Fact::Disappeared { subdir, .. } => {
                latest.insert(subdir.to_string(), None);
            }
            _ => {}
        }
    }
    let mut known = current.clone();
    let mut any = false;
    for s in &mut known.subdirs {
        let e = match latest.get(&s.subdir.to_string()) {
            Some(Some(e)) => e,
            Some(None) => {
                s.status = SubdirStatus::NotYet;
                continue;
            }
            // Never recorded: unknown, neither "was there" nor "watched it appear".
            None => {
                s.status = SubdirStatus::Error {
                    url: current.channel_url.clone(),
                    message: "not in the timeline".into(),
                    transient: true,
                };
                continue;
            }
        };
        let EventKind::Observed {
            fact: Fact::Available {
                build, file_name, ..
            },
            ..
        } = &e.what
        else {
            continue;
        };
        let url = e
            .link
            .as_deref()
            .and_then(|l| url::Url::parse(l).ok())
            .unwrap_or_else(|| current.channel_url.clone());
        s.status = SubdirStatus::Available {
            build: build.to_string(),
            file_name: file_name.to_string(),
            url,
            timestamp: Some(e.at),
            first_seen: e.observed_at,
            records: 1,
        };
        any = true;
    }
    any.then_some(known)
}

/// `previous`: the last round, when there was one. A subdir that had not the
/// version then and has it now was watched appearing: its `first_seen` is
/// recorded beside the upload time.
fn channel_round(report: &ChannelReport, previous: Option<&ChannelReport>) -> Round {
    let mut observations = Vec::new();
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    for s in &report.subdirs {
        match &s.status {
            SubdirStatus::Available {
                build,
                file_name,
                url,
                timestamp,
                first_seen,
                ..
            } => {
                let at = timestamp.unwrap_or(*first_seen);
                let watched_appear = previous.is_some_and(|p| {
                    p.subdirs
                        .iter()
                        .any(|b| b.subdir == s.subdir && matches!(b.status, SubdirStatus::NotYet))
                });
                parts.push(format!("{} ✔ {}", s.subdir, at.format("%m-%d %H:%M")));
                observations.push(Observation {
                    fact: Fact::Available {
                        channel: report.channel_name.clone().into(),
                        package: report.package.clone().into(),
                        version: report.version.clone().into(),
                        subdir: s.subdir.to_string().into(),
                        build: build.clone().into(),
                        file_name: file_name.clone().into(),
                        first_seen: watched_appear.then_some(*first_seen),
                    },
                    at,
                    link: Some(super::redact(url.as_str())),
                });
            }
            SubdirStatus::NotYet => parts.push(format!("{} not yet", s.subdir)),
            SubdirStatus::Error { url, message, .. } => {
                parts.push(format!("{} error", s.subdir));
                errors.push(super::redact(&format!("{url}: {message}")));
            }
        }
    }
    Round {
        observations,
        summary: format!("{}: {}", report.channel_name, parts.join(" · ")),
        answered: errors.len() < report.subdirs.len(),
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        complete: report.fully_available(),
    }
}

fn red_observation(red: RedEvent) -> Observation {
    match red {
        RedEvent::Disappeared {
            channel,
            package,
            version,
            subdir,
            url,
            noticed_at,
            ..
        } => Observation {
            fact: Fact::Disappeared {
                channel: channel.into(),
                package: package.into(),
                version: version.into(),
                subdir: subdir.to_string().into(),
            },
            at: noticed_at,
            link: Some(super::redact(url.as_str())),
        },
        RedEvent::MarkedBroken {
            channel,
            package,
            version,
            subdir,
            url,
            noticed_at,
            ..
        } => Observation {
            // Recorded under the channel the crew watches, not the label.
            fact: Fact::LabelledBroken {
                channel: channel
                    .split("/label/")
                    .next()
                    .unwrap_or(&channel)
                    .to_string()
                    .into(),
                package: package.into(),
                version: version.into(),
                subdir: subdir.to_string().into(),
            },
            at: noticed_at,
            link: Some(super::redact(url.as_str())),
        },
    }
}

fn pypi_round(report: super::pypi::PypiReport) -> Round {
    match report.status {
        PypiStatus::NotYet => Round {
            observations: vec![],
            summary: format!("{} {} not on PyPI yet", report.package, report.version),
            error: None,
            answered: true,
            complete: false,
        },
        PypiStatus::Uploaded {
            uploaded_at,
            release_url,
            files,
            yanked,
            yanked_reason,
            first_seen,
        } => {
            let mut observations = vec![Observation {
                fact: Fact::PypiUploaded {
                    package: report.package.clone().into(),
                    version: report.version.clone().into(),
                    files: files.len(),
                },
                at: uploaded_at,
                link: Some(release_url.to_string()),
            }];
            if yanked {
                observations.push(Observation {
                    fact: Fact::PypiYanked {
                        package: report.package.clone().into(),
                        version: report.version.clone().into(),
                        reason: yanked_reason.map(Into::into),
                    },
                    at: first_seen.max(uploaded_at),
                    link: Some(release_url.to_string()),
                });
            }
            Round {
                observations,
                summary: format!(
                    "{} {} on PyPI since {} ({} files){}",
                    report.package,
                    report.version,
                    uploaded_at.format("%m-%d %H:%M"),
                    files.len(),
                    if yanked { " — YANKED" } else { "" }
                ),
                error: None,
                answered: true,
                complete: true,
            }
        }
        PypiStatus::Error { url, message, .. } => Round {
            observations: vec![],
            summary: format!("{} {}: error", report.package, report.version),
            error: Some(super::redact(&format!("{url}: {message}"))),
            answered: false,
            complete: false,
        },
    }
}

#[allow(clippy::too_many_arguments)]
async fn watch_one(
    spec: ProbeSpec,
    mut source: Source,
    log: Store,
    clock: Clock,
    tx: mpsc::Sender<ProbeMsg>,
    interval: Duration,
    opts: SchedulerOptions,
    mut stopped: watch::Receiver<bool>,
) {
    let id = spec.id();
    let mut failures: u32 = 0;
    let mut last_ok: Option<DateTime<Utc>> = None;
    let mut summary: Option<String> = None;
    let mut teller = super::clock::Teller::default();
    loop {
        // Quitting never waits for a slow or retrying check.
        let round = tokio::select! {
            round = source.poll(&log, &id) => round,
            _ = stopped.changed() => return,
        };
        if let Some((name, date, local)) = source.source_date()
            && let Some(r) = teller.reading(&name, date, local)
            && tx.send(ProbeMsg::Clock(r)).await.is_err()
        {
            return;
        }
        let now = clock.now();
        let mut error = round.error.clone();
        let seen = round
            .observations
            .into_iter()
            .map(|o| (o.fact, o.at, o.link))
            .collect();
        let (recorded, log_error) = log.observe_all_async(id.clone(), seen).await;
        if let Some(e) = log_error {
            error = Some(format!("cannot record what it saw: {e}"));
        }
        match &error {
            None => {
                failures = 0;
                last_ok = Some(now);
                summary = Some(round.summary);
            }
            Some(_) => {
                failures += 1;
                // Keep the last good summary; the error says what is wrong now.
                if summary.is_none() {
                    summary = Some(round.summary);
                }
            }
        }
        let wait = match (&error, round.answered, round.complete) {
            (Some(_), false, _) => failure_backoff(interval, failures, opts.max_backoff),
            (_, _, true) => interval.saturating_mul(SETTLED_FACTOR),
            _ => interval,
        };
        for e in recorded {
            if tx.send(ProbeMsg::Recorded(Box::new(e))).await.is_err() {
                return;
            }
        }
        let report = ProbeReport {
            probe: id.clone(),
            health: if error.is_some() {
                health_for(failures)
            } else {
                Health::Healthy
            },
            last_ok,
            error,
            summary: summary.clone(),
            next_poll: (!opts.once)
                .then(|| now + chrono::Duration::from_std(wait).unwrap_or_default()),
        };
        if tx.send(ProbeMsg::Report(report)).await.is_err() || opts.once {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
    }
}

fn failing(spec: &ProbeSpec, error: String) -> ProbeReport {
    ProbeReport {
        probe: spec.id(),
        health: Health::Failing,
        last_ok: None,
        error: Some(error),
        summary: None,
        next_poll: None,
    }
}

async fn fail_all(
    specs: &[ProbeSpec],
    which: impl Fn(&ProbeSpec) -> bool,
    error: &str,
    tx: &mpsc::Sender<ProbeMsg>,
) {
    for spec in specs.iter().filter(|s| which(s)) {
        let _ = tx
            .send(ProbeMsg::Report(failing(spec, error.to_string())))
            .await;
    }
}
