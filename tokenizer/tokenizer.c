/* The tokenizer interface: loading with type detection by content, and the
 * encode/decode/special-token calls that dispatch to a backend. */
#include "longweave/tokenizer.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/fileio.h"
#include "longweave/utf8.h"
#include "longweave/vec.h"
#include "hf_hub.h"
#include "spm_model.h"
#include "tok_internal.h"
#include "unigram.h"

struct lw_tok_scratch {
    const lw_tokenizer *owner; /* its piece cache holds this tokenizer's ids */
    lw_bpe_scratch *bpe;
    struct lw_hf_scratch *hf; /* hf-bpe, hf-unigram */
    lw_buf repaired;
    lw_buf norm; /* SentencePiece's normalized text, a window at a time */
};

const char *lw_tok_kind_name(lw_tok_kind kind)
{
    switch (kind) {
    case LW_TOK_SENTENCEPIECE: return "sentencepiece";
    case LW_TOK_TIKTOKEN: return "tiktoken";
    case LW_TOK_HF_BPE: return "hf-bpe";
    case LW_TOK_HF_UNIGRAM: return "hf-unigram";
    }
    return "unknown";
}

int lw_tok_add_special(lw_tokenizer *t, const char *content, uint32_t id, bool alias)
{
    if (!LW_VEC_GROW(&t->specials, &t->n_specials_cap, t->n_specials + 1))
        return -1;
    char *c = strdup(content);
    if (!c)
        return -1;
    t->specials[t->n_specials++] = (lw_special){c, id, alias};
    return 0;
}

int64_t lw_tok_find_special(const lw_tokenizer *t, const char *const *names, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < t->n_specials; i++)
            if (strcmp(t->specials[i].content, names[k]) == 0)
                return t->specials[i].id;
    return -1;
}

/* The first line looks like "<base64> <digits>". */
static bool looks_like_tiktoken(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/' || s[i] == '='))
        i++;
    if (i == 0 || i >= n || s[i] != ' ')
        return false;
    size_t d = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i > d && (i == n || s[i] == '\n' || s[i] == '\r');
}

/* bos, eos, pad, unk */
static lw_status set_roles(lw_tokenizer *t, const int64_t roles[4])
{
    t->bos = roles[0];
    t->eos = roles[1];
    t->pad = roles[2];
    t->unk = roles[3];
    return LW_OK;
}

lw_status lw_spm_load(lw_tokenizer *t, const char *data, size_t size, lw_error *err)
{
    /* BPE models that use only what spm_bpe.c covers are encoded, decoded
     * and looked up natively, without libsentencepiece (whose loaded model
     * costs several times the file's size); the library stays for the rest,
     * and checks self_test_data, which only its Load does */
    char why[128];
    lw_status st = lw_spm_bpe_new(data, size, &t->spm_bpe, why, sizeof why, err);
    if (st)
        return st;
    int64_t roles[4];
    if (t->spm_bpe && !lw_spm_bpe_self_test(t->spm_bpe)) {
        lw_spm_bpe_roles(t->spm_bpe, roles);
        t->vocab_size = lw_spm_bpe_vocab_size(t->spm_bpe);
        return set_roles(t, roles);
    }
    char msg[512] = "";
    t->spm = lw_spm_open(t->path, msg, sizeof msg);
    if (!t->spm)
        return lw_error_set(err, LW_E_DATA,
                            "%s: not a tokenizer.json, a tiktoken rank file or a SentencePiece "
                            "model (SentencePiece: %s)", t->path, msg);
    int lib_roles[4];
    lw_spm_roles(t->spm, lib_roles);
    for (int k = 0; k < 4; k++)
        roles[k] = lib_roles[k];
    t->vocab_size = (uint32_t)lw_spm_vocab_size(t->spm);
    return set_roles(t, roles);
}

static pthread_mutex_t spm_lazy = PTHREAD_MUTEX_INITIALIZER;

/* The library's processor for what the native code does not cover (decoding
 * with a denormalizer), opened on first use from the file read again, which
 * must still hold the bytes loaded. */
