// The access requests card: the waiting requests (pending_requests, requests-changed) as
// cards (request-card.js), their countdowns, Deny all, and where the keyboard focus goes
// when a card is decided.

import { announce } from "./access.js";
import { $, showError } from "./dom.js";
import { errorMessage, now, pad2 } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { requestCard } from "./request-card.js";

const deadlines = new Map(); // request number -> Unix seconds when the request expires

async function denyAll() {
  const button = $("deny-all");
  button.disabled = true;
  $("requests-error").textContent = "";
  try {
    const count = await call(COMMAND.denyAllRequests);
    announce(`Denied ${count} access request${count === 1 ? "" : "s"}.`);
  } catch (e) {
    showError($("requests-error"), `Not denied: ${errorMessage(e)}`);
  } finally {
    button.disabled = false;
  }
}

/** Shows the waiting requests (a RequestsView): adds new cards, drops decided or expired
 * ones, and keeps what was typed on a card. */
export function renderRequests(view) {
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
    deadlines.delete(card.dataset.number);
    card.remove();
  });
  for (const p of view.requests) {
    const key = String(p.number);
    deadlines.set(key, now() + p.expires_in);
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

/** Moves each card's countdown on (every second); an expired card can no longer be allowed. */
export function tickRequests() {
  for (const card of $("request-list").children) {
    const left = (deadlines.get(card.dataset.number) || 0) - now();
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

/** Scrolls to the requests and focuses their title (the tray's "Pending requests"). */
export function showRequests() {
  const section = $("requests");
  if (section.hidden) return;
  section.scrollIntoView({ block: "start" });
  $("requests-title").focus();
}

/** Loads the waiting requests. */
export async function loadRequests() {
  try {
    renderRequests(await call(COMMAND.pendingRequests));
  } catch (e) {
    $("requests-error").textContent = `Access requests not loaded: ${errorMessage(e)}`;
  }
}

export function wireRequests() {
  $("deny-all").addEventListener("click", denyAll);
}
