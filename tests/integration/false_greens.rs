//! Rules that could be read two ways, read the way that cannot pass a broken deploy: a step
//! with no status needs a 2xx, an empty block is a load error, an empty capture fails, a
//! JSONPath's result has one shape whatever it matched, integers compare exactly, the final URL
//! can be asserted, and no name carries a secret.

use crate::support::*;

/// The block of `validate`'s output that reports `message`, which must point at `at`.
#[track_caller]
fn reported_at(done: &Done, message: &str, at: &str) {
    let block = done
        .stderr
        .split("\n\n")
        .find(|b| b.contains(message) && b.contains(&format!("--> {at}")))
        .unwrap_or_else(|| panic!("`{message}` is not reported at {at}:\n{}", done.stderr));
    assert!(!block.is_empty());
}

#[test]
fn a_step_without_a_status_needs_a_2xx() {
    let fx = app();
    let suite = Suite::new("implicit").yaml(
        r#"
        name: implicit
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: no expect on a 500
            request: GET /status/500
          - name: only a body assertion on a 503
            steps:
              - request: GET /status/503
                expect: { body: { not_contains: traceback } }
          - name: a teardown that fails
            request: GET /health
            teardown:
              - request: DELETE /status/500
          - name: no expect on a 200
            request: GET /health
          - name: an explicit status wins
            request: GET /status/404
            expect: { status: 404 }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).arg("-v").run();
    done.assert_exit(1);
    let o = done.case("no expect on a 500").expect("failure", "assertion");
    assert!(o.text.contains("status (implicit 2xx)"), "{}", o.text);
    assert!(o.text.contains("500"), "{}", o.text);
    assert!(o.text.contains(&suite.at("request: GET /status/500", "request")), "{}", o.text);
    done.case("only a body assertion on a 503").expect("failure", "assertion");
    assert!(done.case("a teardown that fails").outcome().is_some(), "a teardown answered 500 and the check passed");
    done.case("no expect on a 200").assert_passed();
    done.case("an explicit status wins").assert_passed();
    let log = done.case("no expect on a 200").system_out();
    assert!(log.contains("✓ status (implicit 2xx)"), "{log}");
}

