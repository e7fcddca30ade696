#!/bin/sh
# Regenerates the committed seed corpora of fuzz_msg and fuzz_frame from the
# current codec (tests/fuzz/gen_corpus.c). Needs `make` to have built
# build/libherd.a. Stale seeds of these two targets are replaced; other
# targets' corpora are not touched. Usage: tests/fuzz/gen-corpus.sh
set -eu
cd "$(dirname "$0")/../.."
[ -f build/libherd.a ] || { echo "build/libherd.a missing: run make first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
    -Isrc -o "$tmp/gen_corpus" tests/fuzz/gen_corpus.c build/libherd.a \
    $(pkg-config --libs libcrypto) -pthread
for t in fuzz_msg fuzz_frame; do
    rm -rf "tests/fuzz/corpus/$t"
    mkdir -p "tests/fuzz/corpus/$t"
done
"$tmp/gen_corpus" tests/fuzz/corpus
for t in fuzz_msg fuzz_frame; do
    echo "$t: $(ls "tests/fuzz/corpus/$t" | wc -l) seeds"
done
