/* manifest.json: what a run wrote and how. Every output directory gets one,
 * written last and atomically, so its presence means the output is complete.
 * It holds no timestamps, host names or thread counts: the same inputs and
 * options give the same manifest. */
#ifndef LONGWEAVE_MANIFEST_H
#define LONGWEAVE_MANIFEST_H

#include <stdbool.h>

#include "longweave/status.h"

struct cJSON;

#define LW_MANIFEST_NAME "manifest.json"

/* {"format":"longweave-manifest","format_version":1,
 *  "tool":{"name":"longweave","version":...},"stage":stage,"command":[...]} */
struct cJSON *lw_manifest_new(const char *stage);
/* Record the command line (the subcommand and its arguments) that every
 * manifest of this process carries as "command", without the options that
 * cannot change what the output holds (-j/--threads, -q/--quiet, --force,
 * --resume, --stats-json, -o/--output): `--resume` compares it to tell a
 * finished part of the same job from an output of another. Call once at
 * start-up, before any thread; argc 0 forgets it. */
void lw_manifest_set_command(int argc, char *const *argv);
/* The recorded command (a JSON array of strings), or NULL. */
const struct cJSON *lw_manifest_command(void);
/* Pretty-printed, newline-terminated, atomically written to dir/manifest.json. */
lw_status lw_manifest_write(const struct cJSON *m, const char *dir, lw_error *err);
/* The same, to a path of its own (e.g. PREFIX.manifest.json). */
lw_status lw_manifest_write_to(const struct cJSON *m, const char *path, lw_error *err);
/* Read and parse a manifest; LW_E_NOINPUT when missing, LW_E_DATA when not JSON. */
lw_status lw_manifest_read(const char *path, struct cJSON **out, lw_error *err);

/* The manifest that describes a dataset PREFIX: PREFIX.manifest.json, or the
 * manifest.json of an output directory up to three folders above it (cip,
 * synl and needle write their datasets in subfolders). malloc'd path, or
 * NULL when there is none. */
char *lw_manifest_find(const char *prefix);

/* Prepare an output directory: create it (and parents); if it already holds
 * a manifest or a file matching one of the output globs, refuse
 * (LW_E_CANTCREAT) unless force, in which case the old manifest is removed
 * first so that the directory never claims to be complete meanwhile. */
lw_status lw_outdir_prepare(const char *dir, const char *const *globs, size_t n_globs,
                            bool force, lw_error *err);
/* Claim the manifest of one part of a run in dir: dir/manifest.json, or
 * dir/manifest.part-IIIII.json when nparts > 1, so that the parts of one run
 * can share a directory. Creates dir. An existing manifest is refused
 * (LW_E_CANTCREAT: "DIR already holds WHAT") unless force, in which case it
 * is removed at once, so the directory never claims to be complete while
 * the new run writes. *path gets the manifest's path (malloc'd). */
lw_status lw_manifest_claim(const char *dir, unsigned part, unsigned nparts, bool force,
                            const char *what, char **path, lw_error *err);
/* The same for a dataset written under a PREFIX (tokenize, mix, pack,
 * merge of prefixes): PREFIX.manifest.json, PREFIX's folder created. */
lw_status lw_manifest_claim_prefix(const char *prefix, bool force, const char *what, char **path,
                                   lw_error *err);
/* After a forced run: remove files matching the globs that the new run did
 * not write (e.g. shard-00009 left by an earlier run with more shards). */
lw_status lw_outdir_remove_stale(const char *dir, const char *const *globs, size_t n_globs,
                                 const char *const *keep, size_t n_keep, lw_error *err);

#endif
