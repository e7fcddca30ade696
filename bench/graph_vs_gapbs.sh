#!/usr/bin/env bash
# graph_vs_gapbs.sh — herd's PageRank and WCC against GAPBS on the same
# Kronecker graph, side by side in one run (docs/benchmarks.md has results).
#
# One graph is generated with `herd generate kronecker`, converted once for
# herd (its binary .hgr when `herd convert` works) and once for GAPBS
# (serialized .sg, plus a symmetrised one for cc_sv). Then, RUNS times and
# alternating so that drift in the machine hits both sides alike:
#   herd pagerank (THREADS threads)  | GAPBS pr_spmv, 1 thread | pr_spmv, 2 threads
#   herd wcc (THREADS threads)       | GAPBS cc_sv, 2 threads
# Every process is timed whole (wall clock, /usr/bin/time for peak RSS);
# kernel time is GAPBS's "Trial Time" and herd's own compute time when
# `herd run` prints one (see herd_kernel below). The summary prints min and
# median of each side and the ratios herd/GAPBS.
#
# Environment:
#   GAPBS_DIR   built GAPBS checkout (pr_spmv, cc_sv, converter)   required
#   HERD_BIN    herd binary                           default build/herd
#   SCALE       log2 of the vertex count              default 22
#   DEGREE      edges per vertex                      default 16
#   SEED        generator seed                        default 1
#   RUNS        rounds of the alternating loop        default 5
#   THREADS     herd threads                          default 2
#   ITERS       PageRank iterations                   default 20
#   BENCH_DIR   scratch dir, kept (graphs are reused when SCALE/DEGREE/SEED
#               match); default a temp dir removed at exit. Never the repo.
#   HERD_RUN_OPTS  extra options for every `herd run`  default none
#   HERD_MODE   how `herd run` runs                   default --in-process
#               (the one-process engine this benchmark is about; since
#               the local cluster became herd run's default, it must be
#               asked for; bench/graph_dist.sh times the cluster)
#   GRAPH_EL    use this "src dst" edge list instead of generating one
#   WCC_SUPERSTEPS=1  also time herd wcc --no-fast-path (the Pregel
#               superstep path that distributed runs use)    default 0
set -euo pipefail

GAPBS_DIR=${GAPBS_DIR:?set GAPBS_DIR to a built GAPBS checkout (see bench/README.md)}
HERD_BIN=${HERD_BIN:-build/herd}
SCALE=${SCALE:-22}
DEGREE=${DEGREE:-16}
SEED=${SEED:-1}
RUNS=${RUNS:-5}
THREADS=${THREADS:-2}
ITERS=${ITERS:-20}
HERD_RUN_OPTS=${HERD_RUN_OPTS:-}
HERD_MODE=${HERD_MODE:---in-process}
GRAPH_EL=${GRAPH_EL:-}
WCC_SUPERSTEPS=${WCC_SUPERSTEPS:-0}

die() { echo "graph_vs_gapbs: $*" >&2; exit 1; }
note() { echo "graph_vs_gapbs: $*" >&2; }

check_tools() {
    local b
    for b in pr_spmv cc_sv converter; do
        [ -x "$GAPBS_DIR/$b" ] || die "$GAPBS_DIR/$b missing: build GAPBS with make"
    done
    [ -x "$HERD_BIN" ] || die "$HERD_BIN missing: run make (or set HERD_BIN)"
    [ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed for peak RSS"
    HERD_BIN=$(realpath "$HERD_BIN")
    GAPBS_DIR=$(realpath "$GAPBS_DIR")
}

# Scratch directory: $BENCH_DIR (kept) or a temp dir removed at exit.
# Refuses a directory inside the repository.
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
        D=$(mktemp -d "${TMPDIR:-/tmp}/herd-bench.XXXXXX")
        trap 'rm -rf "$D"' EXIT
    fi
    note "scratch dir $D"
}

