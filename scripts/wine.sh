# shellcheck shell=bash
# The Wine test harness (source it; it runs nothing by itself): a fresh Wine prefix per
# run with the bcryptprimitives.dll shim (tools/wine-shim) in its system32, and its end
# (wineserver -k, prefix removed). Used by scripts/test-windows.sh and
# scripts/dist-test-windows.sh; scripts/wine-runner.sh runs programs in the prefix.
# Callers have `set -euo pipefail` and have cd'ed to the repository root.

wine_target=${CARGO_TARGET_DIR:-$PWD/target}
wine_shim=$wine_target/wine-shim/bcryptprimitives.dll

# Wine quiet, and no offer to download Mono or Gecko into a fresh prefix (no .NET or
# HTML engine is needed: PawKey uses neither).
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}

# Builds the shim DLL when it is missing or older than its sources.
wine_build_shim() {
  local src=tools/wine-shim/bcryptprimitives.c def=tools/wine-shim/bcryptprimitives.def
  if [ -f "$wine_shim" ] && [ "$wine_shim" -nt "$src" ] && [ "$wine_shim" -nt "$def" ]; then
    return 0
  fi
  mkdir -p "$(dirname "$wine_shim")"
  x86_64-w64-mingw32-gcc -O2 -shared -o "$wine_shim" "$src" "$def" -ladvapi32
}

# wine_prefix_new: exports WINEPREFIX as a new, initialised 64-bit prefix holding the shim
# (about 10 s the first time on this machine kind).
wine_prefix_new() {
  wine_build_shim
  WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-wine.XXXXXX")
  export WINEPREFIX WINEARCH=win64
  wineboot -i >/dev/null 2>&1 || true
  wineserver -w
  local sys32=$WINEPREFIX/drive_c/windows/system32
  [ -d "$sys32" ] || { echo "error: wineboot made no $sys32" >&2; return 1; }
  cp "$wine_shim" "$sys32/bcryptprimitives.dll"
}

# wine_prefix_end: stops everything running in the prefix and removes it.
wine_prefix_end() {
  [ -n "${WINEPREFIX:-}" ] || return 0
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  rm -rf "$WINEPREFIX"
  unset WINEPREFIX
}

# wine_path FILE: the Windows path of a Linux path (Z:\...).
wine_path() { winepath -w "$1" 2>/dev/null; }

# wine_unix_path 'C:\...': the Linux path of a Windows path in the prefix.
wine_unix_path() { winepath -u "$1" 2>/dev/null; }
