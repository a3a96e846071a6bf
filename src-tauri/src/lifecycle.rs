//! The app's life outside the window's own buttons: notifications, the first hide to the
//! tray, the tray's menu choices, and a graceful quit.

use std::sync::atomic::Ordering;

use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt as _;

use crate::shell::Shell;
use crate::tray::{self, Notice, TrayAction};
use crate::window::show_main_window;

/// Shows a desktop notification; a missing notification daemon is not an error.
pub(crate) fn notify(app: &AppHandle, notice: &Notice) {
    if let Err(e) = app
        .notification()
        .builder()
        .title(&notice.title)
        .body(&notice.body)
        .show()
    {
        tracing::debug!("notification not shown: {e}");
    }
}

/// Formats Unix seconds as local time for notifications.
pub fn local_time(unix: u64) -> String {
    use chrono::TimeZone;
    let Ok(secs) = i64::try_from(unix) else {
        return unix.to_string();
    };
    match chrono::Local.timestamp_opt(secs, 0) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            let today = chrono::Local::now().date_naive();
            if t.date_naive() == today {
                t.format("%H:%M").to_string()
            } else {
                t.format("%a %-d %b %H:%M").to_string()
            }
        }
        chrono::LocalResult::None => unix.to_string(),
    }
}

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
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let shell = app.state::<Shell>();
                let state = match shell.state().await {
                    Ok(s) => s,
                    Err(e) => {
                        let notice = Notice {
                            title: "No session token".into(),
                            body: e.to_string(),
                        };
                        notify(&app, &notice);
                        return;
                    }
                };
                let guard = shell.clipboard.clone();
                let clear = state.config().clipboard_clear_seconds;
                let result = tauri::async_runtime::spawn_blocking(move || {
                    tray::copy_token(&state, &guard, ttl_hours, &local_time)
                })
                .await;
                match result {
                    Ok(Ok((ticket, notice))) => {
                        shell.schedule_clear(&app, ticket, clear);
                        notify(&app, &notice);
                    }
                    Ok(Err(notice)) => notify(&app, &notice),
                    Err(e) => tracing::warn!("tray copy did not finish: {e}"),
                }
            });
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
