//! A running `shakedown monitor` and what the tests read from it: its log, its endpoints, its
//! metrics; and a webhook sink that records what it is sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Polls `f` every 50ms until it gives `Some`, at most `within`; panics with `what` after.
pub fn wait_for<T>(within: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {within:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET url`: the status and body (no redirects), or `None` if nothing answered.
pub fn get(url: &str) -> Option<(u16, String)> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    rt.block_on(async {
        let c = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().ok()?;
        let r = c.get(url).send().await.ok()?;
        let status = r.status().as_u16();
        Some((status, r.text().await.ok()?))
    })
}

/// A monitor started on its own folder, listening on a free loopback port.
pub struct Monitor {
    child: Child,
    pub url: String,
    lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

/// The `shakedown` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shakedown"))
}

impl Monitor {
    /// Starts `shakedown monitor --listen 127.0.0.1:0 ARGS` in `dir` and waits until it serves.
    pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Monitor {
        let mut cmd = Command::new(bin());
        cmd.arg("monitor").args(["--listen", "127.0.0.1:0"]).args(args).current_dir(dir);
        for (k, _) in std::env::vars() {
            if k.starts_with("SHAKEDOWN_") || k == "BASE_URL" {
                cmd.env_remove(k);
            }
        }
        cmd.envs(env.iter().copied()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start shakedown monitor");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let l = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                l.lock().unwrap().push(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let e = stderr.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            e.lock().unwrap().push_str(&s);
        });
        let mut m = Monitor { child, url: String::new(), lines, stderr };
        let line = wait_for(Duration::from_secs(20), "the monitor to serve", || {
            if let Ok(Some(status)) = m.child.try_wait() {
                panic!("the monitor exited ({status}): {}\n{}", m.log(), m.stderr.lock().unwrap());
            }
            m.find_line("serving the status page")
        });
        m.url = line.split_whitespace().last().expect("a URL at the end").to_string();
        m
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    pub fn find_line(&self, text: &str) -> Option<String> {
        self.lines.lock().unwrap().iter().find(|l| l.contains(text)).cloned()
    }

    /// An endpoint's body (panics unless it answers 200).
    pub fn body(&self, path: &str) -> String {
        match get(&format!("{}{path}", self.url)) {
            Some((200, body)) => body,
            other => panic!("GET {path}: {other:?}\nlog:\n{}", self.log()),
        }
    }

    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.body("/api/status")).expect("/api/status is JSON")
    }

    /// The value of the sample of `name` whose labels include every `labels` pair.
    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        sample(&self.body("/metrics"), name, labels)
    }

    /// Waits until the metric has this value.
    pub fn wait_metric(&self, name: &str, labels: &[(&str, &str)], value: f64, within: Duration) {
        let deadline = Instant::now() + within;
        while self.metric(name, labels) != Some(value) {
            assert!(
                Instant::now() < deadline,
                "timed out after {within:?} waiting for {name}{labels:?} = {value}; log:\n{}\nstderr:\n{}",
                self.log(),
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{name}");
    }

    /// SIGTERM, and the exit code with the log and stderr.
    pub fn stop(mut self) -> (i32, String, String) {
        self.signal("TERM");
        let code = wait_for(Duration::from_secs(20), "the monitor to exit", || self.child.try_wait().ok().flatten());
        std::thread::sleep(Duration::from_millis(100));
        let stderr = self.stderr.lock().unwrap().clone();
        (code.code().unwrap_or(-1), self.log(), stderr)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sample of `name` with these labels in an exposition.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (series, value) = l.rsplit_once(' ')?;
        let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
        if n != name {
            return None;
        }
        labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))).then(|| value.parse().ok())?
    })
}

/// A webhook receiver on loopback: records every request body; answers 200, or 500 while
/// `failing` is set.
pub struct Sink {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
    pub failing: Arc<std::sync::atomic::AtomicBool>,
}

impl Sink {
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the sink");
        let url = format!("http://{}/hook/secret-path-1234", listener.local_addr().expect("address"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (b, f) = (bodies.clone(), failing.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(stream);
                let mut length = 0usize;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let fail = f.load(std::sync::atomic::Ordering::SeqCst);
                if !fail {
                    b.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
                }
                let status = if fail { "500 Internal Server Error" } else { "200 OK" };
                let _ = reader.get_mut().write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes(),
                );
            }
        });
        Sink { url, bodies, failing }
    }

    /// The JSON bodies received, parsed.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().iter().filter_map(|b| serde_json::from_str(b).ok()).collect()
    }

    pub fn count(&self, status: &str) -> usize {
        self.messages().iter().filter(|m| m["status"] == status).count()
    }
}

/// A suite file with one always-passing check and one that follows `/switch/{key}`.
pub fn switch_suite(name: &str, key: &str, extra: &str) -> String {
    format!(
        "name: {name}\nbase_url: ${{{{ env.BASE_URL }}}}\nenvironment: test\n{extra}\nchecks:\n  - name: health\n    request: GET /health\n    expect: {{ status: 200 }}\n  - name: switch\n    request: GET /switch/{key}\n    expect: {{ status: 200 }}\n"
    )
}

/// A free port on loopback (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
