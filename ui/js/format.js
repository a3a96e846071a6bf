// How the window words values: times and countdowns, lifetimes, mint sources, errors and
// the host a URL names. Pure functions; nothing here touches the page.

import { SOURCE_LABELS, SOURCES_WITH_CLIENT } from "./facts.js";

export const pad2 = (n) => String(n).padStart(2, "0");

/** Now, in Unix seconds (the window's own clock). */
export const now = () => Math.floor(Date.now() / 1000);

/** "07:59:59 left", "3 d 23:59:59 left" or "expired". */
export function formatLeft(seconds) {
  if (seconds <= 0) return "expired";
  // Hours keep counting up to two days ("47:59:59 left"); longer lifetimes show days.
  const d = seconds >= 2 * 86400 ? Math.floor(seconds / 86400) : 0;
  const h = Math.floor((seconds - d * 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const clock = `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
  return d > 0 ? `${d} d ${clock} left` : `${clock} left`;
}

export function formatTime(unix) {
  const t = new Date(unix * 1000);
  return t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatDateTime(unix) {
  const t = new Date(unix * 1000);
  const today = new Date();
  const sameDay = t.toDateString() === today.toDateString();
  const time = t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (sameDay) return `today ${time}`;
  return `${t.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${time}`;
}

/** A lifetime preset as the pickers show it: "1 hour", "8 hours", "7 days". */
export function presetLabel(hours) {
  return hours === 1 ? "1 hour" : hours === 168 ? "7 days" : `${hours} hours`;
}

/** Who minted a recent session: "HTTP · 127.0.0.1", "tray", "approved · my-script"… */
export function sourceLabel(entry) {
  const label = SOURCE_LABELS[entry.source] ?? entry.source;
  return entry.client && SOURCES_WITH_CLIENT.includes(entry.source) ? `${label} · ${entry.client}` : label;
}

/** The message of a command's error (or of anything thrown). */
export function errorMessage(e) {
  if (e && typeof e === "object" && "message" in e) return e.message;
  return String(e);
}

/** The host a URL really names (after any user@ part), or "" when it does not parse. */
export function urlHost(url) {
  try {
    return new URL(url).hostname;
  } catch (e) {
    return "";
  }
}

/** Whether a URL's host is this computer (localhost, 127.x.y.z, [::1]) — as core decides. */
export function isThisComputer(url) {
  const host = urlHost(url);
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
