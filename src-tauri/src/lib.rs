//! PawKey's desktop shell: the window, the tray, the plugins and the `#[tauri::command]`s
//! over `pawkey-core`. It keeps no token or keychain logic of its own.
//!
//! - [`app`]: the Tauri application — start-up, close-to-tray, events, quit.
//! - [`approvals`]: access requests a person approves — cards, tray line, notification.
//! - [`commands`]: what the window calls.
//! - [`dashboard`]: open PocketPaw's dashboard with a fresh token; the pairing QR code.
//! - [`tray`]: the tray menu; its handlers are plain functions over core.
//! - [`clipboard`]: copy as a password, clear later only if still ours.
//! - [`server`]: the embedded server's start, port move and shutdown.
//! - [`settings`]: the settings form, parsed and validated field by field.
//! - [`error`]: the error every command returns.

#![forbid(unsafe_code)]

pub mod app;
pub mod approvals;
pub mod clipboard;
pub mod commands;
pub mod dashboard;
pub mod error;
pub mod server;
pub mod settings;
pub mod tray;

use std::process::ExitCode;

/// `pawkey`'s whole `main`: with a subcommand it is `pawkeyd`; without, the desktop app.
pub fn main() -> ExitCode {
    pawkey_core::cli::init_logging();
    let cli = pawkey_core::cli::parse_args();
    if cli.command.is_some() {
        return pawkey_core::cli::run(cli);
    }
    app::run(cli)
}
