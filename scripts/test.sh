#!/usr/bin/env bash
# `make test`: installs what the tests need, then runs the format check, clippy with
# warnings as errors, and every test. Tests that touch the keychain run inside a private
# D-Bus session with a real, unlocked gnome-keyring (scripts/with-keyring.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
scripts/install-deps.sh all
for extra in scripts/install-test-tools-*.sh; do
  [ -x "$extra" ] || continue
  step "test tools: $extra"
  "$extra"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --all-targets --locked

step "tests (real gnome-keyring in a private D-Bus session, X display from Xvfb)"
xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh \
  cargo test --workspace --locked --no-fail-fast

for extra in scripts/test-extra-*.sh; do
  [ -x "$extra" ] || continue
  step "extra: $extra"
  "$extra"
done

step "all tests passed"
