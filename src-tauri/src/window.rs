//! The one window, which exists only while someone may look at it.
//!
//! PawKey lives in the tray; a WebKit page held while nobody looks costs about two thirds of
//! its memory. So the window is built when it is shown ([`show_main_window`]), hidden when
//! closed, and dropped — its webview destroyed, so WebKit's web process exits — after
//! `window_keep_seconds` ([`close_to_tray`]). What the person left on screen (the lifetime
//! they chose, the token and its countdown) is kept here, in [`ViewMemory`], and given back
//! to the page when it is built again (the `window_memory` command).
//!
//! Nothing that runs while the window is away (server, tray mints, clipboard clearing,
//! notifications, autostart) goes through the page: events sent with no page are dropped,
//! and the page asks for the current state when it loads.

use std::sync::atomic::Ordering;
use std::time::Duration;

use pawkey_core::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager, WebviewWindowBuilder};
use zeroize::Zeroizing;

use crate::shell::Shell;
use crate::views::{EVENT_SHOW_REQUESTS, MAIN_WINDOW};

/// The seconds a closed window keeps its page when the settings cannot be read yet.
const DEFAULT_KEEP_SECONDS: u32 = 60;

/// Shows the window — building it first when it was dropped or never built — unminimizes
/// and focuses it, and cancels a pending drop. Returns true when the page is new (it has
/// not loaded yet, so events sent now would not reach it).
pub fn show_main_window(app: &AppHandle) -> bool {
    let shell = app.state::<Shell>();
    shell.window_generation.fetch_add(1, Ordering::SeqCst);
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
        return false;
    }
    if tauri::webview_version().is_err() {
        // Windows without WebView2. Said before building, as Tauri's own box about it
        // (release builds) waits for its OK; the server, tray and CLI do not need it.
        tracing::error!(
            "PawKey's window cannot open: no webview runtime is installed. On Windows, install \
             the Microsoft Edge WebView2 Runtime from {WEBVIEW2_DOWNLOAD}; the server, the tray \
             and pawkeyd keep working meanwhile"
        );
    }
    if let Err(e) = build_main_window(app) {
        tracing::error!("could not open PawKey's window: {e}");
    }
    true
}

/// Where Microsoft's Evergreen WebView2 Runtime bootstrapper is (what Tauri's installers
/// fetch, and what packaging/windows/pawkey.nsi offers).
pub const WEBVIEW2_DOWNLOAD: &str = "https://go.microsoft.com/fwlink/p/?LinkId=2124703";

/// Shows the window for a second launch handing over to this one.
///
/// On Windows the second process waits in `SendMessage` until this handler returns, so the
/// window is built on the main thread's next turn instead: built inside the handler, it held
/// the second process for as long as the window took, and for good while Tauri's modal
/// "WebView2 Runtime not found" box waited for an OK (`make test-windows` checks both). On
/// Linux and macOS the window is shown at once, as before (there, showing it inside the
/// hand-over is what gives it the focus).
pub fn show_main_window_for_second_launch(app: &AppHandle) {
    #[cfg(windows)]
    {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let shown = app.clone();
            if let Err(e) = app.run_on_main_thread(move || {
                show_main_window(&shown);
            }) {
                tracing::warn!("could not show PawKey's window: {e}");
            }
        });
    }
    #[cfg(not(windows))]
    show_main_window(app);
}

/// Shows the window on the access-request cards: tells a loaded page at once, or leaves
/// word for a page being built to scroll there when it loads.
pub fn show_requests(app: &AppHandle) {
    if show_main_window(app) {
        let shell = app.state::<Shell>();
        shell
            .view_memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .show_requests = true;
    } else {
        let _ = app.emit(EVENT_SHOW_REQUESTS, ());
    }
}

/// Builds the window from `tauri.conf.json` (where it has `"create": false`). It stays
/// invisible until its page has loaded, so the first thing shown is the page, not an empty
/// frame.
fn build_main_window(app: &AppHandle) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let started = std::time::Instant::now();
    WebviewWindowBuilder::from_config(app, &config)?
        .visible(false)
        .on_page_load(move |window, payload| {
            if payload.event() == PageLoadEvent::Finished {
                tracing::debug!("window page loaded in {:?}", started.elapsed());
                let _ = window.show();
                let _ = window.set_focus();
            }
        })
        .build()?;
    Ok(())
}

