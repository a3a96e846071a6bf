#!/usr/bin/env bash
# `make bench`: PawKey's benchmarks, side by side with PocketPaw 0.4.18 (not part of
# `make test`). Prints a table and writes it to target/bench/results.md; docs/BENCHMARKS.md
# records a run and explains each figure.
#
# 1. criterion micro benchmarks (core/benches/tokens.rs): mint, verify, header parsing.
# 2. A release `pawkeyd serve` (master token in a real gnome-keyring, scripts/with-keyring.sh)
#    loaded with Debian's wrk (1 thread): mint (POST /api/auth/session with the master
#    token) and a verified request (GET /api/auth/verify with a session token) at 1, 32
#    and 256 connections, 10 s each; start-up time to the first answer; resident memory
#    idle and after the whole run (well over 1 million requests); binary sizes.
# 3. PocketPaw 0.4.18 from PyPI (venv under target/), its own session endpoint and auth
#    middleware under uvicorn (one worker, uvloop and httptools) with its rate limiters
#    switched off (scripts/bench-pocketpaw.py),
#    loaded the same way at 32 connections; the ratios PawKey/PocketPaw.
# Environment: BENCH_SECONDS (default 10) per wrk run.
set -euo pipefail
cd "$(dirname "$0")/.."

root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/bench
secs=${BENCH_SECONDS:-10}

if [ "${1:-}" != --inside ]; then
  scripts/install.sh deps-build pocketpaw
  if ! command -v wrk >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "Installing Debian package: wrk"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null \
      || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
  fi
  echo "==> cargo build --release pawkeyd; the prove checker"
  cargo build --release --locked -p pawkey-core --bin pawkeyd
  cargo build --locked -p pawkey-prove
  echo "==> criterion micro benchmarks"
  rm -rf "$out"; mkdir -p "$out"
  cargo bench --locked -p pawkey-core --bench tokens -- --warm-up-time 1 --measurement-time 3 2>&1 | tee "$out/criterion.txt"
  exec scripts/with-keyring.sh "$0" --inside
fi

# ---- inside a private D-Bus session with an unlocked gnome-keyring ----------------------
pawkeyd=$target/release/pawkeyd
prove=$target/debug/prove
venv=$target/prove/venv-pocketpaw
port=18431
pp_port=18432
ready_port=18433
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pawkey-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
export PAWKEY_CONFIG=$scratch/config.toml PAWKEY_DATA_DIR=$scratch/data
export PAWKEY_KEYRING_SERVICE=pawkey-bench-$$

wait_http() { # URL: waits for any HTTP answer (PocketPaw answers 401 without a token)
  for _ in $(seq 1 1200); do
    [ "$(curl -sS -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" != 000 ] && return 0
    sleep 0.05
  done
  echo "no answer from $1" >&2; return 1
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

echo "==> start-up time (pawkeyd serve, master token from the keychain)"
"$pawkeyd" token >/dev/null # creates the master token in the keychain once
"$prove" ready --addr "127.0.0.1:$ready_port" --runs 20 -- "$pawkeyd" serve --port "$ready_port" | tee "$out/ready.txt"

echo "==> pawkeyd serve on port $port"
"$pawkeyd" serve --port "$port" 2>"$scratch/pawkeyd.log" & pid=$!; pids+=("$pid")
wait_http "http://127.0.0.1:$port/api/health"
sleep 1
echo "idle_rss_kib $(rss_kib "$pid")" >"$out/rss.txt"
# Secrets never go on a command line (readable by every local user through /proc): they
# live in 0600 files in the 0700 scratch directory; curl reads its header from stdin and
# wrk from a Lua script that reads the token file.
umask 077
"$pawkeyd" master show >"$scratch/master"
sed 's/^/Authorization: Bearer /' "$scratch/master" |
  curl -fsS -X POST "http://127.0.0.1:$port/api/auth/session" -H @- |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["session_token"])' >"$scratch/session"

run_wrk() { # NAME CONNS URL TOKEN_FILE [POST]
  local name=$1 conns=$2 url=$3 token_file=$4 method=${5:-GET}
  local lua=$scratch/wrk-$name.lua
  cat >"$lua" <<LUA
local f = assert(io.open("$token_file", "r"))
local token = f:read("*l")
f:close()
wrk.method = "$method"
wrk.headers["Authorization"] = "Bearer " .. token
LUA
  echo "--> wrk $name at $conns connections"
  wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url" >"$out/wrk-$name-$conns.txt"
  grep -E 'Requests/sec|Non-2xx|Socket errors|  50%|  99%' "$out/wrk-$name-$conns.txt" | sed 's/^/    /'
}
for c in 32 1 256; do
  run_wrk pawkey-mint "$c" "http://127.0.0.1:$port/api/auth/session" "$scratch/master" POST
  run_wrk pawkey-verify "$c" "http://127.0.0.1:$port/api/auth/verify" "$scratch/session"
done
echo "after_rss_kib $(rss_kib "$pid")" >>"$out/rss.txt"
kill -TERM "$pid"; wait "$pid" || true

