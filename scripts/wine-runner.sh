#!/usr/bin/env bash
# Cargo's runner for x86_64-pc-windows-gnu (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER, set
# by scripts/test-windows.sh): runs the test exe under Wine in the prefix scripts/wine.sh
# made (WINEPREFIX, with the bcryptprimitives.dll shim in its system32). Programs the test
# starts (pawkeyd.exe) run as Windows child processes in the same Wine.
set -euo pipefail
if [ -z "${WINEPREFIX:-}" ] || [ ! -d "$WINEPREFIX/drive_c" ]; then
  echo "wine-runner: WINEPREFIX is not a Wine prefix (run through make test-windows)" >&2
  exit 2
fi
export WINEDEBUG=${WINEDEBUG:--all}
exec wine "$@"
