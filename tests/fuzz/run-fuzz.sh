#!/bin/sh
# Runs a libFuzzer harness for a bounded time on a copy of a seed corpus, so
# the committed corpus is never modified. Exits non-zero on any crash, leak,
# timeout or sanitizer report; the reproducer is kept as ARTIFACT_PREFIX*.
#   run-fuzz.sh HARNESS SEED_DIR SECONDS ARTIFACT_PREFIX [MAX_LEN]
set -eu
harness=$1 seeds=$2 secs=$3 artifacts=$4 max_len=${5:-16384}

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/corpus"
cp "$seeds"/* "$work/corpus/"

echo "fuzzing $(basename "$harness") for ${secs}s on a copy of $seeds"
"$harness" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
        -artifact_prefix="$artifacts" -print_final_stats=1 "$work/corpus"
