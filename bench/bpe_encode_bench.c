/* Single-thread encode throughput of a tokenizer on the texts of a JSON
 * Lines file, each document encoded whole (what bench/tiktoken_bench.js
 * times for tiktoken), for bench/bpe_bench.sh. Best of R runs.
 * usage: bpe_encode_bench TOKENIZER FILE.jsonl [runs] [pcre2]
 * "pcre2": the built-in split patterns through PCRE2, not by hand. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tokenizer/pretok_builtin.h"
#include "longweave/tokenizer.h"

static double now_on(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 64;
    int runs = argc > 3 ? atoi(argv[3]) : 3;
    if (argc > 4 && strcmp(argv[4], "pcre2") == 0)
        lw_pretok_enabled = 0;
    FILE *f = fopen(argv[2], "rb");
    if (!f)
        return 66;
    char **doc = NULL, *line = NULL;
    size_t *len = NULL, n = 0, cap = 0, bytes = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *t = j ? cJSON_GetObjectItem(j, "text") : NULL;
        if (cJSON_IsString(t)) {
            doc = realloc(doc, (n + 1) * sizeof *doc);
            len = realloc(len, (n + 1) * sizeof *len);
            doc[n] = strdup(t->valuestring);
            len[n] = strlen(doc[n]);
            bytes += len[n++];
        }
        cJSON_Delete(j);
    }
    fclose(f);
    lw_tokenizer *tok;
    lw_error err;
    if (lw_tok_load(&tok, argv[1], NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 65;
    }
    lw_ids ids = {0};
    double best = 1e30, best_cpu = 1e30;
    size_t tokens = 0;
    for (int r = 0; r < runs; r++) {
        /* A fresh scratch (piece cache) per run, as in a new process. */
        lw_tok_scratch *s = lw_tok_scratch_new(tok);
        double t0 = now_on(CLOCK_MONOTONIC), c0 = now_on(CLOCK_THREAD_CPUTIME_ID);
        tokens = 0;
        for (size_t i = 0; i < n; i++) {
            ids.len = 0;
            if (lw_tok_encode(tok, s, doc[i], len[i], &ids, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 65;
            }
            tokens += ids.len;
        }
        double dt = now_on(CLOCK_MONOTONIC) - t0, dc = now_on(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (dc < best_cpu)
            best_cpu = dc;
        lw_tok_scratch_free(s);
        if (dt < best)
            best = dt;
    }
    printf("longweave%s %s: %.2f MB/s (%.1f MB, %zu tokens; %.2f MB/s of CPU time)\n",
           lw_pretok_enabled ? "" : "-pcre2", lw_tok_name(tok), bytes / 1e6 / best, bytes / 1e6,
           tokens, bytes / 1e6 / best_cpu);
    return 0;
}
