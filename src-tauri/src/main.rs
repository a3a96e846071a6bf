//! `pawkey`: the desktop app, or with a subcommand the same CLI as `pawkeyd`.

// Windows release builds are GUI programs: no console window opens with the app. (Debug
// builds keep the console for logs.)
#![cfg_attr(
    all(not(debug_assertions), target_os = "windows"),
    windows_subsystem = "windows"
)]

fn main() -> std::process::ExitCode {
    pawkey_app::main()
}
