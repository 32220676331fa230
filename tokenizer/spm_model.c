/* The SentencePiece ModelProto reader: a protobuf wire-format walker. */
#include "spm_model.h"

#include <stdlib.h>
#include <string.h>

#include "longweave/vec.h"

static bool pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char c = *(*p)++;
        *v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80))
            return true;
    }
    return false;
}

/* One field: its number, wire type, and value (varint, 4- or 8-byte bits,
 * or a length-delimited span). */
typedef struct {
    uint32_t field, wire;
    uint64_t v;
    const unsigned char *sub, *sub_end;
} pb_field;

/* The next field at *p; 1, 0 at the end, -1 when malformed (groups included:
 * no SentencePiece field is one). */
static int pb_next(const unsigned char **p, const unsigned char *end, pb_field *f)
{
    if (*p >= end)
        return 0;
    uint64_t key;
    if (!pb_varint(p, end, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
        return -1;
    f->field = (uint32_t)(key >> 3);
    f->wire = key & 7;
    switch (f->wire) {
    case 0: return pb_varint(p, end, &f->v) ? 1 : -1;
    case 1:
    case 5: {
        size_t n = f->wire == 1 ? 8 : 4;
        if ((size_t)(end - *p) < n)
            return -1;
        f->v = 0;
        memcpy(&f->v, *p, n); /* little endian, as the wire format */
        *p += n;
        return 1;
    }
    case 2:
        if (!pb_varint(p, end, &f->v) || f->v > (uint64_t)(end - *p))
            return -1;
        f->sub = *p;
        f->sub_end = *p + f->v;
        *p += f->v;
        return 1;
    default: return -1;
    }
}

const char *lw_spm_model_type(const char *data, size_t size)
{
    const unsigned char *p = (const unsigned char *)data, *end = p + size;
    uint64_t type = LW_SPM_UNIGRAM; /* the proto default */
    pb_field f, g;
    while (pb_next(&p, end, &f) == 1) {
        if (f.field != 2 || f.wire != 2)
            continue;
        const unsigned char *q = f.sub;
        while (pb_next(&q, f.sub_end, &g) == 1)
            if (g.field == 3 && g.wire == 0 && g.v >= LW_SPM_UNIGRAM && g.v <= LW_SPM_CHAR)
                type = g.v;
    }
    switch (type) {
    case LW_SPM_BPE: return "bpe";
    case LW_SPM_WORD: return "word";
    case LW_SPM_CHAR: return "char";
    default: return "unigram";
    }
}

static int parse_piece(lw_spm_piece *sp, const unsigned char *p, const unsigned char *end)
{
    *sp = (lw_spm_piece){"", 0, 0.0f, LW_SPM_NORMAL};
    pb_field f;
    int rc;
    while ((rc = pb_next(&p, end, &f)) == 1) {
        if (f.field == 1 && f.wire == 2) {
            if (f.v > UINT32_MAX)
                return -1;
            sp->piece = (const char *)f.sub;
            sp->len = (uint32_t)f.v;
        } else if (f.field == 2 && f.wire == 5) {
            uint32_t bits = (uint32_t)f.v;
            memcpy(&sp->score, &bits, sizeof bits);
        } else if (f.field == 3 && f.wire == 0) {
            if (f.v >= LW_SPM_NORMAL && f.v <= LW_SPM_BYTE) /* proto2: others are unknown */
                sp->type = (int)f.v;
        } else if (f.field <= 3) {
            return -1; /* a known field with another wire type */
        }
    }
    return rc;
}

static int parse_trainer(lw_spm_model *m, const unsigned char *p, const unsigned char *end)
{
    pb_field f;
    int rc;
    while ((rc = pb_next(&p, end, &f)) == 1) {
        if (f.wire != 0)
            continue;
        if (f.field == 3 && f.v >= LW_SPM_UNIGRAM && f.v <= LW_SPM_CHAR)
            m->model_type = (int)f.v;
        else if (f.field == 24)
            m->treat_whitespace_as_suffix = f.v != 0;
        else if (f.field == 35)
            m->byte_fallback = f.v != 0;
    }
    return rc;
}

/* The trainer_spec's strings: unk_surface (44), unk/bos/eos/pad_piece (45-48). */
static int parse_trainer_strings(lw_spm_model *m, const unsigned char *p, const unsigned char *end)
{
    pb_field f;
    int rc;
    while ((rc = pb_next(&p, end, &f)) == 1) {
        if (f.wire != 2 || f.field < 44 || f.field > 48 || f.v > UINT32_MAX)
            continue;
        if (f.field == 44) {
            m->unk_surface = (const char *)f.sub;
            m->unk_surface_len = (uint32_t)f.v;
        } else {
            m->role_piece[f.field - 45] = (const char *)f.sub;
            m->role_len[f.field - 45] = (uint32_t)f.v;
        }
    }
    return rc;
}

/* normalizer_spec, or (denorm) denormalizer_spec, of which only whether it
 * has a precompiled_charsmap matters. */
static int parse_normalizer(lw_spm_model *m, const unsigned char *p, const unsigned char *end,
                            bool denorm)
{
    pb_field f;
    int rc;
    while ((rc = pb_next(&p, end, &f)) == 1) {
        if (denorm) {
            if (f.field == 2 && f.wire == 2)
                m->denormalizer = f.v > 0;
        } else if (f.field == 2 && f.wire == 2) {
            m->charsmap = (const char *)f.sub;
            m->charsmap_len = (size_t)f.v;
        } else if (f.wire == 0 && f.field == 3) {
            m->add_dummy_prefix = f.v != 0;
        } else if (f.wire == 0 && f.field == 4) {
            m->remove_extra_whitespaces = f.v != 0;
        } else if (f.wire == 0 && f.field == 5) {
            m->escape_whitespaces = f.v != 0;
        }
    }
    return rc;
}

static int parse_self_test(lw_spm_model *m, const unsigned char *p, const unsigned char *end)
{
    pb_field f;
    int rc;
    while ((rc = pb_next(&p, end, &f)) == 1)
        if (f.field == 1 && f.wire == 2)
            m->self_test = true;
    return rc;
}

int lw_spm_model_parse(lw_spm_model *m, const char *data, size_t size)
{
    memset(m, 0, sizeof *m);
    m->model_type = LW_SPM_UNIGRAM;
    m->add_dummy_prefix = m->remove_extra_whitespaces = m->escape_whitespaces = true;
    const unsigned char *p = (const unsigned char *)data, *end = p + size;
    size_t cap = 0;
    pb_field f;
    int rc;
    while ((rc = pb_next(&p, end, &f)) == 1) {
        if (f.wire != 2)
            continue;
        if (f.field == 1) {
            if (m->n_pieces == UINT32_MAX - 1 ||
                !LW_VEC_GROW(&m->pieces, &cap, (size_t)m->n_pieces + 1))
                rc = -1;
            else
                rc = parse_piece(&m->pieces[m->n_pieces++], f.sub, f.sub_end);
        } else if (f.field == 2) {
            rc = parse_trainer(m, f.sub, f.sub_end);
            if (rc == 0)
                rc = parse_trainer_strings(m, f.sub, f.sub_end);
        } else if (f.field == 3 || f.field == 5) {
            rc = parse_normalizer(m, f.sub, f.sub_end, f.field == 5);
        } else if (f.field == 4) {
            rc = parse_self_test(m, f.sub, f.sub_end);
        }
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        lw_spm_model_free(m);
        return -1;
    }
    return 0;
}

void lw_spm_model_free(lw_spm_model *m)
{
    free(m->pieces);
    memset(m, 0, sizeof *m);
}
