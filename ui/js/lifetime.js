// The lifetime picker of the new-session card: the presets (facts.js), a custom number of
// hours, the limit from Settings, and the choice kept by the app while the page is dropped.

import { $ } from "./dom.js";
import { DEFAULT_TTL_HOURS, TTL_PRESETS } from "./facts.js";
import { presetLabel } from "./format.js";
import { COMMAND, call } from "./ipc.js";
import { currentStatus, followStatus } from "./status.js";

let chosen = false; // the user picked a lifetime; until then it follows the default

/** The longest lifetime allowed: the default lifetime in Settings. */
function maxTtl() {
  const status = currentStatus();
  return status && status.settings ? status.settings.ttl_hours : DEFAULT_TTL_HOURS;
}

function largestPresetWithin(max) {
  return TTL_PRESETS.filter((h) => h <= max).pop() || 1;
}

/** Puts the presets before "Custom…" in the picker (index.html holds only that one). */
function addPresets() {
  const select = $("ttl");
  const custom = select.querySelector("option[value='custom']");
  for (const hours of TTL_PRESETS) {
    const option = document.createElement("option");
    option.value = String(hours);
    option.textContent = presetLabel(hours);
    select.insertBefore(option, custom);
  }
}

function renderTtlPicker() {
  const max = maxTtl();
  const select = $("ttl");
  for (const option of select.options) {
    if (option.value === "custom") continue;
    const hours = Number(option.value);
    option.disabled = hours > max;
    option.textContent = presetLabel(hours) + (hours > max ? " (over the limit)" : "");
  }
  if (!chosen) select.value = String(largestPresetWithin(max));
  else if (select.selectedOptions[0] && select.selectedOptions[0].disabled) select.value = String(largestPresetWithin(max));
  $("ttl-custom").max = String(max);
  $("ttl-hint").textContent = `Up to ${max} h (the default lifetime in Settings). Custom lifetimes are whole hours.`;
}

/** The lifetime asked for: `{ hours }`, or `{ error }` for a custom one out of range. */
export function chosenTtl() {
  const select = $("ttl");
  if (select.value !== "custom") return { hours: Number(select.value) };
  const raw = $("ttl-custom").value.trim();
  const max = maxTtl();
  if (!/^\d+$/.test(raw)) return { error: "Enter a whole number of hours." };
  const hours = Number(raw);
  if (hours < 1 || hours > max) return { error: `Choose 1 to ${max} hours (raise the default lifetime in Settings for more).` };
  return { hours };
}

/** The field to mark and focus when the lifetime is refused. */
export function ttlInput() {
  return $("ttl").value === "custom" ? $("ttl-custom") : $("ttl");
}

// The window's page is dropped a while after it is closed; the app keeps the lifetime
// picked and gives it back (`restoreTtl`).
function rememberTtl() {
  call(COMMAND.rememberTtl, { choice: { preset: $("ttl").value, custom: $("ttl-custom").value } }).catch(() => {});
}

/** Puts back the choice the app kept (`{ preset, custom }`). */
export function restoreTtl(choice) {
  const select = $("ttl");
  if ([...select.options].some((o) => o.value === choice.preset)) {
    select.value = choice.preset;
    chosen = true;
  }
  $("ttl-custom").value = choice.custom;
  $("custom-ttl").hidden = select.value !== "custom";
}

export function wireLifetime() {
  addPresets();
  followStatus((status) => {
    if (status.settings) renderTtlPicker();
  });
  $("ttl").addEventListener("change", () => {
    chosen = true;
    const custom = $("ttl").value === "custom";
    $("custom-ttl").hidden = !custom;
    $("ttl-error").textContent = "";
    if (custom) $("ttl-custom").focus();
    rememberTtl();
  });
  $("ttl-custom").addEventListener("input", () => {
    $("ttl-error").textContent = "";
    $("ttl-custom").removeAttribute("aria-invalid");
    rememberTtl();
  });
}
