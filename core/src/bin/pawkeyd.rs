//! `pawkeyd`: PawKey without a window, for headless machines.

fn main() -> std::process::ExitCode {
    pawkey_core::cli::main()
}