static lw_status spm_library(const lw_tokenizer *t, void **spm, lw_error *err)
{
    lw_tokenizer *mt = (lw_tokenizer *)t; /* a cache behind a lock */
    lw_status st = LW_OK;
    pthread_mutex_lock(&spm_lazy);
    if (!mt->spm) {
        lw_buf data = {0};
        char sha[LW_SHA256_HEX] = "", msg[512] = "";
        st = lw_file_read_all(t->path, &data, err);
        lw_sha256 *h = st ? NULL : lw_sha256_new();
        if (!st && !h)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (h) {
            lw_sha256_update(h, data.data, data.len);
            lw_sha256_final(h, sha);
            lw_sha256_free(h);
            if (strcmp(sha, t->sha256) != 0)
                st = lw_error_set(err, LW_E_DATA, "%s changed since it was loaded", t->path);
            else if (!(mt->spm = lw_spm_open_data(data.data, data.len, msg, sizeof msg)))
                st = lw_error_set(err, LW_E_DATA, "%s: SentencePiece: %s", t->path, msg);
        }
        lw_buf_free(&data);
    }
    *spm = mt->spm;
    pthread_mutex_unlock(&spm_lazy);
    return st;
}

lw_status lw_tok_load(lw_tokenizer **out, const char *path, const lw_tok_opts *opts,
                      lw_error *err)
{
    *out = NULL;
    struct stat sb;
    char *hub = NULL; /* a hub name's file in the local cache; a local path wins */
    if (stat(path, &sb) != 0 && lw_hf_hub_is_name(path)) {
        lw_status st = lw_hf_hub_resolve(path, &hub, err);
        if (st)
            return st;
        lw_status r = lw_tok_load(out, hub, opts, err);
        free(hub);
        return r;
    }
    if (stat(path, &sb) != 0)
        return lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open tokenizer", path);
    if (S_ISDIR(sb.st_mode))
        return lw_error_set(err, LW_E_NOINPUT, "tokenizer %s is a directory: give the file "
                            "(tokenizer.json, *.tiktoken or *.model)", path);
    lw_buf data = {0};
    lw_status st = lw_file_read_all(path, &data, err);
    if (st) {
        lw_buf_free(&data);
        return st;
    }
    lw_tokenizer *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path))) {
        free(t);
        lw_buf_free(&data);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    t->bos = t->eos = t->pad = t->unk = -1;
    lw_sha256 *h = lw_sha256_new();
    if (h) {
        lw_sha256_update(h, data.data, data.len);
        lw_sha256_final(h, t->sha256);
        lw_sha256_free(h);
    }
    size_t i = 0;
    while (i < data.len && (data.data[i] == ' ' || data.data[i] == '\n' || data.data[i] == '\t' ||
                            data.data[i] == '\r'))
        i++;
    if (data.len == 0) {
        st = lw_error_set(err, LW_E_DATA, "%s: empty tokenizer file", path);
    } else if (data.data[i] == '{') {
        t->kind = LW_TOK_HF_BPE;
        st = lw_hf_json_load(t, data.data, data.len, opts, err);
    } else if (looks_like_tiktoken(data.data, data.len)) {
        t->kind = LW_TOK_TIKTOKEN;
        st = lw_tiktoken_load(t, data.data, data.len, opts ? opts->pattern : NULL, err);
    } else {
        t->kind = LW_TOK_SENTENCEPIECE;
        st = lw_spm_load(t, data.data, data.len, err);
        if (!st)
            snprintf(t->name, sizeof t->name, "sentencepiece-%s",
                     lw_spm_model_type(data.data, data.len));
    }
    if (!st && (t->kind == LW_TOK_HF_BPE || t->kind == LW_TOK_HF_UNIGRAM))
        st = lw_hf_config_apply(t, err);
    if (!st && opts && opts->pattern && t->kind != LW_TOK_TIKTOKEN)
        st = lw_error_set(err, LW_E_USAGE, "--pattern applies to tiktoken rank files only; %s is "
                          "a %s file", path, lw_tok_kind_name(t->kind));
    if (!st && opts && opts->match_special && t->kind != LW_TOK_HF_BPE &&
        t->kind != LW_TOK_HF_UNIGRAM)
        st = lw_error_set(err, LW_E_USAGE, "--match-special applies to tokenizer.json files "
                          "only; %s is a %s file, whose special-token strings are always text",
                          path, lw_tok_kind_name(t->kind));
    t->match_special = opts && opts->match_special;
    lw_buf_free(&data);
    if (st) {
        lw_tok_free(t);
        return st;
    }
    *out = t;
    return LW_OK;
}

