#!/bin/sh
# The README's second command: install dependencies, build, and run every
# test tier: unit + simulation (normal and ASan/UBSan builds), fuzz smoke
# runs, and real-process tests on loopback (normal and ASan/UBSan builds).
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
jobs=$(nproc)
total_pass=0; total_fail=0
tally() { # $1 = stage name, $2 = log file; reads the last "... N passed[, N failed]" line
    line=$(grep -E '[0-9]+ passed' "$2" | tail -n 1)
    p=$(echo "$line" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) passed.*/\1/p; s/^\([0-9][0-9]*\) passed.*/\1/p' | head -n 1)
    f=$(echo "$line" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) failed.*/\1/p; s/^\([0-9][0-9]*\) failed.*/\1/p' | head -n 1)
    e=$(echo "$line" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) error.*/\1/p' | head -n 1)
    [ -z "$p" ] && p=0
    [ -z "$line" ] && f=1
    [ -z "$f" ] && f=0
    [ -n "$e" ] && f=$((f + e))
    echo "== $1: $p passed, $f failed"
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}
log=$(mktemp -d)
stage() { # $1 = name, rest = command
    name=$1; shift
    echo "== $name"
    { "$@"; echo "$?" > "$log/$name.rc"; } 2>&1 | tee "$log/$name.log"
    tally "$name" "$log/$name.log"
    if [ "$(cat "$log/$name.rc")" != 0 ] && [ "$f" -eq 0 ]; then
        echo "== $name: exited $(cat "$log/$name.rc") with no failure counted; counting one"
        total_fail=$((total_fail + 1))
    fi
}
scripts/check-layers.sh || { echo "0 passed, 1 failed"; exit 1; }
make -j"$jobs" all || { echo "0 passed, 1 failed"; exit 1; }
stage unit scripts/run-unit.sh build
make -j"$jobs" SAN=1 all || { echo "0 passed, 1 failed"; exit 1; }
stage unit-asan env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 scripts/run-unit.sh build-san
if [ -d tests/fuzz ]; then
    make -j"$jobs" fuzz || { echo "0 passed, 1 failed"; exit 1; }
    stage fuzz tests/fuzz/smoke.sh
fi
if [ -d tests/proc ]; then
    stage proc env HERD_BIN="$PWD/build/herd" /usr/bin/python3 -m pytest -q tests/proc
    stage proc-asan scripts/proc-san.sh
fi
rm -rf "$log"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
