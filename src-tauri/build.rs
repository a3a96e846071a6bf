//! Runs Tauri's build step: checks the config, and generates a permission per command so
//! the capability in the config can name each one.
//!
//! The config lives at the repository root (`../tauri.conf.json`, beside `ui/` and
//! `icons/`). tauri-build 2 only reads `tauri.conf.json` from this crate's directory, so
//! `src-tauri/tauri.conf.json` is a symlink to it; `generate_context!` reads the root file.

/// Every `#[tauri::command]` the window may call; each gets an `allow-<name>` permission.
const COMMANDS: &[&str] = &[
    "status",
    "new_session",
    "copy_session",
    "recent_sessions",
    "reveal_master",
    "copy_master",
    "rotate_master",
    "import_master",
    "import_master_from_pocketpaw",
    "retry_keychain",
    "save_settings",
    "suggest_port",
    "open_dashboard",
    "pair_phone",
    "pocketpaw_master",
    "pending_requests",
    "approve_request",
    "deny_request",
    "open_logs",
    "window_memory",
    "remember_ttl",
    "quit",
];

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../ui");
    println!("cargo:rerun-if-changed=../icons");
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}
