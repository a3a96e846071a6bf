//! What the tray's menu, the global shortcut and a second launch do — the host's answers
//! to things a person does outside the window.

use pawkey_core::audit::MintSource;
use tauri::{AppHandle, Manager};

use crate::host::Host;
use crate::notice::{Notice, local_time, notify};
use crate::tray::{self, TrayAction};

/// Runs a tray menu choice.
pub fn on_tray_action(app: &AppHandle, action: TrayAction) {
    let host = app.state::<Host>();
    match action {
        TrayAction::Open => {
            host.show_window();
        }
        TrayAction::ShowRequests => host.show_requests(),
        TrayAction::Quit => host.quit(app),
        TrayAction::OpenDashboard => open_dashboard(app),
        TrayAction::CopyToken { ttl_hours } => {
            crate::copy::quick_copy(app, MintSource::Tray, ttl_hours);
        }
    }
}

/// The global copy shortcut was pressed: the tray's copy, under its own source.
pub fn on_shortcut(app: &AppHandle) {
    crate::copy::quick_copy(app, MintSource::Shortcut, None);
}

/// Another `pawkey` was started: this one shows its window instead. (Starting the window
/// process takes no time here, so the second launch, which on Windows waits for this
/// handler, is let go at once.)
pub fn on_second_launch(app: &AppHandle) {
    app.state::<Host>().show_window();
}

/// "Open dashboard" in the tray: opens it and says until when the link's token works.
fn open_dashboard(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let host = app.state::<Host>();
        let not_opened = |body: String| Notice {
            title: "Dashboard not opened".into(),
            body,
        };
        let notice = match host.state().await {
            Ok(state) => tauri::async_runtime::spawn_blocking(move || {
                tray::open_dashboard(&state, &crate::dashboard::open_in_browser, &local_time)
            })
            .await
            .unwrap_or_else(|e| Err(not_opened(e.to_string()))),
            Err(e) => Err(not_opened(e.to_string())),
        };
        match notice {
            Ok(n) | Err(n) => notify(&app, &n),
        }
    });
}
