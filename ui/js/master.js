// The master token card: masked, copied, rotated (after the confirmation dialog) or
// imported (typed, or from PocketPaw's token file).

import { showCopyResult } from "./copy.js";
import { $, setNote, showError } from "./dom.js";
import { errorMessage } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { forgetToken } from "./mint.js";
import { followStatus, isReady } from "./status.js";

// The master never reaches this page: Copy puts it on the clipboard from PawKey's tray
// process, and seeing it takes `pawkey master show` in a terminal.

async function copyMaster() {
  try {
    showCopyResult(await call(COMMAND.copyMaster), "Master token", $("master-note"));
  } catch (e) {
    setNote($("master-note"), errorMessage(e), "bad");
  }
}

// After a new master token: hide the old one, say so, and drop the session token shown.
function replaced(note, why) {
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
  for (const id of ["copy-master", "rotate-master"]) $(id).disabled = !master || !master.ok;
  for (const id of ["import-button", "import-pocketpaw"]) $(id).disabled = !isReady(status);
  if (status.pocketpaw_token_file) $("import-pocketpaw").title = `Reads ${status.pocketpaw_token_file}`;
}

export function wireMaster() {
  followStatus(showMasterStatus);
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
