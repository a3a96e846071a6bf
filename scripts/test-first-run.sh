#!/usr/bin/env bash
# The first five minutes of a newcomer, as `make test`'s last step: a headless `make run`
# with no session D-Bus and no display (so PawKey runs in a private D-Bus session with a
# temporary keyring), then, from other shells that know nothing of it, every command its
# banner prints and every `$ ` line of the README's quick start and 60-second tour, typed as
# written (only the README's port 8000 becomes this run's free port), with their answers
# checked. Also: `make run` stops at once with one clear line when Rust is too old, a curl line
# fails visibly when the master is wrong or pawkeyd is not on PATH, `make install` works, and
# Ctrl+C leaves nothing behind but the audit log, in the usual data directory.
#
# Everything happens under a home directory of its own (HOME, no XDG_* variables), so the
# real user's config, data, cache and keychain are not touched; cargo and rustup keep theirs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# Background jobs get their own process group: Ctrl+C reaches `make run` as it would from a
# terminal, and nothing of it survives the cleanup.
set -m

passed=0
failures=()
repo=$PWD
port=$(free_port)
work=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-first-run.XXXXXX")
run_pid=""
cleanup() {
  if [ -n "$run_pid" ] && group_alive "$run_pid"; then
    kill -TERM -- "-$run_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$run_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
export HOME=$work/home
mkdir -p "$HOME"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_STATE_HOME XDG_RUNTIME_DIR
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY PORT
for v in $(compgen -e | grep '^PAWKEY_' || true); do unset "$v"; done
# A PATH on which no pawkeyd is found: sourcing run.env is what puts one there.
clean_path=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  if [ -n "$d" ] && [ ! -e "$d/pawkeyd" ] && [ ! -e "$d/pawkey" ]; then
    clean_path=${clean_path:+$clean_path:}$d
  fi
done
export PATH=$clean_path
bin_dir=$CARGO_TARGET_DIR/debug
log=$work/run.log

# second_shell SHELL DIR COMMAND: runs COMMAND in a new SHELL in DIR, with nothing of the
# run's environment; stdout to $work/out, stderr to $work/err; returns its exit status.
second_shell() {
  local shell=$1 dir=$2 cmd=$3
  (cd "$dir" && "$shell" -c "$cmd") >"$work/out" 2>"$work/err"
}
out() { cat "$work/out"; }
said() { cat "$work/out" "$work/err"; }
not() { ! "$@"; }
group_alive() { kill -0 -- "-$1" 2>/dev/null; }
failed_at_once() { [ "$1" -ne 0 ] && [ "$1" -ne 124 ]; } # (124: timeout's)
starts_with() { [[ $1 == "$2"* ]]; }
has_all() { # TEXT WORD...: TEXT holds every WORD
  local text=$1 w
  shift
  for w; do [[ $text == *"$w"* ]] || return 1; done
}

section "make run stops at once when Rust is older than the workspace needs"
mkdir -p "$work/old-rust"
printf '#!/bin/sh\necho "rustc 1.63.0"\n' >"$work/old-rust/rustc"
chmod +x "$work/old-rust/rustc"
for target in run test; do
  status=0
  PATH=$work/old-rust:$PATH timeout 60 make --no-print-directory "$target" >"$work/out" 2>&1 || status=$?
  check "make $target with rustc 1.63 fails at once (exit $status)" \
    failed_at_once "$status"
  check "make $target says which Rust and how to get it in one line" \
    grep -q '^error: PawKey needs Rust 1\.85 or newer.*rustup' "$work/out"
  check "make $target stops before installing or building" \
    not grep -qE 'Compiling|Installing|==> install' "$work/out"
done

section "make run, headless, no session D-Bus, port $port"
t0=$SECONDS
make --no-print-directory run PORT="$port" >"$log" 2>&1 &
run_pid=$!
for _ in $(seq 1 1200); do
  grep -q '^PawKey is running at' "$log" && grep -q '^    pawkeyd sessions$' "$log" && break
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 0.5
done
if ! grep -q '^    pawkeyd sessions$' "$log"; then
  cat "$log" >&2
  die "make run printed no banner"
fi
echo "    (make run to banner: $((SECONDS - t0)) s)"
check "the run says it uses a private D-Bus session" grep -q '^No session D-Bus: starting a private one' "$log"
check "no 'Failed to set fd limit' noise from the private D-Bus" not grep -q 'Failed to set fd limit' "$log"
check "the banner says what to source first" grep -qxF '    . ~/.cache/pawkey/run.env' "$log"

run_env=$HOME/.cache/pawkey/run.env
check "run.env exists, mode 0600" [ "$(stat -c %a "$run_env")" = 600 ]
check "its directory is 0700" [ "$(stat -c %a "$(dirname "$run_env")")" = 700 ]

section "each command of the banner, from another shell (in the home directory)"
# The banner's commands: the lines that start with spaces and then one of these programs.
mapfile -t banner < <(grep -E '^ +(\. |pawkeyd |curl )' "$log" | sed 's/^ *//' | sort -u)
source_line=". ~/.cache/pawkey/run.env"
printf '    %s\n' "${banner[@]}"
check "the banner shows at least 7 commands (${#banner[@]})" [ "${#banner[@]}" -ge 7 ]
# Before sourcing: no pawkeyd anywhere on this shell's PATH.
check "a fresh shell has no pawkeyd before sourcing run.env" not second_shell bash "$HOME" 'command -v pawkeyd'
minted=()
for cmd in "${banner[@]}"; do
  [ "$cmd" != "$source_line" ] || continue
  status=0
  second_shell bash "$HOME" "$source_line
$cmd" || status=$?
  check "exit 0: $cmd" [ "$status" = 0 ]
  if [ "$status" != 0 ]; then said >&2; continue; fi
  case "$cmd" in
    "pawkeyd status")
      check "status: the master token is readable" grep -q '^Master token: .*OK' "$work/out"
      check "status: port $port" grep -q "(port $port)" "$work/out"
      check "status: the audit log in the usual data directory" \
        grep -qF "Audit log:     $HOME/.local/share/pawkey/audit.jsonl" "$work/out"
      ;;
    "pawkeyd token | pawkeyd verify -")
      check "token | verify -: valid" grep -q '^valid: expires' "$work/out"
      ;;
    "pawkeyd token")
      minted+=("$(out)")
      ;;
    *"| curl "* | "curl "*)
      token=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["session_token"])' <"$work/out") || token=""
      check "JSON with a session token: $cmd" [ -n "$token" ]
      minted+=("$token")
      ;;
  esac
