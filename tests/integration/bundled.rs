//! The suites that ship with shakedown: the examples in `suites/` pass against the fixture app,
//! and the broken-deploy suites in `tests/suites/` fail, each check for its own reason.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

/// The bundled example suites that need no browser (browser checks have their own tests).
fn http_example_suites() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("suites")).expect("suites/") {
        let path = entry.expect("entry").path();
        if !matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            continue;
        }
        let suite: Value =
            serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("read")).expect("example suites are YAML");
        let browser = suite["checks"].as_array().expect("checks").iter().any(|c| c.get("browser").is_some());
        if !browser {
            out.push(path.strip_prefix(repo()).expect("in the repo").to_path_buf());
        }
    }
    out.sort();
    out
}

fn check_names(file: &PathBuf) -> Vec<String> {
    let suite: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(repo().join(file)).expect("read")).expect("YAML");
    suite["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().expect("a name").to_string())
        .collect()
}

#[test]
fn example_suites_pass_against_the_fixture_app() {
    let fx = app();
    let suites = http_example_suites();
    assert!(
        suites.iter().any(|s| s.ends_with("health.yaml")) && suites.iter().any(|s| s.ends_with("storefront.yaml")),
        "{suites:?}"
    );
    let mut run =
        Run::new().cwd(repo()).target(&fx).env("GIT_SHA", "c0ffee1").secret("SMOKE_PASSWORD", "hunter2-smoke");
    for s in &suites {
        run = run.path(s);
    }
    let done = run.run();
    done.assert_exit(0);
    let expected: Vec<String> = suites.iter().flat_map(check_names).collect();
    let mut reported = done.case_names();
    let mut wanted = expected.clone();
    reported.sort();
    wanted.sort();
    assert_eq!(reported, wanted, "every check of the example suites is a testcase, and nothing else");
    for name in &expected {
        done.case(name).assert_passed();
        assert!(done.terminal_line(name).contains("PASS"), "{}", done.terminal_line(name));
    }
    let t = done.summary();
    assert_eq!(
        (t.tests, t.passed, t.failed, t.errors, t.skipped),
        (expected.len() as u64, expected.len() as u64, 0, 0, 0)
    );
    done.assert_stdout_has("OK:");
    // The setup waited for the rollout, and the upload check cleaned up after itself.
    assert!(fx.hits("/rollout/version") >= 1);
    assert_eq!(fx.file_count(), 0, "the upload was not deleted by its teardown");
    done.assert_no_session_tokens();
    let suite = done
        .junit()
        .descendants("testsuite")
        .into_iter()
        .find(|s| s.attr("name") == Some("health"))
        .expect("health suite");
    assert_eq!(suite.property("base_url"), Some(fx.http_url.as_str()));
    assert_eq!(suite.property("commit"), Some("c0ffee1"));
    assert_eq!(suite.property("environment"), Some("default"));
    assert_eq!(suite.attr("file"), Some("suites/health.yaml"));
}

#[test]
fn broken_and_down_suites_fail_each_for_its_own_reason() {
    let fx = app();
    let broken = Suite {
        file: "tests/suites/broken.yaml".into(),
        text: std::fs::read_to_string(repo().join("tests/suites/broken.yaml")).expect("read"),
    };
    let down = Suite {
        file: "tests/suites/down.yaml".into(),
        text: std::fs::read_to_string(repo().join("tests/suites/down.yaml")).expect("read"),
    };
    let done = Run::new()
        .cwd(repo())
        .target(&fx)
        .env("GIT_SHA", "c0ffee1")
        .secret("SMOKE_PASSWORD", "hunter2-smoke")
        .path(&broken.file)
        .path(&down.file)
        .run();
    done.assert_exit(1);

    // (check, outcome, type, the assertion's line in the file and the token it points at)
    let expectations = [
        ("wrong status", "failure", "assertion", Some(("expect: { status: 200 }", "200"))),
        ("wrong json", "failure", "assertion", Some(("$.commit: \"deadbeef\"", "$.commit"))),
        ("role on the page differs from the API", "failure", "assertion", Some(("html: { .role:", "\"${{ role }}\""))),
        ("too slow", "error", "timeout", None),
        ("secret in a failing URL", "failure", "assertion", Some(("expect: { status: 201", "201"))),
    ];
    for (name, element, type_, at) in expectations {
        let case = done.case(name);
        let outcome = case.expect(element, type_);
        assert_eq!(case.line(), broken.line_of(&format!("- name: {name}")), "testcase@line of `{name}`");
        assert_eq!(case.attr("file"), Some("tests/suites/broken.yaml"));
        if let Some((needle, token)) = at {
            let place = broken.at(needle, token);
            assert!(outcome.text.contains(&place), "`{name}` does not point at {place}:\n{}", outcome.text);
        }
        assert!(done.terminal_line(name).contains(if element == "failure" { "FAIL" } else { "ERROR" }));
    }
    let refused = done.case("nothing is listening");
    let error = refused.expect("error", "connection");
    assert!(error.attr("message").unwrap_or("").contains("127.0.0.1:9"), "{:?}", error.attrs);
    assert_eq!(refused.line(), down.line_of("- name: nothing is listening"));
    // The terminal lists every problem with its place.
    done.assert_stdout_has(&format!("tests/suites/broken.yaml:{}", broken.line_of("expect: { status: 200 }")));
    done.assert_stdout_has("ERROR (connection)");
    done.assert_stdout_has("ERROR (timeout)");
    done.assert_no_session_tokens();
    let t = done.summary();
    assert_eq!((t.tests, t.passed, t.failed, t.errors), (6, 0, 4, 2));
}
