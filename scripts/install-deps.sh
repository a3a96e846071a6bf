#!/usr/bin/env bash
# Compatibility wrapper: use `scripts/install.sh deps-build|deps-test`. Kept only because
# scripts/run.sh and scripts/bench.sh still call it; delete it once they call install.sh.
set -euo pipefail
case "${1:-all}" in
  build) exec "$(dirname "$0")/install.sh" deps-build ;;
  test | all) exec "$(dirname "$0")/install.sh" deps-test ;;
  *) echo "usage: $0 [build|test|all]  (now: scripts/install.sh deps-build|deps-test)" >&2; exit 2 ;;
esac
