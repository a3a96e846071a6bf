//! The app's life outside the window's own buttons: notifications, the first hide to the
//! tray, the tray's menu choices, and a graceful quit.

use std::sync::atomic::Ordering;

use pawkey_core::audit::MintSource;

use tauri::{AppHandle, Manager};

use crate::notice::{Notice, local_time, notify};
use crate::shell::Shell;
use crate::tray::{self, TrayAction};
use crate::window::show_main_window;

/// Runs a tray menu choice.
pub(crate) fn on_tray_action(app: &AppHandle, action: TrayAction) {
    match action {
        TrayAction::Open => {
            show_main_window(app);
        }
        TrayAction::ShowRequests => crate::window::show_requests(app),
        TrayAction::Quit => quit(app.clone()),
        TrayAction::OpenDashboard => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let shell = app.state::<Shell>();
                let notice = match shell.state().await {
                    Ok(state) => tauri::async_runtime::spawn_blocking(move || {
                        tray::open_dashboard(
                            &state,
                            &crate::dashboard::open_in_browser,
                            &local_time,
                        )
                    })
                    .await
                    .unwrap_or_else(|e| {
                        Err(Notice {
                            title: "Dashboard not opened".into(),
                            body: e.to_string(),
                        })
                    }),
                    Err(e) => Err(Notice {
                        title: "Dashboard not opened".into(),
                        body: e.to_string(),
                    }),
                };
                match notice {
                    Ok(n) | Err(n) => notify(&app, &n),
                }
            });
        }
        TrayAction::CopyToken { ttl_hours } => {
            crate::quick_copy::mint_and_copy(app, MintSource::Tray, ttl_hours);
        }
    }
}

/// Clears our token from the clipboard (only if still ours), stops the server gracefully,
/// and exits.
pub fn quit(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let shell = app.state::<Shell>();
        let guard = shell.clipboard.clone();
        let _ = tauri::async_runtime::spawn_blocking(move || guard.clear_if_ours()).await;
        shell.server.shutdown().await;
        tracing::info!("server stopped; exiting");
        app.exit(0);
    });
}

/// The first time the window is hidden, says PawKey keeps running in the tray.
pub(crate) fn on_hidden_to_tray(app: &AppHandle) {
    let shell = app.state::<Shell>();
    if shell.hidden_notice_shown.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Some(marker) = &shell.hidden_notice_marker {
        if marker.exists() {
            return;
        }
        let _ = marker.parent().map(std::fs::create_dir_all);
        let _ = std::fs::write(marker, b"");
    }
    notify(
        app,
        &Notice {
            title: "PawKey is still running".into(),
            body: "It keeps serving session tokens from the tray. Choose Quit in the tray menu to stop it.".into(),
        },
    );
}
