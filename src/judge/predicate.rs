//! The predicates every assertion is judged with: equality, comparisons, containment,
//! patterns, existence, types and lengths.

use super::show::show;
use crate::suite::{JsonType, Op, Predicate};
use serde_json::Value as Json;
use std::collections::HashMap;

/// Expected against actual, as text for people.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub expected: String,
    pub actual: String,
}

/// Judges a value against all of a predicate's conditions. `strict` compares JSON types
/// exactly; otherwise (headers, text) scalars are compared by their text.
pub fn eval(
    pred: &Predicate,
    actual: Option<&Json>,
    caps: &HashMap<String, Json>,
    strict: bool,
) -> Result<(), Mismatch> {
    for op in &pred.ops {
        let fail = |expected: String| Mismatch { expected, actual: show_opt(actual) };
        if let Op::Exists(want) = op {
            if actual.is_some() != *want {
                return Err(fail(if *want { "a value".into() } else { "no value".into() }));
            }
            continue;
        }
        let Some(v) = actual else {
            return Err(fail(describe_op(op, caps)));
        };
        let ok = match op {
            Op::Equals(t) => t.render(caps).is_ok_and(|e| same(v, &e, strict)),
            Op::NotEquals(t) => t.render(caps).is_ok_and(|e| !same(v, &e, strict)),
            Op::OneOf(ts) => ts.iter().any(|t| t.render(caps).is_ok_and(|e| same(v, &e, strict))),
            Op::Contains(t) => t.render(caps).is_ok_and(|e| contains(v, &e)),
            Op::NotContains(t) => t.render(caps).is_ok_and(|e| !contains(v, &e)),
            Op::Lt(n) => number(v, strict).is_some_and(|x| x < *n),
            Op::Lte(n) => number(v, strict).is_some_and(|x| x <= *n),
            Op::Gt(n) => number(v, strict).is_some_and(|x| x > *n),
            Op::Gte(n) => number(v, strict).is_some_and(|x| x >= *n),
            Op::Matches(re) => re.is_match(&text_of(v)),
            Op::NotMatches(re) => !re.is_match(&text_of(v)),
            Op::Type(t) => {
                let actual_t = JsonType::of(v);
                actual_t == *t || (*t == JsonType::Number && actual_t == JsonType::Integer)
            }
            Op::Length(inner) => {
                let len = match v {
                    Json::String(s) => Some(s.chars().count()),
                    Json::Array(a) => Some(a.len()),
                    Json::Object(o) => Some(o.len()),
                    _ => None,
                };
                match len {
                    Some(l) => match eval(inner, Some(&Json::from(l)), caps, true) {
                        Ok(()) => true,
                        Err(m) => {
                            return Err(Mismatch {
                                expected: format!("length {}", m.expected),
                                actual: format!("length {l}: {}", show(v)),
                            });
                        }
                    },
                    None => false,
                }
            }
            Op::Each(inner) => match v {
                Json::Array(items) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        if let Err(m) = eval(inner, Some(item), caps, strict) {
                            return Err(Mismatch {
                                expected: format!("each element {}", m.expected),
                                actual: format!("element {i}: {} in {}", m.actual, show(v)),
                            });
                        }
                    }
                    true
                }
                _ => false,
            },
            Op::Exists(_) => true,
        };
        if !ok {
            let mut m = fail(describe_op(op, caps));
            if let Op::Type(_) = op {
                m.actual = format!("{} {}", JsonType::of(v).name(), show(v));
            }
            return Err(m);
        }
    }
    Ok(())
}

fn same(a: &Json, b: &Json, strict: bool) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => same_number(x, y),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q, strict)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, strict)))
        }
        (Json::String(_), Json::Number(_) | Json::Bool(_)) | (Json::Number(_) | Json::Bool(_), Json::String(_))
            if !strict =>
        {
            text_of(a) == text_of(b)
        }
        _ => a == b,
    }
}

/// Numbers are equal when they are the same number: two integers compare exactly (as f64,
/// 2^53 would equal 2^53 + 1), an integer equals a float only when the float is that integer.
fn same_number(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    match (integer(x), integer(y)) {
        (Some(a), Some(b)) => a == b,
        (Some(a), None) => float_is(y.as_f64(), a),
        (None, Some(b)) => float_is(x.as_f64(), b),
        (None, None) => x.as_f64() == y.as_f64(),
    }
}

fn integer(n: &serde_json::Number) -> Option<i128> {
    n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
}

fn float_is(f: Option<f64>, i: i128) -> bool {
    // 2^64 bounds every integer serde_json holds; beyond it `as` would saturate.
    f.is_some_and(|f| f.fract() == 0.0 && f.abs() < 18_446_744_073_709_551_616.0 && f as i128 == i)
}

