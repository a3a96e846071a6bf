// PawKey's window. Plain JS over the Tauri commands in src-tauri/src/commands.rs; live
// updates arrive as events (status-changed, session-minted, sessions-reset,
// clipboard-cleared, requests-changed, show-requests) — nothing here polls the app.
"use strict";

// Every request is a `Call` through the window's one command (src-tauri/src/link.rs).
const invoke = (command, args) =>
  window.__TAURI__.core.invoke("call", {
    call: args && Object.keys(args).length ? { command, args } : { command },
  });
const { listen } = window.__TAURI__.event;

const $ = (id) => document.getElementById(id);

/** Seconds a revealed master token stays visible. */
const REVEAL_SECONDS = 10;
const TTL_PRESETS = [1, 8, 24, 168];
const MASK = "•".repeat(32);

const ui = {
  status: null,        // last StatusView
  current: null,       // { token, expires_at, ttl_hours, fingerprint }
  copyClearAt: 0,      // ms epoch when the clipboard will be cleared
  sessions: [],        // SessionRow[] ({seq, ...AuditEntry}), newest first
  sessionsSeq: 0,      // seq of the newest row shown
  sessionsCapacity: Infinity, // rows the list keeps; SessionsView.capacity says how many
  settingsDirty: false,
  revealTimer: null,
  minting: false,
  ttlChosen: false,    // the user picked a lifetime; until then it follows the default
  requestDeadlines: new Map(), // request number -> Unix seconds when the request expires
};

// ---------- formatting ----------

const pad2 = (n) => String(n).padStart(2, "0");

