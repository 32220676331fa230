/*
 * longweave.h: the public interface of liblongweave, the library under the
 * `longweave` command. Include this header only:
 *
 *     #include <longweave.h>
 *     cc prog.c $(pkg-config --cflags --libs --static longweave)
 *
 * The library builds long-context training data: it reads documents (JSON
 * Lines, text files, directories of them, plain or compressed, Parquet),
 * tokenizes them (SentencePiece, tiktoken, Hugging Face tokenizer.json),
 * writes token datasets in the formats trainers read, and runs the stages
 * of the command (shard, tokenize, cip, synl, needle, pack, mix, merge,
 * score) from a config struct. examples/library/tokenize_and_read.c uses
 * each section below.
 *
 * Conventions, everywhere:
 *  - functions return an lw_status (LW_OK is 0; the others are the
 *    sysexits.h codes the command exits with) and fill an lw_error whose
 *    msg names the place (FILE:LINE, FILE@BYTE) and the cause;
 *  - the library never prints and never exits;
 *  - a config struct is zeroed first ({0}) and its fields set; a field
 *    whose comment says "-1: ..." wants -1 for that default, not 0;
 *  - the same inputs and seed give byte-identical outputs at any thread
 *    count.
 *
 * This header includes the headers of include/longweave/ that declare the
 * public types (each installed beside it, in PREFIX/include/longweave/);
 * the others are internal to the library and are not installed. Declare
 * nothing of theirs in a program.
 */
#ifndef LONGWEAVE_H
#define LONGWEAVE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/*------   Version   ------*/

/* LW_VERSION: "MAJOR.MINOR.PATCH" of this header, recorded in every
 * manifest. */
#include "longweave/version.h"

/* The version of the library linked, which can differ from LW_VERSION of
 * the header a program was compiled with. */
const char *lw_version(void);


/***************************************
*  Errors and buffers
***************************************/
/* lw_status, lw_error (status.h); lw_buf, the growable byte buffer that
 * decoded text and loss masks come back in (buf.h: zero it, then
 * lw_buf_free); XXH3 and SHA-256 (hash.h). */
#include "longweave/status.h"
#include "longweave/buf.h"
#include "longweave/hash.h"


/***************************************
*  Tokenizers: encode and decode text
***************************************/
/* lw_tok_load opens any supported file (SentencePiece .model, tiktoken
 * rank files such as cl100k_base.tiktoken, Hugging Face tokenizer.json),
 * its type sniffed from the content. A loaded lw_tokenizer is immutable:
 * any number of threads encode with it at once, each with its own
 * lw_tok_scratch (lw_tok_scratch_new). lw_tok_encode appends ids to an
 * lw_ids (zero it, then lw_ids_free); lw_tok_decode appends text to an
 * lw_buf. */
#include "longweave/tokenizer.h"


/***************************************
*  Reading documents
***************************************/
/* The reader every stage reads with, for programs that read documents
 * themselves. lw_input_list_build expands files and directories (sorted,
 * hidden entries skipped; "-" is stdin) into a list; lw_part_plan_make
 * (part 0 of 1 for all of it) plans what to read; lw_reader_open and
 * lw_reader_next then yield units: a line of a JSON Lines file or a whole
 * text file, decompressed on the way (zstd, gzip, xz, bzip2, sniffed from
 * the bytes), a Parquet row as one JSON object. A unit of another kind
 * than LW_UNIT_DOC is a problem to count or report (too large, corrupt
 * stream, empty file). lw_doc_parse takes a unit's text and id fields
 * (text_key, id_key), with the UTF-8 policy, or says why it is unusable
 * (lw_skip). */
#include "longweave/input.h"
#include "longweave/reader.h"
#include "longweave/doc.h"


