//! Invalid suites: `validate` names every problem at once with file:line:col and touches no
//! network; `run` exits 2 without judging anything and still writes a report that says why;
//! hostile files are errors, never crashes.

use crate::support::*;

fn broken_suite() -> Suite {
    Suite::new("invalid").yaml(
        r#"
        name: invalid
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: undefined variable
            request: GET /users/${{ user_id }}
          - name: undefined environment variable
            request: GET /x?t=${{ env.SHAKEDOWN_IT_NOT_SET }}
          - name: undeclared secret
            request: GET /x?t=${{ secrets.API_TOKEN }}
          - name: unknown key
            request: GET /health
            expct: { status: 200 }
          - name: bad JSONPath
            request: GET /version
            expect:
              json: { "$..[": 1 }
          - name: bad regex
            request: GET /version
            expect:
              body: { matches: "(unclosed" }
          - name: missing upload
            request:
              method: POST
              url: /api/files
              multipart: { file: { path: nope/missing.png } }
          - name: bad status
            request: GET /health
            expect: { status: 2xy }
        "#,
    )
}

/// (message, line needle, token): each problem at the place of its token.
fn broken_suite_problems() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("undefined variable `user_id`", "GET /users/", "${{ user_id }}"),
        ("environment variable `SHAKEDOWN_IT_NOT_SET` is not set", "t=${{ env.SHAKEDOWN_IT_NOT_SET", "${{"),
        ("`API_TOKEN` is not declared as a secret", "t=${{ secrets.API_TOKEN", "${{"),
        ("unknown key `expct`", "expct:", "expct"),
        ("is not a valid JSONPath", "\"$..[\"", "\"$..["),
        ("is not a valid regular expression", "matches: \"(unclosed", "\"(unclosed"),
        ("`nope/missing.png` does not exist", "nope/missing.png", "nope/missing.png"),
        ("not a status code", "status: 2xy", "2xy"),
    ]
}

#[test]
fn validate_names_every_problem_with_file_line_and_column() {
    let fx = app();
    let suite = broken_suite();
    let done = Run::validate().suite(&suite).target(&fx).run();
    done.assert_exit(2);
    let problems = broken_suite_problems();
    for (message, needle, token) in &problems {
        let at = format!("--> {}", suite.at(needle, token));
        let block = done
            .stderr
            .split("\n\n")
            .find(|b| b.contains(message))
            .unwrap_or_else(|| panic!("`{message}` is not reported:\n{}", done.stderr));
        assert!(block.contains(&at), "`{message}` is not reported at {at}:\n{block}");
    }
    done.assert_stderr_has(&format!("{} problems in 1 suite file", problems.len()));
    done.assert_stderr_has("did you mean `expect`?");
    assert_eq!(fx.total_hits(), 0, "validate touched the network");
    assert!(done.stdout.trim().is_empty(), "{}", done.stdout);
}

#[test]
fn validate_accepts_the_example_suites_without_touching_the_network() {
    let fx = app();
    let done = Run::validate()
        .cwd(repo())
        .path("suites")
        .target(&fx)
        .env("GIT_SHA", "c0ffee1")
        .env("SMOKE_PASSWORD", "hunter2-smoke")
        .run();
    done.assert_exit(0);
    let suites = std::fs::read_dir(repo().join("suites"))
        .expect("suites")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .count();
    done.assert_stdout_has(&format!("ok: {suites} suites"));
    assert_eq!(fx.total_hits(), 0);
}

#[test]
fn run_on_an_invalid_suite_judges_nothing_and_reports_why() {
    let fx = app();
    let suite = broken_suite();
    let good = Suite::new("good").yaml(
        r#"
        name: good
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: health
            request: GET /health
        "#,
    );
    let done = Run::new().suite(&suite).suite(&good).target(&fx).run();
    done.assert_exit(2);
    assert_eq!(fx.total_hits(), 0, "a run with an invalid suite judged something");
    let load = done.case("[load]");
    let error = load.expect("error", "load");
    assert_eq!(load.attr("file"), Some("invalid.yaml"));
    // The first problem (in file order) is the message; every problem is in the body.
    let first = suite.pos_of("GET /users/", "${{ user_id }}");
    assert_eq!(load.line(), first.0);
    assert!(
        error.attr("message").unwrap_or("").contains(&format!("invalid.yaml:{}:{}", first.0, first.1)),
        "{:?}",
        error.attrs
    );
    for (message, needle, token) in broken_suite_problems() {
        let line = format!("{}: ", suite.at(needle, token));
        assert!(
            error.text.lines().any(|l| l.starts_with(&line) && l.contains(message)),
            "`{line}{message}` is not in the body:\n{}",
            error.text
        );
    }
    done.assert_stderr_has("8 problems in 1 suite file");
    assert!(!done.case_names().contains(&"health".to_string()), "nothing may run when a suite is invalid");
}

