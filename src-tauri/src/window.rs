//! The window process: `pawkey --window-process`, started by the host
//! ([`crate::window_link`]) while someone may look at the window, and ended when the host
//! lets it go (its input closes). It renders the page and nothing else: it never opens the
//! keychain, the config or the server, and holds no master. Every request of the page goes
//! through its one command, [`call`], up its standard output to the host; answers, events
//! and the host's show/hide come down its standard input ([`crate::link`]).
//!
//! A closed window is hidden, not destroyed, until the host decides (after
//! `window_keep_seconds`) to let the process go; what the person left on screen is kept by
//! the host ([`crate::memory`]) and asked for by the next page.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WebviewWindowBuilder, WindowEvent};
use tokio::sync::oneshot;

use crate::link::{Down, Up};

/// The window's label (in `tauri.conf.json`).
pub const MAIN_WINDOW: &str = "main";

/// Where Microsoft's Evergreen WebView2 Runtime bootstrapper is (what Tauri's installers
/// fetch, and what packaging/windows/pawkey.nsi offers).
pub const WEBVIEW2_DOWNLOAD: &str = "https://go.microsoft.com/fwlink/p/?LinkId=2124703";

/// This process's end of the channel: its output (up) and the calls waiting for answers.
pub struct HostLink {
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Result<Value, Value>>>>,
    up: Mutex<std::io::Stdout>,
}

impl HostLink {
    fn new() -> Self {
        Self {
            next: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
            up: Mutex::new(std::io::stdout()),
        }
    }

    /// Writes one line to the host.
    fn send(&self, message: &Up) -> std::io::Result<()> {
        let mut line = serde_json::to_string(message).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut up = self.up.lock().unwrap_or_else(|p| p.into_inner());
        up.write_all(line.as_bytes())?;
        up.flush()
    }

    fn answered(&self, id: u64, result: Result<Value, Value>) {
        let waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        if let Some(tx) = waiting {
            let _ = tx.send(result);
        }
    }
}

/// What the page sees when the host is gone.
fn host_gone() -> Value {
    json!({
        "message": "PawKey's tray process is not answering — start PawKey again",
        "fields": [],
    })
}

/// The page's one command: every request goes to the host as a [`crate::link::Call`]
/// (checked there) and its answer comes back as is.
#[tauri::command]
pub async fn call(link: tauri::State<'_, HostLink>, call: Value) -> Result<Value, Value> {
    let id = link.next.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = oneshot::channel();
    link.waiting
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, tx);
    if link.send(&Up::Call { id, call }).is_err() {
        link.answered(id, Err(host_gone()));
    }
    rx.await.unwrap_or_else(|_| Err(host_gone()))
}

/// Runs the window process until the host closes its input; its whole `main`.
pub fn run_process() -> ExitCode {
    if tauri::webview_version().is_err() {
        // Windows without WebView2. Said before building, as Tauri's own box about it
        // (release builds) waits for its OK; the server, tray and CLI do not need it.
        tracing::error!(
            "PawKey's window cannot open: no webview runtime is installed. On Windows, install \
             the Microsoft Edge WebView2 Runtime from {WEBVIEW2_DOWNLOAD}; the server, the tray \
             and pawkeyd keep working meanwhile"
        );
    }
    let built = tauri::Builder::default()
        .manage(HostLink::new())
        .invoke_handler(tauri::generate_handler![call])
        .setup(|app| {
            let handle = app.handle().clone();
            build_main_window(&handle)?;
            std::thread::spawn(move || follow_host(handle));
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                // The host decides: hide to the tray, or quit where there is no tray.
                api.prevent_close();
                let link = window.state::<HostLink>();
                if link.send(&Up::Closed).is_err() {
                    window.app_handle().exit(0);
                }
            }
        })
        .build(crate::context::context());
    match built {
        Ok(app) => {
            app.run(|_app, event| {
                if let RunEvent::ExitRequested {
                    code: None, api, ..
                } = event
                {
                    // Only the host ends this process (by closing its input).
                    api.prevent_exit();
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

/// Reads the host's lines until its end of the pipe closes, then exits.
fn follow_host(app: AppHandle) {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<Down>(&line) {
            Ok(Down::Answer { id, result }) => app.state::<HostLink>().answered(id, result),
            Ok(Down::Event { event, payload }) => {
                let _ = app.emit(&event, payload);
            }
            Ok(Down::Show) => {
                if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                    let _ = window.show();
                    let _ = window.unminimize();
                    let _ = window.set_focus();
                }
            }
            Ok(Down::Hide) => {
                if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                    let _ = window.hide();
                }
            }
            Ok(Down::Attention) => {
                if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                    let _ = window
                        .request_user_attention(Some(tauri::UserAttentionType::Informational));
                }
            }
            Err(e) => tracing::warn!("not a message from PawKey's host: {e}"),
        }
    }
    // The waiting calls fail with "not answering" as their senders go.
    app.state::<HostLink>()
        .waiting
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    tracing::debug!("the host closed the window's channel; exiting");
    app.exit(0);
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
/// and `generate_handler!` here, `COMMANDS` in `build.rs` (which makes the
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
        let source = read("src/window.rs");
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
        assert_eq!(
            registered_in_lib(),
            defined,
            "generate_handler! in window.rs"
        );
        assert_eq!(listed_in_build_rs(), defined, "COMMANDS in build.rs");
        assert_eq!(
            allowed_in_capability(),
            defined,
            "the capability in tauri.conf.json"
        );
    }
}