/// Closing the window: with a tray, hides it and drops its page after
/// `window_keep_seconds` unless it is shown again first; without one, quits (PawKey must
/// not keep running where nobody can reach it).
pub fn close_to_tray(app: &AppHandle) {
    if !crate::tray_host::reachable(app) {
        crate::lifecycle::quit(app.clone());
        return;
    }
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        return;
    };
    let _ = window.hide();
    crate::lifecycle::on_hidden_to_tray(app);
    let shell = app.state::<Shell>();
    let generation = shell.window_generation.load(Ordering::SeqCst);
    let keep = shell
        .ready_state()
        .map_or(DEFAULT_KEEP_SECONDS, |s| s.config().window_keep_seconds);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if keep > 0 {
            tokio::time::sleep(Duration::from_secs(keep.into())).await;
        }
        let shell = app.state::<Shell>();
        if shell.window_generation.load(Ordering::SeqCst) != generation {
            return; // shown again meanwhile
        }
        if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
            if window.is_visible().unwrap_or(false) {
                return;
            }
            tracing::debug!("dropping the hidden window's page");
            if let Err(e) = window.destroy() {
                tracing::warn!("could not drop the hidden window: {e}");
            }
        }
    });
}

/// How the lifetime picker was left: the select's value (`"24"`, `"custom"`) and the
/// custom field's text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlChoice {
    /// The select's value.
    pub preset: String,
    /// The custom hours field, as typed.
    pub custom: String,
}

/// The token the window last minted (only its page ever showed it).
struct ShownToken {
    token: Zeroizing<String>,
    expires_at: u64,
}

/// What the person left on screen, kept while the page is away.
#[derive(Default)]
pub(crate) struct ViewMemory {
    ttl: Option<TtlChoice>,
    token: Option<ShownToken>,
    /// The tray asked for the request cards while the page was being built.
    pub(crate) show_requests: bool,
}

impl ViewMemory {
    pub(crate) fn remember_ttl(&mut self, choice: TtlChoice) {
        self.ttl = Some(choice);
    }

    pub(crate) fn remember_token(&mut self, token: &str, expires_at: u64) {
        self.token = Some(ShownToken {
            token: Zeroizing::new(token.to_owned()),
            expires_at,
        });
    }

    /// The view to rebuild the page with. The token is given back only while it still
    /// verifies (not expired, master not rotated since); otherwise it is forgotten.
    pub(crate) fn view(&mut self, state: Option<&AppState>) -> WindowMemoryView {
        let valid = match (&self.token, state) {
            (Some(shown), Some(state)) => state.verify(&shown.token).is_ok(),
            _ => false,
        };
        if !valid {
            self.token = None;
        }
        WindowMemoryView {
            show_requests: std::mem::take(&mut self.show_requests),
            ttl: self.ttl.clone(),
            current: self.token.as_ref().map(|t| ShownTokenView {
                token: t.token.to_string(),
                expires_at: t.expires_at,
            }),
        }
    }
}

/// The token on screen when the page was dropped.
#[derive(Debug, Clone, Serialize)]
pub struct ShownTokenView {
    /// The token.
    pub token: String,
    /// Its expiry, Unix seconds.
    pub expires_at: u64,
}

/// What a rebuilt page restores.
#[derive(Debug, Clone, Serialize)]
pub struct WindowMemoryView {
    /// The lifetime picker as it was left (absent: never changed).
    pub ttl: Option<TtlChoice>,
    /// The token shown, while it is still valid.
    pub current: Option<ShownTokenView>,
    /// Scroll to the access-request cards (asked for from the tray; said once).
    pub show_requests: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::audit::MintSource;
    use pawkey_core::config::Config;
    use pawkey_core::store::MemoryStore;
    use std::sync::Arc;

    fn state() -> AppState {
        AppState::builder(Config::default(), Arc::new(MemoryStore::default())).open()
    }

    #[test]
    fn a_valid_token_and_the_lifetime_choice_come_back() {
        let state = state();
        let minted = state.mint(Some(2), None, MintSource::Window, None).unwrap();
        let mut memory = ViewMemory::default();
        memory.remember_token(&minted.token, minted.expires_at);
        let choice = TtlChoice {
            preset: "custom".into(),
            custom: "5".into(),
        };
        memory.remember_ttl(choice.clone());
        let view = memory.view(Some(&state));
        assert_eq!(view.ttl, Some(choice));
        let current = view.current.expect("the token is still valid");
        assert_eq!(current.token, minted.token);
        assert_eq!(current.expires_at, minted.expires_at);
    }

    #[test]
    fn a_token_the_master_no_longer_signs_is_forgotten() {
        let state = state();
        let minted = state.mint(Some(1), None, MintSource::Window, None).unwrap();
        let mut memory = ViewMemory::default();
        memory.remember_token(&minted.token, minted.expires_at);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(state.rotate())
            .unwrap();
        assert!(memory.view(Some(&state)).current.is_none());
        assert!(memory.token.is_none(), "dropped, not kept for later");
        assert!(memory.view(None).current.is_none());
    }
}
