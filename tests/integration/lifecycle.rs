//! Setup and teardown: a failed setup skips the checks that need it, with the reason; teardown
//! always runs, so smoke uploads do not pile up in production.

use crate::support::*;

fn setup_fails() -> Suite {
    Suite::new("gated").yaml(
        r#"
        name: gated
        base_url: ${{ env.BASE_URL }}
        setup:
          - name: the new version is live
            request: GET /version
            expect: { json: { $.commit: "0badc0de" } }
        checks:
          - name: health
            request: GET /echo/health
          - name: catalogue
            request: GET /echo/catalogue
        teardown:
          - request: GET /echo/suite-teardown
        "#,
    )
}

#[test]
fn a_failed_setup_skips_the_checks_with_the_reason() {
    let fx = app();
    let suite = setup_fails();
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let setup = done.case("[setup]");
    let outcome = setup.outcome().unwrap_or_else(|| panic!("[setup] passed\n{}", done.output()));
    assert!(matches!(outcome.name.as_str(), "failure" | "error"), "{}", outcome.name);
    assert!(outcome.attr("message").unwrap_or("").contains("0badc0de"), "{:?}", outcome.attrs);
    assert!(outcome.text.contains(&suite.at("$.commit: \"0badc0de\"", "$.commit")), "{}", outcome.text);
    assert!(outcome.text.contains("the new version is live"), "the setup step is not named:\n{}", outcome.text);
    for name in ["health", "catalogue"] {
        let case = done.case(name);
        let skipped = case.outcome().expect("skipped");
        assert_eq!(skipped.name, "skipped", "`{name}` ran or failed instead of being skipped");
        let why = skipped.attr("message").unwrap_or("");
        assert!(why.contains("setup failed") && why.contains("0badc0de"), "`{name}` skipped without the reason: {why}");
        assert!(done.terminal_line(name).contains("SKIP"), "{}", done.terminal_line(name));
        assert_eq!(case.line(), suite.line_of(&format!("- name: {name}")));
    }
    assert_eq!(fx.hits("/echo/health") + fx.hits("/echo/catalogue"), 0, "a check ran after its setup failed");
    assert_eq!(fx.hits("/echo/suite-teardown"), 1, "the suite teardown did not run after a failed setup");
    let t = done.summary();
    assert_eq!((t.tests, t.skipped, t.passed), (3, 2, 0));
}

/// The JUnit rules (README, "JUnit XML"): a failed setup becomes a `[setup]` testcase with an `<error>`.
#[test]
fn a_failed_setup_is_an_error_testcase() {
    let fx = app();
    let done = Run::new().suite(&setup_fails()).target(&fx).run();
    done.assert_exit(1);
    done.case("[setup]").expect("error", "assertion");
    let t = done.summary();
    assert_eq!((t.failed, t.errors), (0, 1));
}

#[test]
fn a_setup_that_passes_lets_the_checks_run_and_shares_its_captures() {
    let fx = app();
    let suite = Suite::new("setup-ok").yaml(
        r#"
        name: setup-ok
        base_url: ${{ env.BASE_URL }}
        secrets: [SMOKE_PASSWORD]
        setup:
          - request:
              method: POST
              url: /api/login
              json: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
            expect: { status: 200 }
            capture: { token: $.token }
        checks:
          - name: the token from the setup works
            cookies: isolated
            request: { url: /api/me, auth: { bearer: "${{ token }}" } }
            expect: { status: 200 }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).secret("SMOKE_PASSWORD", "hunter2-smoke").run();
    done.assert_exit(0);
    assert_eq!(done.case_names(), ["the token from the setup works"], "a passing setup is not a testcase");
    done.assert_no_session_tokens();
}

#[test]
fn teardown_runs_even_when_the_check_fails() {
    let fx = app();
    let suite = Suite::new("cleanup").yaml(
        r#"
        name: cleanup
        base_url: ${{ env.BASE_URL }}
        secrets: [SMOKE_PASSWORD]
        checks:
          - name: log in
            request:
              method: POST
              url: /login
              form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
              follow_redirects: false
            expect: { status: 303 }
          - name: upload, then a wrong answer
            steps:
              - request:
                  method: POST
                  url: /api/files
                  multipart: { file: { path: smoke.txt, type: text/plain } }
                expect: { status: 201 }
                capture: { file_id: $.id }
              - request: GET /api/files/${{ file_id }}
                expect: { status: 418 }
              - request: GET /echo/after-the-failure
            teardown:
              - request: DELETE /api/files/${{ file_id }}
                expect: { status: 204 }
              - request: GET /echo/second-teardown-step
        teardown:
          - request: GET /echo/suite-teardown
        "#,
    );
    let done = Run::new()
        .suite(&suite)
        .file("smoke.txt", "smoke test upload\n")
        .target(&fx)
        .secret("SMOKE_PASSWORD", "hunter2-smoke")
        .run();
    done.assert_exit(1);
    let case = done.case("upload, then a wrong answer");
    case.expect("failure", "assertion");
    assert_eq!(fx.hits("/echo/after-the-failure"), 0);
    assert_eq!(fx.file_count(), 0, "the teardown did not delete the upload after the check failed");
    assert_eq!(fx.hits("/echo/second-teardown-step"), 1);
    assert_eq!(fx.hits("/echo/suite-teardown"), 1);
    assert!(case.system_out().contains("DELETE"), "the teardown is not in the step log:\n{}", case.system_out());
}

#[test]
fn every_teardown_step_runs_even_when_one_fails() {
    let fx = app();
    let suite = Suite::new("teardown-fails").yaml(
        r#"
        name: teardown-fails
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: passes, but its cleanup fails
            request: GET /health
            teardown:
              - request: GET /status/500
                expect: { status: 200 }
              - request: GET /echo/cleanup-two
        teardown:
          - request: GET /status/503
            expect: { status: 200 }
          - request: GET /echo/suite-cleanup-two
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    assert_eq!(fx.hits("/echo/cleanup-two"), 1);
    assert_eq!(fx.hits("/echo/suite-cleanup-two"), 1);
    let check = done.case("passes, but its cleanup fails");
    let outcome = check.outcome().expect("a failed teardown fails its check");
    assert!(outcome.attr("message").unwrap_or("").contains("teardown"), "{:?}", outcome.attrs);
    let teardown = done.case("[teardown]");
    let outcome = teardown.outcome().expect("a failed suite teardown is reported");
    assert!(outcome.attr("message").unwrap_or("").contains("503"), "{:?}", outcome.attrs);
}
