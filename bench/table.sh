# table.sh — the summary-table helpers shared by bench/graph_vs_gapbs.sh and
# bench/graph_grape.sh (sourced, not run). Both record one line per timed
# run in "$D/results.tsv": KIND <tab> RUN <tab> METRIC <tab> SECONDS.
# STAT_FMT (printf format of a statistic, default %.3f) may be set first.

# stat KIND METRIC min|med|max: that statistic of KIND's METRIC, or "-"
stat() {
    awk -F'\t' -v k="$1" -v m="$2" '$1 == k && $3 == m { print $4 }' "$D/results.tsv" \
        | sort -g | awk -v w="$3" -v f="${STAT_FMT:-%.3f}\n" '{ a[n++] = $1 }
            END { if (n == 0) { print "-"; exit }
                  if (w == "min") v = a[0]; else if (w == "max") v = a[n-1];
                  else v = (n % 2) ? a[int(n/2)] : (a[n/2-1] + a[n/2]) / 2;
                  printf f, v }'
}

# ratio A B: A / B to two decimals, "-" when either is missing
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-";
                                     else printf "%.2f\n", a / b }'
}

# met RATIO GOAL: yes / NO / ? (unknown)
met() {
    awk -v r="$1" -v g="$2" 'BEGIN { if (r == "-") print "?"; else print (r <= g) ? "yes" : "NO" }'
}

# row LABEL HERD_KIND PEER_KIND METRIC [GOAL]: one markdown table line, herd
# against the peer; with a goal ("1.25" = herd at most 1.25x the peer),
# whether min/min and median/median meet it.
row() {
    local hmin hmed pmin pmed rmin rmed goal="-" met="-"
    hmin=$(stat "$2" "$4" min); hmed=$(stat "$2" "$4" med)
    pmin=$(stat "$3" "$4" min); pmed=$(stat "$3" "$4" med)
    rmin=$(ratio "$hmin" "$pmin"); rmed=$(ratio "$hmed" "$pmed")
    if [ -n "${5:-}" ]; then
        goal="≤ $5"
        met="$(met "$rmin" "$5") / $(met "$rmed" "$5")"
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$hmin" "$hmed" "$pmin" \
        "$pmed" "$rmin" "$rmed" "$goal" "$met"
}