/***************************************
*  Writing token datasets
***************************************/
/* lw_seqw writes token sequences (with a loss mask when asked) in any of
 * the formats trainers read: megatron (.bin/.idx), datatrove, mds, llmc,
 * npy, jsonl, olmo. Fill lw_seqw_opts (or lw_seqw_opts_for), lw_seqw_open
 * a PREFIX, lw_seqw_add each sequence, then lw_seqw_finish and
 * lw_seqw_publish: files are written under temporary names and appear
 * under their final names together, or not at all (lw_seqw_free removes
 * what was not published). The stages below also write a manifest
 * (PREFIX.manifest.json); lw_seqw alone writes the format's files only.
 * (lw_seqw_files and lw_seqw_copy take types internal to the library, named
 * as incomplete structs: they are for its own stages.) */
#include "longweave/seqwriter.h"


/***************************************
*  Reading token datasets
***************************************/
/* lw_seqr reads the sequences of megatron datasets, which every stage
 * writes by default. path is what `longweave inspect` takes: a dataset
 * PREFIX (PREFIX.bin/.idx, with or without PREFIX.manifest.json), a
 * manifest, or an output directory; every dataset its manifests list is
 * read, one after the other, as one run of sequences numbered from 0. A
 * dataset of another format is LW_E_USAGE; a damaged one LW_E_DATA naming
 * the file. Tokens are read with pread: memory does not grow with the
 * dataset. One lw_seqr is used by one thread at a time. */
typedef struct lw_seqr lw_seqr;

lw_status lw_seqr_open(lw_seqr **out, const char *path, lw_error *err);
uint64_t lw_seqr_sequences(const lw_seqr *r);
uint64_t lw_seqr_tokens(const lw_seqr *r);
/* Does every dataset read have a loss mask? */
bool lw_seqr_masked(const lw_seqr *r);
/* The number of tokens of sequence q (0 when q is out of range). */
uint32_t lw_seqr_length(const lw_seqr *r, uint64_t q);
/* Sequence q: its ids replace the contents of ids, and (mask not NULL) its
 * loss mask, a byte 0/1 per token, those of mask; mask->len is 0 when the
 * dataset has none. */
lw_status lw_seqr_read(lw_seqr *r, uint64_t q, lw_ids *ids, lw_buf *mask, lw_error *err);
/* NULL is fine. */
void lw_seqr_close(lw_seqr *r);


/***************************************
*  Stages: run a step with a config
***************************************/
/* Each stage of the command is one call, lw_NAME_run(&config, &stats,
 * &err), which does what `longweave NAME` does with the same options (the
 * config's comments name them; README.md documents each command) and
 * writes the same files, manifest included. A stage that reads documents
 * embeds an lw_source_config (inputs, reading options, --part, threads,
 * and warn/progress callbacks, which may be NULL) and reports lw_doc_stats
 * (source.h, docflow.h; the rest of those headers is the stages' own
 * machinery). Call lw_companions_register() once at start-up, before any
 * thread, in a program that reads or combines outputs (mix, merge, pack,
 * cip of datasets): it tells the dataset module the sidecar files stages
 * write beside datasets (document lineage, CIP's map, pack's boundaries).
 *
 *   shard     raw corpora to N deterministic .jsonl.zst shards (shard.h)
 *   tokenize  documents to one token sequence each (tokenize.h)
 *   cip       chunk-interleaved pretraining sequences by length (cip_stage.h)
 *   synl      synthetic long-context SFT samples (synl.h)
 *   needle    evaluation sets, NIAH and RULER-style (needle.h)
 *   score     a model's answers to an evaluation set (score.h)
 *   pack      SFT samples into fixed-length packed sequences (pack.h)
 *   mix       a training mixture by token share (mix.h)
 *   merge     the parts of --part I/N runs into one output (merge.h) */
#include "longweave/companions.h"
#include "longweave/source.h"
#include "longweave/docflow.h"
#include "longweave/filter.h"
#include "longweave/pad.h"
#include "longweave/shard.h"
#include "longweave/tokenize.h"
#include "longweave/cip.h"
#include "longweave/cip_stage.h"
#include "longweave/synl.h"
#include "longweave/needle.h"
#include "longweave/score.h"
#include "longweave/pack.h"
#include "longweave/mix.h"
#include "longweave/merge.h"

#ifdef __cplusplus
}
#endif

#endif /* LONGWEAVE_H */
