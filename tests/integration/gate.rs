//! The deploy gate (`--gate`): "the new version never went live" is exit 4, with its own
//! `[gate]` testcase, apart from "it went live and a check failed" (exit 1).

use crate::support::*;

fn suite() -> Suite {
    Suite::new("shop").yaml(
        r#"
        name: shop
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: health
            request: GET /health
            expect: { status: 200 }
          - name: broken
            request: GET /status/${{ env.BROKEN }}
            expect: { status: 200 }
        "#,
    )
}

fn gated(fx: &crate::fixture::Fixture, want: &str, wait: &str) -> Run {
    Run::new().suite(&suite()).target(fx).args([
        "--gate",
        &format!("{}/rollout/version", fx.http_url),
        "--gate-json",
        &format!("$.commit={want}"),
        "--gate-wait",
        wait,
        "--gate-every",
        "100ms",
    ])
}

#[test]
fn the_gate_waits_for_the_new_version_then_the_checks_run() {
    let fx = app();
    let done = gated(&fx, "c0ffee1", "20s").env("BROKEN", "200").run();
    done.assert_exit(0);
    assert!(fx.hits("/rollout/version") >= 2, "the old version was taken for the new one");
    done.case("[gate]").assert_passed();
    done.case("health").assert_passed();
    assert!(done.terminal_line("[gate]").contains("PASS  deploy gate › [gate]"), "{}", done.stdout);
}

#[test]
fn a_version_that_never_goes_live_is_exit_4_with_a_gate_error_and_no_check_run() {
    let fx = app();
    let done = gated(&fx, "never00", "1s").env("BROKEN", "200").run();
    done.assert_exit(4);
    let message = done.case("[gate]").expect("error", "gate").attr("message").unwrap_or("").to_string();
    assert!(message.starts_with("the new version never went live within 1.00s"), "{message}");
    assert!(message.contains(r#"expected "never00""#), "{message}");
    assert_eq!(done.case("health").outcome().map(|o| o.name.as_str()), Some("skipped"));
    assert_eq!(fx.hits("/health"), 0, "a check ran behind a closed gate");
    done.assert_stderr_has("the new version never went live");
    assert!(done.terminal_line("[gate]").contains("ERROR  deploy gate › [gate]"), "{}", done.stdout);
    assert_eq!(done.json()["totals"]["errors"], 1);
}

#[test]
fn an_unreachable_gate_is_exit_4_and_a_failed_check_after_a_live_one_is_exit_1() {
    let fx = app();
    let port = closed_port();
    let closed = Run::new()
        .suite(&suite())
        .target(&fx)
        .env("BROKEN", "200")
        .args(["--gate", &format!("http://127.0.0.1:{port}/version"), "--gate-wait", "500ms", "--gate-every", "100ms"])
        .run();
    closed.assert_exit(4);
    assert!(closed.case("[gate]").expect("error", "gate").attr("message").unwrap_or("").contains("cannot connect"));

    let live_but_broken = gated(&fx, "c0ffee1", "20s").env("BROKEN", "500").run();
    live_but_broken.assert_exit(1);
    live_but_broken.case("[gate]").assert_passed();
    live_but_broken.case("broken").expect("failure", "assertion");
}

#[test]
fn a_bad_gate_is_a_usage_error_and_help_documents_exit_4() {
    let fx = app();
    for args in [vec!["--gate", "/version"], vec!["--gate", "http://x/", "--gate-json", "commit"]] {
        let done = Run::new().suite(&suite()).target(&fx).env("BROKEN", "200").args(args).run();
        done.assert_exit(2);
    }
    for args in [&["--help"][..], &["run", "--help"]] {
        let text = String::from_utf8_lossy(&shakedown(args).stdout).into_owned();
        assert!(text.contains("4    the deploy gate (--gate) never saw the new version live"), "{text}");
    }
    let text = String::from_utf8_lossy(&shakedown(&["run", "--help"]).stdout).into_owned();
    assert!(text.contains("--gate <URL>"), "{text}");
}

#[test]
fn each_shard_has_a_gate_of_its_own_name_so_merged_reports_hold_no_testcase_twice() {
    let fx = app();
    let done = gated(&fx, "c0ffee1", "20s").env("BROKEN", "200").args(["--shard", "1/1"]).run();
    done.assert_exit(0);
    let names: Vec<&str> = done.junit().descendants("testsuite").iter().filter_map(|s| s.attr("name")).collect();
    assert!(names.contains(&"deploy gate (shard 1/1)"), "{names:?}");
}
