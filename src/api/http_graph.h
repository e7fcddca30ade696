/* http_graph — the HTTP routes of distributed graph jobs (docs/api.md,
 * "Graph jobs"): submit, view, list, cancel. Handlers run on the master's
 * loop thread like every route; they are listed in http_routes.c's table. */
#ifndef HERD_API_HTTP_GRAPH_H
#define HERD_API_HTTP_GRAPH_H

#include "api/http_int.h"

void herd_http_graph_post(struct herd_http_call *c, struct herd_http_reply *r);
void herd_http_graph_get(struct herd_http_call *c, struct herd_http_reply *r);
void herd_http_graph_list(struct herd_http_call *c, struct herd_http_reply *r);
void herd_http_graph_cancel(struct herd_http_call *c, struct herd_http_reply *r);
/* The JSON of graph job `id`, or NULL if there is none (for /v1/jobs/{id}). */
json_t *herd_http_graph_json(struct herd_http *h, uint64_t id);

#endif
