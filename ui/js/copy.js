// The notes under the session and master tokens after a copy: copied or not, the countdown
// to the clipboard being cleared, and what the app did when it ran out (clipboard-cleared).

import { announce } from "./access.js";
import { $, paintNote, setNote } from "./dom.js";

const NOTES = ["copy-note", "master-note"];
let clearAt = 0; // ms epoch when the clipboard will be cleared

/** Shows a copy's result (a CopyView) in `note`, and tells a screen reader once. */
export function showCopyResult(copy, what, note = $("copy-note"), lead = "") {
  if (!copy.copied) {
    clearAt = 0;
    setNote(note, `${what} not copied: ${copy.error}`, "bad");
    if (lead) announce(lead);
    return;
  }
  if (copy.clear_after_seconds > 0) {
    clearAt = Date.now() + copy.clear_after_seconds * 1000;
    note.dataset.clearing = "true";
  } else {
    clearAt = 0;
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
  if (note.dataset.clearing === "true" && clearAt) {
    const left = Math.max(0, Math.ceil((clearAt - Date.now()) / 1000));
    paintNote(note, `${what} copied to the clipboard — cleared in ${left} s unless you copy something else.`, "ok");
  } else if (note.dataset.clearing !== "true") {
    paintNote(note, `${what} copied to the clipboard.`, "ok");
  }
}

/** Moves the clipboard countdowns on (every second). */
export function tickCopyNotes() {
  for (const id of NOTES) {
    const note = $(id);
    if (note.dataset.clearing === "true" && clearAt && note.dataset.what) renderCopyNote(note);
  }
}

/** The app's clipboard timer ran (a ClipboardEvent): it cleared our copy, or left another. */
export function clipboardCleared(event) {
  clearAt = 0;
  for (const id of NOTES) {
    const note = $(id);
    if (note.dataset.clearing !== "true") continue;
    delete note.dataset.clearing;
    setNote(note, event.cleared ? "Cleared from the clipboard." : "Left the clipboard alone: it holds something else now.");
  }
}
