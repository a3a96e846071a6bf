// The recent sessions card: the list the app keeps (recent_sessions, sessions-reset), a row
// per mint anywhere (session-minted), and each row's active/expired badge.

import { $ } from "./dom.js";
import { errorMessage, formatDateTime, formatTime, now, sourceLabel } from "./format.js";
import { COMMAND, call } from "./ipc.js";

let sessions = []; // SessionRow[] ({seq, ...AuditEntry}), newest first
let newestSeq = 0; // seq of the newest row shown
let capacity = Infinity; // rows the list keeps; SessionsView.capacity says how many

function sessionRow(entry, fresh) {
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
  return row;
}

function renderSessions(fresh) {
  $("recent-body").replaceChildren(...sessions.map((entry) => sessionRow(entry, fresh)));
  $("recent-empty").hidden = sessions.length > 0;
  refreshSessionBadges();
}

/** Marks each row active or expired (every second: the window's own clock). */
export function refreshSessionBadges() {
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

/** A mint anywhere (a SessionRow) goes on top. */
export function addSession(row) {
  // Already in the list (it came with the first load).
  if (row.seq <= newestSeq) return;
  newestSeq = row.seq;
  sessions.unshift(row);
  sessions.length = Math.min(sessions.length, capacity);
  renderSessions(new Set([row.seq]));
}

function replaceSessions(view) {
  // Rows that arrived as events before this list keep their place on top.
  const newer = sessions.filter((row) => row.seq > view.seq);
  capacity = view.capacity;
  sessions = newer.concat(view.sessions).slice(0, capacity);
  newestSeq = Math.max(view.seq, ...newer.map((row) => row.seq));
  renderSessions();
}

/** The app's list replaces the one shown (a SessionsView). */
export function resetSessions(view) {
  sessions = [];
  replaceSessions(view);
}

/** Loads the list the app keeps. */
export async function loadSessions() {
  try {
    replaceSessions(await call(COMMAND.recentSessions));
  } catch (e) {
    $("recent-empty").textContent = errorMessage(e);
  }
}
