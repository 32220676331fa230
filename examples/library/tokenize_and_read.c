/* A program on liblongweave's public header alone: tokenize a JSON Lines
 * file into a Megatron dataset twice, once with the tokenize stage and once
 * by hand (the document reader, the tokenizer, the sequence writer), read
 * both back and check that they hold the same ids, print the counts and
 * decode the first sequence.
 *
 *   cc -std=c11 tokenize_and_read.c -o tokenize_and_read \
 *       $(pkg-config --cflags --libs --static longweave)
 *   ./tokenize_and_read TOKENIZER INPUT.jsonl OUTDIR
 *
 * writes OUTDIR/stage (.bin, .idx, .manifest.json and the document lineage)
 * and OUTDIR/byhand (.bin, .idx). */
#include <longweave.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, const lw_error *err)
{
    fprintf(stderr, "tokenize_and_read: %s: %s\n", what, err->msg);
    return err->status ? (int)err->status : 1;
}

/* The stage: what `longweave tokenize -t TOKENIZER -o PREFIX INPUT` does. */
static lw_status run_stage(const char *tokenizer, const char *input, const char *prefix,
                           lw_error *err)
{
    const char *inputs[] = {input};
    lw_tokenize_config cfg = {0};
    cfg.src.inputs = inputs;
    cfg.src.n_inputs = 1;
    cfg.prefix = prefix;
    cfg.force = true;
    cfg.tokenizer = tokenizer;
    cfg.output.format = LW_SEQ_MEGATRON;
    cfg.eod_id = cfg.bos_id = -1; /* the tokenizer's, were they appended */
    lw_tokenize_stats stats;
    lw_status st = lw_tokenize_run(&cfg, &stats, err);
    if (!st)
        printf("stage: %" PRIu64 " documents read, %" PRIu64 " sequences, %" PRIu64
               " tokens\n", stats.docs.docs_read, stats.sequences, stats.tokens);
    return st;
}

