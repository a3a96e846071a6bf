//! The Tauri application: plugins, the window's close-to-tray behaviour, the tray, start-up
//! (state opened off the main thread, then the server), live events to the window, and a
//! graceful quit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use pawkey_core::audit::{AuditEntry, AuditLog};
use pawkey_core::cli::Cli;
use pawkey_core::startup::Setup;
use pawkey_core::state::{AppState, MasterStatus};
use serde::Serialize;
use tauri::menu::MenuItem;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent, Wry};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_notification::NotificationExt as _;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::approvals::RequestsView;
use crate::clipboard::{ClearOutcome, ClipboardGuard, CopyTicket, SystemClipboard};
use crate::error::CommandError;
use crate::server::{ServerSlot, ServerStatus};
use crate::settings::SettingsView;
use crate::tray::{self, Notice, TrayAction};

/// Label of the one window.
pub const MAIN_WINDOW: &str = "main";

/// Event: the status changed (payload [`StatusView`]).
pub const EVENT_STATUS: &str = "status-changed";
/// Event: a session token was minted anywhere (payload [`SessionRow`]).
pub const EVENT_MINTED: &str = "session-minted";
/// Event: the recent list must be replaced (payload [`SessionsView`]).
pub const EVENT_SESSIONS: &str = "sessions-reset";
/// Event: the clipboard timer ran (payload [`ClipboardEvent`]).
pub const EVENT_CLIPBOARD: &str = "clipboard-cleared";
/// Event: the waiting access requests changed (payload [`RequestsView`]).
pub const EVENT_REQUESTS: &str = "requests-changed";
/// Event: show the access-request cards (the tray's "Pending requests"; no payload).
pub const EVENT_SHOW_REQUESTS: &str = "show-requests";

/// Where start-up is.
enum Boot {
    Loading,
    Ready(AppState),
    Failed(String),
}

/// Everything the commands, the tray and the event handlers share.
pub struct Shell {
    boot: watch::Sender<Boot>,
    /// The embedded server.
    pub server: ServerSlot,
    /// The clipboard, behind the "clear only if still ours" guard.
    pub clipboard: Arc<ClipboardGuard<SystemClipboard>>,
    tray_server_line: std::sync::Mutex<Option<MenuItem<Wry>>>,
    tray_requests_line: std::sync::Mutex<Option<MenuItem<Wry>>>,
    config_file: Option<PathBuf>,
    /// Marks that the "still running in the tray" notice was shown once.
    hidden_notice_marker: Option<PathBuf>,
    hidden_notice_shown: AtomicBool,
    status_seq: AtomicU64,
    sessions: std::sync::Mutex<Sessions>,
    /// False when this desktop has no tray: closing the window then quits.
    has_tray: AtomicBool,
}

/// One mint in the recent list: core's audit entry, numbered in the order this run saw it
/// (two mints in the same second give the same token, so the entry alone is no key).
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    /// Position in this run's order, from 1.
    pub seq: u64,
    /// What core recorded.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// The recent list and the number of the last mint in it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionsView {
    /// The `seq` of the newest row; events numbered up to this are already in `sessions`.
    pub seq: u64,
    /// Newest first.
    pub sessions: Vec<SessionRow>,
}

/// The window's copy of core's audit ring, fed only by [`forward_mints`].
#[derive(Default)]
struct Sessions {
    seq: u64,
    rows: std::collections::VecDeque<SessionRow>,
}

impl Sessions {
    fn push(&mut self, entry: AuditEntry) -> SessionRow {
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

    fn reset(&mut self, newest_first: Vec<AuditEntry>) {
        self.rows.clear();
        for entry in newest_first.into_iter().rev() {
            self.push(entry);
        }
    }

    fn view(&self) -> SessionsView {
        SessionsView {
            seq: self.seq,
            sessions: self.rows.iter().cloned().collect(),
        }
    }
}

/// The start-up state as the window sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BootView {
    /// Opening the keychain.
    Loading,
    /// Running.
    Ready,
    /// PawKey could not start (bad config file, for example); the message says what to do.
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// Everything the status line and the settings form show.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    /// Increases with every view, so the window can drop one that arrives late.
    pub seq: u64,
    /// PawKey's version.
    pub version: &'static str,
    /// Start-up state.
    pub boot: BootView,
    /// The embedded server.
    pub server: ServerStatus,
    /// Where the master token lives and whether it is usable.
    pub master: Option<MasterStatus>,
    /// The settings.
    pub settings: Option<SettingsView>,
    /// `~/.pocketpaw/access_token`, for the import button.
    pub pocketpaw_token_file: Option<String>,
}

