//! The world's memory of the requests it served, bounded: a demo at `--speed 3600`
//! serves thousands of requests an hour and must not grow for as long as it runs.

use std::collections::VecDeque;

/// How many requests the world remembers in memory (`--request-log FILE` keeps all).
pub(crate) const REQUEST_LOG_CAP: usize = 10_000;

/// The last `cap` records, and how many were pushed in all.
#[derive(Debug)]
pub(super) struct Bounded<T> {
    recent: VecDeque<T>,
    cap: usize,
    served: u64,
}

impl<T: Clone> Bounded<T> {
    pub(super) fn new(cap: usize) -> Self {
        Bounded {
            recent: VecDeque::new(),
            cap: cap.max(1),
            served: 0,
        }
    }

    pub(super) fn push(&mut self, r: T) {
        if self.recent.len() >= self.cap {
            self.recent.pop_front();
        }
        self.recent.push_back(r);
        self.served += 1;
    }

    /// The records kept, oldest first.
    pub(super) fn recent(&self) -> Vec<T> {
        self.recent.iter().cloned().collect()
    }

    pub(super) fn served(&self) -> u64 {
        self.served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_latest_and_counts_all() {
        let mut log = Bounded::new(3);
        for i in 0..10_000u32 {
            log.push(i);
        }
        assert_eq!(log.recent(), vec![9_997, 9_998, 9_999]);
        assert_eq!(log.served(), 10_000);
        assert!(log.recent.capacity() < 64, "memory stays bounded");
    }
}
