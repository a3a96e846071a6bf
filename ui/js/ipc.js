// The window's one channel to the app: every command and event name it uses, and the only
// code that touches `window.__TAURI__`. Every command goes through `call`, every event through
// `on`. A command crosses as a `Call` through the window's one Tauri command, `call`
// (src-tauri/src/link.rs names every one in `Call::NAMES`); the events are its `EVENT_*`
// consts (views.rs). src-tauri/tests/ui_facts.rs checks both lists against them, so each list
// is written as JSON (quoted keys, no trailing comma).

/** The commands, by the name the window's modules use. */
export const COMMAND = {
  "status": "status",
  "newSession": "new_session",
  "copySession": "copy_session",
  "recentSessions": "recent_sessions",
  "copyMaster": "copy_master",
  "rotateMaster": "rotate_master",
  "importMaster": "import_master",
  "importMasterFromPocketpaw": "import_master_from_pocketpaw",
  "retryKeychain": "retry_keychain",
  "saveSettings": "save_settings",
  "suggestPort": "suggest_port",
  "openDashboard": "open_dashboard",
  "pairPhone": "pair_phone",
  "pocketpawMaster": "pocketpaw_master",
  "pendingRequests": "pending_requests",
  "approveRequest": "approve_request",
  "denyRequest": "deny_request",
  "denyAllRequests": "deny_all_requests",
  "openLogs": "open_logs",
  "openDocs": "open_docs",
  "windowMemory": "window_memory",
  "rememberTtl": "remember_ttl",
  "quit": "quit"
};

/** The events the app sends the window (nothing here polls it). */
export const EVENT = {
  "status": "status-changed",
  "minted": "session-minted",
  "sessionsReset": "sessions-reset",
  "clipboardCleared": "clipboard-cleared",
  "requests": "requests-changed",
  "showRequests": "show-requests"
};

const commands = new Set(Object.values(COMMAND));

/** Calls `command` (a value of COMMAND) with `args`; resolves to its answer. */
export function call(command, args) {
  if (!commands.has(command)) return Promise.reject(new Error(`${command} is not one of PawKey's commands`));
  const request = args && Object.keys(args).length ? { command, args } : { command };
  return window.__TAURI__.core.invoke("call", { call: request });
}

/** Calls `handler(payload)` for every `event` (a value of EVENT); resolves once listening. */
export function on(event, handler) {
  return window.__TAURI__.event.listen(event, (e) => handler(e.payload));
}
