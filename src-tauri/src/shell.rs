//! The `Shell`: everything the commands, the tray and the background followers share —
//! start-up state, the server, the clipboard, the tray's live lines — and its mirror of
//! core's recent-mints ring.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use pawkey_core::audit::AuditEntry;
use pawkey_core::state::AppState;
use tauri::menu::MenuItem;
use tauri::{AppHandle, Emitter, Wry};
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::clipboard::{ClearOutcome, ClipboardGuard, CopyTicket, SystemClipboard};
use crate::error::CommandError;
use crate::server::ServerSlot;
use crate::settings::SettingsView;
use crate::shortcut::ShortcutSlot;
use crate::views::{
    BootView, ClipboardEvent, CopyView, EVENT_CLIPBOARD, SessionRow, SessionsView, StatusView,
};

/// Where start-up is.
pub(crate) enum Boot {
    Loading,
    Ready(AppState),
    Failed(String),
}

/// Everything the commands, the tray and the event handlers share.
pub struct Shell {
    pub(crate) boot: watch::Sender<Boot>,
    /// The embedded server.
    pub server: ServerSlot,
    /// The clipboard, behind the "clear only if still ours" guard.
    pub clipboard: Arc<ClipboardGuard<SystemClipboard>>,
    pub(crate) tray_server_line: std::sync::Mutex<Option<MenuItem<Wry>>>,
    pub(crate) tray_requests_line: std::sync::Mutex<Option<MenuItem<Wry>>>,
    config_file: Option<PathBuf>,
    /// Marks that the "still running in the tray" notice was shown once.
    pub(crate) hidden_notice_marker: Option<PathBuf>,
    pub(crate) hidden_notice_shown: AtomicBool,
    status_seq: AtomicU64,
    pub(crate) sessions: std::sync::Mutex<Sessions>,
    /// False when the tray icon could not be created: closing the window then quits.
    pub(crate) has_tray: AtomicBool,
    /// Grows each time the window is shown, so a pending drop of a hidden window's page
    /// knows it was shown again meanwhile ([`crate::window`]).
    pub(crate) window_generation: AtomicU64,
    /// What the window showed, for when its page is built again.
    pub(crate) view_memory: std::sync::Mutex<crate::window::ViewMemory>,
    /// The global copy shortcut and what became of it.
    pub shortcut: ShortcutSlot,
}

/// The window's copy of core's audit ring, fed only by [`crate::events::forward_mints`].
#[derive(Default)]
pub(crate) struct Sessions {
    seq: u64,
    rows: std::collections::VecDeque<SessionRow>,
}

impl Sessions {
    pub(crate) fn push(&mut self, entry: AuditEntry) -> SessionRow {
        self.seq += 1;
        let row = SessionRow {
            seq: self.seq,
            entry,
        };
        if self.rows.len() == pawkey_core::audit::RING_CAPACITY {
            self.rows.pop_back();
        }
        self.rows.push_front(row.clone());
        row
    }

    pub(crate) fn reset(&mut self, newest_first: Vec<AuditEntry>) {
        self.rows.clear();
        for entry in newest_first.into_iter().rev() {
            self.push(entry);
        }
    }

    pub(crate) fn view(&self) -> SessionsView {
        SessionsView {
            seq: self.seq,
            sessions: self.rows.iter().cloned().collect(),
            capacity: pawkey_core::audit::RING_CAPACITY,
        }
    }
}

impl Shell {
    pub(crate) fn new(config_file: Option<PathBuf>, data_dir: Option<PathBuf>) -> Self {
        let (boot, _) = watch::channel(Boot::Loading);
        Self {
            boot,
            server: ServerSlot::default(),
            clipboard: Arc::new(ClipboardGuard::new(SystemClipboard::default())),
            tray_server_line: std::sync::Mutex::new(None),
            tray_requests_line: std::sync::Mutex::new(None),
            config_file,
            hidden_notice_marker: data_dir.map(|d| d.join("tray-notice-shown")),
            hidden_notice_shown: AtomicBool::new(false),
            status_seq: AtomicU64::new(0),
            sessions: std::sync::Mutex::new(Sessions::default()),
            has_tray: AtomicBool::new(false),
            window_generation: AtomicU64::new(0),
            view_memory: std::sync::Mutex::new(crate::window::ViewMemory::default()),
            shortcut: ShortcutSlot::default(),
        }
    }

    /// The shared state, once start-up has opened it.
    pub async fn state(&self) -> Result<AppState, CommandError> {
        let mut rx = self.boot.subscribe();
        let boot = rx
            .wait_for(|b| !matches!(b, Boot::Loading))
            .await
            .map_err(|_| CommandError::Other("PawKey is shutting down".into()))?;
        match &*boot {
            Boot::Ready(state) => Ok(state.clone()),
            Boot::Failed(message) => Err(CommandError::Other(message.clone())),
            Boot::Loading => Err(CommandError::Other("PawKey is still starting".into())),
        }
    }

    /// The recent list, for the window's first load.
    pub fn sessions(&self) -> SessionsView {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .view()
    }

