//! `shakedown monitor`, end to end: the real binary against the fixture app (`basics`), and
//! with the real engines it feeds: Prometheus, promtool, Alertmanager and a headless Chromium
//! (`engines`). A test whose engine is missing is skipped with the reason, and fails when
//! `CI=true` (see `tests/common/prereq.rs`).

#[path = "../fixture/mod.rs"]
mod fixture;
#[path = "../common/mod.rs"]
mod support;

mod basics;
mod engines;
mod harness;

use basics::*;
use engines::*;
use support::{BROWSER, Need, Test, run_tests};

fn main() {
    let tests = tests![
        &[] => [
            metrics_follow_a_target_down_and_up,
            state_and_alerts_survive_a_restart,
            a_bad_suite_on_sighup_keeps_the_running_set,
            a_suite_that_fails_to_load_does_not_stop_the_others,
            a_suite_interval_wins_and_a_suite_never_runs_twice_at_once,
            no_secret_leaves_the_monitor,
            bad_input_is_a_clear_error,
            sigterm_lets_running_checks_finish_within_the_grace,
            watch_reloads_when_a_suite_file_changes,
            the_certificate_expiry_is_a_metric,
            run_watch_keeps_a_table_until_ctrl_c,
        ],
        &[Need::Prometheus] => [prometheus_scrapes_up_1_0_1],
        &[Need::Prometheus, Need::Promtool, Need::Alertmanager] => [the_readme_quorum_rule_needs_2_of_3_locations],
        &[Need::Promtool] => [promtool_accepts_the_exposition],
        &[Need::Alertmanager] => [alertmanager_receives_the_alert_and_its_resolution],
        BROWSER => [the_status_page_in_chromium, browser_checks_run_on_every_tick_and_no_browser_outlives_the_monitor],
    ];
    run_tests(tests)
}
