#!/usr/bin/env bash
# `make run`: installs missing system packages, builds PawKey and starts it.
# - With a display ($DISPLAY or $WAYLAND_DISPLAY) and the desktop crate present: the
#   desktop app `pawkey`.
# - Otherwise: the headless server `pawkeyd serve`, printing ready-to-paste lines to mint
#   (none puts the master token on a command line, where other users could read it).
# Without a session D-Bus (a bare root shell, a container), PawKey runs inside a private
# D-Bus session with a temporary, unlocked gnome-keyring: the master token then lasts for
# this run only. Set PORT=N to use another port than 8000.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh deps-build

if [ -n "${PORT:-}" ]; then export PAWKEY_PORT="$PORT"; fi
port=${PAWKEY_PORT:-8000}

desktop=0
if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -f src-tauri/Cargo.toml ]; then
  desktop=1
fi

if [ "$desktop" = 1 ]; then
  cargo build --workspace --bins
  app=(target/debug/pawkey)
else
  cargo build -p pawkey-core --bins
  app=(target/debug/pawkeyd serve)
fi

in_keyring=()
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ "${PAWKEY_IN_KEYRING_SESSION:-}" != 1 ]; then
  echo "No session D-Bus: starting a private one with a temporary gnome-keyring (the master token lasts for this run)."
  in_keyring=(scripts/with-keyring.sh)
fi

if [ "$desktop" = 1 ]; then
  exec "${in_keyring[@]}" "${app[@]}"
fi

# Headless: start the server, wait until it answers, then print how to mint. The master
# token goes into no command line: the curl line reads the header from a file that only
# this user can read (mode 0600 in a 0700 directory), removed when the server stops; with
# the user's own keychain, `pawkeyd token` works from any terminal too.
private=0
[ ${#in_keyring[@]} -gt 0 ] && private=1
exec "${in_keyring[@]}" bash -c '
  set -u
  bin=target/debug/pawkeyd
  port=$1 private=$2
  hdr_dir=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-run.XXXXXX") || exit 1
  hdr=$hdr_dir/authorization
  "$bin" serve & pid=$!
  trap "kill -TERM $pid 2>/dev/null; wait $pid; rm -rf \"$hdr_dir\"" INT TERM
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { wait $pid; status=$?; rm -rf "$hdr_dir"; exit $status; }
    sleep 0.05
  done
  (umask 077 && "$bin" master show | sed "s/^/Authorization: Bearer /" >"$hdr") ||
    { kill -TERM $pid; wait $pid; rm -rf "$hdr_dir"; exit 1; }
  echo
  echo "PawKey is running at http://localhost:$port (Ctrl+C stops it). Mint a session token:"
  echo
  echo "  curl -X POST http://localhost:$port/api/auth/session -H @$hdr"
  echo
  echo "($hdr holds the master token for curl, so it is on no command line; only you can read"
  echo "it, and it is removed when PawKey stops.)"
  if [ "$private" = 0 ]; then
    echo "Or, from any terminal: pawkeyd token (here: $bin token)"
  fi
  echo
  wait $pid
  status=$?
  rm -rf "$hdr_dir"
  exit $status
' run "$port" "$private"
