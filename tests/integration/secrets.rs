//! No secret value reaches any output: the terminal (also with `-v`), JUnit, JSON, error
//! messages and URLs; whether it came from `secrets:`, an Authorization header or a cookie.
//! (`Run::secret` makes `support.rs` search every output for the value and its URL form.)

use crate::support::*;

/// A suite that uses the password, a bearer token and the session cookie everywhere it can,
/// and fails in every place a secret could leak from.
fn leaky_suite() -> Suite {
    Suite::new("leaky").yaml(
        r#"
        name: leaky
        base_url: ${{ env.BASE_URL }}
        secrets: [SMOKE_PASSWORD]
        checks:
          - name: log in with a form
            request:
              method: POST
              url: /login
              form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
              follow_redirects: false
            expect: { status: 200 }
          - name: the session cookie is echoed back
            request: GET /echo
            expect: { status: 201 }
          - name: secret in a failing URL and header
            request:
              url: /echo/${{ secrets.SMOKE_PASSWORD }}?pw=${{ secrets.SMOKE_PASSWORD }}
              headers: { x-password: "${{ secrets.SMOKE_PASSWORD }}" }
            expect: { status: 201, body: { contains: "${{ secrets.SMOKE_PASSWORD }}-nope" } }
          - name: secret in an expected value
            request: GET /version
            expect: { json: { $.commit: "${{ secrets.SMOKE_PASSWORD }}" } }
          - name: a bearer token from JSON
            cookies: isolated
            steps:
              - request:
                  method: POST
                  url: /api/login
                  json: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
                capture: { token: $.token, session: { cookie: session } }
              - request:
                  url: /echo?token=${{ token }}
                  auth: { bearer: "${{ token }}" }
                  headers: { x-session: "${{ session }}" }
                expect: { status: 201 }
          - name: the password at an unreachable host
            request: { url: "http://127.0.0.1:${{ closed_port }}/login?pw=${{ secrets.SMOKE_PASSWORD }}", timeout: 2s }
          - name: basic auth echoed back
            request:
              url: /echo
              auth: { basic: { user: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" } }
            expect: { status: 201 }
        "#,
    )
}

#[test]
fn no_secret_appears_in_any_output_of_a_failing_run() {
    use base64::Engine;
    let fx = app();
    for verbose in [false, true] {
        let mut run = Run::new()
            .suite(&leaky_suite())
            .target(&fx)
            .secret("SMOKE_PASSWORD", "hunter2-smoke")
            .forbid(&base64::engine::general_purpose::STANDARD.encode("smoke-bot:hunter2-smoke"))
            .arg("--var")
            .arg(format!("closed_port={}", closed_port()));
        if verbose {
            run = run.arg("-v");
        }
        let done = run.run();
        done.assert_exit(1);
        assert_eq!(done.summary().failed + done.summary().errors, 7, "{}", done.output());
        done.assert_no_session_tokens();
        // They were really used: the fixture saw the logins, and the masked places show `***`.
        let echoed = done.case("the session cookie is echoed back").expect("failure", "assertion");
        assert!(echoed.text.contains("session=***"), "{}", echoed.text);
        let url = done.case("secret in a failing URL and header").expect("failure", "assertion");
        assert!(url.text.contains("/echo/***?pw=***"), "{}", url.text);
        let bearer = done.case("a bearer token from JSON").expect("failure", "assertion");
        assert!(bearer.text.contains("Bearer ***"), "{}", bearer.text);
        done.case("the password at an unreachable host").expect("error", "connection");
        if verbose {
            // The step logs were printed, so they were searched for the secrets too.
            done.assert_stdout_has("→ POST");
            done.assert_stdout_has("captured token = \"***\"");
        }
    }
    assert!(fx.session_count() >= 2);
}

#[test]
fn secrets_are_masked_in_load_errors() {
    let suite = Suite::new("badload").yaml(
        r#"
        name: badload
        base_url: http://127.0.0.1:9
        secrets: [API_KEY]
        checks:
          - name: a URL made of the secret
            request: GET ${{ secrets.API_KEY }}
        "#,
    );
    // The value is not a URL, so the compiler complains about it.
    for run in [Run::new(), Run::validate()] {
        let done = run.suite(&suite).secret("API_KEY", "k3y abcdef-0123").run();
        done.assert_exit(2);
        done.assert_stderr_has("is not a valid URL");
        done.assert_stderr_has(&suite.at("request: GET", "GET"));
        if done.junit.is_some() {
            done.case("[load]").expect("error", "load");
        }
    }
}

#[test]
fn a_secret_with_url_special_characters_is_masked_in_urls() {
    let fx = app();
    let suite = Suite::new("encoded").yaml(
        r#"
        name: encoded
        base_url: ${{ env.BASE_URL }}
        secrets: [TOKEN]
        checks:
          - name: secret in the path and query
            request: GET /echo/${{ secrets.TOKEN }}?t=${{ secrets.TOKEN }}
            expect: { status: 201 }
        "#,
    );
    let done = Run::new()
        .suite(&suite)
        .target(&fx)
        .secret("TOKEN", "s3cr@t w0rd/x")
        .forbid("s3cr@t%20w0rd/x")
        .forbid("s3cr@t w0rd")
        .run();
    done.assert_exit(1);
}

/// The secret of `every_promised_encoding_of_a_secret_is_masked_in_every_output`: every
/// character that some encoding changes.
const HOSTILE_SECRET: &str = "Zq7s3cr3t-ä'<b>\"{#&}+ x";

/// A target that answers every request with a 500 whose body repeats the secret in every
/// encoding a server might use; `/cut` answers with the secret cut in two by `max_body`.
fn echoing_server(secret: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&got).into_owned();
            let (ctype, body) = if request.starts_with("GET /cut") {
                ("text/plain", format!("{}{secret}", "x".repeat(2000)))
            } else {
                let json = serde_json::to_string(secret).unwrap_or_default();
                let ascii: String = json
                    .chars()
                    .map(|c| if c.is_ascii() { c.to_string() } else { format!("\\u{:04x}", c as u32) })
                    .collect();
                let html =
                    secret.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
                let pct: String = secret
                    .bytes()
                    .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02x}") })
                    .collect();
                let body = format!(
                    "<html><body><p>{}</p><input value=\"{}\"><script>var s = {ascii}; var t = {json};</script>\n<a href=\"/x?pw={pct}\">{}</a></body></html>",
                    html.replace('\'', "&#x27;"),
                    html.replace('\'', "&#39;"),
                    html
                );
                ("text/html", body)
            };
            let head = format!(
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: {ctype}; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body.as_bytes());
        }
    });
    port
}

