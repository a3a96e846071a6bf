#!/usr/bin/env bash
# Installs what scripts/test-extra-prove.sh needs (run by `make test` before the tests):
# cargo-fuzz (crates.io) and schemathesis in a virtual environment under target/ (PyPI).
# Idempotent: a tool already present is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
venv=${CARGO_TARGET_DIR:-target}/prove/venv-schemathesis

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "Installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked --quiet
fi

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "Installing schemathesis $SCHEMATHESIS_VERSION into $venv (PyPI)"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
