// The settings card: the form (its fields are facts.js's SETTINGS_FIELDS), inline errors per
// field, what the dashboard URL and the copy shortcut mean, and the logs folder.

import { $, setNote } from "./dom.js";
import { SETTINGS_FIELDS } from "./facts.js";
import { errorMessage, isThisComputer, urlHost } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { followStatus, isReady, renderStatus } from "./status.js";

let dirty = false; // typed into and not saved: status changes leave the fields alone

/** The form as saved settings (a SettingsView) fill it: what `save_settings` takes. */
export function formFromSettings(settings) {
  const form = {};
  for (const field of Object.keys(SETTINGS_FIELDS)) {
    const value = settings[field];
    if (Array.isArray(value)) form[field] = value.join("\n");
    else form[field] = typeof value === "boolean" ? value : String(value);
  }
  return form;
}

function readForm() {
  const form = {};
  for (const [field, id] of Object.entries(SETTINGS_FIELDS)) {
    const input = $(id);
    form[field] = input.type === "checkbox" ? input.checked : input.value;
  }
  return form;
}

/** Says under the dashboard field which host the URL names and what its pages may do. */
function describeDashboard() {
  const url = $("set-dashboard").value.trim();
  const host = urlHost(url);
  const out = $("dashboard-host");
  if (!host) {
    out.textContent = "";
  } else if (isThisComputer(url)) {
    out.textContent = `Host: ${host} — this computer. Its pages may ask PawKey for access and log in with a session token.`;
  } else {
    out.textContent = `Host: ${host} — another machine. Links and the QR code lead there; its pages may not call PawKey unless you add its origin to Allowed origins.`;
  }
}

// Whether the copy shortcut works: a shortcut the desktop refused is marked on its field.
function describeShortcut(status) {
  const state = $("shortcut-state");
  const error = $("err-copy_shortcut");
  const input = $("set-shortcut");
  state.textContent = "";
  switch (status.state) {
    case "active":
      state.textContent = `${status.shortcut} copies a new session token in every application.`;
      break;
    case "failed":
      error.textContent = status.message;
      input.setAttribute("aria-invalid", "true");
      return;
    case "unsupported":
      state.textContent = `Not available: ${status.message}.`;
      break;
    default:
      break;
  }
  if (!dirty) {
    error.textContent = "";
    input.removeAttribute("aria-invalid");
  }
}

function renderSettings(settings) {
  $("config-file").textContent = settings.config_file ? `Saved to ${settings.config_file}` : "";
  describeShortcut(settings.copy_shortcut_status);
  if (dirty) return;
  const form = formFromSettings(settings);
  for (const [field, id] of Object.entries(SETTINGS_FIELDS)) {
    const input = $(id);
    if (input.type === "checkbox") input.checked = form[field];
    else input.value = form[field];
  }
  $("dashboard-where").textContent = settings.dashboard_url;
  describeDashboard();
}

function clearFieldErrors() {
  for (const [field, id] of Object.entries(SETTINGS_FIELDS)) {
    $(`err-${field}`).textContent = "";
    $(id).removeAttribute("aria-invalid");
  }
}

function showFieldErrors(e) {
  const fields = (e && e.fields) || [];
  for (const f of fields) {
    const id = SETTINGS_FIELDS[f.field];
    if (!id) continue;
    $(`err-${f.field}`).textContent = f.message;
    $(id).setAttribute("aria-invalid", "true");
  }
  const first = fields.find((f) => SETTINGS_FIELDS[f.field]);
  if (first) $(SETTINGS_FIELDS[first.field]).focus();
  return fields.length > 0;
}

async function saveSettings(event) {
  event.preventDefault();
  clearFieldErrors();
  const note = $("settings-note");
  setNote(note, "Saving…");
  try {
    const status = await call(COMMAND.saveSettings, { settings: readForm() });
    dirty = false;
    renderStatus(status);
    setNote(note, "Saved.", "ok");
  } catch (e) {
    if (showFieldErrors(e)) setNote(note, "Not saved: fix the marked fields.", "bad");
    else setNote(note, `Not saved: ${errorMessage(e)}`, "bad");
  }
}

export function wireSettings() {
  followStatus((status) => {
    $("save-settings").disabled = !isReady(status);
    if (status.settings) renderSettings(status.settings);
  });
  $("set-dashboard").addEventListener("input", describeDashboard);
  $("settings-form").addEventListener("submit", saveSettings);
  $("settings-form").addEventListener("input", (e) => {
    dirty = true;
    const field = e.target.name;
    if (field && $(`err-${field}`)) {
      $(`err-${field}`).textContent = "";
      e.target.removeAttribute("aria-invalid");
    }
  });
  $("open-logs").addEventListener("click", async () => {
    try {
      setNote($("logs-note"), `Opened ${await call(COMMAND.openLogs)}`, "ok");
    } catch (e) {
      setNote($("logs-note"), `Not opened: ${errorMessage(e)}`, "bad");
    }
  });
}
