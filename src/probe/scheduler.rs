//! The probe scheduler: runs every probe of a plan in the background and
//! reports to the cockpit as [`ProbeMsg`]s.
//!
//! GitHub discipline (reference.md, "GitHub REST"):
//! - one request at a time across all GitHub probes (one worker task polls
//!   them in turn), so at most one request per probe is ever in flight and a
//!   poll that comes due while another runs simply waits its turn — it is never
//!   queued twice;
//! - per-probe intervals with ±10 % jitter; a probe that reached its final
//!   state stops (the radar never does);
//! - quota exhausted → everyone waits until `x-ratelimit-reset` + 1 s;
//!   secondary limit → `retry-after`, or at least 60 s, doubling while it lasts;
//! - 5xx, timeouts, drops, unreadable bodies → that probe backs off
//!   exponentially and turns Degraded, then Failing, keeping its last good word;
//! - without a token the intervals stretch to fit 60 requests an hour.
//!
//! Times: waits come from `tokio::time`, so tests run on a paused clock. Times
//! that come from GitHub (`x-ratelimit-reset`, `retry-after`) are on the
//! release's [`Clock`]; a scaled clock (the demo) divides them by its speed.

use super::github::{GithubProbe, PollContext};
use super::{DEFAULT_INTERVAL, Health, ProbeMsg, ProbeReport, ProbeSpec, Quota};
use crate::checklist::Plan;
use crate::config::Config;
use crate::github::{GhError, GithubClient};
use crate::store::Store;
use crate::timeline::{Clock, EventKind, Fact};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// What a channel or PyPI probe reports while this build has no source for it.
pub(crate) const NOT_POLLED: &str = "not polled by this build";

/// Consecutive failures after which a probe is Failing rather than Degraded.
pub(crate) const FAILING_AFTER: u32 = 3;

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Time between two polls of one probe.
    pub interval: Duration,
    /// ± fraction of the interval, so probes drift apart instead of firing together.
    pub jitter: f64,
    /// Poll every probe exactly once, without waiting for backoffs, then stop (`poll --once`).
    pub once: bool,
    /// The longest a failing probe waits between tries.
    pub max_backoff: Duration,
    /// How often the ETag cache is written to disk while running.
    pub save_every: Duration,
    /// Per-probe intervals (by [`ProbeSpec::id`]) that override `interval`,
    /// from the checklist's `interval = "30s"`.
    pub intervals: HashMap<String, Duration>,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            interval: DEFAULT_INTERVAL,
            jitter: 0.1,
            once: false,
            max_backoff: Duration::from_secs(600),
            save_every: Duration::from_secs(60),
            intervals: HashMap::new(),
        }
    }
}

