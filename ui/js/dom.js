// The page's elements by id, and the notes and inline errors under the cards: shown, and
// told to a screen reader once.

import { announce, announceError } from "./access.js";

export const $ = (id) => document.getElementById(id);

/** What a note shows, without telling a screen reader (a countdown repaints every second). */
export function paintNote(el, text, kind) {
  el.textContent = text;
  el.classList.toggle("ok", kind === "ok");
  el.classList.toggle("bad", kind === "bad");
}

/** A note that is also told to a screen reader, once: errors at once, the rest politely. */
export function setNote(el, text, kind) {
  paintNote(el, text, kind);
  if (kind === "bad") announceError(text);
  else announce(text);
}

/** An inline error under a field, told to a screen reader at once. */
export function showError(el, text) {
  el.textContent = text;
  announceError(text);
}
