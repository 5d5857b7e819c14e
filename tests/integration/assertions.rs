//! Every kind of assertion holds on a healthy target, and each one fails, at its own line,
//! when the answer is wrong.

use crate::support::*;

#[test]
fn every_assertion_kind_holds_on_a_healthy_target() {
    let fx = app();
    let suite = Suite::new("healthy").yaml(
        r##"
        name: healthy
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: status forms
            steps:
              - request: GET /health
                expect: { status: 200 }
              - request: GET /status/204
                expect: { status: 2xx }
              - request: GET /status/404
                expect: { status: [404, 410] }
          - name: headers
            request: GET /headers
            expect:
              header:
                x-app-version: 1.4.2
                cache-control: { contains: no-store }
                content-type: { matches: "^application/json" }
                set-cookie: { exists: true }
                x-powered-by: { absent: true }
          - name: body text
            request: GET /products
            expect:
              body:
                contains: Catapult
                not_contains: Trebuchet
                matches: '<li class="product" data-sku="B2">'
          - name: whole body
            request: GET /health
            expect: { body: { equals: '{"status":"ok"}' } }
          - name: json comparisons
            request: GET /api/products
            expect:
              json:
                $.total: { equals: 3, gte: 3, lt: 4, type: integer }
                $.items[0].price: { gt: 12, lte: 12.5, type: number }
                $.items[1].name: { not_equals: Anvil, one_of: [Bucket, Barrel] }
                $.items[2].tags: { contains: heavy, length: 2, type: array }
                $.items[*].sku: [A1, B2, C3]
                $.items[0].name: { length: { gte: 3 } }
                $.missing: { exists: false }
                $.items[0]: { type: object }
          - name: html
            request: GET /products
            expect:
              html:
                li.product: { count: 3, text: Anvil }
                "li.product[data-sku=C3]": Catapult
                "meta[name=version]": { attr: { content: 1.4.2 } }
                "#nothing-here": { exists: false }
                title: { text: { contains: Products } }
          - name: time and hash
            request: GET /health
            expect:
              # Tight enough that a second added to the measured time fails it.
              time: 900ms
              sha256: "${{ health_sha }}"
          - name: time as a comparison
            request: GET /health
            expect: { time: { lt: 10s } }
        "##,
    );
    let health_sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(br#"{"status":"ok"}"#))
    };
    let done = Run::new().suite(&suite).target(&fx).arg("--var").arg(format!("health_sha={health_sha}")).run();
    done.assert_exit(0);
    assert_eq!(done.summary().passed, 8);
}

