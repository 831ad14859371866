//! The store: the one owner of a release's log in a process.
//!
//! Everyone in the process who writes (the cockpit, the probes, the crew
//! sync) writes through one [`Store`], so there is one file handle, one
//! sequence of per-author numbers, and one place that knows what was
//! recorded. What is recorded — by us, or by another process appending to
//! the same file — reaches [`Store::subscribe`]rs in memory: the file is the
//! record, not the bus.
//!
//! The blocking calls ([`Store::append`], [`Store::observe_all`],
//! [`Store::refresh`]) take the log's file lock and fsync; async callers use
//! the `_async` variants, which run them on tokio's blocking pool so that a
//! slow disk never stalls the cockpit's input task.

use crate::timeline::{Clock, Event, EventLog, Events, Fact, LogError, Permit, Release, Role};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// How many recorded events a slow subscriber may fall behind before it must
/// re-read a snapshot ([`broadcast::error::RecvError::Lagged`]).
const BACKLOG: usize = 4096;

/// A cheap handle (clone it freely) on the release's log.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    log: Mutex<EventLog>,
    tx: broadcast::Sender<Arc<Event>>,
}

impl Store {
    /// Takes ownership of an open log.
    pub fn new(log: EventLog) -> Store {
        let (tx, _) = broadcast::channel(BACKLOG);
        Store {
            inner: Arc::new(Inner {
                log: Mutex::new(log),
                tx,
            }),
        }
    }

    /// Opens the release's log for `seat`: the jump seat follows it read-only.
    pub(crate) fn open(
        release: &Release,
        author: &str,
        seat: Role,
        clock: Clock,
    ) -> color_eyre::Result<Store> {
        Ok(Store::new(release.open_log_for(author, seat, clock)?))
    }

    fn log(&self) -> MutexGuard<'_, EventLog> {
        // A panic while holding the lock cannot leave the log half-written
        // (appends are whole lines, acknowledged after fsync): carry on.
        self.inner
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The events recorded so far, in file order (shared, not copied).
    pub fn snapshot(&self) -> Vec<Arc<Event>> {
        self.log().events().to_vec()
    }

    /// Runs `f` on the events without copying them. `f` must not call the
    /// store (the log stays locked while it runs).
    pub fn with_events<T>(&self, f: impl FnOnce(&Events) -> T) -> T {
        f(self.log().events())
    }

    pub(crate) fn author(&self) -> String {
        self.log().author().to_string()
    }

    /// The seat the log writes as.
    pub(crate) fn seat(&self) -> Role {
        self.log().role()
    }

    /// Moves the seat the log writes as (a handover while the cockpit is open).
    pub(crate) fn set_seat(&self, seat: Role) {
        self.log().set_role(seat);
    }

