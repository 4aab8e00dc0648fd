/* What a command of the `hindsight` tool says to the user (msg.h). */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>

static void vmessage(const cli_cmd *cmd, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "hindsight%s%s: ", cmd ? " " : "",
		cmd ? cmd->name : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
}

int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: hindsight %s %s\n(more: hindsight %s --help)\n",
		cmd->name, cmd->synopsis, cmd->name);
	return CLI_EXIT_USAGE;
}

int cli_help(const cli_cmd *cmd)
{
	printf("usage: hindsight %s %s\n\n%s\n\n%s", cmd->name, cmd->synopsis,
	       cmd->summary, cmd->help);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
