// One waiting access request as a card: who says it asks, the code to type, the lifetime to
// grant, Deny and Allow. Every text the requester chose goes in with textContent.
// The card never shows the request's code: the person types the code the browser shows,
// so a request another program opened (same label, same origin) cannot be allowed by a
// person who only looks at their own browser. Allow stays off until a whole code is typed.

import { showError } from "./dom.js";
import { ACCESS_CODE_LETTERS, TTL_PRESETS } from "./facts.js";
import { errorMessage, presetLabel } from "./format.js";
import { COMMAND, call } from "./ipc.js";

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// What the requester says about itself, and where it asks from.
function facts(p) {
  const list = element("dl", "request-facts");
  for (const [name, value, cls] of [
    ["Says it is", p.client || "(no label given)", "request-client"],
    ["Origin", p.origin || "(none: not from a web page)", "request-origin"],
    ["Address", p.peer, "request-peer"],
  ]) {
    list.append(element("dt", "", name), element("dd", cls, value));
  }
  return list;
}

function codeField(codeId) {
  const code = element("input", "request-code-input");
  code.id = codeId;
  code.type = "text";
  code.autocomplete = "off";
  code.spellcheck = false;
  code.maxLength = 12;
  code.placeholder = "XXXX-XXXX";
  code.setAttribute("autocapitalize", "characters");
  code.setAttribute("aria-describedby", `${codeId}-hint`);
  return code;
}

// The lifetimes a person may grant: the presets below the one asked for, and that one.
function lifetimePicker(p, selectId) {
  const select = element("select", "request-ttl");
  select.id = selectId;
  const hours = [...new Set([...TTL_PRESETS.filter((h) => h < p.ttl_hours), p.ttl_hours])];
  for (const h of hours) {
    const option = element("option", "", presetLabel(h) + (h === p.ttl_hours ? " (asked for)" : ""));
    option.value = String(h);
    select.append(option);
  }
  select.value = String(p.ttl_hours);
  return select;
}

/** The card of one waiting request (a Pending). */
export function requestCard(p) {
  const key = String(p.number);
  const card = element("article", "request");
  card.dataset.number = key;
  card.setAttribute("aria-label", `Access request #${key}`);

  const title = element("p", "request-number", `Request #${key}`);
  const left = element("p", "request-left");
  left.setAttribute("aria-live", "off");
  const claimed = element("p", "request-claimed hint",
    "Label and origin are what the requester says about itself: any program on this computer can claim them.");

  const codeId = `request-code-${key}`;
  const codeRow = element("div", "request-code-row");
  const codeLabel = element("label", "", "Code your browser shows");
  codeLabel.htmlFor = codeId;
  const code = codeField(codeId);
  const codeHint = element("span", "hint", "No browser of yours shows a code? Deny it.");
  codeHint.id = `${codeId}-hint`;
  codeRow.append(codeLabel, code, codeHint);

  const actions = element("div", "request-actions");
  const selectId = `request-ttl-${key}`;
  const label = element("label", "", "Valid for");
  label.htmlFor = selectId;
  const select = lifetimePicker(p, selectId);
  const deny = element("button", "deny danger", "Deny");
  deny.type = "button";
  const allow = element("button", "allow primary", "Allow");
  allow.type = "button";
  allow.disabled = true;
  actions.append(label, select, deny, allow);

  const error = element("p", "field-error request-error");
  error.id = `${codeId}-error`;
  code.setAttribute("aria-errormessage", error.id);

  const typedCode = () => code.value.replace(/[^0-9a-z]/gi, "");
  const syncAllow = () => {
    allow.disabled = typedCode().length !== ACCESS_CODE_LETTERS || card.classList.contains("expired");
  };
  code.addEventListener("input", () => {
    code.removeAttribute("aria-invalid");
    syncAllow();
  });
  const approve = () => {
    if (allow.disabled) return;
    decide(card, COMMAND.approveRequest, { number: p.number, code: code.value, ttlHours: Number(select.value) });
  };
  code.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      approve();
    }
  });
  allow.addEventListener("click", approve);
  deny.addEventListener("click", () => decide(card, COMMAND.denyRequest, { number: p.number }));
  card.append(title, left, facts(p), claimed, codeRow, actions, error);
  return card;
}

async function decide(card, command, args) {
  const controls = card.querySelectorAll("button, input, select");
  // Disabling the focused control drops the focus; renderRequests moves it on from here.
  if (card.contains(document.activeElement)) card.dataset.focused = "true";
  for (const c of controls) c.disabled = true;
  card.querySelector(".request-error").textContent = "";
  try {
    await call(command, args);
    // The requests-changed event that follows removes the card.
  } catch (e) {
    showError(card.querySelector(".request-error"), errorMessage(e));
    for (const c of controls) c.disabled = false;
    const code = card.querySelector(".request-code-input");
    card.querySelector(".allow").disabled = true;
    code.setAttribute("aria-invalid", "true");
    // Back to the code, never to Allow: a stray Enter there only re-checks the code.
    if (card.dataset.focused === "true") {
      code.focus();
      code.select();
    }
    delete card.dataset.focused;
  }
}
