#!/usr/bin/env bash
# `make test` extra: tokens minted by PawKey with a master imported from PocketPaw
# are accepted by the real PocketPaw 0.4.18 from PyPI (venv from
# `scripts/install.sh pocketpaw`), and the tokens it must refuse are refused.
# Tokens never appear on a process's argv: curl gets them on stdin (scripts/lib.sh),
# `pawkeyd verify -` and the Python checks read them from stdin or a file.
#
# Inside a private D-Bus session with a real gnome-keyring (scripts/with-keyring.sh), with a
# temporary HOME whose ~/.pocketpaw/access_token holds a UUID4 master (mode 0600, as
# PocketPaw writes it):
#   1. `pawkeyd master import --from-pocketpaw`;
#   2. tokens minted by `pawkeyd token --format pocketpaw`, `pawkeyd token` (session: form),
#      POST /api/auth/session of `pawkeyd serve` (session form, and pocketpaw form with
#      --token-format pocketpaw), and the dashboard link inside the QR code of GET /api/qr
#      (decoded with zxing-cpp);
#   3. checked by PocketPaw's own code:
#      - in process: pocketpaw.security.session_tokens.verify_session_token with the master
#        from pocketpaw.config.get_access_token(), combined as
#        pocketpaw.dashboard_auth._auth_dispatch does (master, else ":" in token and
#        verify_session_token), also with the verifier's clock set to the token's expiry
#        second (still valid for PocketPaw) and to one second after it;
#      - over HTTP: PocketPaw's real dashboard app (pocketpaw.dashboard:app) under uvicorn,
#        with localhost_auth_bypass off in its config so every request needs a token, and
#        its rate limiters switched off (as scripts/bench-pocketpaw.py does) so the run is
#        deterministic: GET /api/remote/status with ?token=, Bearer and the
#        pocketpaw_session cookie (pocketpaw.dashboard_auth.AuthMiddleware), and the
#        dashboard link replayed as PocketPaw's frontend (frontend/js/app.js) does;
#   4. the bare token and the session form minus its prefix are accepted; the prefixed
#      form as is, tampered and expired tokens are rejected (PocketPaw's in-process
#      verifier runs here, while its master is still the first one);
#   5. kept in step: the import linked them (sync_pocketpaw), so `pawkeyd master rotate`
#      also replaces PocketPaw's token file: PocketPaw (over HTTP, no restart) refuses the
#      old tokens and its old master and accepts the new ones; after PocketPaw regenerates
#      its own token, importing it again makes PawKey's tokens valid there again.
# Prints each check; exits non-zero if any fails. Needs target/debug/pawkeyd (built by
# `make test` before the extras).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}

if [ "${1:-}" != --inside ]; then
  started=$SECONDS
  [ -x "$target/debug/pawkeyd" ] || {
    echo "error: $target/debug/pawkeyd missing: run cargo build -p pawkey-core first" >&2
    exit 1
  }
  scripts/install.sh pocketpaw # a no-op when `make test` already installed it
  status=0
  scripts/with-keyring.sh "$0" --inside || status=$?
  echo "--> PocketPaw interop took $((SECONDS - started)) s"
  exit $status
fi

# ---- inside a private D-Bus session with an unlocked gnome-keyring ----------------------
pawkeyd=$target/debug/pawkeyd
venv=$pocketpaw_venv
py=$venv/bin/python
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-interop.XXXXXX")
export HOME=$scratch/home
export PAWKEY_CONFIG=$scratch/config.toml PAWKEY_DATA_DIR=$scratch/data
export PAWKEY_KEYRING_SERVICE=pawkey-interop-$$
unset PAWKEY_PORT PAWKEY_BIND PAWKEY_MASTER_TOKEN_FILE PAWKEY_TTL_HOURS PAWKEY_TOKEN_FORMAT \
  PAWKEY_DASHBOARD_URL PAWKEY_ALLOWED_ORIGINS PAWKEY_EXTRA_HOSTS
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  secret-tool clear service "$PAWKEY_KEYRING_SERVICE" username master-token 2>/dev/null || true
  if secret-tool lookup service "$PAWKEY_KEYRING_SERVICE" username master-token >/dev/null 2>&1; then
    echo "    warning: keyring entry $PAWKEY_KEYRING_SERVICE still present" >&2
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

