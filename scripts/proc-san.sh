#!/bin/sh
# The real-process tests again, with the ASan+UBSan build of herd (every
# master, worker and client process the tests start). The sanitizers write
# their reports to files in a private directory (a daemon's stderr goes to
# its log, where nobody would read it); any report fails this stage, and is
# printed. Usage: scripts/proc-san.sh [pytest args...]
set -u
cd "$(dirname "$0")/.."
rep=$(mktemp -d)
trap 'rm -rf "$rep"' EXIT
HERD_BIN="$PWD/build-san/herd" \
ASAN_OPTIONS="log_path=$rep/asan:detect_leaks=1" \
UBSAN_OPTIONS="log_path=$rep/ubsan:print_stacktrace=1" \
    /usr/bin/python3 -m pytest -q "$@" tests/proc
rc=$?
n=$(find "$rep" -type f | wc -l)
for f in $(find "$rep" -type f | head -n 20); do
    echo "---- sanitizer report $(basename "$f")"
    head -n 60 "$f"
done
echo "sanitizer reports: $n"
[ "$rc" -eq 0 ] && [ "$n" -eq 0 ]
