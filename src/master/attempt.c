#include "master/attempt.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <inttypes.h>
#include <stdio.h>

static const char *const names[HERD_ATTEMPT_NSTATES] = {
    "orphan", "running", "killing", "succeeded", "failed", "lost", "killed",
};

/* legal[from] is a bit set of the states reachable from `from`. */
#define B(s) (1u << HERD_ATTEMPT_##s)
static const unsigned legal[HERD_ATTEMPT_NSTATES] = {
    [HERD_ATTEMPT_ORPHAN] = B(RUNNING) | B(SUCCEEDED) | B(FAILED) | B(LOST) | B(KILLING),
    [HERD_ATTEMPT_RUNNING] = B(SUCCEEDED) | B(FAILED) | B(LOST) | B(KILLING),
    [HERD_ATTEMPT_KILLING] = B(KILLED),
};
#undef B

const char *herd_attempt_state_name(enum herd_attempt_state s)
{
    return (unsigned)s < HERD_ATTEMPT_NSTATES ? names[s] : "?";
}

int herd_attempt_live(const struct herd_attempt *a)
{
    return a->state == HERD_ATTEMPT_ORPHAN || a->state == HERD_ATTEMPT_RUNNING ||
           a->state == HERD_ATTEMPT_KILLING;
}

int herd_attempt_legal(enum herd_attempt_state from, enum herd_attempt_state to)
{
    if ((unsigned)from >= HERD_ATTEMPT_NSTATES || (unsigned)to >= HERD_ATTEMPT_NSTATES)
        return 0;
    return (legal[from] >> to) & 1u;
}

int herd_attempt_set_state(struct herd_attempt *a, enum herd_attempt_state to, const char *why,
                           struct herd_attempt_stats *st)
{
    char id[32];
    snprintf(id, sizeof id, "%" PRIx64, a->id);
    if (!herd_attempt_legal(a->state, to)) {
        herd_error("attempt", "attempt %s: illegal transition %s -> %s", id,
                   herd_attempt_state_name(a->state), herd_attempt_state_name(to));
        st->illegal++;
        return HERD_ESTATE;
    }
    herd_debug("attempt", "attempt %s: %s -> %s%s%s", id, names[a->state], names[to],
               why ? ": " : "", why ? why : "");
    herd_event("attempt", id, names[a->state], names[to], why);
    a->state = to;
    st->into[to]++;
    return HERD_OK;
}

struct herd_attempt *herd_attempt_create(uint64_t id, struct herd_task *t, struct herd_worker *w,
                                         enum herd_attempt_state initial,
                                         struct herd_attempt_stats *st)
{
    struct herd_attempt *a = herd_xcalloc(1, sizeof *a);
    char sid[32];
    a->id = id;
    a->task = t;
    a->worker = w;
    a->state = initial;
    herd_list_init(&a->wlink);
    snprintf(sid, sizeof sid, "%" PRIx64, id);
    herd_debug("attempt", "attempt %s: created %s", sid, herd_attempt_state_name(initial));
    herd_event("attempt", sid, "", herd_attempt_state_name(initial), NULL);
    st->into[initial]++;
    return a;
}
