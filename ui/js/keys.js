// The window's keyboard shortcuts (Ctrl+N new, Ctrl+Shift+C copy, Ctrl+C on a token field,
// Ctrl+Q quit; ⌘ on macOS), and the rule that a secret leaves the window only through the
// marked, cleared copy.

import { announce, announceError, isQuitKey } from "./access.js";
import { $ } from "./dom.js";
import { errorMessage } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { copyCurrent, newSession } from "./mint.js";

const SECRETS = ["token", "master-value"];

// Quit as the tray's Quit does: the app clears our token from the clipboard, stops the
// server gracefully and exits.
function onQuitKey(event) {
  if (!isQuitKey(event)) return;
  event.preventDefault();
  announce("Quitting PawKey…");
  call(COMMAND.quit).catch((e) => {
    announceError(`PawKey did not quit: ${errorMessage(e)}. Use Quit in the tray menu.`);
  });
}

function onKey(event) {
  const mod = event.ctrlKey || event.metaKey;
  if (!mod || event.altKey) return;
  const key = event.key.toLowerCase();
  if (key === "c" && !event.shiftKey && document.activeElement === $("token")) {
    // The token field holds no selectable text for the keyboard: copy it our way (marked
    // as a password, cleared after the timeout).
    event.preventDefault();
    copyCurrent();
  } else if (key === "n" && !event.shiftKey) {
    event.preventDefault();
    newSession();
  } else if (key === "c" && event.shiftKey) {
    event.preventDefault();
    copyCurrent();
  }
}

export function wireKeys() {
  document.addEventListener("keydown", onQuitKey);
  document.addEventListener("keydown", onKey);
  // The token fields hold no selectable text (style.css), and a native copy or context
  // menu that would reach one is stopped here.
  for (const id of SECRETS) {
    $(id).addEventListener("contextmenu", (event) => event.preventDefault());
  }
  document.addEventListener("copy", (event) => {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0) return;
    const range = selection.getRangeAt(0);
    if (SECRETS.some((id) => range.intersectsNode($(id)))) event.preventDefault();
  });
}
