//! HTTP steps: building clients per cookie scope, sending a request, and reading the answer
//! into an `Exchange` that assertions and captures are judged against.

pub use crate::judge::Exchange;
use crate::redact::Redactor;
use crate::result::ProblemType;
use crate::suite::template::Template;
use crate::suite::{Auth, Body, Part, Request, Suite, Tls};
use reqwest::cookie::Jar;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A cookie scope: a cookie jar of its own, and the run's client for its TLS settings.
/// Making one is cheap: clients (and the system certificate store each reads) are built once
/// per distinct `tls:` block in a run and shared; the jar and whether to follow redirects are
/// given to each request as it is sent.
#[derive(Clone)]
pub struct Scope {
    pub jar: Arc<Jar>,
    client: reqwest::Client,
}

impl Scope {
    pub fn new(tls: &Tls) -> Result<Scope, String> {
        Ok(Scope { jar: Arc::new(Jar::default()), client: shared_client(tls)? })
    }
}

/// The client for these TLS settings, built on first use.
fn shared_client(tls: &Tls) -> Result<reqwest::Client, String> {
    static CLIENTS: std::sync::OnceLock<std::sync::Mutex<HashMap<String, reqwest::Client>>> =
        std::sync::OnceLock::new();
    let key = format!("{tls:?}");
    let clients = CLIENTS.get_or_init(Default::default);
    if let Some(c) = clients.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let c = client(tls)?;
    if let Ok(mut m) = clients.lock() {
        m.insert(key, c.clone());
    }
    Ok(c)
}

tokio::task_local! {
    /// The cookie jar of the request being sent.
    static JAR: Arc<Jar>;
    /// Whether the request being sent follows redirects.
    static FOLLOW: bool;
}

/// Hands reqwest the jar of the request being sent (its cookie calls run while the request
/// future is polled, inside the `JAR` scope that `send` sets).
struct TaskJar;

impl reqwest::cookie::CookieStore for TaskJar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &reqwest::header::HeaderValue>, url: &reqwest::Url) {
        let _ = JAR.try_with(|j| j.set_cookies(headers, url));
    }

    fn cookies(&self, url: &reqwest::Url) -> Option<reqwest::header::HeaderValue> {
        JAR.try_with(|j| j.cookies(url)).ok().flatten()
    }
}

fn client(tls: &Tls) -> Result<reqwest::Client, String> {
    let b = reqwest::Client::builder()
        .cookie_provider(Arc::new(TaskJar))
        .user_agent(concat!("shakedown/", env!("CARGO_PKG_VERSION")))
        .tls_info(true)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(30))
        .dns_resolver(Resolver)
        .redirect(follow_if_asked());
    let b = if system_proxy_is_none() { b.no_proxy() } else { b };
    let b = super::tls::configure(b, tls)?;
    b.build().map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// Whether reqwest's system proxy would be no proxy at all. On Linux it comes only from the
/// environment (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, in either case), and with none of
/// them set it never applies, yet is asked about every request twice (1% of the CPU of a
/// large run): it is then left out. Elsewhere it also reads the system's settings, so it stays.
fn system_proxy_is_none() -> bool {
    const VARS: [&str; 6] = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];
    cfg!(target_os = "linux") && VARS.iter().all(|v| std::env::var_os(v).is_none())
}

tokio::task_local! {
    /// The redirects the request being sent went through, for its log.
    static REDIRECTS: std::cell::RefCell<Vec<String>>;
}

/// Follows up to 10 redirects when the request asks to, noting each hop for the step log. The
/// policy runs while the request future is polled, inside the scopes that `send` sets.
fn follow_if_asked() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if !FOLLOW.try_with(|f| *f).unwrap_or(false) {
            return attempt.stop();
        }
        if attempt.previous().len() > 10 {
            return attempt.error("too many redirects");
        }
        let hop = format!("{} {}", attempt.status().as_u16(), attempt.url());
        let _ = REDIRECTS.try_with(|r| r.borrow_mut().push(hop));
        attempt.follow()
    })
}

/// Why a request got no answer to judge.
#[derive(Debug)]
pub struct TransportError {
    /// Connection, DNS, timeout, TLS, request (we could not build it), body.
    pub type_: ProblemType,
    pub message: String,
}

