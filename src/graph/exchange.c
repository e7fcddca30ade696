/* exchange — the in-process binding: one list per (to, parity of step, from).
 * Steps s and s+1 use different parities, so deliveries for s+1 never touch
 * what is being taken for s; the engine's barrier orders the rest. */
#include "graph/exchange.h"

#include <stdlib.h>

struct lane {
    struct herd_msgbatch *head, *tail;
    uint64_t ended; /* step + 1 of the last end_step, 0 = none */
};

struct local {
    uint32_t nparts;
    struct lane *lanes; /* [to][parity][from] */
};

static struct lane *lane(struct local *x, uint32_t to, uint64_t step, uint32_t from)
{
    return &x->lanes[((size_t)to * 2 + (step & 1)) * x->nparts + from];
}

static int deliver(void *impl, uint32_t from, uint32_t to, uint64_t step, struct herd_msgbatch *b)
{
    struct lane *l = lane(impl, to, step, from);
    b->next = NULL;
    if (l->tail)
        l->tail->next = b;
    else
        l->head = b;
    l->tail = b;
    return HERD_OK;
}

static int end_step(void *impl, uint32_t from, uint32_t to, uint64_t step)
{
    lane(impl, to, step, from)->ended = step + 1;
    return HERD_OK;
}

static int take(void *impl, uint32_t to, uint32_t from, uint64_t step, struct herd_msgbatch **list)
{
    struct lane *l = lane(impl, to, step, from);
    if (l->ended != step + 1)
        return HERD_EPROTO;
    *list = l->head;
    l->head = l->tail = NULL;
    return HERD_OK;
}

static void destroy(void *impl)
{
    struct local *x = impl;
    if (x == NULL)
        return;
    for (size_t i = 0; i < (size_t)x->nparts * x->nparts * 2; i++)
        herd_msgbatch_free_list(x->lanes[i].head);
    free(x->lanes);
    free(x);
}

static const struct herd_exchange_ops local_ops = {deliver, end_step, take, destroy};

int herd_exchange_local(uint32_t nparts, struct herd_exchange *x, struct herd_err *e)
{
    struct local *l = calloc(1, sizeof *l);
    if (l == NULL)
        return herd_err_set(e, HERD_ENOMEM, "exchange: %u partitions", nparts);
    l->nparts = nparts;
    l->lanes = calloc((size_t)nparts * nparts * 2, sizeof *l->lanes);
    if (l->lanes == NULL) {
        free(l);
        return herd_err_set(e, HERD_ENOMEM, "exchange: %u partitions", nparts);
    }
    x->ops = &local_ops;
    x->impl = l;
    return HERD_OK;
}
