#ifndef HS_TOOLS_MSG_H
#define HS_TOOLS_MSG_H

/*
 * A command of the `hindsight` tool as the user meets it: its name, its
 * help, its exit codes and its messages. Errors go to stderr as
 * "hindsight <command>: <sentence>", results to stdout.
 */

#include "hindsight.h"

/* 0 ok, 1 a finding (check, verify), 2 a usage or input error. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FINDING = 1, CLI_EXIT_USAGE = 2 };

typedef struct cli_cmd {
	const char *name;
	const char *synopsis; /* one line: the arguments */
	const char *summary;  /* one line: what it does */
	const char *help;     /* the rest of --help: options, notes */
	int (*run)(int argc, char **argv);
} cli_cmd;

/* Prints the command's --help to stdout; returns 0, or 2 when stdout
 * cannot be written. */
int cli_help(const cli_cmd *cmd);

/* Prints "hindsight <cmd>: <message>" and the synopsis to stderr; returns
 * 2. */
int cli_usage(const cli_cmd *cmd, const char *fmt, ...) HS_PRINTF(2, 3);

/* Prints "hindsight <cmd>: <message>" to stderr (cmd may be NULL:
 * "hindsight: <message>"). */
void cli_error(const cli_cmd *cmd, const char *fmt, ...) HS_PRINTF(2, 3);

#endif /* HS_TOOLS_MSG_H */
