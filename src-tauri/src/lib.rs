//! PawKey's desktop shell: the window, the tray, the plugins and the `#[tauri::command]`s
//! over `pawkey-core`. It keeps no token or keychain logic of its own. This file builds
//! the Tauri application (plugins, commands, close-to-tray) and runs start-up.
//!
//! - [`shell`]: the state the commands, tray and followers share; its mirror of the recent list.
//! - [`views`]: what the window is sent — view types and event names.
//! - [`events`]: background followers forwarding core's events to the window and tray.
//! - [`window`]: the window, built while shown and dropped a while after it is closed.
//! - [`lifecycle`]: the first hide to the tray, the tray's choices, quit.
//! - [`notice`]: desktop notifications.
//! - [`quick_copy`]: mint, copy, clear later, notify — the tray's copy items and the shortcut.
//! - [`shortcut`]: the global copy shortcut.
//! - [`tray_host`]: whether the desktop shows tray icons at all.
//! - [`autostart`]: the login entry (`pawkey --hidden` when set so).
//! - [`approvals`]: access requests a person approves — cards, tray line, notification.
//! - [`commands`]: what the window calls.
//! - [`dashboard`]: open PocketPaw's dashboard with a fresh token; the pairing QR code.
//! - [`tray`]: the tray menu; its handlers are plain functions over core.
//! - [`clipboard`]: copy as a password, clear later only if still ours.
//! - [`server`]: the embedded server's start, port move and shutdown.
//! - [`settings`]: the settings form, parsed and validated field by field.
//! - [`error`]: the error every command returns.

#![forbid(unsafe_code)]

pub mod approvals;
pub mod autostart;
pub mod clipboard;
pub mod commands;
pub mod dashboard;
pub mod error;
pub mod events;
pub mod lifecycle;
pub mod notice;
pub mod quick_copy;
pub mod server;
pub mod settings;
pub mod shell;
pub mod shortcut;
pub mod tray;
pub mod tray_host;
pub mod views;
pub mod window;

use std::process::ExitCode;
use std::sync::atomic::Ordering;

use pawkey_core::audit::AuditLog;
use pawkey_core::cli::Cli;
use pawkey_core::startup::Setup;
use tauri::{AppHandle, Manager, RunEvent, WindowEvent};

use crate::events::publish_status;
use crate::lifecycle::{on_tray_action, quit};
use crate::shell::{Boot, Shell};
use crate::views::MAIN_WINDOW;
use crate::window::show_main_window;

/// `pawkey`'s whole `main`: with a subcommand it is `pawkeyd`; without, the desktop app.
pub fn main() -> ExitCode {
    let cli = pawkey_core::cli::parse_args();
    if cli.command.is_some() {
        pawkey_core::cli::init_logging();
        return pawkey_core::cli::run(cli);
    }
    // The desktop app also logs to a daily file (`pawkey_core::cli::log_dir`).
    pawkey_core::cli::init_desktop_logging();
    run(cli)
}

/// Opens the state off the main thread (the keychain blocks on D-Bus), then starts the
/// server; the window is already showing "Starting…" meanwhile.
fn boot(app: AppHandle, setup: Result<Setup, String>) {
    tauri::async_runtime::spawn(async move {
        let shell = app.state::<Shell>();
        let setup = match setup {
            Ok(setup) => setup,
            Err(message) => {
                shell.boot.send_replace(Boot::Failed(message));
                publish_status(&app);
                return;
            }
        };
        let opened = tauri::async_runtime::spawn_blocking(move || {
            let audit = AuditLog::with_file(&setup.paths.data_dir);
            setup.open_state(audit)
        })
        .await;
        let state = match opened {
            Ok(state) => state,
            Err(e) => {
                let message = format!("PawKey could not open its state: {e}");
                shell.boot.send_replace(Boot::Failed(message));
                publish_status(&app);
                return;
            }
        };
        events::forward_mints(app.clone(), &state);
        events::follow_master_changes(app.clone(), &state);
        events::follow_pocketpaw(app.clone(), state.clone());
        events::forward_approvals(app.clone(), state.clone());
        shell.boot.send_replace(Boot::Ready(state.clone()));
        publish_status(&app);
        // A refusal is kept in the status, for the settings form to show.
        let _ = shell
            .shortcut
            .apply(&app, &state.config().copy_shortcut)
            .await;
        shell.server.start(&state).await;
        publish_status(&app);
    });
}

