#!/usr/bin/env bash
# Installs the Debian packages PawKey needs to build, run and test.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
# Idempotent: only missing packages are installed. Needs root or sudo.
set -euo pipefail

what=${1:-all}

build_pkgs=(
  build-essential pkg-config file curl libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  dbus dbus-x11 gnome-keyring libsecret-tools
)
test_pkgs=(
  xvfb webkit2gtk-driver xclip x11-utils imagemagick xdotool
  python3-venv
)

case "$what" in
  build) pkgs=("${build_pkgs[@]}") ;;
  test|all) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi

echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