/// Each check has exactly one assertion that does not hold; the failure must be that one,
/// at its line and column, with what was expected and what came back.
#[test]
fn each_assertion_kind_fails_at_its_own_line() {
    let fx = app();
    // (check name, request, expect block, the token the failure points at, a text the actual value shows)
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("status exact", "/status/418", "{ status: 200 }", "200", "418"),
        ("status class", "/status/500", "{ status: 4xx }", "4xx", "500"),
        ("header equals", "/headers", "{ header: { x-app-version: 9.9.9 } }", "9.9.9", "1.4.2"),
        ("header exists", "/health", "{ header: { x-app-version: { exists: true } } }", "{ exists: true }", "nothing"),
        (
            "header absent",
            "/headers",
            "{ header: { cache-control: { absent: true } } }",
            "{ absent: true }",
            "no-store",
        ),
        ("body contains", "/health", "{ body: { contains: degraded } }", "{ contains: degraded }", "ok"),
        ("body not contains", "/health", "{ body: { not_contains: ok } }", "{ not_contains: ok }", "ok"),
        ("body matches", "/health", "{ body: { matches: '^down' } }", "{ matches: '^down' }", "status"),
        ("json equals", "/api/products", "{ json: { $.total: 4 } }", "$.total", "3"),
        ("json type", "/api/products", "{ json: { $.total: { type: string } } }", "$.total", "integer"),
        ("json length", "/api/products", "{ json: { $.items: { length: 2 } } }", "$.items", "length 3"),
        ("json lt", "/api/products", "{ json: { \"$.items[2].price\": { lt: 100 } } }", "\"$.items", "999.99"),
        ("json contains", "/api/products", "{ json: { \"$.items[1].tags\": { contains: tools } } }", "\"$.items", "[]"),
        ("json missing", "/api/products", "{ json: { \"$.items[9].sku\": A1 } }", "\"$.items", "nothing"),
        ("html text", "/products", "{ html: { li.product: Bucket } }", "Bucket", "Anvil"),
        ("html count", "/products", "{ html: { li.product: { count: 4 } } }", "4", "3"),
        (
            "html attr",
            "/products",
            "{ html: { \"meta[name=version]\": { attr: { content: 2.0.0 } } } }",
            "2.0.0",
            "1.4.2",
        ),
        ("json on html", "/products", "{ json: { $.total: 3 } }", "$.total", "not JSON"),
        ("time", "/slow?ms=300", "{ time: 100ms }", "100ms", "ms"),
        (
            "sha256",
            "/health",
            "{ sha256: abababababababababababababababababababababababababababababababab }",
            "abab",
            "15 bytes",
        ),
        (
            "certificate on http",
            "/health",
            "{ certificate: { days_left: { gt: 1 } } }",
            "{ gt: 1 }",
            "no TLS certificate",
        ),
    ];
    let mut yaml = String::from("name: wrong\nbase_url: ${{ env.BASE_URL }}\nchecks:\n");
    for (name, path, expect, _, _) in cases {
        yaml.push_str(&format!("  - name: {name}\n    request: GET {path}\n    expect: {expect}\n"));
    }
    let suite = Suite::new("wrong").raw(&yaml);
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    assert_eq!(done.summary().failed, cases.len() as u64, "{}", done.stdout);
    for (name, _, expect, token, actual) in cases {
        let case = done.case(name);
        let failure = case.expect("failure", "assertion");
        let check_line =
            suite.text.lines().position(|l| l == format!("  - name: {name}")).expect("the check") as u32 + 1;
        assert_eq!(case.line(), check_line, "testcase@line of `{name}`");
        // The assertion sits on the `expect:` line, two lines below the name.
        let expect_line = suite.text.lines().nth(check_line as usize + 1).expect("the expect line");
        let at = expect_line.find(expect).expect("the expect block")
            + expect.find(token).unwrap_or_else(|| panic!("test bug: `{token}` in `{expect}`"));
        let place = format!("wrong.yaml:{}:{}", check_line + 2, expect_line[..at].chars().count() + 1);
        assert!(failure.text.contains(&place), "`{name}` does not point at {place}:\n{}", failure.text);
        assert!(failure.text.contains("expected:") && failure.text.contains("actual:"), "{}", failure.text);
        let actual_line = failure.text.lines().find(|l| l.trim_start().starts_with("actual:")).unwrap_or("");
        assert!(actual_line.contains(actual), "`{name}`: the actual value `{actual}` is not shown:\n{}", failure.text);
    }
}

/// A step that fails stops the check: later steps do not run, and the failure names the step.
#[test]
fn a_failing_step_stops_its_check() {
    let fx = app();
    let suite = Suite::new("steps").yaml(
        r#"
        name: steps
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: three steps
            steps:
              - name: first
                request: GET /health
                expect: { status: 200 }
              - name: second
                request: GET /status/500
                expect: { status: 200 }
              - name: third
                request: GET /echo/never
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    let failure = done.case("three steps").expect("failure", "assertion");
    assert!(failure.text.contains("step 2 (second)"), "{}", failure.text);
    assert_eq!(fx.hits("/echo/never"), 0, "a step after the failing one ran");
}

/// `NO` is Norway and `on` is a word: the YAML 1.2 core schema has only `true` and `false`.
#[test]
fn yes_no_on_and_off_are_plain_words() {
    let fx = app();
    let suite = Suite::new("norway").yaml(
        r#"
        name: norway
        base_url: ${{ env.BASE_URL }}
        vars: { n: 3 }
        checks:
          - name: country and flag
            request: GET /echo?country=NO&flag=on&n=${{ n }}
            expect: { json: { $.query.country: NO, $.query.flag: on, $.query.n: "3" } }
        "#,
    );
    Run::new().suite(&suite).target(&fx).run().assert_exit(0);
}

#[test]
fn a_header_sent_twice_is_judged_as_its_values_joined_in_order() {
    let fx = app();
    let suite = Suite::new("twice").yaml(
        r#"
        name: twice
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: both values in order
            request: GET /headers
            expect: { header: { set-cookie: "lang=en; Path=/, pref=dark; Path=/" } }
          - name: in the other order
            request: GET /headers
            expect: { header: { set-cookie: "pref=dark; Path=/, lang=en; Path=/" } }
          - name: only the first
            request: GET /headers
            expect: { header: { set-cookie: "lang=en; Path=/" } }
          - name: a name written in capitals
            request: GET /headers
            expect: { header: { X-App-Version: 1.4.2 } }
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    done.case("both values in order").assert_passed();
    done.case("in the other order").expect("failure", "assertion");
    done.case("only the first").expect("failure", "assertion");
    done.case("a name written in capitals").assert_passed();
}
