// Facts the window shares with the Rust side, each in this one place.
// src-tauri/tests/ui_facts.rs reads this file and checks every value against Rust, so each
// value is written as JSON (quoted keys, no trailing comma). The command and event names
// are in ipc.js, checked the same way.

/** The lifetime picker's presets in hours, smallest first (each within core's 1–720). */
export const TTL_PRESETS = [1, 8, 24, 168];

/** core's default `ttl_hours`: the longest lifetime offered until the settings arrive. */
export const DEFAULT_TTL_HOURS = 24;

/** How the recent list names each `MintSource` (core/src/audit), by its serde name. */
export const SOURCE_LABELS = {
  "http": "HTTP",
  "cli": "CLI",
  "window": "window",
  "tray": "tray",
  "shortcut": "shortcut",
  "approval": "approved",
  "store": "store"
};

/** Sources shown with their client: the HTTP client, the label of an approved request. */
export const SOURCES_WITH_CLIENT = ["http", "approval"];

/** How long the pairing QR code's token lives (core's `pairing::QR_LINK_SECONDS`). */
export const QR_LINK_SECONDS = 600;

/**
 * The settings form's fields (src-tauri's `SettingsForm`; `SettingsView` shows each under
 * the same name), with the id of each one's input. Each has its error at `err-<field>`.
 */
export const SETTINGS_FIELDS = {
  "port": "set-port",
  "ttl_hours": "set-ttl",
  "token_format": "set-format",
  "clipboard_clear_seconds": "set-clear",
  "allowed_origins": "set-origins",
  "dashboard_url": "set-dashboard",
  "window_keep_seconds": "set-keep",
  "copy_shortcut": "set-shortcut",
  "launch_at_login": "set-login",
  "start_hidden_at_login": "set-hidden"
};

/** Letters in an access request's code (`XXXX-XXXX`); Allow waits for all of them. */
export const ACCESS_CODE_LETTERS = 8;
