//! Values taken from one answer and used by later steps and checks: captures from JSON,
//! headers, cookies, regexes and CSS selectors; uploads that must come back byte for byte.

use crate::support::*;

#[test]
fn captured_values_flow_into_later_steps_and_checks() {
    let fx = app();
    let suite = Suite::new("captures").yaml(
        r#"
        name: captures
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: capture from every source
            steps:
              - request: GET /api/products
                capture:
                  first_sku: $.items[0].sku
                  total: { json: $.total }
              - request: GET /headers
                capture:
                  version: { header: x-app-version }
                  theme: { cookie: pref }
              - request: GET /products
                capture:
                  last_product: { css: "li.product:last-child" }
                  sku_attr: { css: "li.product:nth-child(2)", attr: data-sku }
                  title: { regex: "<title>([^<]+)</title>" }
                  code: { status: true }
              - request:
                  url: /echo
                  query:
                    sku: "${{ first_sku }}"
                    total: "${{ total }}"
                    version: "${{ version }}"
                    theme: "${{ theme }}"
                    last: "${{ last_product }}"
                    attr: "${{ sku_attr }}"
                    title: "${{ title }}"
                    code: "${{ code }}"
                expect:
                  json:
                    $.query.sku: A1
                    $.query.total: "3"
                    $.query.version: 1.4.2
                    $.query.theme: dark
                    $.query.last: Catapult
                    $.query.attr: B2
                    $.query.title: Products · Acme
                    $.query.code: "200"
          - name: a later check sees earlier captures
            request: GET /echo/${{ first_sku }}
            expect: { json: { $.path: /echo/A1 } }
          - name: a capture keeps its type in JSON bodies
            request:
              method: POST
              url: /echo
              json: { total: "${{ total }}", sku: "${{ first_sku }}" }
            expect: { json: { $.body_json.total: 3, $.body_json.sku: A1 } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(0);
    assert_eq!(done.summary().passed, 3);
    // The step log says what was captured.
    let log = done.case("capture from every source").system_out();
    assert!(log.contains("captured first_sku = \"A1\""), "{log}");
}

#[test]
fn a_capture_that_finds_nothing_fails_at_the_capture() {
    let fx = app();
    let suite = Suite::new("nocapture").yaml(
        r#"
        name: nocapture
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: capture a missing field
            steps:
              - request: GET /version
                capture: { build: $.build_number }
              - request: GET /echo/${{ build }}
          - name: a later user of the capture cannot run
            request: GET /echo/${{ build }}
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let case = done.case("capture a missing field");
    let outcome = case.outcome().expect("the capture failed");
    assert!(outcome.attr("message").unwrap_or("").contains("build"), "{:?}", outcome.attrs);
    assert!(outcome.text.contains(&suite.at("capture: { build:", "build")), "{}", outcome.text);
    assert_eq!(fx.hits("/echo/"), 0);
    let later = done.case("a later user of the capture cannot run");
    assert!(later.outcome().is_some(), "a check used a capture that never got a value, and passed");
    assert!(
        later.outcome().and_then(|o| o.attr("message")).unwrap_or("").contains("build"),
        "{:?}",
        later.outcome().map(|o| &o.attrs)
    );
}

#[test]
fn an_upload_comes_back_intact_and_its_teardown_deletes_it() {
    let fx = app();
    let data: Vec<u8> = (0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let suite = Suite::new("upload").yaml(
        r#"
        name: upload
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
          - name: upload and read back
            steps:
              - request:
                  method: POST
                  url: /api/files
                  multipart:
                    file: { path: files/photo.bin, type: image/png, filename: smoke.png }
                    purpose: smoke-test
                expect:
                  status: 201
                  json:
                    $.name: smoke.png
                    $.content_type: image/png
                    $.size: 50000
                    $.fields.purpose: smoke-test
                capture: { file_id: $.id }
              - request: GET /api/files/${{ file_id }}
                expect:
                  status: 200
                  header: { content-type: image/png }
                  sha256: { file: files/photo.bin }
            teardown:
              - request: DELETE /api/files/${{ file_id }}
                expect: { status: 204 }
          - name: a different file does not match
            steps:
              - request:
                  method: POST
                  url: /api/files
                  multipart: { file: { path: files/photo.bin } }
                capture: { other_id: $.id }
              - request: GET /api/files/${{ other_id }}
                expect: { sha256: { file: files/other.bin } }
            teardown:
              - request: DELETE /api/files/${{ other_id }}
        "#,
    );
    let done = Run::new()
        .suite(&suite)
        .file("files/photo.bin", &data)
        .file("files/other.bin", b"not the same bytes")
        .target(&fx)
        .secret("SMOKE_PASSWORD", "hunter2-smoke")
        .run();
    done.assert_exit(1);
    done.case("upload and read back").assert_passed();
    let failure = done.case("a different file does not match").expect("failure", "assertion");
    assert!(failure.text.contains(&suite.at("sha256: { file: files/other.bin }", "{ file")), "{}", failure.text);
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&data))
    };
    assert!(failure.text.contains(&digest), "the actual digest is not shown:\n{}", failure.text);
    assert_eq!(fx.file_count(), 0, "an uploaded file was left behind");
}
