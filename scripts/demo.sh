#!/bin/sh
# The README's first command: install dependencies, build, and run the main
# job — PageRank on a generated Kronecker graph, on an embedded local cluster
# (a master and two worker processes on this machine).
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)" build/herd >/dev/null
mkdir -p out
./build/herd generate kronecker --scale 16 --degree 16 --seed 1 -o out/demo.el
./build/herd run pagerank out/demo.el --iterations 20 --output out/demo-pagerank.txt
echo "demo: top 5 vertices by PageRank (out/demo-pagerank.txt):"
sort -k2 -g -r out/demo-pagerank.txt | head -n 5
