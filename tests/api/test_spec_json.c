#include "check.h"

#include "api/spec_json.h"
#include "wire/msg.h"

#include <stdlib.h>
#include <string.h>

static struct herd_job_spec parse_ok(const char *text)
{
    struct herd_job_spec s;
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_spec_json_parse(text, strlen(text), &s, &e) != HERD_OK)
        herd_test_fail(__FILE__, __LINE__, "spec %s refused: %s", text, e.msg);
    return s;
}

HERD_TEST(spec_minimal_gets_defaults)
{
    struct herd_job_spec s = parse_ok("{\"tasks\": [{\"argv\": [\"/bin/true\"]}]}");
    CHECK(s.name == NULL);
    CHECK_EQ(s.priority, 0);
    CHECK_EQ(s.max_retries, 3);
    CHECK_EQ(s.ntasks, 1);
    CHECK_EQ(s.tasks[0].kind, HERD_TASK_COMMAND);
    CHECK_EQ(s.tasks[0].nargv, 1);
    CHECK_STR(s.tasks[0].argv[0], "/bin/true");
    CHECK_EQ(s.tasks[0].cores, 1);
    CHECK_EQ(s.tasks[0].memory, 0);
    CHECK_EQ(s.tasks[0].timeout_ms, 0);
    CHECK_EQ(s.tasks[0].ndeps, 0);
    CHECK(s.tasks[0].name == NULL);
    herd_job_spec_free(&s);
}

HERD_TEST(spec_full_fields)
{
    struct herd_job_spec s = parse_ok(
        "{\"name\": \"build\", \"priority\": -5, \"retries\": 0, \"tasks\": ["
        " {\"name\": \"fetch\", \"cmd\": \"curl -o 'a b.txt' http://x\", \"cores\": 2,"
        "  \"memory\": \"512M\", \"timeout\": 1.5, \"env\": {\"A\": \"1\", \"B\": \"x=y\"}},"
        " {\"name\": \"sh\", \"cmd\": \"ls | wc -l\", \"shell\": true, \"memory\": 1000,"
        "  \"deps\": [\"fetch\"]},"
        " {\"function\": \"pi\", \"payload\": \"AAEC/w==\", \"deps\": [0, \"sh\"]}]}");
    CHECK_STR(s.name, "build");
    CHECK_EQ(s.priority, -5);
    CHECK_EQ(s.max_retries, 0);
    CHECK_EQ(s.ntasks, 3);
    struct herd_task_spec *t = s.tasks;
    CHECK_STR(t[0].name, "fetch");
    CHECK_EQ(t[0].nargv, 4);
    CHECK_STR(t[0].argv[2], "a b.txt");
    CHECK_EQ(t[0].cores, 2);
    CHECK(t[0].memory == 512ull << 20);
    CHECK_EQ(t[0].timeout_ms, 1500);
    CHECK_EQ(t[0].nenv, 2);
    CHECK_STR(t[0].env[0], "A=1");
    CHECK_STR(t[0].env[1], "B=x=y");
    CHECK_EQ(t[1].nargv, 3);
    CHECK_STR(t[1].argv[0], "/bin/sh");
    CHECK_STR(t[1].argv[1], "-c");
    CHECK_STR(t[1].argv[2], "ls | wc -l");
    CHECK_EQ(t[1].memory, 1000);
    CHECK_EQ(t[1].ndeps, 1);
    CHECK_EQ(t[1].deps[0], 0);
    CHECK_EQ(t[2].kind, HERD_TASK_FUNCTION);
    CHECK_EQ(t[2].nargv, 1);
    CHECK_STR(t[2].argv[0], "pi");
    CHECK_EQ(t[2].payload_len, 4);
    CHECK_EQ(t[2].payload[0], 0);
    CHECK_EQ(t[2].payload[1], 1);
    CHECK_EQ(t[2].payload[2], 2);
    CHECK_EQ(t[2].payload[3], 255);
    CHECK_EQ(t[2].ndeps, 2);
    CHECK_EQ(t[2].deps[0], 0);
    CHECK_EQ(t[2].deps[1], 1);
    herd_job_spec_free(&s);
}

