//! WebDriver BiDi, the little of it we use: the console and the network as events (kept in a
//! [`Journal`] by a reader task, so that nothing is missed between steps), and a fresh user
//! context (a browser profile of its own: cookies, storage and cache) for each check in a
//! Chromium kept for the whole run.

use super::journal::Journal;
use futures_util::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Waiters = Mutex<HashMap<u64, oneshot::Sender<Json>>>;

/// The events a session subscribes to: the console, the network, and new browsing contexts
/// (to tell which tab a frame's events belong to).
pub(super) const EVENTS: &[&str] = &[
    "log.entryAdded",
    "network.beforeRequestSent",
    "network.responseStarted",
    "network.responseCompleted",
    "network.fetchError",
    "browsingContext.contextCreated",
];

/// A BiDi connection to one WebDriver session's browser. A reader task owns the socket's read
/// half: answers go to the command waiting for them, events to the journal.
pub(super) struct Bidi {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    next_id: AtomicU64,
    waiters: Arc<Waiters>,
    closed: Arc<AtomicBool>,
    watching: AtomicBool,
    pub journal: Arc<Mutex<Journal>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Bidi {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// A check's own user context and the tab opened in it.
pub(super) struct UserContext {
    pub id: String,
    /// The tab's browsing context id: in Chromium also its WebDriver window handle.
    pub tab: String,
}

impl Bidi {
    /// Connects to the session's `webSocketUrl` (only `ws://` on the loopback: our own driver).
    pub(super) async fn connect(url: &str, bound: Duration) -> Result<Bidi, String> {
        if !url.starts_with("ws://127.0.0.1:") && !url.starts_with("ws://localhost:") {
            return Err(format!("the driver's BiDi address is not a local one: {url}"));
        }
        let (socket, _) = tokio::time::timeout(bound, tokio_tungstenite::connect_async(url))
            .await
            .map_err(|_| format!("no BiDi connection to {url} within {}", crate::duration::human(bound)))?
            .map_err(|e| format!("cannot connect to the driver's BiDi address {url}: {e}"))?;
        let (sink, mut stream) = socket.split();
        let waiters: Arc<Waiters> = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let journal = Arc::new(Mutex::new(Journal::default()));
        let reader = {
            let (waiters, closed, journal) = (waiters.clone(), closed.clone(), journal.clone());
            tokio::spawn(async move {
                while let Some(Ok(msg)) = stream.next().await {
                    let Message::Text(text) = msg else { continue };
                    let Ok(message) = serde_json::from_str::<Json>(text.as_str()) else { continue };
                    route(message, &waiters, &journal);
                }
                closed.store(true, Ordering::SeqCst);
                // Dropping the senders tells every waiting command that no answer will come.
                if let Ok(mut w) = waiters.lock() {
                    w.clear();
                }
            })
        };
        Ok(Bidi {
            sink: tokio::sync::Mutex::new(sink),
            next_id: AtomicU64::new(1),
            waiters,
            closed,
            watching: AtomicBool::new(false),
            journal,
            reader,
        })
    }

    /// Subscribes to [`EVENTS`] for every context of the session; from then on the journal
    /// holds them.
    pub(super) async fn watch(&self, bound: Duration) -> Result<(), String> {
        self.call("session.subscribe", json!({ "events": EVENTS }), bound).await?;
        self.watching.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Whether the journal is kept (the subscription was accepted).
    pub(super) fn watching(&self) -> bool {
        self.watching.load(Ordering::SeqCst)
    }

    /// Sends a command and waits, within `bound`, for its answer.
    pub(super) async fn call(&self, method: &str, params: Json, bound: Duration) -> Result<Json, String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiters.lock() {
            w.insert(id, tx);
        }
        let exchange = async {
            if self.closed.load(Ordering::SeqCst) {
                return Err(format!("the BiDi connection is closed, so `{method}` cannot be sent"));
            }
            let text = json!({ "id": id, "method": method, "params": params }).to_string();
            let sent = self.sink.lock().await.send(Message::text(text)).await;
            sent.map_err(|e| format!("cannot send `{method}` over BiDi: {e}"))?;
            let answer = rx.await.map_err(|_| format!("the BiDi connection closed during `{method}`"))?;
            if answer.get("type").and_then(Json::as_str) == Some("error") {
                let error = answer.get("error").and_then(Json::as_str).unwrap_or("error");
                let message = answer.get("message").and_then(Json::as_str).unwrap_or("");
                return Err(format!("`{method}` failed: {error}: {message}"));
            }
            Ok(answer.get("result").cloned().unwrap_or(Json::Null))
        };
        let r = tokio::time::timeout(bound, exchange)
            .await
            .map_err(|_| format!("no answer to `{method}` over BiDi within {}", crate::duration::human(bound)))
            .and_then(|r| r);
        if let Ok(mut w) = self.waiters.lock() {
            w.remove(&id);
        }
        r
    }

    /// Whether the connection is gone (the browser closed or crashed).
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits until the page in `context` has run what it was running: what it logged before
    /// this has reached the journal (its messages come in order with the script's answer).
    pub(super) async fn settle(&self, context: &str, bound: Duration) {
        let params = json!({ "expression": "0", "target": { "context": context }, "awaitPromise": false });
        let _ = self.call("script.evaluate", params, bound).await;
    }

    /// A fresh user context with one tab in it.
    pub(super) async fn open_context(&self, bound: Duration) -> Result<UserContext, String> {
        let made = self.call("browser.createUserContext", json!({}), bound).await?;
        let id = made
            .get("userContext")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("`browser.createUserContext` gave no user context: {made}"))?
            .to_string();
        let params = json!({ "type": "tab", "userContext": id });
        let tab = match self.call("browsingContext.create", params, bound).await {
            Ok(t) => t,
            Err(e) => {
                let _ = self.close_context(&id, bound).await;
                return Err(e);
            }
        };
        match tab.get("context").and_then(Json::as_str) {
            Some(t) => Ok(UserContext { id, tab: t.to_string() }),
            None => {
                let _ = self.close_context(&id, bound).await;
                Err(format!("`browsingContext.create` gave no context: {tab}"))
            }
        }
    }

    /// Removes a user context, closing its tabs and forgetting its cookies, storage and cache.
    pub(super) async fn close_context(&self, id: &str, bound: Duration) -> Result<(), String> {
        self.call("browser.removeUserContext", json!({ "userContext": id }), bound).await.map(|_| ())
    }

    /// Leaves the default user context idle after the check that had it (it cannot be removed,
    /// and no later check is given it): closes every tab of it but `home` and loads a blank
    /// page in `home`, so that nothing of that check runs on.
    pub(super) async fn idle_default(&self, home: &str, bound: Duration) -> Result<(), String> {
        let tree = self.call("browsingContext.getTree", json!({ "maxDepth": 0 }), bound).await?;
        let tabs = tree.get("contexts").and_then(Json::as_array).cloned().unwrap_or_default();
        for t in tabs {
            let id = t.get("context").and_then(Json::as_str).unwrap_or_default();
            let user = t.get("userContext").and_then(Json::as_str).unwrap_or("default");
            if user == "default" && id != home && !id.is_empty() {
                self.call("browsingContext.close", json!({ "context": id }), bound).await?;
            }
        }
        let params = json!({ "context": home, "url": "about:blank", "wait": "complete" });
        self.call("browsingContext.navigate", params, bound).await.map(|_| ())
    }
}

/// One message from the browser: an answer to the command with its `id`, or an event for the
/// journal. Answers to commands given up on are dropped.
fn route(message: Json, waiters: &Waiters, journal: &Mutex<Journal>) {
    if let Some(id) = message.get("id").and_then(Json::as_u64) {
        let waiter = waiters.lock().ok().and_then(|mut w| w.remove(&id));
        if let Some(tx) = waiter {
            let _ = tx.send(message);
        }
        return;
    }
    if message.get("type").and_then(Json::as_str) == Some("event")
        && let Ok(mut j) = journal.lock()
    {
        j.record(&message);
    }
}
