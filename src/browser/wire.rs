//! The WebDriver wire: sorting failures, commands fantoccini lacks, and small encodings.

use crate::result::{Problem, ProblemType};
use serde_json::{Value as Json, json};

pub(super) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(500).collect()
}

pub(super) fn key_name(k: &str) -> String {
    use fantoccini::key::Key;
    let c = k.chars().next().unwrap_or(' ');
    let named = [(Key::Enter, "Enter"), (Key::Tab, "Tab"), (Key::Escape, "Escape"), (Key::Backspace, "Backspace")];
    named.iter().find(|(key, _)| char::from(*key) == c).map(|(_, n)| n.to_string()).unwrap_or_else(|| format!("{k:?}"))
}

/// A page the browser could not load, sorted like an HTTP transport error: from Chromium's
/// `net::ERR_*` code, or from the kind of Firefox's error page (`about:neterror?e=…`).
pub(super) fn navigation_error(code: &str) -> ProblemType {
    let code = code.trim().trim_start_matches("net::").trim_start_matches("NET::").to_ascii_uppercase();
    match code.as_str() {
        "ERR_NAME_NOT_RESOLVED" | "ERR_NAME_RESOLUTION_FAILED" | "DNSNOTFOUND" => ProblemType::Dns,
        "ERR_TIMED_OUT" | "ERR_CONNECTION_TIMED_OUT" | "NETTIMEOUT" => ProblemType::Timeout,
        "ERR_TOO_MANY_REDIRECTS" | "REDIRECTLOOP" => ProblemType::Redirect,
        c if c.starts_with("ERR_CERT_")
            || c.starts_with("ERR_SSL_")
            || c.contains("_CERT")
            || c.starts_with("NSSFAILURE")
            || c.starts_with("CERTERROR") =>
        {
            ProblemType::Tls
        }
        _ => ProblemType::Connection,
    }
}

/// The `net::ERR_*` code in a message from the driver, if there is one.
pub(super) fn net_error_code(text: &str) -> Option<String> {
    let at = text.find("net::ERR_").or_else(|| text.find("NET::ERR_"))?;
    let code: String = text[at + 5..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    Some(format!("net::{code}"))
}

/// The error for a page the browser could not load, typed by its code.
pub(super) fn navigation_problem(url: &str, code: &str) -> Problem {
    Problem::error(navigation_error(code), format!("the browser could not load {url} ({code})"))
}

/// The kind of a Firefox error page (`about:neterror?e=dnsNotFound&u=…` gives `dnsNotFound`;
/// `about:certerror…` gives `certerror`), if the text names one.
pub(super) fn firefox_error_page(text: &str) -> Option<String> {
    if text.contains("about:certerror") {
        return Some("certerror".into());
    }
    let at = text.find("about:neterror")?;
    let rest = &text[at..];
    let kind = rest.split_once("e=").map(|(_, k)| k.chars().take_while(|c| c.is_ascii_alphanumeric()).collect());
    Some(kind.unwrap_or_else(|| "neterror".into()))
}

/// Sorts a WebDriver failure: a crashed or vanished browser or driver is an error, an element
/// the page does not have is a failure of the page, a page the browser could not load is an
/// error typed like an HTTP one.
pub(super) fn classify(what: &str, e: &fantoccini::error::CmdError) -> Problem {
    use fantoccini::error::CmdError;
    let text = first_line(&e.to_string());
    let lower = text.to_ascii_lowercase();
    if !e.is_javascript_error()
        && let Some(code) = net_error_code(&text).or_else(|| firefox_error_page(&text))
    {
        return navigation_problem("the page", &code);
    }
    match e {
        CmdError::Failed(_) | CmdError::FailedC(_) | CmdError::Lost(_) => Problem::error(
            ProblemType::Driver,
            format!("lost the connection to the WebDriver server during `{what}`: {text}"),
        ),
        _ if lower.contains("could not be reached") => Problem::error(
            ProblemType::Driver,
            format!("lost the connection to the WebDriver server during `{what}`: {text}"),
        ),
        _ if e.is_insecure_certificate() => {
            Problem::error(ProblemType::Tls, format!("the browser refused the page's certificate: {text}"))
        }
        _ if e.is_timeout() || e.is_script_timeout() => {
            Problem::error(ProblemType::Timeout, format!("the browser timed out during `{what}`: {text}"))
        }
        _ if lower.contains("no such element") || lower.contains("stale element") => {
            Problem::failure(ProblemType::Element, format!("`{what}`: {text}"))
        }
        _ if lower.contains("invalid session")
            || lower.contains("session deleted")
            || lower.contains("not reachable")
            || lower.contains("disconnected")
            || lower.contains("crash")
            || lower.contains("target window already closed") =>
        {
            Problem::error(
                ProblemType::BrowserCrash,
                format!("the browser crashed or went away during `{what}`: {text}"),
            )
        }
        _ if lower.contains("element not interactable") || lower.contains("element click intercepted") => {
            Problem::failure(ProblemType::Element, format!("`{what}`: {text}"))
        }
        _ if lower.contains("javascript error") => Problem::failure(ProblemType::Script, format!("`{what}`: {text}")),
        _ => Problem::error(ProblemType::Browser, format!("`{what}` failed: {text}")),
    }
}

/// Commands fantoccini does not send the way we need: two that Chrome and Selenium Grid
/// understand beyond W3C WebDriver, and adding a host-only cookie (fantoccini always sends a
/// `domain`, which chromedriver rejects when it is null).
pub(super) enum ExtraCommand {
    /// `POST /session/{id}/cookie`.
    AddCookie(Json),
    /// `POST /session/{id}/se/file`: a zipped, base64-encoded file for a remote node.
    File(String),
    /// `POST /session/{id}/se/log`: the browser console (Chrome).
    Log,
    /// `POST /session/{id}/goog/cdp/execute`: a Chrome DevTools command in the current tab
    /// (chromedriver).
    Cdp { cmd: &'static str, params: Json },
    /// `POST /session/{id}/url` with an absolute URL (fantoccini's `goto` first asks for the
    /// current URL, to resolve a relative one: a round trip for nothing).
    Navigate(String),
}

/// Names the command only: what it carries may be a secret (a value `fill` inserts).
impl std::fmt::Debug for ExtraCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtraCommand::AddCookie(_) => f.write_str("AddCookie"),
            ExtraCommand::File(_) => f.write_str("File"),
            ExtraCommand::Log => f.write_str("Log"),
            ExtraCommand::Cdp { cmd, .. } => write!(f, "Cdp({cmd})"),
            ExtraCommand::Navigate(_) => f.write_str("Navigate"),
        }
    }
}

