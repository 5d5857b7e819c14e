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

/// The events that tell when a tab is between pages: while one is, our scripts go through
/// WebDriver, which waits for the page to load as it always has (see [`Bidi::script`]).
pub(super) const NAVIGATION_EVENTS: &[&str] = &[
    "browsingContext.navigationStarted",
    "browsingContext.fragmentNavigated",
    "browsingContext.load",
    "browsingContext.navigationFailed",
    "browsingContext.navigationAborted",
    "browsingContext.contextDestroyed",
];

/// A BiDi connection to one WebDriver session's browser. A reader task owns the socket's read
/// half: answers go to the command waiting for them, events to the journal.
pub(super) struct Bidi {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    next_id: AtomicU64,
    waiters: Arc<Waiters>,
    closed: Arc<AtomicBool>,
    watching: AtomicBool,
    /// Whether [`NAVIGATION_EVENTS`] are subscribed to: only then are scripts run over BiDi.
    tracks_navigation: AtomicBool,
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
            tracks_navigation: AtomicBool::new(false),
            journal,
            reader,
        })
    }

    /// Subscribes to [`EVENTS`] for every context of the session; from then on the journal
    /// holds them.
    pub(super) async fn watch(&self, bound: Duration) -> Result<(), String> {
        self.call("session.subscribe", json!({ "events": EVENTS }), bound).await?;
        self.watching.store(true, Ordering::SeqCst);
        // Apart: a browser that does not know one of them still has its console and network.
        if self.call("session.subscribe", json!({ "events": NAVIGATION_EVENTS }), bound).await.is_ok() {
            self.tracks_navigation.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Whether the journal is kept (the subscription was accepted).
    pub(super) fn watching(&self) -> bool {
        self.watching.load(Ordering::SeqCst)
    }

    /// Sends a command and waits, within `bound`, for its answer.
    pub(super) async fn call(&self, method: &str, params: Json, bound: Duration) -> Result<Json, String> {
        self.exchange(method, params, bound).await.map_err(|e| match e {
            Failure::NoAnswer(m) | Failure::Refused(m) => m,
        })
    }

    /// Runs a script of ours (a function body that reads `arguments`, as WebDriver's execute
    /// takes it) in the tab `context`, and answers what WebDriver's execute would have
    /// answered (elements as element references: a node's BiDi shared id is its WebDriver
    /// element id). A round trip over BiDi costs a few ms, where chromedriver's execute costs
    /// 10 to 20.
    ///
    /// `Ok(None)` when it should go through WebDriver instead: not [`Bidi::ready`] (the tab
    /// is between pages, say), the script threw, the browser
    /// refused the call or answered with a value that has no JSON. WebDriver then runs it
    /// and, if it fails again, says why in its own words. `Err` only when no answer came
    /// within `bound`.
    pub(super) async fn script(
        &self,
        context: &str,
        body: &str,
        args: &[Json],
        bound: Duration,
    ) -> Result<Option<Json>, String> {
        if !self.ready(context, bound).await? {
            return Ok(None);
        }
        let params = json!({
            "functionDeclaration": format!("function () {{\n{body}\n}}"),
            "arguments": args.iter().map(local_value).collect::<Vec<_>>(),
            "target": { "context": context },
            "awaitPromise": false,
            "resultOwnership": "none",
            "serializationOptions": { "maxDomDepth": 0, "includeShadowTree": "none" },
        });
        match self.exchange("script.callFunction", params, bound).await {
            Ok(answer) if answer.get("type").and_then(Json::as_str) == Some("success") => {
                Ok(answer.get("result").and_then(plain_value))
            }
            Ok(_) | Err(Failure::Refused(_)) => Ok(None),
            Err(Failure::NoAnswer(m)) => Err(m),
        }
    }

    /// Sets the files of a file input in the tab `context` (`input.setFiles`, which fires its
    /// `input` and `change` events): `Ok(true)` when set, `Ok(false)` when the browser refused
    /// or is not [`Bidi::ready`] (WebDriver is then asked, and says why in its own words),
    /// `Err` when no answer came within `bound`.
    pub(super) async fn set_files(
        &self,
        context: &str,
        element: &Json,
        files: &[String],
        bound: Duration,
    ) -> Result<bool, String> {
        if !self.ready(context, bound).await? {
            return Ok(false);
        }
        let params = json!({ "context": context, "element": local_value(element), "files": files });
        self.done("input.setFiles", params, bound).await
    }

    /// Clicks at (`x`, `y`) of the viewport of tab `context` with the left mouse button, as
    /// trusted input (`input.performActions`: the browser's own mouse events). Each click has a
    /// pointer of its own, so that two quick clicks on one spot are two clicks, not a double
    /// click. `Ok(false)` when the browser refused it.
    pub(super) async fn pointer_click(&self, context: &str, x: i64, y: i64, bound: Duration) -> Result<bool, String> {
        let pointer = format!("shakedown-click-{}", self.next_id.fetch_add(1, Ordering::SeqCst));
        let params = json!({ "context": context, "actions": [{
            "type": "pointer", "id": pointer, "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "x": x, "y": y, "origin": "viewport" },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 },
            ],
        }]});
        self.done("input.performActions", params, bound).await
    }

    /// A command whose answer says only that it was done: `Ok(true)` when it was, `Ok(false)`
    /// when the browser refused it, `Err` when no answer came within `bound`.
    async fn done(&self, method: &str, params: Json, bound: Duration) -> Result<bool, String> {
        match self.exchange(method, params, bound).await {
            Ok(_) => Ok(true),
            Err(Failure::Refused(_)) => Ok(false),
            Err(Failure::NoAnswer(m)) => Err(m),
        }
    }

    /// The number of the last event the journal took in.
    pub(super) fn seq(&self) -> u64 {
        self.journal.lock().map_or(0, |j| j.seq())
    }

    /// Whether a navigation of `context` started after event `mark`, and whether one is under
    /// way (both `true` when the journal cannot say).
    pub(super) fn navigation_since(&self, context: &str, mark: u64) -> (bool, bool) {
        self.journal.lock().map_or((true, true), |j| (j.started_since(context, mark), j.navigating(context)))
    }

    /// Whether a command of ours may act on the page in tab `context` over BiDi: the
    /// connection is open, navigations are followed, and none of that tab is under way.
    /// WebDriver may already have said that the page loaded (a `goto`, a click) while the
    /// `load` event is still on its way: the answer to one more command comes after it, on the
    /// same socket. A navigation still under way after that is for WebDriver, which waits for
    /// the page before it acts; BiDi would act on the page being left. `Err` only when that
    /// command got no answer within `bound`.
    async fn ready(&self, context: &str, bound: Duration) -> Result<bool, String> {
        if !self.tracks_navigation.load(Ordering::SeqCst) || self.is_closed() {
            return Ok(false);
        }
        if self.navigating(context) {
            if let Err(Failure::NoAnswer(m)) = self.round_trip(context, bound).await {
                return Err(m);
            }
            return Ok(!self.navigating(context));
        }
        Ok(true)
    }

    /// Whether the journal says a navigation of `context` is under way (or cannot say).
    fn navigating(&self, context: &str) -> bool {
        self.journal.lock().map_or(true, |j| j.navigating(context))
    }

    /// The least command the page in `context` answers: what the browser sent before its
    /// answer (events, the page's log) has come in by the time it does.
    async fn round_trip(&self, context: &str, bound: Duration) -> Result<Json, Failure> {
        let params = json!({ "expression": "0", "target": { "context": context }, "awaitPromise": false });
        self.exchange("script.evaluate", params, bound).await
    }

    /// [`Bidi::call`], telling a command the browser refused from one it did not answer.
    async fn exchange(&self, method: &str, params: Json, bound: Duration) -> Result<Json, Failure> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiters.lock() {
            w.insert(id, tx);
        }
        let exchange = async {
            self.send(id, method, params).await.map_err(Failure::Refused)?;
            let answer =
                rx.await.map_err(|_| Failure::Refused(format!("the BiDi connection closed during `{method}`")))?;
            if answer.get("type").and_then(Json::as_str) == Some("error") {
                let error = answer.get("error").and_then(Json::as_str).unwrap_or("error");
                let message = answer.get("message").and_then(Json::as_str).unwrap_or("");
                return Err(Failure::Refused(format!("`{method}` failed: {error}: {message}")));
            }
            Ok(answer.get("result").cloned().unwrap_or(Json::Null))
        };
        let r = tokio::time::timeout(bound, exchange)
            .await
            .map_err(|_| {
                Failure::NoAnswer(format!("no answer to `{method}` over BiDi within {}", crate::duration::human(bound)))
            })
            .and_then(|r| r);
        if let Ok(mut w) = self.waiters.lock() {
            w.remove(&id);
        }
        r
    }

    /// Sends command `id`, unless the connection is closed.
    async fn send(&self, id: u64, method: &str, params: Json) -> Result<(), String> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(format!("the BiDi connection is closed, so `{method}` cannot be sent"));
        }
        let text = json!({ "id": id, "method": method, "params": params }).to_string();
        let sent = self.sink.lock().await.send(Message::text(text)).await;
        sent.map_err(|e| format!("cannot send `{method}` over BiDi: {e}"))
    }

    /// Sends a command whose answer nobody waits for (it is dropped when it comes).
    async fn post(&self, method: &str, params: Json, bound: Duration) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        match tokio::time::timeout(bound, self.send(id, method, params)).await {
            Ok(sent) => sent,
            Err(_) => Err(format!("cannot send `{method}` over BiDi within {}", crate::duration::human(bound))),
        }
    }

    /// Whether the connection is gone (the browser closed or crashed).
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits until the page in `context` has run what it was running: what it logged before
    /// this has reached the journal (its messages come in order with the script's answer).
    pub(super) async fn settle(&self, context: &str, bound: Duration) {
        let _ = self.round_trip(context, bound).await;
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
    /// page in `home`, so that nothing of that check runs on. The blank page is not waited for,
    /// not even for the browser's answer (that took 40 to 50 ms, at the end of every run): what
    /// it does is in a context no later check looks at, and a browser that cannot load it has
    /// lost its connection, which the next check finds out.
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
        let params = json!({ "context": home, "url": "about:blank", "wait": "none" });
        self.post("browsingContext.navigate", params, bound).await
    }
}

