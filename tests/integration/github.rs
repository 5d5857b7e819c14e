//! GitHub Actions: the annotations a runner would read from stdout, parsed back the way the
//! runner does (commands stopped by `::stop-commands::` are not commands), and the Markdown
//! step summary appended to `$GITHUB_STEP_SUMMARY`.

use crate::fixture::Fixture;
use crate::support::*;

/// One workflow command as the runner reads it.
#[derive(Debug)]
struct Annotation {
    level: String,
    props: Vec<(String, String)>,
    message: String,
}

impl Annotation {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
}

/// The workflow commands of a run's stdout that the runner would act on: `::stop-commands::T`
/// stops all of them until a line `::T::`.
fn commands(stdout: &str) -> Vec<Annotation> {
    let mut out = Vec::new();
    let mut stopped: Option<String> = None;
    for line in stdout.lines() {
        if let Some(token) = &stopped {
            if line == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("::") else { continue };
        let Some((head, data)) = rest.split_once("::") else { continue };
        let (level, props) = head.split_once(' ').unwrap_or((head, ""));
        if level == "stop-commands" {
            stopped = Some(data.to_string());
            continue;
        }
        let props = props
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("a property is not k=v: `{p}` in `{line}`"));
                (k.to_string(), unescape(v))
            })
            .collect();
        out.push(Annotation { level: level.to_string(), props, message: unescape(data) });
    }
    out
}

const HOSTILE: &str = r#"
    name: gh
    base_url: ${{ env.BASE_URL }}
    secrets: [SMOKE_PASSWORD]
    checks:
      - name: health
        request: GET /health
      - name: "100% sure, really: a::b"
        request: GET /status/500
        expect: { status: 200 }
      - name: "two ::error::injected"
        request: GET /health
        expect: { body: { contains: "${{ secrets.SMOKE_PASSWORD }}\n::warning::also injected" } }
      - name: unreachable
        request: GET http://127.0.0.1:${{ env.CLOSED }}/
      - name: warming up
        retries: 2
        request: GET /flaky/gh-${{ env.KEY }}
        expect: { status: 200 }
    "#;

fn hostile_run(fx: &Fixture) -> (Run, Suite) {
    let suite = Suite::new("gh").yaml(HOSTILE);
    let run = Run::new()
        .suite(&suite)
        .target(fx)
        .secret("SMOKE_PASSWORD", "hunter2-smoke")
        .env("CLOSED", &closed_port().to_string())
        .env("KEY", &unique("k"))
        .env("GITHUB_ACTIONS", "true");
    (run, suite)
}

