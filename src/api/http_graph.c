/* http_graph — graph-job routes: the JSON spec of a graph job
 * (docs/api.md "Graph jobs"), its view with per-superstep statistics. */
#include "api/http_graph.h"

#include "api/b64.h"
#include "master/gjob.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const formats[] = {"auto", "snap", "graphalytics", "dimacs", "bin"};

static int get_u32(json_t *o, const char *k, uint32_t *out, struct herd_err *e)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return HERD_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > (json_int_t)UINT32_MAX)
        return herd_err_set(e, HERD_EINVAL, "%s: a non-negative integer", k);
    *out = (uint32_t)json_integer_value(v);
    return HERD_OK;
}

static int get_str(json_t *o, const char *k, const char **out, struct herd_err *e)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return HERD_OK;
    if (!json_is_string(v))
        return herd_err_set(e, HERD_EINVAL, "%s: a string", k);
    *out = json_string_value(v);
    return HERD_OK;
}

static int get_format(json_t *o, uint8_t *out, struct herd_err *e)
{
    const char *f = NULL;
    if (get_str(o, "format", &f, e) != HERD_OK || f == NULL)
        return e->code ? e->code : HERD_OK;
    for (uint8_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(f, formats[i]) == 0) {
            *out = i;
            return HERD_OK;
        }
    return herd_err_set(e, HERD_EINVAL, "format: unknown '%.40s'", f);
}

static int get_plugin(json_t *o, uint8_t **plugin, uint32_t *len, struct herd_err *e)
{
    const char *b = NULL;
    if (get_str(o, "plugin_b64", &b, e) != HERD_OK || b == NULL)
        return e->code ? e->code : HERD_OK;
    size_t n = strlen(b);
    uint8_t *p = malloc(herd_b64_decoded_max(n) + 1);
    if (p == NULL)
        return herd_err_set(e, HERD_ENOMEM, "plugin of %zu bytes", n);
    long k = herd_b64_decode(b, n, p);
    if (k <= 0) {
        free(p);
        return herd_err_set(e, HERD_EINVAL, "plugin_b64: not base64");
    }
    *plugin = p;
    *len = (uint32_t)k;
    return HERD_OK;
}

/* Every field a graph-job spec may have (docs/api.md "Graph jobs"); any
 * other is refused by name, so a typo never silently becomes a default. */
static const char *const spec_fields[] = {
    "algo", "graph", "format", "directed", "simplify", "no_fast_path", "source", "iterations",
    "damping", "seed", "arg", "plugin_b64", "workers", "partitions", "threads", "output_dir",
    "checkpoint_dir", "checkpoint_every", "barrier_timeout_ms", "max_recoveries"};

static int check_fields(json_t *o, struct herd_err *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (i < sizeof spec_fields / sizeof *spec_fields && strcmp(k, spec_fields[i]) != 0)
            i++;
        if (i == sizeof spec_fields / sizeof *spec_fields)
            return herd_err_set(e, HERD_EINVAL, "unknown field '%s'", k);
    }
    return HERD_OK;
}

static int parse_spec(json_t *o, struct herd_gjob_spec *s, uint8_t **plugin, struct herd_err *e)
{
    uint32_t directed = 1, simplify = 0, no_fast = 0;
    json_t *src = json_object_get(o, "source");
    json_t *damp = json_object_get(o, "damping");
    json_t *seed = json_object_get(o, "seed");
    memset(s, 0, sizeof *s);
    s->seed = 1;
    if (!json_is_object(o))
        return herd_err_set(e, HERD_EINVAL, "a graph job is a JSON object");
    int rc = check_fields(o, e);
    rc = rc ? rc : get_str(o, "algo", &s->algo, e);
    rc = rc ? rc : get_str(o, "graph", &s->graph, e);
    rc = rc ? rc : get_str(o, "output_dir", &s->output_dir, e);
    rc = rc ? rc : get_str(o, "checkpoint_dir", &s->ckpt_dir, e);
    rc = rc ? rc : get_str(o, "arg", &s->arg, e);
    rc = rc ? rc : get_u32(o, "directed", &directed, e);
    rc = rc ? rc : get_u32(o, "simplify", &simplify, e);
    rc = rc ? rc : get_u32(o, "no_fast_path", &no_fast, e);
    rc = rc ? rc : get_u32(o, "iterations", &s->iterations, e);
    rc = rc ? rc : get_u32(o, "workers", &s->workers, e);
    rc = rc ? rc : get_u32(o, "partitions", &s->partitions, e);
    rc = rc ? rc : get_u32(o, "threads", &s->threads, e);
    rc = rc ? rc : get_u32(o, "checkpoint_every", &s->checkpoint_every, e);
    rc = rc ? rc : get_u32(o, "barrier_timeout_ms", &s->barrier_timeout_ms, e);
    rc = rc ? rc : get_u32(o, "max_recoveries", &s->max_recoveries, e);
    rc = rc ? rc : get_format(o, &s->format, e);
    rc = rc ? rc : get_plugin(o, plugin, &s->plugin_len, e);
    if (rc != HERD_OK)
        return rc;
    s->plugin = *plugin;
    s->directed = directed != 0;
    s->simplify = simplify != 0;
    s->no_fast_path = no_fast != 0;
    if (src && !json_is_integer(src))
        return herd_err_set(e, HERD_EINVAL, "source: an integer vertex id");
    s->has_source = src != NULL;
    s->source = src ? (uint64_t)json_integer_value(src) : 0;
    if (damp && !(json_is_number(damp) && json_number_value(damp) > 0 &&
                  json_number_value(damp) <= 1))
        return herd_err_set(e, HERD_EINVAL, "damping: a number in (0, 1]");
    s->damping = damp ? json_number_value(damp) : 0;
    if (seed && !json_is_integer(seed))
        return herd_err_set(e, HERD_EINVAL, "seed: an integer");
    s->seed = seed ? (uint64_t)json_integer_value(seed) : 1;
    return HERD_OK;
}

