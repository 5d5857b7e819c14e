//! `${{ ... }}` interpolation inside strings.
//!
//! Templates are parsed and their names resolved when a suite is compiled, so an undefined name
//! is a load-time error at its position. Only captured values are looked up at run time.
//! `$${{` writes a literal `${{`.

use serde_json::Value as Json;
use std::collections::HashMap;

/// A string with interpolations, compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Lit(String),
    /// A value known at load time (variable, environment, secret).
    Known(Json),
    /// A value captured by an earlier step, looked up at run time.
    Capture(String),
}

/// One `${{ ... }}` as written, before resolution.
#[derive(Clone, Debug, PartialEq)]
pub struct RawExpr {
    pub scope: Scope,
    pub name: String,
    /// Byte offset of `${{` in the string, for diagnostics.
    pub offset: usize,
    /// Length in bytes of the whole `${{ ... }}`.
    pub len: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `env.NAME`: an environment variable (or `--env-file`).
    Env,
    /// `secrets.NAME`: an environment variable listed under `secrets`.
    Secret,
    /// `vars.NAME` or a bare `NAME`: a suite variable, `--var`, or a capture.
    Var,
}

/// A piece of a parsed string: text, or an expression to resolve.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Lit(String),
    Expr(RawExpr),
}

/// A syntax error inside a string, with its byte offset.
#[derive(Debug, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
    pub len: usize,
}

/// Splits a string into literal text and expressions.
pub fn parse(s: &str) -> Result<Vec<Piece>, SyntaxError> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    let mut base = 0;
    while let Some(i) = rest.find("${{") {
        if i > 0 && rest[..i].ends_with('$') {
            // `$${{` is an escaped literal `${{`.
            lit.push_str(&rest[..i - 1]);
            lit.push_str("${{");
            rest = &rest[i + 3..];
            base += i + 3;
            continue;
        }
        lit.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let Some(end) = after.find("}}") else {
            return Err(SyntaxError { message: "`${{` is not closed by `}}`".into(), offset: base + i, len: 3 });
        };
        let inner = after[..end].trim();
        let len = 3 + end + 2;
        let expr = parse_expr(inner).map_err(|message| SyntaxError { message, offset: base + i, len })?;
        if !lit.is_empty() {
            pieces.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        let (scope, name) = expr;
        pieces.push(Piece::Expr(RawExpr { scope, name, offset: base + i, len }));
        rest = &after[end + 2..];
        base += i + len;
    }
    lit.push_str(rest);
    if !lit.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    Ok(pieces)
}

fn parse_expr(inner: &str) -> Result<(Scope, String), String> {
    if inner.is_empty() {
        return Err("empty `${{ }}`: write a name such as `${{ env.BASE_URL }}`".into());
    }
    let (scope, name) = match inner.split_once('.') {
        Some(("env", n)) => (Scope::Env, n),
        Some(("secrets", n)) => (Scope::Secret, n),
        Some(("vars", n)) => (Scope::Var, n),
        Some((other, _)) => {
            return Err(format!(
                "unknown scope `{other}`: use `env.NAME`, `secrets.NAME`, `vars.NAME` or a bare variable name"
            ));
        }
        None => (Scope::Var, inner),
    };
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return Err(format!(
            "`{inner}` is not a name: names are letters, digits, `_` and `-`, not starting with a digit"
        ));
    }
    Ok((scope, name.to_string()))
}

/// How a resolved expression is filled in.
pub enum Resolved {
    Known(Json),
    Capture,
}

impl Template {
    /// Builds a template from parsed pieces and a resolver for each expression.
    pub fn build(pieces: Vec<Piece>, mut resolve: impl FnMut(&RawExpr) -> Option<Resolved>) -> Option<Template> {
        let mut parts = Vec::with_capacity(pieces.len());
        let mut ok = true;
        for piece in pieces {
            match piece {
                Piece::Lit(s) => parts.push(Part::Lit(s)),
                Piece::Expr(e) => match resolve(&e) {
                    Some(Resolved::Known(v)) => parts.push(Part::Known(v)),
                    Some(Resolved::Capture) => parts.push(Part::Capture(e.name)),
                    None => ok = false,
                },
            }
        }
        ok.then_some(Template { parts })
    }

    /// A template with no interpolation.
    pub fn literal(s: impl Into<String>) -> Template {
        Template { parts: vec![Part::Lit(s.into())] }
    }

    /// The text if no part depends on a capture.
    pub fn as_static(&self) -> Option<String> {
        self.render_str(&HashMap::new()).ok()
    }

