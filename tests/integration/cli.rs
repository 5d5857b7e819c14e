//! The command line: selecting checks, listing them, the schema, concurrency, fail-fast,
//! variables, and the exit codes a pipeline relies on.

use crate::support::*;

fn tagged_suites() -> (Suite, Suite) {
    let api = Suite::new("api").yaml(
        r#"
        name: api
        base_url: ${{ env.BASE_URL }}
        tags: [backend]
        checks:
          - name: health
            tags: [fast]
            request: GET /echo/api-health
          - name: products
            request: GET /echo/api-products
        "#,
    );
    let web = Suite::new("web").yaml(
        r#"
        name: web
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: home page
            tags: [fast, pages]
            request: GET /echo/web-home
          - name: product page
            request: GET /echo/web-products
        "#,
    );
    (api, web)
}

#[test]
fn filter_runs_only_the_checks_it_names() {
    let fx = app();
    let (api, web) = tagged_suites();
    let done = Run::new().suite(&api).suite(&web).target(&fx).args(["--filter", "product"]).run();
    done.assert_exit(0);
    let mut names = done.case_names();
    names.sort();
    assert_eq!(names, ["product page", "products"]);
    assert_eq!(fx.hits("/echo/api-health") + fx.hits("/echo/web-home"), 0);
    assert_eq!(fx.hits("/echo/api-products") + fx.hits("/echo/web-products"), 2);
    // "suite › check" selects within one suite.
    let done = Run::new().suite(&api).suite(&web).target(&fx).args(["--filter", "web › product"]).run();
    assert_eq!(done.case_names(), ["product page"]);
}

#[test]
fn tag_runs_checks_tagged_on_the_check_or_its_suite() {
    let fx = app();
    let (api, web) = tagged_suites();
    let done = Run::new().suite(&api).suite(&web).target(&fx).args(["--tag", "fast"]).run();
    done.assert_exit(0);
    let mut names = done.case_names();
    names.sort();
    assert_eq!(names, ["health", "home page"]);
    let done = Run::new().suite(&api).suite(&web).target(&fx).args(["--tag", "backend"]).run();
    let mut names = done.case_names();
    names.sort();
    assert_eq!(names, ["health", "products"]);
    let done = Run::new().suite(&api).suite(&web).target(&fx).args(["--tag", "backend", "--filter", "health"]).run();
    assert_eq!(done.case_names(), ["health"]);
    let none = Run::new().suite(&api).suite(&web).target(&fx).args(["--tag", "nothing-has-this"]).run();
    none.assert_exit(2);
    none.assert_stderr_has("--tag `nothing-has-this` selects no check");
}

#[test]
fn every_filter_and_tag_must_select_something() {
    let fx = app();
    let (api, web) = tagged_suites();
    // A typo in the second --filter must not quietly drop the checks it was meant to keep.
    let typo = Run::new().suite(&api).suite(&web).target(&fx).args(["--filter", "health", "--filter", "prodcts"]).run();
    typo.assert_exit(2);
    typo.assert_stderr_has("--filter `prodcts` selects no check");
    assert_eq!(fx.hits("/echo/api-health"), 0, "nothing may run when a selector is wrong");
    let listed =
        Run::list().suite(&api).suite(&web).env("BASE_URL", "http://127.0.0.1:9").args(["--tag", "fats"]).run();
    listed.assert_exit(2);
    listed.assert_stderr_has("--tag `fats` selects no check");
    // Each selects something, but no check has both: nothing to run is an error too.
    let apart = Run::new().suite(&api).suite(&web).target(&fx).args(["--tag", "fast", "--filter", "products"]).run();
    apart.assert_exit(2);
    apart.assert_stderr_has("no check matches every --filter and --tag");
}

#[test]
fn list_shows_suites_and_checks_with_their_lines() {
    let (api, web) = tagged_suites();
    let done = Run::list().suite(&api).suite(&web).env("BASE_URL", "http://127.0.0.1:9").run();
    done.assert_exit(0);
    for (suite, check) in [(&api, "health"), (&api, "products"), (&web, "home page"), (&web, "product page")] {
        let line = format!("{}:{}  {check}", suite.file, suite.line_of(&format!("- name: {check}")));
        done.assert_stdout_has(&line);
    }
    done.assert_stdout_has("api (api.yaml)");
    let fast = Run::list().suite(&api).suite(&web).env("BASE_URL", "http://127.0.0.1:9").args(["--tag", "pages"]).run();
    fast.assert_exit(0);
    assert!(
        fast.stdout.contains("home page") && !fast.stdout.contains("health") && !fast.stdout.contains("api (api.yaml)"),
        "{}",
        fast.stdout
    );
}

#[test]
fn schema_prints_valid_json() {
    let done = Run::schema().run();
    done.assert_exit(0);
    let schema: serde_json::Value =
        serde_json::from_str(&done.stdout).unwrap_or_else(|e| panic!("not JSON: {e}\n{}", done.stdout));
    assert!(schema.is_object());
}

