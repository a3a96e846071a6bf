//! Runs Tauri's build step: checks the config, and generates a permission per command so
//! the capability in the config can name each one.
//!
//! The config lives at the repository root (`../tauri.conf.json`, beside `ui/` and
//! `icons/`), and the repository has no symlinks (a Windows checkout would turn them into
//! text files). tauri-build 2 reads `tauri.conf.json` (and `Cargo.toml`) from the current
//! directory and writes its `permissions/` and `gen/` output there, so it runs in a scratch
//! directory under `OUT_DIR` holding a copy of the root config; nothing is written into the
//! source tree. `generate_context!("../tauri.conf.json")` reads the root file itself.

use std::path::{Path, PathBuf};

/// The window's one `#[tauri::command]` (every request goes through it as a `Call`, see
/// `src/link.rs`); it gets an `allow-call` permission.
const COMMANDS: &[&str] = &["call"];

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../ui");
    println!("cargo:rerun-if-changed=../icons");
    let crate_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let root = crate_dir
        .parent()
        .expect("src-tauri sits inside the repository root");
    let scratch = PathBuf::from(env("OUT_DIR")).join("tauri-build");
    stage(root, &scratch);

    // Only Windows uses it: the .exe's icon resource, from the one checked-in .ico.
    let windows =
        tauri_build::WindowsAttributes::new().window_icon_path(root.join("icons").join("icon.ico"));
    // The capability is inline in the config and there are no hand-written permission
    // files: point both searches into the scratch directory. (By default tauri-build
    // watches `capabilities` and `permissions` relative to this crate, where they do not
    // exist, and cargo then reruns this script and rebuilds the app on every build.)
    let nothing = |dir: &str| -> &'static str {
        Box::leak(format!("{}/{dir}/*.toml", scratch.display()).into_boxed_str())
    };
    let attributes = tauri_build::Attributes::new()
        .windows_attributes(windows)
        .capabilities_path_pattern(nothing("capabilities"))
        .app_manifest(
            tauri_build::AppManifest::new()
                .commands(COMMANDS)
                .permissions_path_pattern(nothing("permissions-extra")),
        );
    std::env::set_current_dir(&scratch).expect("the scratch directory was just created");
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}

/// Fills `scratch` with what tauri-build reads from its current directory: the root
/// config, and a manifest with no dependencies (a bare `[workspace]`, so there is no
/// workspace inheritance to resolve). tauri-build checks the `tauri` crate's features
/// against the config only when that manifest names it; `cargo tauri build` (scripts/
/// bundle.sh) runs the same check on the real `src-tauri/Cargo.toml`.
fn stage(root: &Path, scratch: &Path) {
    let fail = |what: &str, e: std::io::Error| -> ! {
        panic!(
            "preparing tauri-build's directory {}: {what}: {e}",
            scratch.display()
        )
    };
    std::fs::create_dir_all(scratch).unwrap_or_else(|e| fail("create", e));
    let config = std::fs::read(root.join("tauri.conf.json"))
        .unwrap_or_else(|e| fail("read ../tauri.conf.json", e));
    write_if_changed(&scratch.join("tauri.conf.json"), &config)
        .unwrap_or_else(|e| fail("copy ../tauri.conf.json", e));
    write_if_changed(&scratch.join("Cargo.toml"), b"[workspace]\n")
        .unwrap_or_else(|e| fail("write Cargo.toml", e));
}

/// tauri-build asks cargo to rerun when its config file changes: rewriting an unchanged
/// copy would rebuild the app on every `cargo build`.
fn write_if_changed(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name} for build scripts"))
}