bool lw_tok_matches_special(const lw_tokenizer *t) { return t->match_special; }

void lw_tok_free(lw_tokenizer *t)
{
    if (!t)
        return;
    lw_bpe_free(&t->bpe);
    lw_hf_free(t->hf);
    lw_unigram_free(t->unigram);
    lw_hf_config_clear(t);
    if (t->spm)
        lw_spm_close(t->spm);
    lw_spm_bpe_free(t->spm_bpe);
    for (size_t i = 0; i < t->n_specials; i++)
        free(t->specials[i].content);
    free(t->specials);
    free(t->path);
    free(t);
}

lw_tok_kind lw_tok_kind_of(const lw_tokenizer *t) { return t->kind; }
const char *lw_tok_name(const lw_tokenizer *t) { return t->name; }
const char *lw_tok_path(const lw_tokenizer *t) { return t->path; }
const char *lw_tok_sha256(const lw_tokenizer *t) { return t->sha256; }
uint32_t lw_tok_vocab_size(const lw_tokenizer *t) { return t->vocab_size; }

lw_tok_scratch *lw_tok_scratch_new(const lw_tokenizer *t)
{
    lw_tok_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->owner = t;
    if (((t->kind == LW_TOK_TIKTOKEN || t->kind == LW_TOK_HF_BPE || t->spm_bpe) &&
         !(s->bpe = lw_bpe_scratch_new())) ||
        (t->hf && !(s->hf = lw_hf_scratch_new()))) {
        lw_bpe_scratch_free(s->bpe);
        free(s);
        return NULL;
    }
    return s;
}

void lw_tok_scratch_free(lw_tok_scratch *s)
{
    if (!s)
        return;
    lw_bpe_scratch_free(s->bpe);
    lw_hf_scratch_free(s->hf);
    lw_buf_free(&s->repaired);
    lw_buf_free(&s->norm);
    free(s);
}

lw_tok_scratch **lw_tok_scratches_new(const lw_tokenizer *t, int n)
{
    lw_tok_scratch **s = calloc((size_t)(n > 0 ? n : 1), sizeof *s);
    for (int i = 0; s && i < n; i++)
        if (!(s[i] = lw_tok_scratch_new(t))) {
            lw_tok_scratches_free(s, n);
            return NULL;
        }
    return s;
}

void lw_tok_scratches_free(lw_tok_scratch **s, int n)
{
    for (int i = 0; s && i < n; i++)
        lw_tok_scratch_free(s[i]);
    free(s);
}

lw_status lw_tok_encode(const lw_tokenizer *t, lw_tok_scratch *s, const char *text, size_t len,
                        lw_ids *out, lw_error *err)
{
    if (s->owner != t)
        return lw_error_set(err, LW_E_SOFTWARE, "a tokenizer scratch used with another tokenizer");
    if (lw_utf8_valid_prefix(text, len, NULL) != len) {
        s->repaired.len = 0;
        if (lw_utf8_repair(text, len, &s->repaired, NULL, NULL))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        text = s->repaired.data;
        len = s->repaired.len;
    }
    if (t->spm_bpe)
        return lw_spm_bpe_encode(t->spm_bpe, s->bpe, &s->norm, text, len, out, err);
    if (t->kind == LW_TOK_SENTENCEPIECE) {
        char msg[256];
        if (lw_spm_encode(t->spm, text, len, out, msg, sizeof msg))
            return lw_error_set(err, LW_E_DATA, "SentencePiece encode failed: %s", msg);
        return LW_OK;
    }
    if (t->hf)
        return lw_hf_encode(t, s->hf, s->bpe, text, len, out, err);
    return lw_bpe_encode(&t->bpe, s->bpe, text, len, out, err);
}

