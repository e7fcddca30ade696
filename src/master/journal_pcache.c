/* journal_pcache — SQLite's own page cache, minus one full scan per commit.
 *
 * At the end of every write transaction SQLite's pager asks the page cache
 * to drop the pages past the end of the database (xTruncate with the
 * database size + 1). The default cache (pcache1) keeps the largest page
 * number it ever held, iMaxKey, and when that is at or past the limit it
 * walks its hash table: only the slots that can hold such pages if
 * iMaxKey - limit is small, otherwise ALL of them. SQLite 3.40's B-tree
 * balance (balance_nonroot, a page split away from the right edge: an
 * index insert, or a results row of one job among many) swaps two page
 * numbers through the pending-byte page (page 262,145 with 4 KiB pages) as
 * a temporary slot. That leaves iMaxKey at 262,145 and the next commit scans
 * the whole hash table — one visit per cached page, so per commit work
 * proportional to the journal's cached size: with 100k tasks queued the
 * master spent 6 % of its journal CPU in that loop, 2 % with 1k queued.
 *
 * This wrapper passes every call through to the default cache and keeps,
 * per cache, an upper bound on the page numbers it holds: `hi` for pages
 * fetched or moved in order, plus a short list of pages parked at a number
 * past `hi` by a move (the temporary slot), removed again when they move on
 * or are discarded. xTruncate(limit) is passed through only if a page at or
 * past `limit` may exist; otherwise there is nothing to drop and the scan is
 * skipped. The bound may only be too high (a page the default cache
 * recycled on its own is still counted): then the call goes through, as
 * before. Installed process-wide by herd_journal__pcache_install() before
 * SQLite is initialised; if SQLite was initialised already (another user of
 * SQLite in this process), the default cache stays and nothing changes but
 * speed. Threads: each cache is used under SQLite's own mutexes, one
 * connection at a time, as the default cache is. */
#include "base/log.h"
#include "master/journal_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define MAX_PARKED 8

struct parked {
    sqlite3_pcache_page *page;
    unsigned key;
};

struct wcache {
    sqlite3_pcache *inner;
    unsigned hi;                   /* no unparked page has a larger number */
    unsigned nparked;
    struct parked parked[MAX_PARKED];
};

static sqlite3_pcache_methods2 base; /* the default cache's methods */
static int installed;
static atomic_uint_fast64_t n_truncates, n_passed, n_parked; /* all caches */

static void count(atomic_uint_fast64_t *n)
{
    atomic_fetch_add_explicit(n, 1, memory_order_relaxed);
}

static int w_init(void *arg)
{
    (void)arg;
    return base.xInit(base.pArg);
}

static void w_shutdown(void *arg)
{
    (void)arg;
    if (base.xShutdown)
        base.xShutdown(base.pArg);
}

static sqlite3_pcache *w_create(int page_size, int extra, int purgeable)
{
    struct wcache *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->inner = base.xCreate(page_size, extra, purgeable);
    if (w->inner == NULL) {
        free(w);
        return NULL;
    }
    return (sqlite3_pcache *)w;
}

static void w_cachesize(sqlite3_pcache *p, int n)
{
    base.xCachesize(((struct wcache *)p)->inner, n);
}

static int w_pagecount(sqlite3_pcache *p)
{
    return base.xPagecount(((struct wcache *)p)->inner);
}

static sqlite3_pcache_page *w_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    struct wcache *w = (struct wcache *)p;
    sqlite3_pcache_page *pg = base.xFetch(w->inner, key, create);
    if (pg != NULL && key > w->hi)
        w->hi = key; /* a page at `key` exists now (found or made) */
    return pg;
}

/* Forgets page pg if it is parked; 1 if it was. */
static int unpark(struct wcache *w, sqlite3_pcache_page *pg)
{
    for (unsigned i = 0; i < w->nparked; i++)
        if (w->parked[i].page == pg) {
            w->parked[i] = w->parked[--w->nparked];
            return 1;
        }
    return 0;
}

static void w_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
    struct wcache *w = (struct wcache *)p;
    if (discard)
        unpark(w, pg);
    base.xUnpin(w->inner, pg, discard);
}

static void w_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned from, unsigned to)
{
    struct wcache *w = (struct wcache *)p;
    unpark(w, pg);
    if (to > w->hi && w->nparked < MAX_PARKED) {
        w->parked[w->nparked++] = (struct parked){pg, to};
        count(&n_parked);
    } else if (to > w->hi)
        w->hi = to; /* list full: widen the bound instead */
    base.xRekey(w->inner, pg, from, to);
}

static void w_truncate(sqlite3_pcache *p, unsigned limit)
{
    struct wcache *w = (struct wcache *)p;
    count(&n_truncates);
    int any = w->hi >= limit;
    for (unsigned i = 0; i < w->nparked; i++)
        any |= w->parked[i].key >= limit;
    if (!any)
        return; /* no page at or past limit: nothing to drop */
    count(&n_passed);
    base.xTruncate(w->inner, limit);
    for (unsigned i = 0; i < w->nparked;)
        if (w->parked[i].key >= limit)
            w->parked[i] = w->parked[--w->nparked];
        else
            i++;
    if (limit == 0)
        w->hi = 0;
    else if (w->hi >= limit)
        w->hi = limit - 1;
}

static void w_destroy(sqlite3_pcache *p)
{
    struct wcache *w = (struct wcache *)p;
    base.xDestroy(w->inner);
    free(w);
}

static void w_shrink(sqlite3_pcache *p)
{
    base.xShrink(((struct wcache *)p)->inner);
}

static void install(void)
{
    static sqlite3_pcache_methods2 wrap = {
        .iVersion = 1,
        .xInit = w_init,
        .xShutdown = w_shutdown,
        .xCreate = w_create,
        .xCachesize = w_cachesize,
        .xPagecount = w_pagecount,
        .xFetch = w_fetch,
        .xUnpin = w_unpin,
        .xRekey = w_rekey,
        .xTruncate = w_truncate,
        .xDestroy = w_destroy,
        .xShrink = w_shrink,
    };
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK || base.xFetch == NULL ||
        sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrap) != SQLITE_OK) {
        herd_debug("journal", "SQLite already initialised: its default page cache stays");
        return;
    }
    installed = 1;
}

int herd_journal__pcache_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
    return installed;
}

void herd_journal__pcache_stats(struct herd_journal_pcache_stats *out)
{
    out->truncates = atomic_load_explicit(&n_truncates, memory_order_relaxed);
    out->passed = atomic_load_explicit(&n_passed, memory_order_relaxed);
    out->parked = atomic_load_explicit(&n_parked, memory_order_relaxed);
}
