//! The JSON Schema that `shakedown schema` prints (for editors: completion, descriptions, enums)
//! must agree with the compiler, which is what decides whether a suite is valid. The schema is
//! written by hand, so this test is what keeps the two from drifting:
//!
//! - the printed schema is a valid draft 2020-12 schema, and every `$defs` entry is used;
//! - every bundled suite (`suites/`, `tests/suites/`) and every suite and list of steps in
//!   README.md passes both the schema and `shakedown validate`;
//! - for a table of small suites (`cases()`), one or more for every key, form, operator and enum
//!   value of the format and for the ways of getting them wrong, the schema and
//!   `shakedown validate` give the same verdict, apart from differences listed in the table
//!   with their reason (`schema_looser`: only the compiler can know; `schema_stricter`: the
//!   compiler lets it through, see the reason);
//! - every property name and enum value the schema knows appears in a valid case of the table,
//!   so a key added to the schema without a case here fails too.
//!
//! It uses only the `shakedown` binary (`shakedown schema`, `shakedown validate`), never the
//! library, so it does not depend on how `src/` is organised.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_shakedown");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What `shakedown schema` prints, parsed.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let out = Command::new(BIN).arg("schema").output().expect("run `shakedown schema`");
        assert!(out.status.success(), "`shakedown schema` failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("`shakedown schema` prints JSON")
    })
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::new(schema()).unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
    })
}

/// A suite file's text as JSON, read the way the compiler reads it (YAML 1.2 booleans only).
fn yaml_to_json(text: &str) -> Result<Value, String> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| e.to_string())
}

/// `Ok` if the schema accepts the suite, else its first few complaints.
fn schema_verdict(doc: &Result<Value, String>) -> Result<(), String> {
    let doc = doc.as_ref().map_err(|e| format!("not YAML the schema can see: {e}"))?;
    let errors: Vec<String> = validator()
        .iter_errors(doc)
        .take(4)
        .map(|e| format!("at {}: {}", e.instance_path(), truncate(&e.to_string(), 300)))
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors.join("\n")) }
}

/// `Ok` if `shakedown validate <file>` accepts the suite, else what it printed.
fn compiler_verdict(file: &Path, env: &BTreeMap<String, String>) -> Result<(), String> {
    let out = Command::new(BIN)
        .arg("validate")
        .arg(file.file_name().expect("a file"))
        .current_dir(file.parent().expect("a folder"))
        .env_remove("SHAKEDOWN_ENV_FILE")
        .env_remove("SHAKEDOWN_ENVIRONMENT")
        .env_remove(UNSET)
        .envs(env)
        .output()
        .expect("run `shakedown validate`");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => Ok(()),
        Some(2) => Err(text.trim().to_string()),
        other => panic!("`shakedown validate {}` exited with {other:?}:\n{text}", file.display()),
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|l| if l.trim().is_empty() { "\n".to_string() } else { format!("{:by$}{l}\n", "") }).collect()
}

fn show(ok: bool) -> &'static str {
    if ok { "accepts" } else { "rejects" }
}

/// Runs `f` over `items` on a few threads, keeping the order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8) * 2;
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a worker panicked")).collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

// ---------------------------------------------------------------------------------------------
// Environment and files that suites refer to.

/// An environment variable no case sets (and the test removes), for "not set" cases.
const UNSET: &str = "SHAKEDOWN_SCHEMA_TEST_NOT_SET";

/// Placeholder values for every `${{ env.X }}` and `${{ secrets.X }}` a suite names and for
/// its `secrets:` list (names listed there must be set even when unused).
fn env_for(text: &str, doc: Option<&Value>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("BASE_URL".to_string(), "http://127.0.0.1:8080".to_string());
    env.insert("GIT_SHA".to_string(), "c0ffee1".to_string());
    let re = regex::Regex::new(r"\$\{\{\s*(?:env|secrets)\.([A-Za-z0-9_-]+)\s*\}\}").unwrap();
    let mut names: Vec<String> = re.captures_iter(text).map(|c| c[1].to_string()).collect();
    match doc.and_then(|d| d.get("secrets")) {
        Some(Value::String(s)) => names.push(s.clone()),
        Some(Value::Array(items)) => names.extend(items.iter().filter_map(Value::as_str).map(str::to_string)),
        _ => {}
    }
    for name in names {
        if name != UNSET {
            env.entry(name.clone()).or_insert_with(|| format!("placeholder-{}", name.to_ascii_lowercase()));
        }
    }
    env
}

/// A folder for suites, with the repository's fixtures and stand-ins for the other files the
/// table's cases name (validate only checks that they exist).
fn suite_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
    std::fs::copy(repo().join("suites/fixtures/smoke.png"), dir.path().join("fixtures/smoke.png"))
        .expect("suites/fixtures/smoke.png");
    for f in ["certs/ca.pem", "certs/client.pem", "certs/client.key", "data/import.csv"] {
        stand_in(dir.path(), f);
    }
    dir
}

fn stand_in(dir: &Path, rel: &str) {
    assert!(!rel.is_empty() && !rel.starts_with('/') && !rel.contains(".."), "unexpected file reference `{rel}`");
    let path = dir.join(rel);
    if !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"").unwrap();
    }
}

