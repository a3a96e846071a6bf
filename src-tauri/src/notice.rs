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
