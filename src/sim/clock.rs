//! The simulated clock.
//!
//! Sim time runs `speed` times faster than real time, measured from a
//! [`tokio::time::Instant`]. Using tokio's instant (and not `std`'s) is what
//! makes scenario timing testable: under `tokio::time::pause()` the clock only
//! moves when a test calls `tokio::time::advance`.

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

/// A clock that maps real (tokio) time onto scenario time.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    start: DateTime<Utc>,
    speed: f64,
    anchor: Instant,
}

impl SimClock {
    /// A clock reading `start` now and advancing `speed` sim seconds per real second.
    ///
    /// A non-finite or non-positive speed is treated as 1.0 so the clock always moves forward.
    pub(crate) fn new(start: DateTime<Utc>, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Self {
            start,
            speed,
            anchor: Instant::now(),
        }
    }

    /// The scenario's start time.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Sim seconds per real second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The current sim time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let real = self.anchor.elapsed().as_secs_f64();
        // Whole milliseconds: record timestamps are milliseconds anyway, and it keeps
        // the arithmetic far away from TimeDelta's overflow bounds.
        let sim_ms = (real * self.speed * 1000.0).min(1e15) as i64;
        self.start + TimeDelta::milliseconds(sim_ms)
    }

    /// How long, in real time, until the sim clock reads `at` (zero if already past).
    pub fn real_until(&self, at: DateTime<Utc>) -> std::time::Duration {
        let sim = (at - self.now()).num_milliseconds();
        if sim <= 0 {
            return std::time::Duration::ZERO;
        }
        // A vanishingly slow clock can make this infinite: saturate instead of panicking.
        std::time::Duration::try_from_secs_f64(sim as f64 / 1000.0 / self.speed)
            .unwrap_or(std::time::Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sim_clock_follows_paused_tokio_time_at_speed() {
        let start = DateTime::parse_from_rfc3339("2026-11-10T13:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .expect("valid literal");
        let clock = SimClock::new(start, 60.0);
        assert_eq!(clock.now(), start);
        tokio::time::advance(std::time::Duration::from_secs(10)).await;
        assert_eq!(clock.now(), start + TimeDelta::minutes(10));
        assert_eq!(
            clock.real_until(start + TimeDelta::minutes(11)),
            std::time::Duration::from_secs(1)
        );
    }
}
