#!/usr/bin/env bash
# `make run`: checks Rust, installs missing system packages, builds PawKey and starts it.
# - With a display ($DISPLAY or $WAYLAND_DISPLAY) and the desktop crate present: the
#   desktop app `pawkey`.
# - Otherwise: the headless server `pawkeyd serve`, printing ready-to-paste lines to mint
#   (none puts the master token on a command line, where other users could read it).
# Without a session D-Bus (a bare root shell, a container), PawKey runs inside a private
# D-Bus session with a temporary, unlocked gnome-keyring (scripts/with-keyring.sh): the
# master token then lasts for this run only; PawKey's config and audit log stay in the
# usual places (~/.config/pawkey, ~/.local/share/pawkey).
# Either way the run writes a small file for other terminals, ~/.cache/pawkey/run.env
# (PAWKEY_RUN_ENV=PATH for another place; mode 0600 in a 0700 directory, removed when the run
# stops): `. ~/.cache/pawkey/run.env` puts this build's pawkeyd (and pawkey) first on PATH,
# sets PAWKEY_PORT when PORT was given and, in the private mode, joins this run's D-Bus
# session, so `pawkeyd token` reaches the same keychain. It holds no secret.
# Set PORT=N to use another port than 8000.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# ---- inside the session (private or the user's) --------------------------------------
# run.sh --inside desktop|headless PORT RUN-ENV BIN-DIR private|shared
if [ "${1:-}" = --inside ]; then
  mode=$2 port=$3 run_env=$4 bin_dir=$5 keyring=$6
  # ~ for the home directory, as a person types it (and as the README writes it).
  shown_env=$run_env
  # shellcheck disable=SC2088 # (a literal ~, for the person to type)
  case "$run_env" in "$HOME"/*) shown_env="~/${run_env#"$HOME"/}" ;; esac
  marker="# PawKey run $$ $(date +%s%N)"

  # One shell word, single-quoted for sh, bash, zsh and dash.
  sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
  env_dir=$(dirname "$run_env")
  mkdir -p "$env_dir"
  chmod 700 "$env_dir"
  tmp_env=$(mktemp "$env_dir/.run.env.XXXXXX") # mode 0600
  {
    echo "$marker"
    echo "# Written by PawKey's make run; removed when it stops. Source it: . $shown_env"
    echo "PATH=$(sq "$bin_dir"):\"\$PATH\"; export PATH"
    # The port of this run (PORT=N), so `pawkeyd status` and the commands that reach the
    # running PawKey look where it listens.
    if [ -n "${PAWKEY_PORT:-}" ]; then
      echo "PAWKEY_PORT=$(sq "$PAWKEY_PORT"); export PAWKEY_PORT"
    fi
    if [ "$keyring" = private ]; then
      echo "DBUS_SESSION_BUS_ADDRESS=$(sq "$DBUS_SESSION_BUS_ADDRESS"); export DBUS_SESSION_BUS_ADDRESS"
    fi
  } >"$tmp_env"
  mv -f "$tmp_env" "$run_env"
  # Removed at the end only while it is still this run's (a later run may have replaced it).
  remove_run_env() {
    if [ "$(head -n1 "$run_env" 2>/dev/null)" = "$marker" ]; then rm -f "$run_env"; fi
  }

  if [ "$keyring" = private ]; then
    keychain_note="(pawkeyd on PATH, and this run's private D-Bus session with its temporary keyring)"
  else
    keychain_note="(this build's pawkeyd on PATH; your own keychain works without it too)"
  fi

  if [ "$mode" = desktop ]; then
    echo "Starting the PawKey window. From another terminal: . $shown_env $keychain_note, then pawkeyd status"
    status=0
    "$bin_dir/pawkey" || status=$?
    remove_run_env
    exit "$status"
  fi

  # Headless: start the server, wait until it answers, then print how to mint. The master
  # token goes into no command line: the curl line reads the header from a file that only
  # this user can read (mode 0600 in a 0700 directory), removed when the server stops.
  hdr_dir=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-run.XXXXXX")
  hdr=$hdr_dir/authorization
  cleanup() { rm -rf "$hdr_dir"; remove_run_env; }
  "$bin_dir/pawkeyd" serve &
  pid=$!
  stopping=""
  trap 'stopping=1; kill -TERM $pid 2>/dev/null || true' INT TERM
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" || status=$?
      cleanup
      exit "$status"
    fi
    sleep 0.05
  done
  if ! (umask 077 && "$bin_dir/pawkeyd" master show | sed "s/^/Authorization: Bearer /" >"$hdr"); then
    kill -TERM "$pid"
    wait "$pid" || true
    cleanup
    exit 1
  fi
  url=http://localhost:$port/api/auth/session
  cat <<EOF

PawKey is running at http://localhost:$port (Ctrl+C stops it).
From another terminal, first:
    . $shown_env
$keychain_note, then:
    pawkeyd status
    pawkeyd token | pawkeyd verify -
    pawkeyd master show | sed 's/^/Authorization: Bearer /' | curl -fsS -X POST $url -H @-
    pawkeyd sessions
Or, without that file, mint over HTTP with the master token from a file only you can read
(removed when PawKey stops):
    curl -fsS -X POST $url -H @$hdr

EOF
  status=0
  wait "$pid" || status=$?
  # Ctrl+C interrupts that wait: wait again for the server's graceful exit and its status.
  if [ -n "$stopping" ]; then
    status=0
    wait "$pid" || status=$?
  fi
  cleanup
  exit "$status"
fi

# ---- outside: check, install, build, then start inside the right session -------------
require_rust # (building needs no rustfmt or clippy)
scripts/install.sh deps-build

if [ -n "${PORT:-}" ]; then export PAWKEY_PORT="$PORT"; fi
port=${PAWKEY_PORT:-8000}

mode=headless
if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -f src-tauri/Cargo.toml ]; then
  mode=desktop
fi

if [ "$mode" = desktop ]; then
  cargo build --workspace --bins
else
  cargo build -p pawkey-core --bins
fi
mkdir -p "$pawkey_target"
bin_dir=$(cd "$pawkey_target/debug" && pwd)
run_env=${PAWKEY_RUN_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pawkey/run.env}

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ "${PAWKEY_IN_KEYRING_SESSION:-}" != 1 ]; then
  echo "No session D-Bus: starting a private one with a temporary gnome-keyring (the master token lasts for this run)."
  # The keyring's files go to a temporary directory; PawKey keeps the usual data directory.
  PAWKEY_KEYRING_KEEP_XDG=1 exec scripts/with-keyring.sh scripts/run.sh --inside "$mode" "$port" "$run_env" "$bin_dir" private
fi
exec scripts/run.sh --inside "$mode" "$port" "$run_env" "$bin_dir" shared
