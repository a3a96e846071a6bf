#!/usr/bin/env bash
# `make prove`: the heavy proofs for hostile input, load, soak and faults, bounded
# in time (not part of `make test`, which stays under 8 minutes):
#   0. installs what it needs (scripts/install.sh deps-test prove: Debian packages,
#      cargo-fuzz, schemathesis in a venv under target/);
#   1. a release build of pawkeyd; the `prove` checker (tools/prove) as a debug
#      build (the one `make test` left, if any: it is not the bottleneck);
#   2. fuzzing: each cargo-fuzz target for PROVE_FUZZ_SECONDS (default 60);
#   3. in a private D-Bus session with a real gnome-keyring (scripts/with-keyring.sh),
#      against release `pawkeyd serve` processes:
#      - schemathesis on /api/openapi.json with the master and session tokens supplied:
#        no 5xx, every answer as documented;
#      - load: PROVE_LOAD_REQUESTS (default 1,000,000) mixed requests at 256 connections,
#        every answer checked, zero 5xx and zero dropped connections, resident memory
#        after the load within 4 MiB of after warm-up;
#      - the failed-auth limiter with 12,000 distinct client addresses across 127.0.0.0/8;
#      - SIGTERM under load: in-flight requests complete, exit status 0;
#      - keychain killed while serving: minting goes on from the cached master, rotation
#        answers 503 and the old master stays valid; keychain back: rotation works;
#      - port taken, corrupt config file (clear error, file untouched), data directory
#        not writable (mints succeed, one warning).
# Each check prints what it measured; the script fails if any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh # curl_bearer: tokens go to curl on stdin, never on argv

root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
fuzz_seconds=${PROVE_FUZZ_SECONDS:-60}
load_requests=${PROVE_LOAD_REQUESTS:-1000000}

if [ "${1:-}" != --inside ]; then
  started=$SECONDS
  scripts/install.sh deps-test prove # each part a no-op when already installed
  echo "--> release build of pawkeyd; the prove checker (debug build, as cargo test left it)"
  cargo build --release --locked -p pawkey-core --bin pawkeyd
  cargo build --locked -p pawkey-prove
  failed=()
  echo "--> fuzzing, ${fuzz_seconds}s per target"
  scripts/fuzz.sh "$fuzz_seconds" || failed+=(fuzz)
  echo "--> server checks (real gnome-keyring)"
  PROVE_LOAD_REQUESTS=$load_requests scripts/with-keyring.sh "$0" --inside || failed+=(server)
  echo "--> make prove took $((SECONDS - started)) s"
  if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
  fi
  exit 0
fi

# ---- inside a private D-Bus session with an unlocked gnome-keyring ----------------------
pawkeyd=$target/release/pawkeyd
prove=$target/debug/prove
schemathesis=$schemathesis_venv/bin/schemathesis
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-prove.XXXXXX")
export PAWKEY_CONFIG=$scratch/config.toml PAWKEY_DATA_DIR=$scratch/data
export PAWKEY_KEYRING_SERVICE=pawkey-prove-$$
unset PAWKEY_PORT PAWKEY_BIND PAWKEY_MASTER_TOKEN_FILE PAWKEY_TTL_HOURS PAWKEY_TOKEN_FORMAT
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$pawkeyd" --version >/dev/null 2>&1 && keyring_delete
  rm -rf "$scratch"
}
trap cleanup EXIT

passed=0
failures=()

wait_http() { # URL
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
start_server() { # PORT LOG [extra env...] ; sets $server_pid
  local port=$1 log=$2; shift 2
  env "$@" "$pawkeyd" serve --port "$port" 2>"$log" & server_pid=$!
  pids+=("$server_pid")
  wait_http "http://127.0.0.1:$port/api/health" || { cat "$log" >&2; return 1; }
}
stop_server() { # PID -> its exit status
  kill -TERM "$1" 2>/dev/null || true
  local status=0
  wait "$1" || status=$?
  return $status
}
mint() { # PORT MASTER -> session token on stdout
  curl_bearer "$2" -fsS -X POST "http://127.0.0.1:$1/api/auth/session" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["session_token"])'
}
status_of() { # TOKEN METHOD URL [curl args...] -> HTTP status on stdout, body in $scratch/body
  local token=$1 method=$2 url=$3; shift 3
  curl_bearer "$token" -sS -o "$scratch/body" -w '%{http_code}' -X "$method" "$url" "$@"
}
keyring_pid() { # pid of the Secret Service on this session bus, if any
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
    awk '/uint32/ {print $2}'
}
keyring_delete() {
  secret-tool clear service "$PAWKEY_KEYRING_SERVICE" username master-token 2>/dev/null || true
}
no_5xx_logged() { # LOG
  ! grep -q 'status=5' "$1"
}

"$pawkeyd" token >/dev/null # first run: creates the master token in the keychain
master=$("$pawkeyd" master show)
printf '%s\n' "$master" >"$scratch/master"
chmod 600 "$scratch/master"

