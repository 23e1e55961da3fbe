//! The `keyscan` binary: everything lives in the library.

/// mimalloc: a scan allocates small, short-lived buffers (paths, findings)
/// on every worker thread, where it measured faster than the system
/// allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    keyscan::cli::main()
}
