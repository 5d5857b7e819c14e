fn main() {
    one_malloc_arena();
    std::process::exit(shakedown::app::main());
}

/// glibc gives each thread that allocates a heap ("arena") of its own, and grows one of a
/// thread other than the main one a page at a time: the runtime's worker thread made one
/// `mprotect` call per check as the results piled up, and the loader's thread kept the pages
/// of the trees it had freed. With one arena for the process, 10,000 checks in 100 suites
/// peaked at 37 MB instead of 51 MB at the same CPU (README, "Benchmarks"). A
/// `GLIBC_TUNABLES` of the user's own is left to decide.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        // SAFETY: mallopt only sets a tunable of glibc's allocator, and this runs first thing
        // in `main`, before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}