    /// The shared state if start-up has opened it (without waiting).
    pub(crate) fn ready_state(&self) -> Option<AppState> {
        match &*self.boot.borrow() {
            Boot::Ready(state) => Some(state.clone()),
            _ => None,
        }
    }

    /// What the status line and settings show right now.
    pub fn status_view(&self, app: &AppHandle) -> StatusView {
        let boot = match &*self.boot.borrow() {
            Boot::Loading => BootView::Loading,
            Boot::Ready(_) => BootView::Ready,
            Boot::Failed(message) => BootView::Failed {
                message: message.clone(),
            },
        };
        let state = self.ready_state();
        let launch_at_login = crate::autostart::LoginItem::for_this_app()
            .map(|l| l.is_enabled())
            .unwrap_or(false);
        StatusView {
            seq: self.status_seq.fetch_add(1, Ordering::Relaxed) + 1,
            version: pawkey_core::VERSION,
            boot,
            server: self.server.status(),
            master: state.as_ref().map(AppState::master_status),
            settings: state.as_ref().map(|s| {
                SettingsView::new(
                    &s.config(),
                    launch_at_login,
                    self.shortcut.status(),
                    self.config_file.as_ref().map(|p| p.display().to_string()),
                )
            }),
            pocketpaw_token_file: pawkey_core::pocketpaw::pocketpaw_token_path()
                .map(|p| p.display().to_string()),
            tray_shown: crate::tray_host::reachable(app),
        }
    }

    /// Clears the copy `ticket` after `seconds` (0 = never) if the clipboard still holds
    /// it, and tells the window what happened.
    pub fn schedule_clear(&self, app: &AppHandle, ticket: CopyTicket, seconds: u32) {
        if seconds == 0 {
            return;
        }
        let guard = self.clipboard.clone();
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds.into())).await;
            let outcome =
                tauri::async_runtime::spawn_blocking(move || guard.clear_if_current(ticket)).await;
            let cleared = match outcome {
                Ok(ClearOutcome::Cleared) => true,
                Ok(ClearOutcome::NotOurs) => false,
                Ok(ClearOutcome::Failed(e)) => {
                    tracing::warn!("{e}");
                    return;
                }
                // Superseded by a newer copy, or nothing to do.
                _ => return,
            };
            let _ = app.emit(EVENT_CLIPBOARD, ClipboardEvent { cleared });
        });
    }

    /// Copies a secret (marked as a password) and starts its clear timer.
    pub async fn copy_secret(
        &self,
        app: &AppHandle,
        secret: Zeroizing<String>,
        clear_after_seconds: u32,
    ) -> CopyView {
        let guard = self.clipboard.clone();
        let copied = tauri::async_runtime::spawn_blocking(move || guard.copy_secret(&secret))
            .await
            .map_err(|e| format!("the clipboard call did not finish: {e}"))
            .and_then(|r| r);
        match copied {
            Ok(ticket) => {
                self.schedule_clear(app, ticket, clear_after_seconds);
                CopyView {
                    copied: true,
                    error: None,
                    clear_after_seconds,
                }
            }
            Err(e) => CopyView {
                copied: false,
                error: Some(e),
                clear_after_seconds,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::audit::MintSource;

    fn entry(second: u64) -> AuditEntry {
        AuditEntry {
            minted_at: second,
            source: MintSource::Http,
            client: Some("127.0.0.1".into()),
            expires_at: second + 3600,
            fingerprint: "0123456789ab".into(),
        }
    }

    #[test]
    fn identical_mints_in_one_second_stay_separate_rows() {
        let mut sessions = Sessions::default();
        for _ in 0..3 {
            sessions.push(entry(100));
        }
        let view = sessions.view();
        assert_eq!(view.seq, 3);
        let seqs: Vec<u64> = view.sessions.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![3, 2, 1], "newest first");
    }

    #[test]
    fn the_list_is_bounded_like_cores_ring_and_reset_keeps_counting() {
        let mut sessions = Sessions::default();
        let capacity = pawkey_core::audit::RING_CAPACITY;
        for n in 0..(capacity as u64 + 7) {
            sessions.push(entry(n));
        }
        let view = sessions.view();
        assert_eq!(
            view.capacity, capacity,
            "the window trims to what it is told"
        );
        assert_eq!(view.sessions.len(), capacity);
        assert_eq!(view.sessions[0].entry.minted_at, capacity as u64 + 6);

        sessions.reset(vec![entry(9), entry(8)]);
        let view = sessions.view();
        assert_eq!(view.sessions.len(), 2);
        assert_eq!(view.sessions[0].entry.minted_at, 9);
        // Numbers keep growing, so the window never mistakes a new row for an old one.
        assert!(view.sessions[1].seq > capacity as u64);
        assert_eq!(view.seq, view.sessions[0].seq);
    }

    #[test]
    fn a_row_serializes_flat_for_the_window() {
        let row = Sessions::default().push(entry(5));
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["seq"], 1);
        assert_eq!(json["source"], "http");
        assert_eq!(json["client"], "127.0.0.1");
        assert_eq!(json["fingerprint"], "0123456789ab");
    }
}
