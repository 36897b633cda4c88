#!/bin/sh
# Runs the varlink libFuzzer harness for a bounded time on a copy of the
# committed seed corpus (which is never modified). Non-zero on any crash,
# leak, timeout or sanitizer report; the reproducer is kept under
# ARTIFACT_PREFIX.
#   run-fuzz.sh HARNESS SEED_DIR SECONDS ARTIFACT_PREFIX
set -eu
harness=$1 seeds=$2 secs=$3 artifacts=$4

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz-varlink.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp "$seeds"/* "$work/"

echo "fuzzing $(basename "$harness") for ${secs}s on a copy of $seeds"
"$harness" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -artifact_prefix="$artifacts" -print_final_stats=1 "$work"
