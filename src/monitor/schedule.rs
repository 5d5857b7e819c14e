//! When suites run: each suite has a loop of its own that runs it with the run engine
//! (`run::run`, one suite a tick) every interval plus a random jitter, so suites do not all
//! start at once. A suite never runs twice at once (a lock per suite name, kept across
//! reloads), and at most `--jobs` suites run at a time (one semaphore for all). The results go
//! to the same event stream, whose reporter is the monitor's feed.

use crate::browser::Browsers;
use crate::event::Event;
use crate::redact::Redactor;
use crate::run::{self, Cancel, RunOptions};
use crate::suite::Suite;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What every suite loop shares.
pub struct Shared {
    pub opts: RunOptions,
    pub redactor: Redactor,
    pub events: UnboundedSender<Event>,
    /// Interrupts running checks: only once the grace after SIGTERM has passed.
    pub cancel: Cancel,
    pub browsers: Arc<Browsers>,
    pub every: Duration,
    /// `None`: a tenth of each suite's interval.
    pub jitter: Option<Duration>,
    pub slots: Arc<tokio::sync::Semaphore>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Shared {
    /// Everything a suite loop needs; `jobs` bounds the suites running at once.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        opts: RunOptions,
        redactor: Redactor,
        events: UnboundedSender<Event>,
        cancel: Cancel,
        browsers: Arc<Browsers>,
        every: Duration,
        jitter: Option<Duration>,
        jobs: usize,
    ) -> Shared {
        Shared {
            slots: Arc::new(tokio::sync::Semaphore::new(jobs.max(1))),
            opts,
            redactor,
            events,
            cancel,
            browsers,
            every,
            jitter,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The lock that keeps two runs of one suite apart, also across a reload.
    fn lock_for(&self, suite: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.locks.lock() {
            Ok(mut m) => m.entry(suite.to_string()).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }
}

/// The running suite loops.
pub struct Scheduler {
    shared: Arc<Shared>,
    loops: Vec<(CancellationToken, JoinHandle<()>)>,
}

impl Scheduler {
    /// A scheduler running nothing yet ([`Scheduler::set`] gives it suites).
    pub fn new(shared: Shared) -> Scheduler {
        Scheduler { shared: Arc::new(shared), loops: Vec::new() }
    }

    /// Runs these suites from now on; the loops of the previous set finish the run they are in
    /// and stop.
    pub fn set(&mut self, suites: Vec<Arc<Suite>>) {
        for (stop, _) in &self.loops {
            stop.cancel();
        }
        self.loops.retain(|(_, h)| !h.is_finished());
        for s in suites {
            let stop = CancellationToken::new();
            let handle = tokio::spawn(suite_loop(s, self.shared.clone(), stop.clone()));
            self.loops.push((stop, handle));
        }
    }

    /// Stops scheduling; running checks get `grace` to finish, then are interrupted (their
    /// teardowns get the teardown grace). Returns whether everything finished within grace.
    pub async fn stop(mut self, grace: Duration) -> bool {
        for (stop, _) in &self.loops {
            stop.cancel();
        }
        let handles: Vec<JoinHandle<()>> = self.loops.drain(..).map(|(_, h)| h).collect();
        let all = futures_util::future::join_all(handles);
        tokio::pin!(all);
        if tokio::time::timeout(grace, &mut all).await.is_ok() {
            return true;
        }
        self.shared.cancel.interrupt(crate::result::Interruption::Signal);
        let teardowns = self.shared.opts.teardown_grace + Duration::from_secs(1);
        if tokio::time::timeout(teardowns, &mut all).await.is_err() {
            self.shared.cancel.teardowns.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), &mut all).await;
        }
        false
    }
}

/// Runs one suite every interval (plus jitter) until `stop`; a run in progress is finished.
async fn suite_loop(suite: Arc<Suite>, shared: Arc<Shared>, stop: CancellationToken) {
    let every = suite.monitor.every.unwrap_or(shared.every);
    // Runs start within ±half the jitter of the interval, so on average at the interval.
    let jitter = shared.jitter.unwrap_or(every / 10).min(every);
    let mut rng = Jitter::new(&suite.name);
    // The first run too is spread (over at most 10s), so that a start or a reload does not run
    // every suite in the same moment.
    let mut next = tokio::time::Instant::now() + rng.within(jitter.min(Duration::from_secs(10)));
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = stop.cancelled() => return,
        }
        let started = tokio::time::Instant::now();
        let lock = shared.lock_for(&suite.name);
        let guard = tokio::select! {
            g = lock.lock_owned() => g,
            _ = stop.cancelled() => return,
        };
        let slot = tokio::select! {
            s = shared.slots.clone().acquire_owned() => s,
            _ = stop.cancelled() => return,
        };
        run::run(
            vec![suite.clone()],
            shared.opts.clone(),
            shared.redactor.clone(),
            shared.events.clone(),
            shared.cancel.clone(),
            shared.browsers.clone(),
        )
        .await;
        drop(slot);
        drop(guard);
        next = started + every - jitter / 2 + rng.within(jitter);
        // A run longer than the interval: the next starts at once, not in a burst of catch-ups.
        next = next.max(tokio::time::Instant::now());
    }
}

/// A small xorshift generator, seeded from the time and the suite's name: jitter needs no
/// more than that.
struct Jitter(u64);

impl Jitter {
    fn new(name: &str) -> Jitter {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let mut seed = (nanos as u64) ^ 0x9e37_79b9_7f4a_7c15;
        for b in name.bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        Jitter(seed | 1)
    }

    /// A duration from zero to `max`.
    fn within(&mut self, max: Duration) -> Duration {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        max.mul_f64((x >> 11) as f64 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::Jitter;
    use std::time::Duration;

    #[test]
    fn jitter_stays_within_its_bound() {
        let mut j = Jitter::new("storefront");
        let max = Duration::from_secs(6);
        let all: Vec<Duration> = (0..1000).map(|_| j.within(max)).collect();
        assert!(all.iter().all(|d| *d <= max));
        assert!(all.iter().any(|d| *d < Duration::from_secs(1)) && all.iter().any(|d| *d > Duration::from_secs(5)));
    }
}
