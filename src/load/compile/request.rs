//! `request:`: the method, the URL, headers and query, the body (JSON, form, text, file or
//! multipart) and `auth`.

use super::Compiler;
use crate::load::yaml::{Node, Pos, Value};
use crate::suite::template::Template;
use crate::suite::*;

const REQUEST_KEYS: &[&str] = &[
    "method",
    "url",
    "headers",
    "query",
    "json",
    "form",
    "body",
    "file",
    "multipart",
    "auth",
    "follow_redirects",
    "timeout",
];

impl Compiler<'_> {
    pub(super) fn request(&mut self, node: &Node) -> Option<Request> {
        if let Some(line) = node.as_str() {
            // `GET /path` or just `/path`.
            let (method, url) = match line.trim().split_once(char::is_whitespace) {
                Some((m, u)) if m.chars().all(|c| c.is_ascii_uppercase()) => (m.to_string(), u.trim().to_string()),
                _ => ("GET".to_string(), line.trim().to_string()),
            };
            let method = self.method(&method, node.pos)?;
            let url_node = Node { value: Value::Str(url), pos: node.pos };
            let url = self.url(&url_node, node)?;
            return Some(Request {
                method,
                url,
                headers: Vec::new(),
                query: Vec::new(),
                body: None,
                auth: None,
                follow_redirects: None,
                timeout: None,
            });
        }
        let f = self.fields(node, "`request`", REQUEST_KEYS)?;
        let method = match f.get("method") {
            Some(n) => {
                let m = self.string(n, "`method`")?;
                self.method(&m, n.pos)?
            }
            None => reqwest::Method::GET,
        };
        let Some(url_node) = f.get("url") else {
            self.err_help(
                node.pos,
                "the request has no `url`",
                "add `url: /path` (relative to `base_url`) or a full URL",
            );
            return None;
        };
        let url = self.url(url_node, url_node);
        let headers = f.get("headers").map(|n| self.pairs(n, "`headers`")).unwrap_or_default();
        let query = f.get("query").map(|n| self.pairs(n, "`query`")).unwrap_or_default();
        let bodies: Vec<&str> =
            ["json", "form", "body", "file", "multipart"].into_iter().filter(|k| f.has(k)).collect();
        if bodies.len() > 1 {
            self.err(node.pos, format!("a request has one body, but this one has {}", bodies.join(" and ")));
        }
        let body = match bodies.first().copied() {
            Some("json") => f.get("json").and_then(|n| self.json_template(n)).map(Body::Json),
            Some("form") => f.get("form").map(|n| Body::Form(self.pairs(n, "`form`"))),
            Some("body") => f.get("body").and_then(|n| self.template(n, "`body`")).map(Body::Text),
            Some("file") => f.get("file").and_then(|n| self.file_ref(n, "body file")).map(Body::File),
            Some("multipart") => f.get("multipart").map(|n| Body::Multipart(self.multipart(n))),
            _ => None,
        };
        let auth = f.get("auth").and_then(|n| self.auth(n));
        let follow_redirects = f.get("follow_redirects").and_then(|n| self.bool(n, "`follow_redirects`"));
        let timeout = f.get("timeout").and_then(|n| self.duration(n, "`timeout`"));
        Some(Request { method, url: url?, headers, query, body, auth, follow_redirects, timeout })
    }

    fn method(&mut self, m: &str, pos: Pos) -> Option<reqwest::Method> {
        let upper = m.to_ascii_uppercase();
        match reqwest::Method::from_bytes(upper.as_bytes()) {
            Ok(method) if !upper.is_empty() => Some(method),
            _ => {
                self.err(pos, format!("`{m}` is not an HTTP method"));
                None
            }
        }
    }

    pub(super) fn url(&mut self, node: &Node, at: &Node) -> Option<Template> {
        let t = self.template(node, "the URL")?;
        if let Some(s) = t.as_static() {
            if s.is_empty() {
                self.err(at.pos, "the URL is empty");
                return None;
            }
            if !s.starts_with('/') {
                match reqwest::Url::parse(&s) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                    Ok(u) => {
                        self.err(at.pos, format!("only http and https URLs are supported, not `{}`", u.scheme()));
                        return None;
                    }
                    Err(e) => {
                        self.err_help(
                            at.pos,
                            format!("`{s}` is not a valid URL ({e})"),
                            "write a path starting with `/` (relative to `base_url`) or a full `https://…` URL",
                        );
                        return None;
                    }
                }
            }
        }
        Some(t)
    }

    fn multipart(&mut self, node: &Node) -> Vec<Part> {
        let Some(f) = self.fields(node, "`multipart`", &[]) else { return Vec::new() };
        let mut parts = Vec::new();
        for (name, _, v) in f.entries {
            if let Value::Map(_) = v.value {
                let Some(pf) = self.fields(v, "a multipart file", &["path", "filename", "type"]) else { continue };
                let Some(p) = pf.get("path") else {
                    self.err_help(
                        v.pos,
                        format!("multipart part `{name}` has no `path`"),
                        "a file part is `{ path: file, type: image/png }`; a text field is a plain string",
                    );
                    continue;
                };
                let Some(path) = self.file_ref(p, "file") else { continue };
                let filename = pf.get("filename").and_then(|n| self.load_time_string(n, "`filename`"));
                let content_type = pf.get("type").and_then(|n| self.string(n, "`type`"));
                if let Some(ct) = &content_type
                    && ct.parse::<reqwest::header::HeaderValue>().is_err()
                {
                    self.err(pf.get("type").map_or(v.pos, |n| n.pos), format!("`{ct}` is not a valid content type"));
                }
                parts.push(Part::File { name: name.to_string(), path, filename, content_type });
            } else if let Some(value) = self.template(v, &format!("multipart field `{name}`")) {
                parts.push(Part::Text { name: name.to_string(), value });
            }
        }
        parts
    }

    fn auth(&mut self, node: &Node) -> Option<Auth> {
        let f = self.fields(node, "`auth`", &["basic", "bearer"])?;
        if f.has("basic") && f.has("bearer") {
            self.err(node.pos, "`auth` is either `basic` or `bearer`, not both");
            return None;
        }
        if let Some(t) = f.get("bearer") {
            return Some(Auth::Bearer(self.template(t, "`bearer`")?));
        }
        if let Some(b) = f.get("basic") {
            let bf = self.fields(b, "`basic`", &["user", "password"])?;
            let user = bf.get("user").and_then(|n| self.template(n, "`user`"));
            let password = match bf.get("password") {
                Some(n) => self.template(n, "`password`"),
                None => Some(Template::literal("")),
            };
            if !bf.has("user") {
                self.err(b.pos, "basic auth needs a `user`");
            }
            return Some(Auth::Basic { user: user?, password: password? });
        }
        self.err_help(
            node.pos,
            "`auth` is empty",
            "use `auth: { bearer: … }` or `auth: { basic: { user: …, password: … } }`",
        );
        None
    }

    /// `name: value` pairs (headers, query, form fields) with interpolated values.
    pub(super) fn pairs(&mut self, node: &Node, what: &str) -> Vec<(String, Template)> {
        let Some(f) = self.fields(node, what, &[]) else { return Vec::new() };
        f.entries.iter().filter_map(|(k, _, v)| Some((k.to_string(), self.template(v, &format!("`{k}`"))?))).collect()
    }
}
