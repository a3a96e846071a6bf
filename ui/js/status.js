// The status line (server, master token), the boot and keychain banners and the header.
// The app sends a new status on every change (status-changed); each card that depends on it
// follows it through `followStatus`.

import { announce, announceError } from "./access.js";
import { $ } from "./dom.js";
import { errorMessage } from "./format.js";
import { COMMAND, call } from "./ipc.js";

let status = null; // the newest StatusView
const followers = [];

/** The newest status (null until the first arrives). */
export function currentStatus() {
  return status;
}

/** Calls `render(status)` after every new status is shown. */
export function followStatus(render) {
  followers.push(render);
}

/** Whether the app has started (its state is open). */
export function isReady(s) {
  return s.boot.state === "ready";
}

function keychainName(master) {
  if (master.store === "keychain") return "OS keychain";
  if (master.store === "file") return "Token file";
  return master.location;
}

function serverText(server, boot) {
  switch (server.state) {
    case "listening": return `Listening on ${server.urls[0]}`;
    case "failed": return server.port_in_use ? `Not running: port ${server.port} is in use` : `Not running on port ${server.port}`;
    case "stopped": return "Stopped";
    default: return boot.state === "failed" ? "Not started" : "Starting…";
  }
}

function renderMaster(master, boot) {
  const item = $("master-status");
  const text = $("master-text");
  if (!master) {
    item.dataset.state = boot.state === "failed" ? "error" : "starting";
    text.textContent = boot.state === "failed" ? "Not available" : "Opening the keychain…";
  } else if (master.ok) {
    item.dataset.state = "ok";
    const changed = master.changed_in_store_at
      ? ` — changed in the keychain at ${new Date(master.changed_in_store_at * 1000).toLocaleTimeString()}; now in use`
      : "";
    text.textContent = `${keychainName(master)} — OK${changed}`;
  } else {
    item.dataset.state = "error";
    text.textContent = `${keychainName(master)} — error`;
  }
  $("keychain-banner").hidden = !master || master.ok;
  if (master && !master.ok) $("keychain-message").textContent = master.error;
}

/** Shows `next` unless a newer status is already shown, then tells the followers. */
export function renderStatus(next) {
  // A reply can arrive after a newer event; keep the newest view.
  if (status && next.seq < status.seq) return;
  status = next;
  $("version").textContent = `v${next.version}`;
  $("no-tray").hidden = next.tray_shown;
  const boot = next.boot;
  $("boot-banner").hidden = boot.state !== "failed";
  if (boot.state === "failed") $("boot-message").textContent = `PawKey could not start: ${boot.message}`;
  $("server-status").dataset.state = next.server.state;
  $("server-text").textContent = serverText(next.server, boot);
  renderMaster(next.master, boot);
  for (const follow of followers) follow(next);
}

export function wireStatus() {
  $("keychain-retry").addEventListener("click", async () => {
    try {
      await call(COMMAND.retryKeychain);
    } catch (e) {
      $("keychain-message").textContent = errorMessage(e);
    }
  });
  $("open-docs").addEventListener("click", () =>
    call(COMMAND.openDocs).then((url) => announce(`Opened ${url}`), (e) => announceError(`API docs not opened: ${errorMessage(e)}`)));
}