function formatLeft(seconds) {
  if (seconds <= 0) return "expired";
  // Hours keep counting up to two days ("47:59:59 left"); longer lifetimes show days.
  const d = seconds >= 2 * 86400 ? Math.floor(seconds / 86400) : 0;
  const h = Math.floor((seconds - d * 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const clock = `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
  return d > 0 ? `${d} d ${clock} left` : `${clock} left`;
}

function formatTime(unix) {
  const t = new Date(unix * 1000);
  return t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function formatDateTime(unix) {
  const t = new Date(unix * 1000);
  const today = new Date();
  const sameDay = t.toDateString() === today.toDateString();
  const time = t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (sameDay) return `today ${time}`;
  return `${t.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${time}`;
}

const now = () => Math.floor(Date.now() / 1000);

function sourceLabel(entry) {
  switch (entry.source) {
    case "http": return entry.client ? `HTTP · ${entry.client}` : "HTTP";
    case "cli": return "CLI";
    case "tray": return "tray";
    case "shortcut": return "shortcut";
    case "window": return "window";
    case "approval": return entry.client ? `approved · ${entry.client}` : "approved";
    default: return entry.source;
  }
}

function errorMessage(e) {
  if (e && typeof e === "object" && "message" in e) return e.message;
  return String(e);
}

// What a note shows, without telling a screen reader (the clipboard countdown repaints
// its note every second).
function paintNote(el, text, kind) {
  el.textContent = text;
  el.classList.toggle("ok", kind === "ok");
  el.classList.toggle("bad", kind === "bad");
}

// A note that is also told to a screen reader, once: errors at once, the rest politely.
function setNote(el, text, kind) {
  paintNote(el, text, kind);
  if (kind === "bad") announceError(text);
  else announce(text);
}

// An inline error under a field, told to a screen reader at once.
function showError(el, text) {
  el.textContent = text;
  announceError(text);
}

// ---------- status ----------

function renderStatus(status) {
  // A reply can arrive after a newer event; keep the newest view.
  if (ui.status && status.seq < ui.status.seq) return;
  ui.status = status;
  $("version").textContent = `v${status.version}`;
  $("no-tray").hidden = status.tray_shown;

  const boot = status.boot;
  $("boot-banner").hidden = boot.state !== "failed";
  if (boot.state === "failed") $("boot-message").textContent = `PawKey could not start: ${boot.message}`;

  // Server
  const server = status.server;
  const serverItem = $("server-status");
  serverItem.dataset.state = server.state;
  let serverText;
  switch (server.state) {
    case "listening": serverText = `Listening on ${server.urls[0]}`; break;
    case "failed": serverText = server.port_in_use ? `Not running: port ${server.port} is in use` : `Not running on port ${server.port}`; break;
    case "stopped": serverText = "Stopped"; break;
    default: serverText = boot.state === "failed" ? "Not started" : "Starting…";
  }
  $("server-text").textContent = serverText;
  const portBanner = $("port-banner");
  const wasHidden = portBanner.hidden;
  portBanner.hidden = server.state !== "failed";
  if (server.state === "failed") {
    $("port-message").textContent = server.message;
    if (wasHidden) offerPort();
  }

  // Master token
  const master = status.master;
  const masterItem = $("master-status");
  if (!master) {
    masterItem.dataset.state = boot.state === "failed" ? "error" : "starting";
    $("master-text").textContent = boot.state === "failed" ? "Not available" : "Opening the keychain…";
  } else if (master.ok) {
    masterItem.dataset.state = "ok";
    const changed = master.changed_in_store_at
      ? ` — changed in the keychain at ${new Date(master.changed_in_store_at * 1000).toLocaleTimeString()}; now in use`
      : "";
    $("master-text").textContent = `${keychainName(master)} — OK${changed}`;
  } else {
    masterItem.dataset.state = "error";
    $("master-text").textContent = `${keychainName(master)} — error`;
  }
  $("keychain-banner").hidden = !master || master.ok;
  if (master && !master.ok) $("keychain-message").textContent = master.error;
  $("master-location").textContent = master ? `Stored in the ${master.location}` : "";
  for (const id of ["reveal-master", "copy-master", "rotate-master"]) $(id).disabled = !master || !master.ok;

  const ready = boot.state === "ready";
  $("new-session").disabled = !ready || (master && !master.ok);
  for (const id of ["import-button", "import-pocketpaw", "save-settings"]) $(id).disabled = !ready;
  const canMint = ready && master && master.ok;
  for (const id of ["open-dashboard", "pair-phone"]) $(id).disabled = !canMint;
  $("pocketpaw-import").disabled = !ready;
  if (ready && master) checkPocketPaw();

  if (status.settings) renderSettings(status.settings);
  if (status.pocketpaw_token_file) $("import-pocketpaw").title = `Reads ${status.pocketpaw_token_file}`;
}

function keychainName(master) {
  if (master.store === "keychain") return "OS keychain";
  if (master.store === "file") return "Token file";
  return master.location;
}

// ---------- TTL picker ----------

function maxTtl() {
  return ui.status && ui.status.settings ? ui.status.settings.ttl_hours : 24;
}

function renderTtlPicker() {
  const max = maxTtl();
  const select = $("ttl");
  for (const option of select.options) {
    if (option.value === "custom") continue;
    const hours = Number(option.value);
    option.disabled = hours > max;
    option.textContent = TTL_PRESETS.includes(hours) ? presetLabel(hours) + (hours > max ? " (over the limit)" : "") : option.textContent;
  }
  if (!ui.ttlChosen) select.value = String(largestPresetWithin(max));
  else if (select.selectedOptions[0] && select.selectedOptions[0].disabled) select.value = String(largestPresetWithin(max));
  $("ttl-custom").max = String(max);
  $("ttl-hint").textContent = `Up to ${max} h (the default lifetime in Settings). Custom lifetimes are whole hours.`;
}

function presetLabel(hours) {
  return hours === 1 ? "1 hour" : hours === 168 ? "7 days" : `${hours} hours`;
}

function largestPresetWithin(max) {
  return TTL_PRESETS.filter((h) => h <= max).pop() || 1;
}

function chosenTtl() {
  const select = $("ttl");
  if (select.value !== "custom") return { hours: Number(select.value) };
  const raw = $("ttl-custom").value.trim();
  const max = maxTtl();
  if (!/^\d+$/.test(raw)) return { error: "Enter a whole number of hours." };
  const hours = Number(raw);
  if (hours < 1 || hours > max) return { error: `Choose 1 to ${max} hours (raise the default lifetime in Settings for more).` };
  return { hours };
}

// ---------- minting and copying ----------

async function newSession() {
  if (ui.minting || $("new-session").disabled) return;
  const ttl = chosenTtl();
  const ttlError = $("ttl-error");
  const ttlInput = $("ttl").value === "custom" ? $("ttl-custom") : $("ttl");
  if (ttl.error) {
    showError(ttlError, ttl.error);
    ttlInput.setAttribute("aria-invalid", "true");
    ttlInput.focus();
    return;
  }
  ttlError.textContent = "";
  ttlInput.removeAttribute("aria-invalid");
  ui.minting = true;
  $("new-session").disabled = true;
  try {
    const minted = await invoke("new_session", { ttlHours: ttl.hours });
    showToken(minted);
    // The token itself is not read out; it is one Tab away (and Ctrl+C copies it there).
    const until = new Date(minted.expires_at * 1000).toLocaleString();
    showCopyResult(minted.copy, "Session token", $("copy-note"), `New session token, valid until ${until}. `);
  } catch (e) {
    showError(ttlError, errorMessage(e));
  } finally {
    ui.minting = false;
    $("new-session").disabled = false;
  }
}

// Puts a token ({token, expires_at}) in the token box with its countdown.
function showToken(minted) {
  ui.current = minted;
  $("token").textContent = minted.token;
  $("token-box").dataset.empty = "false";
  $("token-box").dataset.expired = "false";
  $("copy-token").disabled = false;
  $("expires-at").textContent = `valid until ${new Date(minted.expires_at * 1000).toLocaleString()}`;
  tick();
}

// The window's page is dropped a while after it is closed; the app keeps what was on
// screen (the lifetime picked, the token while it is valid) and gives it back here.
function rememberTtl() {
  invoke("remember_ttl", { choice: { preset: $("ttl").value, custom: $("ttl-custom").value } }).catch(() => {});
}

async function restoreView() {
  let memory;
  try {
    memory = await invoke("window_memory");
  } catch (e) {
    return false;
  }
  if (memory.ttl) {
    const select = $("ttl");
    if ([...select.options].some((o) => o.value === memory.ttl.preset)) {
      select.value = memory.ttl.preset;
      ui.ttlChosen = true;
    }
    $("ttl-custom").value = memory.ttl.custom;
    $("custom-ttl").hidden = select.value !== "custom";
  }
  if (memory.current) showToken(memory.current);
  return memory.show_requests;
}

async function copyCurrent() {
  if (!ui.current) return;
  try {
    const result = await invoke("copy_session", { token: ui.current.token });
    showCopyResult(result, "Session token");
  } catch (e) {
    setNote($("copy-note"), errorMessage(e), "bad");
  }
}

function showCopyResult(copy, what, note = $("copy-note"), lead = "") {
  if (!copy.copied) {
    ui.copyClearAt = 0;
    setNote(note, `${what} not copied: ${copy.error}`, "bad");
    if (lead) announce(lead);
    return;
  }
  if (copy.clear_after_seconds > 0) {
    ui.copyClearAt = Date.now() + copy.clear_after_seconds * 1000;
    note.dataset.clearing = "true";
  } else {
    ui.copyClearAt = 0;
    delete note.dataset.clearing;
  }
  note.dataset.what = what;
  renderCopyNote(note);
  // Told once; the countdown on screen is not re-read every second.
  announce(copy.clear_after_seconds > 0
    ? `${lead}${what} copied to the clipboard; cleared in ${copy.clear_after_seconds} seconds unless you copy something else.`
    : `${lead}${what} copied to the clipboard.`);
}

function renderCopyNote(note) {
  const what = note.dataset.what || "Token";
  if (note.dataset.clearing === "true" && ui.copyClearAt) {
    const left = Math.max(0, Math.ceil((ui.copyClearAt - Date.now()) / 1000));
    paintNote(note, `${what} copied to the clipboard — cleared in ${left} s unless you copy something else.`, "ok");
  } else if (note.dataset.clearing !== "true") {
    paintNote(note, `${what} copied to the clipboard.`, "ok");
  }
}

// One clock for the countdowns on screen (the UI's own clock; it asks the app nothing).
function tick() {
  if (ui.current) {
    const left = ui.current.expires_at - now();
    const countdown = $("countdown");
    countdown.textContent = formatLeft(left);
    countdown.classList.toggle("expired", left <= 0);
    if (left <= 0) {
      $("token-box").dataset.expired = "true";
      $("copy-token").disabled = true;
    }
  }
  for (const id of ["copy-note", "master-note"]) {
    const note = $(id);
    if (note.dataset.clearing === "true" && ui.copyClearAt && note.dataset.what) renderCopyNote(note);
  }
  refreshSessionBadges();
  tickRequests();
}

// ---------- recent sessions ----------

function renderSessions(fresh) {
  const body = $("recent-body");
  body.replaceChildren();
  for (const entry of ui.sessions) {
    const row = document.createElement("tr");
    row.dataset.seq = String(entry.seq);
    row.dataset.source = entry.source;
    row.dataset.fingerprint = entry.fingerprint;
    if (fresh && fresh.has(entry.seq)) row.classList.add("fresh");

    const minted = document.createElement("td");
    minted.textContent = formatTime(entry.minted_at);
    minted.title = new Date(entry.minted_at * 1000).toLocaleString();
    const source = document.createElement("td");
    const tag = document.createElement("span");
    tag.className = "source";
    tag.textContent = sourceLabel(entry);
    source.append(tag);
    const expires = document.createElement("td");
    expires.textContent = formatDateTime(entry.expires_at);
    const fp = document.createElement("td");
    fp.className = "fp";
    fp.textContent = entry.fingerprint;
    fp.title = "First 12 hex digits of the token's SHA-256";
    const state = document.createElement("td");
    const badge = document.createElement("span");
    badge.dataset.expiresAt = String(entry.expires_at);
    state.append(badge);
    row.append(minted, source, expires, fp, state);
    body.append(row);
  }
  $("recent-empty").hidden = ui.sessions.length > 0;
  refreshSessionBadges();
}

function refreshSessionBadges() {
  const t = now();
  for (const badge of $("recent-body").querySelectorAll("span[data-expires-at]")) {
    const active = Number(badge.dataset.expiresAt) > t;
    const text = active ? "active" : "expired";
    if (badge.textContent !== text) {
      badge.textContent = text;
      badge.className = `badge ${text}`;
    }
  }
}

function addSession(row) {
  // Already in the list (it came with the first load).
  if (row.seq <= ui.sessionsSeq) return;
  ui.sessionsSeq = row.seq;
  ui.sessions.unshift(row);
  ui.sessions.length = Math.min(ui.sessions.length, ui.sessionsCapacity);
  renderSessions(new Set([row.seq]));
}

function replaceSessions(view) {
  // Rows that arrived as events before this list keep their place on top.
  const newer = ui.sessions.filter((row) => row.seq > view.seq);
  ui.sessionsCapacity = view.capacity;
  ui.sessions = newer.concat(view.sessions).slice(0, ui.sessionsCapacity);
  ui.sessionsSeq = Math.max(view.seq, ...newer.map((row) => row.seq));
  renderSessions();
}

// ---------- master token ----------

function hideMaster() {
  clearTimeout(ui.revealTimer);
  ui.revealTimer = null;
  const value = $("master-value");
  value.textContent = MASK;
  value.classList.add("masked");
  // An image to a screen reader: "Master token, hidden", not 32 bullets.
  value.setAttribute("role", "img");
  value.setAttribute("aria-label", "Master token, hidden");
  value.removeAttribute("aria-readonly");
  value.removeAttribute("tabindex");
  $("reveal-master").textContent = "Reveal";
  $("reveal-master").setAttribute("aria-pressed", "false");
}

async function toggleReveal() {
  if (ui.revealTimer) {
    hideMaster();
    return;
  }
  try {
    const master = await invoke("reveal_master");
    const value = $("master-value");
    value.textContent = master;
    value.classList.remove("masked");
    value.setAttribute("role", "textbox");
    value.setAttribute("aria-readonly", "true");
    value.setAttribute("aria-label", "Master token");
    value.tabIndex = 0;
    $("reveal-master").textContent = "Hide";
    $("reveal-master").setAttribute("aria-pressed", "true");
    ui.revealTimer = setTimeout(hideMaster, REVEAL_SECONDS * 1000);
    setNote($("master-note"), `Shown for ${REVEAL_SECONDS} seconds.`);
    delete $("master-note").dataset.clearing;
  } catch (e) {
    setNote($("master-note"), errorMessage(e), "bad");
  }
}

async function copyMaster() {
  try {
    showCopyResult(await invoke("copy_master"), "Master token", $("master-note"));
  } catch (e) {
    setNote($("master-note"), errorMessage(e), "bad");
  }
}

function openRotateDialog() {
  $("rotate-dialog").showModal();
  $("rotate-cancel").focus();
}

async function rotate() {
  const confirm = $("rotate-confirm");
  confirm.disabled = true;
  try {
    const status = await invoke("rotate_master");
    $("rotate-dialog").close();
    hideMaster();
    delete $("master-note").dataset.clearing;
    setNote($("master-note"), status.pocketpaw_updated
      ? "Rotated in PawKey and in PocketPaw's token file: every earlier session token is now rejected by both."
      : "Rotated. Every earlier session token is now rejected; give PocketPaw the new master token.", "ok");
    if (ui.current) {
      ui.current = null;
      clearToken("The master token was rotated; earlier tokens no longer work. Press “New session”.");
    }
  } catch (e) {
    $("rotate-dialog").close();
    setNote($("master-note"), `Not rotated: ${errorMessage(e)}`, "bad");
  } finally {
    confirm.disabled = false;
  }
}

function clearToken(message) {
  $("token").textContent = message;
  announce(message);
  $("token-box").dataset.empty = "true";
  $("token-box").dataset.expired = "false";
  $("copy-token").disabled = true;
  $("countdown").textContent = "";
  $("expires-at").textContent = "";
  paintNote($("copy-note"), "");
}

async function importMaster(command, args) {
  const error = $("import-error");
  const input = $("import-token");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  try {
    await invoke(command, args);
    input.value = "";
    hideMaster();
    delete $("master-note").dataset.clearing;
    setNote($("master-note"), "Imported. Session tokens minted before are now rejected.", "ok");
    if (ui.current) {
      ui.current = null;
      clearToken("A master token was imported; earlier tokens no longer work. Press “New session”.");
    }
  } catch (e) {
    showError(error, errorMessage(e));
    if (command === "import_master") input.setAttribute("aria-invalid", "true");
  }
}

// ---------- PocketPaw: dashboard and pairing ----------

async function checkPocketPaw() {
  let check;
  try {
    check = await invoke("pocketpaw_master");
  } catch (_) {
    return; // Not started yet; the next status change checks again.
  }
  $("pocketpaw-different").hidden = check.state !== "different";
  const unknown = $("pocketpaw-unknown");
  unknown.hidden = check.state !== "unknown";
  if (check.state === "unknown") {
    unknown.textContent = "Could not compare with PocketPaw's own token (is PocketPaw installed for this user?). If the dashboard rejects the link, import PocketPaw's token below.";
    unknown.title = check.detail || "";
  }
}

async function openDashboard() {
  const note = $("dashboard-note");
  setNote(note, "Opening…");
  try {
    const opened = await invoke("open_dashboard");
    setNote(note, `Opened ${opened.dashboard_url} in your browser, logged in until ${formatTime(opened.expires_at)}.`, "ok");
  } catch (e) {
    setNote(note, `Not opened: ${errorMessage(e)}`, "bad");
  }
  checkPocketPaw();
}

async function pairPhone() {
  const note = $("dashboard-note");
  try {
    const pair = await invoke("pair_phone");
    // Our own SVG (ASCII), shown as an image so none of it runs as markup in the page.
    $("pair-qr").src = `data:image/svg+xml;base64,${btoa(pair.svg)}`;
    let expiry = `Scan with your phone to open ${pair.dashboard_url}. The code works until ${formatTime(pair.expires_at)} (10 minutes).`;
    if (isThisComputer(pair.dashboard_url)) {
      expiry += " A phone cannot reach this computer's localhost: set the dashboard to its network address in Settings.";
    }
    $("pair-expiry").textContent = expiry;
    $("pair").hidden = false;
    setNote(note, "");
  } catch (e) {
    $("pair").hidden = true;
    setNote(note, `No QR code: ${errorMessage(e)}`, "bad");
  }
}

// ---------- settings ----------

/** The host a URL really names (after any user@ part), or "" when it does not parse. */
function urlHost(url) {
  try {
    return new URL(url).hostname;
  } catch (e) {
    return "";
  }
}

/** Whether a URL's host is this computer (localhost, 127.x.y.z, [::1]) — as core decides. */
function isThisComputer(url) {
  const host = urlHost(url);
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
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

const SETTINGS_FIELDS = {
  port: "set-port",
  ttl_hours: "set-ttl",
  token_format: "set-format",
  clipboard_clear_seconds: "set-clear",
  allowed_origins: "set-origins",
  dashboard_url: "set-dashboard",
  window_keep_seconds: "set-keep",
  copy_shortcut: "set-shortcut",
  launch_at_login: "set-login",
  start_hidden_at_login: "set-hidden",
};

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
  if (!ui.settingsDirty) {
    error.textContent = "";
    input.removeAttribute("aria-invalid");
  }
}

function renderSettings(settings) {
  renderTtlPicker();
  $("config-file").textContent = settings.config_file ? `Saved to ${settings.config_file}` : "";
  describeShortcut(settings.copy_shortcut_status);
  if (ui.settingsDirty) return;
  $("set-port").value = String(settings.port);
  $("set-ttl").value = String(settings.ttl_hours);
  $("set-format").value = settings.token_format;
  $("set-clear").value = String(settings.clipboard_clear_seconds);
  $("set-origins").value = settings.allowed_origins.join("\n");
  $("set-dashboard").value = settings.dashboard_url;
  $("dashboard-where").textContent = settings.dashboard_url;
  describeDashboard();
  $("set-keep").value = String(settings.window_keep_seconds);
  $("set-shortcut").value = settings.copy_shortcut;
  $("set-login").checked = settings.launch_at_login;
  $("set-hidden").checked = settings.start_hidden_at_login;
}

function settingsForm(overrides = {}) {
  return {
    port: $("set-port").value,
    ttl_hours: $("set-ttl").value,
    token_format: $("set-format").value,
    clipboard_clear_seconds: $("set-clear").value,
    allowed_origins: $("set-origins").value,
    dashboard_url: $("set-dashboard").value,
    window_keep_seconds: $("set-keep").value,
    copy_shortcut: $("set-shortcut").value,
    launch_at_login: $("set-login").checked,
    start_hidden_at_login: $("set-hidden").checked,
    ...overrides,
  };
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
    const status = await invoke("save_settings", { settings: settingsForm() });
    ui.settingsDirty = false;
    renderStatus(status);
    setNote(note, "Saved.", "ok");
  } catch (e) {
    if (showFieldErrors(e)) setNote(note, "Not saved: fix the marked fields.", "bad");
    else setNote(note, `Not saved: ${errorMessage(e)}`, "bad");
  }
}

async function offerPort() {
  try {
    const port = await invoke("suggest_port");
    if (!$("port-retry").value) $("port-retry").value = String(port);
  } catch (_) {
    // Leave the field empty; the user can type a port.
  }
}

async function usePort(event) {
  event.preventDefault();
  const error = $("port-retry-error");
  const input = $("port-retry");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  const settings = ui.status && ui.status.settings;
  if (!settings) return;
  const form = {
    port: input.value,
    ttl_hours: String(settings.ttl_hours),
    token_format: settings.token_format,
    clipboard_clear_seconds: String(settings.clipboard_clear_seconds),
    allowed_origins: settings.allowed_origins.join("\n"),
    dashboard_url: settings.dashboard_url,
    launch_at_login: settings.launch_at_login,
  };
  try {
    const status = await invoke("save_settings", { settings: form });
    input.value = "";
    renderStatus(status);
  } catch (e) {
    const port = ((e && e.fields) || []).find((f) => f.field === "port");
    showError(error, port ? port.message : errorMessage(e));
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

// ---------- access requests ----------

// Card for one waiting request. Every text the requester chose goes in with textContent.
// The card never shows the request's code: the person types the code the browser shows,
// so a request another program opened (same label, same origin) cannot be allowed by a
// person who only looks at their own browser. Allow stays off until a whole code is typed.
function requestCard(p) {
  const key = String(p.number);
  const card = document.createElement("article");
  card.className = "request";
  card.dataset.number = key;
  card.setAttribute("aria-label", `Access request #${key}`);

  const title = document.createElement("p");
  title.className = "request-number";
  title.textContent = `Request #${key}`;
  const left = document.createElement("p");
  left.className = "request-left";
  left.setAttribute("aria-live", "off");

  const facts = document.createElement("dl");
  facts.className = "request-facts";
  for (const [name, value, cls] of [
    ["Says it is", p.client || "(no label given)", "request-client"],
    ["Origin", p.origin || "(none: not from a web page)", "request-origin"],
    ["Address", p.peer, "request-peer"],
  ]) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.className = cls;
    dd.textContent = value;
    facts.append(dt, dd);
  }
  const claimed = document.createElement("p");
  claimed.className = "request-claimed hint";
  claimed.textContent = "Label and origin are what the requester says about itself: any program on this computer can claim them.";

  const codeId = `request-code-${key}`;
  const codeRow = document.createElement("div");
  codeRow.className = "request-code-row";
  const codeLabel = document.createElement("label");
  codeLabel.htmlFor = codeId;
  codeLabel.textContent = "Code your browser shows";
  const code = document.createElement("input");
  code.id = codeId;
  code.className = "request-code-input";
  code.type = "text";
  code.autocomplete = "off";
  code.spellcheck = false;
  code.maxLength = 12;
  code.placeholder = "XXXX-XXXX";
  code.setAttribute("autocapitalize", "characters");
  code.setAttribute("aria-describedby", `${codeId}-hint`);
  const codeHint = document.createElement("span");
  codeHint.id = `${codeId}-hint`;
  codeHint.className = "hint";
  codeHint.textContent = "No browser of yours shows a code? Deny it.";
  codeRow.append(codeLabel, code, codeHint);

  const actions = document.createElement("div");
  actions.className = "request-actions";
  const label = document.createElement("label");
  const selectId = `request-ttl-${key}`;
  label.htmlFor = selectId;
  label.textContent = "Valid for";
  const select = document.createElement("select");
  select.id = selectId;
  select.className = "request-ttl";
  const hours = [...new Set([...TTL_PRESETS.filter((h) => h < p.ttl_hours), p.ttl_hours])];
  for (const h of hours) {
    const option = document.createElement("option");
    option.value = String(h);
    option.textContent = presetLabel(h) + (h === p.ttl_hours ? " (asked for)" : "");
    select.append(option);
  }
  select.value = String(p.ttl_hours);
  const deny = document.createElement("button");
  deny.type = "button";
  deny.className = "deny danger";
  deny.textContent = "Deny";
  const allow = document.createElement("button");
  allow.type = "button";
  allow.className = "allow primary";
  allow.textContent = "Allow";
  allow.disabled = true;
  actions.append(label, select, deny, allow);

  const error = document.createElement("p");
  error.className = "field-error request-error";
  error.id = `${codeId}-error`;
  code.setAttribute("aria-errormessage", error.id);

  const typedCode = () => code.value.replace(/[^0-9a-z]/gi, "");
  const syncAllow = () => {
    allow.disabled = typedCode().length !== 8 || card.classList.contains("expired");
  };
  code.addEventListener("input", () => {
    code.removeAttribute("aria-invalid");
    syncAllow();
  });
  const approve = () => {
    if (allow.disabled) return;
    decide(card, "approve_request", { number: p.number, code: code.value, ttlHours: Number(select.value) });
  };
  code.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      approve();
    }
  });
  allow.addEventListener("click", approve);
  deny.addEventListener("click", () => decide(card, "deny_request", { number: p.number }));
  card.append(title, left, facts, claimed, codeRow, actions, error);
  return card;
}