#[test]
fn every_promised_encoding_of_a_secret_is_masked_in_every_output() {
    let port = echoing_server(HOSTILE_SECRET);
    let suite = Suite::new("echo").yaml(&format!(
        r#"
        name: echo
        base_url: http://127.0.0.1:{port}
        secrets: [LEAK]
        defaults: {{ max_body: 2006 }}
        checks:
          - name: echoed in every encoding
            request:
              method: POST
              url: /echo?pw=${{{{ secrets.LEAK }}}}
              headers: {{ x-pw: "${{{{ secrets.LEAK }}}}" }}
              json: {{ pw: "${{{{ secrets.LEAK }}}}" }}
            expect: {{ status: 200 }}
          - name: cut in two by max_body
            request: GET /cut
            expect: {{ status: 200 }}
        "#
    ));
    for verbose in [false, true] {
        let mut run = Run::new().suite(&suite).secret("LEAK", HOSTILE_SECRET);
        if verbose {
            run = run.arg("-v");
        }
        // `run()` searches stdout, stderr, the JUnit, the JSON and every artifact for each
        // promised form of the secret.
        let done = run.run();
        done.assert_exit(1);
        done.case("echoed in every encoding").expect("failure", "assertion");
        let cut = done.case("cut in two by max_body").expect("failure", "assertion");
        // The body was cut six characters into the secret: that start is masked too.
        assert!(cut.text.contains("xxx***"), "{}", cut.text);
        let saved = done.json_case("echoed in every encoding")["attachments"].as_array().map(Vec::len);
        assert_eq!(saved, Some(1), "the failing response is saved (masked) for the reader");
        for (what, text) in done.outputs() {
            assert!(!text.contains("Zq7s3c"), "the start of the cut secret appears in {what}:\n{text}");
        }
    }
}