passed=0
failures=()
wait_http() { # URL: any HTTP answer (PocketPaw answers 401 without a token)
  for _ in $(seq 1 300); do
    [ "$(curl -sS -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" != 000 ] && return 0
    sleep 0.05
  done
  return 1
}
cli_mint() { # pawkeyd token ARGS... (its error goes to stderr)
  "$pawkeyd" token "$@" 2>"$scratch/mint.err" || { fail "pawkeyd token $*: $(cat "$scratch/mint.err")"; return 1; }
}
import_quietly() { # pawkeyd master import --from-pocketpaw, its message shown only on failure
  "$pawkeyd" master import --from-pocketpaw 2>"$scratch/import.err" || { cat "$scratch/import.err" >&2; return 1; }
}
pawkey_accepts() { printf '%s\n' "$1" | "$pawkeyd" verify - >/dev/null; }
pawkey_refuses() { ! pawkey_accepts "$1" 2>/dev/null; }
bare_form() { [[ $1 =~ ^[0-9]+:[0-9a-f]{64}$ ]]; }
session_form() { [[ $1 =~ ^session:[0-9]+:[0-9a-f]{64}$ ]]; }

# The checks with PocketPaw's own code, in process. Each line of $checks:
#   EXPECT<TAB>LABEL<TAB>TOKEN<TAB>WHEN   (EXPECT accepted|rejected; WHEN now|exp|exp+1)
checks=$scratch/pp-checks.tsv
: >"$checks"
pp_expect() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-now}" >>"$checks"; }
cat >"$scratch/pp_verify.py" <<'PY'
"""Verifies tokens with PocketPaw 0.4.18's own code, as its auth middleware does."""
import hmac
import sys

import pocketpaw.security.session_tokens as st
from pocketpaw.config import get_access_token, get_token_path


class FixedClock:
    def __init__(self, at):
        self.at = at

    def time(self):
        return float(self.at)


def accepted(token, current, at=None):
    # pocketpaw.dashboard_auth._auth_dispatch, step 1 (query param; the header and the
    # cookie are checked the same way): the master itself, else a session token.
    real = st.time
    if at is not None:
        st.time = FixedClock(at)
    try:
        if hmac.compare_digest(token, current):
            return True
        return ":" in token and st.verify_session_token(token, current)
    finally:
        st.time = real


current = get_access_token()  # reads $HOME/.pocketpaw/access_token
print(f"    (PocketPaw's master from {get_token_path()})")
ok = bad = 0
for line in open(sys.argv[1]):
    expect, label, token, when = line.rstrip("\n").split("\t")
    at = None
    if when != "now":
        try:
            at = int(token.split(":", 1)[0]) + (1 if when == "exp+1" else 0)
        except ValueError:
            print(f"    FAILED: verify_session_token: {label}: no expiry in {token!r}")
            bad += 1
            continue
    got = "accepted" if accepted(token, current, at) else "rejected"
    clock = "" if at is None else f" (verifier clock at {when})"
    if got == expect:
        ok += 1
        print(f"    ok: verify_session_token: {label}: {got}{clock}")
    else:
        bad += 1
        print(f"    FAILED: verify_session_token: {label}: {got}{clock}, expected {expect}")
open(sys.argv[2], "w").write(f"{ok} {bad}\n")
PY

# Decodes the QR code in PawKey's SVG (the qrcode crate's path of squares) with zxing-cpp.
cat >"$scratch/qr_decode.py" <<'PY'
import re
import sys

import zxingcpp
from PIL import Image, ImageDraw

