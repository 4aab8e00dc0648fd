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

/* A positional argument; a command's come in the order it lists them. */
typedef struct cli_pos {
	const char *missing; /* the usage error when absent; NULL: optional */
	const char *val;     /* the argument (in argv), NULL until given */
} cli_pos;

#define CLI_MISSING_DB "missing DB (the log's directory)"
#define CLI_MISSING_AGENT "missing TYPE/ID (the agent, e.g. ship/Gloria)"

typedef struct cli_args {
	const cli_cmd *cmd;
	const cli_opt *opts; /* ended by an entry with name NULL */
	cli_pos *pos;
	size_t npos, got;
	int argc;
	char **argv;
	int i;
	bool only_pos; /* after "--" */
	int exit;      /* the exit code, once cli_args_opt said stop */
} cli_args;

/* What cli_args_opt returns besides an option's id. */
enum {
	CLI_ARG_END = 0,   /* every argument read, the positionals all there */
	CLI_ARG_STOP = -1, /* the command stops: return a->exit */
};

/* argv[0] is the command's name; parsing starts at argv[1]. Accepts
 * --name value, --name=value, -x value, -xvalue, and "--" to end
 * options. The positionals go to pos[0..npos) (pos may be NULL when npos
 * is 0); they and the options' values point into argv. */
void cli_args_init(cli_args *a, const cli_cmd *cmd, const cli_opt *opts,
		   cli_pos *pos, size_t npos, int argc, char **argv);

/*
 * Reads the arguments up to the next option and returns its id (> 0),
 * its value in *val (NULL for an option without one). Positionals on the
 * way fill the next cli_pos. Returns CLI_ARG_END at the end, once every
 * positional with a `missing` text is there, or CLI_ARG_STOP with the
 * command's exit code in a->exit: --help (or -h) was shown, or a usage
 * error printed (an unknown option, a value missing, one positional too
 * many, a required one absent).
 */
int cli_args_opt(cli_args *a, const char **val);

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
