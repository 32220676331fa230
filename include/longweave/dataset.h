/* Datasets on disk: the one owner of what a longweave output is.
 *
 *   names      every file and folder name an output has (manifests, buckets,
 *              parts, shards, lock and temporary files) is spelled here;
 *   manifest   the record a run writes last: what it was (stage, command,
 *              tokenizer, config) and every file it made, each with the
 *              dataset it belongs to and its role there (DESIGN.md, "Datasets
 *              on disk", is this header in prose);
 *   life       claim an output (an exclusive lock held for the run; --force
 *              removes exactly the files the old manifest lists; temporary
 *              files of an interrupted run are swept), write under temporary
 *              names (lw_outfile), publish, then commit the manifest;
 *   reading    what a manifest lists is the dataset: consumers open datasets
 *              through lw_datasets_open, and a file no manifest lists is never
 *              read (verify reports it);
 *   combining  the one check that datasets can go into one output (same
 *              tokenizer, same ids, companions that can be carried through);
 *   companions sidecars a stage adds to a dataset (tokenize's document
 *              lineage, CIP's map, pack's boundaries) are registered by the stage that owns them, so that
 *              this module checks and merges them without knowing them.
 *
 * A manifest holds no timestamps, host names or thread counts: the same
 * inputs and options give the same manifest. */
#ifndef LONGWEAVE_DATASET_H
#define LONGWEAVE_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/hash.h"
#include "longweave/outfile.h"
#include "longweave/seqwriter.h"
#include "longweave/status.h"

struct cJSON;
struct lw_tokenizer;

/* ---- Names ---------------------------------------------------------------- */

#define LW_MANIFEST_NAME "manifest.json"      /* OUTDIR/manifest.json */
#define LW_MANIFEST_SUFFIX ".manifest.json"   /* PREFIX.manifest.json */
#define LW_SHARD_PATTERN "shard-%05u.jsonl.zst" /* OUTDIR/shard-NNNNN.jsonl.zst */
#define LW_MANIFEST_FORMAT_VERSION 2

/* Where a command writes: a directory of its own (shard, merge of
 * directories), a directory the parts of one run share (cip, synl, needle:
 * manifest.part-IIIII.json each), or a dataset PREFIX (tokenize, mix, pack,
 * merge of prefixes). */
typedef enum { LW_OUT_DIR, LW_OUT_DIR_PARTS, LW_OUT_PREFIX } lw_out_kind;

/* The manifest path of an output (malloc'd; NULL when out of memory). */
char *lw_layout_manifest(const char *out, lw_out_kind kind, unsigned part, unsigned nparts);
/* The dataset prefix of a bucket, relative to OUTDIR: "len-NNNNNNN/part-IIIII"
 * (lengths zero-padded to 7 digits so that folders sort by length). The
 * manifest in OUTDIR says which stage wrote it: no folder repeats that. */
void lw_layout_bucket(char *out, size_t cap, uint32_t seq_len, unsigned part);
/* The folder, relative to OUTDIR, of synl's conversations (chat/part-IIIII.jsonl). */
#define LW_LAYOUT_CHAT_DIR "chat"
/* The sequence length of the bucket folder a relative path lies in, 0 if none. */
uint32_t lw_layout_bucket_len(const char *rel);
/* A part's file in a folder shared by parts: "FOLDER/part-IIIII SUFFIX". */
void lw_layout_part_file(char *out, size_t cap, const char *folder, unsigned part,
                         const char *suffix);
/* A part's tag inside a file name: "NAME.part-IIIII SUFFIX" (needle's task files). */
void lw_layout_part_tagged(char *out, size_t cap, const char *name, unsigned part,
                           const char *suffix);
/* A hidden scratch folder of one part inside an output ("OUT/.WHAT-part-IIIII"),
 * malloc'd. */
char *lw_layout_scratch_dir(const char *out, const char *what, unsigned part);
/* The part-less name of a relative path, as merge joins parts by it:
 * "x/part-00003.bin" gives "x/part-00000.bin", "task.part-00003.jsonl" gives
 * "task.jsonl"; the part number goes to *part (-1: none). malloc'd. */
