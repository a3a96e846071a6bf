// The new-session card: mint with the lifetime picked (lifetime.js), the token box with its
// countdown, copy it again, and the token the app kept while the page was dropped.

import { announce } from "./access.js";
import { showCopyResult } from "./copy.js";
import { $, paintNote, setNote, showError } from "./dom.js";
import { errorMessage, formatLeft, now } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { chosenTtl, restoreTtl, ttlInput, wireLifetime } from "./lifetime.js";
import { followStatus, isReady } from "./status.js";

let current = null; // the token shown: { token, expires_at }
let minting = false;

export async function newSession() {
  if (minting || $("new-session").disabled) return;
  const ttl = chosenTtl();
  const ttlError = $("ttl-error");
  const input = ttlInput();
  if (ttl.error) {
    showError(ttlError, ttl.error);
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  ttlError.textContent = "";
  input.removeAttribute("aria-invalid");
  minting = true;
  $("new-session").disabled = true;
  try {
    const minted = await call(COMMAND.newSession, { ttlHours: ttl.hours });
    showToken(minted);
    // The token itself is not read out; it is one Tab away (and Ctrl+C copies it there).
    const until = new Date(minted.expires_at * 1000).toLocaleString();
    showCopyResult(minted.copy, "Session token", $("copy-note"), `New session token, valid until ${until}. `);
  } catch (e) {
    showError(ttlError, errorMessage(e));
  } finally {
    minting = false;
    $("new-session").disabled = false;
  }
}

// Puts a token ({token, expires_at}) in the token box with its countdown.
function showToken(minted) {
  current = minted;
  $("token").textContent = minted.token;
  $("token-box").dataset.empty = "false";
  $("token-box").dataset.expired = "false";
  $("copy-token").disabled = false;
  $("expires-at").textContent = `valid until ${new Date(minted.expires_at * 1000).toLocaleString()}`;
  tickToken();
}

/** Empties the token box, saying why (the master token changed: the token no longer works). */
export function forgetToken(message) {
  if (!current) return;
  current = null;
  $("token").textContent = message;
  announce(message);
  $("token-box").dataset.empty = "true";
  $("token-box").dataset.expired = "false";
  $("copy-token").disabled = true;
  $("countdown").textContent = "";
  $("expires-at").textContent = "";
  paintNote($("copy-note"), "");
}

/** Copies the token shown again (the Copy button, Ctrl+Shift+C, Ctrl+C on the token). */
export async function copyCurrent() {
  if (!current) return;
  try {
    const result = await call(COMMAND.copySession, { token: current.token });
    showCopyResult(result, "Session token");
  } catch (e) {
    setNote($("copy-note"), errorMessage(e), "bad");
  }
}

/** Moves the token's countdown on (every second: the window's own clock). */
export function tickToken() {
  if (!current) return;
  const left = current.expires_at - now();
  const countdown = $("countdown");
  countdown.textContent = formatLeft(left);
  countdown.classList.toggle("expired", left <= 0);
  if (left <= 0) {
    $("token-box").dataset.expired = "true";
    $("copy-token").disabled = true;
  }
}

/** Puts back what the app kept of a dropped page; resolves to whether to show the requests. */
export async function restoreView() {
  let memory;
  try {
    memory = await call(COMMAND.windowMemory);
  } catch (e) {
    return false;
  }
  if (memory.ttl) restoreTtl(memory.ttl);
  if (memory.current) showToken(memory.current);
  return memory.show_requests;
}

export function wireMint() {
  wireLifetime();
  followStatus((status) => {
    const master = status.master;
    $("new-session").disabled = !isReady(status) || (master && !master.ok);
  });
  $("new-session").addEventListener("click", newSession);
  $("copy-token").addEventListener("click", copyCurrent);
}
