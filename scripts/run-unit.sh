#!/bin/sh
# Runs every compiled C test binary under BUILD/tests and prints one
# aggregate "N passed, N failed" line. Usage: scripts/run-unit.sh BUILD
build=${1:-build}
pass=0; fail=0; bad=""
for t in $(find "$build/tests" -type f -perm -u+x | sort); do
    echo "== $t"
    out=$("$t" 2>&1); rc=$?
    echo "$out" | grep -v '^ok ' || true
    line=$(echo "$out" | tail -n 1)
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    if [ -z "$p" ]; then p=0; f=1; fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    pass=$((pass + p)); fail=$((fail + f))
    [ "$f" -ne 0 ] && bad="$bad $t"
done
[ -n "$bad" ] && echo "failing:$bad"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
