#!/usr/bin/env bash
# Installs what the desktop end-to-end tests need beyond the Debian packages
# (scripts/install-deps.sh brings WebKitWebDriver, Xvfb, xclip and xdotool):
# tauri-driver, the WebDriver proxy for Tauri apps. Idempotent: skipped when present.
set -euo pipefail

if command -v tauri-driver >/dev/null 2>&1 || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  exit 0
fi
echo "Installing tauri-driver (cargo install, about 30 s)"
cargo install tauri-driver --locked --version '^2'