impl fantoccini::wd::WebDriverCompatibleCommand for ExtraCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        let sid = session_id.unwrap_or("");
        let path = match self {
            ExtraCommand::File(_) => format!("session/{sid}/se/file"),
            ExtraCommand::Log => format!("session/{sid}/se/log"),
            ExtraCommand::AddCookie(_) => format!("session/{sid}/cookie"),
            ExtraCommand::Cdp { .. } => format!("session/{sid}/goog/cdp/execute"),
            ExtraCommand::Navigate(_) => format!("session/{sid}/url"),
        };
        base_url.join(&path)
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = match self {
            ExtraCommand::File(b64) => json!({ "file": b64 }),
            ExtraCommand::Log => json!({ "type": "browser" }),
            ExtraCommand::AddCookie(c) => c.clone(),
            ExtraCommand::Cdp { cmd, params } => json!({ "cmd": cmd, "params": params }),
            ExtraCommand::Navigate(url) => json!({ "url": url }),
        };
        (http::Method::POST, Some(body.to_string()))
    }
}

pub(super) fn zip_one(name: &str, bytes: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        w.start_file(name, opts)?;
        w.write_all(bytes)?;
        w.finish()?;
    }
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_errors_are_typed_like_http_ones() {
        for (code, t) in [
            ("ERR_CONNECTION_REFUSED", ProblemType::Connection),
            ("net::ERR_CONNECTION_RESET", ProblemType::Connection),
            ("ERR_EMPTY_RESPONSE", ProblemType::Connection),
            ("ERR_NAME_NOT_RESOLVED", ProblemType::Dns),
            ("NET::ERR_CERT_AUTHORITY_INVALID", ProblemType::Tls),
            ("ERR_SSL_PROTOCOL_ERROR", ProblemType::Tls),
            ("ERR_TIMED_OUT", ProblemType::Timeout),
            ("ERR_CONNECTION_TIMED_OUT", ProblemType::Timeout),
            ("dnsNotFound", ProblemType::Dns),
            ("connectionFailure", ProblemType::Connection),
            ("netTimeout", ProblemType::Timeout),
            ("certerror", ProblemType::Tls),
        ] {
            assert_eq!(navigation_error(code), t, "{code}");
        }
    }

    #[test]
    fn codes_are_found_in_driver_messages() {
        let chrome = "unknown error: net::ERR_CONNECTION_REFUSED\n  (Session info: chrome=156)";
        assert_eq!(net_error_code(chrome).as_deref(), Some("net::ERR_CONNECTION_REFUSED"));
        let firefox = "Reached error page: about:neterror?e=dnsNotFound&u=http%3A//smoke.invalid/";
        assert_eq!(firefox_error_page(firefox).as_deref(), Some("dnsNotFound"));
        assert_eq!(net_error_code("no such element: #x"), None);
    }
}
