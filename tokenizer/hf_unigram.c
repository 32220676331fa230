/* The "model" object of a tokenizer.json whose model is Unigram. The
 * pipeline around it (normalizers, pre-tokenizers, added tokens, decoders)
 * is the one BPE files use (hf_json.c). */
#include "hf_unigram.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A score as HF reads it. serde_json (without its float_roundtrip feature)
 * makes a number of its digits as an integer and one multiplication or
 * division by a power of ten, which can be an ulp off the nearest double;
 * near-ties between segmentations then go the other way. The digits are
 * those of the shortest text that gives x back (what serde and Python write
 * in tokenizer.json files). */
static double serde_f64(double x)
{
    char buf[40];
    int lo = 1, hi = 17;
    while (lo < hi) { /* the fewest significant digits that round-trip */
        int mid = (lo + hi) / 2;
        snprintf(buf, sizeof buf, "%.*e", mid - 1, x);
        if (strtod(buf, NULL) == x)
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(buf, sizeof buf, "%.*e", lo - 1, x);
    uint64_t sig = 0;
    const char *p = buf + (buf[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            sig = sig * 10 + (uint64_t)(*p - '0');
    if (*p != 'e')
        return x; /* inf or nan: cJSON does not make them */
    int e = atoi(p + 1) - (lo - 1);
    double f = (double)sig;
    char pow[16];
    while (e < -308 && f != 0) {
        f /= 1e308;
        e += 308;
    }
    snprintf(pow, sizeof pow, "1e%d", e < 0 ? -e : e);
    if (e >= 0)
        f *= strtod(pow, NULL);
    else if (e >= -308)
        f /= strtod(pow, NULL);
    return buf[0] == '-' ? -f : f;
}

lw_status lw_hf_unigram_load(lw_unigram **out, const cJSON *model, const char *path,
                             lw_error *err)
{
    *out = NULL;
    const cJSON *vocab = cJSON_GetObjectItem(model, "vocab");
    if (!cJSON_IsArray(vocab))
        return lw_error_set(err, LW_E_DATA, "%s: the Unigram model has no vocab array", path);
    const cJSON *unk = cJSON_GetObjectItem(model, "unk_id");
    int64_t unk_id = -1;
    if (unk && !cJSON_IsNull(unk)) {
        if (!cJSON_IsNumber(unk) || unk->valuedouble < 0 || unk->valuedouble >= 16777216 ||
            unk->valuedouble != (double)(int64_t)unk->valuedouble)
            return lw_error_set(err, LW_E_DATA, "%s: the Unigram unk_id is not an id", path);
        unk_id = (int64_t)unk->valuedouble;
    }
    int n = cJSON_GetArraySize(vocab);
    if (n >= 16777216)
        return lw_error_set(err, LW_E_DATA, "%s: the Unigram vocab has %d pieces", path, n);
    lw_unigram *u = lw_unigram_new((uint32_t)n);
    if (!u)
        return lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
    uint32_t id = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab)
    {
        const cJSON *p = cJSON_GetArrayItem(e, 0), *sc = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsString(p) ||
            !cJSON_IsNumber(sc)) {
            lw_unigram_free(u);
            return lw_error_set(err, LW_E_DATA, "%s: Unigram vocab entry %u is not "
                                "[piece, score]", path, id);
        }
        if (lw_unigram_set(u, id++, p->valuestring, strlen(p->valuestring),
                           serde_f64(sc->valuedouble))) {
            lw_unigram_free(u);
            return lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
        }
    }
    lw_error e2;
    lw_status st = lw_unigram_build(u, unk_id, cJSON_IsTrue(cJSON_GetObjectItem(model,
                                                                                "byte_fallback")),
                                    &e2);
    if (st) {
        lw_unigram_free(u);
        return lw_error_set(err, st, "%s: %s", path, e2.msg);
    }
    *out = u;
    return LW_OK;
}
