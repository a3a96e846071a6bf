//! The window side: the one window, which exists only while someone may look at it, and
//! the `call` command through which its page reaches the host ([`crate::link`]).
//!
//! PawKey lives in the tray; a WebKit page held while nobody looks costs about two thirds of
//! its memory. So the window is built when it is shown, hidden when closed, and dropped —
//! its webview destroyed, so WebKit's web process exits — after `window_keep_seconds`
//! (the host decides when: [`crate::host::Host::on_window_closed`]). What the person left
//! on screen is kept by the host ([`crate::memory`]) and asked for by a rebuilt page.
//!
//! Nothing that runs while the window is away (server, tray mints, clipboard clearing,
//! notifications, autostart) goes through the page: events sent with no page are dropped,
//! and the page asks for the current state when it loads.

use serde_json::Value;
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager, WebviewWindowBuilder};

use crate::error::CommandError;
use crate::link::{Call, Push, WindowPort};

/// The window's label (in `tauri.conf.json`).
pub const MAIN_WINDOW: &str = "main";

/// Where Microsoft's Evergreen WebView2 Runtime bootstrapper is (what Tauri's installers
/// fetch, and what packaging/windows/pawkey.nsi offers).
pub const WEBVIEW2_DOWNLOAD: &str = "https://go.microsoft.com/fwlink/p/?LinkId=2124703";

/// The page's one command: every [`Call`] goes through here to the host.
#[tauri::command]
pub async fn call(app: AppHandle, call: Value) -> Result<Value, CommandError> {
    let call: Call =
        serde_json::from_value(call).map_err(|e| CommandError::BadCall(e.to_string()))?;
    crate::commands::dispatch(&app, call).await
}

/// The window in this process, driven by the host through [`WindowPort`].
pub struct AppWindow {
    app: AppHandle,
}

impl AppWindow {
    /// The window of `app`.
    pub fn new(app: AppHandle) -> Self {
        Self { app }
    }
}

impl WindowPort for AppWindow {
    fn show(&self) -> bool {
        show_main_window(&self.app)
    }

    fn push(&self, push: Push) {
        let _ = self.app.emit(push.event(), push.payload());
    }

    fn ask_attention(&self) -> bool {
        let window = self.app.get_webview_window(MAIN_WINDOW);
        match window.filter(|w| w.is_visible().unwrap_or(false)) {
            Some(w) => {
                let _ = w.request_user_attention(Some(tauri::UserAttentionType::Informational));
                true
            }
            None => false,
        }
    }

    fn hide(&self) {
        if let Some(window) = self.app.get_webview_window(MAIN_WINDOW) {
            let _ = window.hide();
        }
    }

    fn drop_if_hidden(&self) {
        if let Some(window) = self.app.get_webview_window(MAIN_WINDOW) {
            if window.is_visible().unwrap_or(false) {
                return;
            }
            tracing::debug!("dropping the hidden window's page");
            if let Err(e) = window.destroy() {
                tracing::warn!("could not drop the hidden window: {e}");
            }
        }
    }
}

/// Shows the window — building it first when it was dropped or never built — unminimizes
/// and focuses it. Returns true when the page is new (it has not loaded yet, so events
/// sent now would not reach it).
fn show_main_window(app: &AppHandle) -> bool {
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

/// Runs `show` for a second launch handing over to this one.
///
/// On Windows the second process waits in `SendMessage` until this handler returns, so the
/// window is built on the main thread's next turn instead: built inside the handler, it held
/// the second process for as long as the window took, and for good while Tauri's modal
/// "WebView2 Runtime not found" box waited for an OK (`make test-windows` checks both). On
/// Linux and macOS the window is shown at once, as before (there, showing it inside the
/// hand-over is what gives it the focus).
pub fn on_second_launch(app: &AppHandle, show: fn(&AppHandle)) {
    #[cfg(windows)]
    {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let shown = app.clone();
            if let Err(e) = app.run_on_main_thread(move || show(&shown)) {
                tracing::warn!("could not show PawKey's window: {e}");
            }
        });
    }
    #[cfg(not(windows))]
    show(app);
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

/// The window's command is named in four places Tauri needs it: the `#[tauri::command]`
/// here, `generate_handler!` in `lib.rs`, `COMMANDS` in `build.rs` (which makes the
/// `allow-<name>` permissions) and the capability in `tauri.conf.json`. Tauri's macros take
/// paths, not a list, so they cannot share one const; this test keeps them in step.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn read(relative: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The text between `start` and the next `end` after it.
    fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
        let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
        let len = text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("no {end:?}"));
        &text[from..from + len]
    }

    fn defined_here() -> BTreeSet<String> {
        let source = read("src/window.rs");
        // Only the commands, not this test (which names the attribute too).
        let (commands, _tests) = source
            .split_once("#[cfg(test)]")
            .expect("window.rs has its tests at the end");
        commands
            .split("#[tauri::command]\n")
            .skip(1)
            .map(|after| {
                let name = between(after, "fn ", "(");
                name.trim().to_string()
            })
            .collect()
    }

    fn registered_in_lib() -> BTreeSet<String> {
        let source = read("src/lib.rs");
        between(&source, "generate_handler![", "]")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|path| path.rsplit("::").next().unwrap_or(path).to_string())
            .collect()
    }

    fn listed_in_build_rs() -> BTreeSet<String> {
        let source = read("build.rs");
        between(&source, "const COMMANDS: &[&str] = &[", "];")
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn allowed_in_capability() -> BTreeSet<String> {
        let config: serde_json::Value =
            serde_json::from_str(&read("../tauri.conf.json")).expect("tauri.conf.json is JSON");
        let capabilities = config["app"]["security"]["capabilities"]
            .as_array()
            .expect("capabilities inline in the config");
        capabilities
            .iter()
            .flat_map(|c| c["permissions"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p.as_str().map(str::to_string))
            .filter(|p| !p.contains(':'))
            .map(|p| {
                p.strip_prefix("allow-")
                    .unwrap_or_else(|| panic!("unexpected permission {p}"))
                    .replace('-', "_")
            })
            .collect()
    }

    #[test]
    fn every_place_that_names_the_commands_names_the_same_ones() {
        let defined = defined_here();
        assert_eq!(
            defined,
            BTreeSet::from(["call".to_string()]),
            "the page has one command; requests are `Call`s"
        );
        assert_eq!(registered_in_lib(), defined, "generate_handler! in lib.rs");
        assert_eq!(listed_in_build_rs(), defined, "COMMANDS in build.rs");
        assert_eq!(
            allowed_in_capability(),
            defined,
            "the capability in tauri.conf.json"
        );
    }
}
