/* `longweave decode`: token datasets back to text (or ids), for people and
 * for tests. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/json_out.h"
#include "longweave/dataset.h"
#include "longweave/megatron.h"
#include "longweave/tokenizer.h"

static const char usage[] =
    "Usage: longweave decode PREFIX [options]\n"
    "\n"
    "Print the sequences of the token dataset PREFIX.bin/.idx as text. The tokenizer\n"
    "is the one recorded in PREFIX.manifest.json (its sha256 is checked), or -t.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "Without --index every sequence is printed, each followed by a newline.\n"
    "\n"
    "Examples:\n"
    "  longweave decode tok/llama3 --index 3\n"
    "  longweave decode tok/llama3 --jsonl | head\n";

/* --index I: that sequence alone */
typedef struct {
    uint64_t index;
    bool one;
} one_index;

static int set_index(const char *cmd, const cli_option *opt, const char *arg)
{
    one_index *x = opt->value;
    x->one = true;
    return cli_parse_u64(cmd, "--index", arg, &x->index);
}

/* The shortest decimal that reads back as exactly this float32 (as numpy's
 * repr does), so that "0.2" is printed for 0.2f and not 0.200000003. */
static void put_float(lw_buf *b, float v)
{
    if (isnan(v)) {
        lw_buf_puts(b, "nan");
        return;
    }
    char s[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(s, sizeof s, "%.*g", p, (double)v);
        if (strtof(s, NULL) == v)
            break;
    }
    lw_buf_puts(b, s);
}

int cmd_decode(int argc, char **argv)
{
    static const char *cmd = "decode";
    const char *tok_path = NULL, *out_path = NULL;
    one_index sel = {0};
    bool ids_only = false, jsonl = false;
    const cli_option options[] = {
        CLI_OPT_STR('t', "tokenizer", "FILE", &tok_path, "tokenizer to decode with"),
        CLI_OPT_CALL(0, "index", "I", &sel, set_index,
                     "only sequence I, printed exactly (no newline added)"),
        CLI_OPT_BOOL(0, "ids", &ids_only,
                     "print token ids (one sequence per line) instead of text;\n"
                     "a float32 dataset (pack's PREFIX.weights) prints numbers"),
        CLI_OPT_BOOL(0, "jsonl", &jsonl, "print {\"index\": I, \"text\": ...} per sequence"),
        CLI_OPT_STR('o', "output", "FILE", &out_path, "write to FILE instead of standard output"),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        return rc;
    uint64_t index = sel.index;
    bool one = sel.one;
    if (first + 1 != argc)
        return cli_usage_error(cmd, "give exactly one dataset PREFIX");
    /* the dataset as the manifests name it (PREFIX, PREFIX.bin, PREFIX.idx, a
     * folder with one dataset), or a companion such as PREFIX.weights */
    lw_dataset_set set = {0};
    lw_error err = {0};
    const char *prefix = argv[first];
    lw_status st = LW_OK;
    if (lw_datasets_open(argv[first], &set, &err) == LW_OK && set.n > 0) {
        const lw_dataset *one;
        if ((st = lw_datasets_one(&set, argv[first], &one, &err))) {
            lw_datasets_free(&set);
            return cli_fail(cmd, st, err.msg);
        }
        prefix = one->prefix;
    }
    lw_megatron_dataset d;
    st = lw_megatron_read(&d, prefix, &err);
    if (st) {
        rc = cli_fail(cmd, st, err.msg);
        lw_datasets_free(&set);
        return rc;
    }
    lw_tokenizer *tok = NULL;
    bool floats = d.dtype == LW_MEGATRON_FLOAT32;
    if (floats && !ids_only) {
        rc = cli_usage_error(cmd, "%s holds float32 values (such as pack's loss weights), "
                             "not token ids: it has no text; print its values with --ids",
                             prefix);
        goto done;
    }
    if (one && index >= d.sequences) {
        rc = cli_usage_error(cmd, "--index %" PRIu64 " is out of range: the dataset has %" PRIu64
                             " sequences", index, d.sequences);
        goto done;
    }
    if (!ids_only && (rc = cli_load_dataset_tokenizer(cmd, prefix, tok_path, &tok)))
        goto done;
    FILE *out = stdout;
    if (out_path && !(out = fopen(out_path, "wb"))) {
        rc = cli_fail(cmd, LW_E_CANTCREAT, strerror(errno));
        goto done;
    }
    lw_buf text = {0}, line = {0};
    uint32_t *ids = NULL;
    size_t cap = 0;
    for (uint64_t s = one ? index : 0; s < (one ? index + 1 : d.sequences) && !rc; s++) {
        uint32_t n = lw_megatron_length(&d, s);
        if (n > cap) {
            cap = n;
            free(ids);
            ids = malloc(cap * sizeof *ids);
        }
        for (uint32_t i = 0; i < n; i++)
            ids[i] = lw_megatron_token(&d, s, i);
        text.len = line.len = 0;
        if (floats) {
            for (uint32_t i = 0; i < n; i++) {
                if (i)
                    lw_buf_putc(&line, ' ');
                put_float(&line, lw_megatron_float(&d, s, i));
            }
            lw_buf_putc(&line, '\n');
        } else if (ids_only) {
            for (uint32_t i = 0; i < n; i++)
                lw_buf_printf(&line, i ? " %u" : "%u", ids[i]);
            lw_buf_putc(&line, '\n');
        } else {
            if ((st = lw_tok_decode(tok, ids, n, &text, &err))) {
                rc = cli_fail(cmd, st, err.msg);
                break;
            }
            if (jsonl) {
                lw_buf_printf(&line, "{\"index\":%" PRIu64 ",\"text\":", s);
                lw_json_put_string_repair(&line, text.data ? text.data : "", text.len);
                lw_buf_puts(&line, "}\n");
            } else {
                lw_buf_append(&line, text.data, text.len);
                if (!one)
                    lw_buf_putc(&line, '\n');
            }
        }
        if (line.len && fwrite(line.data, 1, line.len, out) != line.len)
            rc = cli_fail(cmd, LW_E_IO, strerror(errno));
    }
    if (fflush(out) != 0 && !rc)
        rc = cli_fail(cmd, LW_E_IO, strerror(errno));
    if (out != stdout && fclose(out) != 0 && !rc)
        rc = cli_fail(cmd, LW_E_IO, strerror(errno));
    free(ids);
    lw_buf_free(&text);
    lw_buf_free(&line);
done:
    lw_tok_free(tok);
    lw_megatron_close(&d);
    lw_datasets_free(&set);
    return rc;
}