/// A running scheduler. Dropping it stops the scheduler too.
#[derive(Debug)]
pub struct SchedulerHandle {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl SchedulerHandle {
    /// Asks the scheduler to stop; a request in flight is abandoned.
    pub(crate) fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits until the scheduler has ended (after [`stop`](Self::stop), or by
    /// itself when every probe is finished or, with `once`, has answered).
    pub async fn join(mut self) {
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// Stops and waits.
    pub async fn shutdown(self) {
        self.stop();
        self.join().await;
    }
}

impl Drop for SchedulerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Runs every probe of the plan until stopped; reports on `tx`.
pub(crate) fn spawn(
    plan: &Plan,
    log: Store,
    config: &Config,
    clock: Clock,
    tx: mpsc::Sender<ProbeMsg>,
) -> SchedulerHandle {
    spawn_plan(plan, log, config, clock, tx, SchedulerOptions::default())
}

/// [`spawn`] with options (`once` for `poll --once`).
pub(crate) fn spawn_plan(
    plan: &Plan,
    log: Store,
    config: &Config,
    clock: Clock,
    tx: mpsc::Sender<ProbeMsg>,
    mut opts: SchedulerOptions,
) -> SchedulerHandle {
    let probes: Vec<ProbeSpec> = plan.probes().into_iter().cloned().collect();
    for step in &plan.steps {
        if let (Some(p), Some(i)) = (&step.probe, step.probe_interval) {
            opts.intervals.entry(p.id()).or_insert(i);
        }
    }
    // The process's client for the host: the crew sync shares its rate budget.
    let client = crate::github::client_for(config);
    spawn_with_config(probes, client, log, clock, tx, opts, config)
}

/// [`spawn_with`] for a whole cockpit: `config` says where channel and PyPI
/// probes look (channel URLs, the PyPI base, the cache directory).
pub fn spawn_with_config(
    probes: Vec<ProbeSpec>,
    client: Result<Arc<GithubClient>, GhError>,
    log: Store,
    clock: Clock,
    tx: mpsc::Sender<ProbeMsg>,
    opts: SchedulerOptions,
    config: &Config,
) -> SchedulerHandle {
    let sources = super::sources::SourceConfig::from_config(config);
    spawn_inner(probes, client, log, clock, tx, opts, Some(sources))
}

/// Runs the given probes with the given client (tests and benchmarks point it at the sim).
/// A client that could not be built turns every GitHub probe Failing with its error.
pub fn spawn_with(
    probes: Vec<ProbeSpec>,
    client: Result<Arc<GithubClient>, GhError>,
    log: Store,
    clock: Clock,
    tx: mpsc::Sender<ProbeMsg>,
    opts: SchedulerOptions,
) -> SchedulerHandle {
    spawn_inner(probes, client, log, clock, tx, opts, None)
}

/// Runs the GitHub worker and, when `sources` says where to look, the channel
/// and PyPI probes beside it (without it they are reported as not polled).
fn spawn_inner(
    probes: Vec<ProbeSpec>,
    client: Result<Arc<GithubClient>, GhError>,
    log: Store,
    clock: Clock,
    tx: mpsc::Sender<ProbeMsg>,
    opts: SchedulerOptions,
    sources: Option<super::sources::SourceConfig>,
) -> SchedulerHandle {
    let (stop, stopped) = watch::channel(false);
    let timebase = Timebase::new(&clock);
    let task = tokio::spawn(async move {
        let (github, others): (Vec<ProbeSpec>, Vec<ProbeSpec>) =
            probes.into_iter().partition(ProbeSpec::is_github);
        let others_task = match sources {
            Some(sources) => Some(tokio::spawn(super::sources::run(
                others,
                sources,
                log.clone(),
                clock.clone(),
                tx.clone(),
                opts.clone(),
                stopped.clone(),
            ))),
            None => {
                if dispatch_other_sources(&others, &tx).await.is_err() {
                    return;
                }
                None
            }
        };
        match client {
            Ok(client) => {
                let worker = Worker::new(github, client, log, timebase, tx, opts);
                worker.run(stopped).await;
            }
            Err(e) => {
                for spec in github {
                    let report = ProbeReport {
                        probe: spec.id(),
                        health: Health::Failing,
                        last_ok: None,
                        error: Some(e.to_string()),
                        summary: None,
                        next_poll: None,
                    };
                    if tx.send(ProbeMsg::Report(report)).await.is_err() {
                        return;
                    }
                }
            }
        }
        if let Some(t) = others_task {
            let _ = t.await;
        }
    });
    SchedulerHandle {
        stop,
        task: Some(task),
    }
}

/// Without a config (GitHub-only tests and benchmarks), channel and PyPI
/// probes are reported as not polled rather than silently left out.
async fn dispatch_other_sources(
    specs: &[ProbeSpec],
    tx: &mpsc::Sender<ProbeMsg>,
) -> Result<(), ()> {
    for spec in specs {
        let report = ProbeReport {
            probe: spec.id(),
            health: Health::Degraded,
            last_ok: None,
            error: Some(format!(
                "{NOT_POLLED} ({} probes come with the {} source)",
                spec.kind(),
                spec.kind()
            )),
            summary: None,
            next_poll: None,
        };
        tx.send(ProbeMsg::Report(report)).await.map_err(|_| ())?;
    }
    Ok(())
}

/// Maps tokio time onto the release's clock, so tests on a paused tokio clock
/// and the demo's scaled clock agree with the world they watch.
#[derive(Debug, Clone, Copy)]
struct Timebase {
    at_start: DateTime<Utc>,
    start: Instant,
    speed: f64,
}

impl Timebase {
    fn new(clock: &Clock) -> Timebase {
        let speed = match clock {
            Clock::Scaled { speed, .. } if speed.is_finite() && *speed > 0.0 => *speed,
            // A fixed clock (tests) starts at its instant and follows tokio time.
            _ => 1.0,
        };
        Timebase {
            at_start: clock.now(),
            start: Instant::now(),
            speed,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.at(Instant::now())
    }

    fn at(&self, i: Instant) -> DateTime<Utc> {
        let ms = (i.saturating_duration_since(self.start).as_secs_f64() * self.speed * 1000.0)
            .min(1e15) as i64;
        self.at_start + chrono::TimeDelta::milliseconds(ms)
    }

    /// A duration on the release's clock, in tokio time.
    fn real(&self, d: Duration) -> Duration {
        // Saturate rather than panic on an extreme speed.
        Duration::try_from_secs_f64(d.as_secs_f64() / self.speed).unwrap_or(Duration::MAX)
    }
}

/// Backoff after `failures` consecutive failures of one probe: the interval
/// doubled per failure, capped.
pub(crate) fn failure_backoff(interval: Duration, failures: u32, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.min(16));
    interval
        .saturating_mul(factor)
        .min(max)
        .max(interval.min(max))
}

/// Wait after the `strikes`-th secondary-limit answer in a row: `retry-after`
/// when given, else at least 60 s; doubled for every strike after the first,
/// capped at 30 min — but never shorter than what GitHub asked for.
pub(crate) fn secondary_backoff(retry_after: Option<Duration>, strikes: u32) -> Duration {
    let base = retry_after.unwrap_or(Duration::from_secs(60));
    let doubled = base.saturating_mul(2u32.saturating_pow(strikes.saturating_sub(1).min(16)));
    doubled.min(Duration::from_secs(1800)).max(base)
}

/// Wait until a quota reset, plus a second (GitHub's reset is a whole second
/// and clocks drift); at least a second, at most the hour a window lasts.
pub(crate) fn quota_wait(reset: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let until = (reset - now).to_std().unwrap_or(Duration::ZERO) + Duration::from_secs(1);
    until.clamp(Duration::from_secs(1), Duration::from_secs(3601))
}

/// The interval that fits `probes` probes into `per_hour` requests (assuming
/// two requests a poll and keeping a fifth in reserve), or `interval` if larger.
pub(crate) fn budget_interval(interval: Duration, probes: usize, per_hour: u32) -> Duration {
    let usable = f64::from(per_hour.max(1)) * 0.8;
    let needed = Duration::from_secs_f64(3600.0 * probes as f64 * 2.0 / usable);
    interval.max(needed)
}

/// Health from consecutive failures.
pub(crate) fn health_for(failures: u32) -> Health {
    match failures {
        0 => Health::Healthy,
        f if f < FAILING_AFTER => Health::Degraded,
        _ => Health::Failing,
    }
}

struct Slot {
    id: String,
    /// This probe's interval (before the unauthenticated stretch).
    interval: Duration,
    probe: GithubProbe,
    due: Instant,
    failures: u32,
    polled: bool,
    finished: bool,
    last_ok: Option<DateTime<Utc>>,
    summary: Option<String>,
    error: Option<String>,
    health: Health,
}

struct Worker {
    slots: Vec<Slot>,
    client: Arc<GithubClient>,
    log: Store,
    tb: Timebase,
    tx: mpsc::Sender<ProbeMsg>,
    opts: SchedulerOptions,
    /// Without a token, the shortest interval that fits the hourly budget.
    stretch: Option<Duration>,
    hold_until: Option<Instant>,
    strikes: u32,
    last_quota: Option<Quota>,
    /// GitHub's clock against the release's, as last told to the cockpit.
    clock: super::clock::Teller,
}

impl Worker {
    fn new(
        specs: Vec<ProbeSpec>,
        client: Arc<GithubClient>,
        log: Store,
        tb: Timebase,
        tx: mpsc::Sender<ProbeMsg>,
        opts: SchedulerOptions,
    ) -> Worker {
        let now = Instant::now();
        let slots: Vec<Slot> = specs
            .into_iter()
            .filter_map(GithubProbe::new)
            .map(|probe| Slot {
                interval: opts
                    .intervals
                    .get(&probe.spec().id())
                    .copied()
                    .unwrap_or(opts.interval),
                id: probe.spec().id(),
                probe,
                due: now,
                failures: 0,
                polled: false,
                finished: false,
                last_ok: None,
                summary: None,
                error: None,
                health: Health::Healthy,
            })
            .collect();
        // Unauthenticated: 60 requests an hour for everything, 304s included.
        let stretch =
            (!client.authenticated()).then(|| budget_interval(opts.interval, slots.len(), 60));
        Worker {
            slots,
            client,
            log,
            tb,
            tx,
            opts,
            stretch,
            hold_until: None,
            strikes: 0,
            last_quota: None,
            clock: super::clock::Teller::default(),
        }
    }

    fn jittered(&self, d: Duration) -> Duration {
        let j = self.opts.jitter.clamp(0.0, 0.9);
        d.mul_f64(1.0 + j * (fastrand::f64() * 2.0 - 1.0))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut last_save = Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            let next = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| !(s.finished || (self.opts.once && s.polled)))
                .min_by_key(|(_, s)| s.due)
                .map(|(i, _)| i);
            let Some(i) = next else { break };
            if !self.opts.once {
                let mut wake = self.slots[i].due;
                if let Some(h) = self.hold_until {
                    wake = wake.max(h);
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(wake) => {}
                    _ = stop.changed() => break,
                }
            }
            let ctx = self.context(self.slots[i].probe.spec());
            let result = tokio::select! {
                r = self.slots[i].probe.poll(&self.client, &ctx) => r,
                _ = stop.changed() => break,
            };
            if self.after_poll(i, result).await.is_err() {
                break;
            }
            if last_save.elapsed() >= self.opts.save_every {
                // Best effort: a cache that cannot be saved only costs requests next time.
                let _ = self.client.save_cache();
                last_save = Instant::now();
            }
        }
        let _ = self.client.save_cache();
    }

