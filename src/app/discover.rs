//! Finding suite files, the variables they may use, loading them, and choosing the checks
//! that `--filter` and `--tag` select.

use crate::cli::{LoadArgs, SelectArgs};
use crate::load::diagnostic::{Diagnostic, FileDiagnostics};
use crate::load::{self, LoadContext};
use crate::suite::Suite;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The command line names suites or variables that cannot be used: nothing was run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{} does not exist", .0.display())]
    Missing(PathBuf),
    #[error("no suite files (*.yaml, *.yml) in {}", .0.display())]
    NoSuites(PathBuf),
    #[error("cannot read the folder {}: {source}", path.display())]
    Folder { path: PathBuf, source: walkdir::Error },
    #[error("cannot read --env-file {}: {source}", path.display())]
    EnvFile { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}: {what}", path.display())]
    EnvLine { path: PathBuf, line: usize, what: String },
    #[error("--var `{0}` is not NAME=VALUE")]
    Var(String),
    #[error("{option} `{value}` selects no check (`shakedown list` shows the suites, checks and tags)")]
    Unselected { option: &'static str, value: String },
    #[error("no check matches every --filter and --tag given together")]
    NothingSelected,
}

impl DiscoverError {
    pub fn exit_code(&self) -> i32 {
        crate::exit::INVALID
    }
}

