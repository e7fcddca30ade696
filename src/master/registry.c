#include "master/registry.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[HERD_WORKER_NSTATES] = {
    "connecting", "ready", "draining", "lost", "gone",
};

#define B(s) (1u << HERD_WORKER_##s)
static const unsigned legal[HERD_WORKER_NSTATES] = {
    [HERD_WORKER_CONNECTING] = B(READY) | B(LOST),
    [HERD_WORKER_READY] = B(CONNECTING) | B(DRAINING) | B(LOST),
    [HERD_WORKER_DRAINING] = B(CONNECTING) | B(GONE) | B(LOST),
    [HERD_WORKER_LOST] = B(READY),
    [HERD_WORKER_GONE] = B(READY),
};
#undef B

const char *herd_worker_state_name(enum herd_worker_state s)
{
    return (unsigned)s < HERD_WORKER_NSTATES ? names[s] : "?";
}

int herd_worker_legal(enum herd_worker_state from, enum herd_worker_state to)
{
    if ((unsigned)from >= HERD_WORKER_NSTATES || (unsigned)to >= HERD_WORKER_NSTATES)
        return 0;
    return (legal[from] >> to) & 1u;
}

void herd_registry_init(struct herd_registry *r)
{
    memset(r, 0, sizeof *r);
    herd_list_init(&r->workers);
}

static void free_labels(struct herd_worker *w)
{
    for (uint32_t i = 0; i < w->nlabels; i++)
        free(w->labels[i]);
    free(w->labels);
    w->labels = NULL;
    w->nlabels = 0;
}

void herd_registry_fini(struct herd_registry *r)
{
    struct herd_link *p, *tmp;
    herd_list_each_safe(p, tmp, &r->workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        herd_list_remove(&w->link);
        free_labels(w);
        free(w->id);
        free(w->host);
        free(w->data_host);
        free(w);
    }
    r->n = 0;
}

struct herd_worker *herd_registry_find(struct herd_registry *r, const char *id)
{
    struct herd_link *p;
    herd_list_each(p, &r->workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        if (strcmp(w->id, id) == 0)
            return w;
    }
    return NULL;
}

struct herd_worker *herd_registry_get(struct herd_registry *r, const char *id, uint64_t now)
{
    struct herd_worker *w = herd_registry_find(r, id);
    if (w != NULL)
        return w;
    w = herd_xcalloc(1, sizeof *w);
    w->id = herd_xstrdup(id);
    w->host = herd_xstrdup("");
    w->state = HERD_WORKER_CONNECTING;
    w->last_seen = now;
    herd_list_init(&w->attempts);
    herd_list_push_back(&r->workers, &w->link);
    r->n++;
    r->into[HERD_WORKER_CONNECTING]++;
    herd_event("worker", id, "", names[HERD_WORKER_CONNECTING], "known");
    return w;
}

void herd_worker_set_identity(struct herd_worker *w, const char *host, uint32_t nlabels,
                              char *const *labels)
{
    free(w->host);
    w->host = herd_xstrdup(host ? host : "");
    free_labels(w);
    if (nlabels > 0) {
        w->labels = herd_xcalloc(nlabels, sizeof *w->labels);
        for (uint32_t i = 0; i < nlabels; i++)
            w->labels[i] = herd_xstrdup(labels[i] ? labels[i] : "");
        w->nlabels = nlabels;
    }
}

int herd_worker_fits(const struct herd_worker *w, uint32_t cores, uint64_t memory)
{
    if (w->state != HERD_WORKER_READY || w->conn == 0 || w->zombies > 0)
        return 0;
    if (w->cores_used + cores > w->cores)
        return 0;
    if (memory != 0 && w->memory != 0 && w->memory_used + memory > w->memory)
        return 0;
    return 1;
}

int herd_worker_set_state(struct herd_registry *r, struct herd_worker *w,
                          enum herd_worker_state to, const char *why)
{
    if (!herd_worker_legal(w->state, to)) {
        herd_error("registry", "worker %s: illegal transition %s -> %s", w->id,
                   herd_worker_state_name(w->state), herd_worker_state_name(to));
        r->illegal++;
        return HERD_ESTATE;
    }
    enum herd_log_level lvl = to == HERD_WORKER_LOST ? HERD_LOG_WARN : HERD_LOG_INFO;
    herd_log(lvl, "registry", "worker %s: %s -> %s%s%s", w->id, names[w->state], names[to],
             why ? ": " : "", why ? why : "");
    herd_event("worker", w->id, names[w->state], names[to], why);
    w->state = to;
    r->into[to]++;
    return HERD_OK;
}
