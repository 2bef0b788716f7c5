#!/usr/bin/env bash
# Runs libFuzzer targets built by `make fuzz-build` for a bounded time each, and prints one line per target.
# Usage: scripts/fuzz.sh SCRATCH SECONDS TARGET...
# The seeds in Fuzz/Corpus/TARGET are read only; what the fuzzer learns goes to SCRATCH/corpus/TARGET, crash
# reproducers to SCRATCH/artifacts/TARGET/ (replay one with `SCRATCH/debug/TARGET FILE`). Exit status 1 when a
# target found something.
set -uo pipefail
scratch=$1
seconds=$2
shift 2
status=0
for target in "$@"; do
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    log="$scratch/logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    # TOMLKit leaks on every document parsed (issue 8, defect 14): scripts/lsan.supp names its allocations, only those.
    # Swift's backtracer is off: after a sanitizer report it hung reading the process's memory.
    if ! ASAN_OPTIONS="abort_on_error=1:detect_leaks=1" SWIFT_BACKTRACE=enable=no \
        LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0" \
        "$scratch/debug/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" "Fuzz/Corpus/$target" >"$log" 2>&1; then
        echo "$target: FOUND A PROBLEM (log $log, reproducer in $artifacts/):"
        grep -m1 -E 'ERROR|invariant failed|Fatal error|deadly signal' "$log" | cut -c1-400
        status=1
        continue
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "$target: ${runs:-?} runs in ${seconds} s ($(( ${runs:-0} / seconds ))/s), $coverage," \
        "$(find "$corpus" -type f | wc -l) corpus files learnt, no findings"
done
exit $status
