//! The JUnit report as the tools pipelines use read it: `xmllint` against the project's schema
//! (`tests/junit.xsd`), and Python's `junitparser` (what EnricoMi's GitHub action uses), whose
//! totals must be the ones shakedown printed.
//!
//! Starting those tools is slow, so instead of reading every report of every test they read
//! one report of each shape: passing, failing, erroring, skipped after a failed setup, flaky,
//! rerun, load error, interrupted, with attachments, with hostile response bodies, and from a
//! browser check. Each test first asserts that its report has that shape, so none can pass on
//! a report that lacks it. Without the tools the tests are skipped with the reason (failed
//! under `CI=true`), like the browser tests, so this binary uses the libtest-mimic harness too.

#[path = "../fixture/mod.rs"]
mod fixture;
#[path = "../common/mod.rs"]
mod support;

use std::time::Duration;
use support::*;

/// A browser check and the JUnit consumers.
const BROWSER_AND_CONSUMERS: &[Need] = &[Need::Chromium, Need::Chromedriver, Need::Xmllint, Need::Junitparser];

fn main() {
    run_tests(tests![
        CONSUMERS => [
            passing,
            failing_next_to_passing,
            erroring,
            setup_error_with_skipped_checks,
            flaky_with_flaky_failures,
            failed_with_reruns,
            load_error,
            interrupted,
            attachments,
            hostile_bodies,
        ],
        &[Need::Xmllint] => [the_schema_rejects_reports_of_the_wrong_shape],
        BROWSER_AND_CONSUMERS => [browser_failure_with_screenshot],
    ])
}

fn health_suite(name: &str) -> Suite {
    Suite::new(name).yaml(&format!(
        r#"
        name: {name}
        base_url: ${{{{ env.BASE_URL }}}}
        checks:
          - name: health
            request: GET /health
            expect: {{ status: 200 }}
          - name: version
            request: GET /version
        "#
    ))
}

fn passing() {
    let fx = app();
    let done = Run::new().suite(&health_suite("healthy")).target(&fx).env("GIT_SHA", "c0ffee1").run();
    done.assert_exit(0);
    assert_eq!(done.summary().passed, 2);
    done.check_with_consumers();
}

fn failing_next_to_passing() {
    let fx = app();
    let failing = Suite::new("broken").yaml(
        r#"
        name: broken
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: a server error
            request: GET /status/500
            expect: { status: 200 }
          - name: wrong json
            request: GET /api/products
            expect: { json: { $.total: 4 } }
        "#,
    );
    let done = Run::new().suite(&health_suite("healthy")).suite(&failing).target(&fx).run();
    done.assert_exit(1);
    done.case("a server error").expect("failure", "assertion");
    done.case("wrong json").expect("failure", "assertion");
    assert_eq!(done.junit().descendants("testsuite").len(), 2);
    done.check_with_consumers();
}

fn erroring() {
    let suite = Suite::new("down").yaml(
        r#"
        name: down
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: nothing listens
            request: GET /health
        "#,
    );
    let done = Run::new().suite(&suite).env("BASE_URL", &format!("http://127.0.0.1:{}", closed_port())).run();
    done.assert_exit(1);
    done.case("nothing listens").expect("error", "connection");
    done.check_with_consumers();
}

