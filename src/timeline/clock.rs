//! The time source for new events: the wall clock, or a simulated clock that
//! runs faster (for `flightdeck demo`, where hours of a release pass in minutes).

use chrono::{DateTime, Utc};
use std::time::Instant;

/// Where "now" comes from.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    /// Simulated time: `start` at `origin`, advancing `speed` times faster than real time.
    Scaled {
        start: DateTime<Utc>,
        origin: Instant,
        speed: f64,
    },
    /// A frozen instant (tests).
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn scaled(start: DateTime<Utc>, speed: f64) -> Clock {
        Clock::Scaled {
            start,
            origin: Instant::now(),
            speed,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Scaled {
                start,
                origin,
                speed,
            } => {
                let real = origin.elapsed().as_secs_f64() * speed;
                let sim = chrono::Duration::milliseconds((real * 1000.0) as i64);
                start.checked_add_signed(sim).unwrap_or(*start)
            }
            Clock::Fixed(t) => *t,
        }
    }
}
