//! The monitor's HTTP endpoint (axum): `/metrics`, `/api/status`, `/healthz` and the status
//! page `/`. Every answer is made from the state under its lock, briefly; nothing here changes
//! it. It listens on loopback by default: README, "Exposing the endpoint safely".

use super::state::{CheckState, Outcome, State};
use axum::Router;
use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What the handlers read.
#[derive(Clone)]
pub struct Endpoint {
    pub state: Arc<Mutex<State>>,
    pub location: String,
}

/// The routes.
pub fn router(e: Endpoint) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/metrics", get(metrics))
        .route("/api/status", get(status))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(e)
}

/// Serves until `stop` is cancelled.
pub async fn serve(listener: tokio::net::TcpListener, e: Endpoint, stop: tokio_util::sync::CancellationToken) {
    if let Err(err) = axum::serve(listener, router(e)).with_graceful_shutdown(stop.cancelled_owned()).await {
        super::log(&format!("the HTTP endpoint stopped: {err}"));
    }
}

fn locked<T>(e: &Endpoint, f: impl FnOnce(&State) -> T) -> Result<T, Response> {
    match e.state.lock() {
        Ok(s) => Ok(f(&s)),
        Err(_) => Err((StatusCode::INTERNAL_SERVER_ERROR, "the monitor's state is unavailable\n").into_response()),
    }
}

async fn metrics(Extract(e): Extract<Endpoint>) -> Response {
    match locked(&e, |s| super::metrics::render(s, &e.location)) {
        Ok(text) => ([(header::CONTENT_TYPE, super::metrics::CONTENT_TYPE)], text).into_response(),
        Err(r) => r,
    }
}

async fn page(Extract(e): Extract<Endpoint>) -> Response {
    let now = super::state::unix(std::time::SystemTime::now());
    match locked(&e, |s| super::page::render(s, &e.location, now)) {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(r) => r,
    }
}

async fn status(Extract(e): Extract<Endpoint>) -> Response {
    match locked(&e, |s| status_json(s, &e.location)) {
        Ok(v) => ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response(),
        Err(r) => r,
    }
}

fn iso(unix: f64) -> String {
    crate::result::iso_time(std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(unix.max(0.0)))
}

/// `/api/status`: what the page shows, as data.
pub fn status_json(s: &State, location: &str) -> Value {
    let checks: Vec<Value> = s.checks.values().map(check_json).collect();
    json!({
        "location": location,
        "generated_at": iso(super::state::unix(std::time::SystemTime::now())),
        "failure_threshold": s.threshold,
        "checks": checks,
        "load_errors": s.load_errors,
    })
}

fn check_json(c: &CheckState) -> Value {
    let runs: serde_json::Map<String, Value> =
        Outcome::ALL.iter().map(|o| (o.name().to_string(), json!(c.runs_of(*o)))).collect();
    json!({
        "suite": c.suite,
        "check": c.check,
        "environment": c.environment,
        "state": if c.up { "up" } else { "down" },
        "since": iso(c.since),
        "alerting_since": c.firing_since.map(iso),
        "last_run": iso(c.last_run),
        "last_success": c.last_success.map(iso),
        "last_duration_seconds": c.last_seconds,
        "consecutive_failures": c.consecutive_failures,
        "runs": runs,
        "history": c.history.iter().map(|h| json!({ "at": iso(h.at), "result": h.outcome, "seconds": h.seconds })).collect::<Vec<_>>(),
        "last_problem": c.last_problem.as_ref().map(|(at, text)| json!({ "at": iso(*at), "text": text })),
    })
}
