/*
 * hindsight: inspect, query, verify and replay hindsight logs.
 *
 *   hindsight COMMAND [ARGS...]      hindsight COMMAND --help
 *
 * Every command opens the log read-only (except `import`, which builds a
 * new one) and works while a running program has the log open.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const cli_cmd *const commands[] = {
	&cli_cmd_stats,  &cli_cmd_check,  &cli_cmd_log,    &cli_cmd_state,
	&cli_cmd_history, &cli_cmd_verify, &cli_cmd_replay, &cli_cmd_tail,
	&cli_cmd_export, &cli_cmd_import, &cli_cmd_machine, &cli_cmd_serve,
	&cli_cmd_backup, &cli_cmd_system, &cli_cmd_whatif, &cli_cmd_archive,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const cli_cmd *cli_find_cmd(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hindsight COMMAND [ARGS...]\n\n"
		   "Inspect, query, verify and replay hindsight logs. Never "
		   "writes to a log it\nreads; works while a running program "
		   "holds the log.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(f, "\n`hindsight COMMAND --help` describes a command. Exit "
		   "codes: 0 ok, 1 a finding\n(check, verify), 2 a usage or "
		   "input error.\n");
}

int main(int argc, char **argv)
{
	const cli_cmd *cmd;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (cmd = cli_find_cmd(argv[2])) != NULL)
			return cli_help(cmd);
		if (argc > 2) {
			fprintf(stderr, "hindsight: no command '%s'\n",
				argv[2]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
		usage(stdout);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("hindsight %s (log format %d)\n", HS_VERSION_TEXT,
		       HSI_LOG_FORMAT_CUT);
		return CLI_EXIT_OK;
	}
	cmd = cli_find_cmd(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "hindsight: no command '%s'\n", argv[1]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	int rc = cmd->run(argc - 1, argv + 1);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (rc == CLI_EXIT_OK)
			fprintf(stderr, "hindsight %s: cannot write the "
					"output\n",
				cmd->name);
		return CLI_EXIT_USAGE;
	}
	return rc;
}
