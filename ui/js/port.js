// The banner shown when the server could not listen (its port is taken): another port, with
// a free one offered, saved like the settings form saves it.

import { $, showError } from "./dom.js";
import { errorMessage } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { formFromSettings } from "./settings.js";
import { currentStatus, followStatus, renderStatus } from "./status.js";

async function offerPort() {
  try {
    const port = await call(COMMAND.suggestPort);
    if (!$("port-retry").value) $("port-retry").value = String(port);
  } catch (_) {
    // Leave the field empty; the user can type a port.
  }
}

function showPortBanner(status) {
  const server = status.server;
  const banner = $("port-banner");
  const wasHidden = banner.hidden;
  banner.hidden = server.state !== "failed";
  if (server.state === "failed") {
    $("port-message").textContent = server.message;
    if (wasHidden) offerPort();
  }
}

// The saved settings with only the port changed (not what the form holds unsaved).
async function usePort(event) {
  event.preventDefault();
  const error = $("port-retry-error");
  const input = $("port-retry");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  const status = currentStatus();
  const settings = status && status.settings;
  if (!settings) return;
  try {
    const saved = await call(COMMAND.saveSettings, { settings: { ...formFromSettings(settings), port: input.value } });
    input.value = "";
    renderStatus(saved);
  } catch (e) {
    const port = ((e && e.fields) || []).find((f) => f.field === "port");
    showError(error, port ? port.message : errorMessage(e));
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

export function wirePort() {
  followStatus(showPortBanner);
  $("port-form").addEventListener("submit", usePort);
}