static const lw_special *special_by_id(const lw_tokenizer *t, uint32_t id)
{
    for (size_t i = 0; i < t->n_specials; i++)
        if (t->specials[i].id == id && !t->specials[i].alias)
            return &t->specials[i];
    return NULL;
}

int lw_tok_id_to_piece(const lw_tokenizer *t, uint32_t id, const char **piece, size_t *len)
{
    if (t->spm_bpe)
        return (*piece = lw_spm_bpe_piece(t->spm_bpe, id, len)) ? 0 : -1;
    if (t->kind == LW_TOK_SENTENCEPIECE) {
        *piece = lw_spm_id_to_piece(t->spm, (int)id, len);
        return *piece ? 0 : -1;
    }
    if (t->unigram && (*piece = lw_unigram_piece(t->unigram, id, len)))
        return 0;
    if (id < t->bpe.n_ids && t->bpe.offset[id] != UINT64_MAX) {
        *piece = t->bpe.bytes + t->bpe.offset[id];
        *len = t->bpe.length[id];
        return 0;
    }
    const lw_special *sp = special_by_id(t, id);
    if (!sp)
        return -1;
    *piece = sp->content;
    *len = strlen(sp->content);
    return 0;
}

int64_t lw_tok_piece_to_id(const lw_tokenizer *t, const char *piece, size_t len)
{
    if (t->spm_bpe)
        return lw_spm_bpe_piece_to_id(t->spm_bpe, piece, len);
    if (t->kind == LW_TOK_SENTENCEPIECE)
        return lw_spm_piece_to_id(t->spm, piece, len);
    int64_t uid = t->unigram ? lw_unigram_lookup(t->unigram, piece, len) : -1;
    if (uid >= 0)
        return uid;
    uint32_t id = t->unigram ? LW_BPE_NONE : lw_bpe_lookup(&t->bpe, piece, len);
    if (id != LW_BPE_NONE)
        return id;
    for (size_t i = 0; i < t->n_specials; i++)
        if (strlen(t->specials[i].content) == len && memcmp(t->specials[i].content, piece, len) == 0)
            return t->specials[i].id;
    return -1;
}

lw_status lw_tok_decode(const lw_tokenizer *t, const uint32_t *ids, size_t n, lw_buf *out,
                        lw_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= t->vocab_size)
            return lw_error_set(err, LW_E_DATA, "token id %u is not below the vocabulary size %u",
                                ids[i], t->vocab_size);
    if (t->spm_bpe && lw_spm_bpe_decodes(t->spm_bpe))
        return lw_spm_bpe_decode(t->spm_bpe, ids, n, out, err);
    if (t->kind == LW_TOK_SENTENCEPIECE) {
        char msg[256];
        void *spm = t->spm;
        lw_status st = spm ? LW_OK : spm_library(t, &spm, err);
        if (st)
            return st;
        if (lw_spm_decode(spm, ids, n, out, msg, sizeof msg))
            return lw_error_set(err, LW_E_DATA, "SentencePiece decode failed: %s", msg);
        return LW_OK;
    }
    if (t->hf)
        return lw_hf_decode(t, ids, n, out, err);
    for (size_t i = 0; i < n; i++) {
        const char *p;
        size_t len;
        if (lw_tok_id_to_piece(t, ids[i], &p, &len))
            return lw_error_set(err, LW_E_DATA, "token id %u has no piece", ids[i]);
        if (lw_buf_append(out, p, len))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    return LW_OK;
}

int64_t lw_tok_special(const lw_tokenizer *t, const char *name)
{
    if (strcmp(name, "bos") == 0)
        return t->bos;
    if (strcmp(name, "eos") == 0 || strcmp(name, "eod") == 0)
        return t->eos;
    if (strcmp(name, "pad") == 0)
        return t->pad;
    if (strcmp(name, "unk") == 0)
        return t->unk;
    return lw_tok_piece_to_id(t, name, strlen(name));
}