char *lw_layout_part_less(const char *rel, long *part);
/* Is a file name a manifest: manifest.json (*whole set), manifest.part-IIIII.json
 * or NAME.manifest.json? */
bool lw_layout_is_manifest(const char *name, bool *whole);
/* manifest.part-IIIII.json: one part's, in a directory parts share. */
bool lw_layout_is_part_manifest(const char *name);
/* "part-IIIII": what names every file of one part in a folder parts share. */
void lw_layout_part_tag(char *out, size_t cap, unsigned part);
/* Lock and temporary files are hidden (".NAME..."); is this file name one of
 * longweave's own, that an output may hold beside its manifest's files? */
bool lw_layout_is_lock(const char *name);
/* The lock file of an output: OUTDIR/.output.longweave-lock,
 * OUTDIR/.part-IIIII.longweave-lock, or .BASE.longweave-lock beside a PREFIX. */
char *lw_layout_lock(const char *out, lw_out_kind kind, unsigned part, unsigned nparts);

/* ---- The manifest --------------------------------------------------------- */

/* The tokenizer a dataset was made with. */
typedef struct {
    bool known;                 /* false: no tokenizer recorded */
    char path[4096];
    char sha256[LW_SHA256_HEX]; /* of the tokenizer file: identity across paths */
    char name[128];             /* "llama3", "cl100k_base", ... */
    char kind[32];              /* "tiktoken", "sentencepiece", "hf-bpe" */
    char pattern[1024];         /* a --pattern override, "" if none */
    bool match_special;         /* --match-special: special-token strings in text matched */
    uint32_t vocab_size;
    /* the tokenizer_config.json beside a tokenizer.json that named the
     * roles ("" path: none), and what it said of bos, eos and pad */
    char config_path[4096];
    char config_sha256[LW_SHA256_HEX];
    signed char config_said[3];   /* 1: config_token[i], -1: null, 0: nothing */
    char config_token[3][256];
} lw_tok_ref;

/* The identity of a loaded tokenizer (pattern: the --pattern given, or NULL). */
void lw_tok_ref_of(lw_tok_ref *r, const struct lw_tokenizer *tok, const char *pattern);
/* The options that load the tokenizer again as it was used (pattern and
 * match_special point into r). */
struct lw_tok_opts lw_tok_ref_opts(const lw_tok_ref *r);
/* Where r's file is now (malloc'd), found by either fact the manifest
 * keeps: its recorded path when that exists; else a file of the same name
 * and sha256 in `near` (the dataset's folder) or up to three folders above
 * it, or in a folder of $LONGWEAVE_TOKENIZERS (colon-separated). NULL when
 * none is: looked then lists the folders tried. */
char *lw_tok_ref_locate(const lw_tok_ref *r, const char *near, char *looked, size_t cap);
/* Do the two encode text to the same ids: the same file (sha256), the same
 * --pattern and --match-special? If not, *why (cap bytes) says what differs. */
bool lw_tok_ref_same_ids(const lw_tok_ref *a, const lw_tok_ref *b, char *why, size_t cap);

/* One file an output holds. */
typedef struct {
    char *path;                 /* relative to the manifest's folder */
    uint64_t bytes;
    char sha256[LW_SHA256_HEX]; /* "" when not recorded */
    char *dataset;              /* the prefix (relative) of the dataset it belongs to, or NULL */
    char *role;                 /* "data" (the format's own files, masks included) or the
                                 * companion it is part of ("map", "cu_seqlens", ...) */
} lw_manifest_file;

/* One token dataset an output holds. */
typedef struct {
    char *prefix;               /* relative to the manifest's folder */
    lw_seq_format format;
    char dtype[16];             /* of its ids: "uint16", "int32", "uint32" */
    uint64_t sequences, tokens;
    uint64_t documents;         /* entries of a datatrove index (pack: samples and
                                 * padding); else = sequences */
    bool masked;                /* it has a loss mask */
    char **companions;          /* roles of its sidecars, in manifest order */
    size_t n_companions;
} lw_manifest_dataset;

