//! Terminal text made stable for snapshots: ports, durations, temporary folders and
//! timestamps become placeholders.

use regex::Regex;

/// Replaces what changes from run to run: the fixture's port, durations (`(12ms)`, `1.234s`),
/// temporary folders, timestamps and shakedown's version (in the User-Agent).
pub fn normalise(text: &str, dir: &std::path::Path) -> String {
    let mut out = text.replace(&dir.display().to_string(), "[DIR]");
    let rules: &[(&str, &str)] = &[
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"shakedown/\d+\.\d+\.\d+\S*", "shakedown/[VERSION]"),
        (r"localhost:\d+", "localhost:[PORT]"),
        (r"/tmp/[A-Za-z0-9._-]+", "[TMP]"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", "[TIMESTAMP]"),
        (r"\b\d+(\.\d+)?(ms|s|µs|us|m)\b", "[DURATION]"),
    ];
    for (pattern, with) in rules {
        out = Regex::new(pattern).expect("regex").replace_all(&out, *with).into_owned();
    }
    out
}