/// Everything a request needs from its surroundings.
pub struct SendContext<'a> {
    pub suite: &'a Suite,
    pub captures: &'a HashMap<String, Json>,
    pub redactor: &'a Redactor,
    /// Whether a `sha256` assertion needs the body's digest.
    pub hash_body: bool,
}

/// Renders a template for a request, turning a missing capture into an error.
fn render(t: &Template, cx: &SendContext) -> Result<String, TransportError> {
    t.render_str(cx.captures).map_err(|message| TransportError { type_: ProblemType::MissingCapture, message })
}

/// The full URL of a request: relative paths go under `base_url`.
pub fn resolve_url(raw: &str, base: Option<&str>) -> Result<reqwest::Url, TransportError> {
    crate::suite::resolve_url(raw, base).map_err(|message| TransportError { type_: ProblemType::Request, message })
}

/// Sends one request and reads its response.
pub async fn send(scope: &Scope, req: &Request, cx: &SendContext<'_>) -> Result<Exchange, TransportError> {
    let suite = cx.suite;
    let follow = req.follow_redirects.unwrap_or(suite.defaults.follow_redirects);
    let timeout = req.timeout.unwrap_or(suite.defaults.timeout);
    let request = build(scope, req, cx, timeout).await?;
    let request_line = cx.redactor.redact(&format!("{} {}", req.method, request.url()));

    let started = Instant::now();
    let (mut resp, mut redirects) = send_recorded(request, scope, follow).await;
    // A server may close a kept-alive connection just as the next request goes out on it; an
    // idempotent request is then made and sent once more, on a new connection. (Made again
    // rather than copied before the first send: a copy for every request was measurable.)
    if let Err(e) = &resp
        && req.method.is_idempotent()
        && closed_before_answer(e)
    {
        let again = build(scope, req, cx, timeout).await?;
        (resp, redirects) = send_recorded(again, scope, follow).await;
    }
    let mut resp = resp.map_err(|e| classify(&e, timeout, cx.redactor))?;
    let status = resp.status();
    let url = resp.url().clone();
    let cookies = learn_headers(&resp, cx.redactor);
    // Kept as the response has them (names lower-case, values as bytes) and read as text when
    // a step asks: copying every header of every response into strings was 2% of a run.
    let headers = std::mem::take(resp.headers_mut());
    let cert_not_after = resp
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .and_then(|der| x509_parser::parse_x509_certificate(der).ok())
        .map(|(_, cert)| cert.validity().not_after.timestamp());
    let body = read_body(&mut resp, suite.defaults.max_body, cx.hash_body)
        .await
        .map_err(|e| classify(&e, timeout, cx.redactor))?;
    Ok(Exchange {
        request_line,
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        headers,
        body_truncated: body.len > body.kept.len() as u64,
        body: body.kept,
        body_len: body.len,
        sha256: body.sha256,
        elapsed: started.elapsed(),
        cert_not_after,
        url,
        redirects,
        cookies,
        json: std::sync::OnceLock::new(),
    })
}

/// The request as it goes out: URL, headers, authentication and body.
async fn build(
    scope: &Scope,
    req: &Request,
    cx: &SendContext<'_>,
    timeout: Duration,
) -> Result<reqwest::Request, TransportError> {
    let url = request_url(req, cx)?;
    let b = scope.client.request(req.method.clone(), url).timeout(timeout).headers(request_headers(req, cx)?);
    with_body(with_auth(b, req, cx)?, req, cx).await?.build().map_err(|e| classify(&e, timeout, cx.redactor))
}

/// The request's full URL: its template rendered under `base_url`, with its `query`.
fn request_url(req: &Request, cx: &SendContext<'_>) -> Result<reqwest::Url, TransportError> {
    let raw = req
        .url
        .render_url(cx.captures)
        .map_err(|message| TransportError { type_: ProblemType::MissingCapture, message })?;
    let mut url = resolve_url(&raw, cx.suite.base_url.as_deref())?;
    if !req.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &req.query {
            pairs.append_pair(k, &render(v, cx)?);
        }
    }
    Ok(url)
}

