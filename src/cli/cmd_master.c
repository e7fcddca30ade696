/* `herd master` and `herd worker`: flag parsing only; the daemons live in
 * daemon/master.c and daemon/worker.c. */
#include "cli/cli.h"

#include "api/addr.h"
#include "base/log.h"
#include "daemon/master.h"
#include "daemon/worker.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_secret(const char *path, struct herd_secret *s)
{
    if (path == NULL)
        path = getenv("HERD_SECRET_FILE");
    s->len = 0;
    if (path == NULL || path[0] == '\0')
        return 0;
    struct herd_err e;
    if (herd_secret_load(path, s, &e) != HERD_OK) {
        fprintf(stderr, "herd: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* "512M", "4G", "1048576" -> bytes */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    double v = strtod(s, &end);
    uint64_t mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1ULL << 10; end++; break;
    case 'm': case 'M': mult = 1ULL << 20; end++; break;
    case 'g': case 'G': mult = 1ULL << 30; end++; break;
    case 't': case 'T': mult = 1ULL << 40; end++; break;
    default: break;
    }
    if (end == s || (*end != '\0' && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0) || v < 0)
        return -1;
    *out = (uint64_t)(v * (double)mult);
    return 0;
}

static const struct option master_opts[] = {
    {"listen", required_argument, NULL, 'l'},      {"http", required_argument, NULL, 'H'},
    {"data-dir", required_argument, NULL, 'd'},    {"secret-file", required_argument, NULL, 's'},
    {"heartbeat-ms", required_argument, NULL, 'b'}, {"lost-after", required_argument, NULL, 'a'},
    {"port-file", required_argument, NULL, 'p'},   {"help", no_argument, NULL, 'h'},
    {"max-queued", required_argument, NULL, 'Q'},
    {"max-conns", required_argument, NULL, 'C'},   {"max-http-conns", required_argument, NULL, 'X'},
    {"handshake-ms", required_argument, NULL, 'S'},
    {"tls-cert", required_argument, NULL, 'T'},    {"tls-key", required_argument, NULL, 'K'},
    {"tls-ca", required_argument, NULL, 'A'},
    {"keep-finished-jobs", required_argument, NULL, 'J'},
    {"keep-finished-for", required_argument, NULL, 'F'},
    {NULL, 0, NULL, 0}};

static void master_usage(FILE *f)
{
    fprintf(f, "usage: herd master [--listen HOST[:PORT]] [--http HOST[:PORT]] [--data-dir DIR]\n"
               "                   [--secret-file F] [--heartbeat-ms N] [--lost-after N]\n"
               "                   [--port-file F] [--max-queued N] [--max-conns N] [--max-http-conns N]\n"
               "                   [--handshake-ms N] [--tls-cert PEM --tls-key PEM [--tls-ca PEM]]\n"
               "                   [--keep-finished-jobs N] [--keep-finished-for SECONDS]\n"
               "Workers dial PORT (default %d); the HTTP API listens on PORT+1 unless --http\n"
               "is given. Without a secret (--secret-file or $HERD_SECRET_FILE) the master\n"
               "listens on loopback only. Over --max-queued unfinished tasks (default\n"
               "4000000) a submit is answered 429 with Retry-After. Limits: --max-conns control\n"
               "connections and --max-http-conns HTTP connections (default 1024 each; more are\n"
               "closed at once and logged); a control connection silent for --handshake-ms\n"
               "(default 10000) before its HELLO is closed. --tls-cert/--tls-key: workers connect\n"
               "with TLS; --tls-ca: each must present a certificate signed by that CA.\n"
               "Memory: the master keeps the newest --keep-finished-jobs finished jobs (default\n"
               "1000), each for at most --keep-finished-for seconds (default 600); older ones\n"
               "are dropped from memory and answered from the journal, whose SQLite page cache\n"
               "takes up to 64 MiB ($HERD_JOURNAL_CACHE_MIB sets another size).\n",
            HERD_ADDR_DEFAULT_PORT);
}

int herd_cmd_master(int argc, char **argv)
{
    struct herd_master_config cfg = {.data_dir = "herd-data", .http_port = -1,
                                     .listen_port = HERD_ADDR_DEFAULT_PORT};
    struct herd_addr listen = {0}, http = {0};
    const char *secret_file = NULL;
    static struct herd_secret secret;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", master_opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (herd_addr_parse(optarg, HERD_ADDR_DEFAULT_PORT, &listen, NULL) != HERD_OK)
                goto bad;
            cfg.listen_host = listen.host;
            cfg.listen_port = listen.port;
            break;
        case 'H':
            if (herd_addr_parse(optarg, HERD_ADDR_DEFAULT_PORT + 1, &http, NULL) != HERD_OK)
                goto bad;
            cfg.http_host = http.host;
            cfg.http_port = http.port;
            break;
        case 'd': cfg.data_dir = optarg; break;
        case 's': secret_file = optarg; break;
        case 'b': if (parse_u32(optarg, &cfg.heartbeat_ms)) goto bad; break;
        case 'a': if (parse_u32(optarg, &cfg.lost_after)) goto bad; break;
        case 'p': cfg.port_file = optarg; break;
        case 'Q': {
            uint32_t q;
            if (parse_u32(optarg, &q))
                goto bad;
            cfg.max_queued = q;
            break;
        }
        case 'C': if (parse_u32(optarg, &cfg.max_conns)) goto bad; break;
        case 'X': if (parse_u32(optarg, &cfg.max_http_conns)) goto bad; break;
        case 'S': if (parse_u32(optarg, &cfg.handshake_ms)) goto bad; break;
        case 'T': cfg.tls_cert = optarg; break;
        case 'K': cfg.tls_key = optarg; break;
        case 'A': cfg.tls_ca = optarg; break;
        case 'J':
            if (parse_u32(optarg, &cfg.keep_finished) || cfg.keep_finished == 0)
                goto bad;
            break;
        case 'F': {
            uint32_t secs;
            if (parse_u32(optarg, &secs) || secs == 0)
                goto bad;
            cfg.keep_finished_ms = (uint64_t)secs * 1000;
            break;
        }
        case 'h': master_usage(stdout); return 0;
        default: master_usage(stderr); return 2;
        }
    }
    if (optind != argc || load_secret(secret_file, &secret) != 0)
        goto bad;
    cfg.secret = &secret;
    return herd_master_run(&cfg);