/// The result of copying a token or the master.
#[derive(Debug, Clone, Serialize)]
pub struct CopyView {
    /// Whether the text is on the clipboard.
    pub copied: bool,
    /// Why not, when it is not.
    pub error: Option<String>,
    /// Seconds until it is cleared (0 = never).
    pub clear_after_seconds: u32,
}

/// Sent when the clipboard timer ran.
#[derive(Debug, Clone, Serialize)]
pub struct ClipboardEvent {
    /// True when our token was removed; false when the clipboard held something else.
    pub cleared: bool,
}

impl Shell {
    fn new(config_file: Option<PathBuf>, data_dir: Option<PathBuf>) -> Self {
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

    fn ready_state(&self) -> Option<AppState> {
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
        let launch_at_login = app.autolaunch().is_enabled().unwrap_or(false);
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
                    self.config_file.as_ref().map(|p| p.display().to_string()),
                )
            }),
            pocketpaw_token_file: pawkey_core::pairing::pocketpaw_token_path()
                .map(|p| p.display().to_string()),
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

/// Sends the current status to the window and the tray's server line.
pub fn publish_status(app: &AppHandle) {
    let shell = app.state::<Shell>();
    let view = shell.status_view(app);
    if let Some(line) = &*shell
        .tray_server_line
        .lock()
        .unwrap_or_else(|p| p.into_inner())
    {
        let _ = line.set_text(tray::server_line(&view.server));
    }
    let _ = app.emit(EVENT_STATUS, view);
}

