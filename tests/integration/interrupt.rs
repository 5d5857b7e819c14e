//! Runs that stop early: past `--timeout`, or on SIGINT/SIGTERM. In-flight work stops within
//! seconds, teardowns still run, and the reports hold what finished plus `interrupted` errors.

use crate::support::*;
use std::time::Duration;

fn hanging_suite() -> Suite {
    Suite::new("stuck").yaml(
        r#"
        name: stuck
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: finishes first
            request: GET /health
            expect: { status: 200 }
          - name: hangs
            request: { url: /hang, timeout: 120s }
            expect: { status: 200 }
          - name: never starts
            request: GET /echo/never-starts
        teardown:
          - request: GET /echo/teardown-after-interrupt
        "#,
    )
}

fn assert_interrupted_report(done: &Done, fx: &crate::fixture::Fixture, why: &str) {
    done.case("finishes first").assert_passed();
    for name in ["hangs", "never starts"] {
        let error = done.case(name).expect("error", "interrupted");
        assert!(error.attr("message").unwrap_or("").contains(why), "{:?}", error.attrs);
    }
    assert_eq!(fx.hits("/echo/never-starts"), 0);
    assert_eq!(fx.hits("/echo/teardown-after-interrupt"), 1, "the suite teardown did not run after the interruption");
    let t = done.summary();
    assert_eq!((t.tests, t.passed, t.errors), (3, 1, 2));
    assert!(done.json()["interrupted"].is_string(), "{}", done.json()["interrupted"]);
}

#[test]
fn the_run_deadline_interrupts_unfinished_checks_and_keeps_finished_ones() {
    let fx = app();
    let done = Run::new().suite(&hanging_suite()).target(&fx).args(["--timeout", "1s"]).run();
    done.assert_exit(1);
    assert!(done.elapsed < Duration::from_secs(15), "the run took {:?} past a 1s deadline", done.elapsed);
    assert_interrupted_report(&done, &fx, "--timeout");
    done.assert_stdout_has("--timeout");
    assert_eq!(done.json()["interrupted"], "deadline");
}

#[test]
fn sigint_stops_the_run_writes_the_report_and_exits_130() {
    let fx = app();
    let mut running = Run::new().suite(&hanging_suite()).target(&fx).spawn();
    running.wait_for_line("finishes first", Duration::from_secs(20));
    // Let it get into the hanging request.
    wait_until(|| fx.hits("/hang") == 1);
    running.signal("INT");
    let done = running.finish(Duration::from_secs(15));
    done.assert_exit(130);
    assert_interrupted_report(&done, &fx, "interrupted");
    assert_eq!(done.json()["interrupted"], "signal");
}

#[test]
fn sigterm_is_handled_like_sigint() {
    let fx = app();
    let mut running = Run::new().suite(&hanging_suite()).target(&fx).spawn();
    running.wait_for_line("finishes first", Duration::from_secs(20));
    wait_until(|| fx.hits("/hang") == 1);
    running.signal("TERM");
    let done = running.finish(Duration::from_secs(15));
    done.assert_exit(130);
    assert_interrupted_report(&done, &fx, "interrupted");
}

/// Polls a condition for up to ten seconds.
fn wait_until(cond: impl Fn() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the condition did not hold within 10s");
}

#[test]
fn an_interruption_during_setup_makes_the_checks_interrupted_not_skipped() {
    let fx = app();
    let suite = Suite::new("stuck-setup").yaml(
        r#"
        name: stuck-setup
        base_url: ${{ env.BASE_URL }}
        setup:
          - request: { url: /hang, timeout: 120s }
        checks:
          - name: would have run
            request: GET /health
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).args(["--timeout", "1s"]).run();
    done.assert_exit(1);
    done.case("[setup]").expect("error", "interrupted");
    let error = done.case("would have run").expect("error", "interrupted");
    assert!(error.attr("message").unwrap_or("").contains("--timeout"), "{:?}", error.attrs);
    assert_eq!(fx.hits("/health"), 0);
}

#[test]
fn a_deadline_while_the_suites_are_loading_still_writes_the_reports() {
    let fx = app();
    // An --env-file that is a FIFO nobody writes to: loading waits for it forever.
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("env.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let fifo = fifo.to_str().expect("utf-8 path").to_string();
    let done = Run::new().suite(&hanging_suite()).target(&fx).args(["--timeout", "1s", "--env-file", &fifo]).run();
    done.assert_exit(1);
    let error = done.case("[load]").expect("error", "interrupted");
    assert!(error.attr("message").unwrap_or("").contains("while the suites were loading"), "{:?}", error.attrs);
    assert_eq!(done.json_case("[load]")["status"], "errored");
    assert_eq!(fx.hits("/hang"), 0, "nothing may run before the suites are loaded");
}

/// A panic inside shakedown (injected here, in a test build) is a bug, but it loses nothing:
/// the checks already judged keep their verdicts, the ones it cut short are `internal` errors,
/// the other suites run on, and the reports are written.
#[test]
fn a_panic_in_one_suite_still_writes_every_report() {
    let fx = app();
    let crashing = Suite::new("crashing").yaml(
        r#"
        name: crashing
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: judged before the crash
            request: GET /health
          - name: crashes here
            request: GET /health
          - name: after the crash
            request: GET /health
        "#,
    );
    let fine = Suite::new("fine").yaml(
        r#"
        name: fine
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: another suite
            request: GET /health
        "#,
    );
    let done =
        Run::new().suite(&crashing).suite(&fine).target(&fx).env("SHAKEDOWN_TEST_PANIC_IN", "crashes here").run();
    done.assert_exit(1);
    done.case("judged before the crash").assert_passed();
    done.case("another suite").assert_passed();
    for name in ["crashes here", "after the crash"] {
        let error = done.case(name).expect("error", "internal");
        assert!(error.attr("message").unwrap_or("").contains("SHAKEDOWN_TEST_PANIC_IN"), "{:?}", error.attrs);
    }
    let t = done.summary();
    assert_eq!((t.tests, t.passed, t.errors), (4, 2, 2));
    assert_eq!(done.json()["totals"]["errors"], 2, "{}", done.json()["totals"]);
}