/* A manifest read back. */
typedef struct {
    char *path;                 /* of the manifest file */
    char *dir;                  /* the folder its paths are relative to */
    char *stage;                /* "tokenize", "cip", ... */
    unsigned part, nparts;      /* "part": "I/N" (0/1 when absent) */
    int64_t first_document, end_document; /* inputs.first/end_document, -1 if absent */
    lw_tok_ref tok;
    lw_manifest_file *files;
    size_t n_files;
    lw_manifest_dataset *datasets;
    size_t n_datasets;
    struct cJSON *json;         /* the whole manifest, for a stage's own fields */
} lw_manifest;

/* Record the command line (the subcommand and its arguments) that every
 * manifest of this process carries as "command", without the options that
 * cannot change what the output holds (-j/--threads, -q/--quiet, --force,
 * --resume, --stats-json, -o/--output): --resume compares it to tell a
 * finished part of the same job from an output of another. Call once at
 * start-up, before any thread; argc 0 forgets it. */
void lw_manifest_set_command(int argc, char *const *argv);
/* The recorded command (a JSON array of strings), or NULL. */
const struct cJSON *lw_manifest_command(void);

/* A new manifest: {"format":"longweave-manifest","format_version":2,
 * "tool":{...},"stage":stage,"command":[...],"part":"I/N","datasets":[],
 * "files":[]}. NULL when out of memory (now, or while
 * lw_manifest_set_command recorded the command). */
struct cJSON *lw_manifest_new(const char *stage, unsigned part, unsigned nparts);
/* The lw_manifest_put_* helpers return false when out of memory (or m is
 * NULL): the manifest may then miss part of what they add and must not be
 * written (the caller fails with LW_E_NOMEM). */
/* "tokenizer": {...}; nothing (true) when r is NULL or not known. */
bool lw_manifest_put_tokenizer(struct cJSON *m, const lw_tok_ref *r);
/* A token dataset written by w (its files listed with role "data"); dir is
 * the manifest's folder (NULL: paths as given). */
bool lw_manifest_put_dataset(struct cJSON *m, const lw_seqw *w, const char *dir);
/* A file of the output: of the dataset at prefix (as given to lw_seqw_open)
 * with a companion role, or (prefix NULL) a file of its own. */
bool lw_manifest_put_file(struct cJSON *m, const char *dir, const char *path, uint64_t bytes,
                          const char *sha256, const char *prefix, const char *role);
/* The same, for a finished lw_outfile. */
bool lw_manifest_put_outfile(struct cJSON *m, const char *dir, const lw_outfile *f,
                             const char *prefix, const char *role);
/* Pretty-printed, newline-terminated, atomically written to path. */
lw_status lw_manifest_write(const struct cJSON *m, const char *path, lw_error *err);

/* Read and check a manifest; LW_E_NOINPUT when missing, LW_E_DATA (naming
 * the file and the field) when it is not one this version reads. */
lw_status lw_manifest_load(const char *path, lw_manifest **out, lw_error *err);
void lw_manifest_free(lw_manifest *m);
/* Every manifest directly in an output directory (manifest.json,
 * manifest.part-*.json, *.manifest.json), loaded, sorted by name; *n 0 when
 * there is none. */
lw_status lw_manifests_in(const char *dir, lw_manifest ***out, size_t *n, lw_error *err);
void lw_manifests_free(lw_manifest **ms, size_t n);
/* The manifest that describes a dataset PREFIX: PREFIX.manifest.json, or the
 * manifest of an output directory up to three folders above it that lists
 * it. malloc'd path, or NULL when there is none. */
char *lw_manifest_find(const char *prefix);

/* ---- The life of an output ------------------------------------------------ */

typedef struct lw_output lw_output;

typedef struct {
    const char *path;           /* OUTDIR or PREFIX */
    lw_out_kind kind;
    unsigned part, nparts;      /* LW_OUT_DIR_PARTS: this run's part of nparts (0, 1: all) */
    bool force;                 /* replace a dataset already there */
    const char *what;           /* "a CIP dataset": for messages */
} lw_output_spec;

