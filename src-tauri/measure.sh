#!/usr/bin/env bash
# Measures the desktop app (release build): time from launch to a visible, painted window;
# from a click on "New session" to the token on the clipboard; and the memory of the app
# with its WebKit processes. Needs an X display and a Secret Service, e.g.:
#   cargo build --release -p pawkey
#   xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh src-tauri/measure.sh
# Uses xdotool, xclip, ImageMagick (import, identify) and curl. Prints one line per figure.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-${CARGO_TARGET_DIR:-target}/release/pawkey}
launches=${LAUNCHES:-5}
clicks=${CLICKS:-10}
[ -x "$bin" ] || { echo "error: $bin missing: cargo build --release -p pawkey" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PAWKEY_CONFIG=$tmp/config.toml PAWKEY_DATA_DIR=$tmp/data
export PAWKEY_KEYRING_SERVICE=pawkey-measure-$$ PAWKEY_PORT=${PAWKEY_PORT:-18931}
export PAWKEY_CLIPBOARD_CLEAR_SECONDS=0
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_CACHE_HOME=$tmp/home/.cache
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
window() { xdotool search --onlyvisible --name '^PawKey$' 2>/dev/null | head -1; }
painted() { # window id: true once the window shows more than one flat colour
  local g; g=$(xwininfo -id "$1" | awk '/Absolute upper-left X/{x=$4} /Absolute upper-left Y/{y=$4} /Width/{w=$2} /Height/{h=$2} END{print w"x"h"+"x"+"y}')
  local sd; sd=$(import -window root -crop "$g" +repage png:- 2>/dev/null | identify -format '%[fx:standard_deviation]' png:- 2>/dev/null || echo 0)
  awk -v s="$sd" 'BEGIN{exit !(s > 0.01)}'
}
stats() { sort -n | awk '{a[NR]=$1} END{printf "min %d ms, median %d ms, max %d ms (n=%d)\n", a[1], a[int((NR+1)/2)], a[NR], NR}'; }
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# 1. Launch to window: mapped (visible), painted (content drawn), server answering.
: > "$tmp/mapped"; : > "$tmp/painted"; : > "$tmp/server"
for _ in $(seq "$launches"); do
  t0=$(ms)
  "$bin" >/dev/null 2>&1 &
  pid=$!
  until [ -n "$(window)" ]; do sleep 0.005; done
  echo $(( $(ms) - t0 )) >> "$tmp/mapped"
  until curl -sf -o /dev/null "http://127.0.0.1:$PAWKEY_PORT/api/health"; do sleep 0.005; done
  echo $(( $(ms) - t0 )) >> "$tmp/server"
  w=$(window)
  until painted "$w"; do :; done
  echo $(( $(ms) - t0 )) >> "$tmp/painted"
  stop "$pid"
done
echo "launch -> window mapped:       $(stats < "$tmp/mapped")"
echo "launch -> server answering:    $(stats < "$tmp/server")"
echo "launch -> window painted:      $(stats < "$tmp/painted")"

# 2. Click "New session" -> a session token on the clipboard.
"$bin" >/dev/null 2>&1 &
pid=$!
until [ -n "$(window)" ]; do sleep 0.01; done
w=$(window)
until curl -sf -o /dev/null "http://127.0.0.1:$PAWKEY_PORT/api/health"; do sleep 0.01; done
sleep 2 # let the window settle (status line, settings)
# The button's place in the 860-pixel-wide window with no banner showing.
bx=${BUTTON_X:-754} by=${BUTTON_Y:-191}
: > "$tmp/click"
for _ in $(seq "$clicks"); do
  echo baseline | xclip -i -selection clipboard >/dev/null 2>&1
  sleep 0.3
  t0=$(ms)
  xdotool mousemove --window "$w" "$bx" "$by" click 1
  n=0
  until xclip -o -selection clipboard 2>/dev/null | grep -q '^session:'; do
    n=$((n + 1)); [ $n -lt 2000 ] || { echo "error: no token on the clipboard after the click" >&2; exit 1; }
  done
  echo $(( $(ms) - t0 )) >> "$tmp/click"
done
echo "click -> token on clipboard:   $(stats < "$tmp/click")"

# 3. Memory of the app and its WebKit processes, a few seconds after launch.
sleep 3
descendants() { # pid: it and every process below it
  echo "$1"
  for c in $(ps -o pid= --ppid "$1" || true); do descendants "$c"; done
}
pids=$(descendants "$pid")
rss=0; pss=0; names=""
for p in $pids; do
  [ -r "/proc/$p/status" ] || continue
  r=$(awk '/^VmRSS/{print $2}' "/proc/$p/status")
  s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
  rss=$((rss + r)); pss=$((pss + s)); names="$names $(cat "/proc/$p/comm")=$((r / 1024))MB"
done
echo "memory (RSS sum):              $((rss / 1024)) MB over:$names"
echo "memory (PSS sum, shared pages split): $((pss / 1024)) MB"
stop "$pid"