#[test]
fn failing_checks_are_annotated_at_their_suite_lines_escaped_and_masked() {
    let fx = app();
    let (run, suite) = hostile_run(&fx);
    let workspace = run.dir().to_path_buf();
    let done = run.env("GITHUB_WORKSPACE", workspace.to_str().expect("utf-8 path")).run();
    done.assert_exit(1);
    let all = commands(&done.stdout);
    // Only our annotations: what the names and the target said was never a command.
    for a in &all {
        assert!(matches!(a.level.as_str(), "error" | "warning" | "notice"), "unexpected command {a:?}");
        assert!(!a.message.starts_with("injected") && a.level != "add-mask", "{a:?}");
    }
    let errors: Vec<&Annotation> = all.iter().filter(|a| a.level == "error").collect();
    assert_eq!(errors.len(), 3, "{all:#?}\n{}", done.stdout);

    let status = errors.iter().find(|a| a.prop("title") == Some("gh › 100% sure, really: a::b")).expect("status");
    assert_eq!(status.prop("file"), Some("gh.yaml"), "relative to $GITHUB_WORKSPACE");
    // The line of the assertion that failed, not only of the check.
    assert_eq!(status.prop("line"), Some(suite.line_of("expect: { status: 200 }").to_string().as_str()));
    assert!(status.message.starts_with("status: expected 200, got 500"), "{}", status.message);

    let body = errors.iter().find(|a| a.prop("title") == Some("gh › two ::error::injected")).expect("body");
    assert!(body.message.contains(r#"to contain "***\n::warning::also injected""#), "{}", body.message);
    // The details follow on further lines, escaped into the one command line.
    assert!(body.message.contains("\n\nstep 1 at gh.yaml:"), "{}", body.message);
    assert_eq!(body.prop("line"), Some(suite.line_of("expect: { body:").to_string().as_str()));

    let unreachable = errors.iter().find(|a| a.prop("title") == Some("gh › unreachable")).expect("error");
    assert_eq!(unreachable.prop("line"), Some(suite.line_of("name: unreachable").to_string().as_str()));

    let flaky: Vec<&Annotation> = all.iter().filter(|a| a.level == "warning").collect();
    assert_eq!(flaky.len(), 1, "{all:#?}");
    assert_eq!(flaky[0].prop("title"), Some("gh › warming up"));
    assert!(flaky[0].message.starts_with("passed only after 1 failed attempt(s)"), "{}", flaky[0].message);
    // Every annotation line is one line: an escaped newline never starts a new command.
    assert!(done.stdout.lines().filter(|l| l.starts_with("::error")).count() == 3);
}

#[test]
fn the_step_summary_is_appended_with_totals_problems_flaky_and_slowest_checks() {
    let fx = app();
    let (run, _) = hostile_run(&fx);
    let summary_file = run.dir().join("step-summary.md");
    std::fs::write(&summary_file, "an earlier step's summary\n").expect("write");
    let done = run.env("GITHUB_STEP_SUMMARY", summary_file.to_str().expect("utf-8 path")).run();
    done.assert_exit(1);
    let md = std::fs::read_to_string(&summary_file).expect("a summary");
    assert!(md.starts_with("an earlier step's summary\n## shakedown: ❌ failed"), "appended:\n{md}");
    assert!(md.contains("| 5 | 1 | 2 | 1 | 1 | 0 | 1 |"), "totals row:\n{md}");
    assert!(!md.contains("hunter2-smoke"), "a secret in the summary:\n{md}");
    // Hostile names stay in their cell: `|` and newlines are escaped, Markdown is literal.
    assert!(
        md.contains(
            "| gh › 100% sure, really: a::b | failure (assertion) | 200 | 500 Internal Server Error | gh.yaml:"
        ),
        "{md}"
    );
    assert!(md.contains("gh › two ::error::injected | failure (assertion)"), "{md}");
    let table: Vec<&str> =
        md.lines().skip_while(|l| !l.starts_with("### Problems")).skip(2).take_while(|l| l.starts_with('|')).collect();
    assert_eq!(table.len(), 2 + 3, "header, rule and three problems:\n{md}");
    for row in &table {
        assert_eq!(row.matches('|').count(), 6, "a row with a stray cell: {row}");
    }
    assert!(md.contains("error (connection)"), "{md}");
    assert!(md.contains("### Flaky\n\n- gh › warming up: passed after 1 failed attempt(s) (gh.yaml:"), "{md}");
    assert!(md.contains("### Slowest checks"), "{md}");
    assert!(md.contains("- JUnit report: "), "{md}");
}

#[test]
fn the_summary_and_the_annotations_are_bounded() {
    let fx = app();
    let long = "x".repeat(180);
    let mut yaml = format!("name: many {}\nbase_url: ${{{{ env.BASE_URL }}}}\nchecks:\n", "y".repeat(150));
    for i in 0..900 {
        yaml.push_str(&format!(
            "  - name: \"{i} {long}\"\n    request: GET /health\n    expect: {{ header: {{ x-nope: \"{long}\" }} }}\n"
        ));
    }
    let suite = Suite::new("many").raw(&yaml);
    let run = Run::new().suite(&suite).target(&fx).arg("--github").no_reports();
    let summary_file = run.dir().join("summary.md");
    let done = run.env("GITHUB_STEP_SUMMARY", summary_file.to_str().expect("utf-8 path")).run();
    done.assert_exit(1);
    let md = std::fs::read_to_string(&summary_file).expect("a summary");
    assert!(md.len() <= 512 * 1024, "the summary is {} bytes", md.len());
    assert!(md.contains("more problems not shown"), "no note of the cut");
    let errors = commands(&done.stdout).into_iter().filter(|a| a.level == "error").collect::<Vec<_>>();
    assert_eq!(errors.len(), 51, "50 annotations, then one that says how many more");
    assert!(errors[50].message.starts_with("850 more errors"), "{}", errors[50].message);
}

#[test]
fn no_github_turns_it_off_and_github_turns_it_on_outside_actions() {
    let fx = app();
    let suite = Suite::new("onoff").yaml(
        r#"
        name: onoff
        base_url: ${{ env.BASE_URL }}
        checks:
          - name: broken
            request: GET /status/503
            expect: { status: 200 }
        "#,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = dir.path().join("s.md");
    let off = Run::new()
        .suite(&suite)
        .target(&fx)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8"))
        .arg("--no-github")
        .run();
    off.assert_exit(1);
    assert!(!off.stdout.contains("::"), "{}", off.stdout);
    assert!(!summary.exists(), "--no-github wrote a summary");

    let plain = Run::new().suite(&suite).target(&fx).run();
    assert!(!plain.stdout.contains("::"), "annotations outside GitHub Actions:\n{}", plain.stdout);

    let on = Run::new().suite(&suite).target(&fx).arg("--github").run();
    let errors = commands(&on.stdout);
    assert_eq!(errors.len(), 1, "{}", on.stdout);
    assert_eq!(errors[0].prop("title"), Some("onoff › broken"));
}

#[test]
fn a_suite_whose_setup_failed_is_one_notice() {
    let fx = app();
    let suite = Suite::new("nosetup").yaml(
        r#"
        name: nosetup
        base_url: ${{ env.BASE_URL }}
        setup:
          - request: GET /status/500
            expect: { status: 200 }
        checks:
          - name: one
            request: GET /health
          - name: two
            request: GET /health
        "#,
    );
    let done = Run::new().suite(&suite).target(&fx).env("GITHUB_ACTIONS", "true").run();
    done.assert_exit(1);
    let all = commands(&done.stdout);
    let notices: Vec<&Annotation> = all.iter().filter(|a| a.level == "notice").collect();
    assert_eq!(notices.len(), 1, "{all:#?}");
    assert_eq!(notices[0].prop("title"), Some("nosetup (suite not run)"));
    assert!(notices[0].message.starts_with("2 checks did not run: setup failed"), "{}", notices[0].message);
    assert_eq!(all.iter().filter(|a| a.level == "error").count(), 1, "the [setup] error: {all:#?}");
}
