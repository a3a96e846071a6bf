#!/usr/bin/env bash
# `make fuzz`: runs each cargo-fuzz target (fuzz/fuzz_targets/) for a while with libFuzzer.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default: 300 s, all targets)
# `make prove` runs it bounded (60 s each) from scripts/prove.sh.
#
# cargo-fuzz needs nightly-only compiler flags; the machine's stable toolchain accepts them
# with RUSTC_BOOTSTRAP=1. PawKey's crate forbids unsafe code, so the targets are built
# without a sanitizer (-s none: several times more executions per second); a panic or an
# assertion in a target is the failure being looked for. A crash leaves its input in
# fuzz/artifacts/TARGET/ and fails this script: turn it into a regression test in core.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(token bearer config)

scripts/install.sh cargo-fuzz

export RUSTC_BOOTSTRAP=1
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/fuzz"
cd fuzz
cargo fuzz build --sanitizer none --debug-assertions

status=0
for t in "${targets[@]}"; do
  mkdir -p "$PWD/corpus/$t" "$PWD/artifacts/$t"
  echo "==> fuzz $t for ${secs}s"
  log="$CARGO_TARGET_DIR/fuzz-$t.log"
  if cargo fuzz run --sanitizer none --debug-assertions "$t" "$PWD/corpus/$t" "$PWD/seeds/$t" -- \
      -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ *DONE' "$log" | sed "s/^/   $t: /"
  else
    status=1
    tail -n 40 "$log"
    echo "FUZZ FAILURE in target $t; the input is in fuzz/artifacts/$t/ — add it as a regression test in core" >&2
  fi
done
exit $status
