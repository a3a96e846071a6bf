#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring (the real
# Secret Service), using a throwaway keyring directory. Usage: scripts/with-keyring.sh CMD...
# Keychain tests and `make run` (headless) use this; the user's own keyring is not touched
# unless PAWKEY_KEYRING_HOME is set to it.
# The keyring's files go to $PAWKEY_KEYRING_HOME/data. By default CMD gets that directory as
# its XDG_DATA_HOME too (tests: nothing of theirs lands in the user's ~/.local/share); with
# PAWKEY_KEYRING_KEEP_XDG=1 (`make run`) CMD keeps the caller's XDG_DATA_HOME, so PawKey's
# audit log outlives the run where `pawkeyd sessions` in another shell looks for it.
set -euo pipefail

if [ "${PAWKEY_IN_KEYRING_SESSION:-}" != 1 ]; then
  command -v dbus-run-session >/dev/null || { echo "error: dbus-run-session missing: run scripts/install.sh deps-build" >&2; exit 1; }
  command -v gnome-keyring-daemon >/dev/null || { echo "error: gnome-keyring-daemon missing: run scripts/install.sh deps-build" >&2; exit 1; }
  export PAWKEY_IN_KEYRING_SESSION=1
  # Through quiet-dbus-daemon.sh: the bus's "Failed to set fd limit" line is noise.
  exec dbus-run-session --dbus-daemon="$(cd "$(dirname "$0")" && pwd)/quiet-dbus-daemon.sh" -- "$0" "$@"
fi

# Inside the session bus now.
if [ -z "${PAWKEY_KEYRING_HOME:-}" ]; then
  PAWKEY_KEYRING_HOME=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-keyring.XXXXXX")
  trap 'rm -rf "$PAWKEY_KEYRING_HOME"' EXIT
fi
keyring_data="$PAWKEY_KEYRING_HOME/data"
mkdir -p "$keyring_data"
if [ "${PAWKEY_KEYRING_KEEP_XDG:-}" != 1 ]; then
  export XDG_DATA_HOME="$keyring_data"
fi
# A keyring daemon the bus itself starts (D-Bus activation, e.g. after a test stopped ours)
# keeps its files in the throwaway directory too.
dbus-update-activation-environment XDG_DATA_HOME="$keyring_data" 2>/dev/null || true
# An empty password, fed with a newline, creates and unlocks the login keyring.
eval "$(echo "" | XDG_DATA_HOME="$keyring_data" gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
# Wait until the Secret Service answers on the bus.
for _ in $(seq 1 50); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    break
  fi
  sleep 0.1
done
# The daemon this session started (not any other session's).
keyring_pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
  awk '/uint32/ {print $2}')
status=0
"$@" || status=$?
# Stop it, so nothing outlives the run (tests may have restarted it: ask the bus again).
now_pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
  awk '/uint32/ {print $2}')
for pid in $keyring_pid $now_pid; do kill "$pid" 2>/dev/null || true; done
exit $status
