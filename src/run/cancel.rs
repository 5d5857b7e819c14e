//! Stopping a run early: SIGINT, SIGTERM or the `--timeout` deadline.

use crate::result::{Interruption, Problem, ProblemType};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The first stage stops checks, the second (a second signal, or the grace period running
/// out) stops teardowns too.
#[derive(Clone, Default)]
pub struct Cancel {
    pub checks: CancellationToken,
    pub teardowns: CancellationToken,
    reason: Arc<Mutex<Option<Interruption>>>,
}

impl Cancel {
    pub fn interrupt(&self, why: Interruption) {
        if let Ok(mut r) = self.reason.lock()
            && r.is_none()
        {
            *r = Some(why);
        }
        self.checks.cancel();
    }

    pub fn reason(&self) -> Option<Interruption> {
        self.reason.lock().ok().and_then(|r| *r)
    }
}

/// Runs `fut` unless `token` is cancelled first, which is an `interrupted` error.
pub async fn cancellable(
    token: &CancellationToken,
    fut: impl Future<Output = Result<(), Problem>>,
) -> Result<(), Problem> {
    tokio::select! {
        r = fut => r,
        _ = token.cancelled() => Err(Problem::error(ProblemType::Interrupted, "interrupted while running")),
    }
}
