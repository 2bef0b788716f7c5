#!/usr/bin/env bash
# Fails unless the executables the end-to-end tests start were built with the given sanitizer, so that a
# sanitizer run cannot quietly test unsanitized binaries. Usage: scripts/check-sanitized.sh SCRATCH asan|tsan
set -euo pipefail
scratch=$1
runtime=$2
for binary in junctiond junctionctl junction-sim junction-bench; do
    # The runtime is linked statically or dynamically depending on the sanitizer: look for its entry point.
    if ! grep -q " __${runtime}_init$" <(nm "$scratch/debug/$binary"); then
        echo "$scratch/debug/$binary is not built with $runtime" >&2
        exit 1
    fi
done
echo "$scratch/debug: junctiond, junctionctl, junction-sim and junction-bench are instrumented with $runtime"
