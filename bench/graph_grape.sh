#!/usr/bin/env bash
# graph_grape.sh — herd's distributed graph jobs (2 local workers) against
# libgrape-lite (2 MPI ranks) and GAPBS cc_sv, side by side in one run
# (docs/benchmarks.md, "Distributed graph jobs vs libgrape-lite").
#
#   0. Small-graph checks (a Kronecker graph of CHECK_SCALE, and a ring with
#      chords where 19, 20 and 21 iterations give clearly different ranks)
#      that herd and grape compute the same PageRank (max relative
#      difference) and the same WCC partition (labels differ: a bijection
#      between them is checked); repeated on the big graph at the end.
#   1. One Kronecker graph (herd generate kronecker --scale S --degree 16
#      --seed 1, as bench/graph_dist.sh) written as herd's .hgr, as grape's
#      .v/.e (directed; the vertex file lists every id herd has) and as
#      GAPBS's symmetrised .sg (for cc_sv).
#   2. RUNS alternating rounds of
#        herd_pr    herd run pagerank G.hgr --iterations ITERS --workers 2
#        grape_pr   mpirun -n 2 run_app --opt --application pagerank
#                   --directed --pr_mr ITERS --app_concurrency 1
#        herd_wcc   herd run wcc G.hgr --workers 2
#        grape_wcc  mpirun -n 2 run_app --opt --application wcc ...
#        gapbs_cc1  cc_sv -n 1, OMP_NUM_THREADS=1     (when GAPBS_DIR is set)
#        gapbs_cc2  cc_sv -n 1, OMP_NUM_THREADS=2
#      each timed whole-process (wall, CPU) and by the tool's own kernel
#      time: herd the sum of the per-superstep barrier-to-barrier times of
#      --stats, grape its "run algorithm" timer, GAPBS its Trial Time.
#   3. Markdown tables of min and median and herd/peer ratios.
#
# Environment:
#   GRAPE_DIR    directory holding libgrape-lite's built run_app   (required)
#   GAPBS_DIR    built GAPBS checkout (cc_sv, converter)            (optional)
#   HERD_BIN     herd binary                                 default build/herd
#   SCALE DEGREE SEED   the Kronecker graph                  default 20 16 1
#   RUNS ITERS   rounds, PageRank iterations                 default 3 20
#   CHECK_SCALE  scale of the agreement check (0: skip)      default 12
#   MPIRUN       mpirun command                              default mpirun
#   MPI_OPTS     mpirun options
#                default --allow-run-as-root --bind-to none --mca mpi_yield_when_idle 1
#                (a rank waiting for a message yields the CPU: without it the
#                two ranks' busy polling starves them on 2 cores)
#   GRAPE_SERIALIZE  1: grape loads fragments serialised by an untimed
#                first run (its binary form, as herd loads .hgr); 0: text
#                                                            default 1
#   GRAPE_THREADS  threads per grape rank (--app_concurrency) default 1
#   ONLY         "herd" to run only herd's side (the peers' results of a
#                previous run in the same BENCH_DIR are kept)
#   BENCH_DIR    scratch directory, kept (default a temp dir removed at exit)
set -euo pipefail

GRAPE_DIR=${GRAPE_DIR:?set GRAPE_DIR to a libgrape-lite build directory holding run_app}
GAPBS_DIR=${GAPBS_DIR:-}
HERD_BIN=${HERD_BIN:-build/herd}
SCALE=${SCALE:-20}
DEGREE=${DEGREE:-16}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
ITERS=${ITERS:-20}
CHECK_SCALE=${CHECK_SCALE:-12}
MPIRUN=${MPIRUN:-mpirun}
MPI_OPTS=${MPI_OPTS:---allow-run-as-root --bind-to none --mca mpi_yield_when_idle 1}
GRAPE_SERIALIZE=${GRAPE_SERIALIZE:-1}
GRAPE_THREADS=${GRAPE_THREADS:-1}
ONLY=${ONLY:-}

die() { echo "graph_grape: $*" >&2; exit 1; }
note() { echo "graph_grape: $*" >&2; }

