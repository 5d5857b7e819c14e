//! What a session's browser said through BiDi events: the console's errors, the network's
//! requests and their failures, and which frame belongs to which tab. Bounded: at most
//! [`MAX_REQUESTS`] requests (the oldest go first), [`MAX_FAILURES`] failed requests and
//! [`MAX_ERRORS`] console errors; what was let go is counted, so a judgement that may have
//! lost something never reads as "nothing went wrong".

use serde_json::Value as Json;
use std::collections::{HashMap, VecDeque};

/// Requests kept for the HAR file.
pub(super) const MAX_REQUESTS: usize = 2000;
/// Failed requests kept for `no_failed_requests`.
pub(super) const MAX_FAILURES: usize = 500;
/// Console errors and uncaught exceptions kept for `no_console_errors`.
pub(super) const MAX_ERRORS: usize = 500;
/// Browsing contexts remembered (frames and tabs); beyond it the oldest are forgotten.
const MAX_CONTEXTS: usize = 10_000;

/// One request (one hop of a redirect chain), as the HAR file shows it.
#[derive(Clone, Debug, Default)]
pub(super) struct Request {
    pub seq: u64,
    pub context: Option<String>,
    pub id: String,
    pub redirect: u64,
    /// Set for the document request of a navigation.
    pub navigation: Option<String>,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// When it was sent, in milliseconds since the epoch.
    pub started: f64,
    pub ended: Option<f64>,
    /// BiDi's `FetchTimingInfo` (milliseconds; zero when not known).
    pub timings: Json,
    pub response: Option<Response>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Response {
    pub status: u16,
    pub status_text: String,
    pub headers: Vec<(String, String)>,
    pub mime: String,
    pub protocol: String,
    pub size: i64,
}

impl Response {
    /// A redirect the browser follows: a 3xx (not 304) with a `Location`.
    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
            && self.status != 304
            && self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("location"))
    }
}

/// A request that failed: a status of 400 or more, or no response at all.
#[derive(Clone, Debug)]
pub(super) struct Failed {
    pub seq: u64,
    pub context: Option<String>,
    pub id: String,
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub status_text: String,
    pub error: Option<String>,
}

impl Failed {
    /// The failure of request `r`, the journal's event `seq`.
    fn of(seq: u64, r: &Request, status: Option<u16>, status_text: String, error: Option<String>) -> Failed {
        Failed {
            seq,
            context: r.context.clone(),
            id: r.id.clone(),
            method: r.method.clone(),
            url: r.url.clone(),
            status,
            status_text,
            error,
        }
    }

    /// `GET https://…/x.png → 404 Not Found`, or `→ net::ERR_CONNECTION_REFUSED`.
    pub fn describe(&self) -> String {
        let url = crate::redact::mask_url_credentials(&self.url);
        match (&self.error, self.status) {
            (Some(e), _) => format!("{} {} → {e}", self.method, url),
            (None, Some(s)) => format!("{} {} → {s} {}", self.method, url, self.status_text).trim_end().to_string(),
            (None, None) => format!("{} {} → failed", self.method, url),
        }
    }
}

/// A console error or an uncaught exception.
#[derive(Clone, Debug)]
pub(super) struct LogError {
    pub seq: u64,
    pub context: Option<String>,
    /// `console` (`console.error`) or `javascript` (an uncaught exception).
    pub kind: String,
    pub text: String,
}

/// Which events are a check's: all of its own session's, or in a kept browser those of its
/// tab (and the frames in it) and its user context, from when it got them.
#[derive(Clone, Debug, Default)]
pub(super) struct Scope {
    pub tab: Option<String>,
    pub user_context: Option<String>,
}