done
check "the mints to verify: pawkeyd token, both curl lines (${#minted[@]})" [ "${#minted[@]}" -ge 3 ]
i=0
for token in "${minted[@]}"; do
  i=$((i + 1))
  status=0
  printf '%s\n' "$token" >"$work/token"
  second_shell bash "$HOME" "$source_line
pawkeyd verify - <'$work/token'" || status=$?
  check "pawkeyd verify - accepts mint $i" [ "$status" = 0 ]
  status=0
  curl_bearer "$token" -fsS "http://localhost:$port/api/auth/verify" >/dev/null || status=$?
  check "the running server accepts mint $i" [ "$status" = 0 ]
done
# sessions ran before or after the mints (sort order): run it again now.
second_shell bash "$HOME" "$source_line
pawkeyd sessions" || true
check "sessions lists the HTTP mints from 127.0.0.1" grep -qE ' http +127\.0\.0\.1 ' "$work/out"
check "sessions lists the CLI mints" grep -qE ' cli +- ' "$work/out"

section "the same commands in sh (dash) and zsh"
for shell in sh zsh; do
  status=0
  second_shell "$shell" "$HOME" "$source_line
pawkeyd token | pawkeyd verify -" || status=$?
  check "$shell: . run.env, then token | verify -" [ "$status" = 0 ]
done

section "failures are visible"
curl_line=$(printf '%s\n' "${banner[@]}" | grep -m1 '^pawkeyd master show | sed ')
status=0
second_shell bash "$HOME" "$curl_line" || status=$?
check "the curl line without run.env (pawkeyd not on PATH) fails (exit $status)" [ "$status" -ne 0 ]
check "... and prints no token" not grep -q session_token "$work/out"
mkdir -p "$work/wrong"
cat >"$work/wrong/pawkeyd" <<'EOF'
#!/bin/sh
# A pawkeyd whose master is not the server's.
echo 00000000-0000-4000-8000-000000000000
EOF
chmod +x "$work/wrong/pawkeyd"
status=0
second_shell bash "$HOME" "PATH=$work/wrong:\$PATH
$curl_line" || status=$?
check "the curl line with a wrong master fails with curl's 22 (exit $status)" [ "$status" = 22 ]
check "... and prints no token" not grep -q session_token "$work/out"

section "the README's quick start and tour, typed in the repository"
# Each `$ ` line of those two sections, with the lines that continue it (after a trailing |
# or \), NUL-separated, port 8000 replaced by this run's.
readme_commands() {
  python3 - "$port" <<'PY'
import re, sys
port = sys.argv[1]
sections = re.split(r"^## ", open("README.md").read(), flags=re.M)
cmds = []
for sec in sections:
    if not sec.startswith(("Quick start\n", "60-second tour\n")):
        continue
    for block in re.findall(r"^```sh\n(.*?)^```", sec, flags=re.M | re.S):
        cont = False
        for line in block.splitlines():
            if cont:
                cmds[-1] += "\n" + line
            elif line.startswith("$ "):
                cmds.append(line[2:])
            else:
                continue
            cont = bool(re.search(r"[|\\]\s*$", line))
sys.stdout.write("".join(c.replace("localhost:8000", "localhost:" + port) + "\0" for c in cmds))
PY
}
mapfile -d '' -t readme < <(readme_commands)
printf '    %s\n' "${readme[@]}"
check "the quick start's first command is the banner's: $source_line" \
  starts_with "${readme[0]:-}" "$source_line"
