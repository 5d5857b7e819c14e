//! Waiting and retrying: a step `retry` waits for a rollout; a check's `retries` that pass
//! after a failure are flaky, never silently green.

use crate::support::*;

#[test]
fn a_step_retry_waits_for_the_new_version() {
    let fx = app();
    let suite = Suite::new("rollout").yaml(
        r#"
        name: rollout
        base_url: ${{ env.BASE_URL }}
        setup:
          - name: the new version is live
            request: GET /rollout/version
            retry: { for: 20s, every: 100ms }
            expect: { json: { $.commit: "${{ env.GIT_SHA }}" } }
        checks:
          - name: health
            request: GET /health
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).env("GIT_SHA", "c0ffee1").run();
    done.assert_exit(0);
    done.case("health").assert_passed();
    assert!(
        fx.hits("/rollout/version") >= 2,
        "the old version was accepted, or never asked again ({} requests)",
        fx.hits("/rollout/version")
    );
    assert_eq!(done.summary().flaky, 0, "waiting for a rollout is not flakiness");
    // Green, but not silently: the wait shows in every output.
    done.assert_stdout_has("setup: step 1 (the new version is live) passed on attempt");
    let waited = &done.json()["suites"][0]["setup_retried_steps"][0];
    assert!(waited["attempts"].as_u64().is_some_and(|n| n >= 2), "{waited}");
    assert!(done.junit_text.as_deref().unwrap_or("").contains("setup retried: step 1"), "no retry in the JUnit");
}

#[test]
fn a_check_step_that_passed_on_a_later_attempt_says_so_and_leaves_one_set_of_files() {
    let fx = app();
    let suite = Suite::new("rollout").yaml(
        r#"
        name: rollout
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: the new version is live
            request: GET /rollout/version
            retry: { for: 20s, every: 10ms }
            expect: { json: { $.commit: "${{ env.GIT_SHA }}" } }
          - name: a version that never comes
            request: GET /rollout/version
            retry: { for: 400ms, every: 10ms }
            expect: { json: { $.commit: "9999999" } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).env("GIT_SHA", "c0ffee1").run();
    done.assert_exit(1);
    let case = done.case("the new version is live");
    case.assert_passed();
    assert!(case.system_out().contains("retried: step 1 passed on attempt"), "{}", case.system_out());
    assert!(done.terminal_line("the new version is live").contains("PASS"));
    done.assert_stdout_has("↻ step 1 passed on attempt");
    let json = done.json_case("the new version is live");
    assert!(json["retried_steps"][0]["attempts"].as_u64().is_some_and(|n| n >= 2), "{json}");
    // A passing check keeps no response saved from its failed attempts.
    assert!(json["attachments"].as_array().is_some_and(Vec::is_empty), "{json}");
    // A failing one keeps the last attempt's, attached once.
    let failing = done.case("a version that never comes");
    let out = failing.system_out();
    assert_eq!(out.matches("[[ATTACHMENT|").count(), 1, "{out}");
    let files = done.json_case("a version that never comes")["attachments"].as_array().map(Vec::len);
    assert_eq!(files, Some(1));
}

#[test]
fn a_step_retry_gives_up_at_its_deadline() {
    let fx = app();
    let suite = Suite::new("never").yaml(
        r#"
        name: never
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: a version that never comes
            request: GET /rollout/version
            retry: { for: 600ms, every: 100ms, backoff: 1.5 }
            expect: { json: { $.commit: "9999999" } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let failure = done.case("a version that never comes").expect("failure", "assertion");
    let message = failure.attr("message").unwrap_or("");
    assert!(message.contains("attempts"), "the message does not say it kept trying: {message}");
    let tries = fx.hits("/rollout/version");
    assert!(tries >= 2, "{tries} requests");
    assert!(
        message.contains(&format!("after {tries} attempts")),
        "the message counts other attempts than the target saw ({tries}): {message}"
    );
}

#[test]
fn a_check_that_passes_on_a_retry_is_flaky() {
    let fx = app();
    let key = unique("flaky");
    let suite = Suite::new("warmup").yaml(&format!(
        r#"
        name: warmup
        base_url: ${{{{ env.BASE_URL }}}}
        checks:
          - name: cache warms up
            retries: 2
            request: GET /flaky/{key}?fail=1
            expect: {{ status: 200 }}
        "#
    ));
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(0);
    let case = done.case("cache warms up");
    case.assert_passed();
    let flaky = case.all("flakyFailure");
    assert_eq!(flaky.len(), 1, "one failed attempt, one <flakyFailure>");
    assert_eq!(flaky[0].attr("type"), Some("assertion"));
    assert!(flaky[0].attr("message").unwrap_or("").contains("503"), "{:?}", flaky[0].attrs);
    assert!(case.all("rerunFailure").is_empty());
    assert_eq!(fx.hits(&format!("/flaky/{key}")), 2, "it retried more than needed");
    assert!(done.terminal_line("cache warms up").contains("FLAKY"), "{}", done.stdout);
    done.assert_stdout_has("FLAKY warmup › cache warms up");
    assert_eq!(done.summary().flaky, 1);
    assert_eq!(done.json_case("cache warms up")["status"], "flaky");
}

#[test]
fn fail_on_flaky_fails_the_run() {
    let fx = app();
    let key = unique("flaky");
    let suite = Suite::new("strict").yaml(&format!(
        r#"
        name: strict
        base_url: ${{{{ env.BASE_URL }}}}
        defaults: {{ retries: 3 }}
        checks:
          - name: cache warms up
            request: GET /flaky/{key}?fail=2
            expect: {{ status: 200 }}
        "#
    ));
    let done = Run::new().suite(&suite).target(&fx).arg("--fail-on-flaky").run();
    done.assert_exit(1);
    assert_eq!(done.case("cache warms up").all("flakyFailure").len(), 2);
    assert_eq!(done.summary().flaky, 1);
}

#[test]
fn a_check_whose_every_attempt_fails_keeps_its_reruns() {
    let fx = app();
    let key = unique("down");
    let suite = Suite::new("hopeless").yaml(&format!(
        r#"
        name: hopeless
        base_url: ${{{{ env.BASE_URL }}}}
        checks:
          - name: never warms up
            retries: 2
            request: GET /flaky/{key}?fail=100
            expect: {{ status: 200 }}
        "#
    ));
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let case = done.case("never warms up");
    let failure = case.expect("failure", "assertion");
    assert!(failure.text.contains("\"attempt\":3"), "the failure is not the last attempt:\n{}", failure.text);
    let reruns = case.all("rerunFailure");
    assert_eq!(reruns.len(), 2, "one <rerunFailure> per earlier attempt");
    for (i, r) in reruns.iter().enumerate() {
        let trace = r.children.iter().find(|c| c.name == "stackTrace").expect("stackTrace");
        assert!(trace.text.contains(&format!("\"attempt\":{}", i + 1)), "rerun {i}:\n{}", trace.text);
    }
    assert!(case.all("flakyFailure").is_empty());
    assert_eq!(fx.hits(&format!("/flaky/{key}")), 3);
    assert_eq!(done.summary().flaky, 0);
}
