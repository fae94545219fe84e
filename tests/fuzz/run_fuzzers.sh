#!/usr/bin/env bash
# Runs every libFuzzer target of a TTS_FUZZ build for a bounded time, one after another.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS_EACH]   (default 50 s: 5 targets < 5 min)
# FUZZ_SEED (default 1) fixes libFuzzer's random seed, so a CI run explores the same inputs
# each time (up to how many it gets through); FUZZ_SEED=0 picks a fresh seed.
# New interesting inputs go to BUILD_DIR/fuzz-corpus/<target> (the seed corpus in the repo is
# read, never written). A crash, leak, sanitizer report or timeout fails the run; the input
# is saved under BUILD_DIR/fuzz-crashes/ — fix the bug, then keep the input in
# tests/fuzz/regressions/<target>/ so `make test` replays it from then on.
set -euo pipefail
build=$1
secs=${2:-50}
seed=${FUZZ_SEED:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
failed=0
for t in gguf tokenizer chat_template sweep_config dataset; do
  work=$build/fuzz-corpus/$t
  mkdir -p "$work" "$build/fuzz-crashes"
  inputs=("$work" "$root/tests/fuzz/corpus/$t")
  [ -d "$root/tests/fuzz/regressions/$t" ] && inputs+=("$root/tests/fuzz/regressions/$t")
  log=$build/fuzz-$t.log
  if ! "$build/tests/fuzz/${t}_fuzz" -max_total_time="$secs" -seed="$seed" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-crashes/$t-" "${inputs[@]}" > "$log" 2>&1; then
    echo "fuzz $t: FAILED (log $log, input in $build/fuzz-crashes/)"
    grep -A30 -m1 "ERROR: \|==ERROR\|runtime error\|oracle failed\|deadly signal" "$log" || tail -30 "$log"
    failed=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  echo "fuzz $t: ${execs:-?} executions in ${secs} s"
done
exit $failed