check "the README shows status, token, verify, curl -fsS and sessions" \
  has_all "${readme[*]}" "pawkeyd status" "pawkeyd token" "verify -" "curl -fsS" "pawkeyd sessions"
n=0
for cmd in "${readme[@]}"; do
  case "$cmd" in
    "make run"* | "pawkeyd serve"*) echo "    (already running: $cmd)"; continue ;;
    ". ~/.cache/pawkey/run.env"*) continue ;;
  esac
  n=$((n + 1))
  status=0
  second_shell bash "$repo" "$source_line
$cmd" || status=$?
  check "README: exit 0: ${cmd%%$'\n'*}" [ "$status" = 0 ]
  if [ "$status" != 0 ]; then said >&2; fi
  case "$cmd" in
    *"| curl "* | *"|"$'\n'*"curl "*)
      check "README: the curl pipeline answers a session token" grep -q '"session_token":"session:' "$work/out"
      ;;
    *"verify -"*) check "README: verify says valid" grep -q '^valid: ' "$work/out" ;;
  esac
done
check "README lines run: $n (at least 8)" [ "$n" -ge 8 ]

section "make install"
status=0
(cd "$repo" && make --no-print-directory install) >"$work/out" 2>&1 || status=$?
check "make install exits 0" [ "$status" = 0 ] || said >&2
check "pawkeyd is in ~/.local/bin and runs" "$HOME/.local/bin/pawkeyd" --version
check "make install says ~/.local/bin is not on PATH" grep -q "is not on your PATH" "$work/out"

section "secrets stay off logs and files"
second_shell bash "$HOME" "$source_line
pawkeyd master show" || true
master=$(out)
check "the master token was readable" [ -n "$master" ]
# (grep reads the master as a pattern file, so it is on no command line)
check "the run's output does not hold the master token" not grep -qFf <(printf '%s\n' "$master") "$log"
check "run.env does not hold the master token" not grep -qFf <(printf '%s\n' "$master") "$run_env"

section "Ctrl+C"
# The live processes of the run: they carry PAWKEY_PORT=$port (run.sh exports it; this script
# has none), the keyring daemon and the bus included.
run_processes() {
  local f p state
  for f in $(grep -lszxF "PAWKEY_PORT=$port" /proc/[0-9]*/environ 2>/dev/null || true); do
    p=${f#/proc/}
    p=${p%/environ}
    # The state after the command name in /proc/PID/stat; Z (a zombie) has exited.
    state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1 || true)
    if [ -n "$state" ] && [ "$state" != Z ]; then
      printf '%s ' "$(cut -d' ' -f2 "/proc/$p/stat" 2>/dev/null)"
    fi
  done
}
running=$(run_processes)
check "while it runs, its processes are seen: $running" \
  has_all "$running" "(pawkeyd)" "(gnome-keyring-d)" "(dbus-daemon)"
hdr=$(grep -oE '@/[^ ]+/authorization' "$log" | head -n1)
hdr=${hdr#@}
check "the banner's header file exists while running, mode 0600" [ "$(stat -c %a "$hdr")" = 600 ]
kill -INT -- "-$run_pid"
for _ in $(seq 1 100); do group_alive "$run_pid" || break; sleep 0.2; done
check "make run and everything it started stopped after Ctrl+C" not group_alive "$run_pid"
run_pid=""
check "the server stopped answering" not curl -fs -o /dev/null "http://127.0.0.1:$port/api/health"
check "run.env removed" [ ! -e "$run_env" ]
check "the header file removed" [ ! -e "$hdr" ]
left=$(run_processes)
check "no process of the run is left (keyring daemon, bus, server): ${left:-none}" [ -z "$left" ]
check "the audit log stays in ~/.local/share/pawkey" [ -s "$HOME/.local/share/pawkey/audit.jsonl" ]
check "the temporary keyring's files were not in ~/.local/share" [ ! -e "$HOME/.local/share/keyrings" ]
status=0
second_shell bash "$HOME" "'$bin_dir/pawkeyd' sessions" || status=$?
check "after the run, pawkeyd sessions still lists its mints" grep -qE ' http +127\.0\.0\.1 ' "$work/out"

printf '\n%d checks passed, %d failed\n' "$passed" "${#failures[@]}"
if [ ${#failures[@]} -gt 0 ]; then
  printf '  FAILED: %s\n' "${failures[@]}" >&2
  echo "make run's output:" >&2
  cat "$log" >&2
  exit 1
fi