/// Launches the desktop app; returns when it exits.
pub fn run(cli: Cli) -> ExitCode {
    let hidden = cli.hidden;
    let setup = Setup::load(cli.config.as_deref(), cli.master_token_file.as_deref())
        .map_err(|e| e.to_string());
    let (config_file, data_dir) = match &setup {
        Ok(s) => (
            Some(s.paths.config_file.clone()),
            Some(s.paths.data_dir.clone()),
        ),
        Err(_) => (None, None),
    };
    let mut builder = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show_main_window_for_second_launch(app);
        }))
        .plugin(tauri_plugin_notification::init());
    if let Some(plugin) = shortcut::plugin() {
        builder = builder.plugin(plugin);
    }
    let built = builder
        .manage(Shell::new(config_file, data_dir))
        .invoke_handler(tauri::generate_handler![
            crate::commands::status,
            crate::commands::new_session,
            crate::commands::copy_session,
            crate::commands::recent_sessions,
            crate::commands::reveal_master,
            crate::commands::copy_master,
            crate::commands::rotate_master,
            crate::commands::import_master,
            crate::commands::import_master_from_pocketpaw,
            crate::commands::retry_keychain,
            crate::commands::save_settings,
            crate::commands::suggest_port,
            crate::commands::open_dashboard,
            crate::commands::pair_phone,
            crate::commands::pocketpaw_master,
            crate::commands::pending_requests,
            crate::commands::approve_request,
            crate::commands::deny_request,
            crate::commands::deny_all_requests,
            crate::commands::open_logs,
            crate::commands::open_docs,
            crate::commands::window_memory,
            crate::commands::remember_ttl,
            crate::commands::quit,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            match tray::create_tray(&handle, on_tray_action) {
                Ok(lines) => {
                    let shell = app.state::<Shell>();
                    *shell
                        .tray_server_line
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(lines.server);
                    *shell
                        .tray_requests_line
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(lines.requests);
                    shell.has_tray.store(true, Ordering::Relaxed);
                }
                // No tray on this desktop: the window still works, and closing it quits.
                Err(e) => tracing::warn!("no tray icon ({e}); closing the window will quit"),
            }
            let tray_shown = tray_host::reachable(&handle);
            if !tray_shown {
                tracing::warn!(
                    "this desktop shows no tray icons (no StatusNotifier host or system tray): \
                     closing the window quits PawKey; on GNOME, the AppIndicator extension adds a tray"
                );
            }
            if hidden && tray_shown {
                tracing::info!("started hidden in the tray");
            } else {
                show_main_window(&handle);
            }
            boot(handle.clone(), setup);
            let on_signal = handle.clone();
            tauri::async_runtime::spawn(async move {
                pawkey_core::startup::shutdown_signal().await;
                quit(on_signal);
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == MAIN_WINDOW
            {
                api.prevent_close();
                window::close_to_tray(window.app_handle());
            }
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    match built {
        Ok(app) => {
            app.run(|_app, event| match event {
                // The window's page was dropped: PawKey lives on in the tray. An exit
                // PawKey asks for itself (`quit`) carries a code and goes through.
                RunEvent::ExitRequested {
                    code: None, api, ..
                } => api.prevent_exit(),
                RunEvent::Exit => tracing::debug!("event loop finished"),
                _ => {}
            });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot open PawKey's window: {e}");
            ExitCode::FAILURE
        }
    }
}