now_ns() { date +%s%N; }

# ---- graph preparation -------------------------------------------------

# Generates the edge list once; later runs with the same BENCH_DIR and
# parameters reuse it and its conversions.
prepare_graphs() {
    local want="scale=$SCALE degree=$DEGREE seed=$SEED"
    [ -n "$GRAPH_EL" ] && want="edge list $(realpath "$GRAPH_EL")"
    if [ -f "$D/graph.params" ] && [ "$(cat "$D/graph.params")" = "$want" ] \
        && [ -f "$D/graph.sg" ] && [ -f "$D/graph_sym.sg" ] && [ -f "$D/herd.path" ]; then
        note "reusing graphs in $D ($want)"
        return
    fi
    rm -f "$D/graph.params" "$D/graph.el"
    if [ -n "$GRAPH_EL" ]; then
        ln -s "$(realpath "$GRAPH_EL")" "$D/graph.el"
    else
        timed_step "herd generate" "$HERD_BIN" generate kronecker --scale "$SCALE" \
            --degree "$DEGREE" --seed "$SEED" -o "$D/graph.el"
    fi
    gapbs_edge_list
    timed_step "GAPBS converter (directed)" "$GAPBS_DIR/converter" -f "$D/gapbs.el" -b "$D/graph.sg"
    timed_step "GAPBS converter (symmetrised)" "$GAPBS_DIR/converter" -f "$D/gapbs.el" -s \
        -b "$D/graph_sym.sg"
    rm -f "$D/gapbs.el"
    herd_graph_file
    echo "$want" >"$D/graph.params"
}

timed_step() {
    local what=$1 t0 t1
    shift
    t0=$(now_ns)
    "$@" >"$D/step.log" 2>&1 || { cat "$D/step.log" >&2; die "$what failed"; }
    t1=$(now_ns)
    note "$what: $(secs "$t0" "$t1") s"
}

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# GAPBS reads "src dst" lines and stops at anything else, so comment lines
# (if herd writes any) are stripped into a copy.
gapbs_edge_list() {
    rm -f "$D/gapbs.el"
    if grep -q -m1 '^[#%]' "$D/graph.el"; then
        grep -v '^[#%]' "$D/graph.el" >"$D/gapbs.el"
    else
        ln "$D/graph.el" "$D/gapbs.el" 2>/dev/null || cp "$D/graph.el" "$D/gapbs.el"
    fi
}

# herd's binary format loads fastest; fall back to the text edge list.
herd_graph_file() {
    rm -f "$D/herd.path" "$D/graph.hgr"
    if "$HERD_BIN" convert "$D/graph.el" "$D/graph.hgr" >"$D/step.log" 2>&1; then
        echo "$D/graph.hgr" >"$D/herd.path"
        echo "herd binary (.hgr)" >"$D/herd.format"
        note "herd loads the binary format (graph.hgr)"
    else
        echo "$D/graph.el" >"$D/herd.path"
        echo "text edge list" >"$D/herd.format"
        note "herd convert failed ($(head -c 200 "$D/step.log")); herd loads the text edge list"
    fi
}

# ---- one measured process ----------------------------------------------

# measure KIND RUN cmd... : runs cmd with stdout+stderr to $D/KIND.RUN.out,
# records wall seconds, peak RSS (KiB) and the kernel/load times parsed
# from its output in $D/results.tsv ("kind run metric value").
measure() {
    local kind=$1 run=$2 t0 t1 out rss
    shift 2
    out="$D/$kind.$run.out"
    t0=$(now_ns)
    /usr/bin/time -v -o "$D/$kind.$run.time" "$@" >"$out" 2>&1 \
        || { tail -20 "$out" >&2; die "$kind (run $run) failed: $*"; }
    t1=$(now_ns)
    rss=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$D/$kind.$run.time")
    record "$kind" "$run" wall "$(secs "$t0" "$t1")"
    record "$kind" "$run" rss_kb "$rss"
    record "$kind" "$run" cpu "$(awk -F': *' '/(User|System) time \(seconds\)/ { s += $2 }
                                              END { printf "%.3f", s }' "$D/$kind.$run.time")"
    case $kind in
        gapbs_*) gapbs_times "$kind" "$run" "$out" ;;
        herd_*) herd_times "$kind" "$run" "$out" ;;
    esac
}