/// Shows, unminimizes and focuses the window.
pub fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Shows a desktop notification; a missing notification daemon is not an error.
fn notify(app: &AppHandle, notice: &Notice) {
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
fn on_tray_action(app: &AppHandle, action: TrayAction) {
    match action {
        TrayAction::Open => show_main_window(app),
        TrayAction::ShowRequests => {
            show_main_window(app);
            let _ = app.emit(EVENT_SHOW_REQUESTS, ());
        }
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
fn on_hidden_to_tray(app: &AppHandle) {
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

/// Forwards every mint recorded by core to the window as it happens, numbering them.
/// Each event is emitted while the list is locked, so a snapshot taken for the window
/// (with its `seq`) and the events after it never overlap or leave a gap.
fn forward_mints(app: AppHandle, state: &AppState) {
    let mut events = state.audit().subscribe();
    let audit = state.audit().clone();
    // Called before the server starts and before the window can mint, so the ring read
    // here and the events to come do not overlap.
    app.state::<Shell>()
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .reset(audit.recent());
    tauri::async_runtime::spawn(async move {
        loop {
            let received = events.recv().await;
            let shell = app.state::<Shell>();
            let mut sessions = shell.sessions.lock().unwrap_or_else(|p| p.into_inner());
            match received {
                Ok(entry) => {
                    let row = sessions.push(entry);
                    let _ = app.emit(EVENT_MINTED, row);
                }
                Err(RecvError::Lagged(_)) => {
                    // Skip what is still queued (the ring has it), then start over from it.
                    while events.try_recv().is_ok() {}
                    sessions.reset(audit.recent());
                    let _ = app.emit(EVENT_SESSIONS, sessions.view());
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Re-reads the master from the keychain every few seconds and, when another tool (or the
/// CLI with no server to talk to) changed it, switches and refreshes the window's status
/// line, which says so.
fn follow_master_changes(app: AppHandle, state: &AppState) {
    let mut changes = state.subscribe_master();
    tauri::async_runtime::spawn(state.clone().watch_master(MASTER_CHECK_INTERVAL));
    tauri::async_runtime::spawn(async move {
        while let Ok(_) | Err(RecvError::Lagged(_)) = changes.recv().await {
            publish_status(&app);
        }
    });
}

/// Sends the waiting access requests to the window and the tray line.
fn publish_requests(app: &AppHandle, view: RequestsView) {
    let shell = app.state::<Shell>();
    if let Some(line) = &*shell
        .tray_requests_line
        .lock()
        .unwrap_or_else(|p| p.into_inner())
    {
        let (text, enabled) = crate::approvals::tray_line(view.requests.len());
        let _ = line.set_text(text);
        let _ = line.set_enabled(enabled);
    }
    let _ = app.emit(EVENT_REQUESTS, view);
}

/// A new request raises the window when it is shown, or notifies when it is hidden in
/// the tray (raising a hidden window unasked would pull it over whatever the person does).
fn on_request_opened(app: &AppHandle, pending: &pawkey_core::approval::Pending) {
    let visible = app
        .get_webview_window(MAIN_WINDOW)
        .and_then(|w| w.is_visible().ok())
        .unwrap_or(false);
    if visible {
        show_main_window(app);
    } else {
        notify(app, &crate::approvals::arrival_notice(pending));
    }
}

/// Forwards core's access-request events to the window and the tray. The list is read
/// again after every event and when the oldest request expires (core announces an expiry
/// only when it next looks), so the count never outlives a request by more than a second.
fn forward_approvals(app: AppHandle, state: AppState) {
    let mut events = state.approvals().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let view = crate::approvals::pending(&state);
            let next_expiry = view.requests.iter().map(|p| p.expires_in).min();
            publish_requests(&app, view);
            let wait = async {
                match next_expiry {
                    Some(s) => tokio::time::sleep(Duration::from_secs(s + 1)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = events.recv() => match received {
                    Ok(pawkey_core::approval::ApprovalEvent::Opened(p)) => on_request_opened(&app, &p),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
                () = wait => {}
            }
        }
    });
}

/// Compares PocketPaw's token file with the master every few seconds and refreshes the
/// window when that changes (PocketPaw regenerated its token, say), so the window offers
/// the import without being asked.
fn follow_pocketpaw(app: AppHandle, state: AppState) {
    tauri::async_runtime::spawn(async move {
        let mut last = None;
        loop {
            tokio::time::sleep(MASTER_CHECK_INTERVAL).await;
            let s = state.clone();
            // The relation, and when the file last changed: a regeneration between two
            // checks that leaves the relation as it was is still news to the window.
            let Ok(now) = tauri::async_runtime::spawn_blocking(move || {
                let modified = pawkey_core::pairing::pocketpaw_token_path()
                    .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
                (crate::dashboard::pocketpaw_master(&s), modified)
            })
            .await
            else {
                continue;
            };
            if last.as_ref().is_some_and(|l| *l != now) {
                publish_status(&app);
            }
            last = Some(now);
        }
    });
}

/// How often the running app re-reads the master token from the keychain.
const MASTER_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

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
        forward_mints(app.clone(), &state);
        follow_master_changes(app.clone(), &state);
        follow_pocketpaw(app.clone(), state.clone());
        forward_approvals(app.clone(), state.clone());
        shell.boot.send_replace(Boot::Ready(state.clone()));
        publish_status(&app);
        shell.server.start(&state).await;
        publish_status(&app);
    });
}

/// Launches the desktop app; returns when it exits.
pub fn run(cli: Cli) -> ExitCode {
    let setup = Setup::load(cli.config.as_deref(), cli.master_token_file.as_deref())
        .map_err(|e| e.to_string());
    let (config_file, data_dir) = match &setup {
        Ok(s) => (
            Some(s.paths.config_file.clone()),
            Some(s.paths.data_dir.clone()),
        ),
        Err(_) => (None, None),
    };
    let built = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            show_main_window(app);
        }))
        .plugin(tauri_plugin_autostart::Builder::new().build())
        .plugin(tauri_plugin_notification::init())
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
            boot(handle.clone(), setup);
            let on_signal = handle.clone();
            tauri::async_runtime::spawn(async move {
                pawkey_core::startup::shutdown_signal().await;
                quit(on_signal);
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let app = window.app_handle();
                if window.label() == MAIN_WINDOW {
                    api.prevent_close();
                    if app.state::<Shell>().has_tray.load(Ordering::Relaxed) {
                        let _ = window.hide();
                        on_hidden_to_tray(app);
                    } else {
                        quit(app.clone());
                    }
                }
            }
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    match built {
        Ok(app) => {
            app.run(|_app, event| {
                if let RunEvent::Exit = event {
                    tracing::debug!("event loop finished");
                }
            });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot open PawKey's window: {e}");
            ExitCode::FAILURE
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
