//! `pawkey`: the desktop app, or with a subcommand the same CLI as `pawkeyd`.

fn main() -> std::process::ExitCode {
    pawkey_app::main()
}
