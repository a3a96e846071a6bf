#!/usr/bin/env bash
# `make dist-windows`: the per-user Windows installer, built offline with NSIS (makensis)
# from packaging/windows/pawkey.nsi and the release build `make windows` makes:
# target/windows/bundle/PawKey_<version>_x64-setup.exe with pawkey.exe, pawkeyd.exe and
# WebView2Loader.dll. Nothing of the Wine test harness (the bcryptprimitives.dll shim) goes
# in. PAWKEY_WINDOWS_SKIP_BUILD=1 packs target/windows as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-$PWD/target}
if [ "${PAWKEY_WINDOWS_SKIP_BUILD:-}" = 1 ]; then
  scripts/install.sh windows
else
  scripts/build-windows.sh
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=$target/windows/bundle/PawKey_${version}_x64-setup.exe
mkdir -p "$(dirname "$out")"
rm -f "$out"
makensis -V2 -WX -DVERSION="$version" -DSRCDIR="$target/windows" -DOUTFILE="$out" \
  -DICON="$PWD/icons/icon.ico" packaging/windows/pawkey.nsi
[ -f "$out" ] || { echo "error: makensis made no $out" >&2; exit 1; }
echo "Windows installer:"
ls -l "$out"
