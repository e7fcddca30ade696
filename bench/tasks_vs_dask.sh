#!/bin/sh
# Task-farm benchmark, everything side by side in one run: herd vs Dask
# distributed (LocalCluster), Work Queue 9.9 and a bare posix_spawn loop;
# results go into docs/benchmarks.md, "Task jobs".
# Installs the baselines' Debian packages when missing (root needed):
# python3-distributed (Dask, for /usr/bin/python3) and coop-computing-tools
# and python3-workqueue (Work Queue 9.9 and its manager binding). Builds herd (make), the C latency
# client bench/latency.c, the spawn loop bench/spawn.c and the journal-only steady-state
# benchmark bench/journal_steady.c (run by hand: see its header).
# BENCH_INSTALL_ONLY=1 stops after installing and building.
set -e
cd "$(dirname "$0")/.."
need=""
/usr/bin/python3 -c 'import distributed' 2>/dev/null || need="$need python3-distributed"
command -v work_queue_worker >/dev/null 2>&1 || need="$need coop-computing-tools"
/usr/bin/python3 -c "import work_queue" 2>/dev/null || need="$need python3-workqueue"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing:$need" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null; } ||
            echo "could not install$need; those baselines are skipped" >&2
    else
        echo "not root: cannot install$need; those baselines are skipped" >&2
    fi
fi
make -j2 >/dev/null
mkdir -p build/bench
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o build/bench/latency bench/latency.c \
    $(pkg-config --cflags --libs libcurl)
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o build/bench/spawn bench/spawn.c
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc -o build/bench/journal_steady \
    bench/journal_steady.c build/libherd.a $(pkg-config --libs sqlite3) -lpthread -lm
[ "${BENCH_INSTALL_ONLY:-0}" = 1 ] && exit 0
exec /usr/bin/python3 bench/tasks_bench.py