svg = open(sys.argv[1]).read()
size = int(re.search(r'<svg[^>]*\swidth="(\d+)"', svg).group(1))
path = re.search(r'<path[^>]*\sd="([^"]+)"', svg).group(1)
squares = re.findall(r"M(\d+) (\d+)h(\d+)v(\d+)", path)
if not squares or len(squares) != path.count("M"):
    sys.exit(f"unexpected SVG path ({len(squares)} squares of {path.count('M')} moves)")
img = Image.new("L", (size, size), 255)
draw = ImageDraw.Draw(img)
for x, y, w, h in squares:
    x, y, w, h = map(int, (x, y, w, h))
    draw.rectangle([x, y, x + w - 1, y + h - 1], fill=0)
codes = [c for c in zxingcpp.read_barcodes(img) if c.format == zxingcpp.BarcodeFormat.QRCode]
if len(codes) != 1:
    sys.exit(f"expected one QR code, found {len(codes)}")
print(codes[0].text)
PY

# A WebSocket handshake as PocketPaw's frontend (frontend/js/websocket.js) opens it.
cat >"$scratch/ws_check.py" <<'PY'
import sys

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

try:
    with connect(sys.stdin.readline().strip(), open_timeout=10):  # the URL holds a token
        print("accepted")
except InvalidStatus as e:
    print(f"rejected {e.response.status_code}")
PY

# ---------------------------------------------------------------------------------------
section "a PocketPaw home with its master token; import into PawKey"
mkdir -p "$HOME/.pocketpaw"
pp_master=$(python3 -c 'import uuid; print(uuid.uuid4())')
# PocketPaw writes the token without a newline (Path.write_text) and chmods it 0600.
printf '%s' "$pp_master" >"$HOME/.pocketpaw/access_token"
chmod 600 "$HOME/.pocketpaw/access_token"
# Without this, PocketPaw lets every request from 127.0.0.1 in without any token.
echo '{"localhost_auth_bypass": false}' >"$HOME/.pocketpaw/config.json"
check "pawkeyd master import --from-pocketpaw (HOME=$HOME)" import_quietly
stored=$("$pawkeyd" master show 2>/dev/null || true)
check "the keychain ($PAWKEY_KEYRING_SERVICE) now holds PocketPaw's master" test "$stored" = "$pp_master"

# ---------------------------------------------------------------------------------------
section "PocketPaw 0.4.18's dashboard app (pocketpaw.dashboard:app) under uvicorn"
pp_port=$(free_port)
pp=http://127.0.0.1:$pp_port
(cd "$scratch" && exec "$py" -c '
import sys
import uvicorn
from pocketpaw.security import rate_limiter
for limiter in (rate_limiter.auth_limiter, rate_limiter.api_limiter):
    limiter.rate = 1e12
    limiter.capacity = 10**12
uvicorn.run("pocketpaw.dashboard:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
' "$pp_port" >"$scratch/pocketpaw.log" 2>&1) &
pids+=("$!")
if ! wait_http "$pp/api/remote/status"; then
  fail "PocketPaw did not answer on $pp"
  tail -30 "$scratch/pocketpaw.log" >&2
  exit 1
fi
echo "    PocketPaw $("$py" -c 'import importlib.metadata as m; print(m.version("pocketpaw"))') listening on $pp"

pp_status() { # LABEL EXPECT PATH [query|bearer|cookie TOKEN]: GET PATH (behind AuthMiddleware)
  local label=$1 expect=$2 path=$3 how=${4:-none} token=${5:-}
  local out=(-sS -o "$scratch/body" -w '%{http_code}') got
  case $how in
    none) got=$(curl "${out[@]}" "$pp$path" 2>/dev/null || true) ;;
    query) got=$(curl_url "$pp$path?token=$token" "${out[@]}" 2>/dev/null || true) ;;
    bearer) got=$(curl_bearer "$token" "${out[@]}" "$pp$path" 2>/dev/null || true) ;;
    cookie) got=$(curl_cookie "pocketpaw_session=$token" "${out[@]}" "$pp$path" 2>/dev/null || true) ;;
  esac
  if [ "$got" = "$expect" ]; then
    pass "PocketPaw HTTP: $label -> $got"
  else
    fail "PocketPaw HTTP: $label -> $got, expected $expect (body: $(head -c 200 "$scratch/body" 2>/dev/null))"
  fi
}
accepted_over_http() { # LABEL TOKEN: ?token=, Bearer and the pocketpaw_session cookie
  pp_status "$1 as ?token=" 200 /api/remote/status query "$2"
  pp_status "$1 as Authorization: Bearer" 200 /api/remote/status bearer "$2"
  pp_status "$1 as the pocketpaw_session cookie" 200 /api/remote/status cookie "$2"
}
rejected_over_http() { # LABEL TOKEN
  pp_status "$1 as ?token=" 401 /api/remote/status query "$2"
  pp_status "$1 as Authorization: Bearer" 401 /api/remote/status bearer "$2"
}

