//! The monitor against the fixture app, with nothing else installed: metrics follow a target
//! down and up, state survives a restart, SIGHUP with a bad suite keeps the running set,
//! nothing secret leaves, and bad input is a clear error.

use super::harness::*;
use crate::support::*;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

fn up(check: &str) -> [(&'static str, &str); 2] {
    [("check", check), ("suite", "shop")]
}

pub fn metrics_follow_a_target_down_and_up() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let key = unique("metrics");
    std::fs::write(dir.path().join("shop.yaml"), switch_suite("shop", &key, "")).unwrap();
    let m =
        Monitor::start(dir.path(), &["--every", "200ms", "--jitter", "0", "shop.yaml"], &[("BASE_URL", &fx.http_url)]);
    m.wait_metric("shakedown_check_up", &up("switch"), 1.0, T);
    assert_eq!(m.metric("shakedown_check_up", &up("health")), Some(1.0));
    assert!(m.metric("shakedown_check_last_success_timestamp_seconds", &up("switch")).is_some());
    assert_eq!(m.metric("shakedown_check_up", &[("location", "default"), ("environment", "test")]), Some(1.0));

    fx.set_down(&key, true);
    m.wait_metric("shakedown_check_up", &up("switch"), 0.0, T);
    wait_for(T, "two consecutive failures", || {
        (m.metric("shakedown_check_consecutive_failures", &up("switch"))? >= 2.0).then_some(())
    });
    assert_eq!(m.metric("shakedown_check_up", &up("health")), Some(1.0), "the other check is not affected");
    assert!(m.metric("shakedown_check_runs_total", &[("check", "switch"), ("result", "failed")]).unwrap_or(0.0) >= 2.0);
    let status = m.status();
    let check = status["checks"].as_array().unwrap().iter().find(|c| c["check"] == "switch").unwrap().clone();
    assert_eq!(check["state"], "down");
    assert!(check["alerting_since"].is_string(), "2 failures reach the default threshold: {check}");
    let problem = check["last_problem"]["text"].as_str().unwrap_or_default();
    assert!(problem.contains("503") && problem.contains(&format!("/switch/{key}")), "{problem}");
    let page = m.body("/");
    assert!(page.contains("ALERT") && page.contains("1 down"), "the page shows the failing check");
    assert!(m.find_line("shop › switch is DOWN (failed)").is_some(), "{}", m.log());

    fx.set_down(&key, false);
    m.wait_metric("shakedown_check_up", &up("switch"), 1.0, T);
    assert_eq!(m.metric("shakedown_check_consecutive_failures", &up("switch")), Some(0.0));
    assert!(m.find_line("shop › switch is UP again").is_some());
    assert_eq!(m.body("/healthz"), "ok\n");
    let (code, log, stderr) = m.stop();
    assert_eq!(code, 0, "SIGTERM is a clean stop\n{log}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

pub fn state_and_alerts_survive_a_restart() {
    let fx = app();
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let key = unique("restart");
    std::fs::write(dir.path().join("shop.yaml"), switch_suite("shop", &key, "")).unwrap();
    let args = ["--every", "200ms", "--jitter", "0", "--state-dir", "state", "--webhook", &sink.url, "shop.yaml"];
    let env = [("BASE_URL", fx.http_url.as_str())];
    fx.set_down(&key, true);
    // The webhook fails at first: the delivery is tried again.
    sink.failing.store(true, std::sync::atomic::Ordering::SeqCst);
    let m = Monitor::start(dir.path(), &args, &env);
    wait_for(T, "a failed delivery", || m.find_line("webhook 127.0.0.1: answered 500"));
    sink.failing.store(false, std::sync::atomic::Ordering::SeqCst);
    wait_for(T, "the webhook to hear the alert fire", || (sink.count("firing") == 1).then_some(()));
    let fired = sink.messages().into_iter().find(|x| x["status"] == "firing").unwrap();
    assert_eq!((fired["suite"].as_str(), fired["check"].as_str()), (Some("shop"), Some("switch")));
    let before = m.status();
    let (code, log, _) = m.stop();
    assert_eq!(code, 0, "{log}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("state/state.json")).unwrap()).unwrap();
    assert!(
        saved["checks"].as_array().unwrap().iter().any(|c| c["check"] == "switch" && c["firing_since"].is_number())
    );

    // A restart: the alert still fires, since the same moment, and is not sent again.
    let m = Monitor::start(dir.path(), &args, &env);
    let since = |s: &serde_json::Value| {
        s["checks"].as_array().unwrap().iter().find(|c| c["check"] == "switch").map(|c| c["alerting_since"].clone())
    };
    assert_eq!(since(&m.status()), since(&before), "restored before any run");
    assert!(since(&before).is_some_and(|s| s.is_string()));
    let runs_before = m.metric("shakedown_check_runs_total", &[("check", "switch"), ("result", "failed")]).unwrap();
    wait_for(T, "more failed runs after the restart", || {
        (m.metric("shakedown_check_runs_total", &[("check", "switch"), ("result", "failed")])? >= runs_before + 3.0)
            .then_some(())
    });
    assert_eq!(sink.count("firing"), 1, "a restart does not fire the alert again");
    fx.set_down(&key, false);
    wait_for(T, "the webhook to hear the resolution", || (sink.count("resolved") == 1).then_some(()));
    let _ = m.stop();
}

pub fn a_bad_suite_on_sighup_keeps_the_running_set() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let key = unique("reload");
    let file = dir.path().join("suites/shop.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, switch_suite("shop", &key, "")).unwrap();
    let m = Monitor::start(dir.path(), &["--every", "200ms", "--jitter", "0", "suites"], &[("BASE_URL", &fx.http_url)]);
    m.wait_metric("shakedown_check_up", &up("switch"), 1.0, T);

    std::fs::write(&file, "name: shop\nchecks:\n  - name: broken\n    request: { method: GET }\n").unwrap();
    m.signal("HUP");
    wait_for(T, "the reload to be refused", || m.find_line("the suites running before the reload keep running"));
    assert_eq!(m.metric("shakedown_suite_load_errors", &[]), Some(1.0));
    assert!(m.find_line("reload refused: ").is_some_and(|l| l.contains("shop.yaml")), "{}", m.log());
    let runs = m.metric("shakedown_check_run_duration_seconds_count", &up("switch")).unwrap();
    wait_for(T, "the old set to keep running", || {
        (m.metric("shakedown_check_run_duration_seconds_count", &up("switch"))? >= runs + 2.0).then_some(())
    });
    assert!(m.body("/").contains("could not be loaded"));

    std::fs::write(&file, switch_suite("shop", &key, "").replace("name: health", "name: renamed")).unwrap();
    m.signal("HUP");
    m.wait_metric("shakedown_check_up", &up("renamed"), 1.0, T);
    assert_eq!(m.metric("shakedown_suite_load_errors", &[]), Some(0.0));
    assert_eq!(m.metric("shakedown_check_up", &up("health")), None, "a check gone from the suite is forgotten");
    let _ = m.stop();
}

pub fn a_suite_that_fails_to_load_does_not_stop_the_others() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suites")).unwrap();
    std::fs::write(dir.path().join("suites/a.yaml"), switch_suite("shop", &unique("a"), "")).unwrap();
    std::fs::write(dir.path().join("suites/b.yaml"), "name: b\nchecks: {}\n").unwrap();
    // A second file named `shop` whose `switch` fails: it is a load error and does not run,
    // so it cannot garble the state of the first one's checks.
    let twin = "name: shop\nbase_url: ${{ env.BASE_URL }}\nchecks:\n  - name: switch\n    request: GET /no-such-page\n";
    std::fs::write(dir.path().join("suites/c.yaml"), twin).unwrap();
    let m = Monitor::start(dir.path(), &["--every", "200ms", "suites"], &[("BASE_URL", &fx.http_url)]);
    m.wait_metric("shakedown_check_up", &up("switch"), 1.0, T);
    assert_eq!(m.metric("shakedown_suite_load_errors", &[("location", "default")]), Some(2.0));
    assert!(m.find_line("cannot load suites/b.yaml").is_some(), "{}", m.log());
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(m.metric("shakedown_check_up", &up("switch")), Some(1.0));
    assert_eq!(m.metric("shakedown_check_consecutive_failures", &up("switch")), Some(0.0));
    assert_eq!(fx.hits("/no-such-page"), 0, "the twin suite ran");
    let status = m.status();
    assert_eq!(status["load_errors"][0]["file"], "suites/b.yaml");
    let _ = m.stop();
}

pub fn a_suite_interval_wins_and_a_suite_never_runs_twice_at_once() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fast.yaml"), switch_suite("fast", &unique("f"), "monitor: { every: 200ms }"))
        .unwrap();
    std::fs::write(dir.path().join("hourly.yaml"), switch_suite("hourly", &unique("h"), "")).unwrap();
    // Each run takes 600ms, three times its interval: runs must follow each other, not pile up.
    let slow = "name: slow\nbase_url: ${{ env.BASE_URL }}\nmonitor: { every: 100ms }\nchecks:\n  - name: slow\n    request: GET /slow?ms=600\n";
    std::fs::write(dir.path().join("slow.yaml"), slow).unwrap();
    let m = Monitor::start(
        dir.path(),
        &["--every", "1h", "--jitter", "0", "-j", "8", "fast.yaml", "hourly.yaml", "slow.yaml"],
        &[("BASE_URL", &fx.http_url)],
    );
    std::thread::sleep(Duration::from_millis(2500));
    let runs =
        |suite: &str| m.metric("shakedown_check_run_duration_seconds_count", &[("suite", suite), ("check", "switch")]);
    assert!(runs("fast").unwrap_or(0.0) >= 6.0, "every 200ms for 2.5s: {:?}", runs("fast"));
    assert_eq!(runs("hourly"), Some(1.0), "once at start, then in an hour");
    let slow_runs = fx.hits("/slow");
    assert!((2..=5).contains(&slow_runs), "600ms runs one after another in 2.5s: {slow_runs} requests");
    let _ = m.stop();
}

pub fn no_secret_leaves_the_monitor() {
    let fx = app();
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let secret = "s3cret-Token-9f8e7d6c";
    let suite = "name: shop\nbase_url: ${{ env.BASE_URL }}\nsecrets: [API_TOKEN]\nchecks:\n  - name: token in the query\n    request:\n      url: /echo?token=${{ secrets.API_TOKEN }}\n      headers: { authorization: \"Bearer ${{ secrets.API_TOKEN }}\" }\n    expect: { status: 500, body: { contains: nothing-like-this } }\n";
    std::fs::write(dir.path().join("shop.yaml"), suite).unwrap();
    let m = Monitor::start(
        dir.path(),
        &["--every", "200ms", "--failure-threshold", "1", "--webhook", &sink.url, "--state-dir", "st", "shop.yaml"],
        &[("BASE_URL", &fx.http_url), ("API_TOKEN", secret)],
    );
    wait_for(T, "the alert", || (sink.count("firing") == 1).then_some(()));
    let outputs = [m.body("/metrics"), m.body("/api/status"), m.body("/"), sink.bodies.lock().unwrap().join("\n")];
    let problem = m.status()["checks"][0]["last_problem"]["text"].as_str().unwrap_or_default().to_string();
    assert!(problem.contains("token=***"), "the problem names the request, masked: {problem}");
    let (_, log, stderr) = m.stop();
    let state = std::fs::read_to_string(dir.path().join("st/state.json")).unwrap();
    for (what, text) in ["/metrics", "/api/status", "/", "webhook", "log", "stderr", "state.json"]
        .iter()
        .zip(outputs.iter().chain([&log, &stderr, &state]))
    {
        assert!(!text.contains(secret), "the secret is in {what}:\n{text}");
        assert!(!text.contains("secret-path-1234"), "the webhook URL's path is in {what}");
    }
}

pub fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.yaml"), switch_suite("shop", "x", "")).unwrap();
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    std::fs::create_dir_all(dir.path().join("corrupt")).unwrap();
    std::fs::write(dir.path().join("corrupt/state.json"), "{ half a file").unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["--every", "0s"], "shorter than the shortest interval"),
        (&["--every", "5 parsecs"], "is not a duration"),
        (&["--listen", "localhost"], "is not ADDRESS:PORT"),
        (&["--listen", &busy_addr], "cannot listen on --listen"),
        (&["--alertmanager", "ftp://am:9093"], "is not an http or https URL"),
        (&["--webhook", "https://user:pw@hooks.example/x"], "holds a user or password"),
        (&["--location", "eu west"], "is not a name of 1 to 64"),
        (&["--failure-threshold", "0"], "is not a whole number from 1 to 1000"),
        (&["--state-dir", "a-file"], "cannot create --state-dir"),
        (&["--state-dir", "corrupt"], "cannot read the state file"),
        (&["--filter", "no-such-check"], "selects no check"),
        (&["missing.yaml"], "missing.yaml does not exist"),
    ];
    for (args, message) in cases {
        let mut cmd = std::process::Command::new(bin());
        cmd.arg("monitor").args(*args).current_dir(dir.path());
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        if !args.iter().any(|a| a.ends_with(".yaml")) {
            cmd.arg("ok.yaml");
        }
        let out = cmd.env("BASE_URL", "http://127.0.0.1:9").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: expected `{message}` in:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    drop(busy);
}

