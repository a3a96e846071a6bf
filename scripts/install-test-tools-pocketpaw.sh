#!/usr/bin/env bash
# Installs what scripts/test-extra-pocketpaw.sh needs (run by `make test` before the tests):
# PocketPaw 0.4.18 from PyPI, with uvicorn[standard], in a virtual environment under
# target/: the same venv and packages as `make bench` uses (scripts/bench.sh), so one
# install serves both. Adds zxing-cpp (PyPI), which the interop test reads PawKey's
# pairing QR code with.
# Idempotent: does nothing when the venv already imports all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

POCKETPAW_VERSION=0.4.18
ZXING_CPP_VERSION=3.1.1
venv=${CARGO_TARGET_DIR:-target}/prove/venv-pocketpaw
python=${PYTHON:-python3}

check() {
  "$venv/bin/python" -c "import pocketpaw, uvicorn, uvloop, httptools, websockets, zxingcpp, PIL, importlib.metadata as m; assert m.version('pocketpaw') == '$POCKETPAW_VERSION'" 2>/dev/null
}
if [ -x "$venv/bin/python" ] && check; then
  exit 0
fi

command -v "$python" >/dev/null || { echo "error: $python not found: run scripts/install-deps.sh" >&2; exit 1; }
echo "Installing pocketpaw==$POCKETPAW_VERSION, uvicorn[standard] and zxing-cpp into $venv (PyPI)"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv" || { echo "error: cannot create $venv: install python3-venv (scripts/install-deps.sh)" >&2; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check "pocketpaw==$POCKETPAW_VERSION" "uvicorn[standard]" \
  "zxing-cpp==$ZXING_CPP_VERSION"
check || { echo "error: $venv does not import pocketpaw $POCKETPAW_VERSION after the install" >&2; exit 1; }
echo "PocketPaw venv ready: pocketpaw $POCKETPAW_VERSION in $venv"
