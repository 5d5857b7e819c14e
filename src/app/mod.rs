//! From the parsed command line to an exit code: find and load suites, run them, write reports.

mod discover;
mod gate;
mod inspect;
mod monitor;
mod run;
pub mod schema;
mod watch;

use crate::cli::{Cli, Command};
use crate::exit;
use clap::Parser;
use std::io::{IsTerminal, Write};

/// Parses the command line, does the work, and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::INVALID } else { exit::OK };
        }
    };
    match cli.command {
        Command::Schema => {
            out(format_args!("{}", crate::app::schema::SCHEMA.trim_end()));
            exit::OK
        }
        Command::Validate(args) => inspect::validate(&args),
        Command::List(args) => inspect::list(&args),
        // Suites load on a blocking thread: give it the main thread's stack, which the
        // deepest nesting the YAML reader allows was measured against.
        Command::Run(args) => with_runtime(run::run(*args)),
        Command::Monitor(args) => with_runtime(monitor::monitor(*args)),
    }
}

/// Runs a command on the async runtime and returns its exit code.
///
/// One worker thread unless `TOKIO_WORKER_THREADS` says otherwise: a check waits on the network,
/// and with two or more workers a suite's task and its connection's task end up on different
/// threads, so that every request and response crosses threads (futex and eventfd wake-ups).
/// One worker cut the CPU of 10,000 checks against nginx by about a quarter (README,
/// "Performance"). A page parsed for `css` still leaves the worker (`block_in_place`).
fn with_runtime(command: impl Future<Output = i32>) -> i32 {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(1);
    }
    match builder.enable_all().thread_stack_size(8 * 1024 * 1024).build() {
        Ok(rt) => {
            let code = rt.block_on(command);
            // A load still blocked (on a FIFO, say) after an interruption must not hold the exit.
            rt.shutdown_background();
            code
        }
        Err(e) => {
            err(format_args!("error: cannot start the async runtime: {e}"));
            exit::RUNNER_ERROR
        }
    }
}

/// A line on stdout. Unlike `println!`, a closed pipe (`shakedown list | head -1`) is not a
/// panic: the reader has gone, so there is no one left to tell.
pub(crate) fn out(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// A line on stderr, ignoring a closed pipe like [`out`].
pub(crate) fn err(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub(crate) fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A problem with the command line itself (not a suite).
pub(crate) fn usage_error(message: &str) -> i32 {
    err(format_args!("error: {message}"));
    exit::INVALID
}

/// Suites or variables named on the command line that cannot be used.
pub(crate) fn discover_failed(e: &discover::DiscoverError) -> i32 {
    err(format_args!("error: {e}"));
    e.exit_code()
}