/// Why a command got no result.
enum Failure {
    /// None came within the bound.
    NoAnswer(String),
    /// The browser answered with an error, or the connection is gone.
    Refused(String),
}

/// The key of an element reference in WebDriver's JSON (W3C).
pub(super) const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A script's argument as BiDi takes it: WebDriver JSON, an element reference as the node
/// with that shared id.
fn local_value(v: &Json) -> Json {
    match v {
        Json::Null => json!({ "type": "null" }),
        Json::Bool(b) => json!({ "type": "boolean", "value": b }),
        Json::Number(n) => json!({ "type": "number", "value": n }),
        Json::String(s) => json!({ "type": "string", "value": s }),
        Json::Array(a) => json!({ "type": "array", "value": a.iter().map(local_value).collect::<Vec<_>>() }),
        Json::Object(o) => match o.get(ELEMENT_KEY).and_then(Json::as_str) {
            Some(id) if o.len() == 1 => json!({ "sharedId": id }),
            _ => {
                let pairs: Vec<Json> = o.iter().map(|(k, v)| json!([k, local_value(v)])).collect();
                json!({ "type": "object", "value": pairs })
            }
        },
    }
}

/// A script's answer as WebDriver's execute gives it: `undefined` and numbers JSON has no
/// word for are null, an element is an element reference. `None` for anything else (a
/// window, a function, a node that is not an element…): WebDriver is asked instead.
fn plain_value(v: &Json) -> Option<Json> {
    let value = v.get("value");
    Some(match v.get("type")?.as_str()? {
        "undefined" | "null" => Json::Null,
        "string" => Json::String(value?.as_str()?.to_string()),
        "boolean" => Json::Bool(value?.as_bool()?),
        "number" => match value? {
            Json::Number(n) => Json::Number(n.clone()),
            Json::String(s) if s == "-0" => json!(0),
            _ => Json::Null,
        },
        "array" => Json::Array(value?.as_array()?.iter().map(plain_value).collect::<Option<Vec<_>>>()?),
        "object" => {
            let mut out = serde_json::Map::new();
            for pair in value?.as_array()? {
                let key = pair.get(0)?.as_str()?;
                out.insert(key.to_string(), plain_value(pair.get(1)?)?);
            }
            Json::Object(out)
        }
        "node" if value?.get("nodeType").and_then(Json::as_u64) == Some(1) => {
            json!({ ELEMENT_KEY: v.get("sharedId")?.as_str()? })
        }
        _ => return None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_go_as_bidi_local_values_and_elements_as_their_shared_ids() {
        let args = json!([null, true, 4, "s", [1], { ELEMENT_KEY: "f.1.d.2.e.3" }, { "k": "v" }]);
        assert_eq!(
            local_value(&args),
            json!({ "type": "array", "value": [
                { "type": "null" },
                { "type": "boolean", "value": true },
                { "type": "number", "value": 4 },
                { "type": "string", "value": "s" },
                { "type": "array", "value": [{ "type": "number", "value": 1 }] },
                { "sharedId": "f.1.d.2.e.3" },
                { "type": "object", "value": [["k", { "type": "string", "value": "v" }]] },
            ] })
        );
    }

    #[test]
    fn answers_read_as_webdriver_gives_them_and_anything_else_is_for_webdriver() {
        let node = |t: u64| json!({ "type": "node", "sharedId": "f.1.d.2.e.3", "value": { "nodeType": t } });
        let answer = json!({ "type": "array", "value": [
            { "type": "string", "value": "complete" },
            { "type": "undefined" },
            { "type": "null" },
            { "type": "boolean", "value": false },
            { "type": "number", "value": 2.5 },
            { "type": "number", "value": "-0" },
            { "type": "number", "value": "NaN" },
            { "type": "object", "value": [["a", { "type": "number", "value": 1 }]] },
            { "type": "array", "value": [node(1)] },
        ] });
        assert_eq!(
            plain_value(&answer),
            Some(json!(["complete", null, null, false, 2.5, 0, null, { "a": 1 }, [{ ELEMENT_KEY: "f.1.d.2.e.3" }]]))
        );
        // A text node, a window, a node without its id, a value not as BiDi writes it: none
        // is guessed at, even inside a list.
        for odd in [
            node(3),
            json!({ "type": "window", "value": { "context": "c" } }),
            json!({ "type": "node", "value": { "nodeType": 1 } }),
            json!({ "type": "string" }),
            json!({ "type": "array", "value": [{ "type": "string", "value": "x" }, node(3)] }),
            json!({ "type": "object", "value": [[{ "type": "number", "value": 1 }, { "type": "null" }]] }),
            json!("complete"),
        ] {
            assert_eq!(plain_value(&odd), None, "{odd}");
        }
    }
}