bad:
    fprintf(stderr, "herd master: bad arguments\n");
    master_usage(stderr);
    return 2;
}

static const struct option worker_opts[] = {
    {"master", required_argument, NULL, 'm'},     {"cores", required_argument, NULL, 'c'},
    {"memory", required_argument, NULL, 'M'},     {"label", required_argument, NULL, 'L'},
    {"id", required_argument, NULL, 'i'},         {"work-dir", required_argument, NULL, 'w'},
    {"secret-file", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
    {"run-as", required_argument, NULL, 'u'},
    {"keep-sandboxes", required_argument, NULL, 'k'},
    {"tls-cert", required_argument, NULL, 'T'},    {"tls-key", required_argument, NULL, 'K'},
    {"tls-ca", required_argument, NULL, 'A'},
    {NULL, 0, NULL, 0}};

static void worker_usage(FILE *f)
{
    fprintf(f, "usage: herd worker [MASTER] [--cores N] [--memory SIZE] [--label K=V]...\n"
               "                   [--id ID] [--work-dir DIR] [--secret-file F] [--run-as USER]\n"
               "MASTER is host[:port] (default port %d), a DNS name whose addresses are tried\n"
               "in turn, or $HERD_MASTER; default 127.0.0.1:%d. SIGTERM drains the worker.\n"
               "--run-as USER (worker started as root): tasks run as USER, not as root.\n"
               "--keep-sandboxes failed|all|none: which task sandboxes stay after the task\n"
               "(default failed: a succeeded or canceled task's sandbox is removed).\n"
               "--tls-ca PEM: connect with TLS and verify the master's certificate (for the\n"
               "address dialled); --tls-cert/--tls-key: this worker's own certificate.\n",
            HERD_ADDR_DEFAULT_PORT, HERD_ADDR_DEFAULT_PORT);
}

int herd_cmd_worker(int argc, char **argv)
{
    struct herd_worker_config cfg = {0};
    const char *master = NULL, *secret_file = NULL;
    static struct herd_secret secret;
    static char *labels[256];
    struct herd_addr addr;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", worker_opts, NULL)) != -1) {
        switch (c) {
        case 'm': master = optarg; break;
        case 'c': if (parse_u32(optarg, &cfg.cores) || cfg.cores == 0) goto bad; break;
        case 'M': if (parse_size(optarg, &cfg.memory)) goto bad; break;
        case 'L':
            if (strchr(optarg, '=') == NULL || cfg.nlabels == 256)
                goto bad;
            labels[cfg.nlabels++] = optarg;
            break;
        case 'i': cfg.worker_id = optarg; break;
        case 'w': cfg.work_dir = optarg; break;
        case 's': secret_file = optarg; break;
        case 'u': cfg.run_as = optarg; break;
        case 'k': cfg.keep_sandboxes = optarg; break;
        case 'T': cfg.tls_cert = optarg; break;
        case 'K': cfg.tls_key = optarg; break;
        case 'A': cfg.tls_ca = optarg; break;
        case 'h': worker_usage(stdout); return 0;
        default: worker_usage(stderr); return 2;
        }
    }
    if (optind < argc)
        master = argv[optind++];
    if (optind != argc || load_secret(secret_file, &secret) != 0)
        goto bad;
    struct herd_err e;
    if (herd_addr_master(master, &addr, &e) != HERD_OK) {
        fprintf(stderr, "herd worker: %s\n", e.msg);
        return 2;
    }
    cfg.master_host = addr.host;
    cfg.master_port = addr.port;
    cfg.labels = labels;
    cfg.secret = &secret;
    return herd_worker_run(&cfg);
bad:
    fprintf(stderr, "herd worker: bad arguments\n");
    worker_usage(stderr);
    return 2;
}
