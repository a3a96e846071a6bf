//! The host: the long-lived side of PawKey that holds the master (through core's
//! [`AppState`]), the server, the tray, the clipboard and the global shortcut. The window
//! is its client: it asks through [`crate::link`]'s one channel, and the host drives it
//! only through the [`WindowPort`] it was given.
//!
//! [`Host`] owns each concern's own type — [`ServerSlot`], [`ClipboardGuard`],
//! [`TrayLines`], [`Sessions`], [`ViewMemory`], [`ShortcutSlot`], [`FirstHideNotice`] —
//! and the few behaviours that span them: the status everyone shows, showing and letting go
//! of the window, and quitting.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use pawkey_core::state::AppState;
use tauri::{AppHandle, Manager};
use tokio::sync::watch;

use crate::approvals::RequestsView;
use crate::clipboard::{ClipboardGuard, SystemClipboard};
use crate::error::CommandError;
use crate::link::{Push, WindowPort};
use crate::memory::ViewMemory;
use crate::notice::FirstHideNotice;
use crate::server::ServerSlot;
use crate::sessions::Sessions;
use crate::settings::SettingsView;
use crate::shortcut::ShortcutSlot;
use crate::tray::TrayLines;
use crate::views::{BootView, SessionsView, StatusView};

/// The seconds a closed window keeps its page when the settings cannot be read yet.
const DEFAULT_KEEP_SECONDS: u32 = 60;

/// Where start-up is.
pub enum Boot {
    /// Opening the state (the keychain blocks on D-Bus).
    Loading,
    /// Open.
    Ready(AppState),
    /// Could not open; the message says why and what to do.
    Failed(String),
}

/// Everything the commands, the tray, the shortcut and the followers share.
pub struct Host {
    boot: watch::Sender<Boot>,
    /// The embedded server.
    pub server: ServerSlot,
    /// The clipboard, behind the "clear only if still ours" guard.
    pub clipboard: Arc<ClipboardGuard<SystemClipboard>>,
    /// The global copy shortcut and what became of it.
    pub shortcut: ShortcutSlot,
    /// The recent list the window shows.
    pub sessions: Mutex<Sessions>,
    /// What the window showed, for when its page is built again.
    pub memory: Mutex<ViewMemory>,
    /// The tray's changing lines; unset when no tray icon could be made.
    tray: OnceLock<TrayLines>,
    /// The window, as this host drives it.
    window: OnceLock<Box<dyn WindowPort>>,
    /// Grows each time the window is shown, so a pending drop of a hidden window's page
    /// knows it was shown again meanwhile.
    window_generation: AtomicU64,
    first_hide: FirstHideNotice,
    status_seq: AtomicU64,
    config_file: Option<PathBuf>,
}

impl Host {
    /// A host still loading its state.
    pub fn new(config_file: Option<PathBuf>, data_dir: Option<PathBuf>) -> Self {
        let (boot, _) = watch::channel(Boot::Loading);
        Self {
            boot,
            server: ServerSlot::default(),
            clipboard: Arc::new(ClipboardGuard::new(SystemClipboard::default())),
            shortcut: ShortcutSlot::default(),
            sessions: Mutex::new(Sessions::default()),
            memory: Mutex::new(ViewMemory::default()),
            tray: OnceLock::new(),
            window: OnceLock::new(),
            window_generation: AtomicU64::new(0),
            first_hide: FirstHideNotice::new(data_dir),
            status_seq: AtomicU64::new(0),
            config_file,
        }
    }

    /// Gives the host its window (once, at start-up).
    pub fn set_window(&self, port: Box<dyn WindowPort>) {
        if self.window.set(port).is_err() {
            tracing::warn!("the window was wired twice; keeping the first");
        }
    }

    /// Gives the host the tray's changing lines (once, when the icon was made).
    pub fn set_tray(&self, lines: TrayLines) {
        let _ = self.tray.set(lines);
    }

    /// Records where start-up is.
    pub fn set_boot(&self, boot: Boot) {
        self.boot.send_replace(boot);
    }

