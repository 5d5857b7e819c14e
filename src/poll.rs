//! Waiting for something to become true: one helper for every poll-until loop.

use std::time::{Duration, Instant};

/// Pauses between tries that grow from 50 ms by half each time, up to a cap, until a deadline.
#[derive(Debug)]
pub struct Poll {
    deadline: Instant,
    pause: Duration,
    max_pause: Duration,
}

impl Poll {
    /// Tries for `wait`, pausing at most 500 ms between tries.
    pub fn new(wait: Duration) -> Poll {
        Poll {
            deadline: Instant::now() + wait,
            pause: Duration::from_millis(50),
            max_pause: Duration::from_millis(500),
        }
    }

    /// The same, with another cap on the pause.
    pub fn max_pause(mut self, max: Duration) -> Poll {
        self.max_pause = max;
        self.pause = self.pause.min(max);
        self
    }

    /// Sleeps until the next try. Returns false, without sleeping, when the next try would
    /// come after the deadline: time to give up.
    pub async fn next(&mut self) -> bool {
        if Instant::now() + self.pause > self.deadline {
            return false;
        }
        tokio::time::sleep(self.pause).await;
        self.pause = (self.pause * 3 / 2).min(self.max_pause);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gives_up_at_the_deadline_with_growing_pauses() {
        let t = Instant::now();
        let mut poll = Poll::new(Duration::from_millis(300));
        let mut tries = 1;
        while poll.next().await {
            tries += 1;
        }
        let took = t.elapsed();
        // 50 + 75 + 112 = 237 ms; a fourth pause (168 ms) would pass the deadline.
        assert_eq!(tries, 4);
        assert!(took >= Duration::from_millis(230) && took <= Duration::from_millis(300), "{took:?}");
    }

    #[tokio::test]
    async fn a_zero_wait_tries_once() {
        assert!(!Poll::new(Duration::ZERO).next().await);
    }
}
