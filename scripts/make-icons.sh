#!/usr/bin/env bash
# Renders PawKey's icons from the SVG sources in icons/src/ into the RGBA PNGs Tauri and the
# tray need. The PNGs are committed; run this only after changing an SVG.
# Needs rsvg-convert (Debian: librsvg2-bin) and ImageMagick's convert.
set -euo pipefail
cd "$(dirname "$0")/../icons"

command -v rsvg-convert >/dev/null || { echo "error: rsvg-convert missing: apt-get install librsvg2-bin" >&2; exit 1; }
command -v convert >/dev/null || { echo "error: convert missing: apt-get install imagemagick" >&2; exit 1; }

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

# The window's header shows the same drawing.
cp src/pawkey.svg ../ui/pawkey.svg
