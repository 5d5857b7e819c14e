//! Our YAML reader (`shakedown::load::yaml`, a tree built straight from granit-parser's events)
//! must read every suite as serde-saphyr did before it (with its spanned values, 2× slower):
//! the same values, the same positions, and an error where it gave one. Hand-picked scalars,
//! anchors, merge keys and bad files first, then the bundled suites and thousands of
//! mutations of them from the loader's fuzzer.

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use shakedown::load::fuzz::{self, Rng, Seed};
use shakedown::load::yaml::{self, Node, Pos, Value};
use std::path::Path;

/// serde-saphyr recurses per level, and a debug build's frames are large: the loader gives
/// it the main thread's 8 MiB; so do we.
fn on_a_big_stack(f: fn()) {
    let t = std::thread::Builder::new().stack_size(64 * 1024 * 1024).spawn(f).expect("a thread");
    if let Err(panic) = t.join() {
        std::panic::resume_unwind(panic);
    }
}

/// The reader we replaced, kept here as the reference.
fn reference(text: &str) -> Result<Node, String> {
    if text.trim().is_empty() {
        return Err("the file is empty".into());
    }
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Old>(text, options).map(|o| o.0).map_err(|e| e.to_string())
}

struct Old(Node);
struct OldValue(Value);

impl<'de> Deserialize<'de> for Old {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<OldValue>::deserialize(d)?;
        let loc = spanned.referenced;
        Ok(Old(Node { value: spanned.value.0, pos: Pos::new(loc.line() as u32, loc.column() as u32) }))
    }
}

impl<'de> Deserialize<'de> for OldValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OldVisitor).map(OldValue)
    }
}

struct OldVisitor;