#[test]
fn setup_and_suite_teardown_steps_without_a_status_need_a_2xx() {
    let fx = app();
    let suite = Suite::new("implicit-setup").yaml(
        r#"
        name: implicit-setup
        base_url: ${{ env.BASE_URL }}
        setup:
          - request: GET /status/502
        checks:
          - name: after a broken setup
            request: GET /health
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    assert_ne!(done.code, 0, "a setup step answered 502 and the run passed\n{}", done.output());
    assert!(done.case("after a broken setup").outcome().is_some(), "{}", done.output());

    let suite = Suite::new("implicit-teardown").yaml(
        r#"
        name: implicit-teardown
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: fine
            request: GET /health
        teardown:
          - request: GET /status/500
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    assert_ne!(done.code, 0, "a teardown step answered 500 and the run passed\n{}", done.output());
}

#[test]
fn empty_blocks_are_load_errors_at_their_place() {
    let fx = app();
    let suite = Suite::new("empty").yaml(
        r##"
        name: empty
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: empty expect
            request: GET /a
            expect: {}
          - name: empty json
            request: GET /b
            expect: { json: {} }
          - name: empty header
            request: GET /c
            expect: { header: {} }
          - name: empty html
            request: GET /d
            expect: { html: {} }
          - name: empty html selector
            request: GET /e
            expect: { html: { h1: {} } }
          - name: empty attr
            request: GET /f
            expect: { html: { a: { attr: {} } } }
          - name: empty sha256
            request: GET /g
            expect: { sha256: {} }
          - name: empty capture
            request: GET /h
            capture: {}
          - name: empty browser blocks
            browser:
              - goto: /login
              - fill: {}
              - select: {}
              - capture: {}
              - see: {}
        "##,
    );
    let done = Run::validate().suite(&suite).target(&fx).run();
    done.assert_exit(2);
    for (message, needle, token) in [
        ("`expect` is empty", "expect: {}", "{}"),
        ("`json` is empty", "json: {}", "{}"),
        ("`header` is empty", "header: {}", "{}"),
        ("`html` is empty", "html: {}", "{}"),
        ("an `html` assertion is empty", "h1: {}", "{}"),
        ("`attr` is empty", "attr: {}", "{}"),
        ("`sha256: {}` asserts nothing", "sha256: {}", "{}"),
        ("`capture` is empty", "request: GET /h", ""),
        ("`fill` is empty", "fill: {}", "{}"),
        ("`select` is empty", "select: {}", "{}"),
        ("`capture` is empty", "- capture: {}", "{}"),
        ("`see` is empty", "see: {}", "{}"),
    ] {
        let at = if token.is_empty() { suite.at("capture: {}", "{}") } else { suite.at(needle, token) };
        reported_at(&done, message, &at);
    }
    assert_eq!(fx.total_hits(), 0);
}

#[test]
fn a_browser_check_that_asserts_nothing_is_a_load_error() {
    let fx = app();
    let suite = Suite::new("browser-nothing").yaml(
        r##"
        name: browser-nothing
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: clicks around
            browser:
              - goto: /login
              - fill: { "#username": smoke-bot }
              - click: button[type=submit]
              - screenshot: after
          - name: looks
            browser:
              - goto: /login
              - see: h1
        "##,
    );
    let done = Run::validate().suite(&suite).target(&fx).run();
    done.assert_exit(2);
    reported_at(&done, "this browser check asserts nothing", &suite.at("- name: clicks around", "name"));
    done.assert_stderr_has("add a step that checks the page");
    assert!(!done.stderr.contains("- name: looks"), "{}", done.stderr);
    done.assert_stderr_has("1 problem");
}

#[test]
fn an_empty_capture_fails_the_step_unless_allowed() {
    let fx = app();
    let suite = Suite::new("empty-capture").yaml(
        r#"
        name: empty-capture
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: a null id
            steps:
              - request: { method: POST, url: /echo, json: { id: null } }
                capture: { id: $.body_json.id }
              - request: DELETE /echo/files/${{ id }}
          - name: an empty string
            steps:
              - request: { method: POST, url: /echo, json: { token: "" } }
                capture: { token: { json: $.body_json.token } }
              - request: GET /echo/${{ token }}
          - name: a wildcard that matched nothing
            steps:
              - request: { method: POST, url: /echo, json: { items: [] } }
                capture: { ids: { json: "$.body_json.items[*].id" } }
          - name: an empty regex group
            steps:
              - request: GET /echo?q=
                capture: { q: { regex: '"q":"([^"]*)"' } }
          - name: allowed
            steps:
              - request: { method: POST, url: /echo, json: { note: "" } }
                capture: { note: { json: $.body_json.note, allow_empty: true } }
              - request: { method: POST, url: /echo, json: { note: "${{ note }}" } }
                expect: { json: { $.body_json.note: "" } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    for (case, name, found) in [
        ("a null id", "id", "null"),
        ("an empty string", "token", "an empty string"),
        ("a wildcard that matched nothing", "ids", "an empty list"),
        ("an empty regex group", "q", "an empty string"),
    ] {
        let o = done.case(case).expect("failure", "capture");
        let message = o.attr("message").unwrap_or("");
        assert!(message.contains(&format!("`{name}`")) && message.contains(found), "{case}: {message}");
    }
    assert_eq!(fx.hits("/echo/files/"), 0, "a step ran with an empty capture in its URL");
    done.case("allowed").assert_passed();
}

#[test]
fn a_wildcard_path_yields_a_list_whatever_it_matched() {
    let fx = app();
    let suite = Suite::new("lists").yaml(
        r#"
        name: lists
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: one match is still a list, contains is membership
            request:
              method: POST
              url: /echo
              json: { services: [{ name: db, status: down }] }
            expect:
              json:
                "$.body_json.services[*].status": { contains: do }
          - name: not_contains on a list means no element
            request:
              method: POST
              url: /echo
              json: { services: [{ name: db, status: down }] }
            expect:
              json:
                "$.body_json.services[*].status": { not_contains: down }
          - name: each element
            request:
              method: POST
              url: /echo
              json: { services: [{ status: up }, { status: down }] }
            expect:
              json:
                "$.body_json.services[*].status": { each: up }
          - name: each on nothing
            request:
              method: POST
              url: /echo
              json: { services: [] }
            expect:
              json:
                "$.body_json.services[*].status": { each: up }
          - name: exists on a list means found some
            request:
              method: POST
              url: /echo
              json: { services: [] }
            expect:
              json:
                "$.body_json.services[*]": { exists: true }
          - name: healthy lists
            steps:
              - request:
                  method: POST
                  url: /echo
                  json: { services: [{ id: a, status: up }], n: 1 }
                expect:
                  json:
                    "$.body_json.services[*].status": { contains: up, not_contains: down, each: up, length: 1 }
                    "$.body_json.services[*].id": [a]
                    "$.body_json.services[?@.status == 'down']": { absent: true }
                    "$.body_json.n": 1
                capture: { ids: "$.body_json.services[*].id" }
              - request: { method: POST, url: /echo, json: { ids: "${{ ids }}" } }
                expect: { json: { $.body_json.ids: [a] } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    for case in [
        "one match is still a list, contains is membership",
        "not_contains on a list means no element",
        "each element",
        "each on nothing",
        "exists on a list means found some",
    ] {
        done.case(case).expect("failure", "assertion");
    }
    done.case("healthy lists").assert_passed();
}

#[test]
fn a_list_compared_with_one_plain_value_is_a_load_error() {
    let fx = app();
    let suite = Suite::new("list-vs-value").yaml(
        r#"
        name: list-vs-value
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: not_equals a value
            request: GET /api/products
            expect:
              json:
                "$.items[*].sku": { not_equals: Z9 }
          - name: equals a value
            request: GET /api/products
            expect:
              json:
                "$..sku": A1
        "#,
    );
    let done = Run::validate().suite(&suite).target(&fx).run();
    done.assert_exit(2);
    reported_at(&done, "always differs from the single value \"Z9\"", &suite.at("{ not_equals: Z9 }", "{"));
    reported_at(&done, "never equals the single value \"A1\"", &suite.at("\"$..sku\": A1", "A1"));
    done.assert_stderr_has("not_contains");
}

#[test]
fn integers_compare_exactly_beyond_2_pow_53() {
    let fx = app();
    let suite = Suite::new("bigint").yaml(
        r#"
        name: bigint
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: off by one above 2^53
            request:
              method: POST
              url: /echo
              json: { id: 9007199254740993 }
            expect: { json: { $.body_json.id: 9007199254740992 } }
          - name: the same integer
            request:
              method: POST
              url: /echo
              json: { id: 9007199254740993 }
            expect: { json: { $.body_json.id: { equals: 9007199254740993, one_of: [9007199254740993] } } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let o = done.case("off by one above 2^53").expect("failure", "assertion");
    assert!(o.text.contains("9007199254740993"), "{}", o.text);
    done.case("the same integer").assert_passed();
}

#[test]
fn the_final_url_can_be_asserted() {
    let fx = app();
    let suite = Suite::new("final-url").yaml(
        r#"
        name: final-url
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: sent to the login page
            request: { url: /redirect?to=/login, follow_redirects: true }
            expect: { status: 200, url: { not_contains: /login } }
          - name: lands where it should
            request: { url: /redirect?to=/health, follow_redirects: true }
            expect: { url: { matches: "/health$" } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let o = done.case("sent to the login page").expect("failure", "assertion");
    assert!(o.text.contains("/login"), "{}", o.text);
    assert!(o.text.contains(&suite.at("url: { not_contains", "{ not_contains")), "{}", o.text);
    done.case("lands where it should").assert_passed();
}

#[test]
fn a_name_or_tag_cannot_carry_a_secret() {
    let fx = app();
    let suite = Suite::new("secret-names").yaml(
        r#"
        name: "storefront ${{ secrets.SMOKE_PASSWORD }}"
        base_url: ${{ env.BASE_URL }}
        secrets: [SMOKE_PASSWORD]
        tags: ["${{ secrets.SMOKE_PASSWORD }}"]
        checks:
          - name: log in as ${{ secrets.SMOKE_PASSWORD }}
            tags: [smoke, "login ${{ secrets.SMOKE_PASSWORD }}"]
            steps:
              - name: step ${{ secrets.SMOKE_PASSWORD }}
                request: GET /health
        "#,
    );
    let done = Run::validate().suite(&suite).target(&fx).secret("SMOKE_PASSWORD", "s3cr3t-value-42").run();
    done.assert_exit(2);
    reported_at(&done, "the suite's name cannot hold a secret", &suite.at("name: \"storefront", "\""));
    reported_at(&done, "a tag cannot hold a secret", &suite.at("tags: [\"${{", "\""));
    reported_at(&done, "a check's name cannot hold a secret", &suite.at("- name: log in as", "log in"));
    reported_at(&done, "a tag cannot hold a secret", &suite.at("tags: [smoke", "\"login"));
    reported_at(&done, "a step's name cannot hold a secret", &suite.at("- name: step", "step"));
}
