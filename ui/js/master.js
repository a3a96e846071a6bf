// The master token card: hidden, shown for a few seconds, copied, rotated (after the
// confirmation dialog) or imported (typed, or from PocketPaw's token file).

import { showCopyResult } from "./copy.js";
import { $, setNote, showError } from "./dom.js";
import { errorMessage } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { forgetToken } from "./mint.js";
import { followStatus, isReady } from "./status.js";

/** Seconds a revealed master token stays visible. */
const REVEAL_SECONDS = 10;
const MASK = "•".repeat(32);

let revealTimer = null;

/** Whether the master token is shown. */
export function isRevealed() {
  return revealTimer !== null;
}

function hideMaster() {
  clearTimeout(revealTimer);
  revealTimer = null;
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
  if (revealTimer) {
    hideMaster();
    return;
  }
  try {
    const master = await call(COMMAND.revealMaster);
    const value = $("master-value");
    value.textContent = master;
    value.classList.remove("masked");
    value.setAttribute("role", "textbox");
    value.setAttribute("aria-readonly", "true");
    value.setAttribute("aria-label", "Master token");
    value.tabIndex = 0;
    $("reveal-master").textContent = "Hide";
    $("reveal-master").setAttribute("aria-pressed", "true");
    revealTimer = setTimeout(hideMaster, REVEAL_SECONDS * 1000);
    setNote($("master-note"), `Shown for ${REVEAL_SECONDS} seconds.`);
    delete $("master-note").dataset.clearing;
  } catch (e) {
    setNote($("master-note"), errorMessage(e), "bad");
  }
}

export async function copyMaster() {
  try {
    showCopyResult(await call(COMMAND.copyMaster), "Master token", $("master-note"));
  } catch (e) {
    setNote($("master-note"), errorMessage(e), "bad");
  }
}

// After a new master token: hide the old one, say so, and drop the session token shown.
function replaced(note, why) {
  hideMaster();
  delete $("master-note").dataset.clearing;
  setNote($("master-note"), note, "ok");
  forgetToken(`${why}; earlier tokens no longer work. Press “New session”.`);
}

async function rotate() {
  const confirm = $("rotate-confirm");
  confirm.disabled = true;
  try {
    const status = await call(COMMAND.rotateMaster);
    $("rotate-dialog").close();
    replaced(status.pocketpaw_updated
      ? "Rotated in PawKey and in PocketPaw's token file: every earlier session token is now rejected by both."
      : "Rotated. Every earlier session token is now rejected; give PocketPaw the new master token.",
    "The master token was rotated");
  } catch (e) {
    $("rotate-dialog").close();
    setNote($("master-note"), `Not rotated: ${errorMessage(e)}`, "bad");
  } finally {
    confirm.disabled = false;
  }
}

/** Imports a master token (`command` with `args`); a refusal is shown under the form. */
export async function importMaster(command, args) {
  const error = $("import-error");
  const input = $("import-token");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  try {
    await call(command, args);
    input.value = "";
    replaced("Imported. Session tokens minted before are now rejected.", "A master token was imported");
  } catch (e) {
    showError(error, errorMessage(e));
    if (command === COMMAND.importMaster) input.setAttribute("aria-invalid", "true");
  }
}

function showMasterStatus(status) {
  const master = status.master;
  $("master-location").textContent = master ? `Stored in the ${master.location}` : "";
  for (const id of ["reveal-master", "copy-master", "rotate-master"]) $(id).disabled = !master || !master.ok;
  for (const id of ["import-button", "import-pocketpaw"]) $(id).disabled = !isReady(status);
  if (status.pocketpaw_token_file) $("import-pocketpaw").title = `Reads ${status.pocketpaw_token_file}`;
}

export function wireMaster() {
  followStatus(showMasterStatus);
  $("reveal-master").addEventListener("click", toggleReveal);
  $("copy-master").addEventListener("click", copyMaster);
  $("rotate-master").addEventListener("click", () => {
    $("rotate-dialog").showModal();
    $("rotate-cancel").focus();
  });
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
    importMaster(COMMAND.importMaster, { token: $("import-token").value });
  });
  $("import-pocketpaw").addEventListener("click", () => importMaster(COMMAND.importMasterFromPocketpaw, {}));
}
