//! The JUnit report as pipelines read it. (Every report in these tests is also checked by
//! the harness against the JUnit rules; `tests/junit_consumers` has xmllint and junitparser
//! read one report of each shape.)

use crate::support::*;

#[test]
fn ansi_escapes_control_characters_and_cdata_ends_do_not_break_the_report() {
    let fx = app();
    let suite = Suite::new("hostile-bodies").yaml(
        r#"
        name: hostile-bodies
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: coloured text
            request: GET /ansi
            expect: { body: { contains: green } }
          - name: binary body
            request: GET /binary
            expect: { body: { contains: green } }
          - name: a big body is cut
            request: GET /big?bytes=2000000
            expect: { body: { contains: green } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let text = done.junit_text.as_deref().expect("a report");
    for bad in ['\u{1b}', '\u{1}', '\u{b}', '\u{0}', '\u{fffe}', '\u{ffff}'] {
        assert!(!text.contains(bad), "the report holds {bad:?}");
    }
    // What the body said is still there, escaped, and without the escape codes.
    let failure = done.case("coloured text").expect("failure", "assertion");
    assert!(failure.text.contains("cdata end: ]]>"), "{}", failure.text);
    assert!(failure.text.contains("markup: <&>"), "{}", failure.text);
    assert!(failure.text.contains("colour: red"), "{}", failure.text);
    assert!(text.contains("&lt;&amp;&gt;"), "markup is not escaped");
    // A 2 MB body does not make a 2 MB report.
    assert!(text.len() < 200_000, "the report is {} bytes", text.len());
    // Nor does the terminal get the body's escape codes or control characters: a carriage
    // return or backspace from the target could rewrite what the reader sees.
    for (what, out) in [("stdout", &done.stdout), ("stderr", &done.stderr)] {
        let bad: Vec<char> = out.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\t')).collect();
        assert!(bad.is_empty(), "{what} holds control characters {bad:?}:\n{out}");
    }
    done.assert_stdout_has("colour: red");
    let json = std::fs::read_to_string(done.dir().join("out/report.json")).expect("JSON");
    assert!(!json.contains('\u{1b}'));
}

#[test]
fn environment_names_the_classname_and_properties_describe_the_target() {
    let fx = app();
    let suite = Suite::new("shop").yaml(
        r#"
        name: shop.front
        environment: staging
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: health
            request: GET /health
          - name: version
            request: GET /version
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).env("GIT_SHA", "abc1234").run();
    done.assert_exit(0);
    let case = done.case("health");
    assert_eq!(case.attr("classname"), Some("staging.shop_front"));
    let junit = done.junit();
    let ts = &junit.descendants("testsuite")[0];
    assert_eq!(ts.attr("name"), Some("shop.front"));
    assert_eq!(ts.property("environment"), Some("staging"));
    assert_eq!(ts.property("base_url"), Some(fx.http_url.as_str()));
    assert_eq!(ts.property("commit"), Some("abc1234"));
    let t = ts.attr("time").expect("time");
    assert!(t.split('.').nth(1).is_some_and(|d| d.len() == 3), "time `{t}` does not have three decimals");

    // --environment wins over the file.
    let done = Run::new().suite(&suite).target(&fx).args(["--environment", "prod"]).run();
    assert_eq!(done.case("health").attr("classname"), Some("prod.shop_front"));
}

#[test]
fn the_step_log_is_in_system_out() {
    let fx = app();
    let suite = Suite::new("log").yaml(
        r#"
        name: log
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: two steps
            steps:
              - request: GET /health
                expect: { status: 200 }
              - request: GET /status/500
                expect: { status: 200 }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    let log = done.case("two steps").system_out();
    let health = log.find(&format!("GET {}/health", fx.http_url)).expect("the first request is logged");
    let failing = log.find(&format!("GET {}/status/500", fx.http_url)).expect("the second request is logged");
    assert!(health < failing, "{log}");
    assert!(log.contains("500"), "{log}");
}

#[test]
fn the_report_is_replaced_not_appended() {
    let fx = app();
    let suite = Suite::new("twice").yaml(
        r#"
        name: twice
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: health
            request: GET /health
        "#,
    );
    let run = Run::new().suite(&suite).target(&fx).file("out/report.xml", "<stale/>").file("out/report.json", "stale");
    let done = run.run();
    done.assert_exit(0);
    assert_eq!(done.case_names(), ["health"]);
    // Written atomically: no temporary file is left next to it.
    let leftovers: Vec<_> = std::fs::read_dir(done.dir().join("out"))
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_failing_response_is_attached_with_secrets_masked() {
    let fx = app();
    let suite = Suite::new("attach").yaml(
        r#"
        name: attach
        base_url: ${{ env.BASE_URL }}
        secrets: [SMOKE_PASSWORD]
        checks:
          - name: log in
            request:
              method: POST
              url: /login
              form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
              follow_redirects: false
          - name: echo shows the session
            steps:
              - request: GET /health
              - request: GET /echo?pw=${{ secrets.SMOKE_PASSWORD }}
                expect: { status: 201 }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).secret("SMOKE_PASSWORD", "hunter2-smoke").run();
    done.assert_exit(1);
    let case = done.case("echo shows the session");
    let out = case.system_out();
    let attachments: Vec<&str> =
        out.lines().filter_map(|l| l.strip_prefix("[[ATTACHMENT|").and_then(|l| l.strip_suffix("]]"))).collect();
    assert_eq!(attachments.len(), 1, "one failing response, one attachment:\n{out}");
    let path = attachments[0];
    assert!(!path.starts_with('/'), "the attachment path is not relative: {path}");
    let saved = std::fs::read_to_string(done.dir().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(saved.contains("\"path\":\"/echo\""), "not the failing response: {saved}");
    assert!(saved.contains("session=***"), "{saved}");
    done.assert_no_session_tokens();
    assert!(
        done.case("log in").system_out().lines().all(|l| !l.starts_with("[[ATTACHMENT|")),
        "a passing check has attachments"
    );
}

#[test]
fn files_are_named_relative_to_the_working_directory() {
    let fx = app();
    let suite = Suite::new("deep/down/where.yaml").yaml(
        r#"
        name: where
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: health
            request: GET /status/500
            expect: { status: 200 }
        "#,
    );
    let run = Run::new().file(&suite.file, &suite.text);
    let absolute = run.dir().join(&suite.file);
    let done = run.path(&absolute).target(&fx).run();
    done.assert_exit(1);
    let case = done.case("health");
    assert_eq!(case.attr("file"), Some("deep/down/where.yaml"));
    assert_eq!(done.junit().descendants("testsuite")[0].attr("file"), Some("deep/down/where.yaml"));
    let failure = case.expect("failure", "assertion");
    assert!(failure.text.contains(&suite.at("expect: { status: 200 }", "200")), "{}", failure.text);
    done.assert_stdout_has(&format!("deep/down/where.yaml:{}", suite.line_of("expect:")));
}
