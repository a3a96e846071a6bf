#!/usr/bin/env bash
# `make test`: checks Rust (1.85 or newer with rustfmt and clippy), installs what the tests
# need (scripts/install.sh test), then the format check, clippy with warnings as errors, the
# build, every Rust test (unit, integration, desktop end-to-end under Xvfb; keychain tests
# against a real gnome-keyring in a private D-Bus session, scripts/with-keyring.sh), the
# PocketPaw interop test (scripts/test-extra-pocketpaw.sh), and what a newcomer types in the
# first five minutes (scripts/test-first-run.sh: headless `make run` with no session D-Bus,
# then every command its banner and the README's quick start show, from another shell).
# Each step prints how long it took, and a summary of all steps is printed at the end. The
# heavy proofs (fuzzing, schemathesis, 1M-request load, fault checks) are `make prove`
# (scripts/prove.sh), not here.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
require_rust fmt clippy

report() {
  local status=$?
  print_step_times "make test"
  exit $status
}
trap report EXIT

step "install: Debian packages, axe-core, Python test venv, PocketPaw venv" \
  scripts/install.sh test
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings
step "macOS/Windows dependency trees (scripts/check-targets.sh)" scripts/check-targets.sh
step "cargo check of pawkey-core for macOS (scripts/check-macos.sh --core)" scripts/check-macos.sh --core
step "build" cargo build --workspace --all-targets --locked
step "cargo test: unit, integration, desktop end-to-end (Xvfb, real gnome-keyring)" \
  xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh \
  cargo test --workspace --locked --no-fail-fast
step "PocketPaw interop (scripts/test-extra-pocketpaw.sh)" scripts/test-extra-pocketpaw.sh
step "first run: make run, then its banner and the README quick start from another shell (scripts/test-first-run.sh)" \
  scripts/test-first-run.sh

printf '\n==> all tests passed\n'
