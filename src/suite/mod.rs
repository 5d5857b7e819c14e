//! The compiled suite: what `load::compile` makes of a suite file, and what the runner executes.
//!
//! Every item keeps its position in the file, so failures can point at the line that asked
//! for them.

pub mod browser;
mod pos;
pub mod template;

pub use pos::Pos;

use crate::suite::template::Template;
use serde_json::Value as Json;
use serde_json_path::JsonPath;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One suite file, ready to run.
#[derive(Debug)]
pub struct Suite {
    pub name: String,
    /// The path as the user named it (relative to the working directory when possible).
    pub file: PathBuf,
    /// The folder that relative file references are resolved against.
    pub dir: PathBuf,
    pub environment: String,
    pub base_url: Option<String>,
    /// The commit under test, from `commit:` in the suite or `GIT_SHA`/`GITHUB_SHA`.
    pub commit: Option<String>,
    pub tags: Vec<String>,
    pub defaults: Defaults,
    pub tls: Tls,
    pub setup: Vec<Step>,
    pub checks: Vec<Check>,
    pub teardown: Vec<Step>,
    /// Values of the suite's secrets, masked in every output.
    pub secret_values: Vec<String>,
    pub browser: crate::suite::browser::BrowserOptions,
    /// Settings for `shakedown monitor` (`monitor:`); `run` ignores them.
    pub monitor: MonitorOptions,
}

/// How `shakedown monitor` schedules a suite: `monitor: { every: 5m }`.
#[derive(Clone, Debug, Default)]
pub struct MonitorOptions {
    /// The suite's own interval, instead of `--every`.
    pub every: Option<Duration>,
}

/// The shortest interval `monitor.every` and `--every` accept.
pub const MIN_MONITOR_EVERY: Duration = Duration::from_millis(100);

/// Settings every request and check of a suite starts from.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub timeout: Duration,
    pub headers: Vec<(String, Template)>,
    pub follow_redirects: bool,
    /// How much of a response body is kept for assertions.
    pub max_body: usize,
    pub retries: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            timeout: Duration::from_secs(10),
            headers: Vec::new(),
            follow_redirects: false,
            max_body: 10 * 1024 * 1024,
            retries: 0,
        }
    }
}

/// TLS settings of a suite's HTTP clients.
#[derive(Clone, Debug, Default)]
pub struct Tls {
    /// Extra trusted CA certificates (PEM), besides the system's.
    pub ca: Option<PathBuf>,
    /// Client certificate and key (PEM), for mutual TLS.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Skip certificate verification: an explicit opt-in that prints a warning.
    pub insecure: bool,
}

/// One check: a name in the report, and the steps that decide it.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    pub pos: Pos,
    pub tags: Vec<String>,
    pub steps: Vec<Step>,
    /// Runs after the steps, whatever happened to them.
    pub teardown: Vec<Step>,
    /// Extra attempts of the whole check; passing after a failed attempt is "flaky".
    pub retries: u32,
    /// Use a cookie jar of its own instead of the suite's shared one.
    pub isolated: bool,
    pub is_browser: bool,
}

/// One action and what must hold afterwards.
#[derive(Debug)]
pub struct Step {
    pub name: Option<String>,
    pub pos: Pos,
    pub action: Action,
    pub expect: Vec<Assertion>,
    pub captures: Vec<Capture>,
    pub retry: Option<Retry>,
}

#[derive(Debug)]
pub enum Action {
    Http(Box<Request>),
    Browser(crate::suite::browser::BrowserStep),
}

/// Repeat a step until its expectations hold, e.g. to wait for a rollout.
#[derive(Clone, Debug)]
pub struct Retry {
    pub for_: Duration,
    pub every: Duration,
    /// Each wait is the previous one times this (1 = fixed interval).
    pub backoff: f64,
    pub max_every: Duration,
}

#[derive(Debug)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: Template,
    pub headers: Vec<(String, Template)>,
    pub query: Vec<(String, Template)>,
    pub body: Option<Body>,
    pub auth: Option<Auth>,
    pub follow_redirects: Option<bool>,
    pub timeout: Option<Duration>,
}

#[derive(Debug)]
pub enum Body {
    Json(JsonTemplate),
    Form(Vec<(String, Template)>),
    Text(Template),
    /// The raw bytes of a local file.
    File(PathBuf),
    Multipart(Vec<Part>),
}

#[derive(Debug)]
pub enum Part {
    Text { name: String, value: Template },
    File { name: String, path: PathBuf, filename: Option<String>, content_type: Option<String> },
}

#[derive(Debug)]
pub enum Auth {
    Basic { user: Template, password: Template },
    Bearer(Template),
}

