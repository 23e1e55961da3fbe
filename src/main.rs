//! The `keyscan` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    keyscan::cli::main()
}