/// Suite files named by the paths: files as given, folders searched (symlinks followed, loops
/// stopped) for `*.yaml`/`*.yml`, in name order.
pub fn find_suites(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else if p.is_dir() {
            let before = out.len();
            for entry in walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name() {
                let entry = match entry {
                    Ok(e) => e,
                    // A symlink back to a folder above: its files are already on the list.
                    Err(e) if e.loop_ancestor().is_some() => continue,
                    Err(source) => return Err(DiscoverError::Folder { path: p.clone(), source }),
                };
                let is_suite = matches!(entry.path().extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
                if is_suite && !entry.file_type().is_dir() {
                    out.push(entry.into_path());
                }
            }
            if out.len() == before {
                return Err(DiscoverError::NoSuites(p.clone()));
            }
        } else {
            return Err(DiscoverError::Missing(p.clone()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

/// Suite files of this many bytes in all (a thousand checks or so) make a run large: its
/// memory is then allocated in huge pages, which cost a millisecond or two to set up and
/// save a tenth to a third of the CPU of a run of ten thousand checks (README, "Benchmarks").
const LARGE_SUITES: u64 = 128 * 1024;

/// Sets [`crate::LARGE_RUN`] when the suite files to load are a large run's, before they are
/// loaded (their trees are most of what it allocates).
fn mark_large_run(files: &[PathBuf]) {
    let bytes: u64 = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    if bytes >= LARGE_SUITES {
        crate::LARGE_RUN.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The environment, `--env-file` on top, and `--var`s.
pub fn load_context(args: &LoadArgs) -> Result<LoadContext, DiscoverError> {
    let mut env: HashMap<String, String> =
        std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
    if let Some(file) = &args.env_file {
        env.extend(read_env_file(file)?);
    }
    let mut vars = Vec::new();
    for v in &args.vars {
        match v.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => vars.push((name.trim().to_string(), value.to_string())),
            _ => return Err(DiscoverError::Var(v.clone())),
        }
    }
    Ok(LoadContext { env, vars, environment: args.environment.clone() })
}

/// `NAME=VALUE` lines; `#` comments, blank lines, `export ` and surrounding quotes allowed.
fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, DiscoverError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| DiscoverError::EnvFile { path: path.to_path_buf(), source })?;
    let bad = |line: usize, what: String| DiscoverError::EnvLine { path: path.to_path_buf(), line, what };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = l.strip_prefix("export ").unwrap_or(l);
        let Some((k, v)) = l.split_once('=') else {
            return Err(bad(i + 1, "expected NAME=VALUE".into()));
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad(i + 1, format!("`{k}` is not a variable name")));
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
            .unwrap_or(v);
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Loads every file, collecting suites and problems.
pub fn load_all(args: &LoadArgs) -> Result<(Vec<Suite>, Vec<FileDiagnostics>), DiscoverError> {
    let files = find_suites(&args.paths)?;
    mark_large_run(&files);
    let cx = load_context(args)?;
    let mut suites = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        match load::load_file(&f, &cx) {
            Ok(s) => suites.push(s),
            Err(d) => problems.push(d),
        }
    }
    // A second file with a suite's name is a problem, and it is not run: under `monitor`, which
    // runs the valid files, two suites of one name would share (and garble) one state.
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut unique = Vec::with_capacity(suites.len());
    for s in suites {
        if let Some(first) = seen.get(&s.name) {
            problems.push(FileDiagnostics {
                file: s.file.clone(),
                source: None,
                diagnostics: vec![Diagnostic {
                    pos: None,
                    len: None,
                    message: format!("the suite name `{}` is also used by {}", s.name, first.display()),
                    help: Some("suite names identify suites in reports: give each file its own `name`".into()),
                }],
            });
        } else {
            seen.insert(s.name.clone(), s.file.clone());
            unique.push(s);
        }
    }
    Ok((unique, problems))
}

/// Keeps the checks that `--filter` and `--tag` select; drops suites left with none. Every
/// value must select at least one check: a typo must not silently drop the checks it was
/// meant to keep.
pub fn select(suites: &mut Vec<Suite>, sel: &SelectArgs) -> Result<(), DiscoverError> {
    if sel.filter.is_empty() && sel.tag.is_empty() {
        return Ok(());
    }
    let by_name = |suite: &Suite, c: &crate::suite::Check, f: &str| {
        format!("{} › {}", suite.name, c.name).contains(f) || format!("{}/{}", suite.name, c.name).contains(f)
    };
    let by_tag = |suite: &Suite, c: &crate::suite::Check, t: &String| c.tags.contains(t) || suite.tags.contains(t);
    let all = || suites.iter().flat_map(|s| s.checks.iter().map(move |c| (s, c)));
    if let Some(f) = sel.filter.iter().find(|f| !all().any(|(s, c)| by_name(s, c, f))) {
        return Err(DiscoverError::Unselected { option: "--filter", value: f.clone() });
    }
    if let Some(t) = sel.tag.iter().find(|t| !all().any(|(s, c)| by_tag(s, c, t))) {
        return Err(DiscoverError::Unselected { option: "--tag", value: t.clone() });
    }
    for s in suites.iter_mut() {
        let keep: Vec<bool> = s
            .checks
            .iter()
            .map(|c| {
                (sel.filter.is_empty() || sel.filter.iter().any(|f| by_name(s, c, f)))
                    && (sel.tag.is_empty() || sel.tag.iter().any(|t| by_tag(s, c, t)))
            })
            .collect();
        let mut keep = keep.into_iter();
        s.checks.retain(|_| keep.next().unwrap_or(false));
    }
    suites.retain(|s| !s.checks.is_empty());
    if suites.is_empty() {
        return Err(DiscoverError::NothingSelected);
    }
    Ok(())
}

/// Keeps the suites of `--shard K/N`: a suite belongs to shard `fnv1a(name) mod N + 1`. The
/// hash of the name (unique in a run) and not a position in the list, so that adding, removing
/// or renaming a suite never moves another one to a different shard.
pub fn shard(suites: &mut Vec<Suite>, shard: Option<(u32, u32)>) {
    if let Some((k, n)) = shard {
        suites.retain(|s| shard_of(&s.name, n) == k);
    }
}

/// The shard (1 to `n`) a suite of this name belongs to.
pub fn shard_of(name: &str, n: u32) -> u32 {
    // FNV-1a, 64 bits: fixed by its definition, so the split is the same on every machine
    // and in every version (std's hasher promises neither).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % u64::from(n.max(1))) as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::{LARGE_SUITES, mark_large_run, shard_of};
    use std::sync::atomic::Ordering;

    #[test]
    fn suite_files_of_128_kib_in_all_make_a_large_run_and_smaller_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: u64| {
            let p = dir.path().join(name);
            std::fs::write(&p, vec![b'#'; bytes as usize]).unwrap();
            p
        };
        let half = LARGE_SUITES / 2;
        let small = vec![file("a.yaml", half), file("b.yaml", half - 1)];
        mark_large_run(&small);
        assert!(!crate::LARGE_RUN.load(Ordering::SeqCst), "one byte short of the size is not large");
        let large = vec![file("c.yaml", half), file("d.yaml", half), dir.path().join("missing.yaml")];
        mark_large_run(&large);
        assert!(crate::LARGE_RUN.load(Ordering::SeqCst));
    }

    #[test]
    fn the_shard_of_a_name_is_fixed_and_in_range() {
        // Pinned: a change here moves suites between shards for every user.
        assert_eq!(shard_of("storefront", 1), 1);
        assert_eq!(shard_of("", 3), (0xcbf2_9ce4_8422_2325u64 % 3) as u32 + 1);
        for n in 1..20 {
            for name in ["a", "b", "storefront", "checkout › pay"] {
                assert!((1..=n).contains(&shard_of(name, n)));
            }
        }
    }
}