HERD_TEST(spec_sizes)
{
    static const struct {
        const char *text;
        uint64_t want;
    } ok[] = {
        {"0", 0}, {"17", 17}, {"1K", 1024}, {"2k", 2048}, {"3M", 3ull << 20},
        {"4G", 4ull << 30}, {"5T", 5ull << 40}, {"6MB", 6ull << 20}, {"7GiB", 7ull << 30},
        {"100B", 100},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 1;
        CHECK_EQ(herd_spec_parse_size(ok[i].text, &v), HERD_OK);
        CHECK(v == ok[i].want);
    }
    static const char *badsz[] = {"", "M", "-1", "1.5G", "1 M", "1Q", "1iB", "1MBx",
                                  "99999999999999999999", "20000000T", " 1"};
    for (size_t i = 0; i < sizeof badsz / sizeof badsz[0]; i++) {
        uint64_t v = 42;
        if (herd_spec_parse_size(badsz[i], &v) != HERD_EINVAL)
            herd_test_fail(__FILE__, __LINE__, "size '%s' accepted", badsz[i]);
        CHECK_EQ(v, 42);
    }
}

HERD_TEST(spec_bad_specs_name_the_field)
{
    static const struct {
        const char *json;
        int code;
        const char *frag;
    } bad[] = {
        {"{\"tasks\": [", HERD_EPARSE, "invalid JSON at line 1"},
        {"[1, 2]", HERD_EINVAL, "(root): expected a JSON object"},
        {"{}", HERD_EINVAL, "tasks: missing"},
        {"{\"tasks\": []}", HERD_EINVAL, "tasks: expected a non-empty array"},
        {"{\"tasks\": {}}", HERD_EINVAL, "tasks: expected a non-empty array"},
        {"{\"tasks\": [{\"argv\": [\"a\"]}], \"colour\": 1}", HERD_EINVAL,
         "(root): unknown field 'colour'"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"cpus\": 2}]}", HERD_EINVAL,
         "tasks[0]: unknown field 'cpus'"},
        {"{\"tasks\": [{\"argv\": [\"a\"]}, {\"argv\": [\"a\"]}, {\"argv\": [\"a\"]},"
         " {\"argv\": [\"x\", 5]}]}",
         HERD_EINVAL, "tasks[3].argv[1]: expected string"},
        {"{\"tasks\": [{\"argv\": []}]}", HERD_EINVAL, "tasks[0].argv: empty"},
        {"{\"tasks\": [{\"argv\": \"ls\"}]}", HERD_EINVAL, "tasks[0].argv: expected array"},
        {"{\"tasks\": [{}]}", HERD_EINVAL, "tasks[0]: needs one of argv, cmd or function"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"cmd\": \"b\"}]}", HERD_EINVAL,
         "tasks[0]: argv, cmd and function exclusive"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"shell\": true}]}", HERD_EINVAL,
         "tasks[0]: shell: only with cmd"},
        {"{\"tasks\": [{\"cmd\": \"echo 'x\"}]}", HERD_EINVAL,
         "tasks[0].cmd: unterminated single quote"},
        {"{\"tasks\": [{\"cmd\": \"  \"}]}", HERD_EINVAL, "tasks[0].cmd: empty command"},
        {"{\"tasks\": [{\"cmd\": \"a\", \"shell\": 1}]}", HERD_EINVAL,
         "tasks[0]: shell: expected true or false"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"cores\": 0}]}", HERD_EINVAL,
         "tasks[0].cores: 0 out of range"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"cores\": 1.5}]}", HERD_EINVAL,
         "tasks[0].cores: expected integer"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"memory\": \"12Q\"}]}", HERD_EINVAL,
         "tasks[0].memory: bad size '12Q'"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"memory\": -1}]}", HERD_EINVAL,
         "tasks[0].memory: expected bytes"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"timeout\": \"10s\"}]}", HERD_EINVAL,
         "tasks[0].timeout: expected number of seconds"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"timeout\": -2}]}", HERD_EINVAL,
         "tasks[0].timeout: out of range"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"timeout\": 1e12}]}", HERD_EINVAL,
         "tasks[0].timeout: out of range"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"env\": {\"A\": 1}}]}", HERD_EINVAL,
         "tasks[0].env.A: expected string"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"env\": {\"A=B\": \"1\"}}]}", HERD_EINVAL,
         "tasks[0].env.A=B: bad variable name"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"env\": [\"A=1\"]}]}", HERD_EINVAL,
         "tasks[0].env: expected object"},
        {"{\"tasks\": [{\"argv\": [\"a\"]}, {\"argv\": [\"b\"], \"deps\": [2]}]}", HERD_EINVAL,
         "tasks[1].deps[0]: index 2 out of range (2 tasks)"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"deps\": [-1]}]}", HERD_EINVAL,
         "tasks[0].deps[0]: index -1 out of range"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"deps\": [\"nope\"]}]}", HERD_EINVAL,
         "tasks[0].deps[0]: no task named 'nope'"},
        {"{\"tasks\": [{\"name\": \"x\", \"argv\": [\"a\"]}, {\"name\": \"x\", \"argv\": [\"a\"]},"
         " {\"argv\": [\"a\"], \"deps\": [1, \"x\"]}]}",
         HERD_EINVAL, "tasks[2].deps[1]: task name 'x' is ambiguous"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"deps\": [true]}]}", HERD_EINVAL,
         "tasks[0].deps[0]: expected task index or name"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"deps\": 0}]}", HERD_EINVAL,
         "tasks[0].deps: expected array"},
        {"{\"tasks\": [{\"function\": \"f\", \"payload\": \"@@@@\"}]}", HERD_EINVAL,
         "tasks[0].payload: invalid base64"},
        {"{\"tasks\": [{\"function\": \"f\", \"payload\": \"AAE\"}]}", HERD_EINVAL,
         "tasks[0].payload: invalid base64"},
        {"{\"tasks\": [{\"function\": 3}]}", HERD_EINVAL, "tasks[0].function: expected string"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"payload\": \"AA==\"}]}", HERD_EINVAL,
         "tasks[0]: payload: only with function"},
        {"{\"priority\": 2147483648, \"tasks\": [{\"argv\": [\"a\"]}]}", HERD_EINVAL,
         "priority: 2147483648 out of range"},
        {"{\"retries\": \"3\", \"tasks\": [{\"argv\": [\"a\"]}]}", HERD_EINVAL,
         "retries: expected integer"},
        {"{\"name\": 7, \"tasks\": [{\"argv\": [\"a\"]}]}", HERD_EINVAL, "name: expected string"},
        {"{\"tasks\": [{\"argv\": [\"a\"], \"name\": null}]}", HERD_EINVAL,
         "tasks[0].name: expected string"},
        {"{\"tasks\": [7]}", HERD_EINVAL, "tasks[0]: expected object"},
        {"{\"tasks\": [{\"argv\": [\"a\"]}], \"tasks\": []}", HERD_EPARSE, "duplicate"},
        {"{\"tasks\": [{\"argv\": [\"a\\u0000b\"]}]}", HERD_EPARSE, "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct herd_job_spec s;
        memset(&s, 0x5a, sizeof s);
        struct herd_err e;
        herd_err_clear(&e);
        int rc = herd_spec_json_parse(bad[i].json, strlen(bad[i].json), &s, &e);
        if (rc != bad[i].code || strstr(e.msg, bad[i].frag) == NULL)
            herd_test_fail(__FILE__, __LINE__, "#%zu %s: rc %s msg '%s', want %s '%s'", i,
                           bad[i].json, herd_err_name(rc), e.msg, herd_err_name(bad[i].code),
                           bad[i].frag);
        CHECK_EQ(s.ntasks, 0x5a5a5a5a); /* out-param untouched */
    }
}

/* Two specs equal field by field. */
static void check_same(const struct herd_job_spec *a, const struct herd_job_spec *b)
{
    CHECK((a->name == NULL) == (b->name == NULL));
    if (a->name)
        CHECK_STR(a->name, b->name);
    CHECK_EQ(a->priority, b->priority);
    CHECK_EQ(a->max_retries, b->max_retries);
    CHECK_EQ(a->ntasks, b->ntasks);
    for (uint32_t i = 0; i < a->ntasks; i++) {
        const struct herd_task_spec *x = &a->tasks[i], *y = &b->tasks[i];
        CHECK_EQ(x->kind, y->kind);
        CHECK_EQ(x->nargv, y->nargv);
        for (uint32_t k = 0; k < x->nargv; k++)
            CHECK_STR(x->argv[k], y->argv[k]);
        CHECK_EQ(x->nenv, y->nenv);
        for (uint32_t k = 0; k < x->nenv; k++)
            CHECK_STR(x->env[k], y->env[k]);
        CHECK_EQ(x->cores, y->cores);
        CHECK(x->memory == y->memory);
        CHECK_EQ(x->timeout_ms, y->timeout_ms);
        CHECK_EQ(x->ndeps, y->ndeps);
        for (uint32_t k = 0; k < x->ndeps; k++)
            CHECK_EQ(x->deps[k], y->deps[k]);
        CHECK_EQ(x->payload_len, y->payload_len);
        CHECK(x->payload_len == 0 || memcmp(x->payload, y->payload, x->payload_len) == 0);
    }
}

HERD_TEST(spec_encode_roundtrip)
{
    struct herd_job_spec a = parse_ok(
        "{\"name\": \"r\", \"priority\": 9, \"retries\": 7, \"tasks\": ["
        " {\"name\": \"one\", \"argv\": [\"echo\", \"\\u00e9 \\\"q\\\"\"], \"timeout\": 0.001,"
        "  \"env\": {\"Z\": \"\", \"A\": \"b\"}, \"memory\": \"3G\", \"cores\": 4},"
        " {\"function\": \"fn\", \"payload\": \"AQ==\", \"deps\": [\"one\"]},"
        " {\"function\": \"fn2\", \"payload\": \"AQI=\", \"deps\": [0, 1], \"timeout\": 7},"
        " {\"function\": \"fn3\"}]}");
    json_t *j = herd_spec_json_encode(&a);
    CHECK(j != NULL);
    char *text = json_dumps(j, 0);
    json_decref(j);
    struct herd_job_spec b = parse_ok(text);
    check_same(&a, &b);
    free(text);
    herd_job_spec_free(&a);
    herd_job_spec_free(&b);
}

HERD_TEST(spec_encode_roundtrip_at_the_limits)
{
    /* The extremes each field accepts survive encode + parse: memory above
     * 2^63 (a JSON integer cannot hold it), the lowest priority, the most
     * retries. */
    struct herd_job_spec a = parse_ok(
        "{\"priority\": -2147483648, \"retries\": 1000, \"tasks\": ["
        " {\"argv\": [\"x\"], \"memory\": \"16777215T\"},"
        " {\"argv\": [\"y\"], \"memory\": 9223372036854775807}]}");
    CHECK(a.tasks[0].memory == 16777215ull << 40);
    json_t *j = herd_spec_json_encode(&a);
    CHECK(j != NULL);
    char *text = json_dumps(j, 0);
    json_decref(j);
    struct herd_job_spec b = parse_ok(text);
    CHECK_EQ(b.priority, INT32_MIN);
    CHECK_EQ(b.max_retries, 1000);
    check_same(&a, &b);
    free(text);
    herd_job_spec_free(&a);
    herd_job_spec_free(&b);
}

HERD_TEST(spec_payload_lengths)
{
    /* base64 of 0..5 bytes 'a'..: each decodes back to its length */
    static const char *enc[] = {"", "YQ==", "YWI=", "YWJj", "YWJjZA==", "YWJjZGU="};
    for (size_t n = 0; n < 6; n++) {
        char json[200];
        snprintf(json, sizeof json, "{\"tasks\": [{\"function\": \"f\", \"payload\": \"%s\"}]}",
                 enc[n]);
        struct herd_job_spec s = parse_ok(json);
        CHECK_EQ(s.tasks[0].payload_len, n);
        CHECK(memcmp(s.tasks[0].payload, "abcde", n) == 0);
        herd_job_spec_free(&s);
    }
}

/* Specs that a worker could not decode are refused at submit time. */
HERD_TEST(spec_wire_limits)
{
    size_t big = HERD_MSG_MAX_ARG + 1;
    char *arg = malloc(big + 1);
    memset(arg, 'x', big);
    arg[big] = '\0';
    json_t *root = json_pack("{s:[{s:[s]}]}", "tasks", "argv", arg);
    struct herd_job_spec s;
    struct herd_err e;
    CHECK_EQ(herd_spec_json_from(root, &s, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "tasks[0].argv[0]: string longer than") != NULL);
    json_decref(root);
    /* each entry fits, the whole ASSIGN frame does not (> 16 MiB) */
    arg[HERD_MSG_MAX_ARG - 1] = '\0';
    json_t *argv = json_array();
    for (int i = 0; i < 140; i++)
        json_array_append_new(argv, json_string(arg));
    root = json_pack("{s:[{s:o}]}", "tasks", "argv", argv);
    CHECK_EQ(herd_spec_json_from(root, &s, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "tasks[0]: too large for a worker") != NULL);
    json_decref(root);
    free(arg);
}
