#!/usr/bin/env bash
# Release bundles for the OS this runs on, with the Tauri bundler (tauri-cli 2 from
# crates.io): the targets in tauri.conf.json's bundle section, which the bundler narrows to
# the running OS — Linux .deb and .rpm (`make dist`), macOS .app and .dmg, Windows .msi and
# NSIS setup .exe (the CI workflow). They land in target/release/bundle/<kind>/.
# Extra arguments go to `cargo tauri build` (e.g. `--bundles deb`).
#
# tauri-cli only reads the config from the crate directory (src-tauri/tauri.conf.json) and
# resolves the frontend and icon paths from there, while the repository keeps one config at
# the root and no symlinks (a Windows checkout turns them into text files). So this stages
# a copy with those paths rebased onto src-tauri/ for the run and removes it afterwards;
# build.rs and generate_context! keep reading the root file.
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=macos ;;
  MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) echo "error: no bundles for $(uname -s)" >&2; exit 1 ;;
esac

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
config=packaging/tauri.dist.json
if ! grep -q "\"version\": \"$version\"" "$config"; then
  echo "error: $config says another version than Cargo.toml ($version); update it" >&2
  exit 1
fi

if [ "$os" = linux ]; then
  # The .deb and .rpm also carry the headless server (packaging/tauri.dist.json).
  cargo build --release --locked -p pawkey-core --bin pawkeyd
fi

staged=src-tauri/tauri.conf.json
if [ -e "$staged" ] && ! grep -q '"frontendDist": "../ui"' "$staged"; then
  echo "error: $staged exists and is not a copy staged by this script; move it away" >&2
  exit 1
fi
trap 'rm -f "$staged"' EXIT
sed -e 's#"frontendDist": "ui"#"frontendDist": "../ui"#' -e 's#"icons/#"../icons/#g' \
  tauri.conf.json >"$staged"
if ! grep -q '"frontendDist": "../ui"' "$staged" || grep -q '"icons/' "$staged"; then
  echo "error: could not rebase the paths of tauri.conf.json onto src-tauri/ (see $0)" >&2
  exit 1
fi

(cd src-tauri && cargo tauri build --ci --config "../$config" "$@")
