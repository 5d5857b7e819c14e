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

/// Sorts a WebDriver failure: a crashed or vanished browser or driver is an error, an element
/// the page does not have is a failure of the page.
pub(super) fn classify(what: &str, e: &fantoccini::error::CmdError) -> Problem {
    use fantoccini::error::CmdError;
    let text = first_line(&e.to_string());
    let lower = text.to_ascii_lowercase();
    match e {
        CmdError::Failed(_) | CmdError::FailedC(_) | CmdError::Lost(_) => Problem::error(
            ProblemType::Driver,
            format!("lost the connection to the WebDriver server during `{what}`: {text}"),
        ),
        _ if lower.contains("could not be reached") => Problem::error(
            ProblemType::Driver,
            format!("lost the connection to the WebDriver server during `{what}`: {text}"),
        ),
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
#[derive(Debug)]
pub(super) enum ExtraCommand {
    /// `POST /session/{id}/cookie`.
    AddCookie(Json),
    /// `POST /session/{id}/se/file`: a zipped, base64-encoded file for a remote node.
    File(String),
    /// `POST /session/{id}/se/log`: the browser console (Chrome).
    Log,
}

impl fantoccini::wd::WebDriverCompatibleCommand for ExtraCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        let sid = session_id.unwrap_or("");
        let path = match self {
            ExtraCommand::File(_) => format!("session/{sid}/se/file"),
            ExtraCommand::Log => format!("session/{sid}/se/log"),
            ExtraCommand::AddCookie(_) => format!("session/{sid}/cookie"),
        };
        base_url.join(&path)
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = match self {
            ExtraCommand::File(b64) => json!({ "file": b64 }),
            ExtraCommand::Log => json!({ "type": "browser" }),
            ExtraCommand::AddCookie(c) => c.clone(),
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