async function decide(card, command, args) {
  const controls = card.querySelectorAll("button, input, select");
  // Disabling the focused control drops the focus; renderRequests moves it on from here.
  if (card.contains(document.activeElement)) card.dataset.focused = "true";
  for (const c of controls) c.disabled = true;
  card.querySelector(".request-error").textContent = "";
  try {
    await invoke(command, args);
    // The requests-changed event that follows removes the card.
  } catch (e) {
    showError(card.querySelector(".request-error"), errorMessage(e));
    for (const c of controls) c.disabled = false;
    const code = card.querySelector(".request-code-input");
    card.querySelector(".allow").disabled = true;
    code.setAttribute("aria-invalid", "true");
    // Back to the code, never to Allow: a stray Enter there only re-checks the code.
    if (card.dataset.focused === "true") {
      code.focus();
      code.select();
    }
    delete card.dataset.focused;
  }
}

async function denyAll() {
  const button = $("deny-all");
  button.disabled = true;
  $("requests-error").textContent = "";
  try {
    const count = await invoke("deny_all_requests");
    announce(`Denied ${count} access request${count === 1 ? "" : "s"}.`);
  } catch (e) {
    showError($("requests-error"), `Not denied: ${errorMessage(e)}`);
  } finally {
    button.disabled = false;
  }
}

