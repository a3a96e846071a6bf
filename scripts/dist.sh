#!/usr/bin/env bash
# `make dist`: release bundles with the Tauri bundler (tauri-cli 2 from crates.io).
# Makes target/release/bundle/deb/pawkey_<version>_amd64.deb and
# target/release/bundle/rpm/pawkey-<version>-1.x86_64.rpm, each holding `pawkey` (with a
# desktop entry and icons) and `pawkeyd` with its manual pages and bash, zsh and fish
# completions (written from the clap definitions by pawkey-gen-docs, offline). AppImage is not built: its bundler downloads
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
# Manual pages (gzipped, as Debian and Fedora ship them) and completion scripts, packaged
# from target/dist-docs by the files lists in $config.
rm -rf target/dist-docs
cargo run --quiet --locked -p pawkey-core --bin pawkey-gen-docs -- target/dist-docs >/dev/null
gzip -9n target/dist-docs/man1/*.1
# tauri-cli reads src-tauri/tauri.conf.json (a link to the root config); the frontend and
# icons are reached through src-tauri/ui and src-tauri/icons (links to the root folders).
(cd src-tauri && cargo tauri build --bundles deb,rpm --config "../$config")

echo
echo "Bundles:"
ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
echo "Manual pages: $(ls target/dist-docs/man1 | wc -l), completions: bash, zsh, fish"
echo "Release binary sizes:"
ls -l target/release/pawkey target/release/pawkeyd