#[test]
fn schema_describes_the_suite_format() {
    let done = Run::schema().run();
    let schema: serde_json::Value = serde_json::from_str(&done.stdout).expect("JSON");
    let props = &schema["properties"];
    for key in ["name", "base_url", "secrets", "vars", "defaults", "tls", "setup", "checks", "teardown"] {
        assert!(props.get(key).is_some(), "the schema does not describe `{key}`:\n{}", done.stdout);
    }
    let text = done.stdout.as_str();
    for key in ["request", "expect", "capture", "retries", "multipart", "days_left", "sha256"] {
        assert!(text.contains(&format!("\"{key}\"")), "the schema does not mention `{key}`");
    }
}

#[test]
fn jobs_1_runs_one_suite_after_another() {
    let fx = app();
    let slow = Suite::new("a-slow").yaml(
        r#"
        name: a-slow
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: slow one
            request: GET /slow?ms=500
          - name: slow two
            request: GET /slow?ms=10
        "#,
    );
    let quick = Suite::new("b-quick").yaml(
        r#"
        name: b-quick
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: quick
            request: GET /health
        "#,
    );
    let done = Run::new().suite(&slow).suite(&quick).target(&fx).args(["--jobs", "1"]).run();
    done.assert_exit(0);
    let order: Vec<&str> = done
        .stdout
        .lines()
        .filter(|l| l.contains("PASS"))
        .map(|l| l.split('›').nth(1).unwrap_or("").split(" (").next().unwrap_or("").trim())
        .collect();
    // Run side by side, the quick suite would finish while the slow one waits.
    assert_eq!(order, ["slow one", "slow two", "quick"], "{}", done.stdout);
    Run::new().suite(&quick).target(&fx).args(["--jobs", "0"]).run().assert_exit(2);
}

/// Two suites that can only pass together: one waits for the file the other uploads.
#[test]
fn more_jobs_run_suites_at_the_same_time() {
    let fx = app();
    let login = r#"
          - name: log in
            request:
              method: POST
              url: /login
              form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
              follow_redirects: false
            expect: { status: 303 }"#;
    let waiter = Suite::new("a-waits").yaml(&format!(
        r#"
        name: a-waits
        base_url: ${{{{ env.BASE_URL }}}}
        secrets: [SMOKE_PASSWORD]
        checks:{login}
          - name: sees the other suite's upload
            request: GET /api/files
            retry: {{ for: 10s, every: 50ms }}
            expect: {{ json: {{ $.count: {{ gte: 1 }} }} }}
        "#
    ));
    let uploader = Suite::new("b-uploads").yaml(&format!(
        r#"
        name: b-uploads
        base_url: ${{{{ env.BASE_URL }}}}
        secrets: [SMOKE_PASSWORD]
        checks:{login}
          - name: upload
            request:
              method: POST
              url: /api/files
              multipart: {{ file: {{ path: b-uploads.yaml }} }}
            expect: {{ status: 201 }}
        "#
    ));
    let done = Run::new()
        .suite(&waiter)
        .suite(&uploader)
        .target(&fx)
        .secret("SMOKE_PASSWORD", "hunter2-smoke")
        .args(["--jobs", "2"])
        .run();
    done.assert_exit(0);
    done.case("sees the other suite's upload").assert_passed();
}

#[test]
fn fail_fast_skips_the_checks_not_yet_started() {
    let fx = app();
    let suite = Suite::new("ff").yaml(
        r#"
        name: ff
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: passes
            request: GET /health
          - name: fails
            request: GET /status/500
            expect: { status: 200 }
          - name: later
            request: GET /echo/later
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).arg("--fail-fast").run();
    done.assert_exit(1);
    done.case("passes").assert_passed();
    done.case("fails").expect("failure", "assertion");
    let later = done.case("later").outcome().expect("skipped");
    assert_eq!(later.name, "skipped");
    assert!(later.attr("message").unwrap_or("").contains("fail-fast"), "{:?}", later.attrs);
    assert_eq!(fx.hits("/echo/later"), 0);
    // Without it, everything runs.
    Run::new().suite(&suite).target(&fx).run().assert_exit(1);
    assert_eq!(fx.hits("/echo/later"), 1);
}

#[test]
fn a_report_that_cannot_be_written_is_exit_3() {
    let fx = app();
    let suite = Suite::new("ok").yaml(
        r#"
        name: ok
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: health
            request: GET /health
        "#,
    );
    for flag in ["--junit", "--json"] {
        let done = Run::new().no_reports().suite(&suite).target(&fx).args([flag, "/proc/nope/report.out"]).run();
        done.assert_exit(3);
        done.assert_stderr_has("/proc/nope/report.out");
    }
    // The checks ran: exit 3 is the runner's own failure, not the deploy's.
    assert_eq!(fx.hits("/health"), 2);
}