/// A JSON value whose strings may hold interpolations.
#[derive(Clone, Debug)]
pub enum JsonTemplate {
    Value(Json),
    Str(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    pub fn render(&self, caps: &std::collections::HashMap<String, Json>) -> Result<Json, String> {
        Ok(match self {
            JsonTemplate::Value(v) => v.clone(),
            JsonTemplate::Str(t) => t.render(caps)?,
            JsonTemplate::Array(items) => Json::Array(items.iter().map(|i| i.render(caps)).collect::<Result<_, _>>()?),
            JsonTemplate::Object(entries) => Json::Object(
                entries.iter().map(|(k, v)| Ok((k.clone(), v.render(caps)?))).collect::<Result<_, String>>()?,
            ),
        })
    }
}

/// One expectation, at its place in the file.
#[derive(Debug)]
pub struct Assertion {
    pub pos: Pos,
    pub kind: AssertKind,
}

#[derive(Debug)]
pub enum AssertKind {
    Status(Vec<StatusPattern>),
    /// `2xx`, for a step that names no `status` of its own: a step that asserts nothing
    /// would pass on any answer, a 500 included.
    ImplicitStatus,
    Header {
        name: String,
        pred: Predicate,
    },
    Body(Predicate),
    Json {
        query: JsonQuery,
        pred: Predicate,
    },
    /// The final URL of the response (after any redirects that were followed).
    Url(Predicate),
    Html {
        selector: String,
        target: HtmlTarget,
        pred: Predicate,
    },
    /// Response time in milliseconds.
    Time(Predicate),
    Sha256(Sha256Source),
    /// Days until the server's TLS certificate expires.
    CertDays(Predicate),
}

/// A compiled JSONPath, and whether it is singular (RFC 9535: only name and index selectors).
/// A singular path yields its one value or nothing; any other path always yields a list, empty
/// when nothing matched, so the shape of a result never depends on how many nodes matched.
#[derive(Clone, Debug)]
pub struct JsonQuery {
    pub path: Arc<JsonPath>,
    /// The path as written, for messages.
    pub source: String,
    pub singular: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusPattern {
    Exact(u16),
    /// `2xx` is `Class(2)`.
    Class(u16),
}

impl std::fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            StatusPattern::Exact(c) => write!(f, "{c}"),
            StatusPattern::Class(c) => write!(f, "{c}xx"),
        }
    }
}

#[derive(Clone, Debug)]
pub enum HtmlTarget {
    /// The text of the first match (and `count` of all matches).
    Text,
    Attr(String),
    Count,
}

#[derive(Debug)]
pub enum Sha256Source {
    Hex(String),
    File(PathBuf),
}

/// Conditions a value must meet, all of them.
#[derive(Clone, Debug, Default)]
pub struct Predicate {
    pub ops: Vec<Op>,
}

#[derive(Clone, Debug)]
pub enum Op {
    Equals(JsonTemplate),
    NotEquals(JsonTemplate),
    Lt(f64),
    Lte(f64),
    Gt(f64),
    Gte(f64),
    Contains(JsonTemplate),
    NotContains(JsonTemplate),
    Matches(regex::Regex),
    NotMatches(regex::Regex),
    Exists(bool),
    Type(JsonType),
    Length(Box<Predicate>),
    OneOf(Vec<JsonTemplate>),
    /// Every element of a list meets the nested comparison; an empty list does not.
    Each(Box<Predicate>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub const NAMES: &'static [&'static str] = &["string", "number", "integer", "boolean", "array", "object", "null"];

    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }

    pub fn of(v: &Json) -> JsonType {
        match v {
            Json::String(_) => JsonType::String,
            Json::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Json::Number(_) => JsonType::Number,
            Json::Bool(_) => JsonType::Boolean,
            Json::Array(_) => JsonType::Array,
            Json::Object(_) => JsonType::Object,
            Json::Null => JsonType::Null,
        }
    }
}

/// Take a value from a response (or page) into a variable.
#[derive(Debug)]
pub struct Capture {
    pub name: String,
    pub pos: Pos,
    pub source: CaptureSource,
    /// `allow_empty: true`: a `null`, `""` or `[]` is a value; otherwise it fails the step.
    pub allow_empty: bool,
}

#[derive(Debug)]
pub enum CaptureSource {
    Json(JsonQuery),
    Header(String),
    Cookie(String),
    /// The first group of the regex if it has one, else the whole match, in the body text.
    Regex(regex::Regex),
    Css {
        selector: String,
        attr: Option<String>,
    },
    Status,
}

/// The full URL of a request or a page: a path starting with `/` goes under `base_url`.
pub fn resolve_url(raw: &str, base: Option<&str>) -> Result<reqwest::Url, String> {
    let full = if raw.starts_with('/') {
        match base {
            Some(b) => [b, raw].concat(),
            None => return Err(format!("`{raw}` is relative but the suite has no base_url")),
        }
    } else {
        raw.to_string()
    };
    reqwest::Url::parse(&full).map_err(|e| format!("`{full}` is not a valid URL ({e})"))
}
