/* herd submit: parses the options, builds the spec (submit_build.c),
 * uploads the local files it names (upload.c), posts it, and optionally
 * waits. Prints the new job's id on stdout. */
#include "cli/cli.h"
#include "cli/submit.h"
#include "cli/upload.h"

#include "api/spec_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBMIT_ARGS                                                                                \
    "(SPEC.json | - | --each 'CMD {}' [FILES...] | -- CMD ARGS...\n"                              \
    "        | --function NAME --plugin P.so [--payload TEXT] [--count N] [--each 'TEXT {}' ...])\n" \
    "       [--stage] [--input PATH[=NAME]]... [--output NAME]... [--master-files]\n"             \
    "       [--name N] [--priority P] [--retries N] [--retry-on lost,failed,timeout]\n"           \
    "       [--cores N] [--memory SIZE] [--timeout SECONDS] [--shell] [--wait] [--quiet]"

static int num_opt(const char *what, const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "herd submit: %s: expected an integer in [%lld, %lld], got '%s'\n", what,
                lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int timeout_opt(const char *s, uint32_t *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || !(v >= 0) || v * 1000.0 > (double)UINT32_MAX) {
        fprintf(stderr, "herd submit: --timeout: expected seconds, got '%s'\n", s);
        return -1;
    }
    *out = (uint32_t)llround(v * 1000.0);
    return 0;
}

static int submit_flag(int ch, struct herd_submit_opts *s)
{
    switch (ch) {
    case O_NAME: s->name = optarg; return 0;
    case O_EACH: s->each = optarg; return 0;
    case O_FUNCTION: s->function = optarg; return 0;
    case O_PLUGIN: s->plugin = optarg; return 0;
    case O_PAYLOAD: s->payload = optarg; return 0;
    case O_SHELL: s->shell = 1; return 0;
    case O_WAIT: s->wait = 1; return 0;
    case O_QUIET: s->quiet = 1; return 0;
    case O_STAGE: s->stage = 1; return 0;
    case O_MASTER_FILES: s->master_files = 1; return 0;
    case O_INPUT: s->inputs[s->ninputs++] = optarg; return 0;
    case O_OUTPUT: s->outputs[s->noutputs++] = optarg; return 0;
    default: return 1;
    }
}

/* One submit option; -1 on a bad value, 1 if not a submit option. */
static int submit_opt(int ch, struct herd_submit_opts *s)
{
    switch (ch) {
    case O_PRIORITY:
        s->has_prio = 1;
        return num_opt("--priority", optarg, INT32_MIN, INT32_MAX, &s->prio);
    case O_RETRIES:
        s->has_retries = 1;
        return num_opt("--retries", optarg, 0, HERD_SPEC_MAX_RETRIES, &s->retries);
    case O_CORES:
        s->has_cores = 1;
        return num_opt("--cores", optarg, 1, HERD_SPEC_MAX_CORES, &s->cores);
    case O_COUNT:
        s->has_count = 1;
        return num_opt("--count", optarg, 1, HERD_SPEC_MAX_TASKS, &s->count);
    case O_TIMEOUT:
        s->has_timeout = 1;
        return timeout_opt(optarg, &s->timeout_ms);
    case O_MEMORY:
        s->has_memory = 1;
        if (herd_spec_parse_size(optarg, &s->memory) == HERD_OK)
            return 0;
        fprintf(stderr, "herd submit: --memory: bad size '%s'\n", optarg);
        return -1;
    case O_RETRY_ON:
        s->has_retry_on = 1;
        if (herd_submit_retry_on(optarg, &s->retry_on) == 0)
            return 0;
        fprintf(stderr, "herd submit: --retry-on: expected a comma-separated list of lost, "
                        "failed, timeout (or none), got '%s'\n", optarg);
        return -1;
    default:
        return submit_flag(ch, s);
    }
}

/* Options given on the command line override the spec's values. */
static void apply_overrides(const struct herd_submit_opts *s, struct herd_job_spec *spec)
{
    if (s->name) {
        free(spec->name);
        spec->name = strdup(s->name);
    }
    if (s->has_prio)
        spec->priority = (int32_t)s->prio;
    if (s->has_retries)
        spec->max_retries = (uint32_t)s->retries;
    if (s->has_retry_on) {
        spec->retry_on = s->retry_on;
        if (s->retry_on == 0)
            spec->max_retries = 0; /* none: never retry */
    }
    for (uint32_t i = 0; i < spec->ntasks; i++) {
        if (s->has_cores)
            spec->tasks[i].cores = (uint32_t)s->cores;
        if (s->has_timeout)
            spec->tasks[i].timeout_ms = s->timeout_ms;
        if (s->has_memory)
            spec->tasks[i].memory = s->memory;
    }
}