    /// Events recorded from now on, by anyone in this process or (after a
    /// [`Store::refresh`]) by another process.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.inner.tx.subscribe()
    }

    fn publish(&self, events: &[Arc<Event>]) {
        for e in events {
            // No subscriber is not an error: the record is on disk.
            let _ = self.inner.tx.send(Arc::clone(e));
        }
    }

    /// Appends what the rule book permitted; acknowledged once on disk.
    pub(crate) fn append(&self, permit: Permit) -> Result<Event, LogError> {
        self.append_with(permit, None, None)
    }

    /// Appends with the source's own time and a link.
    pub(crate) fn append_with(
        &self,
        permit: Permit,
        at: Option<DateTime<Utc>>,
        link: Option<String>,
    ) -> Result<Event, LogError> {
        let mut log = self.log();
        let before = log.events().len();
        let result = log.append_with(permit, at, link);
        // Appending first catches up with other writers: publish theirs too.
        let new = log.events().since(before);
        drop(log);
        self.publish(&new);
        result
    }

    /// Records a probe's observations in one go (one lock, one fsync each):
    /// returns what was new, and the first error.
    pub(crate) fn observe_all(
        &self,
        probe: &str,
        seen: Vec<(Fact, DateTime<Utc>, Option<String>)>,
    ) -> (Vec<Event>, Option<LogError>) {
        let mut log = self.log();
        let before = log.events().len();
        let mut recorded = Vec::new();
        let mut error = None;
        for (fact, at, link) in seen {
            match log.observe(probe, fact, Some(at), link) {
                Ok(Some(e)) => recorded.push(e),
                Ok(None) => {}
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        let new = log.events().since(before);
        drop(log);
        self.publish(&new);
        (recorded, error)
    }

    /// [`Store::observe_all`] on the blocking pool.
    pub(crate) async fn observe_all_async(
        &self,
        probe: String,
        seen: Vec<(Fact, DateTime<Utc>, Option<String>)>,
    ) -> (Vec<Event>, Option<LogError>) {
        if seen.is_empty() {
            return (Vec::new(), None);
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.observe_all(&probe, seen))
            .await
            .unwrap_or_else(|e| (Vec::new(), Some(join_failed(e))))
    }

    /// Picks up what other processes appended; returns how many arrived.
    pub(crate) fn refresh(&self) -> Result<usize, LogError> {
        let mut log = self.log();
        let before = log.events().len();
        let n = log.refresh()?;
        let new = log.events().since(before);
        drop(log);
        self.publish(&new);
        Ok(n)
    }

    /// [`Store::append`] on the blocking pool.
    pub(crate) async fn append_async(&self, permit: Permit) -> Result<Event, LogError> {
        let store = self.clone();
        blocking(move || store.append(permit)).await
    }

    /// [`Store::refresh`] on the blocking pool.
    pub(crate) async fn refresh_async(&self) -> Result<usize, LogError> {
        let store = self.clone();
        blocking(move || store.refresh()).await
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LogError> + Send + 'static,
) -> Result<T, LogError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(join_failed(e)))
}

/// A blocking task that panicked or was cancelled: nothing was acknowledged.
fn join_failed(e: tokio::task::JoinError) -> LogError {
    LogError::Io {
        path: String::new(),
        action: "writing the timeline",
        source: std::io::Error::other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Book, EventKind, judge};

    fn clock() -> Clock {
        Clock::Fixed("2026-11-10T14:00:00Z".parse().expect("time"))
    }

    fn note(seat: Role, text: &str) -> Permit {
        judge(
            &Book::without_plan(clock().now()),
            seat,
            EventKind::Note { text: text.into() },
        )
        .confirmed()
        .expect("a note")
    }

    #[tokio::test]
    async fn subscribers_get_what_was_recorded_here_and_elsewhere_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.jsonl");
        let log = EventLog::create(&path, "jane", Role::Pilot, clock()).expect("create");
        let store = Store::new(log);
        let mut rx = store.subscribe();

        let ours = store
            .append_async(note(Role::Pilot, "ours"))
            .await
            .expect("append");
        assert_eq!(rx.recv().await.expect("event").id, ours.id);

        // Another process (`flightdeck note` in a second terminal).
        let (mut other, _) = EventLog::open(&path, "bob", Role::Copilot, clock()).expect("open");
        let theirs = other.append(note(Role::Copilot, "theirs")).expect("append");
        assert_eq!(store.refresh_async().await.expect("refresh"), 1);
        assert_eq!(rx.recv().await.expect("event").id, theirs.id);
        assert_eq!(store.snapshot().len(), 2);
    }

    #[tokio::test]
    async fn a_permit_for_another_seat_is_refused_and_nothing_is_published() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.jsonl");
        let log = EventLog::create(&path, "bob", Role::Copilot, clock()).expect("create");
        let store = Store::new(log);
        let mut rx = store.subscribe();
        assert!(store.append(note(Role::Pilot, "as the pilot")).is_err());
        assert!(rx.try_recv().is_err());
        assert!(store.snapshot().is_empty());
    }
}
