//! Browser checks against a real headless Chromium through a real chromedriver (Debian's
//! `chromium` and `chromium-driver`), and through a real Selenium Grid 4. A test whose browser,
//! driver, Java or jar is missing is skipped with the reason, and fails under `CI=true`
//! (`support::Need`); this binary uses the `libtest-mimic` harness so that a skip shows as one.

#[path = "../fixture/mod.rs"]
mod fixture;
#[path = "../common/mod.rs"]
mod support;

use fixture::{Fixture, FixtureConfig};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const PASSWORD: &str = "hunter2-smoke";

fn main() {
    run_tests(tests![
        BROWSER => [
            bundled_browser_suite_logs_in_uploads_and_cleans_up,
            page_that_disagrees_with_the_api_fails_with_a_screenshot_in_junit,
            wrong_text_missing_element_and_waiting_out_fail_each_with_their_reason,
            form_controls_keys_hover_eval_and_captures,
            fill_replaces_what_a_field_holds_with_trusted_input_and_fails_on_a_field_it_cannot_fill,
            an_element_hidden_in_any_way_is_never_clicked_or_filled,
            a_click_that_leaves_the_page_is_judged_on_the_page_it_opened,
            an_upload_gives_the_page_the_file_with_trusted_input_and_change_events,
            eval_says_how_its_script_is_written_and_undefined_is_no_value,
            selectors_and_link_texts_are_interpolated_at_load,
            console_errors_fail_only_when_asked_for,
            cookies_cross_between_http_and_browser_both_ways,
            a_check_sees_no_cookie_or_storage_an_earlier_check_left_in_the_browser,
            sigint_mid_check_writes_the_report_and_leaves_no_browser_behind,
            the_run_deadline_mid_check_writes_the_report_and_leaves_no_browser_behind,
            a_driver_killed_mid_run_is_an_error_and_the_run_goes_on,
            a_target_that_is_down_is_an_error_never_a_pass,
            a_visibility_that_cannot_be_read_is_never_hidden,
            a_page_that_never_loads_ends_at_its_timeout,
            a_page_that_never_loads_stops_at_the_run_deadline,
            checks_whose_names_differ_only_in_case_keep_their_own_artifacts,
            a_visible_error_ends_a_waiting_see_at_once_and_a_good_page_still_passes,
            console_errors_and_uncaught_exceptions_fail_through_bidi,
            console_errors_in_a_worker_or_a_frame_fail_in_a_fresh_and_a_kept_browser,
            failed_requests_fail_unless_allowed_and_leave_a_har,
            a_goto_that_lands_on_an_error_status_fails_unless_that_status_is_expected,
            the_network_log_masks_secrets_in_urls_and_headers,
            a_kept_browser_check_judges_only_its_own_console_and_network,
        ],
        GRID => [navigation_assertions_and_upload_work_through_selenium_grid],
        &[] => [a_missing_driver_is_an_error_that_says_how_to_install_it],
    ])
}

/// `shakedown run` against the fixture, with the password, a commit, the smoke fixture file
/// next to the suites, every page kept on 127.0.0.1, and a marker in the environment that
/// every process shakedown starts inherits (see [`marked_processes`]).
fn browser_run(fx: &Fixture, marker: &str) -> Run {
    let png = std::fs::read(repo().join("suites/fixtures/smoke.png")).expect("the smoke fixture file");
    Run::new()
        .target(fx)
        .secret("SMOKE_PASSWORD", PASSWORD)
        .env("GIT_SHA", "c0ffee1")
        .env("SHAKEDOWN_TEST_MARKER", marker)
        .file("fixtures/smoke.png", png)
        .arg(BROWSER_ONLY_LOOPBACK)
}

/// Runs a suite to the end, and checks that nothing shakedown started outlives it.
fn run_suite(fx: &Fixture, suite: &Suite, args: &[&str]) -> Done {
    let marker = unique("sdtest");
    let done = browser_run(fx, &marker).suite(suite).args(args).run();
    assert_no_orphans(&marker);
    done
}

/// The bundled `suites/browser.yaml`.
fn bundled_browser_suite() -> Suite {
    Suite::new("browser").raw(&std::fs::read_to_string(repo().join("suites/browser.yaml")).expect("bundled suite"))
}

/// Live (not zombie) processes whose environment carries the marker: everything shakedown
/// started inherits it, chromedriver and Chromium included.
fn marked_processes(marker: &str) -> Vec<String> {
    let needle = format!("SHAKEDOWN_TEST_MARKER={marker}");
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for e in entries.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        if !env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()).unwrap_or("?");
        if state == "Z" || state == "X" {
            continue;
        }
        let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().replace('\0', " ");
        found.push(format!("{pid} [{state}] {}", cmd.chars().take(120).collect::<String>()));
    }
    found
}

