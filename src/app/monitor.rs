//! `monitor`: check what the command line names (the suites, the address to listen on, the
//! state folder) before anything runs, then hand over to the monitor engine (`crate::monitor`).

use super::discover::{DiscoverError, load_all, select, shard};
use super::err;
use crate::cli::MonitorArgs;
use crate::exit;
use crate::monitor::state::LoadError;
use crate::monitor::{self, Loaded, Loader, alert::AlertConfig, schedule};
use crate::redact::Redactor;
use crate::run::{Cancel, RunOptions};
use std::sync::Arc;

/// Runs `shakedown monitor` until SIGTERM/SIGINT; exit 2 when the command line cannot be used.
pub async fn monitor(args: MonitorArgs) -> i32 {
    if let Some(u) = &args.browser.webdriver_url
        && !matches!(reqwest::Url::parse(u).map(|u| u.scheme().to_string()).as_deref(), Ok("http" | "https"))
    {
        return super::usage_error(&format!("--webdriver-url `{u}` is not an http(s) URL"));
    }
    let restored = match &args.state_dir {
        Some(dir) => match monitor::persist::open(dir) {
            Ok(r) => r,
            Err(e) => {
                err(format_args!("error: {e}"));
                return e.exit_code();
            }
        },
        None => Vec::new(),
    };
    // Every run learns its session cookies: keep the last 1,024 of them, not every one since start.
    let redactor = Redactor::bounded(1024);
    let loader = loader(&args, redactor.clone());
    let first = match tokio::task::spawn_blocking({
        let l = loader.clone();
        move || l()
    })
    .await
    {
        Ok(Ok(l)) => l,
        Ok(Err(message)) => return super::usage_error(&message),
        Err(e) => {
            err(format_args!("error: loading the suites failed: {e}"));
            return exit::RUNNER_ERROR;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => return super::usage_error(&format!("cannot listen on --listen {}: {e}", args.listen)),
    };
    if args.state_dir.is_none() {
        monitor::log("no --state-dir: the checks' state and firing alerts are not kept across restarts");
    }
    let artifacts = args.artifacts.clone().unwrap_or_else(|| match &args.state_dir {
        Some(d) => d.join("artifacts"),
        None => "shakedown-artifacts".into(),
    });
    let opts = RunOptions { jobs: 1, fail_fast: false, teardown_grace: args.teardown_grace, artifacts_dir: artifacts };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let browsers = crate::browser::Browsers::new(super::run::browser_config(&args.browser));
    let sched =
        schedule::Shared::new(opts, redactor, tx, Cancel::default(), browsers, args.every, args.jitter, args.jobs);
    let cfg = monitor::Config {
        watch: args.watch.then(|| fingerprint(args.load.paths.clone())),
        location: args.location.clone(),
        threshold: args.failure_threshold as u64,
        history: args.history,
        state_dir: args.state_dir.clone(),
        grace: args.grace,
        alerts: AlertConfig {
            alertmanagers: args.alertmanager.clone(),
            webhooks: args.webhook.clone(),
            slack: args.webhook_format == "slack",
            resend: args.alert_resend,
            location: args.location.clone(),
        },
    };
    monitor::monitor(cfg, sched, rx, listener, restored, first, loader).await
}

/// A hash of the suite files' names, sizes and modification times, for `--watch`.
fn fingerprint(paths: Vec<std::path::PathBuf>) -> monitor::Fingerprint {
    Arc::new(move || {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        match super::discover::find_suites(&paths) {
            Ok(files) => {
                for f in files {
                    f.hash(&mut h);
                    if let Ok(m) = std::fs::metadata(&f) {
                        m.len().hash(&mut h);
                        m.modified().ok().hash(&mut h);
                    }
                }
            }
            Err(e) => e.to_string().hash(&mut h),
        }
        h.finish()
    })
}

/// Loads the suites the command line names, as at start and on every SIGHUP: the valid
/// suites (narrowed by --filter, --tag and --shard) and a masked message per invalid file.
fn loader(args: &MonitorArgs, redactor: Redactor) -> Loader {
    let load = args.load.clone();
    let sel = crate::cli::SelectArgs {
        filter: args.select.filter.clone(),
        tag: args.select.tag.clone(),
        shard: args.select.shard,
    };
    Arc::new(move || {
        let (mut suites, problems) = load_all(&load).map_err(|e: DiscoverError| e.to_string())?;
        suites.iter().flat_map(|s| &s.secret_values).for_each(|v| redactor.add(v));
        let errors: Vec<LoadError> = problems
            .iter()
            .map(|d| LoadError {
                file: d.file.display().to_string(),
                message: redactor.redact(&d.one_line_each().join("; ")),
            })
            .collect();
        if !suites.is_empty() {
            select(&mut suites, &sel).map_err(|e| e.to_string())?;
        }
        shard(&mut suites, sel.shard);
        Ok(Loaded { suites, errors })
    })
}