/* Claim an output for this run:
 *  1. create its folder;
 *  2. take its lock (a hidden file held with an exclusive lock for the run,
 *     naming the pid): a second run of the same output is refused
 *     (LW_E_CANTCREAT, naming the pid that holds it), and in a directory
 *     shared by parts a whole run and parts exclude each other;
 *  3. a manifest already there is refused (LW_E_CANTCREAT) unless force; with
 *     force it is removed first (so the output never claims to be complete
 *     meanwhile), then every file it lists, then bucket folders left empty;
 *     in a directory shared by parts the same goes for manifests of another
 *     split of the work (manifest.json beside manifest.part-*.json, parts of
 *     another N or of another command); a listed file outside the output
 *     (through a symlinked folder) is left alone;
 *  4. the temporary files of this output that an interrupted run left are
 *     removed (all of them: a live writer would hold the lock), those of other
 *     parts sharing the directory are left alone.
 * A PREFIX must name a file (not "DIR/") and may not lie in another output's
 * directory (LW_E_USAGE, LW_E_CANTCREAT). Nothing is written under a final
 * name. */
lw_status lw_output_claim(lw_output **out, const lw_output_spec *spec, lw_error *err);
/* Where the manifest goes, and the folder its paths are relative to. */
const char *lw_output_manifest_path(const lw_output *o);
const char *lw_output_dir(const lw_output *o);
/* Write the manifest, atomically: from here on the output is complete.
 * lw_output_release still follows. */
lw_status lw_output_commit(lw_output *o, const struct cJSON *manifest, lw_error *err);
/* Release the claim (lock file removed); NULL is fine. An output that was
 * not committed keeps no folder it created and left empty. */
void lw_output_release(lw_output *o);
/* Remove a finished dataset: its manifest first, then every file it lists
 * and the folders they leave empty (a scratch dataset, or what --force
 * replaces). */
lw_status lw_dataset_remove(const char *manifest, lw_error *err);
/* What claims report (temporary files swept, old files replaced): one line,
 * e.g. "removed 3 temporary files of an interrupted run of out/". Set once
 * at start-up by the command; the library never prints. */
typedef void (*lw_output_notice_fn)(void *ctx, const char *msg);
void lw_output_set_notice(lw_output_notice_fn fn, void *ctx);

/* ---- Reading datasets ----------------------------------------------------- */

/* One token dataset, as a consumer opens it. */
typedef struct {
    char *prefix;                    /* a path to open: the manifest's folder + its prefix */
    const lw_manifest *manifest;     /* NULL: a bare Megatron dataset without one */
    const lw_manifest_dataset *entry; /* its manifest entry (NULL when bare) */
    lw_seq_format format;
} lw_dataset;

typedef struct {
    lw_dataset *ds;
    size_t n, n_cap;
    lw_manifest **manifests;
    size_t n_manifests, n_manifests_cap;
} lw_dataset_set;

/* The datasets at path, appended to set (sorted by prefix within a manifest):
 *  - a dataset PREFIX with PREFIX.manifest.json, or inside an output whose
 *    manifest lists it: that dataset;
 *  - a manifest file, or an output directory: every dataset its manifests
 *    (manifest.json, manifest.part-*.json, *.manifest.json) list;
 *  - a folder inside an output (e.g. OUTDIR/cip/len-0008192): the datasets
 *    the output's manifest lists under it;
 *  - a bare Megatron PREFIX (PREFIX.idx) with no manifest: that dataset.
 * Files no manifest lists are never picked up. */
lw_status lw_datasets_open(const char *path, lw_dataset_set *set, lw_error *err);
void lw_datasets_free(lw_dataset_set *set);
/* For a command that needs one dataset: set's only one, or an LW_E_USAGE
 * error that lists them ("cip/ holds 2 datasets: cip/len-0008192/part-00000,
 * cip/len-0032768/part-00000; give one of them"). set was opened from path. */
lw_status lw_datasets_one(const lw_dataset_set *set, const char *path, const lw_dataset **one,
                          lw_error *err);
/* What a reader does about d's loss mask (megatron.h: LW_MASK_LISTED,
 * LW_MASK_ABSENT, or LW_MASK_PROBE for a bare dataset): a mask file that the
 * manifest does not list is never read. */
int lw_dataset_mask(const lw_dataset *d);
/* Does d carry this companion? */
bool lw_dataset_has(const lw_dataset *d, const char *role);