check_tools() {
    [ -x "$GRAPE_DIR/run_app" ] || die "$GRAPE_DIR/run_app missing: build libgrape-lite (docs/benchmarks.md)"
    command -v "$MPIRUN" >/dev/null || die "$MPIRUN not found (apt-get install openmpi-bin)"
    [ -x "$HERD_BIN" ] || die "$HERD_BIN missing: run make (or set HERD_BIN)"
    [ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed"
    HERD_BIN=$(realpath "$HERD_BIN")
    GRAPE_DIR=$(realpath "$GRAPE_DIR")
    if [ -n "$GAPBS_DIR" ]; then
        if [ ! -x "$GAPBS_DIR/cc_sv" ] || [ ! -x "$GAPBS_DIR/converter" ]; then
            die "$GAPBS_DIR has no cc_sv/converter: build GAPBS with make"
        fi
        GAPBS_DIR=$(realpath "$GAPBS_DIR")
    fi
}

# Scratch directory: $BENCH_DIR (kept) or a temp dir removed at exit;
# never inside the repository.
setup_dir() {
    local top
    top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || true)
    if [ -n "${BENCH_DIR:-}" ]; then
        D=$(realpath -m "$BENCH_DIR")
        case "$D/" in "$(realpath "${top:-/nonexistent}")"/*)
            die "BENCH_DIR $D is inside the repository" ;;
        esac
        mkdir -p "$D"
    else
        D=$(mktemp -d "${TMPDIR:-/tmp}/herd-grape.XXXXXX")
        trap 'rm -rf "$D"' EXIT
    fi
    note "scratch dir $D"
}

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# ---- graph files -------------------------------------------------------

# make_graph PREFIX SCALE: PREFIX.el (herd's generator), PREFIX.hgr,
# PREFIX.e (bare "src dst" lines) and PREFIX.v (every id that appears in an
# edge, ascending: herd's vertex set, so N agrees in PageRank's 1/N).
make_graph() {
    local p=$1 s=$2 want="scale=$2 degree=$DEGREE seed=$SEED"
    if [ -f "$p.params" ] && [ "$(cat "$p.params")" = "$want" ]; then
        return
    fi
    rm -f "$p.params"
    "$HERD_BIN" generate kronecker --scale "$s" --degree "$DEGREE" --seed "$SEED" -o "$p.el" \
        2>/dev/null || die "herd generate failed"
    "$HERD_BIN" convert "$p.el" "$p.hgr" 2>/dev/null || die "herd convert failed"
    grep -v '^#' "$p.el" >"$p.e"
    awk '{ print $1; print $2 }' "$p.e" | sort -n -u >"$p.v"
    echo "$want" >"$p.params"
}

# GAPBS's symmetrised graph for cc_sv (from the same bare edge list).
make_gapbs() {
    [ -n "$GAPBS_DIR" ] || return 0
    [ -s "$1_sym.sg" ] && [ "$1_sym.sg" -nt "$1.params" ] && return 0
    ln -sf "$1.e" "$1.gapbs.el" # GAPBS picks the format by the suffix
    "$GAPBS_DIR/converter" -f "$1.gapbs.el" -s -b "$1_sym.sg" >/dev/null 2>&1 \
        || die "GAPBS converter failed"
}

# ---- the commands ------------------------------------------------------

# Each sets CMD (an array) to one measured process, so that /usr/bin/time
# runs the tool itself.
herd_pr_cmd() { # GRAPH OUT [extra...]
    local g=$1 o=$2
    shift 2
    CMD=("$HERD_BIN" run pagerank "$g" --iterations "$ITERS" --workers 2 --output "$o" "$@")
}

herd_wcc_cmd() {
    local g=$1 o=$2
    shift 2
    CMD=("$HERD_BIN" run wcc "$g" --workers 2 --output "$o" "$@")
}

# grape_cmd APP PREFIX OUTDIR [extra flags]: run_app's optimised apps
# (--opt, as its LDBC driver runs them), 2 ranks, GRAPE_THREADS threads
# each. OUTDIR is emptied first (grape writes result_frag_N there).
grape_cmd() {
    local app=$1 p=$2 o=$3
    shift 3
    rm -rf "$o"
    mkdir -p "$o"
    # shellcheck disable=SC2206
    CMD=("$MPIRUN" -n 2 $MPI_OPTS "$GRAPE_DIR/run_app" --opt --application "$app" --directed
         --vfile "$p.v" --efile "$p.e" --out_prefix "$o" --app_concurrency "$GRAPE_THREADS" "$@")
}

grape_pr_cmd() { grape_cmd pagerank "$1" "$2" --pr_d 0.85 --pr_mr "$ITERS" "${@:3}"; }
grape_wcc_cmd() { grape_cmd wcc "$1" "$2" "${@:3}"; }

# With GRAPE_SERIALIZE=1 grape loads fragments it serialised in an untimed
# first run (its binary form, as herd loads .hgr rather than text).
grape_load_opts() { # APP PREFIX
    [ "$GRAPE_SERIALIZE" = 1 ] || return 0
    echo "--deserialize --serialization_prefix $2.ser-$1"
}

grape_serialize() { # PREFIX
    [ "$GRAPE_SERIALIZE" = 1 ] || return 0
    local app
    for app in pagerank wcc; do
        [ -d "$1.ser-$app" ] && [ "$1.ser-$app" -nt "$1.params" ] && continue
        rm -rf "$1.ser-$app"
        mkdir -p "$1.ser-$app"
        grape_cmd "$app" "$1" "$D/ser.out" --serialize --serialization_prefix "$1.ser-$app"
        "${CMD[@]}" >"$D/ser.log" 2>&1 || { tail "$D/ser.log" >&2; die "grape --serialize failed"; }
    done
}

# ---- agreement check on small graphs ----------------------------------

# PageRank: grape's --opt directed PageRank spreads the dangling mass over
# all N vertices each iteration like herd (Graphalytics definition), both
# in doubles, so the values agree to rounding; --pr_mr N is N iterations,
# like herd's --iterations N (checked on a ring with chords, where
# iterations ITERS-1 and ITERS+1 differ by > 1e-3). WCC: the same
# partition, checked as a bijection between the two labellings.
agreement_check() {
    [ "$CHECK_SCALE" -gt 0 ] || return 0
    local p="$D/check" ring="$D/ring"
    make_graph "$p" "$CHECK_SCALE"
    awk 'BEGIN { for (i = 0; i < 40; i++) print i, i + 1; print 40, 0; print 5, 17; print 30, 3 }' \
        >"$ring.e"
    awk '{ print $1; print $2 }' "$ring.e" | sort -n -u >"$ring.v"
    cp "$ring.e" "$ring.el"
    check_pair "$p" "Kronecker scale $CHECK_SCALE"
    check_pair "$ring" "41-vertex ring with chords"
}

# check_pair PREFIX WHAT: herd (2 workers) and grape (2 ranks, text input)
# on PREFIX.hgr or .el / PREFIX.v+.e; prints the two agreement lines.
check_pair() {
    local p=$1 g=$1.hgr
    [ -f "$g" ] || g=$1.el
    herd_pr_cmd "$g" "$p.herd_pr"
    "${CMD[@]}" 2>"$p.log" || { tail "$p.log" >&2; die "check: herd pagerank failed"; }
    herd_wcc_cmd "$g" "$p.herd_wcc"
    "${CMD[@]}" 2>"$p.log" || { tail "$p.log" >&2; die "check: herd wcc failed"; }
    grape_pr_cmd "$p" "$p.grape_pr"
    "${CMD[@]}" >"$p.log" 2>&1 || { tail "$p.log" >&2; die "check: grape pagerank failed"; }
    grape_wcc_cmd "$p" "$p.grape_wcc"
    "${CMD[@]}" >"$p.log" 2>&1 || { tail "$p.log" >&2; die "check: grape wcc failed"; }
    cat "$p.grape_pr"/result_frag_* | sort -n >"$p.grape_pr.txt"
    cat "$p.grape_wcc"/result_frag_* | sort -n >"$p.grape_wcc.txt"
    echo "check ($2): $(pr_agree "$p.herd_pr" "$p.grape_pr.txt")"
    echo "check ($2): $(wcc_agree "$p.herd_wcc" "$p.grape_wcc.txt")"
}

# pr_agree HERD GRAPE: both "id value", sorted by id.
pr_agree() {
    join "$1" "$2" | awk -v nh="$(wc -l <"$1")" -v ng="$(wc -l <"$2")" '
        { d = $2 - $3; if (d < 0) d = -d; r = d / ($2 > 0 ? $2 : 1);
          if (r > m) m = r; s2 += $2; s3 += $3; n++ }
        END { ok = (n == nh && n == ng && m < 1e-9);
              printf "pagerank %s: %d of %d/%d vertices joined, max relative difference %.2e, sums %.15f / %.15f\n",
                     ok ? "agree" : "DIFFER", n, nh, ng, m, s2, s3 }'
}

# wcc_agree HERD GRAPE: the labellings induce the same partition iff the
# pairs (herd label, grape label) are a bijection.
wcc_agree() {
    join "$1" "$2" | awk -v nh="$(wc -l <"$1")" '
        { if (!($2 in h)) { h[$2] = $3; nc++ } else if (h[$2] != $3) bad++;
          if (!($3 in g)) g[$3] = $2; else if (g[$3] != $2) bad++; n++ }
        END { ok = (n == nh && bad == 0);
              printf "wcc %s: %d vertices joined of %d, %d components, %d conflicting pairs\n",
                     ok ? "agree" : "DIFFER", n, nh, nc, bad + 0 }'
}

# ---- one measured process ----------------------------------------------

record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$D/results.tsv"; }

# measure KIND RUN cmd...: output to $D/KIND.RUN.out; wall and CPU
# (user+sys of the process and its waited-for children) recorded.
measure() {
    local kind=$1 run=$2 t0 t1 out
    shift 2
    out="$D/$kind.$run.out"
    t0=$(now_ns)
    /usr/bin/time -v -o "$D/$kind.$run.time" "$@" >"$out" 2>&1 \
        || { tail -20 "$out" >&2; die "$kind (run $run) failed: $*"; }
    t1=$(now_ns)
    record "$kind" "$run" wall "$(secs "$t0" "$t1")"
    record "$kind" "$run" cpu "$(awk -F': *' '/(User|System) time \(seconds\)/ { s += $2 }
                                              END { printf "%.3f", s }' "$D/$kind.$run.time")"
    case $kind in
        herd_*) herd_times "$kind" "$run" "$out" ;;
        grape_*) grape_times "$kind" "$run" "$out" ;;
        gapbs_*) gapbs_times "$kind" "$run" "$out" ;;
    esac
}

# herd: kernel = sum of the per-superstep barrier-to-barrier times (the
# "ms" column of --stats); load = the summary's "load" (slowest worker);
# job = the summary's "job" (submit to done: load, supersteps, writing);
# write = the summary's "write" (parts) + "merge" (into --output).
herd_times() {
    local v
    v=$(awk -F'\t' 'NR > 1 { s += $6 } END { if (NR > 1) printf "%.4f", s / 1000 }' "$D/$1.stats")
    [ -n "$v" ] && record "$1" "$2" kernel "$v"
    v=$(sed -n 's/.*; load \([0-9.]*\) s, job \([0-9.]*\) s, write \([0-9.]*\) s, merge \([0-9.]*\) s.*/\1 \2 \3 \4/p' \
        "$3" | tail -1)
    if [ -n "$v" ]; then
        # shellcheck disable=SC2086
        set -- "$1" "$2" "$3" $v
        record "$1" "$2" load "$4"
        record "$1" "$2" job "$5"
        record "$1" "$2" write "$(awk -v a="$6" -v b="$7" 'BEGIN { printf "%.3f", a + b }')"
    fi
    awk -F'\t' 'NR > 1 { print $1 "\t" $6 "\t" $8 "\t" $4 "\t" $7 }' "$D/$1.stats" \
        >"$D/$1.$2.steps"
    return 0
}