pub fn sigterm_lets_running_checks_finish_within_the_grace() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let suite = "name: slow\nbase_url: ${{ env.BASE_URL }}\nchecks:\n  - name: slow\n    request: GET /slow?ms=1200\n  - name: hang\n    request: GET /hang\n";
    std::fs::write(dir.path().join("slow.yaml"), suite.replace("  - name: hang\n    request: GET /hang\n", ""))
        .unwrap();
    std::fs::write(dir.path().join("hang.yaml"), suite.replacen("name: slow\n", "name: hung\n", 1)).unwrap();

    // A run in flight when SIGTERM comes finishes, and its result is kept.
    let m =
        Monitor::start(dir.path(), &["--jitter", "0", "--state-dir", "st", "slow.yaml"], &[("BASE_URL", &fx.http_url)]);
    wait_for(T, "the slow request", || (fx.hits("/slow") == 1).then_some(()));
    let t0 = std::time::Instant::now();
    let (code, log, _) = m.stop();
    assert_eq!(code, 0, "{log}");
    assert!(t0.elapsed() >= Duration::from_millis(600), "it waited for the check: {:?}", t0.elapsed());
    let state = std::fs::read_to_string(dir.path().join("st/state.json")).unwrap();
    assert!(state.contains("\"check\":\"slow\"") && state.contains("\"up\":true"), "{state}");

    // One that outlasts the grace is stopped, and not counted as a failure of the target.
    let m = Monitor::start(
        dir.path(),
        &["--jitter", "0", "--state-dir", "st2", "--grace", "300ms", "hang.yaml"],
        &[("BASE_URL", &fx.http_url)],
    );
    wait_for(T, "the hanging request", || (fx.hits("/hang") == 1).then_some(()));
    let t0 = std::time::Instant::now();
    let (code, log, _) = m.stop();
    assert_eq!(code, 0, "{log}");
    assert!(t0.elapsed() < Duration::from_secs(8), "stopped after the grace: {:?}", t0.elapsed());
    assert!(log.contains("the grace period passed"), "{log}");
    let state = std::fs::read_to_string(dir.path().join("st2/state.json")).unwrap();
    assert!(!state.contains("\"check\":\"hang\""), "an interrupted check is not a result: {state}");
    assert!(state.contains("\"check\":\"slow\""), "the check before it ran: {state}");
}