// Adds new cards, drops decided or expired ones, and keeps what was typed on a card.
function renderRequests(view) {
  const list = $("request-list");
  const waiting = new Set(view.requests.map((p) => String(p.number)));
  // A decided card goes away under the keyboard focus: focus then moves to the next card's
  // code field (or the one before), or to the section's title when none is left — never to
  // an Allow button, where a stray Enter or Space would act.
  let focusAfter = null;
  const cards = [...list.children];
  cards.forEach((card, i) => {
    if (waiting.has(card.dataset.number)) return;
    if (card.contains(document.activeElement) || card.dataset.focused === "true") {
      const rest = cards.filter((c) => waiting.has(c.dataset.number));
      focusAfter = rest.find((c) => cards.indexOf(c) > i) || rest[rest.length - 1] || null;
      if (!focusAfter) focusAfter = $("mint-title");
    }
    ui.requestDeadlines.delete(card.dataset.number);
    card.remove();
  });
  for (const p of view.requests) {
    const key = String(p.number);
    ui.requestDeadlines.set(key, now() + p.expires_in);
    if (!list.querySelector(`[data-number="${CSS.escape(key)}"]`)) {
      list.append(requestCard(p));
      announce(`Access request #${key} from ${p.origin || p.peer}: type the code your browser shows to allow it, or deny it, in the Access requests section.`);
    }
  }
  $("requests").hidden = view.requests.length === 0;
  $("deny-all").hidden = view.requests.length < 2;
  tickRequests();
  if (focusAfter) {
    const target = focusAfter.classList.contains("request") ? focusAfter.querySelector(".request-code-input") : focusAfter;
    if (target.disabled) $("mint-title").focus();
    else target.focus();
  }
}

