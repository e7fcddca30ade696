/* Every file of the malformed-input corpus tests/graph/bad/ gives the error
 * its manifest (tests/graph/bad/EXPECTED) names, file and line included —
 * or loads, where the manifest says OK. Also loads each through the
 * in-memory loader, which must fail or succeed the same way, never crash.
 * Run from the repository root (scripts/run-unit.sh does). */
#include "../unit/check.h"

#include "graph/graph.h"
#include "graph/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS "tests/graph/bad"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    CHECK_EQ(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void check_case(const char *file, const char *want)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", CORPUS, file);
    /* asymmetric.hgr is stored undirected, so it is loaded undirected */
    int undirected = strstr(file, "asymmetric") != NULL;
    struct herd_graph_opts o = {.directed = !undirected, .weighted = 1, .need_out = 1,
                                .need_in = 1};
    struct herd_graph *g = NULL;
    struct herd_err e;
    int rc = herd_graph_load(path, &o, &g, &e);
    if (strcmp(want, "OK") == 0) {
        if (rc != HERD_OK)
            herd_test_fail(__FILE__, __LINE__, "%s: expected to load, got: %s", file, e.msg);
        herd_graph_destroy(g);
    } else if (rc == HERD_OK) {
        herd_test_fail(__FILE__, __LINE__, "%s: loaded, expected '%s'", file, want);
    } else if (strstr(e.msg, want) == NULL) {
        herd_test_fail(__FILE__, __LINE__, "%s: got '%s', expected '%s'", file, e.msg, want);
    }
    if (strstr(file, ".e")) /* the pair needs its .v beside it: files only */
        return;
    size_t len;
    char *bytes = slurp(path, &len);
    int mrc = herd_graph_load_mem(file, bytes, len, &o, &g, &e);
    CHECK_EQ(mrc == HERD_OK, rc == HERD_OK);
    if (mrc == HERD_OK)
        herd_graph_destroy(g);
    free(bytes);
}

HERD_TEST(bad_inputs_corpus)
{
    FILE *f = fopen(CORPUS "/EXPECTED", "r");
    if (f == NULL)
        herd_test_fail(__FILE__, __LINE__, "%s/EXPECTED not found: run from the repository root",
                       CORPUS);
    char line[1024];
    int cases = 0, errors = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *file = line, *want = line + strcspn(line, " \t");
        *want++ = '\0';
        want += strspn(want, " \t");
        CHECK(*want != '\0');
        check_case(file, want);
        cases++;
        errors += strcmp(want, "OK") != 0;
    }
    fclose(f);
    CHECK_INT(cases, >=, 15);
    CHECK_INT(errors, >=, 15);
}