/// After shakedown exits, nothing it started may still run (a moment is allowed for exits).
fn assert_no_orphans(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = marked_processes(marker);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes started by shakedown are still running:\n{}", left.join("\n"));
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fixture() -> Fixture {
    Fixture::start(FixtureConfig { https: false, ..FixtureConfig::default() })
}

fn bundled_browser_suite_logs_in_uploads_and_cleans_up() {
    let fx = fixture();
    let suite = bundled_browser_suite();
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert!(run.stdout.contains("PASS  browser › log in and upload a file through the browser"), "{}", run.show());
    assert!(
        run.junit_str().contains("tests=\"3\"") && run.junit_str().contains("failures=\"0\" errors=\"0\""),
        "{}",
        run.show()
    );
    // The upload really happened through the page, and the teardown removed it.
    assert!(fx.hits("/upload") >= 2, "the upload page was not used");
    assert_eq!(fx.file_count(), 0, "the teardown did not delete the uploaded file");
    assert!(!run.stdout.contains(PASSWORD) && !run.junit_str().contains(PASSWORD));
}

fn page_that_disagrees_with_the_api_fails_with_a_screenshot_in_junit() {
    let fx = fixture();
    let suite = Suite::new("roles").raw(
        r##"name: roles
base_url: ${{ env.BASE_URL }}
secrets: [SMOKE_PASSWORD]
checks:
  - name: log in over HTTP
    request:
      method: POST
      url: /login
      form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
      follow_redirects: false
    expect: { status: 303 }
  - name: role on the broken page matches the API
    steps:
      - request: GET /api/me
        capture: { role: { json: "$.roles[0]" } }
      - goto: /broken/dashboard
      - see: { selector: .role, text: "${{ role }}" }
        timeout: 1s
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let case = run.case_xml("role on the broken page matches the API");
    assert!(case.contains("<failure") && case.contains("type=\"assertion\""), "{case}");
    assert!(case.contains("text of .role: expected &quot;maintainer&quot;, got &quot;viewer&quot;"), "{case}");
    assert!(case.contains("line=\"12\""), "the testcase should point at the check: {case}");
    assert!(case.contains("roles.yaml:17:39"), "the failure should point at the `see` step's text: {case}");
    // The screenshot is the first attachment, and it is a real PNG.
    let first = case
        .split("[[ATTACHMENT|")
        .nth(1)
        .and_then(|s| s.split("]]").next())
        .unwrap_or_else(|| panic!("no attachment: {case}"));
    assert!(first.ends_with("failure.png"), "the screenshot must come first: {case}");
    let png = std::fs::read(run.dir().join(first)).expect("screenshot file");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let html = std::fs::read_to_string(run.dir().join(first.replace("failure.png", "page.html"))).expect("page html");
    assert!(html.contains("viewer"));
    assert!(!html.contains(PASSWORD) && !run.junit_str().contains(PASSWORD));
    // The HTTP login's cookie reached the browser: it saw the dashboard, not the login form.
    assert!(case.contains("/broken/dashboard"), "{case}");
}

fn wrong_text_missing_element_and_waiting_out_fail_each_with_their_reason() {
    let fx = fixture();
    let suite = Suite::new("wrong").raw(
        r##"name: wrong
base_url: ${{ env.BASE_URL }}
browser: { timeout: 700ms }
checks:
  - name: wrong text
    browser:
      - goto: /products
      - see: { selector: "li.product", text: Anvils }
  - name: missing element
    browser:
      - goto: /products
      - click: "#buy-now"
      - see: h1
  - name: content that comes too late
    browser:
      - goto: /delayed
      - see: { selector: "#late", text: Ready }
        timeout: 200ms
  - name: page title and url
    browser:
      - goto: /products
      - see: { title: { contains: Products }, url: { matches: "/products$" } }
      - see: { selector: li.product, count: 3 }
      - see: { selector: li.product, attr: { data-sku: A1 } }
      - see: { text: Catapult }
  - name: wrong attribute
    browser:
      - goto: /products
      - see: { selector: li.product, attr: { data-sku: Z9 } }
        timeout: 300ms
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let wrong = run.case_xml("wrong text");
    assert!(
        wrong.contains("<failure") && wrong.contains("expected &quot;Anvils&quot;, got &quot;Anvil&quot;"),
        "{wrong}"
    );
    let missing = run.case_xml("missing element");
    assert!(missing.contains("<failure") && missing.contains("`#buy-now` matches nothing"), "{missing}");
    assert!(missing.contains("line=\"9\""), "{missing}");
    assert!(
        missing.contains("wrong.yaml:12:9") && missing.contains("page:") && missing.contains("/products"),
        "a failure names its step and page: {missing}"
    );
    let late = run.case_xml("content that comes too late");
    assert!(late.contains("<failure") && late.contains("text of #late"), "{late}");
    let ok = run.case_xml("page title and url");
    assert!(!ok.contains("<failure") && !ok.contains("<error"), "{ok}");
    let attr = run.case_xml("wrong attribute");
    assert!(attr.contains("<failure") && attr.contains("data-sku") && attr.contains("A1"), "{attr}");
    assert!(run.stdout.contains("1 passed, 4 failed, 0 errors"), "{}", run.show());
}

fn form_controls_keys_hover_eval_and_captures() {
    let fx = fixture();
    let suite = Suite::new("widgets").raw(
        r##"name: widgets
base_url: ${{ env.BASE_URL }}
checks:
  - name: every kind of step
    browser:
      - goto: /widgets
      - select: { "#plan": Professional }
      - check: "#terms"
      - fill: { "#search": anvil }
      - press: { selector: "#search", key: Enter }
      - see: { selector: "#summary", text: plan=pro terms=true searched=anvil }
      - uncheck: "#terms"
      - see: { selector: "#summary", text: { contains: terms=false } }
      - hover: "#menu"
      - wait_for: { selector: "#submenu", state: visible }
      - eval: { expression: "document.querySelectorAll('option').length", expect: 2, capture: options }
      - capture: { link: { selector: "#to-products", attr: href }, heading: h1 }
      - click: link=All products
      - wait_for: { url: /products }
  - name: captured values are usable by HTTP steps
    request: GET /echo?options=${{ options }}&heading=${{ heading }}
    expect: { json: { $.query.options: "2", $.query.heading: Widgets } }
"##,
    );
    let run = run_suite(&fx, &suite, &["-v"]);
    assert_eq!(run.code, 0, "{}", run.show());
}

/// `fill` replaces what a field holds (never appends to it), with input events the page sees
/// as trusted; a field that rewrites or cuts what is typed ends as typing would leave it; and a
/// field that is disabled, hidden or missing fails the check, never passes it.
fn fill_replaces_what_a_field_holds_with_trusted_input_and_fails_on_a_field_it_cannot_fill() {
    let fx = fixture();
    let values = r#"JSON.stringify(['prefilled', 'watched', 'upper', 'short', 'note', 'count'].map(i => document.getElementById(i).value).concat([document.getElementById('editor').innerText]))"#;
    let suite = Suite::new("fields").raw(&format!(
        r##"name: fields
base_url: ${{{{ env.BASE_URL }}}}
checks:
  - name: every kind of field
    browser:
      - goto: /fields
      - fill: {{ "#prefilled": new text, "#watched": abc, "#upper": shout, "#short": abcdef, "#note": "one\ntwo", "#count": "42", "#editor": written }}
      - see: {{ selector: "#events", text: input value=abc }}
      - eval: {{ expression: "{values}", expect: '["new text","abc","SHOUT","abc","one\ntwo","42","written"]' }}
  - name: a disabled field
    browser:
      - goto: /fields
      - fill: {{ "#off": something }}
      - see: h1
  - name: a missing field
    browser:
      - goto: /fields
      - fill: {{ "#nowhere": something }}
      - see: h1
"##,
        values = values.replace('"', "\\\"")
    ));
    let run = run_suite(&fx, &suite, &["-v", "--timeout", "60s"]);
    assert_eq!(run.code, 1, "{}", run.show());
    let ok = run.case_xml("every kind of field");
    assert!(!ok.contains("<failure") && !ok.contains("<error"), "{ok}");
    for (name, needle) in [("a disabled field", "#off"), ("a missing field", "matches nothing")] {
        let c = run.case_xml(name);
        assert!((c.contains("<failure") || c.contains("<error")) && c.contains(needle), "{name}: {c}");
    }
}

/// Elements are found by a script over BiDi that tells which are surely displayed; what it
/// cannot tell is asked of WebDriver. An element hidden in any way WebDriver knows is never
/// clicked or filled: the step fails, saying it is not visible (a covered button, displayed
/// but not clickable, fails as well), and the one shown button is clicked.
fn an_element_hidden_in_any_way_is_never_clicked_or_filled() {
    let fx = fixture();
    let hidden = ["gone", "invisible", "faded", "flat", "away", "clipped", "attr-hidden"];
    let mut yaml = String::from(
        "name: hidden\nbase_url: ${{ env.BASE_URL }}\nchecks:\n  - name: shown\n    browser:\n      - goto: /hidden-ways\n      - click: \"#shown\"\n      - see: { selector: \"#clicked\", text: shown }\n",
    );
    for id in hidden.iter().chain(&["covered"]) {
        yaml.push_str(&format!(
            "  - name: click {id}\n    browser:\n      - goto: /hidden-ways\n      - click: \"#{id}\"\n        timeout: 400ms\n      - see: {{ selector: \"#clicked\", text: none }}\n"
        ));
    }
    for id in ["faded-field", "hidden-field"] {
        yaml.push_str(&format!(
            "  - name: fill {id}\n    browser:\n      - goto: /hidden-ways\n      - fill: {{ \"#{id}\": typed }}\n        timeout: 400ms\n      - see: h1\n"
        ));
    }
    let suite = Suite::new("hidden").raw(&yaml);
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let ok = run.case_xml("shown");
    assert!(!ok.contains("<failure") && !ok.contains("<error"), "{ok}");
    for id in hidden {
        let c = run.case_xml(&format!("click {id}"));
        assert!(c.contains("<failure") && c.contains(&format!("`#{id}` is not visible")), "click {id}: {c}");
    }
    for id in ["faded-field", "hidden-field"] {
        let c = run.case_xml(&format!("fill {id}"));
        assert!(c.contains("<failure") && c.contains(&format!("`#{id}` is not visible")), "fill {id}: {c}");
    }
    let covered = run.case_xml("click covered");
    assert!(covered.contains("<failure") || covered.contains("<error"), "a covered button was clicked: {covered}");
    assert!(run.stdout.contains("1 passed, "), "{}", run.show());
}

/// A click waits for the page it opened, by a form, a link or a script sending a form,
/// however slowly that page comes: what comes after it never judges the page being left (which
/// says `before` for another 1.9 s). An `eval` right after the click, judged once, reads the
/// page it finds; a `see` for what only the old page shows fails. A click that opens nothing,
/// one below the fold and two quick clicks (two clicks, not a double click) work as a user's
/// would.
fn a_click_that_leaves_the_page_is_judged_on_the_page_it_opened() {
    let fx = fixture();
    let mut yaml = String::from("name: leave\nbase_url: ${{ env.BASE_URL }}\nchecks:\n");
    let check = |name: &str, steps: &str| format!("  - name: {name}\n    browser:\n      - goto: /slow-leave\n{steps}");
    let state = r#"String(document.querySelector('#state') && document.querySelector('#state').textContent)"#;
    for how in ["post", "link", "js"] {
        yaml.push_str(&check(
            &format!("{how} opens"),
            &format!("      - click: \"#{how}\"\n      - eval: {{ expression: \"{state}\", expect: after }}\n"),
        ));
        yaml.push_str(&check(
            &format!("{how} leaves before"),
            &format!("      - click: \"#{how}\"\n      - see: {{ selector: \"#state\", text: before }}\n        timeout: 300ms\n"),
        ));
    }
    yaml.push_str(&check("stay", "      - click: \"#stay\"\n      - see: { selector: \"#state\", text: stayed }\n"));
    yaml.push_str(&check("low", "      - click: \"#low\"\n      - see: { selector: \"#state\", text: low }\n"));
    yaml.push_str(&check("twice", "      - click: \"#twice\"\n      - click: \"#twice\"\n      - see: { selector: \"#count\", text: \"2 clicks, 0 double\" }\n"));
    let suite = Suite::new("leave").raw(&yaml);
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    for name in ["post opens", "link opens", "js opens", "stay", "low", "twice"] {
        let c = run.case_xml(name);
        assert!(!c.contains("<failure") && !c.contains("<error"), "{name}: {c}");
    }
    for name in ["post leaves before", "link leaves before", "js leaves before"] {
        let c = run.case_xml(name);
        assert!(c.contains("<failure") && c.contains("before"), "{name} judged the page it left: {c}");
    }
}

/// `upload` sets a file input's files (over BiDi when it can) as a user picking the file
/// would: the page gets trusted `input` and `change` events and reads the file's real size. A
/// wrong expectation of what the page shows still fails.
fn an_upload_gives_the_page_the_file_with_trusted_input_and_change_events() {
    let fx = fixture();
    let size = std::fs::metadata(repo().join("suites/fixtures/smoke.png")).expect("the smoke fixture file").len();
    let suite = Suite::new("pick").raw(&format!(
        r##"name: pick
base_url: ${{{{ env.BASE_URL }}}}
checks:
  - name: picked
    browser:
      - goto: /pick-file
      - upload: {{ "#pick": fixtures/smoke.png }}
      - see: {{ selector: "#picked", text: "input smoke.png {size}, change smoke.png {size}" }}
  - name: a wrong size is not seen
    browser:
      - goto: /pick-file
      - upload: {{ "#pick": fixtures/smoke.png }}
      - see: {{ selector: "#picked", text: "input smoke.png 1, change smoke.png 1" }}
        timeout: 500ms
"##
    ));
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let ok = run.case_xml("picked");
    assert!(!ok.contains("<failure") && !ok.contains("<error"), "{ok}");
    let wrong = run.case_xml("a wrong size is not seen");
    assert!(wrong.contains("<failure") && wrong.contains(&format!("change smoke.png {size}")), "{wrong}");
}

/// An arrow function with a block body is an expression whose value is the result, not a
/// function body to run as is (which returned nothing, so `not_contains` held); `undefined` is
/// no value, so `exists: true` fails on it.
fn eval_says_how_its_script_is_written_and_undefined_is_no_value() {
    let fx = fixture();
    let suite = Suite::new("eval").raw(
        r##"name: eval
base_url: ${{ env.BASE_URL }}
checks:
  - name: arrow function with a block body
    browser:
      - goto: /widgets
      - eval: { expression: "(() => { return document.querySelector('h1').textContent; })()", expect: { not_contains: Widgets } }
  - name: undefined exists
    browser:
      - goto: /widgets
      - eval: { expression: "undefined", expect: { exists: true } }
  - name: a function body without return
    browser:
      - goto: /widgets
      - eval: { script: "document.title", expect: { not_contains: nothing-like-this } }
  - name: what holds
    browser:
      - goto: /widgets
      - eval: { script: "const n = 2;\nreturn n * 2;", expect: 4, capture: four }
      - eval: { expression: "(() => { return document.querySelector('h1').textContent; })()", expect: Widgets }
      - eval: { expression: "undefined", expect: { exists: false } }
      - eval: { expression: "null", expect: { exists: true, equals: null } }
      - eval: "window.no_such_thing"
      - eval: { expression: "1 + 1 // a comment at the end", expect: 2 }
  - name: undefined cannot be captured
    browser:
      - goto: /widgets
      - eval: { script: "let x = 1;", capture: nothing }
      - see: h1
  - name: a promise is awaited
    browser:
      - goto: /widgets
      - eval: { expression: "new Promise(r => setTimeout(() => r(41), 200))", expect: 42 }
  - name: a rejected promise
    browser:
      - goto: /widgets
      - eval: { script: "return Promise.reject(new Error('no luck'))" }
      - see: h1
  - name: what a promise gives holds
    browser:
      - goto: /widgets
      - eval: { expression: "new Promise(r => setTimeout(() => r(42), 200))", expect: 42 }
      - eval: { script: "return fetch('/widgets').then(r => r.status)", expect: 200 }
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    for (name, needle) in [
        ("arrow function with a block body", "Widgets"),
        ("undefined exists", "a value"),
        ("a function body without return", "no such value"),
        ("undefined cannot be captured", "nothing to capture as `nothing`"),
        ("a promise is awaited", "41"),
        ("a rejected promise", "no luck"),
    ] {
        let c = run.case_xml(name);
        assert!(c.contains("<failure") && c.contains(needle), "{name}: {c}");
    }
    for name in ["what holds", "what a promise gives holds"] {
        let ok = run.case_xml(name);
        assert!(!ok.contains("<failure") && !ok.contains("<error"), "{name}: {ok}");
    }
}

/// `${{ }}` in browser targets (CSS and `link=`) is filled in when the suite loads.
fn selectors_and_link_texts_are_interpolated_at_load() {
    let fx = fixture();
    let suite = Suite::new("targets").raw(
        r##"name: targets
base_url: ${{ env.BASE_URL }}
vars: { link: All products, summary: summary }
checks:
  - name: interpolated targets
    browser:
      - goto: /widgets
      - check: "#${{ env.TERMS_ID }}"
      - see: { selector: "#${{ vars.summary }}", text: { contains: terms=true } }
      - click: "link=${{ link }}"
      - wait_for: { url: /products }
"##,
    );
    let marker = unique("sdtest");
    let run = browser_run(&fx, &marker).env("TERMS_ID", "terms").suite(&suite).run();
    assert_no_orphans(&marker);
    assert_eq!(run.code, 0, "{}", run.show());
}

fn console_errors_fail_only_when_asked_for() {
    let fx = fixture();
    let suite = Suite::new("console").raw(
        r##"name: console
base_url: ${{ env.BASE_URL }}
checks:
  - name: page with a console error
    browser:
      - goto: /console-error
      - no_console_errors: true
  - name: page without one
    browser:
      - goto: /products
      - no_console_errors: true
  - name: errors are ignored unless asked about
    browser:
      - goto: /console-error
      - see: { selector: h1, text: Console error }
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let bad = run.case_xml("page with a console error");
    assert!(bad.contains("<failure") && bad.contains("type=\"console\"") && bad.contains("boom from fixture"), "{bad}");
    for name in ["page without one", "errors are ignored unless asked about"] {
        let c = run.case_xml(name);
        assert!(!c.contains("<failure") && !c.contains("<error"), "{c}");
    }
}

fn cookies_cross_between_http_and_browser_both_ways() {
    let fx = fixture();
    let suite = Suite::new("handoff").raw(
        r##"name: handoff
base_url: ${{ env.BASE_URL }}
secrets: [SMOKE_PASSWORD]
checks:
  - name: browser logs in
    browser:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": "${{ secrets.SMOKE_PASSWORD }}" }
      - click: button[type=submit]
      - wait_for: { url: /dashboard }
  - name: HTTP uses the browser's session
    request: GET /api/me
    expect: { status: 200, json: { $.username: smoke-bot } }
  - name: a fresh browser starts with the HTTP session
    browser:
      - goto: /dashboard
      - see: { selector: .role, text: maintainer }
  - name: an isolated check has no session
    cookies: isolated
    request: GET /api/me
    expect: { status: 401 }
  - name: within one check, both ways
    cookies: isolated
    steps:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": "${{ secrets.SMOKE_PASSWORD }}" }
      - click: button[type=submit]
      - wait_for: { url: /dashboard }
      - request: GET /api/me
        expect: { status: 200 }
      - request: { method: POST, url: /logout }
        expect: { status: 204 }
      - request:
          method: POST
          url: /login
          form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
          follow_redirects: false
        expect: { status: 303 }
        capture: { fresh: { cookie: session } }
      - goto: /dashboard
      - see: { selector: .role, text: maintainer }
      - eval: { expression: "document.cookie.length >= 0", expect: true }
"##,
    );
    let run = run_suite(&fx, &suite, &["-v"]);
    assert_eq!(run.code, 0, "{}", run.show());
    // The typed password never shows, and the fill step says so.
    assert!(run.junit_str().contains("fill #password = ***"), "{}", run.show());
    assert!(!run.junit_str().contains(PASSWORD) && !run.stdout.contains(PASSWORD));
}

/// Checks share a browser for the run, each in a user context of its own: what one check
/// leaves in the browser (a cookie, localStorage, sessionStorage) the next one, in the same
/// pool slot, does not see; and its tab has the window size a fresh browser has. Both keep
/// their cookies from the HTTP jar, which would otherwise hand the first one's cookie to the
/// second on purpose.
fn a_check_sees_no_cookie_or_storage_an_earlier_check_left_in_the_browser() {
    let fx = fixture();
    let suite = Suite::new("isolation").raw(
        r##"name: isolation
base_url: ${{ env.BASE_URL }}
checks:
  - name: leaves things behind
    cookies: isolated
    browser:
      - goto: /products
      - eval: "document.cookie = 'left=behind; path=/; max-age=3600'"
      - eval: "localStorage.setItem('left', 'behind')"
      - eval: "sessionStorage.setItem('left', 'behind')"
      - eval: { expression: "document.cookie", expect: { contains: left=behind } }
      - eval: { expression: "localStorage.getItem('left')", expect: behind }
      - eval: { expression: "sessionStorage.getItem('left')", expect: behind }
  - name: finds nothing left
    cookies: isolated
    browser:
      - goto: /products
      - eval: { expression: "[document.cookie, localStorage.length, sessionStorage.length].join('|')", expect: "|0|0" }
      - eval: { expression: "document.cookie", expect: "" }
      - eval: { expression: "localStorage.getItem('left')", expect: null }
      - eval: { expression: "sessionStorage.getItem('left')", expect: null }
      - eval: { expression: "window.innerWidth", expect: 1280 }
"##,
    );
    // One Chromium kept for both checks (the default), each in a user context of its own.
    let run = run_suite(&fx, &suite, &["--browsers", "1"]);
    assert_eq!(run.code, 0, "{}", run.show());
    for name in ["leaves things behind", "finds nothing left"] {
        let c = run.case_xml(name);
        assert!(!c.contains("<failure") && !c.contains("<error"), "{name}: {c}");
    }
}

fn a_missing_driver_is_an_error_that_says_how_to_install_it() {
    let fx = fixture();
    let suite = Suite::new("nodriver").raw(
        r##"name: nodriver
base_url: ${{ env.BASE_URL }}
checks:
  - name: http still runs
    request: GET /health
    expect: { status: 200 }
  - name: needs a browser
    browser:
      - goto: /products
      - see: h1
  - name: http after it still runs
    request: GET /health
    expect: { status: 200 }
"##,
    );
    let run = run_suite(&fx, &suite, &["--chromedriver", "/nonexistent/chromedriver"]);
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case_xml("needs a browser");
    assert!(c.contains("<error") && c.contains("type=\"driver\""), "{c}");
    assert!(c.contains("apt-get install chromium-driver"), "the message should say how to fix it: {c}");
    assert!(run.stdout.contains("2 passed, 0 failed, 1 errors"), "{}", run.show());
}

/// Starts a run whose browser check waits a long time, and returns once Chromium is up.
fn start_long_browser_run(fx: &Fixture, marker: &str, extra: &[&str]) -> Running {
    let suite = Suite::new("long").raw(
        r##"name: long
base_url: ${{ env.BASE_URL }}
checks:
  - name: waits for what never comes
    browser:
      - goto: /products
      - see: { selector: "#never" }
        timeout: 60s
  - name: after it
    request: GET /health
    expect: { status: 200 }
"##,
    );
    let running = browser_run(fx, marker).suite(&suite).args(extra).spawn();
    let deadline = Instant::now() + Duration::from_secs(30);
    while fx.hits("/products") == 0 {
        assert!(Instant::now() < deadline, "the browser never loaded the page");
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}

fn sigint_mid_check_writes_the_report_and_leaves_no_browser_behind() {
    let fx = fixture();
    let marker = unique("sdtest");
    let running = start_long_browser_run(&fx, &marker, &[]);
    assert!(
        marked_processes(&marker).iter().any(|p| p.contains("chrom")),
        "no browser process was found while the check ran"
    );
    let started = Instant::now();
    running.signal("INT");
    let run = running.finish(Duration::from_secs(60));
    assert!(started.elapsed() < Duration::from_secs(20), "the run took {:?} to stop", started.elapsed());
    assert_eq!(run.code, 130, "{}", run.show());
    let c = run.case_xml("waits for what never comes");
    assert!(c.contains("<error") && c.contains("type=\"interrupted\""), "{c}");
    let after = run.case_xml("after it");
    assert!(after.contains("type=\"interrupted\""), "{after}");
    assert_no_orphans(&marker);
}

fn the_run_deadline_mid_check_writes_the_report_and_leaves_no_browser_behind() {
    let fx = fixture();
    let marker = unique("sdtest");
    // A Chromium of the check's own here; the SIGINT test above has the default kept one.
    let running = start_long_browser_run(&fx, &marker, &["--timeout", "4s", "--browser-per-check"]);
    let run = running.finish(Duration::from_secs(60));
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case_xml("waits for what never comes");
    assert!(c.contains("<error") && c.contains("type=\"interrupted\"") && c.contains("--timeout"), "{c}");
    assert_no_orphans(&marker);
}

fn a_driver_killed_mid_run_is_an_error_and_the_run_goes_on() {
    let fx = fixture();
    let marker = unique("sdtest");
    let running = start_long_browser_run(&fx, &marker, &[]);
    let driver: Vec<String> = marked_processes(&marker).into_iter().filter(|p| p.contains("chromedriver")).collect();
    let pid = driver
        .first()
        .and_then(|p| p.split_whitespace().next())
        .unwrap_or_else(|| panic!("no chromedriver running: {:?}", marked_processes(&marker)))
        .to_string();
    let status = Command::new("kill").args(["-KILL", &pid]).status().expect("kill");
    assert!(status.success());
    let run = running.finish(Duration::from_secs(60));
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case_xml("waits for what never comes");
    assert!(c.contains("<error"), "a dead driver is an error, not a failure: {c}");
    assert!(c.contains("type=\"driver\"") || c.contains("type=\"browser-crash\""), "{c}");
    let after = run.case_xml("after it");
    assert!(
        !after.contains("<error") && !after.contains("<failure"),
        "the run must go on after the driver dies: {after}"
    );
    assert_no_orphans(&marker);
}

struct Grid {
    child: std::process::Child,
    url: String,
}

impl Drop for Grid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_grid(marker: &str) -> Grid {
    let jar = selenium_jar().expect("the Selenium jar (the test needs Need::SeleniumJar)");
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port");
    let child = Command::new("java")
        .args(["-jar"])
        .arg(&jar)
        .args([
            "standalone",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--selenium-manager",
            "false",
            "--detect-drivers",
            "true",
            "--max-sessions",
            "2",
        ])
        .env("SHAKEDOWN_TEST_MARKER", marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the grid");
    let grid = Grid { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(90);
    while !http_get(port, "/status").contains("\"ready\": true") {
        assert!(Instant::now() < deadline, "Selenium Grid did not become ready");
        std::thread::sleep(Duration::from_millis(250));
    }
    grid
}

/// The response to `GET path` on 127.0.0.1:port, or "" when there is none (yet).
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return String::new() };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

fn navigation_assertions_and_upload_work_through_selenium_grid() {
    let marker = unique("sdtest");
    let grid = start_grid(&marker);
    let fx = fixture();
    let suite = bundled_browser_suite();
    let run = run_suite(&fx, &suite, &["--webdriver-url", &grid.url]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert!(fx.hits("/upload") >= 2, "the upload went through the grid's browser");
    assert_eq!(fx.file_count(), 0);
    // A remote session has no BiDi: what only its events can tell is an error, never a pass,
    // and the console is read as before (Chromium's log).
    let suite = Suite::new("no-bidi").raw(
        r##"name: no-bidi
base_url: ${{ env.BASE_URL }}
checks:
  - name: failed requests cannot be judged
    browser:
      - goto: /net/broken
      - no_failed_requests: true
  - name: a status cannot be judged
    browser:
      - goto: { url: /status/404, status: 404 }
      - see: { text: "404" }
  - name: the console is still read
    browser:
      - goto: /console-error
      - no_console_errors: true
"##,
    );
    let run = run_suite(&fx, &suite, &["--webdriver-url", &grid.url]);
    assert_eq!(run.code, 1, "{}", run.show());
    for name in ["failed requests cannot be judged", "a status cannot be judged"] {
        let c = run.case_xml(name);
        assert!(
            c.contains("<error") && c.contains("type=\"unsupported\"") && c.contains("needs WebDriver BiDi"),
            "{c}"
        );
    }
    let console = run.case_xml("the console is still read");
    assert!(console.contains("type=\"console\"") && console.contains("boom from fixture"), "{console}");
    drop(grid);
}

/// A browser that lands on its own error page has not reached the target: an error typed like
/// an HTTP transport error, even when the steps after it would have held on the error page.
fn a_target_that_is_down_is_an_error_never_a_pass() {
    let fx = tls_app();
    let closed = closed_port();
    let https = fx.https_url.clone().expect("the fixture serves HTTPS");
    let suite = Suite::new("down").raw(&format!(
        r##"name: down
base_url: ${{{{ env.BASE_URL }}}}
checks:
  - name: refused, then a negative assertion
    browser:
      - goto: http://127.0.0.1:{closed}/
      - see: {{ text: {{ not_contains: Error }} }}
  - name: refused, only a screenshot
    browser:
      - goto: http://127.0.0.1:{closed}/
      - screenshot: home
      - see: {{ text: {{ not_contains: Error }} }}
  - name: refused after a redirect
    browser:
      - goto: /redirect?to=http://127.0.0.1:{closed}/
      - see: {{ selector: "#banner", visible: false }}
  - name: unknown host
    browser:
      - goto: http://smoke.invalid/
      - see: {{ text: {{ not_contains: Error }} }}
  - name: untrusted certificate
    browser:
      - goto: {https}/products
      - see: {{ text: {{ not_contains: Error }} }}
  - name: the target itself is up
    browser:
      - goto: /products
      - see: {{ text: {{ not_contains: Error }} }}
"##
    ));
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    for (name, type_) in [
        ("refused, then a negative assertion", "connection"),
        ("refused, only a screenshot", "connection"),
        ("refused after a redirect", "connection"),
        ("unknown host", "dns"),
        ("untrusted certificate", "tls"),
    ] {
        let c = run.case_xml(name);
        assert!(c.contains("<error") && c.contains(&format!("type=\"{type_}\"")), "{name}: {c}");
    }
    let up = run.case_xml("the target itself is up");
    assert!(!up.contains("<failure") && !up.contains("<error"), "{up}");
    assert!(run.stdout.contains("1 passed, 0 failed, 5 errors"), "{}", run.show());
}

/// An element that goes stale while its visibility is read is "not yet", never "hidden": a
/// banner the page re-renders all the time is not hidden.
fn a_visibility_that_cannot_be_read_is_never_hidden() {
    let fx = fixture();
    let suite = Suite::new("flicker").raw(
        r##"name: flicker
base_url: ${{ env.BASE_URL }}
checks:
  - name: the error banner is hidden
    browser:
      - goto: /flicker
      - see: { selector: "#banner", visible: false }
        timeout: 1500ms
  - name: the error banner is not shown, waiting for it
    browser:
      - goto: /flicker
      - wait_for: { selector: "#banner", state: hidden }
        timeout: 1500ms
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    for name in ["the error banner is hidden", "the error banner is not shown, waiting for it"] {
        let c = run.case_xml(name);
        assert!(c.contains("<failure") || c.contains("<error"), "a visible banner read as hidden: {c}");
    }
    assert!(run.stdout.contains("0 passed"), "{}", run.show());
}

/// A page whose HTML arrives but whose image never does: `goto` gives up at its timeout, and
/// what the failure leaves behind does not wait out that timeout again.
fn a_page_that_never_loads_ends_at_its_timeout() {
    let fx = fixture();
    let suite = Suite::new("stuck").raw(
        r##"name: stuck
base_url: ${{ env.BASE_URL }}
checks:
  - name: a page that never finishes loading
    browser:
      - goto: /never-loads
        timeout: 2s
      - see: { text: { not_contains: Error } }
  - name: after it
    request: GET /health
    expect: { status: 200 }
"##,
    );
    let started = Instant::now();
    let run = run_suite(&fx, &suite, &[]);
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case_xml("a page that never finishes loading");
    assert!(c.contains("<error") && c.contains("type=\"timeout\""), "{c}");
    let after = run.case_xml("after it");
    assert!(!after.contains("<error") && !after.contains("<failure"), "{after}");
    // Browser start-up included; today's bound on each WebDriver call alone is 30 s.
    assert!(took < Duration::from_secs(12), "the run took {took:?} for a 2 s timeout\n{}", run.show());
}

/// The run's `--timeout` stops a check stuck on a page that never loads within moments, not
/// after the page's own timeout.
fn a_page_that_never_loads_stops_at_the_run_deadline() {
    let fx = fixture();
    let marker = unique("sdtest");
    let suite = Suite::new("stuck").raw(
        r##"name: stuck
base_url: ${{ env.BASE_URL }}
checks:
  - name: a page that never finishes loading
    browser:
      - goto: /never-loads
      - see: h1
"##,
    );
    let started = Instant::now();
    let running = browser_run(&fx, &marker).suite(&suite).args(["--timeout", "4s"]).spawn();
    let run = running.finish(Duration::from_secs(90));
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case_xml("a page that never finishes loading");
    assert!(c.contains("<error") && c.contains("type=\"interrupted\""), "{c}");
    assert!(took < Duration::from_secs(7), "a 4 s --timeout took {took:?} to stop the run");
    assert_no_orphans(&marker);
}

/// Check names that make the same folder name ("Login", "login") still get a folder each, so
/// each attaches its own screenshot and page.
fn checks_whose_names_differ_only_in_case_keep_their_own_artifacts() {
    let fx = fixture();
    let suite = Suite::new("twins").raw(
        r##"name: twins
base_url: ${{ env.BASE_URL }}
checks:
  - name: Login
    browser:
      - goto: /products
      - see: { selector: h1, text: Nope }
        timeout: 300ms
  - name: login
    browser:
      - goto: /widgets
      - see: { selector: h1, text: Nope }
        timeout: 300ms
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let attachments = |name: &str| -> Vec<String> {
        let case = run.case_xml(name);
        case.split("[[ATTACHMENT|").skip(1).filter_map(|s| s.split("]]").next()).map(str::to_string).collect()
    };
    let (upper, lower) = (attachments("Login"), attachments("login"));
    assert!(upper.first().is_some_and(|p| p.ends_with("failure.png")), "{upper:?}");
    assert!(lower.first().is_some_and(|p| p.ends_with("failure.png")), "{lower:?}");
    assert_ne!(upper[0], lower[0], "two checks share one screenshot");
    for (files, heading) in [(&upper, "Products"), (&lower, "Widgets")] {
        let html = files.iter().find(|p| p.ends_with("page.html")).expect("page.html");
        let html = std::fs::read_to_string(run.dir().join(html)).expect("read page.html");
        assert!(html.contains(&format!("<h1>{heading}</h1>")), "{heading} check has another page: {files:?}");
        let png = std::fs::read(run.dir().join(&files[0])).expect("read the screenshot");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}

/// `error_selectors`: a wrong password's error ends the waiting `see` at its first poll (the
/// suite's timeout is 30 s), quoting the error; the right password still passes; the error
/// itself can be asserted; an empty or hidden error element is not an error.
fn a_visible_error_ends_a_waiting_see_at_once_and_a_good_page_still_passes() {
    let fx = fixture();
    let suite = Suite::new("errors").raw(
        r##"name: errors
base_url: ${{ env.BASE_URL }}
secrets: [SMOKE_PASSWORD]
browser: { timeout: 30s, error_selectors: [div.alert-danger, "xpath=//p[@role='alert']"] }
checks:
  - name: a wrong password
    browser:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": not-the-password }
      - click: button[type=submit]
      - see: { selector: .role, text: maintainer }
  - name: the right password
    browser:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": "${{ secrets.SMOKE_PASSWORD }}" }
      - click: button[type=submit]
      - see: { selector: .role, text: maintainer }
      - eval:
          script: |
            document.body.insertAdjacentHTML('beforeend',
              '<div class="alert-danger" style="display:none">Hidden failure</div><div class="alert-danger"> </div>' +
              '<div class="alert-danger"><span hidden>Hidden detail</span></div>');
            setTimeout(() => document.body.insertAdjacentHTML('beforeend', '<p id="late">ready</p>'), 700);
            return 1;
      - see: { selector: "#late", text: ready }
  - name: the error itself can be asserted
    browser:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": not-the-password }
      - click: button[type=submit]
      - see: { selector: "p.error", text: { contains: Invalid } }
  - name: waiting for the error to go
    browser:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": not-the-password }
      - click: button[type=submit]
      - see: { selector: "p.error", text: { contains: Invalid } }
      - eval: { script: "setTimeout(() => document.querySelector(\"p[role=alert]\").remove(), 700); return 1;" }
      - see: { selector: "xpath=//p[@role='alert']", visible: false }
"##,
    );
    let started = Instant::now();
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert!(run.stdout.contains("3 passed, 1 failed, 0 errors"), "{}", run.show());
    let wrong = run.case_xml("a wrong password");
    assert!(
        wrong.contains("<failure")
            && wrong.contains("the page shows an error (`xpath=//p[@role=&apos;alert&apos;]`): &quot;Invalid username or password&quot;"),
        "{wrong}"
    );
    let time: f64 = run.case("a wrong password").attr("time").and_then(|t| t.parse().ok()).unwrap_or(f64::MAX);
    assert!(time < 20.0, "the failing see waited {time} s of its 30 s: {wrong}");
    assert!(started.elapsed() < Duration::from_secs(60), "{}", run.show());
    for ok in ["the right password", "the error itself can be asserted"] {
        let xml = run.case_xml(ok);
        assert!(!xml.contains("<failure") && !xml.contains("<error"), "{xml}");
    }
}

/// The `[[ATTACHMENT|…]]` paths of a check in the JUnit report.
fn attachments(run: &Done, name: &str) -> Vec<String> {
    let case = run.case_xml(name);
    case.split("[[ATTACHMENT|").skip(1).filter_map(|s| s.split("]]").next()).map(str::to_string).collect()
}

/// Through BiDi's `log.entryAdded`: a `console.error` and an uncaught exception (while the page
/// loads, and a moment after) each fail `no_console_errors`, quoted, all listed; an error of an
/// earlier page of the check counts; warnings and logs do not; a second `no_console_errors`
/// judges only what came after the first.
/// A worker's and an iframe's console errors are the page's too, with a Chromium of the check's
/// own and with a kept one (where events naming no context count for the check).
fn console_errors_in_a_worker_or_a_frame_fail_in_a_fresh_and_a_kept_browser() {
    let fx = fixture();
    let suite = Suite::new("elsewhere").raw(
        r##"name: elsewhere
base_url: ${{ env.BASE_URL }}
checks:
  - name: an error in a worker
    cookies: isolated
    browser:
      - goto: /products
      - eval: { script: "return new Promise(r => { const w = new Worker(URL.createObjectURL(new Blob([\"console.error('worker broke'); postMessage(1)\"], {type: 'text/javascript'}))); w.onmessage = () => setTimeout(() => r(1), 300); })" }
      - no_console_errors: true
  - name: an error in a frame
    cookies: isolated
    browser:
      - goto: /products
      - eval: { script: "return new Promise(r => { window.addEventListener('message', () => setTimeout(() => r(1), 300)); var f = document.createElement('iframe'); f.srcdoc = '<script>console.error(\"frame broke\"); parent.postMessage(1, \"*\")</scr' + 'ipt>'; document.body.appendChild(f); })" }
      - no_console_errors: true
  - name: a clean page
    cookies: isolated
    browser:
      - goto: /products
      - eval: { script: "return new Promise(r => setTimeout(() => r(1), 500))" }
      - no_console_errors: true
"##,
    );
    for args in [&["--browser-per-check"][..], &[][..]] {
        let run = run_suite(&fx, &suite, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.show());
        assert!(run.stdout.contains("1 passed, 2 failed, 0 errors"), "{args:?}: {}", run.show());
        let worker = run.case_xml("an error in a worker");
        assert!(worker.contains("type=\"console\"") && worker.contains("first: worker broke"), "{args:?}: {worker}");
        let frame = run.case_xml("an error in a frame");
        assert!(frame.contains("type=\"console\"") && frame.contains("first: frame broke"), "{args:?}: {frame}");
    }
}

fn console_errors_and_uncaught_exceptions_fail_through_bidi() {
    let fx = fixture();
    let suite = Suite::new("console").raw(
        r##"name: console
base_url: ${{ env.BASE_URL }}
checks:
  - name: an uncaught exception
    browser:
      - goto: /console-throw
      - see: { selector: h1, text: Console throw }
      - wait_for: "#after"
      - no_console_errors: true
  - name: an error logged after the page loaded
    browser:
      - goto: /products
      - no_console_errors: true
      - eval: "setTimeout(() => console.error('late error from the suite'), 0)"
      - no_console_errors: true
  - name: an error of an earlier page counts
    browser:
      - goto: /console-error
      - goto: /products
      - see: { selector: h1, text: Products }
      - no_console_errors: true
  - name: warnings and logs are not errors
    browser:
      - goto: /products
      - eval: { script: "console.warn('only a warning'); console.log('and a log'); return 1;" }
      - no_console_errors: true
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert!(run.stdout.contains("1 passed, 3 failed, 0 errors"), "{}", run.show());
    let thrown = run.case_xml("an uncaught exception");
    assert!(thrown.contains("<failure") && thrown.contains("type=\"console\""), "{thrown}");
    assert!(thrown.contains("2 error(s); first: uncaught: ") && thrown.contains("thrown from fixture"), "{thrown}");
    assert!(thrown.contains("late throw from fixture"), "every error is listed: {thrown}");
    let late = run.case_xml("an error logged after the page loaded");
    assert!(
        late.contains("type=\"console\"") && late.contains("1 error(s); first: late error from the suite"),
        "{late}"
    );
    // It failed at the second `no_console_errors` (line 15), after the first passed.
    assert!(late.contains("console.yaml:15:"), "{late}");
    let earlier = run.case_xml("an error of an earlier page counts");
    assert!(earlier.contains("type=\"console\"") && earlier.contains("boom from fixture"), "{earlier}");
    let quiet = run.case_xml("warnings and logs are not errors");
    assert!(!quiet.contains("<failure") && !quiet.contains("<error"), "{quiet}");
}

/// `no_failed_requests`: a missing image (404) and a fetch that gets a 500 after the page has
/// loaded fail it, quoted with method, URL and status, all listed, the network log attached as
/// `network.har`; an allow-list lets through what it matches and no more; a good page passes.
fn failed_requests_fail_unless_allowed_and_leave_a_har() {
    let fx = fixture();
    let suite = Suite::new("network").raw(
        r##"name: network
base_url: ${{ env.BASE_URL }}
checks:
  - name: a page with failing requests
    browser:
      - goto: /net/broken
      - see: { selector: h1, text: Broken requests }
      - no_failed_requests: true
  - name: one of them allowed
    browser:
      - goto: /net/broken
      - no_failed_requests: { allow: [/missing.png] }
  - name: both allowed
    browser:
      - goto: /net/broken
      - see: { selector: "#out", text: fetched 500 }
      - no_failed_requests: { allow: [/missing.png, "http://127.0.0.1:*/status/*"] }
  - name: a good page
    browser:
      - goto: /products
      - see: { selector: h1, text: Products }
      - no_failed_requests: true
  - name: missing resources are not console errors
    browser:
      - goto: /net/broken
      - see: { selector: "#out", text: fetched 500 }
      - no_console_errors: true
  - name: a request the page sends later
    browser:
      - goto: /products
      - no_failed_requests: true
      - eval: { script: "fetch('/status/502?late=1'); return 1;" }
      - no_failed_requests: true
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert!(run.stdout.contains("3 passed, 3 failed, 0 errors"), "{}", run.show());
    let base = fx.url("");
    let bad = run.case_xml("a page with failing requests");
    assert!(bad.contains("<failure") && bad.contains("type=\"network\""), "{bad}");
    assert!(bad.contains("2 request(s) failed; first: GET "), "{bad}");
    assert!(bad.contains(&format!("GET {base}/missing.png → 404")), "{bad}");
    assert!(bad.contains(&format!("GET {base}/status/500?from=page → 500 Internal Server Error")), "{bad}");
    let one = run.case_xml("one of them allowed");
    assert!(one.contains("type=\"network\"") && one.contains("1 request(s) failed; first: GET "), "{one}");
    assert!(one.contains("/status/500?from=page → 500") && !one.contains("missing.png →"), "{one}");
    let later = run.case_xml("a request the page sends later");
    assert!(later.contains("type=\"network\"") && later.contains("/status/502?late=1 → 502"), "{later}");
    for ok in ["both allowed", "a good page", "missing resources are not console errors"] {
        let c = run.case_xml(ok);
        assert!(!c.contains("<failure") && !c.contains("<error"), "{ok}: {c}");
    }
    // The network log is attached after the screenshot, and is HAR 1.2 with the failures.
    let files = attachments(&run, "a page with failing requests");
    assert!(files.first().is_some_and(|f| f.ends_with("failure.png")), "{files:?}");
    let har = files.iter().find(|f| f.ends_with("network.har")).unwrap_or_else(|| panic!("no HAR: {files:?}"));
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.dir().join(har)).expect("read the HAR"))
            .expect("HAR is JSON");
    assert_eq!(har["log"]["version"], "1.2", "{har}");
    assert_eq!(har["log"]["creator"]["name"], "shakedown");
    let entries = har["log"]["entries"].as_array().expect("entries");
    let status_of = |suffix: &str| {
        entries
            .iter()
            .find(|e| e["request"]["url"].as_str().is_some_and(|u| u.ends_with(suffix)))
            .map(|e| e["response"]["status"].clone())
    };
    assert_eq!(status_of("/net/broken"), Some(200.into()), "{har}");
    assert_eq!(status_of("/missing.png"), Some(404.into()), "{har}");
    assert_eq!(status_of("/status/500?from=page"), Some(500.into()), "{har}");
    for e in entries {
        assert!(e["startedDateTime"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");
        assert!(e["request"]["method"].is_string() && e["request"]["headers"].is_array(), "{e}");
        assert!(e["timings"]["wait"].as_f64().is_some_and(|w| w >= 0.0), "{e}");
    }
}

/// A `goto` that lands on a document answering 400 or more fails, quoting status and URL, also
/// at the end of a redirect; `status:` says which status a page is meant to have (and then
/// that page is no failed request); a redirect to a good page passes.
fn a_goto_that_lands_on_an_error_status_fails_unless_that_status_is_expected() {
    let fx = fixture();
    let suite = Suite::new("documents").raw(
        r##"name: documents
base_url: ${{ env.BASE_URL }}
checks:
  - name: a 500 page
    browser:
      - goto: /status/500
      - see: { text: "500" }
  - name: a redirect to a 502 page
    browser:
      - goto: /redirect?to=/status/502
      - see: { text: "502" }
  - name: a 404 page that is meant to be one
    browser:
      - goto: { url: /status/404, status: 404 }
      - see: { text: "404" }
      - no_failed_requests: true
  - name: a good page where a 404 is expected
    browser:
      - goto: { url: /products, status: 404 }
      - see: { selector: h1, text: Products }
  - name: a redirect to a good page
    browser:
      - goto: /redirect?to=/products
      - see: { selector: h1, text: Products }
  - name: a 500 page that moves on by itself
    browser:
      - goto: /net/moves-on
      - see: { selector: h1, text: Products }
"##,
    );
    let run = run_suite(&fx, &suite, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let base = fx.url("");
    // The page the goto landed on answered 500, even if a script took the browser on to a
    // good page at once: it fails as that. Chromium does not always report the answer of a
    // document a script replaced at once (2 full test runs in 9 on a busy machine: the
    // request, then nothing): then the step errs at the command timeout. Never a pass.
    let moved = run.case_xml("a 500 page that moves on by itself");
    let judged = moved.contains(&format!("the page {base}/net/moves-on answered 500"));
    let unreported = moved.contains("<error")
        && moved.contains(&format!("the browser said it requested {base}/net/moves-on but not what it answered"));
    assert!(judged || unreported, "{moved}");
    let totals = if judged { "2 passed, 4 failed, 0 errors" } else { "2 passed, 3 failed, 1 errors" };
    assert!(run.stdout.contains(totals), "{}", run.show());
    let five = run.case_xml("a 500 page");
    assert!(five.contains("<failure") && five.contains("type=\"assertion\""), "{five}");
    assert!(five.contains(&format!("the page {base}/status/500 answered 500 Internal Server Error")), "{five}");
    assert!(five.contains("documents.yaml:6:"), "the failure points at the goto: {five}");
    let redirected = run.case_xml("a redirect to a 502 page");
    assert!(redirected.contains(&format!("the page {base}/status/502 answered 502 Bad Gateway")), "{redirected}");
    let wrong = run.case_xml("a good page where a 404 is expected");
    assert!(wrong.contains(&format!("the page {base}/products answered 200 OK, not the expected 404")), "{wrong}");
    for ok in ["a 404 page that is meant to be one", "a redirect to a good page"] {
        let c = run.case_xml(ok);
        assert!(!c.contains("<failure") && !c.contains("<error"), "{ok}: {c}");
    }
    // The page judged is the last of the redirects, never the redirect itself.
    let good = run.case_xml("a redirect to a good page");
    assert!(good.contains("✓ page status 200 OK") && !good.contains("page status 30"), "{good}");
}

/// A secret in a page's request (its URL, an `Authorization` header, a header with an ordinary
/// name) is masked in the HAR file and the failure; the run's forbidden-value check reads every
/// artifact too.
fn the_network_log_masks_secrets_in_urls_and_headers() {
    let fx = fixture();
    let token = "pg-t0ken/7fQ2zX9";
    let suite = Suite::new("secret-net").raw(
        r##"name: secret-net
base_url: ${{ env.BASE_URL }}
secrets: [PAGE_TOKEN]
checks:
  - name: a failing request that carries a secret
    browser:
      - goto: "/net/secret?token=${{ secrets.PAGE_TOKEN }}"
      - see: { selector: h1, text: Secret requests }
      - no_failed_requests: true
"##,
    );
    let marker = unique("sdtest");
    let run = browser_run(&fx, &marker).secret("PAGE_TOKEN", token).suite(&suite).run();
    assert_no_orphans(&marker);
    assert_eq!(run.code, 1, "{}", run.show());
    let case = run.case_xml("a failing request that carries a secret");
    assert!(case.contains("type=\"network\"") && case.contains("/status/503?token=***"), "{case}");
    let files = attachments(&run, "a failing request that carries a secret");
    let har = files.iter().find(|f| f.ends_with("network.har")).unwrap_or_else(|| panic!("no HAR: {files:?}"));
    let text = std::fs::read_to_string(run.dir().join(har)).expect("read the HAR");
    let har: serde_json::Value = serde_json::from_str(&text).expect("HAR is JSON");
    let entry = har["log"]["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["response"]["status"] == 503))
        .unwrap_or_else(|| panic!("no 503 entry: {text}"));
    let header = |name: &str| {
        entry["request"]["headers"].as_array().and_then(|h| {
            h.iter()
                .find(|x| x["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
                .map(|x| x["value"].clone())
        })
    };
    assert_eq!(header("Authorization"), Some("***".into()), "{entry}");
    assert_eq!(header("X-Trace"), Some("***".into()), "{entry}");
    assert!(entry["request"]["url"].as_str().is_some_and(|u| u.ends_with("/status/503?token=***")), "{entry}");
    // Belt and braces: the run's own check already looked for every form of it everywhere.
    assert!(!text.contains(token) && !text.contains("7fQ2zX9"), "{text}");
}

/// In a Chromium kept for the run (the default), each check's console and network are
/// its own: what an earlier check's pages did in the same browser is neither judged nor in its
/// network log, and its own errors still count.
fn a_kept_browser_check_judges_only_its_own_console_and_network() {
    let fx = fixture();
    let suite = Suite::new("kept").raw(
        r##"name: kept
base_url: ${{ env.BASE_URL }}
checks:
  - name: leaves errors behind
    browser:
      - goto: /net/broken
      - see: { selector: "#out", text: fetched 500 }
      - goto: /console-error
      - see: { selector: h1, text: Console error }
  - name: a clean page in the same browser
    browser:
      - goto: /products
      - see: { selector: h1, text: Products }
      - no_console_errors: true
      - no_failed_requests: true
  - name: its own failed requests count
    browser:
      - goto: /net/broken
      - see: { selector: "#out", text: fetched 500 }
      - no_failed_requests: true
  - name: its own console errors count
    browser:
      - goto: /console-error
      - no_console_errors: true
"##,
    );
    let run = run_suite(&fx, &suite, &["--browsers", "1"]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert!(run.stdout.contains("2 passed, 2 failed, 0 errors"), "{}", run.show());
    for ok in ["leaves errors behind", "a clean page in the same browser"] {
        let c = run.case_xml(ok);
        assert!(!c.contains("<failure") && !c.contains("<error"), "{ok}: {c}");
    }
    let net = run.case_xml("its own failed requests count");
    assert!(net.contains("type=\"network\"") && net.contains("2 request(s) failed"), "{net}");
    let console = run.case_xml("its own console errors count");
    assert!(
        console.contains("type=\"console\"") && console.contains("1 error(s); first: boom from fixture"),
        "{console}"
    );
    let files = attachments(&run, "its own failed requests count");
    let har = files.iter().find(|f| f.ends_with("network.har")).unwrap_or_else(|| panic!("no HAR: {files:?}"));
    let text = std::fs::read_to_string(run.dir().join(har)).expect("read the HAR");
    assert!(text.contains("/net/broken") && !text.contains("/console-error") && !text.contains("/products"), "{text}");
}
