#!/bin/sh
# Checks the one direction of dependency between source folders:
#   base <- wire <- net <- graph <- master, worker <- sim <- api <- daemon <- cli
# A file may include headers of its own folder and of folders to its left
# (and the public include/herd/ headers). Prints each violation; exits 1 if any.
cd "$(dirname "$0")/.."
rank() {
    case "$1" in
    base) echo 0 ;; wire) echo 1 ;; net) echo 2 ;; graph) echo 3 ;;
    master|worker) echo 4 ;; sim) echo 5 ;; api) echo 6 ;; daemon) echo 7 ;; cli) echo 8 ;;
    *) echo 99 ;;
    esac
}
bad=0
for f in $(find src -name '*.[ch]' | sort); do
    dir=$(echo "$f" | cut -d/ -f2)
    mine=$(rank "$dir")
    for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
        [ "$inc" = herd ] && continue
        theirs=$(rank "$inc")
        if [ "$inc" != "$dir" ] && { [ "$theirs" -ge "$mine" ] || [ "$theirs" -eq 99 ]; }; then
            echo "layering: $f includes $inc/ (a folder at or above src/$dir/)"
            bad=1
        fi
    done
done
[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"
