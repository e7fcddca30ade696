#!/bin/sh
# Long fuzzing session (not part of the test command): runs every target in
# build-fuzz/ for SECONDS each (default 600), JOBS at a time (default 2),
# starting from its committed seed corpus, and prints one summary line per
# target (runs, exec/s, coverage, features, corpus size, result) for
# docs/fuzzing.md. Logs, grown corpora and crash artifacts stay in OUT.
# Usage: [TARGETS="fuzz_frame fuzz_msg"] tests/fuzz/long.sh [SECONDS] [JOBS] [OUT]
set -u
cd "$(dirname "$0")/../.."
secs=${1:-600}; jobs=${2:-2}; out=${3:-$(mktemp -d)}
mkdir -p "$out"
run_one() { # $1 = target binary
    name=$(basename "$1")
    mkdir -p "$out/$name/corpus" "$out/$name/artifacts"
    "$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/$name/artifacts/" \
        "$out/$name/corpus" "tests/fuzz/corpus/$name" >"$out/$name/log" 2>&1
    echo "$?" >"$out/$name/rc"
}
summary() { # $1 = target name
    log="$out/$1/log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
    rc=$(cat "$out/$1/rc" 2>/dev/null || echo "?")
    res=ok; [ "$rc" = 0 ] || res="FAIL(rc=$rc)"
    echo "$1 secs=$secs runs=${runs:-?} exec/s=${eps:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} $res"
}
targets=$(find build-fuzz -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
if [ -n "${TARGETS:-}" ]; then # only these
    targets=$(for t in $TARGETS; do echo "build-fuzz/$t"; done)
fi
set -- $targets
while [ $# -gt 0 ]; do
    pids=""
    i=0
    while [ $# -gt 0 ] && [ $i -lt "$jobs" ]; do
        run_one "$1" & pids="$pids $!"
        shift; i=$((i + 1))
    done
    for p in $pids; do wait "$p"; done
done
for t in $targets; do summary "$(basename "$t")"; done | tee "$out/summary"