#[test]
fn malformed_yaml_points_at_the_offending_text() {
    // (what is wrong, the suite, the line and the text the error must point at)
    let cases = [
        (
            "a stray bracket",
            "name: m\nchecks:\n  - name: a\n    request: GET /health\n    expect: { status: 200 }}\n",
            "expect: { status: 200 }}",
            "}}",
        ),
        (
            "a key indented wrongly",
            "name: m\nchecks:\n  - name: a\n    request: GET /health\n   expect: { status: 200 }\n",
            "   expect:",
            "expect",
        ),
        ("a key given twice", "name: m\nbase_url: http://127.0.0.1:9\nname: n\nchecks: []\n", "name: n", "name"),
    ];
    for (what, text, needle, token) in cases {
        let suite = Suite::new("malformed").raw(text);
        let done = Run::validate().suite(&suite).run();
        done.assert_exit(2);
        let (line, mut col) = suite.pos_of(needle, token);
        if token == "}}" {
            col += 1; // the second bracket is the stray one
        }
        let at = format!("--> malformed.yaml:{line}:{col}");
        assert!(done.stderr.contains(&at), "{what}: not reported at {at}:\n{}", done.stderr);
        done.assert_stderr_has("invalid YAML");
    }
}

#[test]
fn a_wrong_shape_is_named_with_what_was_expected() {
    let suite = Suite::new("shapes").yaml(
        r#"
        name: shapes
        base_url: http://127.0.0.1:9
        defaults: { timeout: soon, retries: 99 }
        checks:
          - name: two bodies
            request: { method: POST, url: /x, json: {}, form: {} }
          - name: nothing to do
            tags: [a]
          - name: two bodies
            request: GET /x
          - name: bad retry
            request: GET /x
            retry: { every: 1s }
        "#,
    );
    let done = Run::validate().suite(&suite).run();
    done.assert_exit(2);
    for (message, at) in [
        ("`timeout`", suite.at("defaults:", "soon")),
        ("`retries` must be a whole number", suite.at("defaults:", "99")),
        ("a request has one body", suite.at("request: { method: POST", "{ method")),
        ("this check does nothing", suite.at("- name: nothing to do", "name")),
        (
            "two checks are named `two bodies`",
            format!(
                "shapes.yaml:{}:",
                suite
                    .text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| l.contains("- name: two bodies"))
                    .nth(1)
                    .expect("second")
                    .0
                    + 1
            ),
        ),
        ("`retry` needs `for`", suite.at("retry: { every", "{ every")),
    ] {
        let block = done
            .stderr
            .split("\n\n")
            .find(|b| b.contains(message))
            .unwrap_or_else(|| panic!("`{message}` is not reported:\n{}", done.stderr));
        assert!(block.contains(&at), "`{message}` is not at {at}:\n{block}");
    }
}

