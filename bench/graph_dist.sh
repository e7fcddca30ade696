#!/usr/bin/env bash
# graph_dist.sh — distributed graph jobs, side by side in one run
# (docs/benchmarks.md, section "Distributed graph jobs").
#
#   1. PageRank ITERS iterations on a Kronecker graph: 2 local workers
#      (`herd run`, embedded local cluster; pull path, and --no-fast-path,
#      the message path) vs the one-process engine (`--in-process`, the same
#      two paths, 16 partitions like the workers) vs GAPBS pr_spmv (1 and 2
#      threads) when GAPBS_DIR has it; alternating, RUNS rounds, min and
#      median.
#   2. Peak memory of all processes (sum of VmRSS of `herd` processes,
#      sampled every 50 ms) per arc, for the distributed run.
#   3. Empty-superstep round with 2 workers: PageRank on a 2-vertex graph on
#      the message path (--no-fast-path: a round is STEP, compute, one END
#      per pair of workers, REPORT), (T(3000 it.) - T(1000 it.)) / 2000; and
#      the same on the pull path (adds a VECTOR frame per partition).
#   4. Checkpoint every 5 supersteps: the distributed run with and without.
#   5. A worker killed at superstep 10: master + 2 workers on loopback
#      (started fresh for every run, so every run loads the graph cold), job
#      with checkpoints every 5; after the kill it finishes on the survivor.
#
# Environment: HERD_BIN (default build/herd), SCALE (default 20), DEGREE
# (16), SEED (1), RUNS (3), ITERS (20), GAPBS_DIR (optional), BENCH_DIR
# (scratch; default a temp dir removed at exit), QUICK=1 (only dist2, pull
# and GAPBS in part 1, then stop: the PageRank ratios alone), BASE_BIN
# (optional: another herd binary, e.g. main's, whose dist2 run "base2" joins
# the rounds of part 1 right after dist2: a paired A/B under the same load).
set -euo pipefail

HERD_BIN=$(realpath "${HERD_BIN:-build/herd}")
SCALE=${SCALE:-20}
DEGREE=${DEGREE:-16}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
ITERS=${ITERS:-20}
GAPBS_DIR=${GAPBS_DIR:-}
BASE_BIN=${BASE_BIN:+$(realpath "$BASE_BIN")}
if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR=$(mktemp -d)
    trap 'rm -rf "$BENCH_DIR"' EXIT
fi
mkdir -p "$BENCH_DIR"
cd "$BENCH_DIR"

now() { date +%s.%N; }
stats() { # min and median of the numbers on stdin
    sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "min %.3f median %.3f", a[1], m}'
}
TIME_BIN=$(command -v /usr/bin/time || true)
timed() { # timed NAME CMD...: appends wall seconds to NAME.t, user+sys CPU to NAME.cpu
    local name=$1; shift
    local t0; t0=$(now)
    if [ -n "$TIME_BIN" ]; then # CPU of the process and the children it waited for
        "$TIME_BIN" -f "%U %S" -o "$name.cpu1" "$@" >/dev/null 2>>"$name.err"
        awk '{print $1 + $2}' "$name.cpu1" >>"$name.cpu"
    else
        "$@" >/dev/null 2>>"$name.err"
    fi
    echo "$(now) - $t0" | bc -l >>"$name.t"
}

