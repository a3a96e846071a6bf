#!/usr/bin/env bash
# `make dist-test-windows`: the installer `make dist-windows` made, in a fresh Wine prefix
# (scripts/wine.sh): installs it silently (/S /AUTOSTART=1), checks the files, the
# Start-menu entry, the login entry, the user's PATH and the Apps entry; runs the installed
# pawkeyd.exe (found on PATH) to store a master, serve, mint and verify a token; then
# uninstalls silently and checks that all of it is gone but the keychain entry, which stays
# (as on Linux; README.md "Uninstall").
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=scripts/wine.sh
. scripts/wine.sh

target=${CARGO_TARGET_DIR:-$PWD/target}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
setup=$target/windows/bundle/PawKey_${version}_x64-setup.exe
[ -f "$setup" ] || { echo "error: $setup missing: run make dist-windows first" >&2; exit 1; }
passed=0
failures=()
server_pid=""
work=$(mktemp -d)
finish() {
  local status=$?
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  wine_prefix_end
  rm -rf "$work"
  exit $status
}
trap finish EXIT
export NO_COLOR=1

section "a fresh Wine prefix"
t0=$SECONDS
wine_prefix_new
echo "    $WINEPREFIX ($((SECONDS - t0)) s)"
wine_env() { wine cmd /c "echo %$1%" 2>/dev/null | tr -d '\r'; }
unix() { local p; p=$(winepath -u "$1" 2>/dev/null); echo "${p%/}"; }
reg_value() { # KEY VALUE: the data of a registry value, empty when absent
  { wine reg query "$1" /v "$2" 2>/dev/null || true; } | tr -d '\r' |
    awk -v v="$2" '$1 == v { $1 = ""; $2 = ""; sub(/^  /, ""); print }'
}
local_app_data=$(wine_env LOCALAPPDATA)
app_data=$(wine_env APPDATA)
install_dir="$local_app_data\\Programs\\PawKey"
install_unix=$(unix "$install_dir")
start_menu_link=$(unix "$app_data")/Microsoft/Windows/Start\ Menu/Programs/PawKey.lnk
uninstall_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\PawKey'
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'

section "silent install: $setup /S /AUTOSTART=1"
t0=$SECONDS
code=0
wine "$setup" /S /AUTOSTART=1 || code=$?
wineserver -w
check "the installer exits 0 ($((SECONDS - t0)) s)" test "$code" = 0
for f in pawkey.exe pawkeyd.exe WebView2Loader.dll uninstall.exe; do
  check "$install_dir\\$f installed" test -f "$install_unix/$f"
done
check "the Wine shim is not installed" test ! -e "$install_unix/bcryptprimitives.dll"
check "the Start-menu entry (PawKey.lnk)" test -f "$start_menu_link"
check "the login entry runs pawkey.exe --hidden" \
  test "$(reg_value "$run_key" PawKey)" = "\"$install_dir\\pawkey.exe\" --hidden"
check "the Apps entry with a quiet uninstaller" \
  test "$(reg_value "$uninstall_key" QuietUninstallString)" = "\"$install_dir\\uninstall.exe\" /S"
check "the user's PATH holds the install folder" \
  grep -qiF -- "$install_dir" <<<"$(reg_value 'HKCU\Environment' Path)"

section "the installed pawkeyd (found on PATH): store a master, serve, mint, verify"
# cmd's own PATH search (Wine 8 has no where.exe): the first pawkeyd.exe on PATH.
# Asked up to three times: right after the installer, Wine once failed to start cmd itself
# ("Application could not be started") under load; a real miss answers the same each time.
where=""
for _ in 1 2 3; do
  # shellcheck disable=SC2016 # ($PATH is cmd's, not the shell's)
  where=$(wine cmd /c 'for %i in (pawkeyd.exe) do @echo %~$PATH:i' 2>/dev/null | tr -d '\r' | head -1 || true)
  [ "${where,,}" = "${install_dir,,}\\pawkeyd.exe" ] && break
  sleep 1
done
check "a new console finds the installed pawkeyd.exe on PATH ($where)" \
  test "${where,,}" = "${install_dir,,}\\pawkeyd.exe"
version_out=$(wine cmd /c "pawkeyd --version" 2>/dev/null | tr -d '\r' || true)
check "pawkeyd --version in a console: $version_out" test "$version_out" = "pawkeyd $version"
master=$(cat /proc/sys/kernel/random/uuid)
code=0
printf '%s\n' "$master" | wine cmd /c "pawkeyd master import" >/dev/null 2>&1 || code=$?
check "pawkeyd master import (stdin) exits 0" test "$code" = 0
port=$(free_port)
PAWKEY_PORT=$port wine "$install_unix/pawkeyd.exe" serve >/dev/null 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 300); do
  grep -q "listening on http://127.0.0.1:$port" "$work/serve.err" && break
  sleep 0.1
done
check "pawkeyd serve listens on 127.0.0.1:$port" grep -q "listening on http://127.0.0.1:$port" "$work/serve.err"
status=$(curl_bearer "$master" -s -o "$work/mint.json" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/json' "http://127.0.0.1:$port/api/auth/session" || echo 000)
check "POST /api/auth/session answers 200" test "$status" = 200
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_token"])' "$work/mint.json" 2>/dev/null || true)
check "  with a session token" grep -Eq '^session:[0-9]+:[0-9a-f]{64}$' <<<"$token"
status=$(curl_bearer "$token" -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/auth/verify" || echo 000)
check "the token verifies over HTTP (200)" test "$status" = 200
verdict=$(printf '%s\n' "$token" | wine "$install_unix/pawkeyd.exe" verify - 2>/dev/null | tr -d '\r' || true)
check "pawkeyd verify - says valid" grep -q '^valid' <<<"$verdict"
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""

section "silent uninstall"
t0=$SECONDS
code=0
wine "$install_unix/uninstall.exe" /S || code=$?
# The uninstaller runs from a copy in %TEMP%: wait for every process in the prefix.
wineserver -w
check "the uninstaller exits 0 ($((SECONDS - t0)) s)" test "$code" = 0
check "the program folder is gone" test ! -e "$install_unix"
check "the Start-menu entry is gone" test ! -e "$start_menu_link"
check "the login entry is gone" test -z "$(reg_value "$run_key" PawKey)"
check "the Apps entry is gone" test -z "$(reg_value "$uninstall_key" DisplayName)"
path_lacks_install_dir() { ! grep -qiF -- "$install_dir" <<<"$(reg_value 'HKCU\Environment' Path)"; }
check "the install folder is off the user's PATH" path_lacks_install_dir
kept=$(wine "$target/windows/pawkeyd.exe" master show 2>/dev/null | tr -d '\r' || true)
check "the master stays in the Credential Manager" test "$kept" = "$master"

printf '\ninstaller under Wine: %d passed, %d failed\n' "$passed" "${#failures[@]}"
[ ${#failures[@]} -eq 0 ]
