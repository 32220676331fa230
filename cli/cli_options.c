/* Option tables: getopt_long's tables and the --help lines, both generated
 * from a command's cli_option list (cli_options.h). */
#include "cli_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    MAX_OPTIONS = 160, /* after expanding the shared tables */
    LONG_ONLY = 1000,  /* getopt value of entry i without a short name: LONG_ONLY + i */
    HELP_COLUMN = 26,  /* where the help text starts */
};

static const cli_option HELP = CLI_OPT_BOOL('h', "help", NULL, "this help");

/* The options of t, shared tables expanded, in order; -1 if there are too many. */
static int flatten(const cli_option *t, const cli_option **out, int n)
{
    for (; n >= 0 && t->kind != CLI_END; t++) {
        if (t->kind == CLI_SHARED)
            n = flatten(t->include, out, n);
        else if (n < MAX_OPTIONS)
            out[n++] = t;
        else
            n = -1;
    }
    return n;
}

static void print_one(const cli_option *o)
{
    if (o->kind == CLI_GROUP || o->kind == CLI_NOTE) {
        printf("%s\n", o->help);
        return;
    }
    char left[128];
    int n = snprintf(left, sizeof left, "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ',
                     o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
                     o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
    if (n >= HELP_COLUMN)
        printf("%s\n%*s", left, HELP_COLUMN, "");
    else
        printf("%-*s", HELP_COLUMN, left);
    for (const char *p = o->help; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        printf("%.*s\n", (int)len, p);
        if (!nl)
            break;
        p = nl + 1;
        printf("%*s", HELP_COLUMN, "");
    }
}

void cli_print_options(const cli_option *opts)
{
    const cli_option *flat[MAX_OPTIONS];
    int n = flatten(opts, flat, 0);
    for (int i = 0; i < n; i++)
        print_one(flat[i]);
    print_one(&HELP);
}

static int store(const char *cmd, const cli_option *o, const char *arg)
{
    char name[80];
    snprintf(name, sizeof name, "--%s", o->long_name);
    switch (o->kind) {
    case CLI_BOOL: *(bool *)o->value = true; return 0;
    case CLI_STR: *(const char **)o->value = arg; return 0;
    case CLI_UINT: return cli_parse_uint(cmd, name, arg, o->min, o->max, o->value);
    case CLI_U64: return cli_parse_u64(cmd, name, arg, o->value);
    case CLI_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (strcmp(arg, o->choices[i]) == 0) {
                *(int *)o->value = i;
                return 0;
            }
        {
            char list[256] = "";
            size_t at = 0;
            for (int i = 0; o->choices[i] && at < sizeof list; i++) {
                int w = snprintf(list + at, sizeof list - at, "%s%s",
                                 i == 0 ? "" : o->choices[i + 1] ? ", " : " or ", o->choices[i]);
                at += w > 0 ? (size_t)w : 0;
            }
            return cli_usage_error(cmd, "%s is %s, not '%s'", name, list, arg);
        }
    case CLI_CALL: return o->fn(cmd, o, arg);
    default: return 0;
    }
}

bool cli_parse_options(const char *cmd, const cli_option *opts, int argc, char **argv,
                       const char *head, const char *tail, int *first, int *rc)
{
    const cli_option *flat[MAX_OPTIONS];
    int n = flatten(opts, flat, 0);
    if (n < 0 || n + 1 >= MAX_OPTIONS) {
        fprintf(stderr, "longweave %s: too many options for the table\n", cmd);
        *rc = 70; /* EX_SOFTWARE */
        return false;
    }
    flat[n++] = &HELP;
    struct option longs[MAX_OPTIONS + 1];
    char shorts[2 * MAX_OPTIONS + 2];
    int nl = 0, ns = 0;
    for (int i = 0; i < n; i++) {
        const cli_option *o = flat[i];
        if (o->kind == CLI_GROUP || o->kind == CLI_NOTE)
            continue;
        int val = o->short_name ? o->short_name : LONG_ONLY + i;
        longs[nl++] = (struct option){o->long_name, o->arg ? required_argument : no_argument,
                                      NULL, val};
        if (o->short_name) {
            shorts[ns++] = (char)o->short_name;
            if (o->arg)
                shorts[ns++] = ':';
        }
    }
    longs[nl] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
    optind = 1;
    *rc = 0;
    for (int c; *rc == 0 && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1;) {
        const cli_option *o = NULL;
        if (c >= LONG_ONLY && c < LONG_ONLY + n)
            o = flat[c - LONG_ONLY];
        for (int i = 0; !o && c > 0 && c < LONG_ONLY && i < n; i++)
            if (flat[i]->short_name == c)
                o = flat[i];
        if (!o) {
            *rc = cli_usage_error(cmd, "unknown or incomplete option");
        } else if (o == &HELP) {
            fputs(head, stdout);
            cli_print_options(opts);
            fputs(tail, stdout);
            return false;
        } else {
            *rc = store(cmd, o, optarg);
        }
    }
    *first = optind;
    /* LONGWEAVE_CHECK_ARGS=1: stop once the flags parse (what the README's
     * examples are tested with, without their inputs) */
    return *rc == 0 && !getenv("LONGWEAVE_CHECK_ARGS");
}
