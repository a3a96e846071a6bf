#!/usr/bin/env bash
# `make dist`: release bundles with the Tauri bundler (tauri-cli 2 from crates.io), through
# scripts/bundle.sh. Makes target/release/bundle/deb/pawkey_<version>_amd64.deb and
# target/release/bundle/rpm/pawkey-<version>-1.x86_64.rpm, each holding `pawkey` (with a
# desktop entry and icons) and `pawkeyd` with its manual pages and bash, zsh and fish
# completions (written from the clap definitions by pawkey-gen-docs, offline). AppImage is
# not built: its bundler downloads linuxdeploy at build time (no registry ships it), which
# this build must not depend on.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh deps-build tauri-cli
rm -rf target/release/bundle/deb target/release/bundle/rpm target/release/bundle/appimage
# Manual pages (gzipped, as Debian and Fedora ship them) and completion scripts, packaged
# from target/dist-docs by the files lists in packaging/tauri.dist.json.
rm -rf target/dist-docs
cargo run --quiet --locked -p pawkey-core --bin pawkey-gen-docs -- target/dist-docs >/dev/null
gzip -9n target/dist-docs/man1/*.1
scripts/bundle.sh

echo
echo "Bundles:"
ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
echo "Manual pages: $(ls target/dist-docs/man1 | wc -l), completions: bash, zsh, fish"
for f in target/release/bundle/appimage/*; do
  [ ! -e "$f" ] || { echo "error: $f was built; tauri.conf.json should not list AppImage" >&2; exit 1; }
done
echo "Release binary sizes:"
ls -l target/release/pawkey target/release/pawkeyd
