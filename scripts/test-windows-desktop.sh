#!/usr/bin/env bash
# The release pawkey.exe under Wine, in the prefix scripts/test-windows.sh made (a master
# already in its Credential Manager), on a private Xvfb display:
#   - `pawkey.exe --hidden` starts its server and tray without a webview and the seed
#     request answers; its log file lands in %LOCALAPPDATA%\pawkey\logs;
#   - a second `pawkey.exe` hands over to the first and exits at once; the first then starts
#     its window process (`pawkey.exe --window-process`), which with no WebView2 under Wine
#     shows a box and logs what to install, while the first's server keeps serving.
# Usage: scripts/test-windows-desktop.sh DIR (with pawkey.exe, pawkeyd.exe, WebView2Loader.dll)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
[ -n "${WINEPREFIX:-}" ] || { echo "error: no WINEPREFIX: run through scripts/test-windows.sh" >&2; exit 2; }
if [ -z "${PAWKEY_XVFB:-}" ]; then
  PAWKEY_XVFB=1 exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
export WINEDEBUG=-all NO_COLOR=1
passed=0
failures=()

port=$(free_port)
export PAWKEY_PORT=$port
work=$(mktemp -d)
first_pid=""
cleanup() {
  [ -z "$first_pid" ] || kill "$first_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Wine programs started without a display (the tests before this one) leave a Wine session
# whose desktop has no display; a GUI program started into it cannot subclass its windows
# (tao panics: "assertion failed: subclass_result.as_bool()", event_loop.rs:709). Real
# Windows has no such state: start a new session, on this display.
wineserver -k 2>/dev/null || true
wineserver -w
master=$(wine "$dir/pawkeyd.exe" master show | tr -d '\r')
[ -n "$master" ] || { echo "error: no master in the prefix's Credential Manager" >&2; exit 1; }
mint_status() { # MASTER: the status of a mint
  curl_bearer "$1" -s -o "$work/mint.json" -w '%{http_code}' -X POST \
    "http://127.0.0.1:$port/api/auth/session" || echo 000
}
health() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health" || true; }
windows_named() { xwininfo -root -tree 2>/dev/null | grep -c "\"$1\"" || true; }

section "pawkey.exe --hidden: server and tray, no webview"
t0=$(date +%s%N)
wine "$dir/pawkey.exe" --hidden >"$work/first.out" 2>"$work/first.err" &
first_pid=$!
for _ in $(seq 600); do
  [ "$(health)" = 200 ] && break
  kill -0 "$first_pid" 2>/dev/null || break
  sleep 0.1
done
check "the server answers /api/health ($(( ($(date +%s%N) - t0) / 1000000 )) ms after start)" \
  test "$(health)" = 200
check "the seed request (POST /api/auth/session, Bearer master) answers 200" \
  test "$(mint_status "$master")" = 200
check "  with a session token" grep -Eq '"session_token":"session:[0-9]+:[0-9a-f]{64}"' "$work/mint.json"
check "a wrong master gets 401" test "$(mint_status "$(cat /proc/sys/kernel/random/uuid)")" = 401
check "no window was opened (--hidden)" test "$(windows_named PawKey)" = 0
local_app_data=$(wine cmd /c 'echo %LOCALAPPDATA%' 2>/dev/null | tr -d '\r')
log_dir=$(winepath -u "$local_app_data" 2>/dev/null)
log_dir=${log_dir%/}/pawkey/logs
log_file=$(find "$log_dir" -name 'pawkey.*.log' 2>/dev/null | head -1 || true)
check "its log file is in %LOCALAPPDATA%\\pawkey\\logs ($log_dir)" test -n "$log_file"
check "  it says PawKey started hidden in the tray" grep -q "started hidden in the tray" "${log_file:-/dev/null}"
no_tray_warning() { ! grep -q 'no tray icon' "${log_file:-/dev/null}" "$work/first.err"; }
check "the tray icon was made (no 'no tray icon' warning)" no_tray_warning

section "a second pawkey.exe hands over and exits; no WebView2: a box and a log line"
t0=$SECONDS
code=0
timeout 60 wine "$dir/pawkey.exe" >"$work/second.out" 2>"$work/second.err" || code=$?
check "the second launch exits 0 within 60 s (exit $code after $((SECONDS - t0)) s)" test "$code" = 0
for _ in $(seq 100); do
  grep -q "WebView2 Runtime" "${log_file:-/dev/null}" && break
  sleep 0.1
done
check "the first logs what to install (the WebView2 Runtime and its link)" \
  grep -q "install the Microsoft Edge WebView2 Runtime from https://go.microsoft.com/fwlink/p/?LinkId=2124703" "${log_file:-/dev/null}"
for _ in $(seq 50); do
  [ "$(windows_named Error)" -ge 1 ] && break
  sleep 0.1
done
check "Tauri's 'Could not find the WebView2 Runtime' box is on screen" test "$(windows_named Error)" -ge 1
window_process() { pgrep -f -- 'pawkey.exe --window-process' >/dev/null; }
check "the window is a process of its own (pawkey.exe --window-process), started by the first" window_process
check "the first is still running" kill -0 "$first_pid"
check "its server still mints (200) while the box is open" test "$(mint_status "$master")" = 200
# The master as a pattern file, not an argument.
no_master_in_log() { ! grep -qF -f <(printf '%s\n' "$master") "${log_file:-/dev/null}"; }
check "no master in the log file" no_master_in_log

echo "    (the log: $log_file)"
sed 's/^/      /' "${log_file:-/dev/null}" | tail -n 12

if [ ${#failures[@]} -gt 0 ]; then
  for f in first.err second.err; do
    echo "    ($f, the last lines)"
    tail -n 15 "$work/$f" | sed 's/^/      /'
  done
fi
printf '\npawkey.exe under Wine: %d passed, %d failed\n' "$passed" "${#failures[@]}"
[ ${#failures[@]} -eq 0 ]
