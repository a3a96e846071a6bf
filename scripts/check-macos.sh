#!/usr/bin/env bash
# `cargo check` of PawKey for macOS (aarch64-apple-darwin and x86_64-apple-darwin) on this
# Linux machine: every Rust line of the workspace, tests included, type-checked for macOS.
#
# Two dependencies of the desktop crate compile Objective-C in their build scripts, which
# needs Apple's clang and the macOS SDK (not available here): objc2-exception-helper
# (through tao/wry's objc2) and mac-notification-sys (tauri-plugin-notification ->
# notify-rust). For the check their C/Objective-C is replaced by an empty object and an
# empty archive (a stub compiler that names what it skipped, and a stub archiver); nothing
# is linked, so nothing built here could run.
# `--core` checks pawkey-core and tools/prove only, which need no stub (`make test`).
#
# Usage: scripts/check-macos.sh [--core]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh cross
target=${CARGO_TARGET_DIR:-$PWD/target}
stub_dir=$target/macos-check
stub=$stub_dir/cc-stub
skipped=$stub_dir/skipped.txt
mkdir -p "$stub_dir"
# The stub: writes an empty file where the object (-o) should go and records the crate.
cat >"$stub" <<'STUB'
#!/bin/sh
out=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift ;; -o*) out=${1#-o} ;; esac
  shift
done
echo "${CARGO_PKG_NAME:-?}" >>"$PAWKEY_STUB_LOG"
[ -z "$out" ] || : >"$out"
STUB
# And its archiver: an empty archive where cc-rs asks for one (`ar cq LIB.a OBJ...`).
cat >"$stub_dir/ar-stub" <<'STUB'
#!/bin/sh
for a in "$@"; do
  case "$a" in *.a) [ -s "$a" ] || printf '!<arch>\n' >"$a" ;; esac
done
STUB
chmod +x "$stub" "$stub_dir/ar-stub"
: >"$skipped"

scope=(--workspace)
[ "${1:-}" != --core ] || scope=(-p pawkey-core -p pawkey-prove)
status=0
for t in aarch64-apple-darwin x86_64-apple-darwin; do
  t0=$SECONDS
  var=${t//-/_}
  if env "CC_$var=$stub" "AR_$var=$stub_dir/ar-stub" PAWKEY_STUB_LOG="$skipped" \
    cargo check --locked "${scope[@]}" --all-targets --target "$t" --quiet; then
    echo "check-macos: ${scope[*]} checks for $t ($((SECONDS - t0)) s)"
  else
    echo "check-macos: cargo check failed for $t" >&2
    status=1
  fi
done
if [ -s "$skipped" ]; then
  echo "check-macos: Objective-C not compiled (needs Apple clang and the macOS SDK): $(sort -u "$skipped" | paste -sd, | sed 's/,/, /g')"
fi
exit $status
