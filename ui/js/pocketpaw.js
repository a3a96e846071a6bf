// The PocketPaw card: whether PocketPaw uses the same master token, its dashboard opened
// with a fresh token, and the QR code that pairs a phone.

import { $, setNote } from "./dom.js";
import { QR_LINK_SECONDS } from "./facts.js";
import { errorMessage, formatTime, isThisComputer } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { importMaster } from "./master.js";
import { followStatus, isReady } from "./status.js";

async function checkPocketPaw() {
  let check;
  try {
    check = await call(COMMAND.pocketpawMaster);
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
    const opened = await call(COMMAND.openDashboard);
    setNote(note, `Opened ${opened.dashboard_url} in your browser, logged in until ${formatTime(opened.expires_at)}.`, "ok");
  } catch (e) {
    setNote(note, `Not opened: ${errorMessage(e)}`, "bad");
  }
  checkPocketPaw();
}

async function pairPhone() {
  const note = $("dashboard-note");
  try {
    const pair = await call(COMMAND.pairPhone);
    // Our own SVG (ASCII), shown as an image so none of it runs as markup in the page.
    $("pair-qr").src = `data:image/svg+xml;base64,${btoa(pair.svg)}`;
    let expiry = `Scan with your phone to open ${pair.dashboard_url}. The code works until ${formatTime(pair.expires_at)} (${QR_LINK_SECONDS / 60} minutes).`;
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

function showPocketPawStatus(status) {
  const ready = isReady(status);
  const master = status.master;
  const canMint = ready && master && master.ok;
  for (const id of ["open-dashboard", "pair-phone"]) $(id).disabled = !canMint;
  $("pocketpaw-import").disabled = !ready;
  if (ready && master) checkPocketPaw();
}

export function wirePocketPaw() {
  followStatus(showPocketPawStatus);
  $("pocketpaw-import").addEventListener("click", async () => {
    await importMaster(COMMAND.importMasterFromPocketpaw, {});
    const error = $("import-error").textContent;
    if (error) setNote($("dashboard-note"), error, "bad");
    checkPocketPaw();
  });
  $("open-dashboard").addEventListener("click", openDashboard);
  $("pair-phone").addEventListener("click", pairPhone);
}