    /// Renders to a JSON value: a template that is exactly one expression keeps its type.
    pub fn render(&self, captures: &HashMap<String, Json>) -> Result<Json, String> {
        if let [single] = self.parts.as_slice() {
            return match single {
                Part::Lit(s) => Ok(Json::String(s.clone())),
                Part::Known(v) => Ok(v.clone()),
                Part::Capture(name) => lookup(captures, name).cloned(),
            };
        }
        self.render_str(captures).map(Json::String)
    }

    /// Renders to text; non-string values are written as JSON (`3`, `true`, `["a"]`).
    pub fn render_str(&self, captures: &HashMap<String, Json>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Known(v) => push_json(&mut out, v),
                Part::Capture(name) => push_json(&mut out, lookup(captures, name)?),
            }
        }
        Ok(out)
    }
}

impl Template {
    /// Renders a URL: like [`Template::render_str`], but a `#` inside an interpolated value is
    /// written `%23`, so a value (a token, a secret) is sent whole instead of its end being cut
    /// off as the URL's fragment.
    pub fn render_url(&self, captures: &HashMap<String, Json>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            let mut value = String::new();
            match part {
                Part::Lit(s) => {
                    out.push_str(s);
                    continue;
                }
                Part::Known(v) => push_json(&mut value, v),
                Part::Capture(name) => push_json(&mut value, lookup(captures, name)?),
            }
            out.push_str(&value.replace('#', "%23"));
        }
        Ok(out)
    }
}

fn lookup<'a>(captures: &'a HashMap<String, Json>, name: &str) -> Result<&'a Json, String> {
    captures
        .get(name)
        .ok_or_else(|| format!("`{name}` has no value: the step that captures it did not run or did not pass"))
}

fn push_json(out: &mut String, v: &Json) {
    match v {
        Json::String(s) => out.push_str(s),
        Json::Null => {}
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(e: &RawExpr) -> Option<Resolved> {
        match (e.scope, e.name.as_str()) {
            (Scope::Env, "HOST") => Some(Resolved::Known(Json::String("example.test".into()))),
            (Scope::Var, "n") => Some(Resolved::Known(Json::from(3))),
            (Scope::Var, "id") => Some(Resolved::Capture),
            _ => None,
        }
    }

    #[test]
    fn a_hash_in_a_value_does_not_start_a_fragment() {
        let t = Template::build(parse("/x?pw=${{ p }}#top").expect("ok"), |_| {
            Some(Resolved::Known(Json::String("a{b#c".into())))
        })
        .expect("ok");
        assert_eq!(t.render_url(&HashMap::new()).expect("ok"), "/x?pw=a{b%23c#top");
    }

    #[test]
    fn splits_text_and_expressions() {
        let pieces = parse("https://${{ env.HOST }}/x/${{id}}").expect("valid");
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces[1], Piece::Expr(RawExpr { scope: Scope::Env, name: "HOST".into(), offset: 8, len: 15 }));
    }

    #[test]
    fn single_expression_keeps_its_type() {
        let t = Template::build(parse("${{ n }}").expect("valid"), known).expect("resolves");
        assert_eq!(t.render(&HashMap::new()), Ok(Json::from(3)));
        let t = Template::build(parse("n=${{ vars.n }}").expect("valid"), known).expect("resolves");
        assert_eq!(t.render(&HashMap::new()), Ok(Json::String("n=3".into())));
    }

    #[test]
    fn captures_are_looked_up_at_run_time() {
        let t = Template::build(parse("/files/${{ id }}").expect("valid"), known).expect("resolves");
        assert!(t.render_str(&HashMap::new()).unwrap_err().contains("`id` has no value"));
        let caps = HashMap::from([("id".to_string(), Json::from(7))]);
        assert_eq!(t.render_str(&caps), Ok("/files/7".into()));
    }

    #[test]
    fn undefined_names_fail_to_build() {
        assert!(Template::build(parse("${{ env.NOPE }}").expect("valid"), known).is_none());
    }

    #[test]
    fn dollar_dollar_is_a_literal() {
        let t = Template::build(parse("echo $${{ not.a.var }} ok").expect("valid"), known).expect("ok");
        assert_eq!(t.as_static(), Some("echo ${{ not.a.var }} ok".into()));
    }

    #[test]
    fn syntax_errors_point_at_the_expression() {
        let e = parse("a ${{ env.X").unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(parse("${{ }}").is_err());
        assert!(parse("${{ foo.bar }}").unwrap_err().message.contains("unknown scope"));
        assert!(parse("${{ a b }}").is_err());
    }
}