# ---------------------------------------------------------------------------------------
section "schemathesis against /api/openapi.json"
# Master and session tokens are supplied through the document's own security schemes.
# Each run gets a fresh server, so the failed-auth limiter (10 failures, then 1 a second)
# of one run does not turn the next run's answers into 429s.
cat >"$scratch/schemathesis.toml" <<'EOF'
[auth.openapi.master_token]
bearer = "${PAWKEY_MASTER}"
[auth.openapi.session_token]
bearer = "${PAWKEY_SESSION}"
[auth.openapi.session_query]
api_key = "${PAWKEY_SESSION}"
[auth.openapi.session_cookie]
api_key = "${PAWKEY_SESSION}"
# 410 is a documented answer to a valid poll: the access request it names has expired (the
# stateful phase polls ids from requests opened minutes earlier) or was collected.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "429"]
EOF
st_run() { # NAME schemathesis-args...
  local name=$1; shift
  local port; port=$(free_port)
  local log; log=$scratch/st-$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '-')
  start_server "$port" "$log.log" || { fail "schemathesis $name: server did not start"; return; }
  local pid=$server_pid session
  session=$(mint "$port" "$master")
  if PAWKEY_MASTER=$master PAWKEY_SESSION=$session "$schemathesis" --no-color \
      --config-file "$scratch/schemathesis.toml" run "http://127.0.0.1:$port/api/openapi.json" \
      --workers 1 --seed 4 --request-timeout 10 "$@" >"$log.out" 2>&1; then
    pass "schemathesis $name: $(grep -E '^ +[0-9]+ generated' "$log.out" | tail -1 | xargs)"
  else
    sed -n '/FAILURES/,$p' "$log.out" | head -60
    fail "schemathesis $name"
  fi
  check "schemathesis $name: no 5xx in the server log" no_5xx_logged "$log.log"
  stop_server "$pid" || true
}
# Every check but ignored_auth (run per path below): the answers of mint, logout, health
# and the document itself; verify (paced, as its negative cases are failed attempts);
# login (whose body the generator cannot fill with the master: 401, then 429).
st_run "all but verify, login and master changes" --checks all --exclude-checks ignored_auth \
  --max-examples 60 --exclude-path-regex '(token/regenerate|token/import|auth/login|auth/verify)'
st_run "verify" --checks all --exclude-checks ignored_auth --max-examples 60 \
  --include-path-regex 'auth/verify' --rate-limit 10/s
st_run "login" --checks all --exclude-checks ignored_auth --max-examples 30 \
  --include-path-regex 'auth/login'