/* The parts of one run: every manifest of parts (part I of N > 1) in ms is
 * of the same N and the same command but for --part, none twice, none
 * missing, and no whole run's manifest is among them (true when ms holds
 * no parts). Otherwise why says what is wrong. */
bool lw_parts_complete(lw_manifest *const *ms, size_t n, char *why, size_t cap);
/* Was m made by this command (a "command" array), --part aside? */
bool lw_parts_same_job(const lw_manifest *m, const struct cJSON *command);

/* ---- Combining datasets (mix, pack, merge, cip of several inputs) ---------- */

typedef struct {
    const char *cmd_what;       /* "mixed", "packed", "merged": for messages */
    const char *first;          /* the first dataset's prefix */
    lw_tok_ref tok;             /* the first known tokenizer */
    const char *untyped;        /* the first dataset whose tokenizer is not known */
    bool tokens_only;           /* check the tokenizer and ids only, not companions */
    int dtype;                  /* Megatron dtype code of the ids, 0 until known */
    const char *const *carried; /* companions this command carries through */
    size_t n_carried;
    char companions[8][32];     /* those the first dataset has (the same for all) */
    size_t n_companions;
    size_t n;                   /* datasets added */
} lw_combine;

/* Check that d (ids of Megatron dtype code `dtype`, 0 if not known) can go
 * with the datasets added before: the same tokenizer (by sha256; a dataset
 * whose tokenizer no manifest names goes only with others of the kind), the
 * same id type, and the same companions, every one of which the command
 * carries through (any other is refused, never dropped). */
lw_status lw_combine_add(lw_combine *c, const lw_dataset *d, int dtype, lw_error *err);

/* ---- Companions ----------------------------------------------------------- */

/* A sidecar kind, registered by the stage that writes it. */
struct lw_verify_sink;
typedef struct {
    const char *role;           /* as in the manifest: "map", "cu_seqlens", ... */
    bool lineage;               /* it records where tokens came from, and training does not
                                 * depend on it: a command that cannot carry it through
                                 * leaves it out (pack's boundaries are not: refused) */
    /* verify: check the sidecar of the dataset at prefix (sequences: those
     * the dataset holds, -1 if unknown), reporting through sink. */
    void (*verify)(struct lw_verify_sink *sink, const char *prefix, const lw_manifest *m,
                   int64_t sequences);
    /* merge: join the sidecars of parts[0..n) (dataset prefixes, with their
     * manifests) into the one of prefix out; *files gets what was written
     * (finished, not published). NULL: the companion cannot be merged. */
    lw_status (*merge)(const char *const *parts, const lw_manifest *const *manifests, size_t n,
                       const char *out, lw_outfile ***files, size_t *n_files,
                       lw_error *err);
    /* For the companion that says where the samples of packed sequences end
     * (pack's cu_seqlens): read them back, sequence by sequence, so that
     * merge hands them to formats that keep them (datatrove's index, jsonl's
     * columns). open gets the dataset at prefix (its manifest m); read
     * sequence q of len tokens into *out (valid until the next read).
     * NULL for every other companion. */
    lw_status (*packing_open)(const char *prefix, const lw_manifest *m, void **reader,
                              lw_error *err);
    lw_status (*packing_read)(void *reader, uint64_t q, size_t len, lw_seq_packing *out,
                              lw_error *err);
    void (*packing_close)(void *reader);
} lw_companion;

/* A companion's merge that writes one file: open out + suffix (*f is
 * allocated; NULL on failure), write it, then hand it over with done, which
 * finishes it and makes it the merge's one file, or, when st (the status of
 * the writing) or the finish failed, releases it and returns that status. */
lw_status lw_companion_file_open(const char *out, const char *suffix, lw_outfile **f,
                                 lw_error *err);
lw_status lw_companion_file_done(lw_outfile *f, lw_status st, lw_outfile ***files,
                                 size_t *n_files, lw_error *err);

/* Register a kind (kept by pointer; call at start-up, before any thread). */
void lw_companion_register(const lw_companion *c);
/* The kind of a role, or NULL when this program registered none. */
const lw_companion *lw_companion_find(const char *role);

#endif
