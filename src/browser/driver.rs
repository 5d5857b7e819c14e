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
            // Browsers may outlive the driver by a moment: give them that moment (at most
            // 100 ms), then make sure the group is gone.
            let mut poll = crate::poll::Poll::new(Duration::from_millis(100)).max_pause(Duration::from_millis(5));
            while group_runs(pid) && poll.next().await {}
            let _ = killpg(group, Signal::SIGKILL);
        }
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }
}

/// Whether a process of the group still runs. An orphan that has ended stays in the group, as a
/// zombie, until init reaps it (seen here: up to 2 s), and Chromium leaves some (its crash
/// handlers, a helper or two) however it ends: those are not waited for.
#[cfg(target_os = "linux")]
fn group_runs(group: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else { return true };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else { return false };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
        // `pid (comm) state ppid pgrp …`: the command may hold spaces and parentheses.
        let mut rest = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace()).into_iter().flatten();
        let (state, pgrp) = (rest.next(), rest.nth(1));
        pgrp.and_then(|g| g.parse::<i32>().ok()) == Some(group) && !matches!(state, Some("Z" | "X"))
    })
}

/// Whether a process of the group is left (elsewhere zombies cannot be told apart).
#[cfg(all(unix, not(target_os = "linux")))]
fn group_runs(group: i32) -> bool {
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), None).is_ok()
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

#[cfg(all(test, unix))]
mod tests {
    use super::group_runs;
    use std::os::unix::process::CommandExt;

    /// A group runs while a process of it runs; one that has ended and is not yet reaped (a
    /// zombie, as Chromium's orphans are until init reaps them) is not waited for.
    #[test]
    fn a_group_runs_until_its_processes_end_even_unreaped() {
        let mut child = std::process::Command::new("sleep").arg("30").process_group(0).spawn().unwrap();
        let group = i32::try_from(child.id()).unwrap();
        assert!(group_runs(group), "a sleeping process is running");
        child.kill().unwrap();
        // Not reaped yet: a zombie, or on its way there.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while group_runs(group) {
            assert!(std::time::Instant::now() < deadline, "a killed, unreaped process still counts as running");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), None).is_ok(), "the zombie is still there");
        child.wait().unwrap();
        assert!(!group_runs(group));
    }
}
