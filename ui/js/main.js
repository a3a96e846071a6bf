// PawKey's window: plain ES modules, no build step. This entry wires each area of the window
// (one module each), listens to the app's events, then loads what the app holds. Commands
// and events go through ipc.js; nothing here polls the app.

import { applyShortcutHints } from "./access.js";
import { clipboardCleared, tickCopyNotes } from "./copy.js";
import { COMMAND, EVENT, call, on } from "./ipc.js";
import { wireKeys } from "./keys.js";
import { wireMaster } from "./master.js";
import { restoreView, tickToken, wireMint } from "./mint.js";
import { wirePocketPaw } from "./pocketpaw.js";
import { wirePort } from "./port.js";
import { loadRequests, renderRequests, showRequests, tickRequests, wireRequests } from "./requests.js";
import { addSession, loadSessions, refreshSessionBadges, resetSessions } from "./sessions.js";
import { wireSettings } from "./settings.js";
import { renderStatus, wireStatus } from "./status.js";

// One clock for the countdowns on screen (the window's own; it asks the app nothing).
function tick() {
  tickToken();
  tickCopyNotes();
  refreshSessionBadges();
  tickRequests();
}

async function start() {
  applyShortcutHints();
  wireKeys();
  wireStatus();
  wirePort();
  wireMint();
  wireMaster();
  wirePocketPaw();
  wireSettings();
  wireRequests();

  // Listen first, then load, so nothing minted in between is missed.
  await on(EVENT.status, renderStatus);
  await on(EVENT.minted, addSession);
  await on(EVENT.sessionsReset, resetSessions);
  await on(EVENT.clipboardCleared, clipboardCleared);
  await on(EVENT.requests, renderRequests);
  await on(EVENT.showRequests, showRequests);

  const toRequests = await restoreView();
  renderStatus(await call(COMMAND.status));
  setInterval(tick, 1000);
  await loadSessions();
  await loadRequests();
  if (toRequests) showRequests();
  document.body.dataset.ready = "true";
}

start();