echo "==> PocketPaw 0.4.18 under uvicorn on port $pp_port (rate limiters off)"
pp_home=$scratch/pocketpaw-home
mkdir -p "$pp_home/.pocketpaw"
echo '{"localhost_auth_bypass": false}' >"$pp_home/.pocketpaw/config.json"
(cd "$scratch" && HOME=$pp_home "$venv/bin/python" -c 'from pocketpaw.config import get_access_token; print(get_access_token())') >"$scratch/pp-master"
(cd "$scratch" && HOME=$pp_home exec "$venv/bin/python" "$root/scripts/bench-pocketpaw.py" "$pp_port") & pp_pid=$!; pids+=("$pp_pid")
wait_http "http://127.0.0.1:$pp_port/api/protected"
sleep 1
echo "pocketpaw_idle_rss_kib $(rss_kib "$pp_pid")" >>"$out/rss.txt"
sed 's/^/Authorization: Bearer /' "$scratch/pp-master" |
  curl -fsS -X POST "http://127.0.0.1:$pp_port/api/auth/session" -H @- |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["session_token"])' >"$scratch/pp-session"
run_wrk pocketpaw-mint 32 "http://127.0.0.1:$pp_port/api/auth/session" "$scratch/pp-master" POST
run_wrk pocketpaw-verify 32 "http://127.0.0.1:$pp_port/api/protected" "$scratch/pp-session"

for b in pawkeyd pawkey; do
  [ -f "$target/release/$b" ] && echo "size_$b $(stat -c %s "$target/release/$b")" >>"$out/rss.txt"
done

python3 - "$out" <<'PY' | tee "$out/results.md"
import pathlib, re, sys
out = pathlib.Path(sys.argv[1])

def ms(v):
    n, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

def wrk(name, conns):
    t = (out / f"wrk-{name}-{conns}.txt").read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    total = int(re.search(r"(\d+) requests in", t).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    errs = re.search(r"Socket errors: (.*)", t)
    return dict(rps=rps, total=total, p50=p50, p99=p99, bad=int(bad.group(1)) if bad else 0,
                errs=errs.group(1) if errs else "")

facts = dict(l.split() for l in (out / "rss.txt").read_text().splitlines())
crit = (out / "criterion.txt").read_text()
def micro(name):
    m = re.search(re.escape(name) + r"\s+time:\s+\[\S+ \S+ ([\d.]+) (\S+) \S+ \S+\]", crit)
    v, unit = float(m.group(1)), m.group(2)
    return v * {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6}[unit]
ready = re.search(r"median ([\d.]+) ms", (out / "ready.txt").read_text()).group(1)

def mark(ok):
    return "met" if ok else "**missed**"

print("## Micro benchmarks (criterion)\n")
print("| operation | time | target |")
print("|---|---|---|")
for name, target in [("token/mint", 2000), ("token/verify/valid", 1000), ("token/verify/bad_mac", 1000),
                     ("token/verify/malformed", 1000), ("token/parse/valid", None),
                     ("authorization/parse_bearer/session", None), ("authorization/parse_bearer/master", None),
                     ("authorization/parse_bearer/basic", None)]:
    t = micro(name)
    tgt = f"< {target/1000:g} µs: {mark(t < target)}" if target else ""
    print(f"| {name} | {t:.0f} ns | {tgt} |")

print("\n## HTTP at 32 connections (wrk, 1 thread), PawKey vs PocketPaw 0.4.18\n")
print("| request | PawKey req/s | p50 | p99 | PocketPaw req/s | p50 | p99 | ratio req/s | targets |")
print("|---|---|---|---|---|---|---|---|---|")
for kind, target in [("mint", 80000), ("verify", 90000)]:
    a, b = wrk(f"pawkey-{kind}", 32), wrk(f"pocketpaw-{kind}", 32)
    print(f"| {kind} | {a['rps']:,.0f} | {a['p50']:.2f} ms | {a['p99']:.2f} ms | {b['rps']:,.0f} | "
          f"{b['p50']:.2f} ms | {b['p99']:.2f} ms | **{a['rps']/b['rps']:,.0f}×** | "
          f"≥ {target:,} req/s: {mark(a['rps'] >= target)}; p99 ≤ 2 ms: {mark(a['p99'] <= 2.0)} |")

print("\n## PawKey scaling with connections\n")
print("| request | connections | req/s | p50 | p99 | non-2xx | socket errors |")
print("|---|---|---|---|---|---|---|")
total = 0
for kind in ["mint", "verify"]:
    for c in [1, 32, 256]:
        r = wrk(f"pawkey-{kind}", c)
        total += r["total"]
        print(f"| {kind} | {c} | {r['rps']:,.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['bad']} | {r['errs'] or 0} |")
for kind in ["mint", "verify"]:
    r = wrk(f"pocketpaw-{kind}", 32)
    if r["bad"] or r["errs"]:
        print(f"\nPocketPaw {kind}: {r['bad']} non-2xx, socket errors {r['errs']}")

idle = int(facts["idle_rss_kib"]) / 1024
after = int(facts["after_rss_kib"]) / 1024
size = int(facts["size_pawkeyd"]) / 1e6
print("\n## Start-up and footprint\n")
print("| figure | value | target |")
print("|---|---|---|")
print(f"| pawkeyd start to first answer (median of 20) | {ready} ms | ≤ 50 ms: {mark(float(ready) <= 50)} |")
print(f"| pawkeyd RSS idle | {idle:.1f} MB | ≤ 15 MB: {mark(idle <= 15)} |")
print(f"| pawkeyd RSS after {total:,} requests | {after:.1f} MB | |")
print(f"| PocketPaw (uvicorn) RSS idle | {int(facts['pocketpaw_idle_rss_kib'])/1024:.1f} MB | |")
print(f"| pawkeyd release binary | {size:.2f} MB | ≤ 10 MB: {mark(size <= 10)} |")
if "size_pawkey" in facts:
    print(f"| pawkey (desktop) release binary | {int(facts['size_pawkey'])/1e6:.2f} MB | |")
else:
    print("| pawkey (desktop) release binary | not built (target/release/pawkey missing) | |")
PY
