//! WebDriver BiDi, the little of it we use: a fresh user context (a browser profile of its own:
//! cookies, storage and cache) for each check in a Chromium kept for the whole run.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value as Json, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A BiDi connection to one WebDriver session's browser.
pub(super) struct Bidi {
    socket: tokio::sync::Mutex<Socket>,
    next_id: AtomicU64,
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
        Ok(Bidi { socket: tokio::sync::Mutex::new(socket), next_id: AtomicU64::new(1) })
    }

    /// Sends a command and waits, within `bound`, for its answer (events and late answers to
    /// commands given up on are skipped).
    pub(super) async fn call(&self, method: &str, params: Json, bound: Duration) -> Result<Json, String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let exchange = async {
            let mut socket = self.socket.lock().await;
            let text = json!({ "id": id, "method": method, "params": params }).to_string();
            socket.send(Message::text(text)).await.map_err(|e| format!("cannot send `{method}` over BiDi: {e}"))?;
            loop {
                let msg = match socket.next().await {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => return Err(format!("the BiDi connection failed during `{method}`: {e}")),
                    None => return Err(format!("the BiDi connection closed during `{method}`")),
                };
                let Message::Text(text) = msg else { continue };
                let Ok(answer) = serde_json::from_str::<Json>(text.as_str()) else { continue };
                if answer.get("id").and_then(Json::as_u64) != Some(id) {
                    continue;
                }
                if answer.get("type").and_then(Json::as_str) == Some("error") {
                    let error = answer.get("error").and_then(Json::as_str).unwrap_or("error");
                    let message = answer.get("message").and_then(Json::as_str).unwrap_or("");
                    return Err(format!("`{method}` failed: {error}: {message}"));
                }
                return Ok(answer.get("result").cloned().unwrap_or(Json::Null));
            }
        };
        tokio::time::timeout(bound, exchange)
            .await
            .map_err(|_| format!("no answer to `{method}` over BiDi within {}", crate::duration::human(bound)))?
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
}
