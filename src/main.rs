// As in the library: nothing external is `unwrap`ped.
#![deny(clippy::unwrap_used, clippy::expect_used)]

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

/// The allocator: glibc's, until the run is known to be large ([`shakedown::LARGE_RUN`]), then
/// mimalloc for every new block. mimalloc keeps its memory in transparent huge pages: a run of
/// 10,000 checks takes about 900 page faults instead of 7,500 (each costs 5 to 20 µs on a VM)
/// and 20 to 35% less CPU. It is not the allocator of every run because setting up those
/// pages costs a small run about 1.5 ms, a third of a one-check run. A block is freed or
/// grown by the allocator that made it: mimalloc knows its own.
struct Allocator;

// SAFETY: every block is allocated by exactly one of glibc or mimalloc and is freed or
// reallocated by the same one: `mi_is_in_heap_region` tells mimalloc's blocks apart (and no
// block is mimalloc's before the switch, which happens once and is never undone).
unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if large() { unsafe { mimalloc::MiMalloc.alloc(layout) } } else { unsafe { std::alloc::System.alloc(layout) } }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if large() {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        } else {
            unsafe { std::alloc::System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if mimalloc_made(ptr) {
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        } else {
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if mimalloc_made(ptr) {
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        } else {
            unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
        }
    }
}

fn large() -> bool {
    shakedown::LARGE_RUN.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether mimalloc made the block (never before the switch to it).
fn mimalloc_made(ptr: *mut u8) -> bool {
    // SAFETY: only reads mimalloc's map of its own memory; any pointer may be asked about.
    large() && unsafe { libmimalloc_sys::mi_is_in_heap_region(ptr.cast()) }
}

#[global_allocator]
static GLOBAL: Allocator = Allocator;