    /// The shared state, once start-up has opened it.
    pub async fn state(&self) -> Result<AppState, CommandError> {
        let mut rx = self.boot.subscribe();
        let boot = rx
            .wait_for(|b| !matches!(b, Boot::Loading))
            .await
            .map_err(|_| CommandError::ShuttingDown)?;
        match &*boot {
            Boot::Ready(state) => Ok(state.clone()),
            Boot::Failed(message) => Err(CommandError::StartFailed(message.clone())),
            Boot::Loading => Err(CommandError::ShuttingDown),
        }
    }

    /// The shared state if start-up has opened it (without waiting).
    pub fn ready_state(&self) -> Option<AppState> {
        match &*self.boot.borrow() {
            Boot::Ready(state) => Some(state.clone()),
            _ => None,
        }
    }

    /// The recent list, for the window's first load.
    pub fn sessions(&self) -> SessionsView {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .view()
    }

    /// True when the tray icon exists and the desktop shows tray icons right now (checked
    /// each time, so a tray extension enabled later counts).
    pub fn tray_reachable(&self) -> bool {
        crate::tray_host::reachable(self.tray.get().is_some())
    }

    /// What the status line and settings show right now.
    pub fn status_view(&self) -> StatusView {
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
            tray_shown: self.tray_reachable(),
        }
    }

    /// Sends the current status to the window and the tray's server line.
    pub fn publish_status(&self) {
        let view = self.status_view();
        if let Some(tray) = self.tray.get() {
            tray.show_server(&view.server);
        }
        self.push(Push::Status(Box::new(view)));
    }

    /// Sends the waiting access requests to the window and the tray's line.
    pub fn publish_requests(&self, view: RequestsView) {
        if let Some(tray) = self.tray.get() {
            tray.show_requests(view.requests.len());
        }
        self.push(Push::Requests(view));
    }

    /// Tells the window something (dropped when there is no page).
    pub fn push(&self, push: Push) {
        if let Some(window) = self.window.get() {
            window.push(push);
        }
    }

    /// Shows the window (building it when needed) and cancels a pending drop of its page.
    /// True when the page is new.
    pub fn show_window(&self) -> bool {
        self.window_generation.fetch_add(1, Ordering::SeqCst);
        self.window.get().is_some_and(|w| w.show())
    }

    /// Shows the window on the access-request cards: tells a loaded page at once, or
    /// leaves word for a page being built to scroll there when it loads.
    pub fn show_requests(&self) {
        if self.show_window() {
            self.memory
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .show_requests = true;
        } else {
            self.push(Push::ShowRequests);
        }
    }

    /// Asks for attention when the window is shown; false when it is not.
    pub fn ask_attention(&self) -> bool {
        self.window.get().is_some_and(|w| w.ask_attention())
    }

    /// The window was closed: with a tray, hides it and drops its page after
    /// `window_keep_seconds` unless it is shown again first; without one, quits (PawKey
    /// must not keep running where nobody can reach it).
    pub fn on_window_closed(&self, app: &AppHandle) {
        if !self.tray_reachable() {
            self.quit(app);
            return;
        }
        let Some(window) = self.window.get() else {
            return;
        };
        window.hide();
        self.first_hide.notify_once(app);
        let generation = self.window_generation.load(Ordering::SeqCst);
        let keep = self
            .ready_state()
            .map_or(DEFAULT_KEEP_SECONDS, |s| s.config().window_keep_seconds);
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if keep > 0 {
                tokio::time::sleep(Duration::from_secs(keep.into())).await;
            }
            let host = app.state::<Host>();
            if host.window_generation.load(Ordering::SeqCst) != generation {
                return; // shown again meanwhile
            }
            if let Some(window) = host.window.get() {
                window.drop_if_hidden();
            }
        });
    }

    /// Clears our token from the clipboard (only if still ours), stops the server
    /// gracefully, and exits with status 0.
    pub fn quit(&self, app: &AppHandle) {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let host = app.state::<Host>();
            let guard = host.clipboard.clone();
            let _ = tauri::async_runtime::spawn_blocking(move || guard.clear_if_ours()).await;
            host.server.shutdown().await;
            tracing::info!("server stopped; exiting");
            app.exit(0);
        });
    }
}
