//! Alerts leave the process here, each target on a task of its own, so a slow or dead target
//! never holds up the checks or another target.
//!
//! - **Alertmanager** (API v2, `POST /api/v2/alerts`): the task keeps the set of firing alerts
//!   and posts it whole on every change and every `--alert-resend`, with `endsAt` four resends
//!   ahead, as Prometheus does: if the monitor dies, the alerts end by themselves instead of
//!   firing for ever. A resolved alert is posted with `endsAt` = when it passed, until a post
//!   succeeds. Posting the whole set keeps the order right after a failed post.
//! - **Webhooks**: one JSON message per change (fired, resolved), in order, each retried with
//!   a doubling wait (1s to 1m, 10 attempts).

use super::state::{AlertInfo, Change};
use crate::redact::Redactor;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

/// The alert's name in Alertmanager.
pub const ALERT_NAME: &str = "ShakedownCheckFailing";
const TIMEOUT: Duration = Duration::from_secs(10);
const WEBHOOK_ATTEMPTS: u32 = 10;
/// Changes a webhook keeps while its target is down; older ones are dropped (and logged).
const WEBHOOK_QUEUE: usize = 1000;

/// Where alerts go and how.
#[derive(Clone, Debug)]
pub struct AlertConfig {
    pub alertmanagers: Vec<String>,
    pub webhooks: Vec<String>,
    pub slack: bool,
    pub resend: Duration,
    pub location: String,
}

/// Starts a task per target and returns the sender the feed gives changes to. `firing` are the
/// alerts that fired before a restart: Alertmanager hears of them again, webhooks do not.
pub fn spawn(
    cfg: AlertConfig,
    firing: Vec<AlertInfo>,
    redactor: Redactor,
    stop: CancellationToken,
    tasks: &mut tokio::task::JoinSet<()>,
) -> UnboundedSender<Change> {
    let (tx, mut rx) = unbounded_channel::<Change>();
    let client = reqwest::Client::builder().timeout(TIMEOUT).build().unwrap_or_default();
    let mut outs = Vec::new();
    for url in &cfg.alertmanagers {
        let (t, r) = unbounded_channel();
        outs.push(t);
        let am =
            Alertmanager { url: url.clone(), client: client.clone(), cfg: cfg.clone(), redactor: redactor.clone() };
        tasks.spawn(am.run(r, firing.clone(), stop.clone()));
    }
    for url in &cfg.webhooks {
        // A webhook URL often is the credential (Slack's are): never shown.
        if let Ok(u) = url::Url::parse(url) {
            redactor.add(u.path());
        }
        let (t, r) = unbounded_channel();
        outs.push(t);
        let wh = Webhook { url: url.clone(), client: client.clone(), cfg: cfg.clone(), redactor: redactor.clone() };
        tasks.spawn(wh.run(r, stop.clone()));
    }
    tasks.spawn(async move {
        while let Some(c) = rx.recv().await {
            for o in &outs {
                let _ = o.send(c.clone());
            }
        }
    });
    tx
}

/// `2026-12-07T12:00:00.000Z`
fn iso(unix: f64) -> String {
    crate::result::iso_time(std::time::UNIX_EPOCH + Duration::from_secs_f64(unix.max(0.0)))
}

fn now() -> f64 {
    super::state::unix(std::time::SystemTime::now())
}

/// The host of a URL, to name a target in the log without its path (which may be a secret).
fn host(url: &str) -> String {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_else(|| "?".into())
}

struct Alertmanager {
    url: String,
    client: reqwest::Client,
    cfg: AlertConfig,
    redactor: Redactor,
}

type Key = (String, String);

impl Alertmanager {
    async fn run(self, mut rx: UnboundedReceiver<Change>, firing: Vec<AlertInfo>, stop: CancellationToken) {
        let mut firing: BTreeMap<Key, AlertInfo> =
            firing.into_iter().map(|a| ((a.suite.clone(), a.check.clone()), a)).collect();
        let mut resolved: BTreeMap<Key, AlertInfo> = BTreeMap::new();
        let mut backoff = Duration::from_secs(1);
        let mut due = tokio::time::Instant::now();
        loop {
            tokio::select! {
                c = rx.recv() => match c {
                    Some(c) => {
                        apply(&mut firing, &mut resolved, c);
                        while let Ok(c) = rx.try_recv() {
                            apply(&mut firing, &mut resolved, c);
                        }
                        due = tokio::time::Instant::now();
                    }
                    None => return,
                },
                _ = tokio::time::sleep_until(due) => {}
                _ = stop.cancelled() => return,
            }
            if tokio::time::Instant::now() < due {
                continue;
            }
            if firing.is_empty() && resolved.is_empty() {
                due = tokio::time::Instant::now() + self.cfg.resend;
                continue;
            }
            match self.post(firing.values().chain(resolved.values())).await {
                Ok(()) => {
                    resolved.clear();
                    backoff = Duration::from_secs(1);
                    due = tokio::time::Instant::now() + self.cfg.resend;
                }
                Err(e) => {
                    super::log(&format!("alertmanager {}: {e}; trying again in {}", host(&self.url), human(backoff)));
                    due = tokio::time::Instant::now() + backoff;
                    backoff = (backoff * 2).min(self.cfg.resend);
                }
            }
        }
    }

