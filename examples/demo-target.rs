//! A small "freshly deployed web app" to point shakedown at:
//!
//! ```text
//! cargo run --example demo-target -- --port 8080
//! ```
//!
//! It is the same app the integration tests use (tests/fixture/mod.rs).

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use fixture::{Fixture, FixtureConfig};

const USAGE: &str = "\
usage: demo-target [--port N] [--https-port N] [--password P] [--commit C] [--ca-out FILE]

  --port N         HTTP port on 127.0.0.1 (default 8080; 0 = any free port)
  --https-port N   also serve HTTPS on this port, with a self-signed certificate (0 = any free port)
  --password P     password of the user smoke-bot (default: $SMOKE_PASSWORD, else hunter2-smoke)
  --commit C       commit the app reports at /version (default: $GIT_SHA, else c0ffee1)
  --ca-out FILE    write the certificate PEM to FILE (turns HTTPS on if --https-port is not given)
  -h, --help       show this help";

struct Args {
    port: u16,
    https_port: Option<u16>,
    password: String,
    commit: String,
    ca_out: Option<PathBuf>,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// `Ok(None)` means: help was asked for.
fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        port: 8080,
        https_port: None,
        password: env_or("SMOKE_PASSWORD", "hunter2-smoke"),
        commit: env_or("GIT_SHA", "c0ffee1"),
        ca_out: None,
    };
    while let Some(arg) = argv.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let known = ["--port", "--https-port", "--password", "--commit", "--ca-out"];
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None => argv.next().ok_or_else(|| format!("{flag} needs a value"))?,
        };
        let port = |v: &str| v.parse::<u16>().map_err(|_| format!("{flag} expects a port number 0..=65535, got {v:?}"));
        match flag.as_str() {
            "--port" => args.port = port(&value)?,
            "--https-port" => args.https_port = Some(port(&value)?),
            "--password" => args.password = value,
            "--commit" => args.commit = value,
            "--ca-out" => args.ca_out = Some(PathBuf::from(value)),
            _ => unreachable!(),
        }
    }
    Ok(Some(args))
}

fn wait_for_shutdown_signal() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("demo-target: error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let config = FixtureConfig {
        password: args.password,
        commit: args.commit,
        https: args.https_port.is_some() || args.ca_out.is_some(),
        ..FixtureConfig::default()
    };
    let fixture = match Fixture::start_on_ports(args.port, args.https_port.unwrap_or(0), config) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("demo-target: error: {e}");
            return ExitCode::FAILURE;
        }
    };

    if let (Some(path), Some(pem)) = (&args.ca_out, &fixture.ca_pem)
        && let Err(e) = std::fs::write(path, pem)
    {
        eprintln!("demo-target: error: cannot write the certificate to {}: {e}", path.display());
        return ExitCode::FAILURE;
    }

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "demo-target listening on {}", fixture.http_url);
    if let Some(https) = &fixture.https_url {
        let _ = writeln!(out, "demo-target listening on {https}");
    }
    let _ = out.flush();
    drop(out);
    eprintln!("demo-target: user smoke-bot; stop with Ctrl-C");

    if let Err(e) = wait_for_shutdown_signal() {
        eprintln!("demo-target: error: cannot wait for a signal: {e}");
        return ExitCode::FAILURE;
    }
    drop(fixture);
    ExitCode::SUCCESS
}
