// Enhances the landing page: log in with the master token (sent once, as JSON, to
// /api/auth/login, which sets an HttpOnly cookie) and log out. No token is stored by
// this script.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login");
  const error = document.getElementById("login-error");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const input = document.getElementById("master");
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
  const logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("click", async () => {
      await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
      location.reload();
    });
  }
});