    async fn post(&self, alerts: impl Iterator<Item = &AlertInfo>) -> Result<(), String> {
        let ends_firing = now() + 4.0 * self.cfg.resend.as_secs_f64();
        let r = &self.redactor;
        let body: Vec<serde_json::Value> = alerts
            .map(|a| {
                serde_json::json!({
                    "labels": {
                        "alertname": ALERT_NAME,
                        "suite": r.redact(&a.suite),
                        "check": r.redact(&a.check),
                        "environment": r.redact(&a.environment),
                        "location": self.cfg.location,
                    },
                    "annotations": {
                        "summary": r.redact(&format!("{} › {} is failing ({} consecutive failed runs)", a.suite, a.check, a.consecutive_failures)),
                        "description": r.redact(&a.problem),
                    },
                    "startsAt": iso(a.starts_at),
                    "endsAt": iso(a.ends_at.unwrap_or(ends_firing)),
                })
            })
            .collect();
        let url = format!("{}/api/v2/alerts", self.url);
        let resp =
            self.client.post(&url).json(&body).send().await.map_err(|e| r.redact(&e.without_url().to_string()))?;
        if resp.status().is_success() { Ok(()) } else { Err(format!("answered {}", resp.status())) }
    }
}

fn apply(firing: &mut BTreeMap<Key, AlertInfo>, resolved: &mut BTreeMap<Key, AlertInfo>, c: Change) {
    match c {
        Change::Firing(a) => {
            let key = (a.suite.clone(), a.check.clone());
            resolved.remove(&key);
            firing.insert(key, a);
        }
        Change::Resolved(a) => {
            let key = (a.suite.clone(), a.check.clone());
            firing.remove(&key);
            resolved.insert(key, a);
        }
    }
}

struct Webhook {
    url: String,
    client: reqwest::Client,
    cfg: AlertConfig,
    redactor: Redactor,
}

impl Webhook {
    async fn run(self, mut rx: UnboundedReceiver<Change>, stop: CancellationToken) {
        let mut queue: VecDeque<Change> = VecDeque::new();
        loop {
            if queue.is_empty() {
                tokio::select! {
                    c = rx.recv() => match c { Some(c) => queue.push_back(c), None => return },
                    _ = stop.cancelled() => return,
                }
            }
            let Some(next) = queue.front().cloned() else { continue };
            let mut wait = Duration::from_secs(1);
            for attempt in 1..=WEBHOOK_ATTEMPTS {
                match self.post(&next).await {
                    Ok(()) => break,
                    Err(e) if attempt == WEBHOOK_ATTEMPTS => {
                        super::log(&format!("webhook {}: {e}; gave up after {attempt} attempts", host(&self.url)));
                    }
                    Err(e) => {
                        super::log(&format!("webhook {}: {e}; trying again in {}", host(&self.url), human(wait)));
                        let sleep = tokio::time::sleep(wait);
                        tokio::pin!(sleep);
                        loop {
                            tokio::select! {
                                _ = &mut sleep => break,
                                c = rx.recv() => match c { Some(c) => queue.push_back(c), None => return },
                                _ = stop.cancelled() => return,
                            }
                        }
                        wait = (wait * 2).min(Duration::from_secs(60));
                    }
                }
            }
            queue.pop_front();
            while let Ok(c) = rx.try_recv() {
                queue.push_back(c);
            }
            while queue.len() > WEBHOOK_QUEUE {
                queue.pop_front();
                super::log(&format!(
                    "webhook {}: too many undelivered messages; the oldest was dropped",
                    host(&self.url)
                ));
            }
        }
    }

    async fn post(&self, c: &Change) -> Result<(), String> {
        let r = &self.redactor;
        let body = self.body(c);
        let resp =
            self.client.post(&self.url).json(&body).send().await.map_err(|e| r.redact(&e.without_url().to_string()))?;
        if resp.status().is_success() { Ok(()) } else { Err(format!("answered {}", resp.status())) }
    }

    /// shakedown's JSON, or Slack's `{"text": …}`.
    pub fn body(&self, c: &Change) -> serde_json::Value {
        let r = &self.redactor;
        let (status, a) = match c {
            Change::Firing(a) => ("firing", a),
            Change::Resolved(a) => ("resolved", a),
        };
        if self.cfg.slack {
            // Each value masked on its own (the tool's words never are), then escaped as Slack
            // asks: a `<!channel>` in a response body must not ping anyone.
            let v = |t: &str| slack_escape(&r.redact(t));
            let (suite, check, env, location) = (v(&a.suite), v(&a.check), v(&a.environment), v(&self.cfg.location));
            let text = match c {
                Change::Firing(_) => {
                    format!(":red_circle: {suite} › {check} is failing in {env} (from {location}): {}", v(&a.problem))
                }
                Change::Resolved(_) => {
                    format!(":large_green_circle: {suite} › {check} passes again in {env} (from {location})")
                }
            };
            return serde_json::json!({ "text": text });
        }
        serde_json::json!({
            "status": status,
            "alertname": ALERT_NAME,
            "suite": r.redact(&a.suite),
            "check": r.redact(&a.check),
            "environment": r.redact(&a.environment),
            "location": self.cfg.location,
            "starts_at": iso(a.starts_at),
            "ends_at": a.ends_at.map(iso),
            "consecutive_failures": a.consecutive_failures,
            "problem": r.redact(&a.problem),
        })
    }
}

fn human(d: Duration) -> String {
    crate::duration::human(d)
}

/// Slack's escaping of text: `&`, `<` and `>`, which otherwise start links and mentions.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn slack_text_cannot_mention_or_link() {
        assert_eq!(
            super::slack_escape("<!channel> a & b <https://x|y>"),
            "&lt;!channel&gt; a &amp; b &lt;https://x|y&gt;"
        );
    }
}
