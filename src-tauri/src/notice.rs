//! Desktop notifications: what one says ([`Notice`]), showing it ([`notify`]), and the
//! local time format they use ([`local_time`]). Shared by the tray, the quick copy, the
//! approvals and the event followers.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt as _;

/// A desktop notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The headline.
    pub title: String,
    /// The detail.
    pub body: String,
}

/// Shows a desktop notification; a missing notification daemon is not an error.
pub fn notify(app: &AppHandle, notice: &Notice) {
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

/// "PawKey is still running": said the first time the window is hidden to the tray, ever
/// (a marker file in the data dir remembers it across runs).
pub struct FirstHideNotice {
    marker: Option<std::path::PathBuf>,
    shown: std::sync::atomic::AtomicBool,
}

impl FirstHideNotice {
    /// Remembered in `data_dir` (`None`: for this run only).
    pub fn new(data_dir: Option<std::path::PathBuf>) -> Self {
        Self {
            marker: data_dir.map(|d| d.join("tray-notice-shown")),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Shows the notice unless it was shown before.
    pub fn notify_once(&self, app: &AppHandle) {
        if self.shown.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        if let Some(marker) = &self.marker {
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
}
