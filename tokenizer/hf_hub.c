/* Resolving ORG/NAME[@REV] in the local Hugging Face cache:
 * CACHE/models--ORG--NAME/{refs/REV, snapshots/COMMIT/FILE}. */
#include "hf_hub.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool name_chars(const char *s, size_t n, bool slash_ok)
{
    if (n == 0 || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || (slash_ok && c == '/')))
            return false;
        if (c == '.' && i + 1 < n && s[i + 1] == '.')
            return false; /* never a way out of the cache */
    }
    return true;
}

bool lw_hf_hub_is_name(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash)
        return false;
    const char *at = strchr(slash, '@');
    size_t name_len = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
    return name_chars(s, (size_t)(slash - s), false) && name_chars(slash + 1, name_len, false) &&
           (!at || name_chars(at + 1, strlen(at + 1), true));
}

static bool is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The commit a ref file names (its first line), or false. */
static bool read_ref(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return ok && name_chars(out, strlen(out), false);
}

/* The first *.tiktoken of dir by name, or false. */
static bool find_tiktoken(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 9 && strcmp(e->d_name + n - 9, ".tiktoken") == 0 && n < sizeof best &&
            (!best[0] || strcmp(e->d_name, best) < 0))
            snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    return best[0] && (size_t)snprintf(out, cap, "%s/%s", dir, best) < cap && is_file(out);
}

lw_status lw_hf_hub_resolve(const char *name, char **out, lw_error *err)
{
    *out = NULL;
    char org[256], repo[256], rev[256] = "main";
    const char *slash = strchr(name, '/'), *at = strchr(slash, '@');
    size_t ol = (size_t)(slash - name), rl = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
    if (ol >= sizeof org || rl >= sizeof repo || (at && strlen(at + 1) >= sizeof rev))
        return lw_error_set(err, LW_E_USAGE, "tokenizer name %s is too long", name);
    memcpy(org, name, ol);
    org[ol] = '\0';
    memcpy(repo, slash + 1, rl);
    repo[rl] = '\0';
    if (at)
        snprintf(rev, sizeof rev, "%s", at + 1);

    /* the cache, as huggingface_hub's constants.py chooses it */
    char cache[4096];
    const char *from;
    const char *v;
    if ((v = getenv("HF_HUB_CACHE")) && *v) {
        snprintf(cache, sizeof cache, "%s", v);
        from = "$HF_HUB_CACHE";
    } else if ((v = getenv("HF_HOME")) && *v) {
        snprintf(cache, sizeof cache, "%s/hub", v);
        from = "$HF_HOME/hub";
    } else if ((v = getenv("XDG_CACHE_HOME")) && *v) {
        snprintf(cache, sizeof cache, "%s/huggingface/hub", v);
        from = "$XDG_CACHE_HOME/huggingface/hub";
    } else {
        v = getenv("HOME");
        snprintf(cache, sizeof cache, "%s/.cache/huggingface/hub", v && *v ? v : ".");
        from = "~/.cache/huggingface/hub";
    }
    char base[4096 + 600], ref[sizeof base + 300], snap[sizeof base + 300];
    char looked[3 * sizeof base], commit[256] = "";
    snprintf(base, sizeof base, "%s/models--%s--%s", cache, org, repo);
    snprintf(ref, sizeof ref, "%s/refs/%s", base, rev);
    if (!is_dir(base)) {
        snprintf(looked, sizeof looked, "%s (no such directory)", base);
    } else if (read_ref(ref, commit, sizeof commit) ||
               (at && snprintf(commit, sizeof commit, "%s", rev) > 0 &&
                name_chars(rev, strlen(rev), false) &&
                (snprintf(snap, sizeof snap, "%s/snapshots/%s", base, rev), is_dir(snap)))) {
        snprintf(snap, sizeof snap, "%s/snapshots/%s", base, commit);
        static const char *const files[] = {"tokenizer.json", "tokenizer.model"};
        char path[sizeof snap + 64];
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s", snap, files[i]);
            if (is_file(path))
                return (*out = strdup(path)) ? LW_OK
                                             : lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        if (find_tiktoken(snap, path, sizeof path))
            return (*out = strdup(path)) ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
        snprintf(looked, sizeof looked, "%s/{tokenizer.json,tokenizer.model,*.tiktoken} "
                 "(revision %s%s%s)", snap, rev, strcmp(rev, commit) ? " = " : "",
                 strcmp(rev, commit) ? commit : "");
    } else if (at) {
        snprintf(looked, sizeof looked, "%s (no such ref) and %s/snapshots/%s (no such snapshot)",
                 ref, base, rev);
    } else {
        snprintf(looked, sizeof looked, "%s (no such ref)", ref);
    }
    char rev_opt[300] = "";
    if (at)
        snprintf(rev_opt, sizeof rev_opt, " --revision %s", rev);
    return lw_error_set(err, LW_E_NOINPUT,
                        "tokenizer %s is not a file and not in the Hugging Face cache %s (%s): "
                        "looked for %s; fetch it with `huggingface-cli download %s/%s "
                        "tokenizer.json tokenizer_config.json%s` (longweave never uses the "
                        "network)", name, cache, from, looked, org, repo, rev_opt);
}