fn setup_error_with_skipped_checks() {
    let fx = app();
    let suite = Suite::new("gated").yaml(
        r#"
        name: gated
        base_url: ${{ env.BASE_URL }}
        setup:
          - name: the new version is live
            request: GET /version
            expect: { json: { $.commit: "0badc0de" } }
        checks:
          - name: health
            request: GET /health
          - name: catalogue
            request: GET /api/products
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    done.case("[setup]").expect("error", "assertion");
    for name in ["health", "catalogue"] {
        assert_eq!(done.case(name).outcome().map(|o| o.name.as_str()), Some("skipped"), "{name}");
    }
    assert_eq!(done.summary().skipped, 2);
    done.check_with_consumers();
}

fn retrying_suite(name: &str, key: &str, fail: u32) -> Suite {
    Suite::new(name).yaml(&format!(
        r#"
        name: {name}
        base_url: ${{{{ env.BASE_URL }}}}
        checks:
          - name: warms up
            retries: 2
            request: GET /flaky/{key}?fail={fail}
            expect: {{ status: 200 }}
        "#
    ))
}

fn flaky_with_flaky_failures() {
    let fx = app();
    let done = Run::new().suite(&retrying_suite("warmup", &unique("flaky"), 2)).target(&fx).run();
    done.assert_exit(0);
    let case = done.case("warms up");
    case.assert_passed();
    assert_eq!(case.all("flakyFailure").len(), 2);
    assert_eq!(done.summary().flaky, 1);
    done.check_with_consumers();
}

fn failed_with_reruns() {
    let fx = app();
    let done = Run::new().suite(&retrying_suite("hopeless", &unique("down"), 100)).target(&fx).run();
    done.assert_exit(1);
    let case = done.case("warms up");
    case.expect("failure", "assertion");
    assert_eq!(case.all("rerunFailure").len(), 2);
    done.check_with_consumers();
}

fn load_error() {
    let fx = app();
    let broken = Suite::new("invalid").yaml(
        r#"
        name: invalid
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: undefined variable
            request: GET /users/${{ user_id }}
        "#,
    );
    let done = Run::new().suite(&broken).suite(&health_suite("healthy")).target(&fx).run();
    done.assert_exit(2);
    done.case("[load]").expect("error", "load");
    done.check_with_consumers();
}

fn interrupted() {
    let fx = app();
    let suite = Suite::new("stuck").yaml(
        r#"
        name: stuck
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: finishes first
            request: GET /health
          - name: never answers
            request: { url: /hang, timeout: 120s }
          - name: never starts
            request: GET /health
        "#,
    );
    let mut running = Run::new().suite(&suite).target(&fx).spawn();
    running.wait_for_line("finishes first", Duration::from_secs(20));
    for _ in 0..500 {
        if fx.hits("/hang") == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(fx.hits("/hang"), 1, "the hanging check did not start");
    running.signal("INT");
    let done = running.finish(Duration::from_secs(15));
    done.assert_exit(130);
    done.case("never answers").expect("error", "interrupted");
    done.check_with_consumers();
}

fn attachments() {
    let fx = app();
    let suite = Suite::new("attach").yaml(
        r#"
        name: attach
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: echo is not created
            request: GET /echo?q=1
            expect: { status: 201 }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let out = done.case("echo is not created").system_out();
    assert!(out.lines().any(|l| l.starts_with("[[ATTACHMENT|")), "no attachment:\n{out}");
    done.check_with_consumers();
}

/// ANSI escapes, control characters, `]]>` and markup in a response body: a consumer must still
/// parse the report (an XML parser rejects a raw U+0001).
fn hostile_bodies() {
    let fx = app();
    let suite = Suite::new("hostile").yaml(
        r#"
        name: hostile
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: coloured text
            request: GET /ansi
            expect: { body: { contains: green } }
          - name: binary body
            request: GET /binary
            expect: { body: { contains: green } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let failure = done.case("coloured text").expect("failure", "assertion");
    assert!(failure.text.contains("cdata end: ]]>") && failure.text.contains("markup: <&>"), "{}", failure.text);
    done.case("binary body").expect("failure", "assertion");
    done.check_with_consumers();
}

fn browser_failure_with_screenshot() {
    let fx = fixture::Fixture::start(fixture::FixtureConfig { https: false, ..Default::default() });
    let suite = Suite::new("pages").yaml(
        r#"
        name: pages
        base_url: ${{ env.BASE_URL }}
        browser: { timeout: 700ms }
        checks:
          - name: products
            browser:
              - goto: /products
              - see: { selector: li.product, count: 3 }
          - name: wrong text
            browser:
              - goto: /products
              - see: { selector: "li.product", text: Anvils }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).arg(BROWSER_ONLY_LOOPBACK).run();
    done.assert_exit(1);
    done.case("products").assert_passed();
    let case = done.case("wrong text");
    case.expect("failure", "assertion");
    let out = case.system_out();
    assert!(out.lines().any(|l| l.starts_with("[[ATTACHMENT|") && l.ends_with(".png]]")), "no screenshot:\n{out}");
    done.check_with_consumers();
}

/// The schema is strict enough to catch a wrong shape: each of these edits of a valid report
/// breaks a rule a consumer depends on, and each must fail validation.
fn the_schema_rejects_reports_of_the_wrong_shape() {
    let fx = app();
    let done = Run::new().suite(&retrying_suite("hopeless", &unique("down"), 100)).target(&fx).run();
    done.assert_exit(1);
    let valid = done.junit_str().to_string();
    xmllint(&done.junit_path()).unwrap_or_else(|e| panic!("the unedited report does not validate: {e}\n{valid}"));
    let time = done.case("warms up").attr("time").expect("a testcase time").to_string();
    let case_time = format!(r#"classname="default.hopeless" time="{time}""#);
    let edits: Vec<(&str, &str, String)> = vec![
        ("a suite without hostname", r#" hostname=""#, r#" x-hostname=""#.into()),
        ("a suite without file", r#"" file=""#, r#"" x-file=""#.into()),
        ("the run without timestamp", r#" timestamp=""#, r#" x-timestamp=""#.into()),
        ("a testcase without classname", r#" classname=""#, r#" x-classname=""#.into()),
        ("a classname without a dot", r#"classname="default.hopeless""#, r#"classname="hopeless""#.into()),
        ("a time with four decimals", &case_time, case_time.replace(&time, &format!("{time}0"))),
        ("a suite timestamp not in UTC", r#"Z" hostname"#, r#"+01:00" hostname"#.into()),
        ("a failure without type", "<failure message=", "<failure x=".into()),
        ("two outcomes", "<failure ", r#"<error message="x" type="y">x</error><failure "#.into()),
        ("a rerun without stackTrace", "<stackTrace>", "<x-stackTrace>".into()),
        ("nested suites", "</testsuite>", "<testsuite/></testsuite>".into()),
        ("an unknown element", "<system-out>", "<x/><system-out>".into()),
    ];
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (what, from, to) in &edits {
        assert!(valid.contains(from), "{what}: the report has no `{from}` to edit\n{valid}");
        let edited = valid.replacen(from, to, 1);
        let path = dir.path().join("edited.xml");
        std::fs::write(&path, &edited).expect("write the edited report");
        assert!(xmllint(&path).is_err(), "the schema accepts {what}:\n{edited}");
    }
}