/// The suite's default headers and the request's own; a request's header replaces a default
/// of the same name. Sensitive values are learned as secrets.
fn request_headers(req: &Request, cx: &SendContext<'_>) -> Result<reqwest::header::HeaderMap, TransportError> {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in cx.suite.defaults.headers.iter().chain(&req.headers) {
        let v = render(value, cx)?;
        cx.redactor.add_header(name, &v);
        let bad =
            |what: &str| TransportError { type_: ProblemType::Request, message: format!("header `{name}`: {what}") };
        let n = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("not a valid header name"))?;
        let v = reqwest::header::HeaderValue::from_str(&v)
            .map_err(|_| bad("the value has characters a header cannot carry"))?;
        headers.insert(n, v);
    }
    Ok(headers)
}

fn with_auth(
    b: reqwest::RequestBuilder,
    req: &Request,
    cx: &SendContext<'_>,
) -> Result<reqwest::RequestBuilder, TransportError> {
    Ok(match &req.auth {
        Some(Auth::Bearer(t)) => {
            let token = render(t, cx)?;
            cx.redactor.add(&token);
            b.bearer_auth(token)
        }
        Some(Auth::Basic { user, password }) => {
            let u = render(user, cx)?;
            let p = render(password, cx)?;
            cx.redactor.add(&p);
            // The header carries `user:password` in base64, which gives the password away just
            // as well: an echoing server or a proxy error page must not show it either.
            cx.redactor.add(&base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{u}:{p}")));
            b.basic_auth(u, Some(p))
        }
        None => b,
    })
}

async fn with_body(
    b: reqwest::RequestBuilder,
    req: &Request,
    cx: &SendContext<'_>,
) -> Result<reqwest::RequestBuilder, TransportError> {
    Ok(match &req.body {
        None => b,
        Some(Body::Json(t)) => b.json(
            &t.render(cx.captures).map_err(|message| TransportError { type_: ProblemType::MissingCapture, message })?,
        ),
        Some(Body::Form(fields)) => {
            let pairs: Vec<(String, String)> =
                fields.iter().map(|(k, v)| Ok((k.clone(), render(v, cx)?))).collect::<Result<_, TransportError>>()?;
            b.form(&pairs)
        }
        Some(Body::Text(t)) => b.body(render(t, cx)?),
        Some(Body::File(path)) => {
            let bytes = tokio::fs::read(path).await.map_err(|e| TransportError {
                type_: ProblemType::Request,
                message: format!("cannot read {}: {e}", path.display()),
            })?;
            b.body(bytes)
        }
        Some(Body::Multipart(parts)) => b.multipart(multipart(parts, cx).await?),
    })
}

/// Name and value pairs, in order.
type Pairs = Vec<(String, String)>;

/// The cookies the response sets; the values of its sensitive headers are learned as secrets.
fn learn_headers(resp: &reqwest::Response, redactor: &Redactor) -> Pairs {
    let mut cookies = Vec::new();
    for (name, value) in resp.headers() {
        // Most headers are neither: their values are not read at all.
        let (sensitive, cookie) =
            (crate::redact::is_sensitive_header(name.as_str()), name == reqwest::header::SET_COOKIE);
        if !sensitive && !cookie {
            continue;
        }
        let v = String::from_utf8_lossy(value.as_bytes());
        redactor.add_header(name.as_str(), &v);
        if cookie && let Some((n, rest)) = v.split_once('=') {
            let value = rest.split(';').next().unwrap_or("").trim().to_string();
            cookies.push((n.trim().to_string(), value));
        }
    }
    cookies
}

/// A body as read: its first `max_body` bytes, its whole length and its SHA-256.
struct ReadBody {
    kept: Vec<u8>,
    len: u64,
    sha256: Option<[u8; 32]>,
}

/// Streams the body: all of it is counted (and hashed when asked), only `max_body` bytes are
/// kept.
async fn read_body(resp: &mut reqwest::Response, max_body: usize, hash: bool) -> reqwest::Result<ReadBody> {
    let mut kept = Vec::new();
    let mut len = 0u64;
    let mut hasher = hash.then(Sha256::new);
    while let Some(chunk) = resp.chunk().await? {
        len += chunk.len() as u64;
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        let room = max_body.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(ReadBody { kept, len, sha256: hasher.map(|h| h.finalize().into()) })
}

async fn multipart(parts: &[Part], cx: &SendContext<'_>) -> Result<reqwest::multipart::Form, TransportError> {
    let mut form = reqwest::multipart::Form::new();
    for part in parts {
        form = match part {
            Part::Text { name, value } => form.text(name.clone(), render(value, cx)?),
            Part::File { name, path, filename, content_type } => {
                let bytes = tokio::fs::read(path).await.map_err(|e| TransportError {
                    type_: ProblemType::Request,
                    message: format!("cannot read {}: {e}", path.display()),
                })?;
                let fname = filename.clone().unwrap_or_else(|| {
                    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into())
                });
                let mut p = reqwest::multipart::Part::bytes(bytes).file_name(fname);
                if let Some(ct) = content_type {
                    p = p.mime_str(ct).map_err(|e| TransportError {
                        type_: ProblemType::Request,
                        message: format!("`{ct}` is not a content type: {e}"),
                    })?;
                }
                form.part(name.clone(), p)
            }
        };
    }
    Ok(form)
}

/// Sends a request with the scope's jar, following redirects or not, noting those it follows.
async fn send_recorded(
    request: reqwest::Request,
    scope: &Scope,
    follow: bool,
) -> (reqwest::Result<reqwest::Response>, Vec<String>) {
    let sent = REDIRECTS.scope(Default::default(), async {
        let r = scope.client.execute(request).await;
        (r, REDIRECTS.with(|r| r.take()))
    });
    JAR.scope(scope.jar.clone(), FOLLOW.scope(follow, sent)).await
}

/// Whether an established connection closed before any answer came: hyper's "connection
/// closed before message completed", a canceled request, or a reset or broken pipe on the
/// connection. A connection that could not be made at all is not this.
fn closed_before_answer(e: &reqwest::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    if e.is_connect() || e.is_timeout() {
        return false;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_canceled())
        {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof)
        {
            return true;
        }
        src = s.source();
    }
    false
}

