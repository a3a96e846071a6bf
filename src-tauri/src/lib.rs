//! PawKey's desktop shell: the tray, the window, the plugins and the window's one command
//! over `pawkey-core`. It keeps no token or keychain logic of its own. This file builds the
//! Tauri application and runs start-up.
//!
//! Two processes: the host (`pawkey`, `pawkey --hidden`) holds the master, the server, the
//! tray and the clipboard and has no webview; the window (`pawkey --window-process`, which
//! only the host starts) renders the page and holds no secret. One channel between them,
//! the window's standard input and output. Modules (arrows point down; nothing below
//! reaches up):
//!
//! - [`window`]: the window side — the window process (`pawkey --window-process`): the
//!   page, its `call` command, and nothing that holds a secret.
//! - [`window_link`]: the host's end of the channel — starts the window process, carries
//!   its requests to [`commands`] and lets it go.
//! - [`link`]: the channel — every [`link::Call`] the window makes, every
//!   [`link::Push`] it is told, and the [`link::WindowPort`] the host drives it through.
//! - [`commands`]: what each call does, one file per area (session, master, pocketpaw,
//!   requests, settings, app).
//! - [`actions`]: what the tray menu, the global shortcut and a second launch do.
//! - [`events`]: background followers forwarding core's events to the window and tray.
//! - [`host`]: the host side — the state, server, tray, clipboard and shortcut every
//!   caller shares; the status; showing, letting go of the window; quit.
//! - [`copy`]: mint, copy, clear later, tell — the one path of every copy.
//! - [`tray`]: the tray menu; its handlers are plain functions over core.
//! - [`tray_host`]: whether the desktop shows tray icons at all.
//! - [`sessions`]: the host's numbered mirror of core's recent mints.
//! - [`memory`]: what the window showed, kept while its page is away.
//! - [`approvals`]: access requests a person approves — cards, tray line, notification.
//! - [`dashboard`]: open PocketPaw's dashboard with a fresh token; the pairing QR code.
//! - [`shortcut`]: the global copy shortcut.
//! - [`server`]: the embedded server's start, port move and shutdown.
//! - [`settings`]: the settings form, parsed and validated field by field.
//! - [`clipboard`]: copy as a password, clear later only if still ours.
//! - [`notice`]: desktop notifications.
//! - [`autostart`]: the login entry (`pawkey --hidden` when set so).
//! - [`views`]: what the window is sent — view types and event names.
//! - [`error`]: the error every call returns.
//! - [`context`]: the configuration and assets both processes are built from.

#![forbid(unsafe_code)]

pub mod actions;
pub mod approvals;
pub mod autostart;
pub mod clipboard;
pub mod commands;
pub mod context;
pub mod copy;
pub mod dashboard;
pub mod error;
pub mod events;
pub mod host;
pub mod link;
pub mod memory;
pub mod notice;
pub mod server;
pub mod sessions;
pub mod settings;
pub mod shortcut;
pub mod tray;
pub mod tray_host;
pub mod views;
pub mod window;
pub mod window_link;

use std::process::ExitCode;

use pawkey_core::audit::AuditLog;
use pawkey_core::cli::Cli;
use pawkey_core::startup::Setup;
use tauri::{AppHandle, Manager, RunEvent};

use crate::host::{Boot, Host};
use crate::link::WINDOW_PROCESS_ARG;
use crate::window_link::WindowProcess;

/// `pawkey`'s whole `main`: with a subcommand it is `pawkeyd`; without, the desktop app.
pub fn main() -> ExitCode {
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new(WINDOW_PROCESS_ARG)) {
        // The same daily log file as the app that started it (its stderr is the app's).
        pawkey_core::cli::init_window_logging();
        return window::run_process();
    }
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
        let host = app.state::<Host>();
        let setup = match setup {
            Ok(setup) => setup,
            Err(message) => {
                host.set_boot(Boot::Failed(message));
                host.publish_status();
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
                host.set_boot(Boot::Failed(message));
                host.publish_status();
                return;
            }
        };
        events::forward_mints(app.clone(), &state);
        events::follow_master_changes(app.clone(), &state);
        events::follow_pocketpaw(app.clone(), state.clone());
        events::forward_approvals(app.clone(), state.clone());
        host.set_boot(Boot::Ready(state.clone()));
        host.publish_status();
        // A refusal is kept in the status, for the settings form to show.
        let _ = host
            .shortcut
            .apply(&app, &state.config().copy_shortcut)
            .await;
        host.server.start(&state).await;
        host.publish_status();
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
            actions::on_second_launch(app);
        }))
        .plugin(tauri_plugin_notification::init());
    if let Some(plugin) = shortcut::plugin(actions::on_shortcut) {
        builder = builder.plugin(plugin);
    }
    let built = builder
        .manage(Host::new(config_file, data_dir))
        .setup(move |app| {
            let handle = app.handle().clone();
            let host = app.state::<Host>();
            host.set_window(Box::new(WindowProcess::new(handle.clone())));
            match tray::create_tray(&handle, actions::on_tray_action) {
                Ok(lines) => host.set_tray(lines),
                // No tray on this desktop: the window still works, and closing it quits.
                Err(e) => tracing::warn!("no tray icon ({e}); closing the window will quit"),
            }
            let tray_shown = host.tray_reachable();
            if !tray_shown {
                tracing::warn!(
                    "this desktop shows no tray icons (no StatusNotifier host or system tray): \
                     closing the window quits PawKey; on GNOME, the AppIndicator extension adds a tray"
                );
            }
            if hidden && tray_shown {
                tracing::info!("started hidden in the tray");
            } else {
                host.show_window();
            }
            boot(handle.clone(), setup);
            let on_signal = handle.clone();
            tauri::async_runtime::spawn(async move {
                pawkey_core::startup::shutdown_signal().await;
                on_signal.state::<Host>().quit(&on_signal);
            });
            Ok(())
        })
        .build(context::context());
    match built {
        Ok(app) => {
            app.run(|_app, event| match event {
                // The host has no window of its own: PawKey lives on in the tray. An exit
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
