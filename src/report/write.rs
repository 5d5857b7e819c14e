//! Writing a report file so that a reader never sees half of it, and never replacing what is
//! not a regular file: through a symlink to its target; to a FIFO or a device directly.

use std::io::Write;
use std::path::Path;

/// Writes a report to `path`: a regular file or a new path atomically (a temporary file in the
/// same folder, then a rename); through a symlink, to its target; to a FIFO or a device,
/// directly.
pub fn write_report(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_report_with(path, |w| w.write_all(bytes))
}

/// [`write_report`] for a report written out piece by piece (through a buffer), so that a
/// large one is never held whole in memory.
pub fn write_report_with(path: &Path, produce: impl Fn(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let target = resolve_links(path)?;
    let direct = |f: std::fs::File| {
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, f);
        produce(&mut w)?;
        w.flush()
    };
    match std::fs::metadata(&target) {
        Ok(m) if m.is_file() => write_atomic(&target, &produce),
        Ok(m) if m.is_dir() => Err(std::io::Error::other("it is a folder")),
        Ok(_) => direct(std::fs::OpenOptions::new().write(true).open(&target)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_atomic(&target, &produce),
        Err(e) => Err(e),
    }
}

/// Follows symlinks (also dangling ones, whose target is yet to be made) to the path that
/// will be written.
fn resolve_links(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Writes a file atomically: a temporary file in the same folder, then a rename, so a reader
/// never sees half a report.
fn write_atomic(path: &Path, produce: &dyn Fn(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::create(&tmp)?);
        produce(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_is_written_through_and_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").expect("write");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).expect("symlink");
        write_report(&link, b"new").expect("report");
        assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).expect("read"), "new");
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("made-later.json", &dangling).expect("symlink");
        write_report(&dangling, b"made").expect("report");
        assert_eq!(std::fs::read_to_string(dir.path().join("made-later.json")).expect("read"), "made");
    }

    #[test]
    fn a_device_is_written_to_not_replaced() {
        write_report(Path::new("/dev/null"), b"gone").expect("report");
        assert!(!std::fs::metadata("/dev/null").expect("dev null").is_file());
        let full = write_report(Path::new("/dev/full"), b"no room");
        assert!(full.is_err(), "a full device must be an error");
        assert!(!std::fs::metadata("/dev/full").expect("dev full").is_file());
    }

    #[test]
    fn a_fifo_is_written_to_directly() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("report.fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read fifo"))
        };
        write_report(&fifo, b"streamed").expect("report");
        assert_eq!(reader.join().expect("reader"), "streamed");
        assert!(!std::fs::metadata(&fifo).expect("fifo").is_file());
    }
}