fn contains(haystack: &Json, needle: &Json) -> bool {
    match haystack {
        Json::String(s) => s.contains(&text_of(needle)),
        Json::Array(items) => items.iter().any(|i| same(i, needle, true)),
        Json::Object(map) => map.contains_key(&text_of(needle)),
        other => text_of(other).contains(&text_of(needle)),
    }
}

fn number(v: &Json, strict: bool) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) if !strict => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn show_opt(v: Option<&Json>) -> String {
    v.map_or_else(|| "nothing (no such value)".to_string(), show)
}

/// What a predicate wants, for messages.
pub fn describe(pred: &Predicate, caps: &HashMap<String, Json>) -> String {
    pred.ops.iter().map(|o| describe_op(o, caps)).collect::<Vec<_>>().join(" and ")
}

fn describe_op(op: &Op, caps: &HashMap<String, Json>) -> String {
    let r = |t: &crate::suite::JsonTemplate| t.render(caps).map(|v| show(&v)).unwrap_or_else(|e| format!("<{e}>"));
    match op {
        Op::Equals(t) => r(t),
        Op::NotEquals(t) => format!("not {}", r(t)),
        Op::OneOf(ts) => format!("one of {}", ts.iter().map(r).collect::<Vec<_>>().join(", ")),
        Op::Contains(t) => format!("to contain {}", r(t)),
        Op::NotContains(t) => format!("not to contain {}", r(t)),
        Op::Lt(n) => format!("< {n}"),
        Op::Lte(n) => format!("<= {n}"),
        Op::Gt(n) => format!("> {n}"),
        Op::Gte(n) => format!(">= {n}"),
        Op::Matches(re) => format!("to match /{}/", re.as_str()),
        Op::NotMatches(re) => format!("not to match /{}/", re.as_str()),
        Op::Exists(true) => "a value".into(),
        Op::Exists(false) => "no value".into(),
        Op::Type(t) => format!("a {}", t.name()),
        Op::Length(p) => format!("length {}", describe(p, caps)),
        Op::Each(p) => format!("a non-empty list, each element {}", describe(p, caps)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::JsonTemplate;
    use serde_json::json;

    fn p(ops: Vec<Op>) -> Predicate {
        Predicate { ops }
    }
    fn v(j: Json) -> JsonTemplate {
        JsonTemplate::Value(j)
    }
    fn none() -> HashMap<String, Json> {
        HashMap::new()
    }

    #[test]
    fn equality_is_strict_for_json_and_loose_for_text() {
        let eq = p(vec![Op::Equals(v(json!(3)))]);
        assert!(eval(&eq, Some(&json!(3.0)), &none(), true).is_ok());
        assert!(eval(&eq, Some(&json!("3")), &none(), true).is_err());
        assert!(eval(&eq, Some(&json!("3")), &none(), false).is_ok());
        assert!(eval(&eq, Some(&json!(4)), &none(), true).is_err());
        // Inside lists and objects numbers compare as numbers too, element by element.
        let list = p(vec![Op::Equals(v(json!([3, {"n": 1}])))]);
        assert!(eval(&list, Some(&json!([3.0, {"n": 1.0}])), &none(), true).is_ok());
        assert!(eval(&list, Some(&json!([3.0, {"n": 2}])), &none(), true).is_err());
        assert!(eval(&list, Some(&json!([3.0])), &none(), true).is_err());
    }

    #[test]
    fn missing_values_fail_unless_absence_is_wanted() {
        let eq = p(vec![Op::Equals(v(json!("x")))]);
        let m = eval(&eq, None, &none(), true).unwrap_err();
        assert_eq!(m.expected, "\"x\"");
        assert!(m.actual.contains("nothing"));
        assert!(eval(&p(vec![Op::Exists(false)]), None, &none(), true).is_ok());
        assert!(eval(&p(vec![Op::Exists(false)]), Some(&json!(null)), &none(), true).is_err());
    }

    #[test]
    fn comparisons_contains_types_and_lengths() {
        let caps = none();
        assert!(eval(&p(vec![Op::Lt(10.0), Op::Gte(2.0)]), Some(&json!(5)), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::Lt(10.0)]), Some(&json!(10)), &caps, true).is_err());
        assert!(eval(&p(vec![Op::Contains(v(json!("tools")))]), Some(&json!(["heavy", "tools"])), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::Contains(v(json!("x")))]), Some(&json!(["heavy"])), &caps, true).is_err());
        assert!(eval(&p(vec![Op::Type(JsonType::Number)]), Some(&json!(2)), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::Type(JsonType::String)]), Some(&json!(2)), &caps, true).is_err());
        let len3 = p(vec![Op::Length(Box::new(p(vec![Op::Equals(v(json!(3)))])))]);
        assert!(eval(&len3, Some(&json!([1, 2, 3])), &caps, true).is_ok());
        assert!(eval(&len3, Some(&json!([1, 2])), &caps, true).is_err());
        let re = regex::Regex::new("^c0f").expect("valid");
        assert!(eval(&p(vec![Op::Matches(re.clone())]), Some(&json!("c0ffee")), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::NotMatches(re)]), Some(&json!("c0ffee")), &caps, true).is_err());
    }

    #[test]
    fn bounds_are_strict_or_inclusive_as_named() {
        let caps = none();
        let at = |op: Op, x: i64| eval(&p(vec![op]), Some(&json!(x)), &caps, true).is_ok();
        assert!(!at(Op::Gt(5.0), 5) && at(Op::Gt(5.0), 6));
        assert!(!at(Op::Lt(5.0), 5) && at(Op::Lt(5.0), 4));
        assert!(at(Op::Gte(5.0), 5) && !at(Op::Gte(5.0), 4));
        assert!(at(Op::Lte(5.0), 5) && !at(Op::Lte(5.0), 6));
        // Text that holds a number is compared as one only where values are text (headers,
        // pages), never in JSON, where "5" is a string.
        let lt = p(vec![Op::Lt(10.0)]);
        assert!(eval(&lt, Some(&json!(" 5 ")), &caps, false).is_ok());
        assert!(eval(&lt, Some(&json!("5")), &caps, true).is_err());
        assert!(eval(&lt, Some(&json!("five")), &caps, false).is_err());
    }

    #[test]
    fn what_a_predicate_wants_reads_as_written() {
        let pred = p(vec![Op::Gt(1.0), Op::Lt(5.0), Op::Contains(v(json!("a")))]);
        assert_eq!(describe(&pred, &none()), "> 1 and < 5 and to contain \"a\"");
    }

    #[test]
    fn length_counts_characters_items_and_keys() {
        let caps = none();
        let len2 = p(vec![Op::Length(Box::new(p(vec![Op::Equals(v(json!(2)))])))]);
        assert!(eval(&len2, Some(&json!({"a": 1, "b": 2})), &caps, true).is_ok());
        assert!(eval(&len2, Some(&json!({"a": 1})), &caps, true).is_err());
        assert!(eval(&len2, Some(&json!("é!")), &caps, true).is_ok());
        assert!(eval(&len2, Some(&json!(22)), &caps, true).is_err());
    }

    #[test]
    fn integers_compare_exactly() {
        let two53 = 9_007_199_254_740_992_u64;
        let eq = p(vec![Op::Equals(v(json!(two53)))]);
        assert!(eval(&eq, Some(&json!(two53)), &none(), true).is_ok());
        assert!(eval(&eq, Some(&json!(two53 + 1)), &none(), true).is_err());
        assert!(eval(&p(vec![Op::Equals(v(json!(u64::MAX)))]), Some(&json!(u64::MAX - 1)), &none(), true).is_err());
        assert!(eval(&p(vec![Op::Equals(v(json!(-3)))]), Some(&json!(-3.0)), &none(), true).is_ok());
        assert!(eval(&p(vec![Op::Equals(v(json!(two53 + 1)))]), Some(&json!(two53 as f64)), &none(), true).is_err());
        assert!(eval(&p(vec![Op::Equals(v(json!(0.5)))]), Some(&json!(0.5)), &none(), true).is_ok());
    }

    #[test]
    fn each_needs_a_non_empty_list_whose_elements_all_hold() {
        let each = p(vec![Op::Each(Box::new(p(vec![Op::NotEquals(v(json!("down")))])))]);
        assert!(eval(&each, Some(&json!(["up", "up"])), &none(), true).is_ok());
        assert!(eval(&each, Some(&json!(["up", "down"])), &none(), true).is_err());
        assert!(eval(&each, Some(&json!([])), &none(), true).is_err());
        assert!(eval(&each, Some(&json!("up")), &none(), true).is_err());
    }

    #[test]
    fn expected_values_may_come_from_captures() {
        let t =
            crate::suite::template::Template::build(crate::suite::template::parse("${{ role }}").expect("ok"), |_| {
                Some(crate::suite::template::Resolved::Capture)
            })
            .expect("ok");
        let pred = p(vec![Op::Equals(JsonTemplate::Str(t))]);
        let caps = HashMap::from([("role".to_string(), json!("maintainer"))]);
        assert!(eval(&pred, Some(&json!("maintainer")), &caps, true).is_ok());
        assert!(eval(&pred, Some(&json!("viewer")), &caps, true).is_err());
        // Without the capture the expectation cannot be met.
        assert!(eval(&pred, Some(&json!("maintainer")), &none(), true).is_err());
    }
}
