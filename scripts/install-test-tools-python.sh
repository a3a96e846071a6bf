#!/usr/bin/env bash
# Installs the Python client the integration tests drive PawKey with (the seed's
# `requests` examples): a virtualenv at target/test-venv holding `requests`.
# Idempotent: does nothing when the venv already imports requests. Run by scripts/test.sh;
# core/tests/foreign_clients.rs also runs it when the venv is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/test-venv
python=${PYTHON:-python3}

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import requests' 2>/dev/null; then
  exit 0
fi

command -v "$python" >/dev/null || { echo "error: $python not found: run scripts/install-deps.sh" >&2; exit 1; }
rm -rf "$venv"
mkdir -p target
"$python" -m venv "$venv" || { echo "error: cannot create $venv: install python3-venv (scripts/install-deps.sh)" >&2; exit 1; }
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'requests>=2.31,<3'
"$venv/bin/python" -c 'import requests; print("test venv ready: requests", requests.__version__)'