/// Local files a suite names: `tls` files, `file` bodies, multipart and `sha256` files, uploads.
fn file_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("ca" | "client_cert" | "client_key" | "file" | "path", Value::String(s)) => out.push(s.clone()),
                    ("upload", Value::Object(inputs)) => {
                        for files in inputs.values() {
                            match files {
                                Value::String(s) => out.push(s.clone()),
                                Value::Array(items) => {
                                    out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => file_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| file_refs(i, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// The schema itself.

#[test]
fn schema_is_a_valid_draft_2020_12_schema() {
    let schema = schema();
    assert_eq!(
        schema.get("$schema").and_then(Value::as_str),
        Some("https://json-schema.org/draft/2020-12/schema"),
        "the schema declares draft 2020-12"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
        panic!("the schema is not a valid draft 2020-12 schema: at {}: {e}", e.instance_path());
    }
    // Compiling it also checks every `$ref` and `pattern`.
    let _ = validator();

    // A definition nothing refers to is left over from an older format.
    let text = schema.to_string();
    let defs = schema["$defs"].as_object().expect("$defs");
    let unused: Vec<&String> = defs.keys().filter(|name| !text.contains(&format!("\"#/$defs/{name}\""))).collect();
    assert!(unused.is_empty(), "`$defs` entries that nothing refers to: {unused:?}");
}

// ---------------------------------------------------------------------------------------------
// Bundled suites and README examples.

#[test]
fn bundled_suites_pass_the_schema_and_validate() {
    let mut files = Vec::new();
    for dir in ["suites", "tests/suites"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.iter().any(|f| f.ends_with("suites/browser.yaml")), "suites/browser.yaml is missing");
    let problems: Vec<String> = parallel(&files, |path| {
        let rel = path.strip_prefix(repo()).unwrap().display().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let doc = yaml_to_json(&text);
        let compiler = compiler_verdict(path, &env_for(&text, doc.as_ref().ok()));
        let schema = schema_verdict(&doc);
        // A suite in tests/suites that the compiler rejects is a test of invalid input.
        let must_be_valid = rel.starts_with("suites/") || compiler.is_ok();
        match (must_be_valid, schema, compiler) {
            (false, _, _) | (true, Ok(()), Ok(())) => None,
            (true, schema, compiler) => Some(format!(
                "{rel}: the schema {}, `shakedown validate` {}\n{}{}",
                show(schema.is_ok()),
                show(compiler.is_ok()),
                schema.err().map(|e| format!("  schema: {e}\n")).unwrap_or_default(),
                compiler.err().map(|e| format!("  validate: {e}\n")).unwrap_or_default(),
            )),
        }
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "bundled suites that are not valid:\n\n{}", problems.join("\n"));
}

/// The ```yaml blocks of README.md, with the line each starts on.
fn readme_blocks() -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_end() == "```yaml" => current = Some((i + 1, String::new())),
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "README.md has a ```yaml block that is not closed");
    blocks
}

#[test]
fn readme_examples_pass_the_schema_and_validate() {
    let dir = suite_dir();
    let mut examples = Vec::new();
    for (line, block) in readme_blocks() {
        let top_level = |key: &str| block.lines().any(|l| l.starts_with(&format!("{key}:")));
        let first = block.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
        let suite = if top_level("checks") {
            block
        } else if first.starts_with("- ") {
            // A list of steps (the browser examples): as the steps of one check.
            format!(
                "name: example\nbase_url: ${{{{ env.BASE_URL }}}}\nchecks:\n  - name: example\n    steps:\n{}",
                indent(&block, 6)
            )
        } else if top_level("jobs") {
            continue; // a GitHub Actions workflow
        } else if top_level("groups") || top_level("route") || top_level("apiVersion") {
            continue; // Prometheus rules, an Alertmanager configuration, Kubernetes manifests
        } else {
            panic!("README.md:{line}: a ```yaml block that is neither a suite, a list of steps nor a workflow");
        };
        let doc = yaml_to_json(&suite);
        let mut refs = Vec::new();
        if let Ok(doc) = &doc {
            file_refs(doc, &mut refs);
        }
        for r in refs {
            stand_in(dir.path(), &r);
        }
        let file = dir.path().join(format!("readme-{line}.yaml"));
        std::fs::write(&file, &suite).unwrap();
        examples.push((line, suite, doc, file));
    }
    assert!(examples.len() >= 20, "README.md has only {} suite examples: is the parsing broken?", examples.len());
    assert!(
        examples.iter().any(|(_, s, _, _)| s.lines().any(|l| l.trim_end() == "    browser:")),
        "README.md has no complete browser suite example"
    );
    let problems: Vec<String> = parallel(&examples, |(line, suite, doc, file)| {
        let schema = schema_verdict(doc);
        let compiler = compiler_verdict(file, &env_for(suite, doc.as_ref().ok()));
        if schema.is_ok() && compiler.is_ok() {
            return None;
        }
        Some(format!(
            "README.md:{line}: the schema {}, `shakedown validate` {}\n{}{}",
            show(schema.is_ok()),
            show(compiler.is_ok()),
            schema.err().map(|e| format!("  schema: {e}\n")).unwrap_or_default(),
            compiler.err().map(|e| format!("  validate: {e}\n")).unwrap_or_default(),
        ))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "README examples that are not valid:\n\n{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The table: small suites, and the verdict each must get.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// Both the schema and `shakedown validate` accept it.
    Valid,
    /// Both reject it.
    Invalid,
    /// The schema accepts it, the compiler rejects it: something only the compiler can know
    /// (names, files, regexes, JSONPaths, CSS, URLs, uniqueness, ranges in text).
    SchemaLooser(&'static str),
    /// The schema rejects it, the compiler accepts it: the compiler lets through something
    /// that does not work or asserts nothing; the schema keeps editors from suggesting it.
    SchemaStricter(&'static str),
}
use Expect::*;

struct Case {
    name: &'static str,
    yaml: String,
    expect: Expect,
}

fn valid(name: &'static str, yaml: String) -> Case {
    Case { name, yaml, expect: Valid }
}
fn invalid(name: &'static str, yaml: String) -> Case {
    Case { name, yaml, expect: Invalid }
}
fn schema_looser(name: &'static str, yaml: String, why: &'static str) -> Case {
    Case { name, yaml, expect: SchemaLooser(why) }
}
fn schema_stricter(name: &'static str, yaml: String, why: &'static str) -> Case {
    Case { name, yaml, expect: SchemaStricter(why) }
}

const HEAD: &str = "name: t\nbase_url: http://127.0.0.1:1\n";
const ONE_CHECK: &str = "checks:\n  - name: c\n    request: GET /\n";

/// A suite with these top-level keys besides `name`, `base_url` and one check.
fn suite(keys: &str) -> String {
    format!("{HEAD}{}{ONE_CHECK}", indent(keys, 0))
}
/// A suite of one check named `c`, with these keys.
fn check(keys: &str) -> String {
    format!("{HEAD}checks:\n  - name: c\n{}", indent(keys, 4))
}
/// A suite of one check with these `browser:` steps (a YAML list).
/// A browser check with these steps, and a `see` at the end (a browser check must assert).
fn browser(steps: &str) -> String {
    check(&format!("browser:\n{}\n  - see: h1", indent(steps, 2)))
}
/// A browser check in a suite with these `browser:` options.
fn browser_options(options: &str) -> String {
    format!(
        "{HEAD}browser:\n{}checks:\n  - name: c\n    browser:\n      - goto: /\n      - see: h1\n",
        indent(options, 2)
    )
}
/// A check whose one request has these `expect:` keys.
fn expect(keys: &str) -> String {
    check(&format!("request: GET /\nexpect:\n{}", indent(keys, 2)))
}
/// A check whose one request is this mapping.
fn request(keys: &str) -> String {
    check(&format!("request:\n{}", indent(keys, 2)))
}
/// A check whose one request captures these.
fn capture(keys: &str) -> String {
    check(&format!("request: GET /\ncapture:\n{}", indent(keys, 2)))
}

fn cases() -> Vec<Case> {
    let hex = "0123456789abcdef".repeat(4);
    vec![
        // --- Suites --------------------------------------------------------------------------
        valid("the minimal suite", check("request: GET /")),
        valid(
            "every suite key",
            format!(
                "{}{ONE_CHECK}",
                indent(
                    r#"
name: every-key
environment: ${{ env.BASE_URL }}
base_url: ${{ env.BASE_URL }}
commit: c0ffee1
secrets: [SMOKE_PASSWORD, API_TOKEN]
vars: { user: smoke-bot, page_size: 20, nested: { a: [1, 2] }, from_env: "${{ env.BASE_URL }}", _x-y: 1 }
tags: [smoke, fast]
defaults:
  timeout: 5s
  headers: { accept-language: en, x-count: 3, x-flag: true }
  follow_redirects: false
  max_body: 2MiB
  retries: 10
tls: { ca: certs/ca.pem, client_cert: certs/client.pem, client_key: certs/client.key, insecure: true }
browser: { timeout: 3s, args: [--lang=de], browser: chrome, window: 1280x800 }
monitor: { every: 5m }
setup:
  - request: GET /setup
teardown:
  - request: GET /teardown
"#,
                    0
                ),
            ),
        ),
        valid("a suite without a name", format!("base_url: http://127.0.0.1:1\n{ONE_CHECK}")),
        valid(
            "a suite without base_url (full URLs)",
            "name: t\nchecks:\n  - name: c\n    request: https://example.com/health\n".into(),
        ),
        valid("environment and commit as numbers and booleans", suite("environment: 3\ncommit: true")),
        valid("secrets and tags as a single string", suite("secrets: SMOKE_PASSWORD\ntags: smoke")),
        valid("defaults: a duration as a bare number of seconds", suite("defaults: { timeout: 1.5 }")),
        valid(
            "durations in sec, ms, min and h with m",
            check("request: { url: /, timeout: 2sec }\nretry: { for: 1h30m, every: 500ms, max_every: 1 min }"),
        ),
        valid(
            "durations: seconds, days, exponents, spaces",
            suite("defaults: { timeout: \" 1d 2h 3m 4s 5ms \" }\nbrowser: { timeout: 1e2 }"),
        ),
        valid("a size as a number of bytes", suite("defaults: { max_body: 65536 }")),
        valid("a size in KiB", suite("defaults: { max_body: 512KiB }")),
        valid("a size in GiB, with a space", suite("defaults: { max_body: 1 GiB }")),
        valid("a size in B", suite("defaults: { max_body: 100B }")),
        valid("a size in MB", suite("defaults: { max_body: 10MB }")),
        valid("a size in kB", suite("defaults: { max_body: 5kB }")),
        valid("a size in KB", suite("defaults: { max_body: 5KB }")),
        valid("a size in GB", suite("defaults: { max_body: 1GB }")),
        valid("tls: only a CA", suite("tls: { ca: certs/ca.pem }")),
        valid(
            "empty setup, defaults, tls, vars and browser options",
            suite("setup: []\ndefaults: {}\ntls: {}\nvars: {}\nbrowser: {}"),
        ),
        invalid("an unknown suite key", suite("base_ur1: http://x")),
        valid("monitor: an empty mapping", suite("monitor: {}")),
        valid("monitor: every as a bare number of seconds", suite("monitor: { every: 30 }")),
        invalid("monitor: an unknown key", suite("monitor: { interval: 5m }")),
        invalid("monitor: every that is not a duration", suite("monitor: { every: often }")),
        invalid("monitor: a list", suite("monitor: [5m]")),
        schema_looser("monitor: every shorter than 100ms", suite("monitor: { every: 10ms }"), "a minimum duration"),
        invalid("a suite that is a list", format!("- {}", indent(&check("request: GET /"), 2).trim_start())),
        invalid("a suite that is a string", "hello\n".into()),
        invalid("a suite that is null", "~\n".into()),
        invalid("no checks", "name: t\n".into()),
        invalid("no checks, but other keys", "name: t\nbase_url: http://127.0.0.1:1\nsetup: []\n".into()),
        invalid("an empty check list", "name: t\nchecks: []\n".into()),
        invalid("checks as a mapping", "name: t\nchecks: { name: c, request: GET / }\n".into()),
        invalid("a check that is a string", "name: t\nchecks: [GET /]\n".into()),
        invalid(
            "a suite name that is a number",
            "name: 1\nbase_url: http://x\nchecks:\n  - name: c\n    request: GET /\n".into(),
        ),
        invalid("base_url as a list", "base_url: [http://x]\nchecks:\n  - name: c\n    request: GET /\n".into()),
        invalid("environment: null", suite("environment:")),
        invalid("commit as a list", suite("commit: [a]")),
        invalid("secrets as a number", suite("secrets: 1")),
        invalid("a secret name that is a number", suite("secrets: [1]")),
        invalid("tags as a mapping", suite("tags: { a: b }")),
        invalid("vars as a list", suite("vars: [a]")),
        invalid("vars: null", suite("vars:")),
        invalid("a variable name with a dot", suite("vars: { a.b: 1 }")),
        invalid("a variable name starting with a digit", suite("vars: { 1a: x }")),
        invalid("an unknown defaults key", suite("defaults: { timeoutt: 5s }")),
        invalid("defaults as a list", suite("defaults: [5s]")),
        invalid("a bad default timeout", suite("defaults: { timeout: soon }")),
        invalid("a default timeout that is a boolean", suite("defaults: { timeout: true }")),
        invalid("a negative duration", suite("defaults: { timeout: -1 }")),
        invalid("a negative duration as text", suite("defaults: { timeout: -1s }")),
        invalid("a duration in an unknown unit", suite("defaults: { timeout: 5 parsecs }")),
        invalid("a duration with an upper-case unit", suite("defaults: { timeout: 5S }")),
        invalid("a duration as a number of more than a year", suite("defaults: { timeout: 99999999999 }")),
        invalid("follow_redirects as the string yes", suite("defaults: { follow_redirects: yes }")),
        invalid("a bad max_body", suite("defaults: { max_body: 10 MiBs }")),
        invalid("a max_body with a fraction", suite("defaults: { max_body: 1.5MiB }")),
        invalid("a max_body that is a float", suite("defaults: { max_body: 1.5 }")),
        invalid("a negative max_body", suite("defaults: { max_body: -5 }")),
        invalid("a max_body that is a boolean", suite("defaults: { max_body: true }")),
        invalid("default retries above 10", suite("defaults: { retries: 11 }")),
        invalid("negative default retries", suite("defaults: { retries: -1 }")),
        invalid("default retries as text", suite("defaults: { retries: \"3\" }")),
        invalid("default headers as a list", suite("defaults: { headers: [a] }")),
        invalid("a default header value that is a list", suite("defaults: { headers: { x: [1] } }")),
        invalid("an unknown tls key", suite("tls: { verify: false }")),
        invalid("a client certificate without its key", suite("tls: { client_cert: certs/client.pem }")),
        invalid("a client key without its certificate", suite("tls: { client_key: certs/client.key }")),
        invalid("tls insecure as text", suite("tls: { insecure: \"true\" }")),
        invalid("a CA path that is a number", suite("tls: { ca: 1 }")),
        invalid("setup as a mapping", suite("setup: { request: GET / }")),
        invalid("a duplicate key", suite("name: u")),
        schema_looser(
            "a base_url that is not a URL",
            "name: t\nbase_url: not a url\nchecks:\n  - name: c\n    request: http://x/\n".into(),
            "URL syntax",
        ),
        schema_looser(
            "an empty base_url",
            "name: t\nbase_url: \"\"\nchecks:\n  - name: c\n    request: http://x/\n".into(),
            "URL syntax",
        ),
        schema_looser(
            "an ftp base_url",
            "name: t\nbase_url: ftp://x\nchecks:\n  - name: c\n    request: http://x/\n".into(),
            "URL scheme",
        ),
        schema_looser(
            "a relative URL without base_url",
            "name: t\nchecks:\n  - name: c\n    request: GET /\n".into(),
            "depends on another key's absence",
        ),
        schema_looser(
            "two checks with the same name",
            format!("{HEAD}checks:\n  - name: c\n    request: GET /\n  - name: c\n    request: GET /\n"),
            "uniqueness of a property across list items",
        ),
        schema_looser("a secret that is not set", suite(&format!("secrets: [{UNSET}]")), "the environment"),
        schema_looser(
            "an unset environment variable",
            check(&format!("request: GET /?x=${{{{ env.{UNSET} }}}}")),
            "the environment",
        ),
        schema_looser(
            "an undeclared secret",
            check("request: GET /?x=${{ secrets.SMOKE_PASSWORD }}"),
            "which names are declared",
        ),
        schema_looser("an undefined variable", check("request: GET /users/${{ user_id }}"), "which names are defined"),
        schema_looser(
            "an interpolation that does not parse",
            check("request: GET /${{ a b }}"),
            "interpolation syntax",
        ),
        schema_looser(
            "a variable that uses an undefined one",
            suite("vars: { a: \"${{ b }}\" }"),
            "which names are defined",
        ),
        schema_looser("a CA file that does not exist", suite("tls: { ca: certs/missing.pem }"), "file existence"),
        schema_looser(
            "a duration of more than a year, with a unit",
            suite("defaults: { timeout: 400d }"),
            "the range of a duration written as text",
        ),
        schema_looser(
            "a max_body that overflows",
            suite("defaults: { max_body: 99999999999999999999GiB }"),
            "the range of a size written as text",
        ),
        schema_looser(
            "default retries written as a float",
            suite("defaults: { retries: 1.0 }"),
            "JSON Schema counts 1.0 as an integer; YAML and the compiler do not",
        ),
        schema_stricter(
            "a default header name that is not a header name",
            suite("defaults: { headers: { \"bad name\": x } }"),
            "the compiler does not check request header names when loading (only names in `expect`)",
        ),
        // --- Checks --------------------------------------------------------------------------
        valid(
            "every check key with request",
            check(
                "tags: [a, b]\nrequest: GET /\nexpect: { status: 200 }\ncapture: { s: { status: true } }\nretry: { for: 1m }\nretries: 0\ncookies: shared\nteardown:\n  - request: DELETE /x",
            ),
        ),
        valid(
            "every check key with steps",
            check("tags: a\nsteps:\n  - request: GET /\nretries: 10\ncookies: isolated\nteardown: []"),
        ),
        valid(
            "a browser check with tags, retries, cookies and teardown",
            check(
                "tags: [b]\nretries: 1\ncookies: isolated\nbrowser:\n  - goto: /\n  - see: h1\nteardown:\n  - request: GET /\n  - goto: /logout",
            ),
        ),
        valid(
            "a check named with spaces and symbols",
            format!("{HEAD}checks:\n  - name: \"Ünïcode › check #1\"\n    request: GET /\n"),
        ),
        invalid("an unknown check key", check("request: GET /\nexpectt: { status: 200 }")),
        invalid("a check without a name", format!("{HEAD}checks:\n  - request: GET /\n")),
        invalid("a check name that is a number", format!("{HEAD}checks:\n  - name: 5\n    request: GET /\n")),
        invalid("an empty check name", format!("{HEAD}checks:\n  - name: \"  \"\n    request: GET /\n")),
        invalid("a check that does nothing", check("tags: [a]")),
        invalid("both request and steps", check("request: GET /\nsteps:\n  - request: GET /")),
        invalid("both request and browser", check("request: GET /\nbrowser:\n  - goto: /")),
        invalid("`browser` and `steps` in one check", check("browser:\n  - goto: /\nsteps:\n  - goto: /")),
        invalid("expect beside steps", check("steps:\n  - request: GET /\nexpect: { status: 200 }")),
        invalid("capture beside steps", check("steps:\n  - request: GET /\ncapture: { a: $.a }")),
        invalid("retry beside steps", check("steps:\n  - request: GET /\nretry: { for: 1m }")),
        invalid("`expect` beside `browser`", check("browser:\n  - goto: /\nexpect: { status: 200 }")),
        invalid("`capture` beside `browser`", check("browser:\n  - goto: /\ncapture: { a: h1 }")),
        invalid("an empty list of steps", check("steps: []")),
        invalid("steps as a mapping", check("steps: { request: GET / }")),
        invalid("a step that is a string", check("steps: [GET /]")),
        invalid("check tags that are numbers", check("request: GET /\ntags: [1]")),
        invalid("check tags: null", check("request: GET /\ntags:")),
        invalid("too many retries", check("request: GET /\nretries: 11")),
        invalid("retries as text", check("request: GET /\nretries: two")),
        invalid("cookies neither shared nor isolated", check("request: GET /\ncookies: private")),
        invalid("cookies as a boolean", check("request: GET /\ncookies: true")),
        invalid("a check teardown that is null", check("request: GET /\nteardown:")),
        invalid("a check teardown that is a mapping", check("request: GET /\nteardown: { request: GET / }")),
        schema_looser(
            "retries written as a float",
            check("request: GET /\nretries: 1.0"),
            "JSON Schema counts 1.0 as an integer; YAML and the compiler do not",
        ),
        // --- Steps ---------------------------------------------------------------------------
        valid(
            "every step key",
            check(
                "steps:\n  - name: s\n    request: GET /\n    expect: { status: 200 }\n    capture: { a: $.a }\n    retry: { for: 1m }\n  - request: GET /${{ a }}",
            ),
        ),
        valid(
            "HTTP and browser steps in setup and teardown",
            suite(
                "setup:\n  - request: GET /login\n  - goto: /login\n  - capture: { h: h1 }\nteardown:\n  - goto: /logout\n  - request: GET /logout",
            ),
        ),
        invalid("an unknown step key", check("steps:\n  - request: GET /\n    expects: {}")),
        invalid("a step without a request", check("steps:\n  - name: s\n    expect: { status: 200 }")),
        invalid("a step name that is a number", check("steps:\n  - name: 5\n    request: GET /")),
        invalid("a step with cookies", check("steps:\n  - request: GET /\n    cookies: isolated")),
        // --- Requests ------------------------------------------------------------------------
        valid("request: a path", check("request: /health")),
        valid("request: a method and a path", check("request: DELETE /api/cache")),
        valid("request: a full URL", check("request: https://status.example.com/api?x=1")),
        valid("request: a method and a full URL", check("request: PATCH  http://127.0.0.1:1/a")),
        valid("request: an interpolated URL", check("request: GET ${{ env.BASE_URL }}/x")),
        valid(
            "request: every key",
            request(
                "method: post\nurl: /api\nheaders: { accept: application/json, x-n: 1 }\nquery: { q: smoke test, limit: 5, all: true }\njson: { a: [1, 2], b: null, c: { d: \"${{ env.BASE_URL }}\" } }\nauth: { bearer: \"${{ env.BASE_URL }}\" }\nfollow_redirects: false\ntimeout: 2s",
            ),
        ),
        valid("request: a custom method", request("method: PROPFIND\nurl: /dav")),
        valid(
            "request: a form body",
            request("method: POST\nurl: /login\nform: { username: smoke-bot, n: 1, ok: false }"),
        ),
        valid(
            "request: a text body",
            request("method: POST\nurl: /import\nheaders: { content-type: text/csv }\nbody: \"sku,qty\\nA1,3\\n\""),
        ),
        valid("request: a number as the body", request("method: POST\nurl: /n\nbody: 12")),
        valid("request: a file body", request("method: PUT\nurl: /avatar\nfile: fixtures/smoke.png")),
        valid("request: a JSON body that is a scalar or null", request("method: POST\nurl: /j\njson: null")),
        valid(
            "request: a multipart body",
            request(
                "method: POST\nurl: /files\nmultipart:\n  file: { path: fixtures/smoke.png, type: image/png, filename: s.png }\n  other: { path: data/import.csv }\n  purpose: smoke\n  n: 1\n  flag: true",
            ),
        ),
        valid("request: basic auth", request("url: /\nauth: { basic: { user: u, password: p } }")),
        valid("request: basic auth without a password", request("url: /\nauth: { basic: { user: u } }")),
        valid("request: auth values as numbers", request("url: /\nauth: { basic: { user: 5, password: 6 } }")),
        valid(
            "request: empty query, form and multipart",
            check(
                "steps:\n  - request: { url: /, query: {} }\n  - request: { method: POST, url: /, form: {} }\n  - request: { method: POST, url: /, multipart: {} }",
            ),
        ),
        invalid("an unknown request key", request("url: /\nheader: { a: b }")),
        invalid("a request that is a number", check("request: 1")),
        invalid("a request that is a list", check("request: [GET /]")),
        invalid("an empty request", check("request: \"\"")),
        invalid("a blank request", check("request: \"  \"")),
        invalid("a request without url", request("method: GET")),
        invalid("an empty url", request("url: \"\"")),
        invalid("a blank url", request("url: \" \"")),
        invalid("a url that is a number", request("url: 5")),
        invalid("a method that is a number", request("method: 1\nurl: /")),
        invalid("a method with a space", request("method: GE T\nurl: /")),
        invalid("an empty method", request("method: \"\"\nurl: /")),
        invalid("two bodies", request("url: /\njson: {}\nform: { a: b }")),
        invalid("two bodies: body and file", request("url: /\nbody: x\nfile: fixtures/smoke.png")),
        invalid("headers as a list", request("url: /\nheaders: [a]")),
        invalid("a header value that is a mapping", request("url: /\nheaders: { a: { b: c } }")),
        invalid("a query value that is null", request("url: /\nquery: { q: null }")),
        invalid("a form value that is a mapping", request("url: /\nform: { a: { b: 1 } }")),
        invalid("a text body that is null", request("url: /\nbody:")),
        invalid("a text body that is a list", request("url: /\nbody: [a]")),
        invalid("a file body that is a number", request("url: /\nfile: 1")),
        invalid("multipart as a list", request("url: /\nmultipart: [a]")),
        invalid("a multipart text field that is null", request("url: /\nmultipart: { a: null }")),
        invalid("a multipart text field that is a list", request("url: /\nmultipart: { a: [b] }")),
        invalid("a multipart file part without path", request("url: /\nmultipart: { f: { type: image/png } }")),
        invalid(
            "an unknown multipart file part key",
            request("url: /\nmultipart: { f: { path: fixtures/smoke.png, name: x } }"),
        ),
        invalid(
            "a multipart content type that is a number",
            request("url: /\nmultipart: { f: { path: fixtures/smoke.png, type: 1 } }"),
        ),
        invalid("auth with neither basic nor bearer", request("url: /\nauth: {}")),
        invalid("auth with both basic and bearer", request("url: /\nauth: { bearer: t, basic: { user: u } }")),
        invalid("an unknown auth key", request("url: /\nauth: { token: t }")),
        invalid("basic auth without a user", request("url: /\nauth: { basic: { password: p } }")),
        invalid("basic auth: null", request("url: /\nauth: { basic: null }")),
        invalid("an unknown basic auth key", request("url: /\nauth: { basic: { user: u, pass: p } }")),
        invalid("follow_redirects as text", request("url: /\nfollow_redirects: \"no\"")),
        invalid("a bad duration", request("url: /\ntimeout: 5 parsecs")),
        schema_looser("a request that is only a method", check("request: GET"), "URL syntax"),
        schema_looser("a URL that is not http", check("request: ftp://example.com/"), "URL scheme"),
        schema_looser("a body file that does not exist", request("url: /\nfile: missing.bin"), "file existence"),
        schema_looser(
            "a multipart file that does not exist",
            request("url: /\nmultipart: { f: { path: nope/missing.png } }"),
            "file existence",
        ),
        schema_looser(
            "a multipart content type that is not one",
            request("url: /\nmultipart: { f: { path: fixtures/smoke.png, type: \"a\\nb\" } }"),
            "content-type syntax",
        ),
        schema_stricter(
            "a request header name that is not a header name",
            request("url: /\nheaders: { \"bad name\": x }"),
            "the compiler does not check request header names when loading (only names in `expect`)",
        ),
        // --- retry ---------------------------------------------------------------------------
        valid(
            "retry: every key",
            check("request: GET /\nretry: { for: 30s, every: 250ms, backoff: 1.5, max_every: 2s }"),
        ),
        valid("retry: backoff as a whole number", check("request: GET /\nretry: { for: 1m, every: 0, backoff: 10 }")),
        invalid("an unknown retry key", check("request: GET /\nretry: { for: 1m, interval: 5s }")),
        invalid("retry without for", check("request: GET /\nretry: { every: 5s }")),
        invalid("retry as a duration", check("request: GET /\nretry: 1m")),
        invalid("a retry for that is a boolean", check("request: GET /\nretry: { for: true }")),
        invalid("a backoff below 1", check("request: GET /\nretry: { for: 1m, backoff: 0.5 }")),
        invalid("a backoff above 10", check("request: GET /\nretry: { for: 1m, backoff: 11 }")),
        invalid("a backoff as text", check("request: GET /\nretry: { for: 1m, backoff: \"2\" }")),
        // --- expect --------------------------------------------------------------------------
        valid("status: a code", expect("status: 200")),
        valid("status: a class", expect("status: 2xx")),
        valid("status: a class in capitals", expect("status: 5XX")),
        valid("status: a list", expect("status: [200, 204, 3xx]")),
        valid(
            "header and headers",
            expect("header: { content-type: { contains: json }, x-n: 3 }\nheaders: { Cache-Control: no-store }"),
        ),
        valid("body: a plain value", expect("body: ok")),
        valid("body: null", expect("body: null")),
        valid(
            "json: paths and plain values",
            expect(
                "json: { $.a: 1, \"$.b[0]\": x, $.c: [1, 2], $.d: null, $.e: true, $.f: 1.5, \"$\": { exists: true } }",
            ),
        ),
        valid(
            "html: every form",
            expect(
                "html:\n  h1: Products\n  h2: null\n  h3: [a]\n  li.product: { count: 3, text: Anvil, exists: true }\n  \"meta[name=version]\": { attr: { content: { matches: '^\\d' } } }\n  .none: { exists: false }",
            ),
        ),
        valid("time: a duration", expect("time: 2s")),
        valid("time: a bare number of seconds", expect("time: 2")),
        valid("time: operators with durations and numbers", expect("time: { lt: 2, gte: 1ms, lte: \"1.5s\", gt: 0 }")),
        valid("time: other operators", expect("time: { not_equals: 5, exists: true }")),
        valid("sha256: 64 hex digits", expect(&format!("sha256: {hex}"))),
        valid("sha256: in capitals", expect(&format!("sha256: {}", hex.to_uppercase()))),
        valid("sha256: a file", expect("sha256: { file: fixtures/smoke.png }")),
        valid(
            "sha256: a variable",
            suite(&format!("vars: {{ digest: {hex} }}"))
                .replace("request: GET /", "request: GET /\n    expect: { sha256: \"${{ digest }}\" }"),
        ),
        valid("certificate: days_left", expect("certificate: { days_left: { gte: 14 } }")),
        valid("certificate: days_left as a plain number", expect("certificate: { days_left: 30 }")),
        // Accepted by both, though they assert nothing (a false green the compiler lets through;
        // if it starts rejecting them, the schema needs `minProperties: 1` there).
        invalid("an empty expect", check("request: GET /\nexpect: {}")),
        invalid("an empty header expectation", expect("header: {}")),
        invalid("an empty json expectation", expect("json: {}")),
        invalid("an empty html expectation", expect("html: {}")),
        invalid("an html assertion that is empty", expect("html: { h1: {} }")),
        invalid("an html attr that is empty", expect("html: { h2: { attr: {} } }")),
        invalid("an empty capture", check("request: GET /\ncapture: {}")),
        valid("the final URL", expect("url: { not_contains: /login, matches: \"^https://\" }")),
        valid("the final URL as a plain value", expect("url: https://example.com/home")),
        invalid("the final URL with an unknown operator", expect("url: { ends_with: /home }")),
        valid(
            "captures that allow an empty value",
            check(
                "request: GET /\ncapture:\n  a: { json: $.a, allow_empty: true }\n  b: { header: x-b, allow_empty: false }",
            ),
        ),
        invalid(
            "allow_empty that is not a boolean",
            check("request: GET /\ncapture: { a: { json: $.a, allow_empty: yes } }"),
        ),
        invalid("allow_empty alone", check("request: GET /\ncapture: { a: { allow_empty: true } }")),
        valid(
            "each element of a list",
            expect("json:\n  \"$.items[*].status\": { each: { not_equals: down } }\n  \"$.a[*]\": { each: up }"),
        ),
        invalid("each with an unknown operator", expect("json: { \"$.a[*]\": { each: { bigger: 1 } } }")),
        schema_looser(
            "a list-yielding path compared with one plain value",
            expect("json: { \"$.items[*].status\": { not_equals: down } }"),
            "only the compiler knows which JSONPaths yield a list",
        ),
        schema_looser(
            "a browser check that asserts nothing",
            check("browser:\n  - goto: /\n  - click: a\n  - screenshot: after"),
            "whether some step of a check asserts is beyond what the schema says of one step",
        ),
        schema_looser(
            "a secret in a check's name",
            format!("{HEAD}secrets: [HOME]\nchecks:\n  - name: \"as ${{{{ secrets.HOME }}}}\"\n    request: GET /\n"),
            "the schema cannot tell a secret from other text in a name",
        ),
        invalid("an unknown expect key", expect("statuss: 200")),
        invalid("expect as a list", check("request: GET /\nexpect: [status]")),
        invalid("expect: null", check("request: GET /\nexpect:")),
        invalid("a status that is not a code", expect("status: 999")),
        invalid("a status below 100", expect("status: 99")),
        invalid("a status as a quoted number", expect("status: \"200\"")),
        invalid("a status class that does not exist", expect("status: 6xx")),
        invalid("a status class with a typo", expect("status: 2xy")),
        invalid("an empty status list", expect("status: []")),
        invalid("a bad code in a status list", expect("status: [200, 700]")),
        invalid("a header name that is not one", expect("header: { \"bad name\": x }")),
        invalid("expect headers as a list", expect("headers: [a]")),
        invalid("a JSONPath not starting with $", expect("json: { a.b: 1 }")),
        invalid("json as a list", expect("json: [$.a]")),
        invalid("an html operator without text", expect("html: { h1: { contains: x } }")),
        invalid("an html exists that is text", expect("html: { h1: { exists: \"yes\" } }")),
        invalid("html attr as a list", expect("html: { h1: { attr: [a] } }")),
        invalid("time: a bad duration", expect("time: soon")),
        invalid("time: a boolean", expect("time: true")),
        invalid("time: a list", expect("time: [1]")),
        invalid("time: an operand that is not a duration", expect("time: { lt: fast }")),
        invalid("time: an operand that is a boolean", expect("time: { lt: true }")),
        invalid("time: an unknown operator", expect("time: { below: 2s }")),
        invalid("time: an empty comparison", expect("time: {}")),
        invalid("a bad sha256", expect("sha256: abc")),
        invalid("a sha256 that is a number", expect("sha256: 123")),
        invalid("an unknown sha256 key", expect("sha256: { path: fixtures/smoke.png }")),
        invalid("certificate without days_left", expect("certificate: {}")),
        invalid("an unknown certificate key", expect("certificate: { days: 3 }")),
        schema_looser("an invalid JSONPath", expect("json: { \"$..[\": 1 }"), "JSONPath syntax"),
        schema_looser("an invalid CSS selector in html", expect("html: { \"a[\": x }"), "CSS syntax"),
        schema_looser("a sha256 file that does not exist", expect("sha256: { file: missing.bin }"), "file existence"),
        schema_looser(
            "a sha256 variable that is not hex",
            suite("vars: { digest: nope }")
                .replace("request: GET /", "request: GET /\n    expect: { sha256: \"${{ digest }}\" }"),
            "the value of a variable",
        ),
        schema_looser(
            "a sha256 from a capture",
            check(
                "steps:\n  - request: GET /\n    capture: { d: $.d }\n  - request: GET /\n    expect: { sha256: \"${{ d }}\" }",
            ),
            "whether a name is a capture",
        ),
        schema_looser(
            "a status written as a float",
            expect("status: 200.0"),
            "JSON Schema counts 200.0 as an integer; YAML and the compiler do not",
        ),
        invalid("sha256: {}", expect("sha256: {}")),
        // --- Comparisons ---------------------------------------------------------------------
        valid(
            "every operator",
            expect(
                "json:\n  $.a: { equals: { x: [1] }, not_equals: 2 }\n  $.b: { lt: 1, lte: 1.5, gt: -1, gte: 0 }\n  $.c: { contains: x, not_contains: y }\n  $.d: { matches: '^\\d+$', not_matches: x }\n  $.e: { matches: 12 }\n  $.f: { exists: true }\n  $.g: { absent: true }\n  $.h: { length: { gt: 0, lte: 100 } }\n  $.i: { length: 3 }\n  $.j: { one_of: [EUR, USD, 1, null] }\n  $.k: { one_of: [] }\n  $.l: { equals: \"${{ env.BASE_URL }}\" }",
            ),
        ),
        valid(
            "every JSON type",
            expect(
                "json:\n  $.a: { type: string }\n  $.b: { type: number }\n  $.c: { type: integer }\n  $.d: { type: boolean }\n  $.e: { type: array }\n  $.f: { type: object }\n  $.g: { type: \"null\" }",
            ),
        ),
        invalid("an unknown operator", expect("body: { contain: x }")),
        invalid("an empty comparison", expect("body: {}")),
        invalid("a nested empty comparison", expect("json: { $.a: { length: {} } }")),
        invalid("lt that is text", expect("json: { $.a: { lt: \"5\" } }")),
        invalid("lt that is a duration outside time", expect("json: { $.a: { lt: 2s } }")),
        invalid("exists as text", expect("json: { $.a: { exists: \"yes\" } }")),
        invalid("absent as a number", expect("json: { $.a: { absent: 1 } }")),
        invalid("an unknown JSON type", expect("json: { $.a: { type: float } }")),
        invalid("a JSON type that is a number", expect("json: { $.a: { type: 1 } }")),
        invalid("one_of that is not a list", expect("json: { $.a: { one_of: x } }")),
        invalid("matches that is a list", expect("body: { matches: [a] }")),
        schema_looser("an invalid regular expression", expect("body: { matches: \"(unclosed\" }"), "regex syntax"),
        schema_looser(
            "an invalid regular expression in not_matches",
            expect("body: { not_matches: \"[\" }"),
            "regex syntax",
        ),
        schema_looser(
            "an undefined variable in an expected value",
            expect("body: \"${{ nope }}\""),
            "which names are defined",
        ),
        schema_stricter(
            "matches: true",
            expect("body: { matches: true }"),
            "the compiler takes a boolean as the regex `true`; the schema only offers text and numbers",
        ),
        // --- Captures ------------------------------------------------------------------------
        valid(
            "every capture source",
            capture(
                "a: $.id\nb: \"$.items[0]\"\nc: { json: $.c }\nd: { header: location }\ne: { cookie: session }\nf: { regex: 'value=\"([^\"]+)\"' }\ng: { css: li.file }\nh: { css: a, attr: href }\ni: { status: true }\n_j-2: $",
            ),
        ),
        valid(
            "a capture used by a later check",
            format!(
                "{HEAD}checks:\n  - name: a\n    request: GET /\n    capture: {{ id: $.id }}\n  - name: b\n    request: GET /x/${{{{ id }}}}\n"
            ),
        ),
        invalid("an unknown capture source", capture("x: { jsonpath: $.a }")),
        invalid("a capture with two sources", capture("x: { json: $.a, header: b }")),
        invalid("a capture with no source", capture("x: {}")),
        invalid("a capture with attr but no css", capture("x: { header: a, attr: href }")),
        invalid("a capture of attr alone", capture("x: { attr: href }")),
        invalid("a capture that is not a JSONPath", capture("x: h1")),
        invalid("a capture that is a number", capture("x: 1")),
        invalid("a capture name with a dot", capture("a.b: $.a")),
        invalid("a capture name starting with a digit", capture("1a: $.a")),
        invalid("a capture json that is not a JSONPath", capture("x: { json: a.b }")),
        invalid("a capture header that is a number", capture("x: { header: 1 }")),
        invalid("capture as a list", check("request: GET /\ncapture: [a]")),
        schema_looser(
            "a capture that replaces a variable",
            suite("vars: { a: 1 }").replace("request: GET /", "request: GET /\n    capture: { a: $.a }"),
            "which names are variables",
        ),
        schema_looser("an invalid capture regex", capture("x: { regex: \"(\" }"), "regex syntax"),
        schema_looser("an invalid capture JSONPath", capture("x: \"$..[\""), "JSONPath syntax"),
        schema_looser("an invalid capture CSS selector", capture("x: { css: \"a[\" }"), "CSS syntax"),
        schema_stricter(
            "a status capture of false",
            capture("s: { status: false }"),
            "the compiler does not look at the value of `status` and captures the status anyway",
        ),
        schema_stricter(
            "a status capture of text",
            capture("s: { status: yes please }"),
            "the compiler does not look at the value of `status` and captures the status anyway",
        ),
        // --- Browser steps -------------------------------------------------------------------
        valid(
            "every browser step form",
            browser(
                r##"
- goto: /login
- goto: "https://example.com/x?y=${{ env.BASE_URL }}"
- name: log in
  fill: { "#username": smoke-bot, "#n": 3, "#b": true }
  timeout: 2s
- select: { "#plan": pro }
- check: "#terms"
- uncheck: "css=#terms"
- press: Enter
- press: a
- press: { key: Tab, selector: "xpath=//input[1]" }
- upload: { "#file": fixtures/smoke.png }
- upload: { "#files": [fixtures/smoke.png, data/import.csv] }
- hover: //nav/a
- click: "(//a)[1]"
- click: link=All products
- wait_for: "#late"
- wait_for: { selector: .spinner, state: gone }
- wait_for: { selector: .a, state: visible }
- wait_for: { selector: .b, state: hidden }
- wait_for: { selector: .c, state: present }
- wait_for: { selector: .d }
- wait_for: { text: Saved, url: /done, title: { contains: Done } }
- see: .role
- see: { selector: .role, text: maintainer, visible: true, count: 1, attr: { data-x: { exists: true } } }
- see: { selector: .role }
- see: { text: Welcome }
- see: { text: { matches: "W.+" } }
- see: { title: { contains: Dashboard }, url: { matches: "/dashboard$" } }
- capture: { a: h1, b: { selector: a, attr: href }, c: { title: true }, d: { url: true }, e: { selector: p } }
- screenshot: after login
- screenshot: 1
- eval: document.title
- eval: { script: "return 1 + 1;", expect: 2, capture: two }
- eval: { expression: "1", expect: { gte: 1 } }
- eval: { script: "const n = 2;\nreturn n;" }
- eval: "returned.value"
- no_console_errors: true
- goto: { url: /missing, status: 404 }
- goto: { url: "https://example.com/a?x=1" }
- no_failed_requests: true
- no_failed_requests: { allow: [/favicon.ico, "/api/optional/*", "https://ads.example/*", "*/beacon"] }
- no_failed_requests: { allow: /favicon.ico }
- no_failed_requests: { allow: [] }
"##,
            ),
        ),
        valid(
            "press: every named key, and a character",
            browser(
                "- press: Escape\n- press: Backspace\n- press: Delete\n- press: Space\n- press: ArrowUp\n- press: ArrowDown\n- press: ArrowLeft\n- press: ArrowRight\n- press: Home\n- press: End\n- press: PageUp\n- press: PageDown\n- press: \"é\"",
            ),
        ),
        valid(
            "browser steps mixed with HTTP steps",
            check(
                "steps:\n  - request: GET /api/me\n    capture: { role: \"$.roles[0]\" }\n  - goto: /dashboard\n  - see: { selector: .role, text: \"${{ role }}\" }\n  - capture: { shown: .role }\n  - request: GET /echo?r=${{ shown }}\n    expect: { status: 200 }",
            ),
        ),
        valid(
            "a browser capture and an eval capture used later",
            check(
                "browser:\n  - capture: { t: { title: true } }\n  - eval: { expression: x, capture: n }\n  - goto: \"/a?t=${{ t }}&n=${{ n }}\"\n  - see: h1",
            ),
        ),
        valid(
            "browser options: every key",
            browser_options(
                "timeout: 3s\nargs: [--lang=de, --hide-scrollbars]\nbrowser: chromium\nwindow: \" 1280 x 800 \"\nerror_selectors: [div.error, \"xpath=//p[@role='alert']\"]",
            ),
        ),
        valid("browser options: firefox with a single argument", browser_options("browser: firefox\nargs: -private")),
        valid("browser options: one error selector", browser_options("error_selectors: .alert-danger")),
        valid("browser options: no error selectors", browser_options("error_selectors: []")),
        valid("browser options: the smallest and largest windows", browser_options("window: 100x8000")),
        valid("browser options: a window with a plus sign and leading zeros", browser_options("window: \"+0390x844\"")),
        invalid("a browser step with two actions", browser("- goto: /\n  click: a")),
        invalid("a browser step with see and capture", browser("- see: h1\n  capture: { x: h1 }")),
        invalid("a browser step with no action", browser("- name: nothing\n  timeout: 1s")),
        invalid("an unknown browser action", browser("- navigate: /")),
        invalid("a misspelt browser action", browser("- wait-for: { selector: h1 }")),
        invalid("`request` inside a browser list", browser("- request: GET /")),
        invalid("`expect` in a browser step", browser("- goto: /\n  expect: { status: 200 }")),
        invalid("`expect` in a browser step in `steps`", check("steps:\n  - goto: /\n    expect: { status: 200 }")),
        invalid("`retry` in a browser step", browser("- goto: /\n  retry: { for: 1m }")),
        invalid("a browser action in an HTTP step", check("steps:\n  - request: GET /\n    see: h1")),
        invalid("an empty browser list", check("browser: []")),
        invalid("a browser list that is a mapping", check("browser: { goto: / }")),
        invalid("a browser step that is a string", check("browser: [goto /]")),
        invalid("a browser step name that is a number", browser("- name: 5\n  goto: /")),
        invalid("a bad step timeout", browser("- goto: /\n  timeout: soon")),
        invalid("goto: a number", browser("- goto: 1")),
        invalid("goto: empty", browser("- goto: \"\"")),
        invalid("goto: blank", browser("- goto: \" \"")),
        invalid("an empty selector", browser("- click: \"\"")),
        invalid("a blank selector", browser("- hover: \"  \"")),
        invalid("an empty XPath", browser("- click: xpath=")),
        invalid("an empty CSS selector after css=", browser("- check: \"css= \"")),
        invalid("an empty link text", browser("- uncheck: link=")),
        invalid("click: a number", browser("- click: 1")),
        invalid("click: a mapping", browser("- click: { selector: a }")),
        // Accepted by both, though they do nothing.
        invalid("an empty fill step", browser("- fill: {}")),
        invalid("an empty select step", browser("- select: {}")),
        invalid("an empty capture step", browser("- capture: {}")),
        invalid("an empty see step", browser("- see: {}")),
        invalid("`fill` as a list", browser("- fill: [a]")),
        invalid("a `fill` value that is a mapping", browser("- fill: { \"#a\": { b: 1 } }")),
        invalid("a `fill` value that is null", browser("- fill: { \"#a\": null }")),
        invalid("a `fill` value that is a list", browser("- fill: { \"#a\": [1] }")),
        invalid("a `fill` selector that is empty", browser("- fill: { \"\": x }")),
        invalid("a `select` value that is a list", browser("- select: { \"#a\": [1] }")),
        invalid("`press` with an unknown key", browser("- press: Return")),
        invalid("`press` with two characters", browser("- press: ab")),
        invalid("`press` with a number", browser("- press: 1")),
        invalid("`press` without a key", browser("- press: { selector: \"#q\" }")),
        invalid("`press` with an unknown key in a mapping", browser("- press: { key: Return }")),
        invalid("`press` with an empty selector", browser("- press: { key: a, selector: \"\" }")),
        invalid("an unknown `press` key", browser("- press: { key: a, target: \"#q\" }")),
        invalid(
            "`upload` into two inputs",
            browser("- upload: { \"#a\": fixtures/smoke.png, \"#b\": fixtures/smoke.png }"),
        ),
        invalid("`upload` with no input", browser("- upload: {}")),
        invalid("`upload` with an empty list of files", browser("- upload: { \"#file\": [] }")),
        invalid("`upload` of an empty file name", browser("- upload: { \"#file\": \"\" }")),
        invalid("`upload` of a number", browser("- upload: { \"#file\": [1] }")),
        invalid("`upload` as a string", browser("- upload: fixtures/smoke.png")),
        invalid("`see` without anything", browser("- see: {}")),
        invalid("`see` with only a timeout", browser("- see: { timeout: 1s }")),
        invalid("`see` with `visible` but no selector", browser("- see: { visible: true }")),
        invalid("`see` with `count` but no selector", browser("- see: { text: x, count: 1 }")),
        invalid("`see` with `attr` but no selector", browser("- see: { title: x, attr: { a: b } }")),
        invalid("`see` with an unknown key", browser("- see: { selector: h1, txt: x }")),
        invalid("`see` with an empty attr", browser("- see: { selector: h1, attr: {} }")),
        invalid("`see` with visible as text", browser("- see: { selector: h1, visible: \"yes\" }")),
        invalid("`see` with an empty count comparison", browser("- see: { selector: h1, count: {} }")),
        invalid("`see` with an empty title comparison", browser("- see: { title: {} }")),
        invalid("`see` of a number", browser("- see: 1")),
        invalid("`see` of an empty XPath", browser("- see: xpath=")),
        invalid("`wait_for` without anything", browser("- wait_for: {}")),
        invalid("`wait_for` with `state` but no selector", browser("- wait_for: { state: gone }")),
        invalid("`wait_for` with an unknown state", browser("- wait_for: { selector: h1, state: shown }")),
        invalid("`wait_for` with an unknown key", browser("- wait_for: { selector: h1, visible: true }")),
        invalid("`wait_for` of an empty selector", browser("- wait_for: \"\"")),
        invalid("`eval` without expression or script", browser("- eval: { expect: 2 }")),
        invalid("`eval` of a number", browser("- eval: 1")),
        invalid("`eval` with both expression and script", browser("- eval: { expression: x, script: y }")),
        invalid("`eval` with `js`, which says neither", browser("- eval: { js: x }")),
        invalid("`eval` with an unknown key", browser("- eval: { expression: x, code: y }")),
        invalid("`eval` with an empty expect", browser("- eval: { expression: x, expect: {} }")),
        invalid("`eval` capture name with a dot", browser("- eval: { expression: x, capture: a.b }")),
        invalid("`eval` capture that is a number", browser("- eval: { script: return x, capture: 1 }")),
        invalid("`eval` of an empty expression", browser("- eval: \"\"")),
        invalid("`eval` of blank text", browser("- eval: \"  \"")),
        invalid("`eval` with an empty expression", browser("- eval: { expression: \"\" }")),
        invalid("`eval` with an empty script", browser("- eval: { script: \" \" }")),
        invalid("`eval` of an expression that is a function body", browser("- eval: return document.title")),
        invalid(
            "`eval` with an expression that is a function body",
            browser("- eval: { expression: \"  return 1;\" }"),
        ),
        invalid("`no_console_errors: false`", browser("- no_console_errors: false")),
        invalid("`no_console_errors` as text", browser("- no_console_errors: \"true\"")),
        invalid("`no_failed_requests: false`", browser("- no_failed_requests: false")),
        invalid("`no_failed_requests` as text", browser("- no_failed_requests: \"true\"")),
        invalid("`no_failed_requests` without allow", browser("- no_failed_requests: {}")),
        invalid(
            "`no_failed_requests` with an unknown key",
            browser("- no_failed_requests: { allow: [/x], deny: [/y] }"),
        ),
        invalid(
            "an allow pattern that is neither a path nor a URL",
            browser("- no_failed_requests: { allow: [favicon.ico] }"),
        ),
        invalid("an allow pattern that is a number", browser("- no_failed_requests: { allow: [1] }")),
        invalid("`goto` without a url", browser("- goto: { status: 404 }")),
        invalid("`goto` with a status as text", browser("- goto: { url: /x, status: \"404\" }")),
        invalid("`goto` with a status out of range", browser("- goto: { url: /x, status: 99 }")),
        invalid("`goto` with an unknown key", browser("- goto: { url: /x, wait: 1s }")),
        invalid("an empty screenshot name", browser("- screenshot: \"\"")),
        invalid("a screenshot name that is null", browser("- screenshot:")),
        invalid("a screenshot name that is a list", browser("- screenshot: [a]")),
        invalid("a browser capture with attr but no selector", browser("- capture: { x: { attr: href } }")),
        invalid("a browser capture of `title: false`", browser("- capture: { x: { title: false } }")),
        invalid("a browser capture of `url: false`", browser("- capture: { x: { url: false } }")),
        invalid("a browser capture of title as text", browser("- capture: { x: { title: \"yes\" } }")),
        invalid("a browser capture from two places", browser("- capture: { x: { selector: h1, url: true } }")),
        invalid("a browser capture of title with attr", browser("- capture: { x: { title: true, attr: href } }")),
        invalid("an unknown browser capture key", browser("- capture: { x: { css: h1 } }")),
        invalid("a browser capture of an empty selector", browser("- capture: { x: \"\" }")),
        invalid("a browser capture that is a number", browser("- capture: { x: 1 }")),
        invalid("a browser capture name with a dot", browser("- capture: { a.b: h1 }")),
        invalid("a browser capture attr that is a number", browser("- capture: { x: { selector: a, attr: 1 } }")),
        invalid("a bad window (too small)", browser_options("window: 99x800")),
        invalid("an error selector that is a link's text", browser_options("error_selectors: [.error, link=Oops]")),
        invalid("an empty error selector", browser_options("error_selectors: [\"  \"]")),
        invalid("error selectors in a mapping", browser_options("error_selectors: { css: .error }")),
        invalid("a bad window (too large)", browser_options("window: 1280x8001")),
        invalid("a bad window (not WxH)", browser_options("window: 1280*800")),
        invalid("a bad window (a capital X)", browser_options("window: 1280X800")),
        invalid("a bad window (a number)", browser_options("window: 1280")),
        invalid("an unknown browser kind", browser_options("browser: safari")),
        invalid("an unknown suite browser option", browser_options("headless: false")),
        invalid("browser args that are numbers", browser_options("args: 1")),
        invalid("a browser timeout that is null", browser_options("timeout:")),
        invalid("suite browser options given as a list", browser_options("- goto: /")),
        schema_looser("an invalid CSS selector in a step", browser("- click: \"a[\""), "CSS syntax"),
        schema_looser("a CSS selector after css= that is not CSS", browser("- click: \"css=xpath=//a\""), "CSS syntax"),
        schema_looser("an invalid CSS selector as a fill key", browser("- fill: { \"a[\": x }"), "CSS syntax"),
        schema_looser(
            "a JSONPath as a browser capture",
            check("steps:\n  - capture: { x: $.a }"),
            "CSS syntax (`$.a` is taken as a selector)",
        ),
        schema_looser(
            "an upload of a file that does not exist",
            browser("- upload: { \"#file\": missing.png }"),
            "file existence",
        ),
        schema_looser("a goto that is not a URL", browser("- goto: not a url"), "URL syntax"),
        schema_looser("an undefined variable in goto", browser("- goto: /${{ nope }}"), "which names are defined"),
        schema_looser(
            "a browser capture that replaces a variable",
            suite("vars: { a: 1 }").replace("request: GET /", "browser:\n      - capture: { a: h1 }"),
            "which names are variables",
        ),
        schema_stricter(
            "a wait_for state that is not text",
            browser("- wait_for: { selector: h1, state: 5 }"),
            "the compiler takes a `state` that is not a string as `visible`",
        ),
        schema_stricter(
            "`eval` with a number as the expression",
            browser("- eval: { expression: 1 }"),
            "the compiler takes a number as the script text (but not `eval: 1`)",
        ),
        schema_stricter(
            "a screenshot named true",
            browser("- screenshot: true"),
            "the compiler takes a boolean as the name `true`",
        ),
        invalid(
            "`see` with an empty attr beside other assertions",
            browser("- see: { selector: h1, text: x, attr: {} }"),
        ),
    ]
}

#[test]
fn schema_and_validate_agree_on_every_case() {
    let cases = cases();
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "two cases are named `{}`", c.name);
    }
    let dir = suite_dir();
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let file = dir.path().join(format!("case-{i:03}.yaml"));
            std::fs::write(&file, &c.yaml).unwrap();
            file
        })
        .collect();
    let work: Vec<(&Case, &PathBuf)> = cases.iter().zip(&files).collect();
    let problems: Vec<String> = parallel(&work, |(case, file)| {
        let doc = yaml_to_json(&case.yaml);
        let schema = schema_verdict(&doc);
        let compiler = compiler_verdict(file, &env_for(&case.yaml, doc.as_ref().ok()));
        let (s, c) = (schema.is_ok(), compiler.is_ok());
        let wrong = match case.expect {
            Valid if s && c => return None,
            Invalid if !s && !c => return None,
            SchemaLooser(_) if s && !c => return None,
            SchemaStricter(_) if !s && c => return None,
            Valid | Invalid => "they must both accept it or both reject it".to_string(),
            SchemaLooser(why) if s == c => format!(
                "it is listed as something only the compiler can know ({why}), but now both {}: make it a plain valid or invalid case",
                show(s)
            ),
            SchemaStricter(why) if s == c => format!(
                "it is listed as something the compiler lets through ({why}), but now both {}: make it a plain valid or invalid case",
                show(s)
            ),
            SchemaLooser(why) | SchemaStricter(why) => format!("expected the other way round ({why})"),
        };
        let expected = match case.expect {
            Valid => "valid",
            Invalid => "invalid",
            SchemaLooser(_) => "schema accepts, validate rejects",
            SchemaStricter(_) => "schema rejects, validate accepts",
        };
        Some(format!(
            "case `{}` ({}, expected: {expected}): the schema {}, `shakedown validate` {}; {wrong}\n{}{}  suite:\n{}",
            case.name,
            file.file_name().unwrap().to_string_lossy(),
            show(s),
            show(c),
            schema.err().map(|e| format!("  schema: {}\n", e.replace('\n', "\n          "))).unwrap_or_default(),
            compiler.err().map(|e| format!("  validate: {}\n", indent(&e, 12).trim_start())).unwrap_or_default(),
            indent(&case.yaml, 4),
        ))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        problems.is_empty(),
        "the schema (`shakedown schema`) and the compiler (`shakedown validate`) disagree on {} of {} cases \
         (fix src/schema.json, or the compiler, or the case in tests/schema.rs):\n\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Every key the compiler knows, at every level, is in the schema there, and no other.

/// A key no level of the format has: `shakedown validate` answers it with "unknown key …" and
/// a help line listing the keys it takes there ("the suite takes: name, environment, …").
const PROBE: &str = "zzzzzzzzzz";

/// For each mapping of the format with a fixed set of keys: a suite with [`PROBE`] there, and
/// where the schema lists that mapping's keys (`properties`; the union of several places for a
/// mapping with several forms).
fn key_probes() -> Vec<(&'static str, String, Vec<&'static str>)> {
    let p = PROBE;
    vec![
        ("the suite", format!("{HEAD}{p}: 1\n{ONE_CHECK}"), vec!["/properties"]),
        ("`defaults`", suite(&format!("defaults: {{ {p}: 1 }}")), vec!["/properties/defaults/properties"]),
        ("`tls`", suite(&format!("tls: {{ {p}: 1 }}")), vec!["/properties/tls/properties"]),
        ("`monitor`", suite(&format!("monitor: {{ {p}: 1 }}")), vec!["/properties/monitor/properties"]),
        ("`browser`", suite(&format!("browser: {{ {p}: 1 }}")), vec!["/$defs/browserOptions/properties"]),
        ("a check", check(&format!("request: GET /\n{p}: 1")), vec!["/$defs/check/properties"]),
        ("a step", check(&format!("steps:\n  - request: GET /\n    {p}: 1")), vec!["/$defs/httpStep/properties"]),
        ("`request`", request(&format!("url: /\n{p}: 1")), vec!["/$defs/request/anyOf/1/properties"]),
        (
            "a multipart file",
            request(&format!("url: /\nmultipart: {{ f: {{ path: fixtures/smoke.png, {p}: 1 }} }}")),
            vec!["/$defs/request/anyOf/1/properties/multipart/additionalProperties/anyOf/1/properties"],
        ),
        (
            "`auth`",
            request(&format!("url: /\nauth: {{ {p}: 1 }}")),
            vec!["/$defs/request/anyOf/1/properties/auth/properties"],
        ),
        (
            "`basic`",
            request(&format!("url: /\nauth: {{ basic: {{ user: u, {p}: 1 }} }}")),
            vec!["/$defs/request/anyOf/1/properties/auth/properties/basic/properties"],
        ),
        ("`retry`", check(&format!("request: GET /\nretry: {{ for: 1m, {p}: 1 }}")), vec!["/$defs/retry/properties"]),
        ("`expect`", expect(&format!("{p}: 1")), vec!["/$defs/expect/properties"]),
        ("the comparison", expect(&format!("body: {{ {p}: 1 }}")), vec!["/$defs/comparison/anyOf/1/properties"]),
        ("the comparison", expect(&format!("time: {{ {p}: 1 }}")), vec!["/$defs/timeComparison/anyOf/1/properties"]),
        (
            "an `html` assertion",
            expect(&format!("html: {{ h1: {{ {p}: 1 }} }}")),
            vec!["/$defs/expect/properties/html/additionalProperties/anyOf/1/properties"],
        ),
        (
            "`sha256`",
            expect(&format!("sha256: {{ {p}: 1 }}")),
            vec!["/$defs/expect/properties/sha256/anyOf/2/properties"],
        ),
        (
            "`certificate`",
            expect(&format!("certificate: {{ days_left: 1, {p}: 1 }}")),
            vec!["/$defs/expect/properties/certificate/properties"],
        ),
        (
            "a capture",
            capture(&format!("x: {{ {p}: 1 }}")),
            vec!["/$defs/capture/additionalProperties/anyOf/1/properties"],
        ),
        ("a browser step", browser(&format!("- goto: /\n  {p}: 1")), vec!["/$defs/browserStep/properties"]),
        (
            "`press`",
            browser(&format!("- press: {{ key: a, {p}: 1 }}")),
            vec!["/$defs/browserStep/properties/press/anyOf/1/properties"],
        ),
        (
            "`see`",
            browser(&format!("- see: {{ selector: h1, {p}: 1 }}")),
            vec!["/$defs/browserStep/properties/see/anyOf/1/properties"],
        ),
        (
            "`wait_for`",
            browser(&format!("- wait_for: {{ selector: h1, {p}: 1 }}")),
            vec!["/$defs/browserStep/properties/wait_for/anyOf/1/properties"],
        ),
        (
            "`eval`",
            browser(&format!("- eval: {{ expression: x, {p}: 1 }}")),
            vec!["/$defs/browserStep/properties/eval/anyOf/1/properties"],
        ),
        (
            "a browser capture",
            browser(&format!("- capture: {{ x: {{ {p}: 1 }} }}")),
            vec![
                "/$defs/browserStep/properties/capture/additionalProperties/anyOf/1/properties",
                "/$defs/browserStep/properties/capture/additionalProperties/anyOf/2/properties",
                "/$defs/browserStep/properties/capture/additionalProperties/anyOf/3/properties",
            ],
        ),
    ]
}

#[test]
fn schema_knows_exactly_the_keys_the_compiler_knows() {
    let probes = key_probes();
    let dir = suite_dir();
    let work: Vec<_> = probes.iter().enumerate().collect();
    let problems: Vec<String> = parallel(&work, |(i, (what, yaml, pointers))| {
        let file = dir.path().join(format!("probe-{i:02}.yaml"));
        std::fs::write(&file, yaml).unwrap();
        let output = compiler_verdict(&file, &env_for(yaml, None)).expect_err("a suite with an unknown key");
        let error = format!("unknown key `{PROBE}` in {what}");
        let Some(at) = output.find(&error) else {
            return Some(format!("{what}: `shakedown validate` does not say \"{error}\":\n{output}\n{yaml}"));
        };
        let takes = format!("help: {what} takes: ");
        let Some(list) = output[at..].lines().find_map(|l| l.strip_prefix(&takes)) else {
            return Some(format!("{what}: `shakedown validate` does not list the keys (\"{takes}…\"):\n{output}"));
        };
        let compiler: BTreeSet<&str> = list.trim().split(", ").collect();
        let mut schema_keys = BTreeSet::new();
        for pointer in pointers {
            match schema().pointer(pointer).and_then(Value::as_object) {
                Some(props) => schema_keys.extend(props.keys().map(String::as_str)),
                None => return Some(format!("{what}: the schema has no `{pointer}` (was it reorganised?)")),
            }
        }
        if compiler == schema_keys {
            return None;
        }
        Some(format!(
            "{what}: the compiler takes keys the schema does not know: {:?}; the schema knows keys the compiler does not take: {:?}",
            compiler.difference(&schema_keys).collect::<Vec<_>>(),
            schema_keys.difference(&compiler).collect::<Vec<_>>(),
        ))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "the schema's keys differ from the compiler's:\n\n{}", problems.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// Coverage: every key and enum value of the schema is in a valid case.

fn schema_words(v: &Value, keys: &mut BTreeSet<String>, values: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                keys.extend(props.keys().cloned());
            }
            if let Some(Value::Array(items)) = map.get("enum") {
                values.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
            }
            map.values().for_each(|v| schema_words(v, keys, values));
        }
        Value::Array(items) => items.iter().for_each(|i| schema_words(i, keys, values)),
        _ => {}
    }
}

fn instance_words(v: &Value, keys: &mut BTreeSet<String>, values: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                keys.insert(k.clone());
                instance_words(v, keys, values);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| instance_words(i, keys, values)),
        Value::String(s) => {
            values.insert(s.trim().to_string());
        }
        _ => {}
    }
}

#[test]
fn valid_cases_use_every_key_and_enum_value_of_the_schema() {
    let (mut schema_keys, mut schema_values) = (BTreeSet::new(), BTreeSet::new());
    schema_words(schema(), &mut schema_keys, &mut schema_values);
    let (mut used_keys, mut used_values) = (BTreeSet::new(), BTreeSet::new());
    for case in cases().iter().filter(|c| c.expect == Valid) {
        let doc = yaml_to_json(&case.yaml).unwrap_or_else(|e| panic!("case `{}` is not YAML: {e}", case.name));
        instance_words(&doc, &mut used_keys, &mut used_values);
    }
    let missing_keys: Vec<_> = schema_keys.difference(&used_keys).collect();
    let missing_values: Vec<_> = schema_values.difference(&used_values).collect();
    assert!(
        missing_keys.is_empty() && missing_values.is_empty(),
        "the schema knows keys or values that no valid case in tests/schema.rs uses: add a case for each\n  \
         keys: {missing_keys:?}\n  values: {missing_values:?}"
    );
}

#[test]
fn the_table_covers_every_kind_of_case() {
    let cases = cases();
    let count = |f: fn(&Expect) -> bool| cases.iter().filter(|c| f(&c.expect)).count();
    assert!(count(|e| *e == Valid) >= 40, "too few valid cases");
    assert!(count(|e| *e == Invalid) >= 100, "too few invalid cases");
    assert!(count(|e| matches!(e, SchemaLooser(_))) >= 10);
}
