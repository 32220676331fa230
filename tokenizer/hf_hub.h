/* Hub names, offline: `-t ORG/NAME[@REV]` is a file of the local Hugging
 * Face cache, found the way huggingface_hub lays it out. Never network. */
#ifndef LONGWEAVE_HF_HUB_H
#define LONGWEAVE_HF_HUB_H

#include <stdbool.h>

#include "longweave/status.h"

/* ORG/NAME or ORG/NAME@REV (letters, digits, '.', '_', '-'). */
bool lw_hf_hub_is_name(const char *s);

/* The tokenizer file of a cached snapshot (tokenizer.json, else
 * tokenizer.model, else a *.tiktoken), malloc'd into *out. The cache is
 * $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
 * else ~/.cache/huggingface/hub; the revision is refs/main, or REV: a
 * branch or tag under refs/, or a commit directory under snapshots/. Not
 * cached: LW_E_NOINPUT saying every place looked and how to fetch it. */
lw_status lw_hf_hub_resolve(const char *name, char **out, lw_error *err);

#endif
