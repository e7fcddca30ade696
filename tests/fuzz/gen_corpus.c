/* gen_corpus — writes the committed seed corpora of fuzz_msg and fuzz_frame:
 * valid encodings of every message type (small and rich variants), multi-
 * frame streams, and a few near-misses. Run by tests/fuzz/gen-corpus.sh;
 * the output is deterministic, so regenerating changes nothing unless the
 * codec does. Usage: gen_corpus OUTDIR (writes OUTDIR/fuzz_msg/, OUTDIR/fuzz_frame/). */
#include "base/bytes.h"
#include "wire/frame.h"
#include "wire/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *outdir;

static void put_file(const char *target, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static char *labels[] = {"zone=a", "gpu=1", "rack=r17"};
static char *argv_[] = {"/bin/sh", "-c", "echo hi >out.txt"};
static char *env_[] = {"HOME=/tmp", "LANG=C.UTF-8"};
static uint64_t ids[] = {1, 2, 0xffffffffffffffffULL};
static uint8_t blob[] = {0, 1, 2, 'o', 'u', 't', '\n', 0xff};
#define SHA_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
static char *inputs_[] = {SHA_A " in.txt", SHA_A " data/shared"};
static char *outputs_[] = {"out.txt", "sub/r.bin"};
static char *result_outputs_[] = {SHA_A " 8 out.txt"};

/* Variant 0: everything empty or zero; variant 1: rich contents. */
static struct herd_msg make(uint16_t type, int rich)
{
    struct herd_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    if (!rich)
        return m;
    switch (type) {
    case HERD_MSG_CHALLENGE:
        m.u.challenge.proto = HERD_PROTO_VERSION;
        memset(m.u.challenge.nonce, 0xa5, HERD_NONCE_LEN);
        break;
    case HERD_MSG_HELLO:
        m.u.hello = (struct herd_msg_hello){.proto = HERD_PROTO_VERSION, .herd_version = "0.1.0",
                                            .worker_id = "w-1", .host = "node1", .data_port = 7071,
                                            .cores = 8, .memory = 1ULL << 34, .nlabels = 3,
                                            .labels = labels, .nrunning = 3, .running = ids};
        break;
    case HERD_MSG_WELCOME:
        m.u.welcome.heartbeat_ms = 1000;
        m.u.welcome.lost_after = 3;
        break;
    case HERD_MSG_REFUSE:
        m.u.refuse.code = 7;
        m.u.refuse.reason = "authentication failed";
        break;
    case HERD_MSG_HEARTBEAT:
        m.u.heartbeat = (struct herd_msg_heartbeat){.seq = 42, .nrunning = 3, .running = ids};
        break;
    case HERD_MSG_ASSIGN:
        m.u.assign = (struct herd_msg_assign){.attempt_id = 5, .job_id = 1, .task_id = 2,
                                              .kind = HERD_TASK_COMMAND, .cores = 1,
                                              .timeout_ms = 1000, .nargv = 3, .argv = argv_,
                                              .nenv = 2, .env = env_, .payload_len = sizeof blob,
                                              .payload = blob, .ninputs = 2, .inputs = inputs_,
                                              .noutputs = 2, .outputs = outputs_,
                                              .plugin = SHA_A};
        break;
    case HERD_MSG_RESULT:
        m.u.result = (struct herd_msg_result){.attempt_id = 5, .job_id = 1, .task_id = 2,
                                              .status = HERD_RESULT_FAILED, .exit_code = -9,
                                              .stdout_len = sizeof blob, .stdout_data = blob,
                                              .stderr_len = 3, .stderr_data = blob,
                                              .error = "exit 1", .noutputs = 1,
                                              .outputs = result_outputs_};
        break;
    case HERD_MSG_FETCH:
        m.u.fetch = (struct herd_msg_fetch){.sha256 = SHA_A, .offset = 262144};
        break;
    case HERD_MSG_BLOB:
        m.u.blob = (struct herd_msg_blob){.sha256 = SHA_A, .offset = 0, .total = sizeof blob,
                                          .data_len = sizeof blob, .data = blob, .error = ""};
        break;
    case HERD_MSG_STORE:
        m.u.store = (struct herd_msg_store){.sha256 = SHA_A, .offset = 4, .total = 12,
                                            .data_len = sizeof blob, .data = blob};
        break;
    case HERD_MSG_KILL:
        m.u.kill.attempt_id = 5;
        break;
    }
    return m;
}

static const uint16_t types[] = {
#define HERD_X_T(name, val, dir) HERD_MSG_##name,
    HERD_MSG_TYPES(HERD_X_T)
#undef HERD_X_T
};
#define NTYPES (sizeof types / sizeof types[0])

static void msg_seeds(void)
{
    for (size_t i = 0; i < NTYPES; i++)
        for (int rich = 0; rich < 2; rich++) {
            struct herd_msg m = make(types[i], rich);
            struct herd_wbuf w;
            char name[64];
            herd_wbuf_init(&w);
            herd_wbuf_u16(&w, m.type);
            herd_msg_encode(&m, &w);
            snprintf(name, sizeof name, "%s-%s", herd_msg_type_name(m.type),
                     rich ? "rich" : "empty");
            put_file("fuzz_msg", name, w.p, w.len);
            if (rich && w.len > 4) { /* near-miss: truncated by one byte */
                snprintf(name, sizeof name, "%s-truncated", herd_msg_type_name(m.type));
                put_file("fuzz_msg", name, w.p, w.len - 1);
            }
            herd_wbuf_fini(&w);
        }
}

/* A frame stream: chunk byte, then frames for the given types. */
static void frame_seed(const char *name, uint8_t chunk, const uint16_t *ts, size_t n, int rich,
                       int corrupt_magic)
{
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_wbuf_u8(&w, chunk);
    for (size_t i = 0; i < n; i++) {
        struct herd_msg m = make(ts[i], rich);
        herd_msg_frame(&m, &w);
    }
    if (corrupt_magic)
        w.p[1] ^= 0x20;
    put_file("fuzz_frame", name, w.p, w.len);
    herd_wbuf_fini(&w);
}

static void frame_seeds(void)
{
    for (size_t i = 0; i < NTYPES; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-whole", herd_msg_type_name(types[i]));
        frame_seed(name, 255, &types[i], 1, 1, 0);
    }
    frame_seed("all-types-bytewise", 0, types, NTYPES, 1, 0);
    frame_seed("all-types-chunk7", 6, types, NTYPES, 1, 0);
    frame_seed("all-empty-chunk12", 11, types, NTYPES, 0, 0);
    frame_seed("bad-magic", 255, types, 2, 1, 1);
    /* a header claiming more than the fuzz target's limit */
    uint8_t big[1 + HERD_FRAME_HEADER];
    big[0] = 255;
    herd_frame_header_put(big + 1, HERD_MSG_HELLO, 1u << 20);
    put_file("fuzz_frame", "oversize-length", big, sizeof big);
    /* an unknown type with a body */
    uint8_t unk[1 + HERD_FRAME_HEADER + 3] = {255};
    herd_frame_header_put(unk + 1, 100, 3);
    memcpy(unk + 1 + HERD_FRAME_HEADER, "abc", 3);
    put_file("fuzz_frame", "unknown-type-100", unk, sizeof unk);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    msg_seeds();
    frame_seeds();
    return 0;
}
