#!/bin/sh
# Task-farm benchmark: herd vs Dask distributed (LocalCluster) and a bare
# posix_spawn loop; results go into docs/benchmarks.md, "Task jobs".
# Installs Debian's python3-distributed when missing (root needed).
set -e
cd "$(dirname "$0")/.."
make -j2 >/dev/null
if ! /usr/bin/python3 -c 'import distributed' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q python3-distributed >/dev/null || true; fi
fi
exec /usr/bin/python3 bench/tasks_bench.py