# ignored_auth sends missing and invalid credentials; over several operations these use up
# the limiter's burst and the later answers are 429 where the check wants 401 or 403, so
# each protected path gets its own server (rotation is checked last, with its own run).
port=$(free_port)
start_server "$port" "$scratch/st-paths.log"
protected=$(curl -fsS "http://127.0.0.1:$port/api/openapi.json" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
for path, item in doc["paths"].items():
    if "token/" not in path and any(op.get("security") for op in item.values() if isinstance(op, dict)):
        print(path)')
stop_server "$server_pid" || true
check "schemathesis: the document lists protected paths" test -n "$protected"
for path in $protected; do
  st_run "authentication enforced on $path" --checks ignored_auth --max-examples 5 --include-path "$path"
done
st_run "rotation and import" --checks all --max-examples 20 \
  --include-path-regex 'token/(regenerate|import)'
# Rotation and import replaced the master token in the keychain.
master=$("$pawkeyd" master show)
printf '%s\n' "$master" >"$scratch/master"

# ---------------------------------------------------------------------------------------
section "load: $load_requests mixed requests at 256 connections"
port=$(free_port)
start_server "$port" "$scratch/load.log"
load_pid=$server_pid
check "load: every answer correct, no 5xx, no dropped connection, memory flat" \
  "$prove" load --addr "127.0.0.1:$port" --master-file "$scratch/master" --pid "$load_pid" \
  --requests "$load_requests" --conns 256 --max-seconds 300
check "limiter: 12,000 client addresses against pawkeyd, memory bounded" \
  "$prove" limiter --addr "127.0.0.1:$port" --master-file "$scratch/master" --pid "$load_pid" \
  --addresses 12000
check "load: no 5xx in the server log" no_5xx_logged "$scratch/load.log"
check "sigterm: in-flight requests complete" \
  "$prove" sigterm --addr "127.0.0.1:$port" --master-file "$scratch/master" --pid "$load_pid"
sig_status=0
wait "$load_pid" || sig_status=$?
check "sigterm: pawkeyd exits with status 0 (got $sig_status)" test "$sig_status" = 0
check "sigterm: pawkeyd said it was finishing in-flight requests" \
  grep -q 'finishing in-flight requests' "$scratch/load.log"
check "limiter: 12,000 client addresses in-process, table bounded" \
  "$prove" limiter --addresses 12000

# ---------------------------------------------------------------------------------------
section "keychain faults"
port=$(free_port)
start_server "$port" "$scratch/keychain.log"
kc_pid=$server_pid
base=http://127.0.0.1:$port
old_session=$(mint "$port" "$master")
daemon=$(keyring_pid)
if [ -z "$daemon" ]; then
  fail "keychain: no Secret Service on the session bus"
else
  kill -TERM "$daemon"
  for _ in $(seq 1 100); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.05; done
  check "keychain: gnome-keyring (pid $daemon) stopped" bash -c "! kill -0 $daemon 2>/dev/null"
  s=$(status_of "$master" POST "$base/api/auth/session")
  check "keychain down: minting goes on from the cached master (got $s)" test "$s" = 200
  s=$(status_of "$old_session" GET "$base/api/auth/verify")
  check "keychain down: session tokens still verify (got $s)" test "$s" = 200
  s=$(status_of "$master" POST "$base/api/token/regenerate" --max-time 30)
  echo "    rotation answered $s: $(cat "$scratch/body")"
  check "keychain down: rotation answers 503" test "$s" = 503
  check "keychain down: the 503 says the current master is still valid" \
    grep -q 'current master token is still valid' "$scratch/body"
  s=$(status_of "$master" POST "$base/api/auth/session")
  check "keychain down: the old master still mints after the failed rotation (got $s)" test "$s" = 200
  # Bring the keychain back: stop whatever D-Bus activated meanwhile (locked), then start
  # and unlock it as scripts/with-keyring.sh does.
  # The running server re-reads the keychain now and then, and each read of a stopped one
  # makes D-Bus start a locked daemon: retry until the unlocked one owns the name.
  for _ in 1 2 3 4 5; do
    activated=$(keyring_pid)
    if [ -n "$activated" ]; then
      kill -TERM "$activated"
      for _ in $(seq 1 100); do kill -0 "$activated" 2>/dev/null || break; sleep 0.05; done
    fi
    eval "$(echo "" | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
    for _ in $(seq 1 50); do [ -n "$(keyring_pid)" ] && break; sleep 0.1; done
    "$pawkeyd" master show >/dev/null 2>&1 && break
    sleep 0.5
  done
  stored=$("$pawkeyd" master show 2>/dev/null || true)
  check "keychain back: the stored master is unchanged" test "$stored" = "$master"
  s=$(status_of "$master" POST "$base/api/token/regenerate" --max-time 30)
  new_master=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("token",""))' "$scratch/body" 2>/dev/null || true)
  check "keychain back: rotation works (got $s)" test "$s" = 200
  stored=$("$pawkeyd" master show 2>/dev/null || true)
  check "keychain back: the keychain holds the new master" test -n "$new_master" -a "$stored" = "$new_master"
  s=$(status_of "$old_session" GET "$base/api/auth/verify")
  check "keychain back: rotation revoked the old session token (got $s)" test "$s" = 401
  s=$(status_of "$new_master" POST "$base/api/auth/session")
  check "keychain back: the new master mints (got $s)" test "$s" = 200
  master=$new_master
  printf '%s\n' "$master" >"$scratch/master"
fi
check "keychain: no 5xx other than the documented 503" \
  bash -c "! grep 'status=5' '$scratch/keychain.log' | grep -v 'path=/api/token/regenerate status=503'"
stop_server "$kc_pid" || true

# ---------------------------------------------------------------------------------------
section "port taken, corrupt config, unwritable data directory"
port=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(60)' "$port" &
holder=$!
pids+=("$holder")
sleep 0.3
s=0
timeout 10 "$pawkeyd" serve --port "$port" 2>"$scratch/port.err" || s=$?
check "port taken: pawkeyd exits non-zero (got $s)" test "$s" != 0 -a "$s" != 124
check "port taken: the error names the port and the fix" \
  grep -q "port $port .*already in use.*--port" "$scratch/port.err"
kill "$holder" 2>/dev/null || true

bad=$scratch/bad-config.toml
printf 'ttl_hours = 8\nport = [\n' >"$bad"
sum=$(sha256sum "$bad")
s=0
PAWKEY_CONFIG=$bad timeout 10 "$pawkeyd" serve --port "$(free_port)" 2>"$scratch/config.err" || s=$?
check "corrupt config: pawkeyd exits non-zero (got $s)" test "$s" != 0 -a "$s" != 124
check "corrupt config: the error names the file and the line" \
  grep -q "invalid config file $bad, line 2" "$scratch/config.err"
check "corrupt config: the file is untouched" test "$(sha256sum "$bad")" = "$sum"

blocker=$scratch/not-a-directory
echo "a file where the data directory should be" >"$blocker"
port=$(free_port)
start_server "$port" "$scratch/datadir.log" PAWKEY_DATA_DIR="$blocker/data"
dd_pid=$server_pid
check "data dir not writable: 20,000 mints and verifications all answered correctly" \
  "$prove" load --addr "127.0.0.1:$port" --master-file "$scratch/master" --requests 20000 \
  --conns 8 --warmup 1000 --max-seconds 60
stop_server "$dd_pid" || true
warnings=$(grep -c 'cannot write the audit log' "$scratch/datadir.log" || true)
check "data dir not writable: exactly one warning (got $warnings)" test "$warnings" = 1

# ---------------------------------------------------------------------------------------
echo
echo "prove: $passed passed, ${#failures[@]} failed"
if [ ${#failures[@]} -gt 0 ]; then
  printf '  failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
