/* libFuzzer target: the JSON job-spec parser, the command-line word splitter
 * and the Authorization header parser on arbitrary bytes. An accepted spec
 * must survive encode -> parse unchanged in task count. */
#include "api/sign.h"
#include "api/spec_json.h"
#include "api/words.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct herd_job_spec s;
    struct herd_err e;
    if (herd_spec_json_parse((const char *)data, size, &s, &e) == HERD_OK) {
        json_t *j = herd_spec_json_encode(&s);
        char *text = j ? json_dumps(j, 0) : NULL;
        struct herd_job_spec t;
        if (text == NULL || herd_spec_json_parse(text, strlen(text), &t, &e) != HERD_OK ||
            t.ntasks != s.ntasks)
            abort();
        herd_job_spec_free(&t);
        free(text);
        json_decref(j);
        herd_job_spec_free(&s);
    }
    char *str = malloc(size + 1);
    if (str == NULL)
        return 0;
    memcpy(str, data, size);
    str[size] = '\0';
    char **v;
    uint32_t n;
    if (herd_words_split(str, &v, &n, &e) == HERD_OK)
        herd_words_free(v, n);
    struct herd_sign_fields f;
    herd_sign_precheck(str, 0, &f, &e);
    free(str);
    return 0;
}
