//! Browser steps as compiled from a suite (see `compile/browser.rs`), run by `browser.rs`.

use crate::suite::Pos;
use crate::suite::Predicate;
use crate::suite::template::Template;
use std::path::PathBuf;
use std::time::Duration;

/// Suite-level browser settings (`browser:` at the top of a suite).
#[derive(Clone, Debug, Default)]
pub struct BrowserOptions {
    /// How long waiting assertions keep trying (default 5 s).
    pub timeout: Option<Duration>,
    /// Extra command-line arguments for the browser.
    pub args: Vec<String>,
    /// `chrome` (default) or `firefox`.
    pub kind: BrowserKind,
    /// Window size, default 1280x800.
    pub window: Option<(u32, u32)>,
    /// Elements that show the application's own error (`div.error`, `.alert-danger`; CSS or
    /// XPath): while a `see` or `wait_for` waits, one of them displayed with text ends the wait
    /// at once with a failure that quotes it.
    pub error_selectors: Vec<Target>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BrowserKind {
    #[default]
    Chrome,
    Firefox,
}

/// One browser step: an action, and how long it may wait.
#[derive(Debug)]
pub struct BrowserStep {
    pub action: BrowserAction,
    pub timeout: Option<Duration>,
}

/// How an element is found: CSS by default, XPath (`xpath=…` or starting with `//`), or a
/// link's text (`link=…`).
#[derive(Clone, Debug)]
pub struct Target {
    pub how: How,
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    Css,
    XPath,
    LinkText,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self.how {
            How::Css => write!(f, "{}", self.value),
            How::XPath => write!(f, "xpath={}", self.value),
            How::LinkText => write!(f, "link={}", self.value),
        }
    }
}

#[derive(Debug)]
pub enum BrowserAction {
    /// Open a page. With BiDi, the document it lands on must answer below 400, or `status`.
    Goto {
        url: Template,
        status: Option<u16>,
    },
    Click(Target),
    Fill(Vec<(Target, Template)>),
    /// Choose an option by its value, else its label.
    Select(Vec<(Target, Template)>),
    Check(Target, bool),
    Press {
        target: Option<Target>,
        key: String,
    },
    Upload {
        target: Target,
        files: Vec<PathBuf>,
    },
    Hover(Target),
    /// Waiting assertions (`see`, `wait_for`): all must hold before the timeout.
    See(Vec<BrowserAssert>),
    Capture(Vec<(String, Pos, BrowserCapture)>),
    Screenshot(String),
    Eval {
        script: Template,
        /// Whether `script` is an expression or a function body that must `return`.
        form: ScriptForm,
        expect: Option<Predicate>,
        capture: Option<String>,
    },
    NoConsoleErrors,
    /// No request of the check's pages failed, except those an `allow` pattern matches (see
    /// `judge::url_allowed`).
    NoFailedRequests {
        allow: Vec<String>,
    },
}

/// How the JavaScript of an `eval` is written: the suite says which, as a guess would get an
/// arrow function with a block body (`() => { … }`) wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptForm {
    /// `eval: text` or `eval: { expression: … }`: its value is the result.
    Expression,
    /// `eval: { script: … }`: a function body; its `return` is the result.
    FunctionBody,
}

impl ScriptForm {
    /// The WebDriver script that runs `js` and returns `[undefined?, value]`, so that
    /// `undefined` (no `return`, a missing property) is told apart from `null`.
    pub fn wrap(self, js: &str) -> String {
        let call = match self {
            // The line breaks keep a trailing `// comment` from swallowing the wrapper.
            ScriptForm::Expression => format!("(function () {{ return (\n{js}\n); }})()"),
            ScriptForm::FunctionBody => format!("(function () {{\n{js}\n}})()"),
        };
        // A promise (an `async` result, `fetch(…).then(…)`) is settled first: WebDriver waits
        // for the one returned, within the script timeout; a rejected one is a script error.
        format!(
            "const __shakedown_v = {call};\nreturn Promise.resolve(__shakedown_v).then(v => [v === undefined, v === undefined ? null : v]);"
        )
    }
}

/// What a waiting assertion looks at.
#[derive(Debug)]
pub struct BrowserAssert {
    pub pos: Pos,
    pub subject: Subject,
    pub pred: Predicate,
}

#[derive(Clone, Debug)]
pub enum Subject {
    /// The visible text of the first match.
    Text(Target),
    /// Whether the first match is displayed (false when there is none).
    Visible(Target),
    Count(Target),
    Attr(Target, String),
    /// The text of the whole page.
    PageText,
    Title,
    Url,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Subject::Text(t) => write!(f, "text of {t}"),
            Subject::Visible(t) => write!(f, "visibility of {t}"),
            Subject::Count(t) => write!(f, "count of {t}"),
            Subject::Attr(t, a) => write!(f, "attribute {a} of {t}"),
            Subject::PageText => write!(f, "page text"),
            Subject::Title => write!(f, "page title"),
            Subject::Url => write!(f, "page URL"),
        }
    }
}

/// A value taken from the page into a variable.
#[derive(Clone, Debug)]
pub enum BrowserCapture {
    Text(Target),
    Attr(Target, String),
    Title,
    Url,
}

#[cfg(test)]
mod tests {
    use super::ScriptForm;

    #[test]
    fn eval_scripts_are_wrapped_as_the_suite_says() {
        let e = ScriptForm::Expression.wrap("(() => { return 1; })() // done");
        assert!(e.contains("return (\n(() => { return 1; })() // done\n);"), "{e}");
        let b = ScriptForm::FunctionBody.wrap("const n = 1;\nreturn n;");
        assert!(b.contains("(function () {\nconst n = 1;\nreturn n;\n})()"), "{b}");
        for w in [e, b] {
            assert!(
                w.ends_with(
                    "return Promise.resolve(__shakedown_v).then(v => [v === undefined, v === undefined ? null : v]);"
                ),
                "{w}"
            );
        }
    }
}
