//! What a person sees in the terminal, as snapshots (`tests/snapshots/`, reviewed with
//! `cargo insta review`). Ports, durations, temporary folders and timestamps are replaced by
//! placeholders so the snapshots are stable. In CI insta never writes snapshots: a difference
//! fails the test.

use crate::support::*;

/// stdout and stderr of a run, normalised, as one text.
fn screen(done: &Done) -> String {
    let text = format!("exit code {}\n--- stdout ---\n{}--- stderr ---\n{}", done.code, done.stdout, done.stderr);
    normalise(&text, done.dir())
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

fn shop(checks: &str) -> Suite {
    Suite::new("shop").yaml(&format!(
        "
        name: shop
        base_url: ${{{{ env.BASE_URL }}}}
        checks:
{checks}"
    ))
}

#[test]
fn a_passing_run() {
    let fx = app();
    let suite = shop(
        "
          - name: health
            request: GET /health
            expect: { status: 200 }
          - name: products are listed
            request: GET /api/products
            expect: { json: { $.total: 3 } }
        ",
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(0);
    snapshot!("passing_run", screen(&done));
}

#[test]
fn a_failing_assertion() {
    let fx = app();
    let suite = shop(
        "
          - name: health
            request: GET /health
          - name: products are listed
            request: GET /api/products
            expect: { status: 200, json: { $.total: 4, '$.items[0].name': Anvil } }
        ",
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    snapshot!("failing_assertion", screen(&done));
}

#[test]
fn an_unreachable_target() {
    let suite = shop(
        "
          - name: health
            request: GET /health
        ",
    );
    let done = Run::new().suite(&suite).env("BASE_URL", &format!("http://127.0.0.1:{}", closed_port())).run();
    done.assert_exit(1);
    snapshot!("unreachable_target", screen(&done));
}

#[test]
fn a_flaky_check() {
    let fx = app();
    let suite = shop(
        "
          - name: cache warms up
            retries: 2
            request: GET /flaky/warm?fail=1
            expect: { status: 200 }
        ",
    );
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(0);
    snapshot!("flaky_check", screen(&done));
}

#[test]
fn a_load_error_from_validate() {
    let suite = shop(
        "
          - name: health
            request: GET /health
            expct: { status: 200 }
          - name: a user
            request: GET /users/${{ user_id }}
        ",
    );
    let done = Run::validate().suite(&suite).run();
    done.assert_exit(2);
    snapshot!("validate_load_error", screen(&done));
}

/// `-v`: the step log of each check (a passing one, and a failing one with its details).
#[test]
fn verbose_output() {
    let fx = app();
    let suite = shop(
        "
          - name: version
            request: GET /version
            expect: { status: 200 }
            capture: { commit: $.commit }
          - name: echo
            request: GET /echo?commit=${{ commit }}
            expect: { json: { $.query.commit: nope } }
        ",
    );
    let done = Run::new().suite(&suite).target(&fx).env("GIT_SHA", "c0ffee1").arg("-v").run();
    done.assert_exit(1);
    snapshot!("verbose_run", screen(&done));
}
