#!/usr/bin/env bash
# `make install`: copies the debug programs `make run` builds — pawkeyd, and the desktop app
# pawkey when it has been built (`make run` with a display, `make build`) — into
# ~/.local/bin (BINDIR=DIR for another directory), so that any terminal can type them, and
# says so when that directory is not on PATH. `rm ~/.local/bin/pawkeyd ~/.local/bin/pawkey`
# undoes it. (The .deb and .rpm of `make dist` install release builds system-wide.)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

require_rust # (building needs no rustfmt or clippy)
cargo build -p pawkey-core --bins
bindir=${BINDIR:-$HOME/.local/bin}
mkdir -p "$bindir"
for program in pawkeyd pawkey; do
  built=$pawkey_target/debug/$program
  [ -x "$built" ] || continue
  # Through a new file and a rename: a copy that is running keeps working.
  tmp=$(mktemp "$bindir/.$program.XXXXXX")
  cp "$built" "$tmp"
  chmod 0755 "$tmp"
  mv -f "$tmp" "$bindir/$program"
  echo "Installed $bindir/$program"
done
case ":$PATH:" in
  *":$bindir:"*) ;;
  *)
    echo "Note: $bindir is not on your PATH. Debian's ~/.profile adds ~/.local/bin at your next login when it exists; or add it now: export PATH=\"$bindir:\$PATH\""
    ;;
esac