function tickRequests() {
  for (const card of $("request-list").children) {
    const left = (ui.requestDeadlines.get(card.dataset.number) || 0) - now();
    const text = card.querySelector(".request-left");
    text.classList.toggle("expired", left <= 0);
    card.classList.toggle("expired", left <= 0);
    if (left <= 0) {
      text.textContent = "expired — the page must ask again";
      for (const c of card.querySelectorAll("button, input, select")) c.disabled = true;
    } else {
      text.textContent = `${Math.floor(left / 60)}:${pad2(left % 60)} left`;
    }
  }
}

function showRequests() {
  const section = $("requests");
  if (section.hidden) return;
  section.scrollIntoView({ block: "start" });
  $("requests-title").focus();
}

// ---------- wiring ----------

function onKey(event) {
  const mod = event.ctrlKey || event.metaKey;
  if (!mod || event.altKey) return;
  const key = event.key.toLowerCase();
  if (key === "c" && !event.shiftKey && document.activeElement === $("token")) {
    // The token field holds no selectable text for the keyboard: copy it our way (marked
    // as a password, cleared after the timeout).
    event.preventDefault();
    copyCurrent();
  } else if (key === "c" && !event.shiftKey && document.activeElement === $("master-value")) {
    event.preventDefault();
    if (ui.revealTimer) copyMaster();
  } else if (key === "n" && !event.shiftKey) {
    event.preventDefault();
    newSession();
  } else if (key === "c" && event.shiftKey) {
    event.preventDefault();
    copyCurrent();
  }
}