/// A host name that could not be resolved: a type of our own, so a DNS failure is known by
/// its type in the error chain, not by words in a message.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}: {source}")]
pub struct DnsError {
    host: String,
    source: std::io::Error,
}

/// The system resolver, failing with a [`DnsError`].
struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await.map(|a| a.collect::<Vec<_>>());
            match found {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(source) => Err(Box::new(DnsError { host, source }) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// What the typed error chain says went wrong.
fn kind_of(e: &reqwest::Error) -> ProblemType {
    if e.is_timeout() {
        return ProblemType::Timeout;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if s.is::<DnsError>() {
            return ProblemType::Dns;
        }
        if s.is::<rustls::Error>() {
            return ProblemType::Tls;
        }
        match s.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::TimedOut => return ProblemType::Timeout,
            // An io::Error hides the error it wraps from `source()`: look inside.
            Some(io) if io.get_ref().is_some() => {
                src = io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static));
                continue;
            }
            _ => {}
        }
        src = s.source();
    }
    if e.is_connect() {
        ProblemType::Connection
    } else if e.is_redirect() {
        ProblemType::Redirect
    } else if e.is_body() || e.is_decode() {
        ProblemType::Body
    } else {
        ProblemType::Connection
    }
}

/// Sorts a transport failure into connection, DNS, timeout or TLS by the types in its error
/// chain, and says it with the root cause.
fn classify(e: &reqwest::Error, timeout: Duration, redactor: &Redactor) -> TransportError {
    let mut root = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        root = s.to_string();
        src = s.source();
    }
    let url = e.url().map(|u| redactor.redact(u.as_str())).unwrap_or_default();
    let type_ = kind_of(e);
    let message = match type_ {
        ProblemType::Timeout => format!("no complete answer from {url} within {}", crate::duration::human(timeout)),
        ProblemType::Tls => format!("TLS handshake with {url} failed: {root}"),
        ProblemType::Dns => format!("cannot resolve the host of {url}: {root}"),
        ProblemType::Redirect => format!("too many redirects from {url}"),
        ProblemType::Body => format!("the response body from {url} broke off: {root}"),
        _ if e.is_connect() => format!("cannot connect to {url}: {root}"),
        _ => format!("request to {url} failed: {root}"),
    };
    TransportError { type_, message: redactor.redact(&message) }
}