G=kron-$SCALE-$DEGREE-$SEED.el
[ -f "$G" ] || "$HERD_BIN" generate kronecker --scale "$SCALE" --degree "$DEGREE" --seed "$SEED" -o "$G" 2>/dev/null
ARCS=$(grep -vc '^#' "$G")
GT=$G
# herd reads its binary format (like GAPBS its .sg), so loading is not text parsing
[ -f "$G.hgr" ] || "$HERD_BIN" convert "$G" "$G.hgr" 2>/dev/null
G=$G.hgr
echo "graph: Kronecker scale $SCALE degree $DEGREE seed $SEED, $ARCS arcs; $(nproc) cores; runs $RUNS"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1 and 4: PageRank, distributed vs one process; checkpoint overhead ---
rm -f ./*.t ./*.err ./*.cpu ./*.cpu1
for r in $(seq "$RUNS"); do
    timed dist2 "$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --workers 2 -o pr.dist
    [ -z "$BASE_BIN" ] || timed base2 "$BASE_BIN" run pagerank "$G" --iterations "$ITERS" --workers 2 -o pr.base
    [ "${QUICK:-0}" = 1 ] || timed ckpt5 "$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --workers 2 --checkpoint-every 5 -o pr.ck
    [ "${QUICK:-0}" = 1 ] || timed dist2msg "$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --workers 2 --no-fast-path -o pr.dmsg
    timed pull "$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --in-process --partitions 16 -o pr.pull
    [ "${QUICK:-0}" = 1 ] || timed msgs "$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --in-process --no-fast-path --partitions 16 -o pr.msg
    if [ -n "$GAPBS_DIR" ] && [ -x "$GAPBS_DIR/pr_spmv" ]; then
        if [ ! -s g.sg ] || [ "$(stat -c %s g.sg)" -lt 1000 ]; then
            grep -v '^#' "$GT" >g.el # GAPBS reads bare "src dst" lines
            "$GAPBS_DIR/converter" -f g.el -b g.sg >/dev/null
            rm -f g.el
        fi
        OMP_NUM_THREADS=1 timed gapbs1 "$GAPBS_DIR/pr_spmv" -f g.sg -i "$ITERS" -t 0 -n 1
        OMP_NUM_THREADS=2 timed gapbs2 "$GAPBS_DIR/pr_spmv" -f g.sg -i "$ITERS" -t 0 -n 1
    fi
done
cmp -s pr.dist pr.pull && echo "check: distributed pull == one-process pull (bytes)"
[ -z "$BASE_BIN" ] || { cmp -s pr.dist pr.base && echo "check: dist2 == base2 (bytes)"; }
cmp -s pr.dmsg pr.msg && echo "check: distributed messages == one-process messages (bytes)"
cmp -s pr.dist pr.ck && echo "check: checkpointed run == plain distributed run (bytes)"
for k in dist2 base2 ckpt5 dist2msg pull msgs gapbs1 gapbs2; do
    [ -f $k.t ] && printf "%-7s wall s: %s\n" $k "$(stats <$k.t)"
done
# CPU seconds (user + sys, all processes of the run) move less with the load
for k in dist2 base2 pull gapbs1 gapbs2; do
    [ -f $k.cpu ] && printf "%-7s cpu s:  %s\n" $k "$(stats <$k.cpu)"
done
med() { sort -g "$1" | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
mn() { sort -g "$1" | head -1; }
echo "ratio dist2/pull (min): $(echo "$(mn dist2.t) / $(mn pull.t)" | bc -l | cut -c1-5)"
if [ -f base2.t ]; then
    echo "ratio dist2/base2 (min, median): $(echo "$(mn dist2.t) / $(mn base2.t)" | bc -l | cut -c1-5), $(echo "$(med dist2.t) / $(med base2.t)" | bc -l | cut -c1-5)"
    if [ -f gapbs2.t ]; then
        echo "ratio base2/gapbs2 (min, median): $(echo "$(mn base2.t) / $(mn gapbs2.t)" | bc -l | cut -c1-5), $(echo "$(med base2.t) / $(med gapbs2.t)" | bc -l | cut -c1-5)"
    fi
fi
if [ "${QUICK:-0}" = 1 ]; then
    if [ -f gapbs1.t ]; then
        echo "ratio dist2/gapbs1 (min, median): $(echo "$(mn dist2.t) / $(mn gapbs1.t)" | bc -l | cut -c1-5), $(echo "$(med dist2.t) / $(med gapbs1.t)" | bc -l | cut -c1-5)"
        echo "ratio dist2/gapbs2 (min, median): $(echo "$(mn dist2.t) / $(mn gapbs2.t)" | bc -l | cut -c1-5), $(echo "$(med dist2.t) / $(med gapbs2.t)" | bc -l | cut -c1-5)"
    fi
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi
echo "ratio dist2msg/msgs (min): $(echo "$(mn dist2msg.t) / $(mn msgs.t)" | bc -l | cut -c1-5)"
echo "checkpoint every 5 overhead (min): $(echo "($(mn ckpt5.t) / $(mn dist2.t) - 1) * 100" | bc -l | cut -c1-5) %"
if [ -f gapbs1.t ]; then
    echo "ratio dist2/gapbs1 (min): $(echo "$(mn dist2.t) / $(mn gapbs1.t)" | bc -l | cut -c1-5)"
    echo "ratio dist2/gapbs2 (min): $(echo "$(mn dist2.t) / $(mn gapbs2.t)" | bc -l | cut -c1-5)"
fi

# --- 2: peak memory of all herd processes ---
"$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --workers 2 -o pr.mem 2>/dev/null &
RUNPID=$!
peak=0
while kill -0 $RUNPID 2>/dev/null; do
    s=$( (ps -o rss= -p $RUNPID; ps -o rss= --ppid $RUNPID) 2>/dev/null | awk '{s+=$1} END{print s+0}' || true)
    [ "$s" -gt "$peak" ] && peak=$s
    sleep 0.05
done
echo "peak RSS of all herd processes: $((peak / 1024)) MiB = $(echo "$peak * 1024 / $ARCS" | bc -l | cut -c1-5) bytes per arc"

# --- 3: empty-superstep round ---
printf '1 2\n2 1\n' >tiny.el
rm -f e1.t e2.t p1.t p2.t
for r in $(seq "$RUNS"); do
    timed e1 "$HERD_BIN" run pagerank tiny.el --iterations 1000 --workers 2 --no-fast-path -o /dev/null
    timed e2 "$HERD_BIN" run pagerank tiny.el --iterations 3000 --workers 2 --no-fast-path -o /dev/null
    timed p1 "$HERD_BIN" run pagerank tiny.el --iterations 1000 --workers 2 -o /dev/null
    timed p2 "$HERD_BIN" run pagerank tiny.el --iterations 3000 --workers 2 -o /dev/null
done
echo "empty superstep round, 2 workers, message path: $(echo "($(mn e2.t) - $(mn e1.t)) / 2000 * 1000000" | bc -l | cut -c1-6) us (min over runs)"
echo "the same on the pull path: $(echo "($(mn p2.t) - $(mn p1.t)) / 2000 * 1000000" | bc -l | cut -c1-6) us"

# --- 5: a worker killed at superstep 10 ---
rm -f ports
"$HERD_BIN" master --listen 127.0.0.1:0 --http 127.0.0.1:0 --port-file ports --data-dir md \
    --heartbeat-ms 250 >master.log 2>&1 &
MPID=$!
while ! grep -q http ports 2>/dev/null; do sleep 0.02; done
CP=$(sed -n 's/control=//p' ports); HP=$(sed -n 's/http=//p' ports)
ADDR=127.0.0.1:$((HP - 1)) # clients derive HTTP as port+1
WPIDS=()
fresh_workers() { # stops the workers and starts two new ones (cold graph cache)
    if [ ${#WPIDS[@]} -gt 0 ]; then # (a bare `wait` would wait for the master too)
        for p in "${WPIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
        wait "${WPIDS[@]}" 2>/dev/null || true
    fi
    WPIDS=()
    for i in 0 1; do
        "$HERD_BIN" worker "127.0.0.1:$CP" --id "b$i-$RANDOM" --work-dir "$BENCH_DIR/w$i" \
            >>"w$i.log" 2>&1 &
        WPIDS+=($!)
    done
    until [ "$(curl -s "127.0.0.1:$HP/v1/workers" | grep -o '"state": *"ready"' | wc -l)" -ge 2 ]; do
        sleep 0.05
    done
}
rm -f nofail.t kill.t
for r in $(seq "$RUNS"); do
    fresh_workers
    timed nofail "$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --master "$ADDR" --workers 2 \
        --checkpoint-every 5 -o pr.nf
    fresh_workers
    t0=$(now)
    "$HERD_BIN" run pagerank "$G" --iterations "$ITERS" --master "$ADDR" --workers 2 \
        --checkpoint-every 5 -o pr.kill 2>kill.err &
    CPID=$!
    killed=0
    while [ $killed = 0 ] && kill -0 $CPID 2>/dev/null; do
        j=$(curl -s "127.0.0.1:$HP/v1/graph-jobs" | tr '{' '\n' | grep '"state": *"running"' | tail -1 || true)
        step=$(echo "$j" | grep -o '"superstep": *[0-9]*' | grep -o '[0-9]*$' || echo 0)
        if [ "${step:-0}" -ge 10 ]; then
            kill -9 "${WPIDS[0]}"
            killed=1
        fi
        sleep 0.005
    done
    wait $CPID
    echo "$(now) - $t0" | bc -l >>kill.t
    cmp -s pr.kill pr.nf || echo "WARNING: result after recovery differs"
done
for p in "${WPIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
kill $MPID 2>/dev/null || true
wait "${WPIDS[@]}" $MPID 2>/dev/null || true
printf "no failure  wall s: %s\n" "$(stats <nofail.t)"
printf "killed @10  wall s: %s\n" "$(stats <kill.t)"
echo "recovery ratio (median): $(echo "$(med kill.t) / $(med nofail.t)" | bc -l | cut -c1-5)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