/* By hand: read the documents, encode each, write one sequence each. */
static lw_status run_by_hand(const lw_tokenizer *tok, const char *input, const char *prefix,
                             lw_error *err)
{
    const char *paths[] = {input};
    lw_input_opts in_opts = {0};
    lw_input_list list = {0};
    lw_part_plan plan = {0};
    lw_reader *reader = NULL;
    lw_reader_opts r_opts = {0};
    lw_doc_opts d_opts = {0}; /* the "text" and "id" fields; bad UTF-8 becomes U+FFFD */
    lw_seq_output out = {LW_SEQ_MEGATRON, 0, 0};
    lw_seqw_opts w_opts = lw_seqw_opts_for(&out, lw_tok_vocab_size(tok), LW_MASK_NONE, 0,
                                           lw_tok_name(tok));
    lw_seqw *w = NULL;
    lw_tok_scratch *scratch = lw_tok_scratch_new(tok);
    lw_ids ids = {0};
    lw_buf text = {0};
    uint64_t docs = 0, skipped = 0, tokens = 0;

    lw_status st = scratch ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (!st)
        st = lw_input_list_build(&list, paths, 1, &in_opts, err);
    if (!st)
        st = lw_part_plan_make(&list, 0, 1, &plan, err);
    if (!st)
        st = lw_reader_open(&reader, &list, &plan, &r_opts, err);
    if (!st)
        st = lw_seqw_open(&w, prefix, &w_opts, err);
    bool got = true;
    while (!st) {
        lw_unit unit;
        if ((st = lw_reader_next(reader, &unit, &got, err)) || !got)
            break;
        if (unit.kind != LW_UNIT_DOC) {
            skipped++;
            continue;
        }
        lw_doc doc;
        lw_skip why = lw_doc_parse(&doc, &unit, &d_opts, &text);
        if (why == LW_SKIP_NONE) {
            ids.len = 0;
            st = lw_tok_encode(tok, scratch, doc.text, doc.text_len, &ids, err);
            if (!st)
                st = lw_seqw_add(w, ids.v, NULL, ids.len, NULL, 0, err);
            docs++;
            tokens += ids.len;
        } else {
            fprintf(stderr, "tokenize_and_read: %s line %" PRIu64 " skipped: %s (%s)\n",
                    input, unit.line, lw_skip_name(why), doc.detail);
            skipped++;
        }
        lw_doc_clear(&doc);
    }
    if (!st)
        st = lw_seqw_finish(w, err);
    if (!st)
        st = lw_seqw_publish(w, err);
    if (!st)
        printf("by hand: %" PRIu64 " documents, %" PRIu64 " skipped, %" PRIu64 " tokens\n",
               docs, skipped, tokens);
    lw_seqw_free(w);
    lw_reader_close(reader);
    lw_part_plan_free(&plan);
    lw_input_list_free(&list);
    lw_tok_scratch_free(scratch);
    lw_ids_free(&ids);
    lw_buf_free(&text);
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: tokenize_and_read TOKENIZER INPUT.jsonl OUTDIR\n");
        return 64;
    }
    const char *tok_path = argv[1], *input = argv[2], *outdir = argv[3];
    char stage[4096], byhand[4096];
    snprintf(stage, sizeof stage, "%s/stage", outdir);
    snprintf(byhand, sizeof byhand, "%s/byhand", outdir);
    printf("liblongweave %s (header %s)\n", lw_version(), LW_VERSION);
    lw_companions_register();

    lw_error err = {0};
    lw_tokenizer *tok = NULL;
    lw_tok_opts opts = {0};
    if (lw_tok_load(&tok, tok_path, &opts, &err))
        return fail("loading the tokenizer", &err);
    printf("tokenizer: %s (%s), %" PRIu32 " ids\n", lw_tok_name(tok),
           lw_tok_kind_name(lw_tok_kind_of(tok)), lw_tok_vocab_size(tok));

    if (run_stage(tok_path, input, stage, &err))
        return fail("the tokenize stage", &err);
    if (run_by_hand(tok, input, byhand, &err))
        return fail("tokenizing by hand", &err);

    lw_seqr *a = NULL, *b = NULL;
    if (lw_seqr_open(&a, stage, &err) || lw_seqr_open(&b, byhand, &err))
        return fail("opening a dataset", &err);
    printf("read back: %" PRIu64 " sequences, %" PRIu64 " tokens\n", lw_seqr_sequences(a),
           lw_seqr_tokens(a));

    lw_ids x = {0}, y = {0};
    bool same = lw_seqr_sequences(a) == lw_seqr_sequences(b);
    for (uint64_t q = 0; same && q < lw_seqr_sequences(a); q++) {
        if (lw_seqr_read(a, q, &x, NULL, &err) || lw_seqr_read(b, q, &y, NULL, &err))
            return fail("reading a sequence", &err);
        same = x.len == y.len && (x.len == 0 || !memcmp(x.v, y.v, x.len * sizeof *x.v));
    }
    printf("stage and by hand: %s\n", same ? "the same ids" : "DIFFERENT ids");

    int rc = same ? 0 : 1;
    if (lw_seqr_sequences(a) > 0) {
        if (lw_seqr_read(a, 0, &x, NULL, &err))
            return fail("reading sequence 0", &err);
        printf("sequence 0: %zu ids:", x.len);
        for (size_t i = 0; i < x.len; i++)
            printf(" %" PRIu32, x.v[i]);
        printf("\n");
        lw_buf text = {0};
        if (lw_tok_decode(tok, x.v, x.len, &text, &err))
            return fail("decoding sequence 0", &err);
        printf("decoded: %.*s\n", (int)text.len, text.data ? text.data : "");
        lw_buf_free(&text);
    }
    lw_ids_free(&x);
    lw_ids_free(&y);
    lw_seqr_close(a);
    lw_seqr_close(b);
    lw_tok_free(tok);
    return rc;
}
