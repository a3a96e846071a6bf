#!/usr/bin/env bash
# `make test-windows`: PawKey on Windows, under Wine, in a fresh Wine prefix
# (scripts/wine.sh: the bcryptprimitives.dll shim in its system32; wineserver -k at the end).
#   1. The core's test suites (unit and integration) built for x86_64-pc-windows-gnu and run
#      by cargo with Wine as the runner (scripts/wine-runner.sh); the keychain tests use the
#      Windows Credential Manager store (Wine's). Prints how many ran, and which of the
#      Linux tests were ignored or compiled out on Windows (each says why in its source).
#   2. A black-box suite against the release pawkeyd.exe under Wine, driven from Linux over
#      127.0.0.1 (scripts/test-windows-blackbox.py).
#   3. The release pawkey.exe --hidden under Wine and Xvfb (scripts/test-windows-desktop.sh).
# Builds what it needs (`make windows`, the Windows test build, the Linux test list) and
# installs what it needs (scripts/install.sh windows). Steps 2 and 3 take the release
# build from target/windows; PAWKEY_WINDOWS_SKIP_BUILD=1 uses it as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

report() {
  local status=$?
  wine_prefix_end
  print_step_times "make test-windows"
  exit $status
}

scripts/install.sh windows
# shellcheck source=scripts/wine.sh
. scripts/wine.sh
trap report EXIT
target=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$PWD/scripts/wine-runner.sh
logs=$target/test-windows
mkdir -p "$logs"

# test_executables JSON-FILE: "<target kind>/<target name> <exe>" for each of pawkey-core's
# test executables in cargo's --message-format=json output.
test_executables() {
  python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") \
            and m.get("executable") and "#pawkey-core@" in m["package_id"]:
        t = m["target"]
        print(f"{t['kind'][0]}/{t['name']} {m['executable']}")
PY
}

# list_tests JSON-FILE [RUNNER]: "<kind>/<target>::<test>" for every test those
# executables hold (libtest --list), sorted.
list_tests() {
  local json=$1 runner=${2:-} name exe
  test_executables "$json" | while read -r name exe; do
    # shellcheck disable=SC2086 # (RUNNER is one word or none)
    $runner "$exe" --list --format terse </dev/null | sed -n "s|^\(.*\): test\$|$name::\1|p"
  done | sort
}

core_tests_on_windows() {
  cargo test --locked --target x86_64-pc-windows-gnu -p pawkey-core --no-run \
    --message-format=json-render-diagnostics >"$logs/windows-build.json"
  list_tests "$logs/windows-build.json" scripts/wine-runner.sh >"$logs/windows-list.txt"
  local status=0
  cargo test --locked --target x86_64-pc-windows-gnu -p pawkey-core --no-fail-fast \
    2>&1 | tee "$logs/windows-run.log" || status=$?
  # The same suites on Linux, to name what Windows leaves out.
  cargo test --locked -p pawkey-core --no-run \
    --message-format=json-render-diagnostics >"$logs/linux-build.json"
  list_tests "$logs/linux-build.json" >"$logs/linux-list.txt"

  local linux compiled_out passed failed ignored
  linux=$(wc -l <"$logs/linux-list.txt")
  compiled_out=$(comm -23 "$logs/linux-list.txt" "$logs/windows-list.txt" | wc -l)
  read -r passed failed ignored < <(awk '/^test result:/ {
      for (i = 1; i <= NF; i++) {
        if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i
      } } END { print p+0, f+0, g+0 }' "$logs/windows-run.log")
  printf '\n==> the core on Windows (Wine): %d ran (%d passed, %d failed); left out: %d ignored on Windows, %d compiled out; Linux has %d\n' \
    $((passed + failed)) "$passed" "$failed" "$ignored" "$compiled_out" "$linux"
  echo "    ignored on Windows (the reason is in the test's attribute):"
  grep -E '^test .* \.\.\. ignored' "$logs/windows-run.log" | sed 's/^test /      /' || true
  echo "    compiled out on Windows (cfg(unix) or cfg(target_os = \"linux\") in the source):"
  comm -23 "$logs/linux-list.txt" "$logs/windows-list.txt" | sed 's/^/      /'
  if [ -n "$(comm -13 "$logs/linux-list.txt" "$logs/windows-list.txt")" ]; then
    echo "    Windows-only tests:"
    comm -13 "$logs/linux-list.txt" "$logs/windows-list.txt" | sed 's/^/      /'
  fi
  [ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

[ "${PAWKEY_WINDOWS_SKIP_BUILD:-}" = 1 ] || step "make windows (release pawkeyd.exe, pawkey.exe)" scripts/build-windows.sh
step "a fresh Wine prefix with the bcryptprimitives.dll shim" wine_prefix_new
step "the core's tests built for Windows, run under Wine" core_tests_on_windows
step "black-box: pawkeyd.exe serve under Wine, driven from Linux" \
  /usr/bin/python3 scripts/test-windows-blackbox.py "$target/windows/pawkeyd.exe"
step "desktop: pawkey.exe --hidden under Wine and Xvfb" \
  scripts/test-windows-desktop.sh "$target/windows"
printf '\n==> all Windows tests passed\n'
