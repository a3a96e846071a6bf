// Accessibility helpers for PawKey's window: what a screen reader is told (once, in two live
// regions, instead of every visible change), the platform's modifier key in the shortcut
// hints, and which keys quit (keys.js acts on them; Ctrl +/-/0 zoom is Tauri's,
// `zoomHotkeysEnabled`).

/** macOS uses Cmd (⌘) where Linux and Windows use Ctrl. */
export function isMac() {
  const platform = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "";
  return /mac|iphone|ipad/i.test(platform) || /Mac OS X/.test(navigator.userAgent);
}

/** Writes the platform's modifier into the hints (`kbd.mod`) and `aria-keyshortcuts`. */
export function applyShortcutHints(mac = isMac()) {
  for (const kbd of document.querySelectorAll("kbd.mod")) {
    kbd.textContent = mac ? "⌘" : "Ctrl";
    kbd.title = mac ? "Command" : "Control";
  }
  for (const el of document.querySelectorAll("[aria-keyshortcuts]")) {
    const keys = el.getAttribute("aria-keyshortcuts");
    el.setAttribute("aria-keyshortcuts", keys.replace(/^(Control|Meta)\+/, mac ? "Meta+" : "Control+"));
  }
  document.documentElement.dataset.platform = mac ? "mac" : "other";
}

// Live regions stay in the page from the start (screen readers watch regions that exist);
// clearing first makes the same sentence twice in a row be read twice.
function speak(id, text) {
  const region = document.getElementById(id);
  if (!region || !text) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

/** Tells a screen reader `text` when it is done speaking (role=status). */
export function announce(text) {
  speak("announce", text);
}

/** Tells a screen reader `text` at once (role=alert): errors. */
export function announceError(text) {
  speak("announce-error", text);
}

/** Whether `event` is the platform's quit shortcut (Ctrl+Q; Cmd+Q on macOS). */
export function isQuitKey(event, mac = isMac()) {
  const mod = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  return mod && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "q";
}
