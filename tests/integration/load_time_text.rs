//! Text checked when a suite loads (CSS selectors, JSONPaths, link texts, multipart file
//! names, file paths) has its `${{ }}` filled in from variables and the environment, or is
//! refused at its line and column; it is never sent as written.

use crate::support::*;

#[test]
fn selectors_paths_and_file_names_are_interpolated_at_load() {
    let fx = app();
    let png = std::fs::read(repo().join("suites/fixtures/smoke.png")).expect("the smoke fixture file");
    let suite = Suite::new("interpolated").yaml(
        r##"
        name: interpolated
        base_url: ${{ env.BASE_URL }}
        vars: { sku: C3, index: 2, field: name, upload_as: smoke-7.png, fixture: smoke }
        checks:
          - name: html selectors
            request: GET /products
            expect:
              html:
                "li.product[data-sku=${{ sku }}]": Catapult
                "li.${{ env.ITEM_CLASS }}": { count: 3 }
          - name: json paths and captures
            steps:
              - request: GET /api/products
                expect:
                  json:
                    "$.items[${{ index }}].${{ field }}": Catapult
                capture:
                  third: "$.items[${{ index }}].sku"
                  first: { json: "$.items[0].${{ field }}" }
              - request: GET /products
                capture:
                  shown: { css: "li.product[data-sku=${{ sku }}]" }
                  sku_attr: { css: "li.${{ env.ITEM_CLASS }}", attr: "data-${{ env.ATTR }}" }
              - request: GET /echo?third=${{ third }}&first=${{ first }}&shown=${{ shown }}&attr=${{ sku_attr }}
                expect:
                  json: { $.query.third: C3, $.query.first: Anvil, $.query.shown: Catapult, $.query.attr: A1 }
          - name: multipart file name and path
            request:
              method: POST
              url: /echo
              multipart: { file: { path: "fixtures/${{ fixture }}.png", filename: "${{ upload_as }}", type: image/png } }
            expect:
              json: { $.body: { contains: 'filename="smoke-7.png"', not_contains: "$${{" } }
        "##,
    );
    let done = Run::new()
        .target(&fx)
        .env("ITEM_CLASS", "product")
        .env("ATTR", "sku")
        .file("fixtures/smoke.png", png)
        .suite(&suite)
        .run();
    assert_eq!(done.code, 0, "{}", done.output());
}

#[test]
fn captured_values_and_undefined_names_in_load_time_text_are_errors() {
    let suite = Suite::new("refused").yaml(
        r##"
        name: refused
        base_url: http://127.0.0.1:9
        checks:
          - name: captures are not known at load
            steps:
              - request: GET /api/products
                capture: { sku: "$.items[0].sku" }
              - request: GET /products
                expect:
                  html: { "li[data-sku=${{ sku }}]": Anvil }
                  json: { "$.items[?@.sku == '${{ sku }}']": 1 }
              - request:
                  method: POST
                  url: /echo
                  multipart: { f: { path: refused.yaml, filename: "${{ sku }}.png" } }
          - name: undefined
            request: GET /products
            expect:
              html: { "li.${{ nope }}": Anvil }
            capture: { x: { css: "li.${{ env.SHAKEDOWN_IT_NOT_SET }}" } }
          - name: browser
            browser:
              - goto: /products
              - capture: { sku2: { selector: li } }
              - click: "link=${{ sku2 }}"
              - see: { selector: "li.${{ nope2 }}", text: x }
        "##,
    );
    let done = Run::validate().suite(&suite).run();
    done.assert_exit(2);
    for (needle, message) in [
        ("html: { \"li[data-sku=", "a CSS selector cannot use a captured value"),
        ("json: { \"$.items[?@.sku", "a JSONPath cannot use a captured value"),
        ("filename: \"${{ sku }}.png\"", "`filename` cannot use a captured value"),
        ("\"li.${{ nope }}\"", "undefined variable `nope`"),
        ("SHAKEDOWN_IT_NOT_SET", "environment variable `SHAKEDOWN_IT_NOT_SET` is not set"),
        ("link=${{ sku2 }}", "a selector cannot use a captured value"),
        ("li.${{ nope2 }}", "undefined variable `nope2`"),
    ] {
        let line = suite.line_of(needle);
        done.assert_stderr_has(&format!("refused.yaml:{line}:"));
        done.assert_stderr_has(message);
    }
}