    /// What a poll needs from the log: now, and the radar's cutoff.
    fn context(&self, spec: &ProbeSpec) -> PollContext {
        let now = self.tb.now();
        let radar_since = match spec {
            ProbeSpec::IssuesMentioning { repo, version } => self
                .log
                .with_events(|events| radar_since(events, repo, version)),
            _ => None,
        };
        PollContext {
            now: Some(now),
            radar_since,
        }
    }

    /// Records what a poll saw, decides when the probe polls next, reports.
    async fn after_poll(
        &mut self,
        i: usize,
        result: Result<super::github::PollOutcome, GhError>,
    ) -> Result<(), ()> {
        let now = Instant::now();
        let mut recorded = Vec::new();
        if let Some((date, arrived)) = self.client.source_date()
            && let Some(r) = self.clock.reading("GitHub", date, self.tb.at(arrived))
        {
            self.tx.send(ProbeMsg::Clock(r)).await.map_err(|_| ())?;
        }
        let quota = self.client.quota();
        if quota.is_some() && quota != self.last_quota {
            self.last_quota = quota;
            if let Some(q) = quota {
                self.tx.send(ProbeMsg::Quota(q)).await.map_err(|_| ())?;
            }
        }
        let interval = self
            .stretch
            .map_or(self.slots[i].interval, |s| s.max(self.slots[i].interval));
        let slot_failures = self.slots[i].failures;
        match result {
            Ok(out) => {
                self.strikes = 0;
                let seen = out
                    .observations
                    .into_iter()
                    .map(|o| (o.fact, o.at, o.link))
                    .collect();
                let (new, error) = self
                    .log
                    .observe_all_async(self.slots[i].id.clone(), seen)
                    .await;
                recorded = new;
                let log_error = error.map(|e| format!("cannot record what it saw: {e}"));
                let due = now + self.jittered(interval);
                let slot = &mut self.slots[i];
                slot.polled = true;
                slot.due = due;
                slot.summary = Some(out.summary);
                match log_error {
                    // Seen but not recorded: poll again, and say so in red.
                    Some(e) => {
                        slot.failures += 1;
                        slot.error = Some(e);
                        slot.health = Health::Failing;
                    }
                    None => {
                        slot.failures = 0;
                        slot.error = None;
                        slot.last_ok = Some(self.tb.at(now));
                        slot.finished = out.finished;
                        slot.health = if out.finished {
                            Health::Finished
                        } else {
                            Health::Healthy
                        };
                    }
                }
                self.guard_quota(quota);
            }
            Err(e) => {
                let message = self.client.redact(&e.to_string());
                let mut failures = slot_failures;
                let mut due = self.slots[i].due;
                let health = match &e {
                    GhError::QuotaExhausted { reset, .. } => {
                        let wait = quota_wait(*reset, self.github_now());
                        self.hold(now + self.tb.real(wait));
                        Health::Degraded
                    }
                    GhError::SecondaryLimit { retry_after, .. } => {
                        self.strikes += 1;
                        let wait = secondary_backoff(*retry_after, self.strikes);
                        self.hold(now + self.tb.real(wait));
                        Health::Degraded
                    }
                    e if e.is_transient() => {
                        failures += 1;
                        due = now
                            + self.jittered(failure_backoff(
                                interval,
                                failures,
                                self.opts.max_backoff,
                            ));
                        health_for(failures)
                    }
                    // Refused token, missing repository, bad request: a person must act.
                    _ => {
                        failures += 1;
                        due = now + failure_backoff(interval, failures, self.opts.max_backoff);
                        Health::Failing
                    }
                };
                let slot = &mut self.slots[i];
                slot.polled = true;
                slot.failures = failures;
                slot.due = due;
                slot.error = Some(message);
                slot.health = health;
            }
        }
        for e in recorded {
            self.tx
                .send(ProbeMsg::Recorded(Box::new(e)))
                .await
                .map_err(|_| ())?;
        }
        let report = self.report(i);
        self.tx.send(ProbeMsg::Report(report)).await.map_err(|_| ())
    }

