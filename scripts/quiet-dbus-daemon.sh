#!/usr/bin/env bash
# dbus-daemon without one misleading line: scripts/with-keyring.sh starts the private
# session's bus through this (`dbus-run-session --dbus-daemon=...`). A session bus started
# by root tries to raise its open-file limit to 65536; where the hard limit is lower (a
# container) it prints "dbus-daemon[PID]: ... AccessDenied: Failed to set fd limit to 65536:
# Operation not permitted" and carries on with the limit it has, which is plenty for one
# private session. Every other line of the daemon's stderr passes through.
set -euo pipefail

# The filter must hold no descriptor but its stdin and stderr: dbus-run-session waits for
# the end of the pipe the daemon prints its address to (--print-address FD).
filter() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
  done
  exec grep --line-buffered -v 'Failed to set fd limit to ' >&2
}
exec dbus-daemon "$@" 2> >(filter)
