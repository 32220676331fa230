/* Datasets on disk, names: the one place that spells every file and folder
 * name of an output (see dataset.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/dataset.h"
#include "longweave/fileio.h"

#define PART_TAG "part-%05u"
#define LOCK_SUFFIX ".longweave-lock"

char *lw_layout_manifest(const char *out, lw_out_kind kind, unsigned part, unsigned nparts)
{
    if (kind == LW_OUT_PREFIX)
        return lw_concat(out, LW_MANIFEST_SUFFIX, "");
    char name[64];
    if (kind == LW_OUT_DIR_PARTS && nparts > 1)
        snprintf(name, sizeof name, "manifest." PART_TAG ".json", part);
    else
        snprintf(name, sizeof name, "%s", LW_MANIFEST_NAME);
    return lw_concat(out, "/", name);
}

void lw_layout_bucket(char *out, size_t cap, uint32_t seq_len, unsigned part)
{
    snprintf(out, cap, "len-%07u/" PART_TAG, seq_len, part);
}

uint32_t lw_layout_bucket_len(const char *rel)
{
    for (const char *p = strstr(rel, "len-"); p; p = strstr(p + 1, "len-")) {
        if (p != rel && p[-1] != '/')
            continue;
        size_t d = strspn(p + 4, "0123456789");
        if (d == 7 && (p[11] == '/' || p[11] == '\0'))
            return (uint32_t)strtoul(p + 4, NULL, 10);
    }
    return 0;
}

void lw_layout_part_file(char *out, size_t cap, const char *folder, unsigned part,
                         const char *suffix)
{
    snprintf(out, cap, "%s/" PART_TAG "%s", folder, part, suffix);
}

void lw_layout_part_tagged(char *out, size_t cap, const char *name, unsigned part,
                           const char *suffix)
{
    snprintf(out, cap, "%s." PART_TAG "%s", name, part, suffix);
}

char *lw_layout_scratch_dir(const char *out, const char *what, unsigned part)
{
    char name[96];
    snprintf(name, sizeof name, "/.%s-" PART_TAG, what, part);
    return lw_concat(out, name, "");
}

char *lw_layout_part_less(const char *rel, long *part)
{
    char *out = malloc(strlen(rel) + 1);
    if (!out)
        return NULL;
    *part = -1;
    size_t k = 0;
    for (size_t i = 0; rel[i];) {
        bool at = strncmp(rel + i, "part-", 5) == 0 &&
                  (i == 0 || rel[i - 1] == '/' || rel[i - 1] == '.');
        size_t d = 0;
        while (at && isdigit((unsigned char)rel[i + 5 + d]))
            d++;
        if (at && d == 5) {
            *part = strtol(rel + i + 5, NULL, 10);
            if (i > 0 && rel[i - 1] == '.') {
                k--; /* drop ".part-NNNNN" */
            } else {
                memcpy(out + k, "part-00000", 10);
                k += 10;
            }
            i += 10;
            continue;
        }
        out[k++] = rel[i++];
    }
    out[k] = '\0';
    return out;
}

bool lw_layout_is_manifest(const char *name, bool *whole)
{
    size_t n = strlen(name), k = strlen(LW_MANIFEST_SUFFIX);
    bool one = strcmp(name, LW_MANIFEST_NAME) == 0;
    unsigned part;
    char end[8];
    bool part_of = sscanf(name, "manifest." PART_TAG ".%7s", &part, end) == 2 &&
                   strcmp(end, "json") == 0 && n == strlen("manifest.part-00000.json");
    if (whole)
        *whole = one;
    return one || part_of || (n > k && strcmp(name + n - k, LW_MANIFEST_SUFFIX) == 0);
}

bool lw_layout_is_part_manifest(const char *name)
{
    bool whole;
    size_t n = strlen(name), k = strlen(LW_MANIFEST_SUFFIX);
    return lw_layout_is_manifest(name, &whole) && !whole &&
           !(n > k && strcmp(name + n - k, LW_MANIFEST_SUFFIX) == 0);
}

void lw_layout_part_tag(char *out, size_t cap, unsigned part)
{
    snprintf(out, cap, PART_TAG, part);
}

bool lw_layout_is_lock(const char *name)
{
    size_t n = strlen(name), k = strlen(LOCK_SUFFIX);
    return name[0] == '.' && n > k && strcmp(name + n - k, LOCK_SUFFIX) == 0;
}

char *lw_layout_lock(const char *out, lw_out_kind kind, unsigned part, unsigned nparts)
{
    char name[64];
    if (kind == LW_OUT_PREFIX) {
        const char *slash = strrchr(out, '/');
        char *base = lw_concat(".", slash ? slash + 1 : out, LOCK_SUFFIX);
        if (!slash || !base)
            return base;
        size_t n = (size_t)(slash - out) + strlen(base) + 2;
        char *p = malloc(n);
        if (p)
            snprintf(p, n, "%.*s/%s", (int)(slash - out), out, base);
        free(base);
        return p;
    }
    if (kind == LW_OUT_DIR_PARTS && nparts > 1)
        snprintf(name, sizeof name, "." PART_TAG LOCK_SUFFIX, part);
    else
        snprintf(name, sizeof name, ".output" LOCK_SUFFIX);
    return lw_concat(out, "/", name);
}
