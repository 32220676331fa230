/* A reader for serialized SentencePiece ModelProto files (protobuf by hand:
 * Debian's libsentencepiece-dev ships no header for the model proto). Reads
 * the fields the native BPE encoder and decoder need, with protobuf's merge rules: the
 * last value of a scalar wins, repeated sub-messages merge field by field. */
#ifndef LONGWEAVE_SPM_MODEL_H
#define LONGWEAVE_SPM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ModelProto.SentencePiece.Type */
enum { LW_SPM_NORMAL = 1, LW_SPM_UNKNOWN = 2, LW_SPM_CONTROL = 3, LW_SPM_USER_DEFINED = 4,
       LW_SPM_UNUSED = 5, LW_SPM_BYTE = 6 };
/* TrainerSpec.ModelType */
enum { LW_SPM_UNIGRAM = 1, LW_SPM_BPE = 2, LW_SPM_WORD = 3, LW_SPM_CHAR = 4 };

typedef struct {
    const char *piece; /* into the serialized model */
    uint32_t len;
    float score;
    int type;
} lw_spm_piece;

typedef struct {
    lw_spm_piece *pieces;
    uint32_t n_pieces;
    /* trainer_spec */
    int model_type;
    bool byte_fallback, treat_whitespace_as_suffix;
    /* unk_piece, bos_piece, eos_piece, pad_piece (len 0: the default) and
     * unk_surface (NULL: not set), into the model */
    const char *role_piece[4];
    uint32_t role_len[4];
    const char *unk_surface;
    uint32_t unk_surface_len;
    /* normalizer_spec */
    const char *charsmap; /* precompiled_charsmap, into the model; NULL: none */
    size_t charsmap_len;
    bool add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces;
    bool self_test;    /* self_test_data has samples (the library checks them at load) */
    bool denormalizer; /* denormalizer_spec has a precompiled_charsmap */
} lw_spm_model;

/* Parse; the pieces point into data. 0, or -1 (malformed, or out of memory). */
int lw_spm_model_parse(lw_spm_model *m, const char *data, size_t size);
void lw_spm_model_free(lw_spm_model *m);

/* "bpe", "unigram", "word" or "char": trainer_spec.model_type. */
const char *lw_spm_model_type(const char *data, size_t size);

#endif
