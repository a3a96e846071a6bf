#!/usr/bin/env bash
# Compatibility wrapper: use `scripts/install.sh python`. Kept only because
# core/tests/foreign_clients.rs runs it when target/test-venv is missing; delete it once
# that test runs `scripts/install.sh python`.
set -euo pipefail
exec "$(dirname "$0")/install.sh" python