    /// Now on GitHub's clock: `x-ratelimit-reset` is GitHub's time, not ours.
    /// An offset within `Date`'s own jitter is no offset.
    fn github_now(&self) -> DateTime<Utc> {
        let off = self.clock.offset().unwrap_or_default();
        if off.abs() < super::clock::CLOCK_JITTER {
            self.tb.now()
        } else {
            self.tb.now() + off
        }
    }

    fn hold(&mut self, until: Instant) {
        self.hold_until = Some(self.hold_until.map_or(until, |h| h.max(until)));
    }

    /// Stop before the quota runs dry: with almost nothing left, wait for the reset.
    fn guard_quota(&mut self, quota: Option<Quota>) {
        let Some(q) = quota else { return };
        let reserve = (q.limit / 100).max(2);
        if q.remaining <= reserve && q.reset > self.github_now() {
            let wait = quota_wait(q.reset, self.github_now());
            self.hold(Instant::now() + self.tb.real(wait));
        }
    }

    fn report(&self, i: usize) -> ProbeReport {
        let s = &self.slots[i];
        let next = (!s.finished && !self.opts.once).then(|| {
            let due = self.hold_until.map_or(s.due, |h| h.max(s.due));
            self.tb.at(due)
        });
        ProbeReport {
            probe: s.id.clone(),
            health: s.health,
            last_ok: s.last_ok,
            error: s.error.clone(),
            summary: s.summary.clone(),
            next_poll: next,
        }
    }
}

/// The radar's cutoff: the release's first public moment — the earliest tag
/// or published GitHub release of the version on any of its repositories —
/// whatever repository the radar watches, so a late joiner still sees the
/// bugs filed before they joined. Before anything is public: when the release
/// was started.
pub(crate) fn radar_since(
    events: &crate::timeline::Events,
    _repo: &str,
    version: &str,
) -> Option<DateTime<Utc>> {
    let names_version = |tag: &str| {
        tag == version
            || tag.trim_start_matches(['v', 'V']) == version
            || tag.ends_with(&format!("-{version}"))
    };
    let public = events
        .iter()
        .filter_map(|e| match &e.what {
            EventKind::Observed {
                fact: Fact::ReleasePublished { tag, .. } | Fact::TagPushed { tag, .. },
                ..
            } if names_version(tag) => Some(e.at),
            _ => None,
        })
        .min();
    public.or_else(|| {
        events
            .iter()
            .filter_map(|e| matches!(e.what, EventKind::ReleaseStarted { .. }).then_some(e.at))
            .min()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Events;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time literal")
    }

    fn ev(at: &str, what: EventKind) -> crate::timeline::Event {
        crate::timeline::Event {
            v: 1,
            id: crate::timeline::EventId::from(at),
            author: "jane".into(),
            role: crate::timeline::Role::Pilot,
            seq: 1,
            at: t(at),
            observed_at: t("2026-11-20T09:00:00Z"),
            link: None,
            what,
        }
    }

    #[test]
    fn every_radar_of_a_late_joined_release_looks_from_its_first_public_moment() {
        let tag = |repo: &str, tag: &str| EventKind::Observed {
            probe: "tag".into(),
            fact: Fact::TagPushed {
                repo: repo.into(),
                tag: tag.into(),
                sha: None,
            },
        };
        let events = vec![
            ev("2026-11-01T00:00:00Z", tag("conda/conda", "nightly")),
            ev("2026-11-10T13:30:00Z", tag("conda/conda", "26.11.0")),
            ev(
                "2026-11-10T13:35:00Z",
                EventKind::Observed {
                    probe: "release".into(),
                    fact: Fact::ReleasePublished {
                        repo: "conda/conda".into(),
                        tag: "26.11.0".into(),
                        prerelease: false,
                    },
                },
            ),
            ev(
                "2026-11-20T09:00:00Z",
                EventKind::ReleaseStarted {
                    release: "conda".into(),
                    version: "26.11.0".into(),
                    checklist: "conda.toml".into(),
                },
            ),
        ];
        let shared: Vec<_> = events.into_iter().map(std::sync::Arc::new).collect();
        let late = Events::from(shared[3..].to_vec());
        let all = Events::from(shared);
        // conda-build has no release of its own: still the tag of conda/conda, not the start.
        for repo in ["conda/conda", "conda/conda-build"] {
            assert_eq!(
                radar_since(&all, repo, "26.11.0"),
                Some(t("2026-11-10T13:30:00Z")),
                "{repo}"
            );
        }
        assert_eq!(
            radar_since(&late, "conda/conda-build", "26.11.0"),
            Some(t("2026-11-20T09:00:00Z")),
            "nothing public yet: from the start"
        );
    }

    #[test]
    fn a_failing_probe_backs_off_exponentially_up_to_a_cap() {
        let i = Duration::from_secs(15);
        let max = Duration::from_secs(600);
        let waits: Vec<u64> = (0..8)
            .map(|f| failure_backoff(i, f, max).as_secs())
            .collect();
        assert_eq!(waits, vec![15, 30, 60, 120, 240, 480, 600, 600]);
        assert_eq!(failure_backoff(i, u32::MAX, max), max, "no overflow");
    }

    #[test]
    fn secondary_limits_obey_retry_after_or_wait_a_minute_then_double() {
        let s = |ra: Option<u64>, n| secondary_backoff(ra.map(Duration::from_secs), n).as_secs();
        assert_eq!([s(None, 1), s(None, 2), s(None, 3)], [60, 120, 240]);
        assert_eq!([s(Some(90), 1), s(Some(90), 2)], [90, 180]);
        assert_eq!(s(None, 40), 1800, "capped");
        assert_eq!(s(Some(7200), 3), 7200, "never shorter than GitHub asked");
    }

    #[test]
    fn an_exhausted_quota_waits_for_the_reset_plus_a_second() {
        let now = t("2026-11-10T13:00:00Z");
        assert_eq!(
            quota_wait(t("2026-11-10T13:10:00Z"), now),
            Duration::from_secs(601)
        );
        assert_eq!(
            quota_wait(t("2026-11-10T12:59:00Z"), now),
            Duration::from_secs(1),
            "a reset in the past"
        );
        assert_eq!(
            quota_wait(t("2026-11-11T13:00:00Z"), now),
            Duration::from_secs(3601),
            "a skewed clock"
        );
    }

    #[test]
    fn without_a_token_intervals_stretch_to_sixty_an_hour() {
        let i = Duration::from_secs(15);
        // 10 probes × 2 requests each, 48 usable requests an hour: one round every 25 minutes.
        assert_eq!(budget_interval(i, 10, 60), Duration::from_secs(1500));
        assert_eq!(
            budget_interval(i, 1, 5000),
            i,
            "with a token nothing stretches"
        );
    }

    #[test]
    fn health_degrades_then_fails() {
        assert_eq!(health_for(0), Health::Healthy);
        assert_eq!(health_for(1), Health::Degraded);
        assert_eq!(health_for(FAILING_AFTER), Health::Failing);
    }
}
