/* Declarative option tables, as git's parse_options: one table per command is
 * the single source of its parser (getopt_long), its --help text and so of
 * the README's option lists (a test holds the README to --help). The options
 * several commands share are one table each, included where they apply. */
#ifndef LONGWEAVE_CLI_OPTIONS_H
#define LONGWEAVE_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cli_option cli_option;
/* A value that needs more than storing: parse arg (NULL for a switch) into
 * opt->value; return 0 or an exit code (after printing the usage error). */
typedef int (*cli_option_fn)(const char *cmd, const cli_option *opt, const char *arg);

typedef enum {
    CLI_END,    /* ends a table */
    CLI_GROUP,  /* a heading in --help: help is its text ("Input:") */
    CLI_NOTE,   /* a line of --help under the options, help is its text */
    CLI_SHARED, /* the options of another table (include) */
    CLI_BOOL,   /* bool *value = true */
    CLI_STR,    /* const char **value = arg */
    CLI_UINT,   /* unsigned *value = arg, within [min, max] */
    CLI_U64,    /* uint64_t *value = arg */
    CLI_CHOICE, /* int *value = the index of arg in choices (NULL-terminated) */
    CLI_CALL,   /* fn(cmd, opt, arg) */
} cli_option_kind;

struct cli_option {
    cli_option_kind kind;
    int short_name;                /* 'j', or 0 */
    const char *long_name;         /* "threads" (without the dashes) */
    const char *arg;               /* "N": the option takes a value; NULL: a switch */
    const char *help;              /* "\n" continues on the next line, indented */
    void *value;                   /* what the kind stores into, or fn's state */
    cli_option_fn fn;              /* CLI_CALL */
    unsigned min, max;             /* CLI_UINT */
    const char *const *choices;    /* CLI_CHOICE */
    const cli_option *include;     /* CLI_SHARED */
};

#define CLI_OPT_GROUP(text) {CLI_GROUP, 0, NULL, NULL, text, NULL, NULL, 0, 0, NULL, NULL}
#define CLI_OPT_NOTE(text) {CLI_NOTE, 0, NULL, NULL, text, NULL, NULL, 0, 0, NULL, NULL}
#define CLI_OPT_SHARED(table) {CLI_SHARED, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, table}
#define CLI_OPT_BOOL(s, l, v, h) {CLI_BOOL, s, l, NULL, h, v, NULL, 0, 0, NULL, NULL}
#define CLI_OPT_STR(s, l, a, v, h) {CLI_STR, s, l, a, h, v, NULL, 0, 0, NULL, NULL}
#define CLI_OPT_UINT(s, l, a, v, lo, hi, h) {CLI_UINT, s, l, a, h, v, NULL, lo, hi, NULL, NULL}
#define CLI_OPT_U64(s, l, a, v, h) {CLI_U64, s, l, a, h, v, NULL, 0, 0, NULL, NULL}
#define CLI_OPT_CHOICE(s, l, a, v, c, h) {CLI_CHOICE, s, l, a, h, v, NULL, 0, 0, c, NULL}
#define CLI_OPT_CALL(s, l, a, v, f, h) {CLI_CALL, s, l, a, h, v, f, 0, 0, NULL, NULL}
#define CLI_OPT_END {CLI_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL}

/* Parse argv against opts (getopt_long, options and operands in any order;
 * -h/--help is every command's). true: the command goes on, *first at the
 * first operand. false: it stops with exit code *rc, 0 after printing the
 * help (head, the generated option lines, tail), else after printing the
 * usage error. With LONGWEAVE_CHECK_ARGS set in the environment, a command
 * line whose flags parse stops there too, with 0. */
bool cli_parse_options(const char *cmd, const cli_option *opts, int argc, char **argv,
                       const char *head, const char *tail, int *first, int *rc);
/* The --help lines of opts (the shared tables expanded). */
void cli_print_options(const cli_option *opts);

#endif
