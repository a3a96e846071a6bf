#!/usr/bin/env bash
# Installs tauri-cli 2 from crates.io (for `make dist`), only if missing.
set -euo pipefail
if command -v cargo-tauri >/dev/null 2>&1 && cargo-tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.'; then
  exit 0
fi
echo "Installing tauri-cli 2 from crates.io (a few minutes, once)..."
cargo install tauri-cli --version '^2' --locked
