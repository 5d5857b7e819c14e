//! A local WebDriver server (chromedriver, geckodriver), started in a process group of its own
//! so that it and every browser it starts can be stopped together.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A driver process started by us, in a process group of its own so that the browsers it
/// starts can be stopped with it.
pub(super) struct LocalDriver {
    pub(super) child: tokio::process::Child,
    pub(super) url: String,
}

impl LocalDriver {
    pub(super) async fn start(program: &Path, args: &[String], what: &str) -> Result<LocalDriver, String> {
        let port = free_port().map_err(|e| format!("cannot find a free port for {what}: {e}"))?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .arg(format!("--port={port}"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        let child = cmd.spawn().map_err(|e| format!("cannot start {what} ({}): {e}", program.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        let mut driver = LocalDriver { child, url };
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(2)).no_proxy().build().map_err(|e| e.to_string())?;
        let mut poll = crate::poll::Poll::new(Duration::from_secs(15)).max_pause(Duration::from_millis(50));
        loop {
            if let Ok(Some(status)) = driver.child.try_wait() {
                return Err(format!("{what} ({}) exited at start with {status}", program.display()));
            }
            if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
                && r.status().is_success()
            {
                return Ok(driver);
            }
            if !poll.next().await {
                driver.stop().await;
                return Err(format!("{what} ({}) did not answer on {} within 15s", program.display(), driver.url));
            }
        }
    }

    /// Stops the driver and everything in its process group (the browsers it started).
    pub(super) async fn stop(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            use nix::sys::signal::{Signal, killpg};
            let group = nix::unistd::Pid::from_raw(pid);
            let _ = killpg(group, Signal::SIGTERM);
            if tokio::time::timeout(Duration::from_secs(3), self.child.wait()).await.is_err() {
                let _ = killpg(group, Signal::SIGKILL);
            }
            // Browsers may outlive the driver by a moment: make sure the group is gone.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = killpg(group, Signal::SIGKILL);
        }
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }
}

pub(super) fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Finds a program: an explicit path, else on PATH, else in the usual Debian places.
pub(super) fn find_program(explicit: Option<&Path>, names: &[&str], fallbacks: &[&str]) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in names {
            let candidate = dir.join(n);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    fallbacks.iter().map(PathBuf::from).find(|p| p.is_file())
}
