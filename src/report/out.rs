//! Standard output for the run's reporters. With the progress display (a terminal outside CI)
//! each line is written at once; otherwise (CI logs, files, pipes) lines are gathered and written together at most [`HOLD`] after the
//! first of them, so that a run of ten thousand quick checks makes a few hundred writes, not
//! ten thousand. Whatever a reporter writes directly (the GitHub workflow commands) is written
//! after what is held, in order.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a line may wait to be written.
pub const HOLD: Duration = Duration::from_millis(100);
/// How much may wait.
const MAX_HELD: usize = 32 * 1024;

struct Held {
    text: String,
    since: Option<Instant>,
}

static HELD: Mutex<Held> = Mutex::new(Held { text: String::new(), since: None });

/// Adds a line, to be written by [`flush`] (or at once when enough is held).
pub fn hold(line: &str) {
    let Ok(mut held) = HELD.lock() else {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
        return;
    };
    held.text.push_str(line);
    held.text.push('\n');
    let since = *held.since.get_or_insert_with(Instant::now);
    // Lines that keep coming are written once the first has waited long enough, as the display
    // task's timer writes them when none comes.
    if held.text.len() >= MAX_HELD || since.elapsed() >= HOLD {
        write_out(&mut held);
    }
}

/// Writes a line now, after everything held.
pub fn now(line: &str) {
    match HELD.lock() {
        Ok(mut held) => {
            held.text.push_str(line);
            held.text.push('\n');
            write_out(&mut held);
        }
        Err(_) => {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
    }
}

/// Writes everything held.
pub fn flush() {
    if let Ok(mut held) = HELD.lock() {
        write_out(&mut held);
    }
}

/// When what is held must be written, if anything is.
pub fn due() -> Option<Instant> {
    HELD.lock().ok().and_then(|h| h.since).map(|t| t + HOLD)
}

fn write_out(held: &mut Held) {
    if !held.text.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(held.text.as_bytes());
        let _ = out.flush();
        held.text.clear();
    }
    held.since = None;
}
