//! The monitor with the real engines it is built for: a real Prometheus scrapes it, promtool
//! lints its exposition, a real Alertmanager receives its alerts, and its status page is
//! loaded in a real headless Chromium (through `shakedown run` itself). Each engine runs on a
//! free loopback port with a configuration and storage in a temporary folder.

use super::harness::*;
use crate::support::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(30);

/// A child process killed on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn daemon(program: &Path, args: &[String], log: &Path) -> Daemon {
    let log = std::fs::File::create(log).expect("a log file");
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    Daemon(child)
}

fn started(url: &str, what: &str) {
    wait_for(T, what, || matches!(get(url), Some((200, _))).then_some(()));
}

pub fn prometheus_scrapes_up_1_0_1() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let key = unique("prom");
    std::fs::write(dir.path().join("shop.yaml"), switch_suite("shop", &key, "")).unwrap();
    let m = Monitor::start(
        dir.path(),
        &["--every", "300ms", "--jitter", "0", "--location", "lab-1", "shop.yaml"],
        &[("BASE_URL", &fx.http_url)],
    );
    let target = m.url.trim_start_matches("http://").to_string();
    let config = format!(
        "global: {{ scrape_interval: 1s, evaluation_interval: 1s }}\nscrape_configs:\n  - job_name: shakedown\n    static_configs:\n      - targets: ['{target}']\n"
    );
    std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let args: Vec<String> = vec![
        format!("--config.file={}", dir.path().join("prometheus.yml").display()),
        format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    let _p = daemon(&which("prometheus").unwrap(), &args, &dir.path().join("prometheus.log"));
    let api = format!("http://127.0.0.1:{port}");
    started(&format!("{api}/-/ready"), "Prometheus to be ready");
    let query = |q: &str| -> Option<f64> {
        let url = format!(
            "{api}/api/v1/query?query={}",
            percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC)
        );
        let (_, body) = get(&url)?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    };
    let up = r#"shakedown_check_up{suite="shop",check="switch",location="lab-1",environment="test"}"#;
    let seen = |value: f64, what: &str| {
        wait_for(T, what, || (query(up) == Some(value)).then_some(()));
    };
    seen(1.0, "Prometheus to see the check up");
    fx.set_down(&key, true);
    seen(0.0, "Prometheus to see the check down");
    assert_eq!(query(r#"shakedown_check_up{check="health"}"#), Some(1.0));
    assert_eq!(query(r#"up{job="shakedown"}"#), Some(1.0), "the scrape itself succeeds");
    fx.set_down(&key, false);
    seen(1.0, "Prometheus to see the check up again");
    let failed = query(r#"shakedown_check_runs_total{check="switch",result="failed"}"#).unwrap_or(0.0);
    assert!(failed >= 1.0, "Prometheus has the failed runs: {failed}");
    let histogram = query(r#"shakedown_check_run_duration_seconds_count{check="switch"}"#).unwrap_or(0.0);
    assert!(histogram >= 3.0, "the histogram is scraped: {histogram}");
}

pub fn promtool_accepts_the_exposition() {
    // HTTPS, so that the certificate metric is in the exposition too.
    let fx = tls_app();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), fx.ca_pem.as_ref().unwrap()).unwrap();
    let key = unique("lint");
    // Names that need escaping in label values.
    let suite = switch_suite("shop", &key, "tls: { ca: ca.pem }")
        .replace("name: health", "name: 'quotes \" and \\ back\\slash, ünïcødé'");
    std::fs::write(dir.path().join("shop.yaml"), suite).unwrap();
    fx.set_down(&key, true);
    let m =
        Monitor::start(dir.path(), &["--every", "200ms", "shop.yaml"], &[("BASE_URL", fx.https_url.as_ref().unwrap())]);
    m.wait_metric("shakedown_check_up", &[("check", "switch")], 0.0, T);
    let text = m.body("/metrics");
    assert!(text.contains("shakedown_tls_certificate_expiry_timestamp_seconds{host=\"127.0.0.1\""), "{text}");
    assert!(text.contains(r#"check="quotes \" and \\ back\\slash, ünïcødé""#), "{text}");
    let lint = |text: &str| {
        let mut child = Command::new(which("promtool").unwrap())
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start promtool");
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (ok, said) = lint(&text);
    assert!(ok && said.trim().is_empty(), "promtool check metrics: {said}\n{text}");
    // The check can fail: promtool does reject a malformed exposition and a lint problem.
    let (ok, _) = lint(&text.replace("# TYPE shakedown_check_up gauge", "# TYPE shakedown_check_up nonsense"));
    assert!(!ok, "promtool accepts anything?");
    let (ok, said) = lint(&text.replace("shakedown_check_runs_total", "shakedown_check_runs"));
    assert!(!ok && said.contains("counter"), "a counter without _total: {said}");
}

pub fn alertmanager_receives_the_alert_and_its_resolution() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let key = unique("am");
    // The failing request carries a secret: the alert must not.
    let secret = "am-Secret-7c6b5a4d3e";
    let suite = switch_suite("shop", &key, "secrets: [API_TOKEN]")
        .replace(&format!("GET /switch/{key}"), &format!("GET /switch/{key}?token=${{{{ secrets.API_TOKEN }}}}"));
    std::fs::write(dir.path().join("shop.yaml"), suite).unwrap();
    std::fs::write(
        dir.path().join("alertmanager.yml"),
        "route: { receiver: nobody, group_wait: 1s, group_interval: 1s }\nreceivers:\n  - name: nobody\n",
    )
    .unwrap();
    let port = free_port();
    let args: Vec<String> = vec![
        format!("--config.file={}", dir.path().join("alertmanager.yml").display()),
        format!("--storage.path={}", dir.path().join("am").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--cluster.listen-address=".into(),
    ];
    let _am = daemon(&alertmanager().unwrap(), &args, &dir.path().join("alertmanager.log"));
    let am = format!("http://127.0.0.1:{port}");
    started(&format!("{am}/-/ready"), "Alertmanager to be ready");
    let m = Monitor::start(
        dir.path(),
        &[
            "--every",
            "250ms",
            "--jitter",
            "0",
            "--alertmanager",
            &am,
            "--alert-resend",
            "1s",
            "--location",
            "lab-2",
            "shop.yaml",
        ],
        &[("BASE_URL", &fx.http_url), ("API_TOKEN", secret)],
    );
    m.wait_metric("shakedown_check_up", &[("check", "switch")], 1.0, T);
    let alerts = || -> Vec<serde_json::Value> {
        get(&format!("{am}/api/v2/alerts"))
            .and_then(|(_, b)| serde_json::from_str::<Vec<serde_json::Value>>(&b).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a["labels"]["alertname"] == "ShakedownCheckFailing" && a["labels"]["check"] == "switch")
            .collect()
    };
    assert!(alerts().is_empty(), "no alert while the check passes");
    let down_at = Instant::now();
    fx.set_down(&key, true);
    let alert = wait_for(T, "Alertmanager to have the alert", || alerts().into_iter().next());
    let latency = down_at.elapsed();
    eprintln!("alert latency (target down to alert in Alertmanager, --every 250ms, threshold 2): {latency:?}");
    let labels = &alert["labels"];
    assert_eq!((labels["suite"].as_str(), labels["location"].as_str()), (Some("shop"), Some("lab-2")));
    assert_eq!(labels["environment"], "test");
    assert_eq!(alert["status"]["state"], "active");
    let description = alert["annotations"]["description"].as_str().unwrap_or_default();
    assert!(description.contains("503") && description.contains("token=***"), "{alert}");
    assert!(!alert.to_string().contains(secret), "the secret is in the alert: {alert}");
    let ends = alert["endsAt"].as_str().unwrap_or_default().to_string();
    // Re-posted while firing: endsAt moves forward.
    wait_for(T, "the alert to be posted again", || {
        alerts().first().and_then(|a| a["endsAt"].as_str().map(str::to_string)).filter(|e| *e > ends)
    });
    fx.set_down(&key, false);
    wait_for(T, "Alertmanager to see the alert resolved", || alerts().is_empty().then_some(()));
    let _ = m.stop();
}

pub fn the_status_page_in_chromium() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let key = unique("page");
    std::fs::write(dir.path().join("shop.yaml"), switch_suite("shop", &key, "")).unwrap();
    fx.set_down(&key, true);
    let m = Monitor::start(dir.path(), &["--every", "200ms", "shop.yaml"], &[("BASE_URL", &fx.http_url)]);
    wait_for(T, "the alert", || {
        m.status()["checks"].as_array()?.iter().find(|c| c["alerting_since"].is_string()).cloned()
    });
    let page = format!(
        "name: status-page\nbase_url: {}\nbrowser: {{ timeout: 2s }}\nchecks:\n  - name: the status page\n    browser:\n      - goto: /\n      - see: {{ title: {{ contains: 1 failing }} }}\n      - see: {{ selector: \"tr.check\", count: 2 }}\n      - see: {{ selector: \"tr.check.firing .state\", text: ALERT }}\n      - see: {{ selector: \"tr.check.up .state\", text: UP }}\n      - see: {{ selector: \"tr.check.firing .problem\", text: {{ contains: \"503\" }} }}\n      - see: {{ selector: \"tr.check.firing svg.spark polyline\", count: 1 }}\n      - see: {{ selector: \"tr.check.firing .strip i.failed\", count: {{ gte: 2 }} }}\n      - eval: {{ expression: \"getComputedStyle(document.querySelector('tr.check.firing .state')).backgroundColor\", expect: \"rgb(155, 28, 28)\" }}\n      - eval: {{ expression: \"performance.getEntriesByType('resource').map(e => e.name).join(' ')\", expect: \"\" }}\n      - screenshot: status-page\n      - no_console_errors: true\n",
        m.url
    );
    std::fs::write(dir.path().join("page.yaml"), page).unwrap();
    let out = Command::new(bin())
        .args(["run", "page.yaml", "--artifacts", "artifacts", "--no-github", BROWSER_ONLY_LOOPBACK])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    let shot = walkdir(&dir.path().join("artifacts")).into_iter().find(|p| p.ends_with("status-page.png"));
    let shot = shot.unwrap_or_else(|| panic!("no screenshot: {said}"));
    let keep = repo().join("target/monitor/status-page.png");
    std::fs::create_dir_all(keep.parent().unwrap()).unwrap();
    std::fs::copy(&shot, &keep).unwrap();
    eprintln!("status page screenshot: {}", keep.display());
    // The check can fail: a page without the failing check does not pass.
    fx.set_down(&key, false);
    m.wait_metric("shakedown_check_up", &[("check", "switch")], 1.0, T);
    let out = Command::new(bin())
        .args(["run", "page.yaml", "--artifacts", "artifacts2", "--no-github", BROWSER_ONLY_LOOPBACK])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the page no longer shows a failing check");
    let _ = m.stop();
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out
}

/// A ```yaml block of README.md that starts with this line.
fn readme_block(first_line: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find(&format!("```yaml\n{first_line}\n"))
        .unwrap_or_else(|| panic!("README has no `{first_line}` block"));
    let body = &readme[start + "```yaml\n".len()..];
    body[..body.find("```").unwrap()].to_string()
}

fn tool_accepts(program: &Path, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} {args:?}: {said}", program.display());
}

pub fn the_readme_quorum_rule_needs_2_of_3_locations() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(&rules, readme_block("# prometheus rules file")).unwrap();
    tool_accepts(&which("promtool").unwrap(), &["check", "rules", rules.to_str().unwrap()]);
    let am = dir.path().join("alertmanager.yml");
    std::fs::write(&am, readme_block("# alertmanager.yml")).unwrap();
    tool_accepts(
        &which("amtool").expect("amtool, from prometheus-alertmanager"),
        &["check-config", am.to_str().unwrap()],
    );

    // Three monitors, one per location, watching the same check of the same target (each
    // through a switch of its own, so that the target can look down from some locations only).
    let fx = app();
    let keys: Vec<String> = (0..3).map(|i| unique(&format!("loc{i}"))).collect();
    let monitors: Vec<Monitor> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let d = dir.path().join(format!("m{i}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("shop.yaml"), switch_suite("shop", key, "")).unwrap();
            let location = format!("loc-{i}");
            Monitor::start(
                &d,
                &["--every", "300ms", "--location", &location, "shop.yaml"],
                &[("BASE_URL", &fx.http_url)],
            )
        })
        .collect();
    let targets: Vec<String> = monitors.iter().map(|m| format!("'{}'", m.url.trim_start_matches("http://"))).collect();
    let config = format!(
        "global: {{ scrape_interval: 1s, evaluation_interval: 1s }}\nrule_files: ['{}']\nscrape_configs:\n  - job_name: shakedown\n    static_configs:\n      - targets: [{}]\n",
        rules.display(),
        targets.join(", ")
    );
    std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let args: Vec<String> = vec![
        format!("--config.file={}", dir.path().join("prometheus.yml").display()),
        format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    let _p = daemon(&which("prometheus").unwrap(), &args, &dir.path().join("prometheus.log"));
    let api = format!("http://127.0.0.1:{port}");
    started(&format!("{api}/-/ready"), "Prometheus to be ready");
    let query = |q: &str| -> Vec<serde_json::Value> {
        let url = format!(
            "{api}/api/v1/query?query={}",
            percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC)
        );
        get(&url)
            .and_then(|(_, b)| serde_json::from_str::<serde_json::Value>(&b).ok())
            .and_then(|v| v["data"]["result"].as_array().cloned())
            .unwrap_or_default()
    };
    let down = |n: usize| {
        wait_for(T, &format!("Prometheus to see the check down from {n} locations"), || {
            (query(r#"shakedown_check_up{check="switch"} == 0"#).len() == n
                && query(r#"shakedown_check_up{check="switch"} == 1"#).len() == 3 - n)
                .then_some(())
        })
    };
    let alert = || query(r#"ALERTS{alertname="ShakedownCheckDownFromManyLocations"}"#);
    down(0);
    fx.set_down(&keys[0], true);
    down(1);
    std::thread::sleep(Duration::from_millis(2500)); // a few rule evaluations
    assert!(alert().is_empty(), "one location of three is not enough: {:?}", alert());
    fx.set_down(&keys[1], true);
    down(2);
    let a = wait_for(T, "the quorum alert (pending: it has `for: 2m`)", || alert().into_iter().next());
    assert_eq!(a["metric"]["suite"], "shop");
    assert_eq!(a["metric"]["check"], "switch");
    assert_eq!(a["metric"]["alertstate"], "pending");
    fx.set_down(&keys[0], false);
    down(1);
    wait_for(T, "the quorum alert to end", || alert().is_empty().then_some(()));
}

pub fn browser_checks_run_on_every_tick_and_no_browser_outlives_the_monitor() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let suite = "name: shop-ui\nbase_url: ${{ env.BASE_URL }}\nbrowser: { timeout: 3s }\nchecks:\n  - name: products page\n    browser:\n      - goto: /products\n      - see: { selector: li.product, count: 3 }\n";
    std::fs::write(dir.path().join("ui.yaml"), suite).unwrap();
    // A marker in the environment, which chromedriver and Chromium inherit, finds their
    // processes, and only this test's.
    let marker = unique("ui");
    let m = Monitor::start(
        dir.path(),
        &["--every", "300ms", "--jitter", "0", BROWSER_ONLY_LOOPBACK, "ui.yaml"],
        &[("BASE_URL", &fx.http_url), ("SHAKEDOWN_TEST_MARKER", &marker)],
    );
    let labels = [("suite", "shop-ui"), ("check", "products page")];
    wait_for(Duration::from_secs(60), "three passing browser runs", || {
        (m.metric("shakedown_check_runs_total", &[labels[0], labels[1], ("result", "passed")])? >= 3.0).then_some(())
    });
    assert_eq!(m.metric("shakedown_check_up", &labels), Some(1.0));
    wait_for(T, "the monitor's chromedriver", || {
        marked(&marker).iter().any(|p| p.contains("chromedriver")).then_some(())
    });
    let (code, log, _) = m.stop();
    assert_eq!(code, 0, "{log}");
    wait_for(T, "every process the monitor started to be gone", || marked(&marker).is_empty().then_some(()));
}

/// Live processes whose environment carries `SHAKEDOWN_TEST_MARKER=marker`.
fn marked(marker: &str) -> Vec<String> {
    let needle = format!("SHAKEDOWN_TEST_MARKER={marker}");
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        if !env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if matches!(stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()), Some("Z" | "X")) {
            continue;
        }
        found.push(std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().replace('\0', " "));
    }
    found
}
