//! The app's configuration and assets (`tauri.conf.json`, `ui/`, `icons/`), embedded once
//! and built into both processes: the tray process and the window process.

/// The Tauri context of both processes.
pub fn context() -> tauri::Context<tauri::Wry> {
    tauri::generate_context!("../tauri.conf.json")
}
