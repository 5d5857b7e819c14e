//! Requests as users write them, against a target that answers wrongly or not at all:
//! "answered wrongly" is a `<failure>`, "could not be judged" is an `<error>`.

use crate::support::*;

#[test]
fn wrong_status_is_a_failure_that_points_at_the_status() {
    let fx = app();
    let suite = Suite::new("orders").yaml(
        r#"
        name: orders
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: order API answers
            request: GET /status/503
            expect: { status: 2xx }
          - name: health still fine
            request: GET /health
            expect: { status: [200, 204] }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let case = done.case("order API answers");
    let failure = case.expect("failure", "assertion");
    assert_eq!(case.line(), suite.line_of("- name: order API answers"));
    assert_eq!(case.attr("file"), Some("orders.yaml"));
    assert_eq!(case.attr("classname"), Some("default.orders"));
    let message = failure.attr("message").unwrap_or("");
    assert!(message.contains("2xx") && message.contains("503"), "{message}");
    assert!(failure.text.contains(&suite.at("expect: { status: 2xx }", "2xx")), "{}", failure.text);
    assert!(
        failure.text.contains(&format!("GET {}/status/503", fx.http_url)),
        "the request line is missing:\n{}",
        failure.text
    );
    done.case("health still fine").assert_passed();
    assert!(done.terminal_line("order API answers").contains("FAIL"));
    done.assert_stdout_has(&format!("orders.yaml:{}", suite.line_of("expect: { status: 2xx }")));
    let t = done.summary();
    assert_eq!((t.tests, t.passed, t.failed, t.errors), (2, 1, 1, 0));
}

#[test]
fn wrong_json_states_expected_and_actual() {
    let fx = app();
    let suite = Suite::new("version").yaml(
        r#"
        name: version
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: the deployed commit
            request: GET /version
            expect:
              status: 200
              json:
                $.version: 1.4.2
                $.commit: "0badc0de"
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let failure = done.case("the deployed commit").expect("failure", "assertion");
    assert!(failure.text.contains(&suite.at("$.commit:", "$.commit")), "{}", failure.text);
    assert!(
        !failure.text.contains(&suite.at("$.version:", "$.version")),
        "a holding assertion is reported as failed:\n{}",
        failure.text
    );
    assert!(failure.text.contains("expected: \"0badc0de\""), "{}", failure.text);
    assert!(failure.text.contains("actual:   \"c0ffee1\""), "{}", failure.text);
    assert!(failure.text.contains("{\"commit\":\"c0ffee1\""), "no response excerpt:\n{}", failure.text);
    let terminal = done.terminal_line("the deployed commit");
    assert!(terminal.contains("FAIL"), "{terminal}");
    done.assert_stdout_has("expected \"0badc0de\", got \"c0ffee1\"");
}

#[test]
fn the_page_must_show_what_the_api_returns() {
    let fx = app();
    let suite = Suite::new("roles").yaml(
        r#"
        name: roles
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
          - name: dashboard shows the API's role
            steps:
              - request: GET /api/me
                capture: { role: { json: "$.roles[0]" } }
              - request: GET /dashboard
                expect: { html: { .role: "${{ role }}" } }
          - name: broken dashboard shows the API's role
            steps:
              - request: GET /api/me
                capture: { role2: { json: "$.roles[0]" } }
              - request: GET /broken/dashboard
                expect: { html: { .role: "${{ role2 }}" } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).secret("SMOKE_PASSWORD", "hunter2-smoke").run();
    done.assert_exit(1);
    done.case("dashboard shows the API's role").assert_passed();
    let failure = done.case("broken dashboard shows the API's role").expect("failure", "assertion");
    let message = failure.attr("message").unwrap_or("");
    assert!(message.contains("\"maintainer\"") && message.contains("\"viewer\""), "{message}");
    assert!(
        failure.text.contains(&suite.at("html: { .role: \"${{ role2 }}\"", "\"${{ role2 }}\"")),
        "{}",
        failure.text
    );
    assert!(failure.text.contains("step 2"), "the failing step is not named:\n{}", failure.text);
}

#[test]
fn a_target_that_is_not_listening_is_an_error_not_a_failure() {
    let port = closed_port();
    let suite = Suite::new("unreachable").yaml(&format!(
        r#"
        name: unreachable
        base_url: http://127.0.0.1:{port}
        checks:
          - name: health
            request: GET /health
            expect: {{ status: 200 }}
          - name: words in the URL do not decide the kind
            request: GET /api/dns/lookup/tls-certificate/resolve
        "#
    ));
    let done = Run::new().suite(&suite).run();
    done.assert_exit(1);
    // The kind comes from the error's type, not from words in a message that quotes the URL.
    done.case("words in the URL do not decide the kind").expect("error", "connection");
    let case = done.case("health");
    let error = case.expect("error", "connection");
    assert_eq!(case.line(), suite.line_of("- name: health"));
    assert!(error.attr("message").unwrap_or("").contains(&format!("127.0.0.1:{port}")), "{:?}", error.attrs);
    assert!(done.terminal_line("health").contains("ERROR"), "{}", done.stdout);
    done.assert_stdout_has("ERROR (connection)");
    let t = done.summary();
    assert_eq!((t.failed, t.errors), (0, 2));
    assert_eq!(done.json_case("health")["problem"]["kind"], "error");
}

#[test]
fn a_slow_answer_is_a_timeout_error() {
    let fx = app();
    let suite = Suite::new("slow").yaml(
        r#"
        name: slow
        base_url: ${{ env.BASE_URL }}
        defaults: { timeout: 200ms }
        checks:
          - name: hangs
            request: { url: /hang, timeout: 300ms }
            expect: { status: 200 }
          - name: slow but in time
            request: { url: /slow?ms=50, timeout: 5s }
            expect: { status: 200 }
          - name: slower than the suite default
            request: /slow?ms=1000
            expect: { status: 200 }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let error = done.case("hangs").expect("error", "timeout");
    assert!(error.attr("message").unwrap_or("").contains("300ms"), "{:?}", error.attrs);
    done.case("slow but in time").assert_passed();
    done.case("slower than the suite default").expect("error", "timeout");
    done.assert_stdout_has("ERROR (timeout)");
}

#[test]
fn redirects_are_not_followed_unless_a_request_asks() {
    let fx = app();
    let suite = Suite::new("redirects").yaml(
        r#"
        name: redirects
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: a redirect is an answer by default
            request: GET /redirect?to=/health
            expect: { status: 302, header: { location: /health } }
          - name: a redirect does not pass for the page it points at
            request: GET /redirect?to=/health
            expect: { status: 200 }
          - name: followed when asked
            request: { url: /redirect?to=/health, follow_redirects: true }
            expect: { status: 200, json: { $.status: ok } }
          - name: a chain is followed to its end when asked
            request: { url: /redirect/chain?n=3, follow_redirects: true }
            expect: { status: 200 }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).arg("-v").run();
    done.assert_exit(1);
    done.case("a redirect is an answer by default").assert_passed();
    let failure = done.case("a redirect does not pass for the page it points at").expect("failure", "assertion");
    assert!(failure.attr("message").unwrap_or("").contains("302"), "{:?}", failure.attrs);
    done.case("followed when asked").assert_passed();
    done.case("a chain is followed to its end when asked").assert_passed();
    // Once for the followed redirect, once at the end of the chain: never for the two that were
    // not asked to follow.
    assert_eq!(fx.hits("/health"), 2, "a redirect was followed without being asked to (or an asked one was not)");
    assert_eq!(fx.hits("/redirect/chain"), 3);
    done.assert_stdout_has("redirected: 302");
}

#[test]
fn suite_defaults_can_follow_redirects() {
    let fx = app();
    let suite = Suite::new("followredirects").yaml(
        r#"
        name: followredirects
        base_url: ${{ env.BASE_URL }}
        defaults: { follow_redirects: true }
        checks:
          - name: the redirect is followed
            request: GET /redirect?to=/health
            expect: { status: 200 }
        "#,
    );
    Run::new().suite(&suite).target(&fx).run().assert_exit(0);
    assert_eq!(fx.hits("/health"), 1);
}

#[test]
fn cookies_are_shared_across_checks_unless_a_check_is_isolated() {
    let fx = app();
    let suite = Suite::new("cookies").yaml(
        r#"
        name: cookies
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: set a cookie
            request: GET /cookie/set?name=flavour&value=oatmeal
            expect: { status: 200 }
          - name: later checks send it
            request: GET /cookie/get
            expect: { json: { $.cookies.flavour: oatmeal } }
          - name: an isolated check does not
            cookies: isolated
            request: GET /cookie/get
            expect: { json: { $.cookies.flavour: { exists: false } } }
          - name: an isolated check keeps its cookies to itself
            cookies: isolated
            steps:
              - request: GET /cookie/set?name=private&value=yes
              - request: GET /cookie/get
                expect: { json: { $.cookies.private: "yes" } }
          - name: the shared jar did not get them
            request: GET /cookie/get
            expect: { json: { $.cookies.flavour: oatmeal, $.cookies.private: { exists: false } } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(0);
    assert_eq!(done.summary().passed, 5);
}

#[test]
fn a_session_logged_in_by_one_check_is_used_by_the_next() {
    let fx = app();
    let suite = Suite::new("session").yaml(
        r#"
        name: session
        base_url: ${{ env.BASE_URL }}
        secrets: [SMOKE_PASSWORD]
        checks:
          - name: anonymous callers are refused
            request: GET /api/me
            expect: { status: 401 }
          - name: log in
            request:
              method: POST
              url: /login
              form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
              follow_redirects: true
            expect: { status: 200, html: { .role: maintainer } }
          - name: logged in afterwards
            request: GET /api/me
            expect: { status: 200, json: { $.username: smoke-bot } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).secret("SMOKE_PASSWORD", "hunter2-smoke").run();
    done.assert_exit(0);
    assert_eq!(fx.session_count(), 1);
}

#[test]
fn query_headers_and_bodies_reach_the_server_as_written() {
    let fx = app();
    let suite = Suite::new("echo").yaml(
        r#"
        name: echo
        base_url: ${{ env.BASE_URL }}
        vars: { region: eu-west, count: 3 }
        defaults:
          headers: { x-suite: from-defaults }
        checks:
          - name: query parameters are encoded
            request:
              url: /echo
              query: { q: "a b&c", region: "${{ region }}" }
              headers: { x-custom: "yes", accept: application/json }
            expect:
              json:
                $.method: GET
                $.query.q: "a b&c"
                $.query.region: eu-west
                "$.headers['x-custom']": "yes"
                "$.headers['x-suite']": from-defaults
          - name: a JSON body keeps its types
            request:
              method: POST
              url: /echo
              json: { name: widget, count: "${{ count }}", tags: [a, b], nested: { ok: true } }
            expect:
              json:
                "$.headers['content-type']": { contains: application/json }
                $.body_json.name: widget
                $.body_json.count: 3
                $.body_json.tags: [a, b]
                $.body_json.nested.ok: true
          - name: a form body is url-encoded
            request:
              method: PUT
              url: /echo
              form: { user: smoke-bot, note: "x=1&y=2" }
            expect:
              json:
                $.method: PUT
                $.form.user: smoke-bot
                $.form.note: "x=1&y=2"
          - name: a raw body is sent as is
            request:
              method: PATCH
              url: /echo/raw
              headers: { content-type: text/plain }
              body: "plain text, region ${{ region }}"
            expect:
              json:
                $.path: /echo/raw
                $.body: "plain text, region eu-west"
          - name: a file body is the file's bytes
            request:
              method: POST
              url: /echo
              file: payload.json
            expect:
              json: { $.body_json.from: "a file" }
        "#,
    );
    let done = Run::new().suite(&suite).file("payload.json", r#"{"from": "a file"}"#).target(&fx).run();
    done.assert_exit(0);
    assert_eq!(done.summary().passed, 5);
}

#[test]
fn basic_and_bearer_auth() {
    use base64::Engine;
    let fx = app();
    let suite = Suite::new("auth").yaml(
        r#"
        name: auth
        base_url: ${{ env.BASE_URL }}
        secrets: [SMOKE_PASSWORD]
        checks:
          - name: basic auth sends user and password
            request:
              url: /echo
              auth: { basic: { user: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" } }
            expect: { json: { $.headers.authorization: "${{ expected_basic }}" } }
          - name: a bearer token from the login opens the API
            cookies: isolated
            steps:
              - request:
                  method: POST
                  url: /api/login
                  json: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
                expect: { status: 200 }
                capture: { token: { json: $.token } }
              - request: { url: /api/me, auth: { bearer: "${{ token }}" } }
                expect: { status: 200, json: { $.roles: { contains: maintainer } } }
          - name: a wrong bearer token is refused
            cookies: isolated
            request: { url: /api/me, auth: { bearer: not-a-token } }
            expect: { status: 200 }
        "#,
    );
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("smoke-bot:hunter2-smoke"));
    let done = Run::new()
        .suite(&suite)
        .target(&fx)
        .secret("SMOKE_PASSWORD", "hunter2-smoke")
        .arg("--var")
        .arg(format!("expected_basic={basic}"))
        .run();
    done.assert_exit(1);
    done.case("basic auth sends user and password").assert_passed();
    done.case("a bearer token from the login opens the API").assert_passed();
    let failure = done.case("a wrong bearer token is refused").expect("failure", "assertion");
    assert!(failure.attr("message").unwrap_or("").contains("401"), "{:?}", failure.attrs);
    done.assert_no_session_tokens();
}

#[test]
fn response_bodies_past_max_body_are_not_judged_but_still_hashed() {
    let fx = app();
    let suite = Suite::new("big").yaml(
        r#"
        name: big
        base_url: ${{ env.BASE_URL }}
        defaults: { max_body: 1KiB }
        checks:
          - name: a big body can still be checked by hash and length
            request: GET /big?bytes=300000
            expect:
              status: 200
              sha256: "${{ sha }}"
          - name: a cut body is not judged as text
            request: GET /big?bytes=300000
            expect: { body: { not_contains: Traceback } }
          - name: JSON past the cap is not parsed
            request: GET /big?bytes=2000
            expect: { json: { $.x: 1 } }
        "#,
    );
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(vec![b'a'; 300_000]))
    };
    let done = Run::new().suite(&suite).target(&fx).arg("--var").arg(format!("sha={sha}")).run();
    done.assert_exit(1);
    done.case("a big body can still be checked by hash and length").assert_passed();
    for name in ["a cut body is not judged as text", "JSON past the cap is not parsed"] {
        let error = done.case(name).expect("error", "body");
        assert!(error.attr("message").unwrap_or("").contains("max_body"), "{:?}", error.attrs);
        assert_eq!(done.json_case(name)["status"], "errored");
    }
}

/// A server that answers every request on a kept-alive connection, then closes it without
/// saying so (no `connection: close`), as some proxies and servers under load do.
fn closing_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            if got.is_empty() {
                continue;
            }
            let body = br#"{"ok":true}"#;
            let head =
                format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body);
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Closed a moment later, while the client already keeps the connection for reuse.
            std::thread::sleep(std::time::Duration::from_millis(5));
            drop(conn);
        }
    });
    (port, served)
}

#[test]
fn a_connection_the_server_closed_between_requests_is_retried_for_idempotent_requests() {
    let (port, served) = closing_server();
    let checks: String = (1..=30)
        .map(|i| format!("  - name: check {i}\n    request: GET /item/{i}\n    expect: {{ json: {{ $.ok: true }} }}\n"))
        .collect();
    let suite =
        Suite::new("closing").yaml(&format!("name: closing\nbase_url: http://127.0.0.1:{port}\nchecks:\n{checks}"));
    let done = Run::new().suite(&suite).run();
    done.assert_exit(0);
    assert_eq!(done.summary().passed, 30, "{}", done.output());
    assert!(served.load(std::sync::atomic::Ordering::SeqCst) >= 30);
}

#[test]
fn a_proxy_named_in_the_environment_carries_the_requests() {
    // A host that cannot resolve: only a proxy can answer for it.
    let fx = app();
    let suite = Suite::new("proxied").yaml(
        r#"
        name: proxied
        base_url: http://shakedown-proxy-test.invalid
        checks:
          - name: through the proxy
            request: GET /health
            expect: { status: 200 }
        "#,
    );
    let direct = Run::new().suite(&suite).run();
    direct.assert_exit(1);
    direct.case("through the proxy").expect("error", "dns");
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        let via = Run::new().suite(&suite).env(var, &fx.http_url).run();
        via.assert_exit(0);
        via.case("through the proxy").assert_passed();
    }
    // A host in NO_PROXY is reached directly, past a proxy that is down.
    let local = Suite::new("local").yaml(
        r#"
        name: local
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: straight to the target
            request: GET /health
            expect: { status: 200 }
        "#,
    );
    let down = "http://127.0.0.1:9";
    let through = Run::new().suite(&local).target(&fx).env("HTTP_PROXY", down).run();
    through.assert_exit(1);
    let past = Run::new().suite(&local).target(&fx).env("HTTP_PROXY", down).env("NO_PROXY", "127.0.0.1").run();
    past.assert_exit(0);
    past.case("straight to the target").assert_passed();
}