pub fn watch_reloads_when_a_suite_file_changes() {
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("suites/shop.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, switch_suite("shop", &unique("w"), "")).unwrap();
    let m = Monitor::start(
        dir.path(),
        &["--every", "200ms", "--jitter", "0", "--watch", "suites"],
        &[("BASE_URL", &fx.http_url)],
    );
    m.wait_metric("shakedown_check_up", &up("health"), 1.0, T);
    std::fs::write(&file, switch_suite("shop", &unique("w"), "").replace("name: health", "name: added by watch"))
        .unwrap();
    m.wait_metric("shakedown_check_up", &up("added by watch"), 1.0, T);
    assert!(m.find_line("the suite files changed: reloading the suites").is_some());
    assert_eq!(m.metric("shakedown_check_up", &up("health")), None);
    let _ = m.stop();
}

pub fn the_certificate_expiry_is_a_metric() {
    let fx = tls_app();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), fx.ca_pem.as_ref().unwrap()).unwrap();
    let suite = "name: tls\nbase_url: ${{ env.BASE_URL }}\ntls: { ca: ca.pem }\nchecks:\n  - name: health\n    request: GET /health\n";
    std::fs::write(dir.path().join("tls.yaml"), suite).unwrap();
    let m = Monitor::start(
        dir.path(),
        &["--every", "200ms", "--jitter", "0", "tls.yaml"],
        &[("BASE_URL", fx.https_url.as_ref().unwrap())],
    );
    let name = "shakedown_tls_certificate_expiry_timestamp_seconds";
    let expires = wait_for(T, "the certificate metric", || m.metric(name, &[("host", "127.0.0.1")]));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let days = (expires - now) / 86400.0;
    assert!((days - fx.cert_not_after_days as f64).abs() < 1.5, "expires in {days} days");
    let _ = m.stop();
}