#[derive(Debug, Default)]
struct Context {
    parent: Option<String>,
    user_context: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct Journal {
    seq: u64,
    contexts: HashMap<String, Context>,
    context_order: VecDeque<String>,
    pub requests: VecDeque<Request>,
    pub requests_dropped: u64,
    /// The event number at which a request was last let go (0: none).
    pub requests_dropped_at: u64,
    failures: VecDeque<Failed>,
    /// The newest event number of a failure let go (0: none).
    failure_dropped: u64,
    errors: VecDeque<LogError>,
    error_dropped: u64,
    /// The browsing contexts with a navigation under way (started, and not yet loaded, failed
    /// or given up), with that navigation's id when the browser gave one.
    navigating: HashMap<String, Option<String>>,
    /// Per browsing context, the ids of navigations that another started while they were
    /// under way: their end, when it comes after that start, is not the end of the new one.
    superseded: HashMap<String, Vec<String>>,
    /// The event number of the last navigation each browsing context started.
    started: HashMap<String, u64>,
}

/// The text of a BiDi string, or of a header's `{ type: string, value }`.
fn text(v: &Json) -> String {
    match v {
        Json::String(s) => clip(s),
        Json::Object(_) => v.get("value").map(text).unwrap_or_default(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// At most 8 KiB of a text the page sent (a console message, a header), cut on a character
/// boundary: a page logging huge strings in a loop must not fill our memory.
fn clip(s: &str) -> String {
    crate::judge::truncate(s, 8 * 1024)
}

fn headers(v: Option<&Json>) -> Vec<(String, String)> {
    let Some(Json::Array(items)) = v else { return Vec::new() };
    // At most 100 headers a request or response are kept.
    items
        .iter()
        .take(100)
        .map(|h| {
            let value = match h.get("value") {
                Some(v) if v.get("type").and_then(Json::as_str) == Some("base64") => "(binary)".to_string(),
                Some(v) => text(v),
                None => String::new(),
            };
            (h.get("name").map(text).unwrap_or_default(), value)
        })
        .collect()
}

fn opt_str(v: Option<&Json>) -> Option<String> {
    v.and_then(Json::as_str).map(str::to_string)
}

impl Journal {
    /// The number of the last event recorded: what came later has a greater one.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Forgets everything (a kept browser's next check starts with nothing).
    pub fn clear(&mut self) {
        let seq = self.seq;
        *self = Journal { seq, ..Journal::default() };
    }

    /// Takes in one event; events it does not know, or that lack what it needs, are ignored.
    pub fn record(&mut self, event: &Json) {
        let (Some(method), Some(params)) = (event.get("method").and_then(Json::as_str), event.get("params")) else {
            return;
        };
        self.seq += 1;
        match method {
            "browsingContext.contextCreated" => self.context_created(params),
            "log.entryAdded" => self.log_entry(params),
            "network.beforeRequestSent" => {
                let r = self.request_from(params);
                self.push_request(r);
            }
            // The status as soon as the headers are in: a page replaced while it loads (a
            // script that moves on at once) may never complete.
            "network.responseStarted" => self.response(params, false),
            "network.responseCompleted" => self.response(params, true),
            "network.fetchError" => self.fetch_error(params),
            "browsingContext.navigationStarted" => {
                if let Some(c) = opt_str(params.get("context")) {
                    self.started.insert(c.clone(), self.seq);
                    let id = opt_str(params.get("navigation"));
                    // (A start said again for the same navigation replaces nothing.)
                    if let Some(Some(earlier)) = self.navigating.insert(c.clone(), id.clone())
                        && Some(&earlier) != id.as_ref()
                    {
                        self.superseded.entry(c).or_default().push(earlier);
                    }
                }
            }
            "browsingContext.load"
            | "browsingContext.fragmentNavigated"
            | "browsingContext.navigationFailed"
            | "browsingContext.navigationAborted" => {
                // The end of a navigation the one under way replaced (given up for it, and said
                // after it started) does not end the one under way; any other end does.
                if let Some(c) = params.get("context").and_then(Json::as_str) {
                    let ended = params.get("navigation").and_then(Json::as_str);
                    let earlier = self.superseded.get_mut(c).zip(ended).and_then(|(ids, id)| {
                        let at = ids.iter().position(|x| x == id)?;
                        Some(ids.swap_remove(at))
                    });
                    if earlier.is_none() {
                        self.navigating.remove(c);
                    }
                }
            }
            // A kept browser makes a tab per check: what is known of a closed one goes (a
            // monitor runs for weeks).
            "browsingContext.contextDestroyed" => {
                if let Some(c) = params.get("context").and_then(Json::as_str) {
                    self.navigating.remove(c);
                    self.started.remove(c);
                    self.superseded.remove(c);
                }
            }
            _ => {}
        }
    }

    fn context_created(&mut self, p: &Json) {
        let Some(id) = opt_str(p.get("context")) else { return };
        let c = Context { parent: opt_str(p.get("parent")), user_context: opt_str(p.get("userContext")) };
        if self.contexts.insert(id.clone(), c).is_none() {
            self.context_order.push_back(id);
        }
        while self.context_order.len() > MAX_CONTEXTS {
            if let Some(old) = self.context_order.pop_front() {
                self.contexts.remove(&old);
            }
        }
    }

    fn log_entry(&mut self, p: &Json) {
        if p.get("level").and_then(Json::as_str) != Some("error") {
            return;
        }
        let kind = opt_str(p.get("type")).unwrap_or_else(|| "console".into());
        let context = p.get("source").and_then(|s| opt_str(s.get("context")));
        let text = p.get("text").map(text).unwrap_or_default();
        if self.errors.len() >= MAX_ERRORS {
            self.errors.pop_front();
            self.error_dropped = self.seq;
        }
        self.errors.push_back(LogError { seq: self.seq, context, kind, text });
    }

    fn request_from(&self, p: &Json) -> Request {
        let req = p.get("request").unwrap_or(&Json::Null);
        Request {
            seq: self.seq,
            context: opt_str(p.get("context")),
            id: req.get("request").map(text).unwrap_or_default(),
            redirect: p.get("redirectCount").and_then(Json::as_u64).unwrap_or(0),
            navigation: opt_str(p.get("navigation")),
            method: req.get("method").map(text).unwrap_or_default(),
            url: req.get("url").map(text).unwrap_or_default(),
            headers: headers(req.get("headers")),
            started: p.get("timestamp").and_then(Json::as_f64).unwrap_or(0.0),
            ended: None,
            timings: req.get("timings").cloned().unwrap_or(Json::Null),
            response: None,
            error: None,
        }
    }

    fn push_request(&mut self, r: Request) {
        if self.requests.len() >= MAX_REQUESTS {
            self.requests.pop_front();
            self.requests_dropped += 1;
            self.requests_dropped_at = self.seq;
        }
        self.requests.push_back(r);
    }

    /// The request an event is about (the same id and redirect hop), made from the event when
    /// its `beforeRequestSent` was not seen (or let go).
    fn request_for(&mut self, p: &Json) -> &mut Request {
        let fresh = self.request_from(p);
        let at = self.requests.iter().rposition(|r| r.id == fresh.id && r.redirect == fresh.redirect);
        let at = match at {
            Some(i) => i,
            None => {
                self.push_request(fresh);
                self.requests.len() - 1
            }
        };
        let r = &mut self.requests[at];
        if let Some(t) = p.get("request").and_then(|q| q.get("timings")).filter(|t| t.is_object()) {
            r.timings = t.clone();
        }
        r.ended = p.get("timestamp").and_then(Json::as_f64);
        r
    }

    /// A response's headers (`started`) or its end: either sets the request's response and,
    /// for a status of 400 or more, records a failure (listed once, by request id).
    fn response(&mut self, p: &Json, completed: bool) {
        let resp = p.get("response").unwrap_or(&Json::Null);
        let response = Response {
            status: resp.get("status").and_then(Json::as_u64).and_then(|s| u16::try_from(s).ok()).unwrap_or(0),
            status_text: resp.get("statusText").map(text).unwrap_or_default(),
            headers: headers(resp.get("headers")),
            mime: resp.get("mimeType").map(text).unwrap_or_default(),
            protocol: resp.get("protocol").map(text).unwrap_or_default(),
            size: resp.get("bytesReceived").and_then(Json::as_i64).unwrap_or(-1),
        };
        let seq = self.seq;
        let r = self.request_for(p);
        let seen = r.response.as_ref().map(|x| x.status);
        if seen.is_some() && !completed {
            return;
        }
        r.response = Some(response.clone());
        // Already recorded when its headers came in.
        if response.status >= 400 && seen.is_none_or(|s| s < 400) {
            let f = Failed::of(seq, r, Some(response.status), response.status_text, None);
            self.push_failure(f);
        }
    }

    fn fetch_error(&mut self, p: &Json) {
        let error = p.get("errorText").map(text).filter(|e| !e.is_empty()).unwrap_or_else(|| "failed".into());
        let seq = self.seq;
        let r = self.request_for(p);
        r.error = Some(error.clone());
        let f = Failed::of(seq, r, None, String::new(), Some(error));
        self.push_failure(f);
    }

    fn push_failure(&mut self, f: Failed) {
        if self.failures.len() >= MAX_FAILURES {
            self.failures.pop_front();
            self.failure_dropped = self.seq;
        }
        self.failures.push_back(f);
    }

    /// The tab a context is in (itself for a tab, or one not seen being created).
    fn top<'a>(&'a self, context: &'a str) -> &'a str {
        let mut at = context;
        for _ in 0..64 {
            match self.contexts.get(at).and_then(|c| c.parent.as_deref()) {
                Some(p) => at = p,
                None => break,
            }
        }
        at
    }

    /// Whether an event from `context` is the check's.
    pub fn in_scope(&self, context: Option<&str>, scope: &Scope) -> bool {
        let Some(tab) = &scope.tab else { return true };
        // A worker's log entries and requests may name no context: a kept browser serves one
        // check at a time (its journal is cleared for each), so they are this check's.
        let Some(context) = context else { return true };
        let top = self.top(context);
        top == tab
            || scope
                .user_context
                .as_deref()
                .is_some_and(|u| self.contexts.get(top).and_then(|c| c.user_context.as_deref()) == Some(u))
    }

    /// The check's console errors after event `since`, and whether some were let go.
    pub fn errors(&self, scope: &Scope, since: u64) -> (Vec<LogError>, bool) {
        let found = self.after(&self.errors, scope, since, |e| (e.seq, e.context.as_deref()));
        (found, self.error_dropped > since)
    }

    /// The check's failed requests after event `since`, and whether some were let go.
    pub fn failures(&self, scope: &Scope, since: u64) -> (Vec<Failed>, bool) {
        let found = self.after(&self.failures, scope, since, |f| (f.seq, f.context.as_deref()));
        (found, self.failure_dropped > since)
    }

    /// The items of the check (in `scope`) recorded after event `since`; `at` gives an item's
    /// event number and browsing context.
    fn after<T: Clone>(
        &self,
        items: &VecDeque<T>,
        scope: &Scope,
        since: u64,
        at: impl Fn(&T) -> (u64, Option<&str>),
    ) -> Vec<T> {
        items
            .iter()
            .filter(|i| {
                let (seq, context) = at(i);
                seq > since && self.in_scope(context, scope)
            })
            .cloned()
            .collect()
    }

    /// How many of the check's requests sent after event `since` have not ended yet.
    pub fn under_way(&self, scope: &Scope, since: u64) -> usize {
        self.requests
            .iter()
            .filter(|r| r.seq > since && r.response.is_none() && r.error.is_none())
            .filter(|r| self.in_scope(r.context.as_deref(), scope))
            .count()
    }

    /// The document that the first navigation of `tab` after event `since` went to: the last
    /// hop of its redirects (the same request id), ended or not; the caller waits for it to
    /// end, and for a redirect's next hop. A page that moves on by itself (a script, a meta
    /// refresh) is judged by where the navigation landed first, not by where it went next.
    pub fn document(&self, scope: &Scope, since: u64, tab: &str) -> Option<&Request> {
        let first = self.requests.iter().filter(|r| r.seq > since).find(|r| {
            r.navigation.is_some() && r.context.as_deref() == Some(tab) && self.in_scope(r.context.as_deref(), scope)
        })?;
        self.requests
            .iter()
            .rev()
            .take_while(|r| r.seq > since)
            .find(|r| r.id == first.id && r.context == first.context)
    }

    /// Whether a navigation of `context` started after event number `mark`.
    pub fn started_since(&self, context: &str, mark: u64) -> bool {
        self.started.get(context).is_some_and(|&n| n > mark)
    }

    /// Whether a navigation of `context` has started and not yet loaded (or failed).
    pub fn navigating(&self, context: &str) -> bool {
        self.navigating.contains_key(context)
    }

    /// The check's requests, oldest first.
    pub fn requests_in<'a>(&'a self, scope: &'a Scope) -> impl Iterator<Item = &'a Request> + 'a {
        self.requests.iter().filter(move |r| self.in_scope(r.context.as_deref(), scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(method: &str, params: Json) -> Json {
        json!({ "type": "event", "method": method, "params": params })
    }

    fn sent(id: &str, context: &str, url: &str, nav: Option<&str>) -> Json {
        event(
            "network.beforeRequestSent",
            json!({ "context": context, "navigation": nav, "redirectCount": 0, "timestamp": 1000.0,
                    "request": { "request": id, "url": url, "method": "GET",
                                 "headers": [{ "name": "Accept", "value": { "type": "string", "value": "*/*" } }] } }),
        )
    }

    fn done(id: &str, context: &str, url: &str, status: u64, nav: Option<&str>) -> Json {
        event(
            "network.responseCompleted",
            json!({ "context": context, "navigation": nav, "redirectCount": 0, "timestamp": 1050.0,
                    "request": { "request": id, "url": url, "method": "GET" },
                    "response": { "url": url, "status": status, "statusText": "Whatever", "headers": [] } }),
        )
    }

    #[test]
    fn failures_errors_and_documents_are_read_from_events() {
        let mut j = Journal::default();
        j.record(&sent("1", "tab", "http://h/", Some("n1")));
        j.record(&done("1", "tab", "http://h/", 500, Some("n1")));
        j.record(&sent("2", "tab", "http://h/ok.png", None));
        j.record(&done("2", "tab", "http://h/ok.png", 200, None));
        j.record(&sent("3", "tab", "http://h/gone", None));
        j.record(&event("network.fetchError", json!({ "context": "tab", "errorText": "net::ERR_FAILED", "request": { "request": "3", "url": "http://h/gone", "method": "GET" } })));
        j.record(&event(
            "log.entryAdded",
            json!({ "level": "error", "type": "javascript", "text": "Error: boom", "source": { "context": "tab" } }),
        ));
        j.record(&event(
            "log.entryAdded",
            json!({ "level": "warn", "type": "console", "text": "meh", "source": { "context": "tab" } }),
        ));
        j.record(&json!({ "type": "event", "method": "network.responseCompleted" }));
        j.record(&json!("not an event"));
        let all = Scope::default();
        let (failed, lost) = j.failures(&all, 0);
        let shown: Vec<String> = failed.iter().map(Failed::describe).collect();
        assert_eq!(shown, ["GET http://h/ → 500 Whatever", "GET http://h/gone → net::ERR_FAILED"]);
        assert!(!lost);
        let (errors, _) = j.errors(&all, 0);
        assert_eq!(errors.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(), ["Error: boom"]);
        assert_eq!(j.document(&all, 0, "tab").and_then(|d| d.response.as_ref()).map(|r| r.status), Some(500));
        assert_eq!(j.under_way(&all, 0), 0);
        assert_eq!(j.requests[0].headers, [("Accept".to_string(), "*/*".to_string())]);
        // After the last of them, nothing.
        assert!(j.failures(&all, j.seq()).0.is_empty() && j.errors(&all, j.seq()).0.is_empty());
    }

    #[test]
    fn a_goto_is_judged_by_its_own_navigation_in_its_own_tab() {
        let mut j = Journal::default();
        // The goto's page answered 500 and then moved on by itself to a 200 page; a popup in
        // another tab loaded a 200 page too.
        j.record(&sent("1", "tab", "http://h/broken", Some("n1")));
        j.record(&done("1", "tab", "http://h/broken", 500, Some("n1")));
        j.record(&sent("2", "popup", "http://h/ad", Some("n2")));
        j.record(&done("2", "popup", "http://h/ad", 200, Some("n2")));
        j.record(&sent("3", "tab", "http://h/", Some("n3")));
        j.record(&done("3", "tab", "http://h/", 200, Some("n3")));
        let doc = j.document(&Scope::default(), 0, "tab").and_then(|d| d.response.clone());
        assert_eq!(doc.map(|r| r.status), Some(500));
        assert!(j.document(&Scope::default(), 0, "elsewhere").is_none());
    }

    #[test]
    fn a_status_counts_from_its_headers_and_a_failure_is_recorded_once() {
        let mut j = Journal::default();
        j.record(&sent("1", "tab", "http://h/moves-on", Some("n")));
        let mut started = done("1", "tab", "http://h/moves-on", 500, Some("n"));
        started["method"] = json!("network.responseStarted");
        j.record(&started);
        // The page replaced itself before it completed: its status is known all the same.
        let doc = j.document(&Scope::default(), 0, "tab").and_then(|d| d.response.clone());
        assert_eq!(doc.map(|r| r.status), Some(500));
        j.record(&done("1", "tab", "http://h/moves-on", 500, Some("n")));
        assert_eq!(j.failures(&Scope::default(), 0).0.len(), 1);
    }

    #[test]
    fn a_kept_browser_check_counts_events_that_name_no_context() {
        let mut j = Journal::default();
        j.record(&event(
            "log.entryAdded",
            json!({ "level": "error", "type": "javascript", "text": "Error: in a worker", "source": {} }),
        ));
        let scope = Scope { tab: Some("tab".into()), user_context: Some("u".into()) };
        assert_eq!(j.errors(&scope, 0).0.len(), 1);
    }

    #[test]
    fn a_redirect_is_not_the_page_and_the_last_hop_is() {
        let mut j = Journal::default();
        j.record(&sent("1", "tab", "http://h/r", Some("n")));
        let mut hop = done("1", "tab", "http://h/r", 302, Some("n"));
        hop["params"]["response"]["headers"] =
            json!([{ "name": "Location", "value": { "type": "string", "value": "/x" } }]);
        j.record(&hop);
        let first = j.document(&Scope::default(), 0, "tab").and_then(|d| d.response.clone()).expect("the redirect");
        assert!(first.is_redirect(), "a 302 with a Location is a hop, not the page");
        let mut next = sent("1", "tab", "http://h/x", Some("n"));
        next["params"]["redirectCount"] = json!(1);
        j.record(&next);
        assert!(
            j.document(&Scope::default(), 0, "tab").is_some_and(|d| d.response.is_none()),
            "the last hop is not done yet"
        );
        let mut last = done("1", "tab", "http://h/x", 502, Some("n"));
        last["params"]["redirectCount"] = json!(1);
        j.record(&last);
        let page = j.document(&Scope::default(), 0, "tab").and_then(|d| d.response.clone()).expect("the page");
        assert_eq!((page.status, page.is_redirect()), (502, false));
    }

    #[test]
    fn a_kept_browser_check_sees_only_its_tab_and_its_frames() {
        let mut j = Journal::default();
        j.record(&event(
            "browsingContext.contextCreated",
            json!({ "context": "frame", "parent": "mine", "userContext": "u1" }),
        ));
        for (ctx, url) in [("other", "http://h/a"), ("frame", "http://h/b"), ("mine", "http://h/c")] {
            j.record(&sent(url, ctx, url, None));
            j.record(&done(url, ctx, url, 404, None));
        }
        let scope = Scope { tab: Some("mine".into()), user_context: Some("u1".into()) };
        let urls: Vec<String> = j.failures(&scope, 0).0.into_iter().map(|f| f.url).collect();
        assert_eq!(urls, ["http://h/b", "http://h/c"]);
    }

    #[test]
    fn failures_let_go_are_never_read_as_none() {
        let mut j = Journal::default();
        for i in 0..(MAX_FAILURES + 3) {
            let id = i.to_string();
            j.record(&sent(&id, "tab", "http://h/x", None));
            j.record(&done(&id, "tab", "http://h/x", 503, None));
        }
        let (kept, lost) = j.failures(&Scope::default(), 0);
        assert_eq!(kept.len(), MAX_FAILURES);
        assert!(lost);
        for i in 0..(MAX_REQUESTS + 5) {
            j.record(&sent(&format!("r{i}"), "tab", "http://h/y", None));
        }
        assert_eq!(j.requests.len(), MAX_REQUESTS);
        assert!(j.requests_dropped > 0);
    }

    #[test]
    fn a_tab_is_between_pages_from_a_navigation_start_until_it_loads_fails_or_is_given_up() {
        let mut j = Journal::default();
        let nav = |m: &str, c: &str| event(m, json!({ "context": c, "navigation": "n", "url": "http://h/" }));
        assert!(!j.navigating("tab"));
        for end in [
            "browsingContext.load",
            "browsingContext.fragmentNavigated",
            "browsingContext.navigationFailed",
            "browsingContext.navigationAborted",
            "browsingContext.contextDestroyed",
        ] {
            j.record(&nav("browsingContext.navigationStarted", "tab"));
            assert!(j.navigating("tab") && !j.navigating("other"), "{end}");
            // Another tab's page, or an event of no use, changes nothing.
            j.record(&nav("browsingContext.load", "other"));
            j.record(&nav("browsingContext.domContentLoaded", "tab"));
            assert!(j.navigating("tab"), "{end}");
            j.record(&nav(end, "tab"));
            assert!(!j.navigating("tab"), "{end}");
        }
    }

    #[test]
    fn the_end_of_a_navigation_given_up_does_not_end_the_one_that_replaced_it() {
        let mut j = Journal::default();
        let nav =
            |m: &str, id: Option<&str>| event(m, json!({ "context": "tab", "navigation": id, "url": "http://h/" }));
        j.record(&nav("browsingContext.navigationStarted", Some("first")));
        j.record(&nav("browsingContext.navigationStarted", Some("first")));
        j.record(&nav("browsingContext.navigationStarted", Some("second")));
        j.record(&nav("browsingContext.navigationAborted", Some("first")));
        assert!(j.navigating("tab"), "the second navigation is still under way");
        j.record(&nav("browsingContext.load", Some("second")));
        assert!(!j.navigating("tab"));
        // An end that names no navigation, or one never seen start, ends whatever is under way.
        for end in [None, Some("never started")] {
            j.record(&nav("browsingContext.navigationStarted", Some("third")));
            j.record(&nav("browsingContext.load", end));
            assert!(!j.navigating("tab"), "{end:?}");
        }
        // A closed tab's given-up navigations are forgotten with it.
        j.record(&nav("browsingContext.navigationStarted", Some("fourth")));
        j.record(&nav("browsingContext.navigationStarted", Some("fifth")));
        assert_eq!(j.superseded["tab"], ["fourth"]);
        j.record(&nav("browsingContext.contextDestroyed", None));
        assert!(!j.navigating("tab") && j.superseded.is_empty());
    }

    #[test]
    fn a_started_navigation_is_known_until_its_tab_closes() {
        let mut j = Journal::default();
        let nav = |m: &str, c: &str| event(m, json!({ "context": c, "navigation": "n", "url": "http://h/" }));
        let before = j.seq();
        j.record(&nav("browsingContext.navigationStarted", "tab"));
        let after = j.seq();
        assert!(j.started_since("tab", before) && !j.started_since("tab", after) && !j.started_since("other", before));
        j.record(&nav("browsingContext.load", "tab"));
        assert!(j.started_since("tab", before), "a navigation that loaded still started");
        j.record(&nav("browsingContext.contextDestroyed", "tab"));
        assert!(!j.started_since("tab", before) && j.started.is_empty(), "a closed tab is forgotten");
    }
}