void herd_http_graph_post(struct herd_http_call *c, struct herd_http_reply *r)
{
    json_error_t je;
    struct herd_err e;
    struct herd_gjob_spec s;
    uint8_t *plugin = NULL;
    uint64_t id;
    herd_err_clear(&e);
    json_t *o = json_loadb(c->body, c->len, 0, &je);
    if (o == NULL) {
        herd_http_reply_error(r, 400, "graph job: bad JSON: %s", je.text);
        return;
    }
    int rc = parse_spec(o, &s, &plugin, &e);
    if (rc == HERD_OK)
        rc = herd_core_graph_submit(c->h->core, &s, &id, &e);
    json_decref(o);
    free(plugin);
    if (rc != HERD_OK) {
        herd_http_reply_error(r, rc == HERD_ENOMEM ? 503 : 400, "graph job: %s", e.msg);
        return;
    }
    snprintf(r->location, sizeof r->location, "/v1/graph-jobs/%" PRIu64, id);
    herd_http_reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

static json_t *steps_json(const struct herd_gjob_info *j)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < j->nsteps; i++) {
        const struct herd_gjob_step *s = &j->steps[i];
        json_array_append_new(
            a, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "step",
                         (json_int_t)s->step, "computed", (json_int_t)s->computed, "active",
                         (json_int_t)s->active, "sent", (json_int_t)s->sent, "exchanged",
                         (json_int_t)s->exchanged, "bytes", (json_int_t)s->bytes, "ms", s->ms,
                         "compute_ms", s->compute_ms_max, "checkpoint_ms", s->ckpt_ms_max));
    }
    return a;
}

static json_t *info_json(const struct herd_gjob_info *j, int with_steps)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:f, s:f,"
        " s:I, s:I}",
        "id", (json_int_t)j->id, "kind", "graph", "name", j->algo, "algo", j->algo, "graph",
        j->graph, "state", j->state, "error", j->error, "superstep", (json_int_t)j->step,
        "epoch", (int)j->epoch, "workers", (int)j->workers, "partitions", (int)j->partitions,
        "recoveries", (int)j->recoveries, "last_checkpoint", (json_int_t)j->last_checkpoint,
        "vertices", (json_int_t)j->vertices, "arcs", (json_int_t)j->arcs, "load_ms",
        j->load_ms, "write_ms", j->write_ms, "submitted_ms", (json_int_t)j->submitted_ms,
        "finished_ms", (json_int_t)j->finished_ms);
    if (o && with_steps)
        json_object_set_new(o, "steps", steps_json(j));
    if (o) {
        json_object_set_new(o, "output_dir", json_string(j->output_dir));
        json_object_set_new(o, "path", json_string(j->path));
    }
    return o;
}

json_t *herd_http_graph_json(struct herd_http *h, uint64_t id)
{
    struct herd_gjob_info j;
    if (herd_core_graph_info(h->core, id, &j) != HERD_OK)
        return NULL;
    return info_json(&j, 1);
}

static int graph_id(struct herd_http_call *c, struct herd_http_reply *r, uint64_t *id)
{
    char *end;
    *id = strtoull(c->caps[0], &end, 10);
    struct herd_gjob_info j;
    if (*c->caps[0] == '\0' || *end || herd_core_graph_info(c->h->core, *id, &j) != HERD_OK) {
        herd_http_reply_error(r, 404, "no graph job '%.40s'", c->caps[0]);
        return 0;
    }
    return 1;
}

void herd_http_graph_get(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t id;
    if (graph_id(c, r, &id))
        herd_http_reply_json(r, 200, herd_http_graph_json(c->h, id));
}

static void add_one(void *arg, const struct herd_gjob_info *j)
{
    json_array_append_new(arg, info_json(j, 0));
}

void herd_http_graph_list(struct herd_http_call *c, struct herd_http_reply *r)
{
    json_t *a = json_array();
    if (a)
        herd_core_graph_each(c->h->core, add_one, a);
    herd_http_reply_json(r, 200, a ? json_pack("{s:o}", "graph_jobs", a) : NULL);
}

void herd_http_graph_cancel(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t id;
    if (!graph_id(c, r, &id))
        return;
    herd_core_graph_cancel(c->h->core, id);
    herd_http_reply_json(r, 200, herd_http_graph_json(c->h, id));
}