/* Uploads the spec's local files unless they are the master's. */
static int upload(struct herd_submit_opts *s, struct herd_client *c, struct herd_job_spec *spec)
{
    struct herd_upload_stats st;
    struct herd_err e;
    herd_err_clear(&e);
    if (s->master_files)
        return 0;
    if (herd_upload_spec(c, spec, &st, &e) != HERD_OK) {
        fprintf(stderr, "herd submit: %s\n", e.msg);
        return -1;
    }
    if (!s->quiet && st.files > 0)
        fprintf(stderr, "herd submit: uploaded %u file%s (%" PRIu64 " bytes)\n", st.files,
                st.files == 1 ? "" : "s", st.bytes);
    return 0;
}

static int submit_spec(struct herd_submit_opts *s, struct herd_job_spec *spec)
{
    apply_overrides(s, spec);
    uint32_t ntasks = spec->ntasks;
    struct herd_client *c = herd_cli_connect("submit", &s->o);
    json_t *body = NULL, *reply = NULL;
    int rc = c == NULL || upload(s, c, spec) != 0 ? 1 : 0;
    if (rc == 0)
        body = herd_spec_json_encode(spec);
    herd_job_spec_free(spec);
    if (rc == 0)
        rc = body == NULL ? 1 : herd_cli_api(c, "submit", "POST", "/v1/jobs", body, 201, &reply);
    json_decref(body);
    if (rc != 0) {
        herd_client_destroy(c);
        return 1;
    }
    uint64_t id = (uint64_t)herd_cli_jint(reply, "id");
    json_decref(reply);
    printf("%" PRIu64 "\n", id);
    fflush(stdout);
    if (!s->quiet)
        fprintf(stderr, "herd submit: job %" PRIu64 " submitted (%u task%s)\n", id, ntasks,
                ntasks == 1 ? "" : "s");
    rc = s->wait ? herd_cli_wait_job(c, "submit", id, s->quiet) : 0;
    herd_client_destroy(c);
    return rc;
}

/* argv index of the first "--", or argc. */
static int find_dashdash(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0)
            return i;
    return argc;
}

static const struct option submit_opts[] = {
    HERD_CLI_COMMON_OPTS,
    {"name", required_argument, NULL, O_NAME},
    {"priority", required_argument, NULL, O_PRIORITY},
    {"retries", required_argument, NULL, O_RETRIES},
    {"retry-on", required_argument, NULL, O_RETRY_ON},
    {"cores", required_argument, NULL, O_CORES},
    {"memory", required_argument, NULL, O_MEMORY},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"each", required_argument, NULL, O_EACH},
    {"stage", no_argument, NULL, O_STAGE},
    {"input", required_argument, NULL, O_INPUT},
    {"output", required_argument, NULL, O_OUTPUT},
    {"function", required_argument, NULL, O_FUNCTION},
    {"plugin", required_argument, NULL, O_PLUGIN},
    {"payload", required_argument, NULL, O_PAYLOAD},
    {"count", required_argument, NULL, O_COUNT},
    {"master-files", no_argument, NULL, O_MASTER_FILES},
    {"shell", no_argument, NULL, O_SHELL},
    {"wait", no_argument, NULL, O_WAIT},
    {"quiet", no_argument, NULL, O_QUIET},
    {0},
};

static int parse_args(int dd, char **argv, struct herd_submit_opts *s)
{
    int ch;
    optind = 0;
    while ((ch = getopt_long(dd, argv, "hqo:i:", submit_opts, NULL)) != -1) {
        if (herd_cli_common_opt(ch, &s->o))
            continue;
        ch = ch == 'q' ? O_QUIET : ch == 'i' ? O_INPUT : ch == 'o' ? O_OUTPUT : ch;
        int rc = submit_opt(ch, s);
        if (rc != 0)
            return rc < 0 ? 2 : herd_cli_usage("submit", SUBMIT_ARGS);
    }
    if (s->function == NULL && (s->plugin || s->payload || s->has_count)) {
        fprintf(stderr, "herd submit: --plugin, --payload and --count need --function\n");
        return 2;
    }
    return -1;
}

int herd_cmd_submit(int argc, char **argv)
{
    struct herd_submit_opts s = {0};
    int dd = find_dashdash(argc, argv);
    s.inputs = calloc((size_t)argc + 1, sizeof *s.inputs);
    s.outputs = calloc((size_t)argc + 1, sizeof *s.outputs);
    int rc = s.inputs && s.outputs ? parse_args(dd, argv, &s) : 1;
    if (rc < 0) {
        struct herd_job_spec spec;
        int ncmd = dd < argc ? argc - dd - 1 : 0;
        rc = herd_submit_build(&s, argv + optind, dd - optind, argv + dd + 1, ncmd, &spec);
        if (rc == 0)
            rc = submit_spec(&s, &spec);
        else
            rc = rc == -2 ? herd_cli_usage("submit", SUBMIT_ARGS) : 1;
    }
    free(s.inputs);
    free(s.outputs);
    return rc;
}
