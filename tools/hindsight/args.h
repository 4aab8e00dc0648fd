#ifndef HS_TOOLS_ARGS_H
#define HS_TOOLS_ARGS_H

/* A command's arguments: its options, its positionals, and the values
 * they hold (integers, agents). Times are in times.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"
#include "msg.h"

typedef struct cli_opt {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 for none */
	bool has_arg;
	int id;           /* > 0 */
} cli_opt;

/* What cli_args_next returns besides an option's id. */
enum {
	CLI_ARG_END = 0,   /* no more arguments */
	CLI_ARG_POS = -1,  /* a positional argument, in *val */
	CLI_ARG_ERR = -2,  /* an error was printed: exit 2 */
	CLI_ARG_HELP = -3, /* --help or -h */
};

typedef struct cli_args {
	const cli_cmd *cmd;
	const cli_opt *opts; /* ended by an entry with name NULL */
	int argc;
	char **argv;
	int i;
	bool only_pos; /* after "--" */
} cli_args;

/* argv[0] is the command's name; parsing starts at argv[1]. Accepts
 * --name value, --name=value, -x value, -xvalue, and "--" to end
 * options. The values point into argv. */
void cli_args_init(cli_args *a, const cli_cmd *cmd, const cli_opt *opts,
		   int argc, char **argv);
int cli_args_next(cli_args *a, const char **val);

/* A decimal unsigned integer (no sign, no spaces). 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);

/* TYPE/ID (split at the first '/'). NUL-terminated copies in type and id.
 * Returns 0, or -1 with *why naming the problem. */
typedef struct cli_addr {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
} cli_addr;
int cli_parse_addr(const char *s, cli_addr *out, const char **why);

#endif /* HS_TOOLS_ARGS_H */