record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$D/results.tsv"; }

gapbs_times() {
    local v
    v=$(awk '/^Trial Time:/ { print $3 }' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" kernel "$v"
    v=$(awk '/^Read Time:/ { print $3 }' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" load "$v"
    return 0
}

# herd's load and compute times from the summary `herd run` prints on
# stderr ("...; load 1.234 s, run 0.567 s, write 0.089 s"): "run" is the
# engine (state set-up and supersteps), "load" reading and building the
# graph. A "compute N s|ms" field is accepted too. Absent -> not recorded,
# and the summary says so and keeps the whole-process times.
herd_field() {
    { grep -Eo "(^|[ ,;])$1[ =:]+[0-9]+(\.[0-9]+)? ?(ms|s)\b" "$2" || true; } | tail -1 \
        | awk '{ match($0, /[0-9]+(\.[0-9]+)?/); v = substr($0, RSTART, RLENGTH);
                 if ($0 ~ /ms$/) v = v / 1000; printf "%.6f\n", v }'
}

herd_times() {
    local v
    v=$(herd_field compute "$3")
    [ -n "$v" ] || v=$(herd_field run "$3")
    [ -n "$v" ] && record "$1" "$2" kernel "$v"
    v=$(herd_field load "$3")
    [ -n "$v" ] && record "$1" "$2" load "$v"
    v=$(sed -n 's/.* \([0-9][0-9]*\) arcs.*/\1/p' "$3" | tail -1)
    [ -n "$v" ] && record "$1" "$2" arcs "$v"
    return 0
}

# ---- the alternating loop ----------------------------------------------

one_round() {
    local r=$1 hg
    hg=$(cat "$D/herd.path")
    # shellcheck disable=SC2086
    measure herd_pr "$r" "$HERD_BIN" run pagerank "$hg" --iterations "$ITERS" \
        --threads "$THREADS" --output "$D/herd_pr.txt" $HERD_MODE $HERD_RUN_OPTS
    measure gapbs_pr1 "$r" env OMP_NUM_THREADS=1 "$GAPBS_DIR/pr_spmv" -f "$D/graph.sg" \
        -i "$ITERS" -t 0 -n 1
    measure gapbs_pr2 "$r" env OMP_NUM_THREADS=2 "$GAPBS_DIR/pr_spmv" -f "$D/graph.sg" \
        -i "$ITERS" -t 0 -n 1
    # shellcheck disable=SC2086
    measure herd_wcc "$r" "$HERD_BIN" run wcc "$hg" --threads "$THREADS" \
        --output "$D/herd_wcc.txt" $HERD_MODE $HERD_RUN_OPTS
    measure gapbs_cc2 "$r" env OMP_NUM_THREADS=2 "$GAPBS_DIR/cc_sv" -f "$D/graph_sym.sg" -n 1
    if [ "$WCC_SUPERSTEPS" = 1 ]; then
        # shellcheck disable=SC2086
        measure herd_wccss "$r" "$HERD_BIN" run wcc "$hg" --threads "$THREADS" --no-fast-path \
            --output "$D/herd_wccss.txt" $HERD_MODE $HERD_RUN_OPTS
    fi
}

# ---- summary -----------------------------------------------------------

# stat, ratio, met, row: bench/table.sh (shared with graph_grape.sh); 4 decimals here.
STAT_FMT=%.4f
# shellcheck source=bench/table.sh
. "$(dirname "$0")/table.sh"

# table METRIC [with-goals]
table() {
    local m=$1 g1="" g2="" g3=""
    [ "${2:-}" = goals ] && { g1=1.0; g2=1.25; g3=1.5; }
    echo "| comparison | herd min | herd median | GAPBS min | GAPBS median | min/min | median/median | goal | met (min / median) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    row "PageRank $ITERS it: herd ${THREADS}t vs pr_spmv 1t" herd_pr gapbs_pr1 "$m" "$g1"
    row "PageRank $ITERS it: herd ${THREADS}t vs pr_spmv 2t" herd_pr gapbs_pr2 "$m" "$g2"
    row "WCC: herd ${THREADS}t vs cc_sv 2t" herd_wcc gapbs_cc2 "$m" "$g3"
    if [ "$WCC_SUPERSTEPS" = 1 ]; then
        row "WCC --no-fast-path: herd ${THREADS}t vs cc_sv 2t" herd_wccss gapbs_cc2 "$m"
    fi
}

have_herd_kernel() {
    awk -F'\t' '$1 ~ /^herd_/ && $3 == "kernel" { f = 1 } END { exit !f }' "$D/results.tsv"
}

memory_lines() {
    local arcs rss gnodes garcs
    arcs=$(stat herd_pr arcs max)
    [ "$arcs" = - ] && arcs=$(grep -vc '^[#%]' "$D/graph.el")
    arcs=${arcs%.*}
    gnodes=$(awk '/^Graph has/ { print $3; exit }' "$D/gapbs_pr1.1.out")
    garcs=$(awk '/^Graph has/ { print $6; exit }' "$D/gapbs_pr1.1.out")
    echo "arcs in the generated graph (herd keeps all): $arcs; GAPBS after dropping duplicates and self-loops: $garcs arcs, $gnodes vertices"
    rss=$(stat herd_pr rss_kb max)
    awk -v r="$rss" -v a="$arcs" 'BEGIN { printf "herd pagerank peak RSS: %.0f MiB = %.2f bytes/arc (goal <= 13)\n", r / 1024, r * 1024 / a }'
    rss=$(stat herd_wcc rss_kb max)
    awk -v r="$rss" -v a="$arcs" 'BEGIN { printf "herd wcc peak RSS: %.0f MiB = %.2f bytes/arc\n", r / 1024, r * 1024 / a }'
    rss=$(stat gapbs_pr1 rss_kb max)
    awk -v r="$rss" -v a="$garcs" 'BEGIN { printf "GAPBS pr_spmv peak RSS: %.0f MiB = %.2f bytes/arc (its own arcs, .sg input)\n", r / 1024, r * 1024 / a }'
}

# Sanity checks of the results, from one extra untimed GAPBS run of each
# kernel with -a (analysis). PageRank: GAPBS's top-5 vertices should be
# among herd's top 10 (semantics differ slightly, see docs). WCC: the same
# largest component, and the same number of components once GAPBS's
# isolated ids (vertices herd does not have) are discounted.
result_checks() {
    OMP_NUM_THREADS=2 "$GAPBS_DIR/pr_spmv" -f "$D/graph.sg" -i "$ITERS" -t 0 -n 1 -a \
        >"$D/gapbs_pr.check" 2>&1 || die "pr_spmv -a failed"
    OMP_NUM_THREADS=2 "$GAPBS_DIR/cc_sv" -f "$D/graph_sym.sg" -n 1 -a \
        >"$D/gapbs_cc.check" 2>&1 || die "cc_sv -a failed"
    top_check
    wcc_check
}

top_check() {
    [ -s "$D/herd_pr.txt" ] || { echo "top-10 check: herd wrote no $D/herd_pr.txt"; return; }
    sort -k2,2gr "$D/herd_pr.txt" | awk 'NR <= 10 { print $1 }' >"$D/herd_top10"
    grep -E '^[0-9]+:[0-9.e+-]+$' "$D/gapbs_pr.check" | cut -d: -f1 >"$D/gapbs_top5"
    local hit
    hit=$(grep -cxFf "$D/herd_top10" "$D/gapbs_top5" || true)
    echo "top-10 check: $hit of GAPBS's top $(wc -l <"$D/gapbs_top5") PageRank vertices are in herd's top 10"
    echo "  herd top 10:  $(tr '\n' ' ' <"$D/herd_top10")"
    echo "  GAPBS top 5:  $(tr '\n' ' ' <"$D/gapbs_top5")"
}

wcc_check() {
    [ -s "$D/herd_wcc.txt" ] || { echo "wcc check: herd wrote no $D/herd_wcc.txt"; return; }
    local hn hc hbig gn gc gbig
    read -r hn hc hbig < <(awk '{ c[$2]++; n++ } END { for (l in c) { k++; if (c[l] > b) b = c[l] }
                                                       print n, k, b }' "$D/herd_wcc.txt")
    gn=$(awk '/^Graph has/ { print $3; exit }' "$D/gapbs_cc.check")
    gc=$(awk '/^There are/ { print $3 }' "$D/gapbs_cc.check")
    gbig=$(awk -F: '/biggest clusters/ { getline; print $2; exit }' "$D/gapbs_cc.check")
    echo "wcc check: herd $hc components over $hn vertices, largest $hbig;" \
        "GAPBS $gc over $gn ids, largest $gbig, i.e. $((gc - (gn - hn))) without the ids herd does not have" \
        "-> $([ "$hbig" = "$gbig" ] && [ "$hc" = $((gc - (gn - hn))) ] && echo agree || echo DIFFER)"
}

summary() {
    echo
    local what="Kronecker scale $SCALE, degree $DEGREE, seed $SEED"
    [ -n "$GRAPH_EL" ] && what="edge list $(basename "$GRAPH_EL")"
    echo "## herd vs GAPBS — $what, $RUNS runs, $(date -u '+%F %H:%M UTC')"
    echo "machine: $(nproc) cores, $(lscpu | awk -F': *' '/^Model name/ { print $2; exit }')"
    echo "load average: before $(cat "$D/load.before"), after $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "herd graph input: $(cat "$D/herd.format"); GAPBS input: .sg"
    echo "herd's own summaries (run 1):"
    grep -h '^herd run: [a-z]*:' "$D"/herd_*.1.out | sed 's/^/    /'
    echo
    if have_herd_kernel; then
        echo "### kernel time (s): herd compute vs GAPBS Trial Time, loading excluded"
        table kernel goals
    else
        echo "### kernel time: herd run printed no compute time — see whole-process table"
    fi
    echo
    echo "### whole process (s): wall clock per process, loading included"
    table wall goals
    echo
    echo "### CPU time (s): user+sys per process, loading included (the work done, all threads together; robust to other load on the machine)"
    table cpu
    echo
    echo "### load (s): herd's load time vs GAPBS Read Time"
    echo "| | herd min | herd median | GAPBS min | GAPBS median |"
    echo "|---|---|---|---|---|"
    echo "| pagerank | $(stat herd_pr load min) | $(stat herd_pr load med) | $(stat gapbs_pr1 load min) | $(stat gapbs_pr1 load med) |"
    echo "| wcc | $(stat herd_wcc load min) | $(stat herd_wcc load med) | $(stat gapbs_cc2 load min) | $(stat gapbs_cc2 load med) |"
    echo
    memory_lines
    result_checks
}

main() {
    check_tools
    setup_dir
    prepare_graphs
    rm -f "$D"/*.out "$D"/*.time "$D"/*.check
    : >"$D/results.tsv"
    cut -d' ' -f1-3 /proc/loadavg >"$D/load.before"
    local r
    for r in $(seq 1 "$RUNS"); do
        note "round $r/$RUNS"
        one_round "$r"
    done
    summary | tee "$D/summary.md"
}

main "$@"