# Controls: these show the server enforces auth and reads the temporary HOME.
pp_status "no token (localhost bypass is off)" 401 /api/remote/status
pp_status "PocketPaw's own master as ?token=" 200 /api/remote/status query "$pp_master"
rejected_over_http "a random UUID4" "$(python3 -c 'import uuid; print(uuid.uuid4())')"

# ---------------------------------------------------------------------------------------
section "pawkeyd token --format pocketpaw"
t_cli=$(cli_mint --format pocketpaw) || true
check "bare PocketPaw form <exp>:<64 hex> ($t_cli)" bare_form "$t_cli"
check "pawkeyd verify accepts it" pawkey_accepts "$t_cli"
accepted_over_http "pawkeyd token --format pocketpaw" "$t_cli"
pp_expect accepted "pawkeyd token --format pocketpaw" "$t_cli"
pp_expect accepted "pawkeyd token --format pocketpaw, at its expiry second" "$t_cli" exp
pp_expect rejected "pawkeyd token --format pocketpaw, 1 s after its expiry" "$t_cli" exp+1

section "tampered and expired tokens"
exp=${t_cli%%:*}
mac=${t_cli#*:}
last=${mac: -1}
flipped=$([ "$last" = 0 ] && echo 1 || echo 0)
t_badmac="$exp:${mac%?}$flipped"
t_later="$((exp + 3600)):$mac"
t_past="$((exp - 2 * 86400)):$mac"
check "tampered tokens differ from the original" test "$t_badmac" != "$t_cli" -a "$t_later" != "$t_cli"
rejected_over_http "the token with its last MAC digit changed" "$t_badmac"
rejected_over_http "the token with its expiry moved 1 h later" "$t_later"
rejected_over_http "the token with its expiry moved 2 days back" "$t_past"
pp_expect rejected "last MAC digit changed" "$t_badmac"
pp_expect rejected "expiry moved 1 h later, MAC kept" "$t_later"
pp_expect rejected "expiry moved 2 days back (in the past), MAC kept" "$t_past"
pp_expect rejected "MAC in upper case" "$exp:$(printf '%s' "$mac" | tr a-f A-F)"

# ---------------------------------------------------------------------------------------
section "pawkeyd token (session: prefix form)"
t_sess=$(cli_mint) || true
check "session form session:<exp>:<64 hex> ($t_sess)" session_form "$t_sess"
check "pawkeyd verify accepts the prefixed form" pawkey_accepts "$t_sess"
check "pawkeyd verify accepts it minus the prefix" pawkey_accepts "${t_sess#session:}"
accepted_over_http "pawkeyd token with session: removed" "${t_sess#session:}"
# PocketPaw reads "session" as the expiry and refuses the prefixed form.
rejected_over_http "pawkeyd token with its session: prefix (PocketPaw reads "session" as the expiry)" "$t_sess"
pp_expect accepted "pawkeyd token with session: removed" "${t_sess#session:}"
pp_expect rejected "pawkeyd token with its session: prefix" "$t_sess"
pp_expect rejected "pawkeyd token with session: removed, 1 s after its expiry" "${t_sess#session:}" exp+1

# ---------------------------------------------------------------------------------------
section "pawkeyd serve: POST /api/auth/session and GET /api/qr"
start_pawkeyd() { # LOG ARGS... ; sets $pk
  local log=$1; shift
  local port; port=$(free_port)
  PAWKEY_DASHBOARD_URL=$pp "$pawkeyd" serve --port "$port" "$@" 2>"$log" &
  pids+=("$!")
  pk=http://127.0.0.1:$port
  wait_http "$pk/api/health" || { cat "$log" >&2; return 1; }
}
http_mint() { # BASE -> session_token (the answer goes to stderr when it is not one)
  local s
  s=$(curl_bearer "$pp_master" -sS -o "$scratch/mint.json" -w '%{http_code}' -X POST \
    "$1/api/auth/session" 2>&1 || true)
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_token"])' "$scratch/mint.json" 2>/dev/null ||
    { echo "    POST $1/api/auth/session answered $s: $(head -c 200 "$scratch/mint.json" 2>/dev/null)" >&2; return 1; }
}
if start_pawkeyd "$scratch/serve.log"; then
  t_http=$(http_mint "$pk") || true
  check "HTTP mint (default format): session form ($t_http)" session_form "$t_http"
  accepted_over_http "POST /api/auth/session token with session: removed" "${t_http#session:}"
  pp_expect accepted "POST /api/auth/session token with session: removed" "${t_http#session:}"

  # The phone-pairing QR code: a link into PocketPaw's dashboard with a 10-minute token.
  s=$(curl_bearer "$pp_master" -sS -o "$scratch/qr.svg" -w '%{http_code}' "$pk/api/qr" || true)
  check "GET /api/qr with the master answers 200 (got $s)" test "$s" = 200
  link=$("$py" "$scratch/qr_decode.py" "$scratch/qr.svg" 2>"$scratch/qr.err" || true)
  echo "    QR code says: ${link:-(nothing: $(tail -1 "$scratch/qr.err"))}"
  check "the QR code holds <dashboard_url>/?token=<token>" test "${link%%\?token=*}" = "$pp/"
  t_link=${link#*\?token=}
  if ! bare_form "$t_link"; then
    fail "the link's token is in the bare PocketPaw form (got '$t_link'); its other checks skipped"
  else
    pass "the link's token is in the bare PocketPaw form"
    left=$(( ${t_link%%:*} - $(date +%s) ))
    check "the link's token expires in about 10 minutes (${left} s)" test "$left" -gt 540 -a "$left" -le 600
    # Replay what PocketPaw's frontend/js/app.js does with ?token= on load: it first tries
    # to exchange the token at POST /api/auth/session as if it were the master (refused
    # for a session token, so it keeps the link's token), then sends it as a Bearer token
    # on every API call and as ?token= on the /ws WebSocket (frontend/js/websocket.js).
    s=$(curl_url "$link" -sS -o /dev/null -w '%{http_code}' || true)
    check "dashboard link: the page loads (got $s)" test "$s" = 200
    s=$(curl_bearer "$t_link" -sS -o "$scratch/body" -w '%{http_code}' -X POST "$pp/api/auth/session" || true)
    check "dashboard link: app.js's master exchange is refused, so it keeps the link's token (got $s)" test "$s" = 401
    pp_status "dashboard link token as Bearer on /api/channels/status (app.js)" 200 \
      /api/channels/status bearer "$t_link"
    accepted_over_http "dashboard link token" "$t_link"
    ws=$(printf '%s\n' "ws://127.0.0.1:$pp_port/ws?token=$t_link" | "$py" "$scratch/ws_check.py" 2>&1 | tail -1 || true)
    check "dashboard link: WebSocket /ws?token=<link token> accepted (got: $ws)" test "$ws" = accepted
    ws=$(printf '%s\n' "ws://127.0.0.1:$pp_port/ws?token=$t_badmac" | "$py" "$scratch/ws_check.py" 2>&1 | tail -1 || true)
    check "WebSocket /ws?token=<tampered token> rejected (got: $ws)" test "${ws%% *}" = rejected
  fi
  pp_expect accepted "dashboard link token (GET /api/qr)" "$t_link"
  pp_expect rejected "dashboard link token, 1 s after its expiry" "$t_link" exp+1
  kill -TERM "${pids[-1]}" 2>/dev/null || true
else
  fail "pawkeyd serve did not start"
fi

if start_pawkeyd "$scratch/serve-pp.log" --token-format pocketpaw; then
  t_http_pp=$(http_mint "$pk") || true
  check "HTTP mint (serve --token-format pocketpaw): bare form ($t_http_pp)" bare_form "$t_http_pp"
  accepted_over_http "POST /api/auth/session token (--token-format pocketpaw)" "$t_http_pp"
  pp_expect accepted "POST /api/auth/session token (--token-format pocketpaw)" "$t_http_pp"
  kill -TERM "${pids[-1]}" 2>/dev/null || true
else
  fail "pawkeyd serve --token-format pocketpaw did not start"
fi

# ---------------------------------------------------------------------------------------
section "PocketPaw's own verifier, in process (pocketpaw.security.session_tokens.verify_session_token)"
if (cd "$scratch" && "$py" "$scratch/pp_verify.py" "$checks" "$scratch/pp-counts"); then
  read -r ok bad <"$scratch/pp-counts"
  passed=$((passed + ok))
  for _ in $(seq 1 "$bad"); do failures+=("verify_session_token check (see above)"); done
else
  fail "pocketpaw in-process verification did not run"
fi

# ---------------------------------------------------------------------------------------
section "after pawkeyd master rotate (kept in step: PocketPaw's token file is replaced too)"
check "the import linked them: sync_pocketpaw = true in $PAWKEY_CONFIG" grep -q 'sync_pocketpaw = true' "$PAWKEY_CONFIG"
s=0
"$pawkeyd" master rotate 2>/dev/null || s=$?
check "pawkeyd master rotate exits 0 (got $s)" test "$s" = 0
rotated=$("$pawkeyd" master show 2>/dev/null || true)
check "the keychain holds a new master, not PocketPaw's old one" test -n "$rotated" -a "$rotated" != "$pp_master"
pp_file=$HOME/.pocketpaw/access_token
check "PocketPaw's token file now holds the same new master" test "$(cat "$pp_file")" = "$rotated"
check "PocketPaw's token file is still mode 0600" test "$(stat -c %a "$pp_file")" = 600
t_rot=$(cli_mint --format pocketpaw) || true
check "pawkeyd verify accepts a token minted with the rotated master" pawkey_accepts "$t_rot"
# PocketPaw reads its token file on every request: no restart.
accepted_over_http "a token minted after rotate (PocketPaw read its new token file)" "$t_rot"
t_rot_sess=$(cli_mint) || true
accepted_over_http "a session-form token minted after rotate, with session: removed" "${t_rot_sess#session:}"
# Rotation revokes everything on both sides at once.
check "pawkeyd verify now refuses the token minted before rotate" pawkey_refuses "$t_cli"
rejected_over_http "the token minted before rotate" "$t_cli"
pp_status "PocketPaw's old master as ?token=" 401 /api/remote/status query "$pp_master"
pp_status "the new master as ?token=" 200 /api/remote/status query "$rotated"

section "PocketPaw regenerates its own token; PawKey takes it again"
new_pp=$("$py" -c 'import uuid; print(uuid.uuid4())')
printf '%s' "$new_pp" >"$pp_file"
rejected_over_http "a PawKey token after PocketPaw's own regeneration" "$t_rot"
check "pawkeyd master import --from-pocketpaw again" import_quietly
t_again=$(cli_mint --format pocketpaw) || true
accepted_over_http "a token minted after importing PocketPaw's new master" "$t_again"

check "PocketPaw logged no server error" bash -c "! grep -Eq 'Traceback|ERROR' '$scratch/pocketpaw.log'"
grep -E 'Traceback|ERROR' -A5 "$scratch/pocketpaw.log" | head -30 >&2 || true

echo
echo "pocketpaw interop: $passed passed, ${#failures[@]} failed"
if [ ${#failures[@]} -gt 0 ]; then
  printf '  failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
