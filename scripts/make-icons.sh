#!/usr/bin/env bash
# Renders PawKey's icons from the SVG sources in icons/src/ into the RGBA PNGs Tauri and the
# tray need, and the Windows .ico and macOS .icns the bundles and the Windows .exe use. The
# results are committed; run this only after changing an SVG.
# Needs rsvg-convert (Debian: librsvg2-bin), ImageMagick's convert, and tauri-cli 2 for the
# .ico/.icns (`scripts/install.sh tauri-cli`; its `icon` command renders the SVG itself).
set -euo pipefail
cd "$(dirname "$0")/../icons"

command -v rsvg-convert >/dev/null || { echo "error: rsvg-convert missing: apt-get install librsvg2-bin" >&2; exit 1; }
command -v convert >/dev/null || { echo "error: convert missing: apt-get install imagemagick" >&2; exit 1; }
cargo tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.' || { echo "error: tauri-cli 2 missing: scripts/install.sh tauri-cli" >&2; exit 1; }

render() { # svg size out
  rsvg-convert --width "$2" --height "$2" --keep-aspect-ratio "$1" --output "$3.tmp.png"
  # Tauri panics on anything but 8-bit RGBA PNGs, so force that form.
  convert "$3.tmp.png" -define png:color-type=6 -depth 8 "PNG32:$3"
  rm -f "$3.tmp.png"
}

render src/pawkey.svg 32 32x32.png
render src/pawkey.svg 128 128x128.png
render src/pawkey.svg 256 128x128@2x.png
render src/pawkey.svg 512 icon.png
render src/tray.svg 64 tray.png

for f in 32x32.png 128x128.png 128x128@2x.png icon.png tray.png; do
  printf '%-16s %s\n' "$f" "$(identify -format '%wx%h %[channels]' "$f")"
done

# icon.ico (16-256 px, Windows: the .exe resource, the installers) and icon.icns (macOS: the
# .app and .dmg) from the same SVG. `tauri icon` writes a whole set for every platform; keep
# only these two (the PNGs above are ours).
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
if ! log=$(cargo tauri icon src/pawkey.svg --output "$generated" 2>&1); then
  printf '%s\n' "$log" >&2
  exit 1
fi
cp "$generated/icon.ico" "$generated/icon.icns" .
identify -format 'icon.ico layer    %wx%h\n' icon.ico
printf '%-16s %s bytes\n' icon.icns "$(wc -c <icon.icns)"

# The window's header shows the same drawing.
cp src/pawkey.svg ../ui/pawkey.svg
