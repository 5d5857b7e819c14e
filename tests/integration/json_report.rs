//! The JSON report: a stable, documented shape with the same content as the JUnit.
//! (`support.rs` also compares its totals and cases with the JUnit on every run.)

use crate::support::*;

#[test]
fn the_json_report_has_a_stable_shape() {
    let fx = app();
    let key = unique("json");
    let suite = Suite::new("mixed").yaml(&format!(
        r#"
        name: mixed
        base_url: ${{{{ env.BASE_URL }}}}
        tags: [api]
        checks:
          - name: passes
            tags: [fast]
            request: GET /health
          - name: fails
            request: GET /status/500
            expect: {{ status: 200 }}
          - name: flaky
            retries: 1
            request: GET /flaky/{key}?fail=1
            expect: {{ status: 200 }}
        "#
    ));
    let done = Run::new().suite(&suite).target(&fx).env("GIT_SHA", "c0ffee1").run();
    done.assert_exit(1);
    let json = done.json();
    assert_eq!(json["schema_version"], 1);
    assert!(json["tool"].as_str().is_some_and(|t| t.starts_with("shakedown ")));
    assert!(json["started"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(json["duration"].is_number());
    assert!(json["interrupted"].is_null());
    let t = &json["totals"];
    assert_eq!(
        (
            t["tests"].as_u64(),
            t["passed"].as_u64(),
            t["failed"].as_u64(),
            t["flaky"].as_u64(),
            t["errors"].as_u64(),
            t["skipped"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1), Some(0), Some(0))
    );
    let summary = done.summary();
    assert_eq!((summary.tests, summary.passed, summary.failed, summary.flaky), (3, 1, 1, 1));

    let s = &json["suites"][0];
    assert_eq!(s["name"], "mixed");
    assert_eq!(s["file"], "mixed.yaml");
    assert_eq!(s["environment"], "default");
    assert_eq!(s["base_url"], fx.http_url.as_str());
    assert_eq!(s["commit"], "c0ffee1");

    let passes = done.json_case("passes");
    assert_eq!(passes["status"], "passed");
    assert_eq!(passes["kind"], "check");
    assert_eq!(passes["line"], suite.line_of("- name: passes"));
    assert_eq!(passes["tags"], serde_json::json!(["fast"]));
    assert!(passes["problem"].is_null());
    assert!(passes["duration"].is_number());

    let fails = done.json_case("fails");
    assert_eq!(fails["status"], "failed");
    assert_eq!(fails["problem"]["kind"], "failure");
    assert_eq!(fails["problem"]["type"], "assertion");
    assert_eq!(fails["problem"]["line"], suite.line_of("expect: { status: 200 }"));
    assert!(fails["problem"]["message"].as_str().is_some_and(|m| m.contains("500")));
    assert!(
        fails["problem"]["details"].as_str().is_some_and(|d| d.contains(&suite.at("expect: { status: 200 }", "200")))
    );

    let flaky = done.json_case("flaky");
    assert_eq!(flaky["status"], "flaky");
    assert_eq!(flaky["earlier_attempts"].as_array().map(Vec::len), Some(1));
    assert!(flaky["earlier_attempts"][0]["message"].as_str().is_some_and(|m| m.contains("503")));
}