/// The network steps' mistakes: each at its place, with what to write instead.
#[test]
fn network_steps_name_their_mistakes_and_what_to_write() {
    let suite = Suite::new("net").yaml(
        r#"
        name: net
        base_url: http://127.0.0.1:9
        checks:
          - name: checks nothing
            browser:
              - goto: /
              - no_failed_requests: false
          - name: a pattern that matches nothing
            browser:
              - goto: /
              - no_failed_requests: { allow: [/ok.png, favicon.ico] }
          - name: no allow
            browser:
              - goto: /
              - no_failed_requests: { alow: [/x] }
          - name: a status as text
            browser:
              - goto: { url: /missing, status: "404" }
              - see: h1
          - name: a goto without a url
            browser:
              - goto: { status: 404 }
              - see: h1
          - name: only the network is checked
            browser:
              - goto: /
              - no_failed_requests: true
          - name: everything allowed
            browser:
              - goto: /
              - no_failed_requests: { allow: ["/*"] }
        "#,
    );
    let done = Run::validate().suite(&suite).run();
    done.assert_exit(2);
    for (message, help, at) in [
        (
            "`no_failed_requests: false` checks nothing",
            "write `no_failed_requests: true`",
            suite.at("no_failed_requests: false", "false"),
        ),
        (
            "`favicon.ico` is neither a path nor a whole URL",
            "start a path with `/`",
            suite.at("allow: [/ok.png", "favicon.ico"),
        ),
        ("unknown key `alow`", "did you mean `allow`?", suite.at("{ alow", "alow")),
        ("`status` is the page's HTTP status", "e.g. `status: 404`", suite.at("status: \"404\"", "\"404\"")),
        ("`goto` needs a `url`", "goto: { url: /missing, status: 404 }", suite.at("goto: { status", "{ status")),
        ("`/*` allows every request", "allow only what may fail", suite.at("allow: [\"/*\"]", "\"/*\"")),
    ] {
        let block = done
            .stderr
            .split("\n\n")
            .find(|b| b.contains(message))
            .unwrap_or_else(|| panic!("`{message}` is not reported:\n{}", done.stderr));
        assert!(block.contains(&at), "`{message}` is not at {at}:\n{block}");
        assert!(block.contains(help), "`{message}` does not say what to write:\n{block}");
    }
    // `no_failed_requests` is an assertion: a check with only it is no "check that asserts nothing".
    assert!(!done.stderr.contains("add a step that checks the page"), "{}", done.stderr);
    done.assert_stderr_has("6 problems in 1 suite file");
}

/// Files no one should write, but someone will: each is a clear error with exit 2.
#[test]
fn hostile_files_are_errors_not_crashes() {
    let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\nchecks: *h\n";
    let deep = format!("name: deep\nchecks: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let deep_maps =
        format!("name: deep\nchecks:\n{}", (0..600).map(|i| format!("{}- x:\n", "  ".repeat(i))).collect::<String>());
    let huge = format!("name: huge\nchecks:\n{}", "  - name: c\n    request: GET /health\n".repeat(150_000));
    let binary: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("bomb.yaml", bomb.into()),
        ("deep.yaml", deep.into_bytes()),
        ("deep-maps.yaml", deep_maps.into_bytes()),
        ("huge.yaml", huge.into_bytes()),
        ("binary.yaml", binary),
        ("empty.yaml", Vec::new()),
        ("blank.yaml", b"  \n\n# only a comment\n".to_vec()),
        ("nul.yaml", b"name: x\0y\nchecks: []\n".to_vec()),
        ("list.yaml", b"- just\n- a list\n".to_vec()),
        ("scalar.yaml", b"42\n".to_vec()),
        ("tabs.yaml", b"name: x\nchecks:\n\t- name: a\n".to_vec()),
        ("bom-latin1.yaml", b"\xef\xbb\xbfname: caf\xe9\n".to_vec()),
        // A status that is not ASCII, and values that are line terminators other than `\n`:
        // each is a problem at its line and column, shown in an excerpt.
        ("status-euro.yaml", odd_status("\"€\"")),
        ("status-ls.yaml", odd_status("\"\u{2028}\"")),
        ("status-nel.yaml", odd_status("\"\u{85}\"")),
        ("status-ps-plain.yaml", odd_status("\u{2029}")),
        ("status-ls-block.yaml", odd_status("\n        \u{2028}\u{85}")),
        (
            "cr-lines.yaml",
            "name: x\rchecks:\r  - name: a\r    request: GET /\r    expect: { status: \"\u{2028}\" }\r".into(),
        ),
    ];
    for (name, bytes) in &files {
        // `run` and `validate` load alike; the alias bomb, slow to refuse in a debug build,
        // goes through `run` only.
        let runs = if *name == "bomb.yaml" { vec![Run::new()] } else { vec![Run::validate(), Run::new()] };
        for run in runs {
            let done = run.file(name, bytes).path(name).run();
            assert_eq!(done.code, 2, "{name}: {}", done.output());
            assert!(done.stderr.contains(name), "{name}: the error does not name the file:\n{}", done.stderr);
            assert!(done.stderr.contains("error"), "{name}: {}", done.stderr);
            if done.junit.is_some() {
                done.case("[load]").expect("error", "load");
            }
        }
    }
    // The odd values are reported at their place, with an excerpt of the line.
    for name in ["status-euro.yaml", "status-ls.yaml", "status-nel.yaml", "cr-lines.yaml"] {
        let done = Run::validate()
            .file(name, files.iter().find(|f| f.0 == name).map_or(vec![], |f| f.1.clone()))
            .path(name)
            .run();
        done.assert_stderr_has(&format!("{name}:5:23"));
        done.assert_stderr_has("not a status code");
        done.assert_stderr_has("5 |     expect: { status:");
    }
}

