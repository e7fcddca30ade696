#!/bin/sh
# Fuzz smoke run: every libFuzzer target in build-fuzz/ (built by `make fuzz`)
# runs for a short bounded time over its committed seed corpus
# (tests/fuzz/corpus/<target>/, read-only: new inputs go to a temp dir).
# A target passes if libFuzzer finds no crash, leak, timeout or OOM.
# Ends with "N passed, N failed" (N = targets). The whole run stays under
# about a minute: HERD_FUZZ_BUDGET seconds (default 48) are split evenly
# between targets, 2..10 s each; HERD_FUZZ_SECONDS forces a per-target time.
# Usage: tests/fuzz/smoke.sh [BUILD_DIR]   (default build-fuzz)
set -u
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
targets=$(find "$build" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x 2>/dev/null | sort)
n=$(echo "$targets" | grep -c . || true)
if [ "$n" -eq 0 ]; then
    echo "no fuzz targets in $build (run 'make fuzz' first)"
    echo "0 passed, 1 failed"
    exit 1
fi
budget=${HERD_FUZZ_BUDGET:-48}
per=$((budget / n))
[ "$per" -lt 2 ] && per=2
[ "$per" -gt 10 ] && per=10
per=${HERD_FUZZ_SECONDS:-$per}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; fail=0
for bin in $targets; do
    name=$(basename "$bin")
    mkdir -p "$work/$name/new" "$work/$name/artifacts"
    seeds="tests/fuzz/corpus/$name"
    [ -d "$seeds" ] || seeds=""
    log="$work/$name/log"
    # The first corpus dir receives new inputs; the committed one is only read.
    # A fixed seed and run count make the smoke run reproducible: CI fails only
    # on inputs a developer can replay; the long fuzzing sessions explore.
    "$bin" -seed="${HERD_FUZZ_SEED:-1}" -runs="${HERD_FUZZ_RUNS:-60000}" \
        -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$work/$name/artifacts/" \
        "$work/$name/new" $seeds >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "ok   $name (${per}s, ${runs:-?} runs)"
    else
        fail=$((fail + 1))
        echo "FAIL $name (exit $rc, ${runs:-?} runs); log tail:"
        tail -n 30 "$log" | sed 's/^/    /'
        for a in "$work/$name/artifacts/"*; do
            [ -f "$a" ] && echo "    crashing input (base64): $(base64 -w0 "$a" | head -c 2000)"
        done
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