# grape: rank 0 prints " - load graph: X sec", " - run algorithm: Y sec",
# " - print output: Z sec".
grape_times() {
    local v
    v=$(awk '/- print output:/ { print $(NF - 1) }' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" write "$v"
    v=$(awk '/- run algorithm:/ { print $(NF - 1) }' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" kernel "$v"
    v=$(awk '/- load graph:/ { print $(NF - 1) }' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" load "$v"
    return 0
}

gapbs_times() {
    local v
    v=$(awk '/^Trial Time:/ { print $3 }' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" kernel "$v"
    v=$(awk '/^Read Time:/ { print $3 }' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" load "$v"
    return 0
}

one_round() {
    local r=$1 p="$D/graph"
    herd_pr_cmd "$p.hgr" "$D/herd_pr.txt" --stats "$D/herd_pr.stats"
    measure herd_pr "$r" "${CMD[@]}"
    if [ "$ONLY" != herd ]; then
        # shellcheck disable=SC2046
        grape_pr_cmd "$p" "$D/grape_pr" $(grape_load_opts pagerank "$p")
        measure grape_pr "$r" "${CMD[@]}"
    fi
    herd_wcc_cmd "$p.hgr" "$D/herd_wcc.txt" --stats "$D/herd_wcc.stats"
    measure herd_wcc "$r" "${CMD[@]}"
    [ "$ONLY" = herd ] && return 0
    # shellcheck disable=SC2046
    grape_wcc_cmd "$p" "$D/grape_wcc" $(grape_load_opts wcc "$p")
    measure grape_wcc "$r" "${CMD[@]}"
    if [ -n "$GAPBS_DIR" ]; then
        measure gapbs_cc1 "$r" env OMP_NUM_THREADS=1 "$GAPBS_DIR/cc_sv" -f "$p_sym" -n 1
        measure gapbs_cc2 "$r" env OMP_NUM_THREADS=2 "$GAPBS_DIR/cc_sv" -f "$p_sym" -n 1
    fi
}

# ---- summary -----------------------------------------------------------

# stat, ratio, met, row: bench/table.sh (shared with graph_vs_gapbs.sh).
# shellcheck source=bench/table.sh
. "$(dirname "$0")/table.sh"

table() { # table METRIC [goals]
    local m=$1 g1="" g2=""
    [ "${2:-}" = goals ] && { g1=1.0; g2=1.5; }
    echo "| comparison | herd min | herd median | peer min | peer median | min/min | median/median | goal | met (min / median) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    row "PageRank $ITERS it: herd 2 workers vs grape 2 ranks" herd_pr grape_pr "$m" "$g1"
    row "WCC: herd 2 workers vs grape 2 ranks" herd_wcc grape_wcc "$m"
    if [ -n "$GAPBS_DIR" ]; then
        row "WCC: herd 2 workers vs cc_sv 1 thread" herd_wcc gapbs_cc1 "$m" "$g2"
        row "WCC: herd 2 workers vs cc_sv 2 threads" herd_wcc gapbs_cc2 "$m" "$g2"
    fi
}

# Per-superstep times of herd's run with the smallest kernel time.
steps_table() {
    local k=$1 best
    best=$(awk -F'\t' -v k="$k" '$1 == k && $3 == "kernel" { print $2, $4 }' "$D/results.tsv" \
        | sort -k2,2g | head -1 | cut -d' ' -f1)
    [ -n "$best" ] && [ -f "$D/$k.$best.steps" ] || return 0
    echo "$k, run $best (its fastest): superstep, barrier-to-barrier ms, slowest worker's compute ms, messages sent, data-plane bytes"
    awk '{ printf "    %s\t%s\t%s\t%s\t%s\n", $1, $2, $3, $4, $5 }' "$D/$k.$best.steps"
}

summary() {
    echo
    echo "## herd (2 local workers) vs libgrape-lite (2 MPI ranks) and GAPBS cc_sv — Kronecker scale $SCALE, degree $DEGREE, seed $SEED, $RUNS runs, $(date -u '+%F %H:%M UTC')"
    echo "machine: $(nproc) cores, $(lscpu | awk -F': *' '/^Model name/ { print $2; exit }'); load average: before $(cat "$D/load.before"), after $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "herd: $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo '?'); grape: $GRAPE_THREADS thread(s) per rank, mpirun $MPI_OPTS"
    echo "herd's summaries (run 1):"
    grep -h '^herd run: [a-z]*:' "$D"/herd_*.1.out | sed 's/^/    /'
    echo
    echo "### kernel time (s): herd sum of superstep times vs grape \"run algorithm\" vs GAPBS Trial Time"
    table kernel goals
    echo
    echo "### whole process (s): wall clock, loading and writing included"
    table wall goals
    echo
    echo "### CPU time (s): user+sys of the process and its children"
    table cpu
    echo
    echo "### load and write (s): herd's slowest worker's load, grape's \"load graph\", GAPBS Read Time; herd's write + merge, grape's \"print output\""
    echo "| | herd min | herd median | peer min | peer median |"
    echo "|---|---|---|---|---|"
    echo "| pagerank (grape) | $(stat herd_pr load min) | $(stat herd_pr load med) | $(stat grape_pr load min) | $(stat grape_pr load med) |"
    echo "| wcc (grape) | $(stat herd_wcc load min) | $(stat herd_wcc load med) | $(stat grape_wcc load min) | $(stat grape_wcc load med) |"
    [ -n "$GAPBS_DIR" ] && echo "| wcc (cc_sv 2 threads) | $(stat herd_wcc load min) | $(stat herd_wcc load med) | $(stat gapbs_cc2 load min) | $(stat gapbs_cc2 load med) |"
    echo "| write: pagerank (grape) | $(stat herd_pr write min) | $(stat herd_pr write med) | $(stat grape_pr write min) | $(stat grape_pr write med) |"
    echo "| write: wcc (grape) | $(stat herd_wcc write min) | $(stat herd_wcc write med) | $(stat grape_wcc write min) | $(stat grape_wcc write med) |"
    echo
    echo "herd's job time (s, submit to done): pagerank min $(stat herd_pr job min) median $(stat herd_pr job med); wcc min $(stat herd_wcc job min) median $(stat herd_wcc job med)"
    steps_table herd_pr
    steps_table herd_wcc
    result_checks
}

# The big graph's results: herd vs grape, as on the small graph.
result_checks() {
    [ "$ONLY" = herd ] && return 0
    cat "$D/grape_pr"/result_frag_* | sort -n >"$D/grape_pr.txt"
    cat "$D/grape_wcc"/result_frag_* | sort -n >"$D/grape_wcc.txt"
    echo "check (this graph): $(pr_agree "$D/herd_pr.txt" "$D/grape_pr.txt")"
    echo "check (this graph): $(wcc_agree "$D/herd_wcc.txt" "$D/grape_wcc.txt")"
}

main() {
    check_tools
    setup_dir
    agreement_check
    make_graph "$D/graph" "$SCALE"
    make_gapbs "$D/graph"
    grape_serialize "$D/graph"
    p_sym="$D/graph_sym.sg"
    if [ "$ONLY" = herd ]; then
        awk -F'\t' '$1 !~ /^herd_/' "$D/results.tsv" >"$D/results.keep" 2>/dev/null || true
        mv "$D/results.keep" "$D/results.tsv"
    else
        : >"$D/results.tsv"
    fi
    cut -d' ' -f1-3 /proc/loadavg >"$D/load.before"
    local r
    for r in $(seq 1 "$RUNS"); do
        note "round $r/$RUNS (load average $(cut -d' ' -f1 /proc/loadavg))"
        one_round "$r"
    done
    summary | tee "$D/summary.md"
}

# (exit on the same line: the script may be edited while it runs)
main "$@"; exit