impl<'de> Visitor<'de> for OldVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        OldValue::deserialize(d).map(|v| v.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Old(node)) = seq.next_element::<Old>()? {
            items.push(node);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(Old(key)) = map.next_key::<Old>()? {
            let Old(value) = map.next_value::<Old>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// Where the two readers differ on `text`, if they do. Without `positions`, only values
/// count (the places of nodes copied by an alias differ by design: ours keep where they were
/// written).
fn differ(text: &str, positions: bool) -> Option<String> {
    let ours = yaml::parse(text);
    let theirs = reference(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            let same = if positions { a == b } else { a.to_json() == b.to_json() && kinds(a) == kinds(b) };
            (!same).then(|| format!("different trees\n ours:   {a:?}\n theirs: {b:?}"))
        }
        (Err(_), Err(_)) => None,
        // serde-saphyr stopped at the first document end (`...`) and ignored what followed,
        // even checks or garbage; we read on and refuse a file with more after it, as a
        // check silently dropped could pass a broken deploy.
        (Err(_), Ok(_)) if text.lines().any(|l| l.starts_with("...")) => None,
        (Ok(a), Err(e)) => Some(format!("we read it, serde-saphyr refused it ({e}); ours: {a:?}")),
        (Err(e), Ok(b)) => Some(format!("we refused it ({}), serde-saphyr read it: {b:?}", e.message)),
    }
}

/// The node types all the way down (`to_json` makes 1 and 1.0 alike).
fn kinds(n: &Node) -> String {
    match &n.value {
        Value::Seq(items) => format!("[{}]", items.iter().map(kinds).collect::<Vec<_>>().join(",")),
        Value::Map(entries) => {
            format!(
                "{{{}}}",
                entries.iter().map(|(k, v)| format!("{}:{}", kinds(k), kinds(v))).collect::<Vec<_>>().join(",")
            )
        }
        Value::Int(_) => "i".into(),
        Value::Float(_) => "f".into(),
        _ => n.kind().into(),
    }
}

#[test]
fn scalars_are_typed_as_before() {
    on_a_big_stack(scalars_are_typed_as_before_);
}

fn scalars_are_typed_as_before_() {
    let scalars = [
        "200",
        "-7",
        "+12",
        "0",
        "-0",
        "012",
        "0x1F",
        "0o17",
        "0b101",
        "1_000",
        "1__0",
        "_1",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1.5",
        "-2e3",
        ".5",
        "5.",
        "1e3",
        "1E+3",
        "true",
        "TRUE",
        "True",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "NO",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "",
        "inf",
        "nan",
        "infinity",
        "'200'",
        "\"true\"",
        "\"\"",
        "''",
        "!!str 200",
        "!!int \"42\"",
        "!!float '1.5'",
        "!!bool 'true'",
        "!!null ''",
        "!!binary aGk=",
        "!!binary",
        "! 200",
        "!custom 200",
        "|\n  text\n",
        ">\n  folded\n  text\n",
        "0x",
        "0xZZ",
        "--1",
        "1.2.3",
        "12:30",
        "2026-12-07",
        "1,000",
        "  spaced  ",
        "\"esc\\tape\\u00e9\"",
        "a: b",
    ];
    let mut problems = Vec::new();
    for s in scalars {
        let text = format!("v: {s}\n");
        if let Some(d) = differ(&text, true) {
            problems.push(format!("{text:?}: {d}"));
        }
    }
    assert!(problems.is_empty(), "{} scalars read differently:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn structures_anchors_and_merge_keys_read_as_before() {
    on_a_big_stack(structures_anchors_and_merge_keys_read_as_before_);
}

fn structures_anchors_and_merge_keys_read_as_before_() {
    let cases = [
        "name: demo\nchecks:\n  - name: a\n    request: GET /\n",
        "a: [1, {b: c}, [d]]\ne: {f: [g, h]}\n",
        "- a\n- - b\n  - c\n-\n  d: e\n",
        "defaults: &d {timeout: 5s, retries: 2}\nchecks:\n  - <<: *d\n    name: a\n  - name: b\n    <<: *d\n    retries: 0\n",
        "base: &b {x: 1}\nmore: &m {y: 2}\nboth:\n  <<: [*b, *m]\n  z: 3\n",
        "a: &x hello\nb: *x\nc: [*x, *x]\n",
        "? complex\n: value\n",
        "key: |\n  line one\n  line two\nnext: >-\n  folded\n",
        "a:\nb: ~\n",
        "# only a comment\n",
        "---\na: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: !!map {b: 1}\nc: !!seq [1]\nf: !!other: [1]\n",
        "a: 1\n<<:\n",
    ];
    let mut problems = Vec::new();
    for text in cases {
        let positions = !text.contains('*');
        if let Some(d) = differ(text, positions) {
            problems.push(format!("{text:?}: {d}"));
        }
    }
    assert!(problems.is_empty(), "{} cases read differently:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn bad_files_are_refused_as_before() {
    on_a_big_stack(bad_files_are_refused_as_before_);
}

fn bad_files_are_refused_as_before_() {
    let bad = [
        "a: 1\na: 2\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\nb: 2\n",
        "a: [unclosed\n",
        "a: .inf\n",
        "a: -.INF\n",
        "a: .nan\n",
        "a: 1e999\n",
        "a: *nowhere\n",
        "a: !!int abc\n",
        "a: !!bool yes\n",
        "a: &x [*x]\n",
        "a: !!binary '%%%'\n",
        "a: !!str {b: 1}\n",
        "a: !!int [1]\n",
        "a: !!seq {h: 1}\n",
        "a: !!map [2]\n",
        "a: {b: 1, b: 2}\n",
        "<<: 5\n",
        "a: b: c\n",
        "- a\nb: c\n",
    ];
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    let mut problems = Vec::new();
    for text in bad.iter().copied().chain([deep.as_str(), bomb]) {
        match yaml::parse(text) {
            Ok(n) => problems.push(format!("{text:?} was read: {n:?}")),
            Err(e) if e.message.is_empty() => problems.push(format!("{text:?}: an empty message")),
            Err(_) => {}
        }
        if reference(text).is_ok() {
            problems.push(format!("{text:?}: serde-saphyr read it, so this case proves nothing"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn bundled_and_fuzzed_suites_read_as_before() {
    on_a_big_stack(bundled_and_fuzzed_suites_read_as_before_);
}

fn bundled_and_fuzzed_suites_read_as_before_() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = Seed::from_dirs(&[&root.join("suites"), &root.join("tests/suites")]).expect("the bundled suites");
    let mut problems = Vec::new();
    for seed in &seeds {
        let text = String::from_utf8_lossy(&seed.text);
        if let Some(d) = differ(&text, true) {
            problems.push(format!("{}: {d}", seed.name));
        }
    }
    // A fixed seed: the same mutations every time.
    let mut rng = Rng::new(0x9A21_7E5D);
    // More with YAML_PARITY_MUTATIONS=N (a long run before changing the reader).
    let total = std::env::var("YAML_PARITY_MUTATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(4_000);
    let mut read = 0;
    for i in 0..total {
        let index = rng.below(seeds.len());
        let text = String::from_utf8_lossy(&fuzz::mutate(&mut rng, &seeds, index)).into_owned();
        read += usize::from(yaml::parse(&text).is_ok());
        if problems.len() < 5
            && let Some(d) = differ(&text, !text.contains('*'))
        {
            problems.push(format!("mutation {i} of {}: {d}\ninput: {text:?}", seeds[index].name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // About a quarter of the mutations are still YAML; without enough of them this would
    // compare little but errors.
    assert!(read >= total / 8, "only {read} of {total} mutations were YAML");
}
