#!/usr/bin/env bash
# `make windows`: release builds of pawkeyd.exe (the console CLI and server) and pawkey.exe
# (the desktop app) for x86_64-pc-windows-gnu, linked with Debian's mingw-w64, gathered
# with WebView2Loader.dll (which pawkey.exe loads at start) into target/windows/.
# Installs what it needs first (scripts/install.sh windows). The linker is set here, in
# the environment, so no .cargo/config changes anyone else's builds.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh windows
target=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc

t0=$SECONDS
cargo build --release --locked --target x86_64-pc-windows-gnu \
  -p pawkey-core -p pawkey --bin pawkeyd --bin pawkey
built=$target/x86_64-pc-windows-gnu/release
out=$target/windows
mkdir -p "$out"
for f in pawkey.exe pawkeyd.exe WebView2Loader.dll; do
  [ -f "$built/$f" ] || { echo "error: the build made no $built/$f" >&2; exit 1; }
  cp "$built/$f" "$out/$f"
done
# pawkeyd.exe is a console program (it prints, reads stdin, sets exit codes); pawkey.exe a
# GUI one (no console window opens with the app). PE optional header: Subsystem 3 / 2.
subsystem() { x86_64-w64-mingw32-objdump -p "$1" | awk '/^Subsystem/ {print $2}'; }
[ "$(subsystem "$out/pawkeyd.exe")" = 00000003 ] || { echo "error: pawkeyd.exe is not a console program" >&2; exit 1; }
[ "$(subsystem "$out/pawkey.exe")" = 00000002 ] || { echo "error: pawkey.exe is not a GUI program" >&2; exit 1; }
echo "Windows build in $((SECONDS - t0)) s, in $out:"
ls -l "$out"
