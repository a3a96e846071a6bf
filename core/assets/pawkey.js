// Enhances the landing page. Request access: POST /api/auth/request, show the code (the
// person types it into PawKey to allow this request), collect with POST every `interval`
// seconds until a person approves it (the answer that hands out the token sets the
// HttpOnly cookie) or denies it, or it expires. Or log in with the master token (sent
// once, as JSON, to /api/auth/login). Log out. No token is stored by this script.
"use strict";

const $ = (id) => document.getElementById(id);

function show(which) {
  for (const id of ["request-start", "request-waiting", "request-ended"]) $(id).hidden = id !== which;
}

function ended(message) {
  $("request-message").textContent = message;
  show("request-ended");
  $("ask-again").focus();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function requestAccess() {
  const button = $("request-access");
  button.disabled = true;
  let opened;
  try {
    const res = await fetch("/api/auth/request", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client: `Browser on ${location.origin}`.slice(0, 64) }),
      credentials: "same-origin",
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 202) {
      // A refusal says what is going on and what to do (429: requests already waiting).
      ended(body.detail ? `PawKey did not take the request: ${body.detail}` : `PawKey did not take the request (HTTP ${res.status}). Ask again in a moment.`);
      return;
    }
    opened = body;
  } catch (e) {
    ended("Could not reach PawKey. Is it still running? Start it, then ask again.");
    return;
  } finally {
    button.disabled = false;
  }

  $("user-code").textContent = opened.user_code;
  $("code-inline").textContent = opened.user_code;
  $("request-number").textContent = `request #${opened.number}`;
  show("request-waiting");
  const deadline = Date.now() + opened.expires_in * 1000;
  const countdown = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    $("request-left").textContent = `Waiting for approval — ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left.`;
  };
  countdown();
  const timer = setInterval(countdown, 1000);
  try {
    await poll(opened, deadline);
  } finally {
    clearInterval(timer);
  }
}

// Polls until an answer; a network error is retried until the request would expire.
async function poll(opened, deadline) {
  const url = `/api/auth/request/${encodeURIComponent(opened.request_id)}`;
  const interval = Math.max(1, opened.interval) * 1000;
  for (;;) {
    await sleep(interval);
    let res;
    try {
      res = await fetch(url, { method: "POST", credentials: "same-origin", cache: "no-store" });
    } catch (e) {
      if (Date.now() > deadline) {
        ended("Could not reach PawKey while waiting. Is it still running? Start it, then ask again.");
        return;
      }
      continue;
    }
    if (res.status === 202) continue;
    if (res.status === 200) {
      // The cookie is set; the page renders the logged-in state from it.
      location.reload();
      return;
    }
    const body = await res.json().catch(() => ({}));
    if (res.status === 403) {
      ended("The request was denied in PawKey. If that was a mistake, ask again and allow the new code.");
    } else if (res.status === 410 || res.status === 404) {
      ended("The request expired before anyone approved it. Ask again, then type the code into PawKey within two minutes.");
    } else {
      ended(`Waiting stopped: ${body.detail || `HTTP ${res.status}`}. Ask again in a moment.`);
    }
    return;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const request = $("request-access");
  if (request) {
    request.addEventListener("click", requestAccess);
    $("ask-again").addEventListener("click", requestAccess);
  }
  const form = $("login");
  const error = $("login-error");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const input = $("master");
      try {
        const res = await fetch("/api/auth/login", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: input.value }),
          credentials: "same-origin",
        });
        input.value = "";
        if (res.ok) {
          location.reload();
          return;
        }
        const body = await res.json().catch(() => ({}));
        error.textContent = res.status === 401
          ? "That is not the master token. Copy it from PawKey (or `pawkey master show`) and try again."
          : (body.detail || `Login failed (HTTP ${res.status}).`);
      } catch (e) {
        error.textContent = "Could not reach PawKey. Is it still running?";
      }
    });
  }
  const logout = $("logout");
  if (logout) {
    logout.addEventListener("click", async () => {
      await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
      location.reload();
    });
  }
});
