//! The state file, `state.json` under `--state-dir`: every check's state and recent history,
//! including which alerts fire, so a restart neither fires them again nor forgets them. It is
//! written whole to a temporary file in the same folder, synced, then renamed over the old one,
//! so a crash leaves either the old file or the new one, never half of one.

use super::state::{CheckState, State};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The file's format version; a file of another version is set aside, not misread.
const VERSION: u32 = 1;
const FILE: &str = "state.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    version: u32,
    checks: Vec<CheckState>,
}

/// The state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot create --state-dir {}: {source}", path.display())]
    Create { path: PathBuf, source: std::io::Error },
    #[error("cannot write the state file {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read the state file {}: {message}; move it away to start afresh", path.display())]
    Read { path: PathBuf, message: String },
}

impl PersistError {
    /// A state folder that cannot be used at start-up is a command-line problem; later, the
    /// monitor keeps running and says so.
    pub fn exit_code(&self) -> i32 {
        crate::exit::INVALID
    }
}

/// Creates the folder, checks it can be written, and reads the last state (empty if none).
pub fn open(dir: &Path) -> Result<Vec<CheckState>, PersistError> {
    std::fs::create_dir_all(dir).map_err(|source| PersistError::Create { path: dir.to_path_buf(), source })?;
    let path = dir.join(FILE);
    let checks = match std::fs::read(&path) {
        Ok(bytes) => {
            let saved: Saved = serde_json::from_slice(&bytes)
                .map_err(|e| PersistError::Read { path: path.clone(), message: e.to_string() })?;
            if saved.version != VERSION {
                let message = format!("it is version {}, this shakedown writes version {VERSION}", saved.version);
                return Err(PersistError::Read { path, message });
            }
            if let Some(why) = saved.checks.iter().find_map(implausible) {
                return Err(PersistError::Read { path, message: why });
            }
            saved.checks
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(PersistError::Read { path, message: e.to_string() }),
    };
    // Fail now, not at the first write, when the folder is read-only.
    let probe = tempfile::NamedTempFile::new_in(dir).map_err(|source| PersistError::Write { path, source })?;
    drop(probe);
    Ok(checks)
}

/// Times in a state file that this shakedown could not have written (not finite, negative,
/// or past the year 5000): a hand-edited or corrupt file, refused rather than trusted, since
/// every page and alert turns these into dates.
fn implausible(c: &CheckState) -> Option<String> {
    const LATEST: f64 = 95_617_584_000.0; // 5000-01-01
    let ok = |t: f64| t.is_finite() && (0.0..LATEST).contains(&t);
    let times = [c.since, c.last_run, c.last_seconds, c.seconds_sum]
        .into_iter()
        .chain(c.last_success)
        .chain(c.firing_since)
        .chain(c.last_problem.as_ref().map(|p| p.0))
        .chain(c.history.iter().flat_map(|h| [h.at, h.seconds]));
    let bad = times.into_iter().find(|t| !ok(*t))?;
    Some(format!("check `{} › {}` holds the time {bad}, which no run could have written", c.suite, c.check))
}

/// Writes the state atomically (temporary file, fsync, rename, fsync of the folder).
pub fn save(dir: &Path, state: &State) -> Result<(), PersistError> {
    let path = dir.join(FILE);
    let saved = Saved { version: VERSION, checks: state.checks.values().cloned().collect() };
    let werr = |source| PersistError::Write { path: path.clone(), source };
    let json = serde_json::to_vec(&saved).map_err(|e| werr(std::io::Error::other(e)))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(werr)?;
    tmp.write_all(&json).map_err(werr)?;
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(&path).map_err(|e| werr(e.error))?;
    // The rename itself is durable only once the folder is synced (a crash could otherwise
    // bring back the old file after the new one was reported written).
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(werr)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::state::{Outcome, Run};

    #[test]
    fn the_state_survives_a_save_and_an_open() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        assert!(open(dir.path()).expect("an empty folder opens").is_empty());
        let mut s = State::new(10, 1);
        let r =
            |outcome| Run { suite: "s", check: "c", environment: "e", outcome, seconds: 1.0, problem: None, at: 5.0 };
        s.record(r(Outcome::Failed));
        save(dir.path(), &s).expect("save");
        let back = open(dir.path()).expect("open");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].firing_since, Some(5.0));
        assert_eq!(back[0].history.len(), 1);
        std::fs::write(dir.path().join(FILE), "{ not json").expect("write");
        assert!(matches!(open(dir.path()), Err(PersistError::Read { .. })));
        // Times no run could have written would panic the page and the alerts later.
        let text = String::from_utf8(serde_json::to_vec(&Saved { version: VERSION, checks: back }).expect("json"))
            .expect("utf-8");
        for bad in ["\"firing_since\":1e20", "\"firing_since\":-1.0"] {
            let edited = text.replace("\"firing_since\":5.0", bad);
            assert_ne!(edited, text, "the test edits the file");
            std::fs::write(dir.path().join(FILE), edited).expect("write");
            match open(dir.path()) {
                Err(PersistError::Read { message, .. }) => assert!(message.contains("no run could have written")),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
