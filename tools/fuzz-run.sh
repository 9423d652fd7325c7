#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD/fuzz for SECONDS each, starting from its committed
# seeds (fuzz/corpus/<target>) plus what earlier runs found (BUILD/fuzz-corpus/<target>, which
# libFuzzer grows). Prints a table; exits non-zero when a target crashed, hung, leaked or ran out
# of memory, leaving the input in BUILD/fuzz-artifacts/ (reproduce: BUILD/fuzz/fuzz_T FILE).
#   tools/fuzz-run.sh BUILD SECONDS [TARGET...]
set -uo pipefail
build=${1:?usage: fuzz-run.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: fuzz-run.sh BUILD SECONDS [TARGET...]}
shift 2
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$build"/fuzz/fuzz_*; do
    [ -x "$exe" ] && targets+=("$(basename "$exe" | sed 's/^fuzz_//')")
  done
fi
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
failed=0
printf '%-18s %10s %9s %8s %s\n' target runs exec/s corpus result
for t in "${targets[@]}"; do
  exe="$build/fuzz/fuzz_$t"
  seeds="$root/fuzz/corpus/$t"
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  dict=()
  case "$t" in  # the targets whose inputs are JSON share one dictionary
    json_bodies | proof | openai_request | key_file | tokenizer_json) dict=("-dict=$root/fuzz/json.dict") ;;
  esac
  log="$build/fuzz-logs/$t.log"
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: a leak or a runaway allocation.
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$t-" "${dict[@]}" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  size=$(find "$work" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc; $(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+|deadly signal|timeout|out-of-memory' "$log" || echo see log): $log)"
    failed=1
  fi
  printf '%-18s %10s %9s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "$size" "$result"
done
exit $failed