#[test]
fn variables_from_the_command_line_and_env_files() {
    let fx = app();
    let suite = Suite::new("vars").yaml(
        r#"
        name: vars
        base_url: ${{ env.BASE_URL }}
        vars: { greeting: hello, who: world }
        checks:
          - name: vars reach the request
            request: GET /echo/${{ greeting }}/${{ who }}/${{ env.REGION }}
            expect: { json: { $.path: "${{ expected }}" } }
        "#,
    );
    let done = Run::new()
        .suite(&suite)
        .file("deploy.env", "# the deploy's settings\nexport REGION=\"eu-west\"\n")
        .target(&fx)
        .args(["--var", "who=shakedown", "--var", "expected=/echo/hello/shakedown/eu-west", "--env-file", "deploy.env"])
        .run();
    done.assert_exit(0);
    assert_eq!(fx.hits("/echo/hello/shakedown/eu-west"), 1);
}

#[test]
fn a_bad_command_line_is_exit_2() {
    let fx = app();
    let suite = Suite::new("ok").yaml(
        r#"
        name: ok
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: health
            request: GET /health
        "#,
    );
    for args in [
        vec!["--var", "no-equals-sign"],
        vec!["--var", "=value"],
        vec!["--timeout", "soon"],
        vec!["--no-such-flag"],
        vec!["--env-file", "missing.env"],
    ] {
        let done = Run::new().suite(&suite).target(&fx).args(args.clone()).run();
        assert_eq!(done.code, 2, "{args:?}: {}", done.output());
        assert!(done.stderr.contains("error"), "{args:?}: {}", done.stderr);
    }
    assert_eq!(fx.total_hits(), 0, "a run with a bad command line judged something");
}

#[test]
fn exit_codes_are_documented_in_help() {
    let out = shakedown(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for code in ["0", "1", "2", "3", "130"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "exit code {code} is not in --help:\n{help}"
        );
    }
}

#[test]
fn settings_come_from_shakedown_environment_variables() {
    let fx = app();
    let suite = Suite::new("envopts").yaml(
        r#"
        name: envopts
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: alpha
            request: GET /echo/alpha
          - name: beta
            request: GET /echo/beta
        "#,
    );
    let done = Run::new()
        .suite(&suite)
        .target(&fx)
        .env("SHAKEDOWN_FILTER", "beta")
        .env("SHAKEDOWN_ENVIRONMENT", "canary")
        .run();
    done.assert_exit(0);
    assert_eq!(done.case_names(), ["beta"]);
    assert_eq!(done.case("beta").attr("classname"), Some("canary.envopts"));
    assert_eq!(fx.hits("/echo/alpha"), 0);
    let junit = done.dir().join("env-report.xml");
    let done = Run::new()
        .no_reports()
        .suite(&suite)
        .target(&fx)
        .env("SHAKEDOWN_JUNIT", junit.to_str().expect("utf-8 path"))
        .run();
    done.assert_exit(0);
    assert!(junit.is_file(), "SHAKEDOWN_JUNIT was not used");
}

#[test]
fn counts_out_of_range_are_usage_errors_not_crashes() {
    let (api, _) = tagged_suites();
    for (flag, value) in
        [("--browsers", "18446744073709551615"), ("--browsers", "0"), ("--jobs", "0"), ("--jobs", "many")]
    {
        let done = Run::new().suite(&api).env("BASE_URL", "http://127.0.0.1:9").args([flag, value]).run();
        done.assert_exit(2);
        done.assert_stderr_has("is not a whole number from 1 to");
    }
}

/// A run of more than 128 KiB of suite files is a large one: its allocator changes to
/// mimalloc once the files are found, so blocks made before are freed by glibc and later ones
/// by mimalloc. Its verdicts are still every check's own: 2,000 checks, every hundredth
/// against a broken route, fail exactly those, and the process ends as it should (a block
/// freed by the wrong allocator aborts it).
#[test]
fn a_large_run_judges_every_check_after_its_allocator_changes() {
    let fx = app();
    let mut yaml = String::from("name: large\nbase_url: ${{ env.BASE_URL }}\nchecks:\n");
    for i in 0..2000 {
        let path = if i % 100 == 7 { "/status/503" } else { "/health" };
        yaml.push_str(&format!(
            "  - name: check {i:04}, named at length to make a suite file of some size\n    request: GET {path}\n    expect: {{ status: 200 }}\n"
        ));
    }
    assert!(yaml.len() > 128 * 1024, "the suite is {} bytes", yaml.len());
    let suite = Suite::new("large").raw(&yaml);
    let done = Run::new().suite(&suite).target(&fx).run();
    done.assert_exit(1);
    assert!(done.stdout.contains("2000 checks in 1 suite: 1980 passed, 20 failed"), "{}", done.stdout);
    for i in (7..2000).step_by(100) {
        assert!(done.stdout.contains(&format!("FAIL  large › check {i:04},")), "check {i} did not fail");
    }
}
