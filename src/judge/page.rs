//! Browser assertions, judged against what the page showed. The session observes (it alone
//! speaks WebDriver); the judging is the same as for HTTP.

use super::Verdict;
use super::predicate::eval;
use crate::suite::Pos;
use crate::suite::Predicate;
use crate::suite::browser::BrowserAssert;
use serde_json::Value as Json;
use std::collections::HashMap;

/// Judges `see`/`wait_for` assertions against the values observed for each (`None`: nothing
/// there). What a page shows is text, so it compares by its text.
pub fn judge_page(asserts: &[BrowserAssert], observed: &[Option<Json>], caps: &HashMap<String, Json>) -> Verdict {
    let mut verdict = Verdict::default();
    for (a, actual) in asserts.iter().zip(observed) {
        verdict.add(a.pos, a.subject.to_string(), eval(&a.pred, actual.as_ref(), caps, false));
    }
    verdict
}

/// Judges the value a script returned (`None`: `undefined`, no value): JSON, so it compares
/// by type and value.
pub fn judge_eval(pos: Pos, pred: &Predicate, value: Option<&Json>, caps: &HashMap<String, Json>) -> Verdict {
    let mut verdict = Verdict::default();
    verdict.add(pos, "eval".into(), eval(pred, value, caps, true));
    verdict
}
