#!/usr/bin/env bash
# `make dist`: release bundles with the Tauri bundler (tauri-cli 2 from crates.io).
# Makes target/release/bundle/deb/pawkey_<version>_amd64.deb and
# target/release/bundle/rpm/pawkey-<version>-1.x86_64.rpm, each holding `pawkey` (with a
# desktop entry and icons) and `pawkeyd`. AppImage is not built: its bundler downloads
# linuxdeploy at build time, which this build must not depend on.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh deps-build tauri-cli

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
config=packaging/tauri.dist.json
if ! grep -q "\"version\": \"$version\"" "$config"; then
  echo "error: $config says another version than Cargo.toml ($version); update it" >&2
  exit 1
fi

cargo build --release --locked -p pawkey-core --bin pawkeyd
# tauri-cli reads src-tauri/tauri.conf.json (a link to the root config); the frontend and
# icons are reached through src-tauri/ui and src-tauri/icons (links to the root folders).
(cd src-tauri && cargo tauri build --bundles deb,rpm --config "../$config")

echo
echo "Bundles:"
ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
echo "Release binary sizes:"
ls -l target/release/pawkey target/release/pawkeyd