/// A suite whose only problem is the status written as `value`, on line 5, column 23.
fn odd_status(value: &str) -> Vec<u8> {
    format!("name: x\nchecks:\n  - name: a\n    request: GET /\n    expect: {{ status: {value} }}\n").into_bytes()
}

/// `shakedown validate 2>&1 | head -1` must not turn into a crash when `head` goes away.
#[test]
fn a_closed_output_pipe_is_not_a_crash() {
    let run =
        Run::validate().file("bad.yaml", format!("name: x\nchecks: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)));
    let bin = assert_cmd::cargo::cargo_bin!("shakedown");
    let mut child = std::process::Command::new(bin)
        .args(["validate", "bad.yaml"])
        .current_dir(run.dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    // Close the read ends before it writes.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(2), "{status:?}");
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let done = Run::new().path("no-such-suite.yaml").run();
    done.assert_exit(2);
    done.assert_stderr_has("no-such-suite.yaml does not exist");
    let empty = Run::validate().file("notes.txt", "not a suite").path(".").run();
    empty.assert_exit(2);
    empty.assert_stderr_has("no suite files");
}

/// A FIFO named `*.yaml` would block the read forever and a link to `/dev/zero` would never
/// end: both are refused from their metadata, before a byte is read, next to a good suite.
#[cfg(unix)]
#[test]
fn special_files_are_refused_before_reading() {
    let run = Run::validate()
        .file("suites/good.yaml", "name: good\nchecks:\n  - name: a\n    request: GET http://localhost/\n");
    let suites = run.dir().join("suites");
    let made = std::process::Command::new("mkfifo").arg(suites.join("pipe.yaml")).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    std::os::unix::fs::symlink("/dev/zero", suites.join("zero.yaml")).expect("symlink to /dev/zero");
    let big = std::fs::File::create(suites.join("sparse.yaml")).expect("create");
    big.set_len(64 << 20).expect("a sparse 64 MiB file");
    let done = run.path("suites").spawn().finish(std::time::Duration::from_secs(20));
    done.assert_exit(2);
    assert!(done.elapsed < std::time::Duration::from_secs(10), "took {:?}", done.elapsed);
    done.assert_stderr_has("pipe.yaml");
    done.assert_stderr_has("the suite is not a regular file (it is a FIFO (named pipe))");
    done.assert_stderr_has("zero.yaml");
    done.assert_stderr_has("the suite is not a regular file (it is a device)");
    done.assert_stderr_has("sparse.yaml");
    done.assert_stderr_has("the file is 67108864 bytes; suites larger than 4194304 bytes are refused");
}

/// A mangled or generated file with thousands of problems on one long line: the first fifty
/// are shown, each at its own column, with a count of the rest, in well under a second per
/// thousand (it took minutes when each problem searched and rendered the whole line).
#[test]
fn thousands_of_problems_show_the_first_fifty_quickly() {
    let line = format!("    request: GET /x/{}", "${{ nope }}".repeat(20_000));
    let text = format!("name: many\nchecks:\n  - name: a\n{line}\n");
    let done =
        Run::validate().file("many.yaml", &text).path("many.yaml").spawn().finish(std::time::Duration::from_secs(30));
    done.assert_exit(2);
    assert!(done.elapsed < std::time::Duration::from_secs(15), "took {:?}", done.elapsed);
    done.assert_stderr_has("many.yaml:4:21");
    done.assert_stderr_has("many.yaml:4:32");
    done.assert_stderr_has("19950 more problems in this file are not shown");
    assert_eq!(done.stderr.matches("undefined variable `nope`").count(), 50, "{}", done.stderr);
}