async function start() {
  $("new-session").addEventListener("click", newSession);
  $("copy-token").addEventListener("click", copyCurrent);
  $("ttl").addEventListener("change", () => {
    ui.ttlChosen = true;
    const custom = $("ttl").value === "custom";
    $("custom-ttl").hidden = !custom;
    $("ttl-error").textContent = "";
    if (custom) $("ttl-custom").focus();
    rememberTtl();
  });
  $("ttl-custom").addEventListener("input", () => {
    $("ttl-error").textContent = "";
    $("ttl-custom").removeAttribute("aria-invalid");
    rememberTtl();
  });
  $("reveal-master").addEventListener("click", toggleReveal);
  $("copy-master").addEventListener("click", copyMaster);
  $("deny-all").addEventListener("click", denyAll);
  $("set-dashboard").addEventListener("input", describeDashboard);
  // A secret leaves the window only through the marked, cleared copy (the Copy buttons,
  // Ctrl+C on the field): the fields hold no selectable text (style.css), and a native
  // copy or context menu that would reach one is stopped here.
  for (const id of ["token", "master-value"]) {
    $(id).addEventListener("contextmenu", (event) => event.preventDefault());
  }
  document.addEventListener("copy", (event) => {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0) return;
    const range = selection.getRangeAt(0);
    if (["token", "master-value"].some((id) => range.intersectsNode($(id)))) event.preventDefault();
  });
  $("rotate-master").addEventListener("click", openRotateDialog);
  $("rotate-cancel").addEventListener("click", () => $("rotate-dialog").close());
  // Escape closes the dialog too (the browser's own); either way focus goes back to the
  // button that opened it.
  $("rotate-dialog").addEventListener("close", () => {
    const opener = $("rotate-master");
    if (!opener.disabled) opener.focus();
  });
  $("rotate-confirm").addEventListener("click", rotate);
  $("import-form").addEventListener("submit", (e) => {
    e.preventDefault();
    importMaster("import_master", { token: $("import-token").value });
  });
  $("import-pocketpaw").addEventListener("click", () => importMaster("import_master_from_pocketpaw", {}));
  $("pocketpaw-import").addEventListener("click", async () => {
    await importMaster("import_master_from_pocketpaw", {});
    const error = $("import-error").textContent;
    if (error) setNote($("dashboard-note"), error, "bad");
    checkPocketPaw();
  });
  $("open-dashboard").addEventListener("click", openDashboard);
  $("pair-phone").addEventListener("click", pairPhone);
  $("open-docs").addEventListener("click", () =>
    invoke("open_docs").then((url) => announce(`Opened ${url}`), (e) => announceError(`API docs not opened: ${errorMessage(e)}`)));
  $("open-logs").addEventListener("click", async () => {
    try {
      setNote($("logs-note"), `Opened ${await invoke("open_logs")}`, "ok");
    } catch (e) {
      setNote($("logs-note"), `Not opened: ${errorMessage(e)}`, "bad");
    }
  });
  $("keychain-retry").addEventListener("click", async () => {
    try {
      await invoke("retry_keychain");
    } catch (e) {
      $("keychain-message").textContent = errorMessage(e);
    }
  });
  $("settings-form").addEventListener("submit", saveSettings);
  $("settings-form").addEventListener("input", (e) => {
    ui.settingsDirty = true;
    const field = e.target.name;
    if (field && $(`err-${field}`)) {
      $(`err-${field}`).textContent = "";
      e.target.removeAttribute("aria-invalid");
    }
  });
  $("port-form").addEventListener("submit", usePort);
  document.addEventListener("keydown", onKey);

  // Listen first, then load, so nothing minted in between is missed.
  await listen("status-changed", (e) => renderStatus(e.payload));
  await listen("session-minted", (e) => addSession(e.payload));
  await listen("sessions-reset", (e) => {
    ui.sessions = [];
    replaceSessions(e.payload);
  });
  await listen("clipboard-cleared", (e) => {
    ui.copyClearAt = 0;
    for (const id of ["copy-note", "master-note"]) {
      const note = $(id);
      if (note.dataset.clearing !== "true") continue;
      delete note.dataset.clearing;
      setNote(note, e.payload.cleared ? "Cleared from the clipboard." : "Left the clipboard alone: it holds something else now.");
    }
  });

  await listen("requests-changed", (e) => renderRequests(e.payload));
  await listen("show-requests", showRequests);

  const toRequests = await restoreView();
  renderStatus(await invoke("status"));
  setInterval(tick, 1000);
  try {
    replaceSessions(await invoke("recent_sessions"));
  } catch (e) {
    $("recent-empty").textContent = errorMessage(e);
  }
  try {
    renderRequests(await invoke("pending_requests"));
  } catch (e) {
    $("requests-error").textContent = `Access requests not loaded: ${errorMessage(e)}`;
  }
  if (toRequests) showRequests();
  document.body.dataset.ready = "true";
}

start();