pub fn run_watch_keeps_a_table_until_ctrl_c() {
    use std::io::BufRead;
    let fx = app();
    let dir = tempfile::tempdir().unwrap();
    let key = unique("watch");
    std::fs::write(dir.path().join("shop.yaml"), switch_suite("shop", &key, "")).unwrap();
    let mut child = std::process::Command::new(bin())
        .args(["run", "--watch", "200ms", "shop.yaml"])
        .current_dir(dir.path())
        .env("BASE_URL", &fx.http_url)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = String::new();
    let mut wait_line = |pred: &dyn Fn(&str) -> bool, what: &str| loop {
        match rx.recv_timeout(T) {
            Ok(l) => {
                seen.push_str(&l);
                seen.push('\n');
                if pred(&l) {
                    return l;
                }
            }
            Err(_) => panic!("no line with {what}; stdout:\n{seen}"),
        }
    };
    wait_line(&|l| l.contains("round 2 ·") && l.contains("2 up, 0 down"), "round 2, all up");
    fx.set_down(&key, true);
    let row = wait_line(&|l| l.starts_with("DOWN ") && l.contains("shop › switch"), "the switch down");
    assert!(row.contains("✗") && row.contains("503"), "{row}");
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let code = wait_for(T, "the exit", || child.try_wait().ok().flatten());
    assert_eq!(code.code(), Some(130));
    for (args, message) in [
        (&["run", "--watch", "0s", "shop.yaml"][..], "shorter than the shortest interval"),
        (&["run", "--watch", "30s", "--junit", "r.xml", "shop.yaml"][..], "cannot be used with"),
    ] {
        let out = std::process::Command::new(bin()).args(args).current_dir(dir.path()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
