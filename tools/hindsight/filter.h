#ifndef HS_TOOLS_FILTER_H
#define HS_TOOLS_FILTER_H

/* The record filters of log, export and tail: their options, parsed into
 * an hs_filter. */

#include <stdbool.h>

#include "args.h"
#include "hindsight.h"
#include "msg.h"

/* Option ids of the filters; commands use ids below CLI_OPT_AGENT. */
enum {
	CLI_OPT_AGENT = 1000,
	CLI_OPT_TYPE,
	CLI_OPT_EVENT,
	CLI_OPT_SINCE,
	CLI_OPT_UNTIL,
	CLI_OPT_FROM,
	CLI_OPT_TO,
	CLI_OPT_REVERSE,
	CLI_OPT_LIMIT,
};

#define CLI_FILTER_OPTS                                                       \
	{"agent", 'a', true, CLI_OPT_AGENT},                                  \
	{"type", 0, true, CLI_OPT_TYPE},                                      \
	{"event", 'e', true, CLI_OPT_EVENT},                                  \
	{"since", 0, true, CLI_OPT_SINCE},                                    \
	{"until", 0, true, CLI_OPT_UNTIL},                                    \
	{"from", 0, true, CLI_OPT_FROM},                                      \
	{"to", 0, true, CLI_OPT_TO},                                          \
	{"reverse", 'r', false, CLI_OPT_REVERSE},                             \
	{"limit", 'n', true, CLI_OPT_LIMIT}

#define CLI_FILTER_HELP                                                       \
	"  -a, --agent TYPE/ID   only this agent's records\n"               \
	"      --type T          only agents of type T\n"                    \
	"  -e, --event E         only events of type E\n"                    \
	"      --since TIME      only records at or after TIME\n"            \
	"      --until TIME      only records at or before TIME\n"           \
	"      --from GSEQ       only records with gseq >= GSEQ\n"           \
	"      --to GSEQ         only records with gseq <= GSEQ\n"           \
	"  -r, --reverse         newest first\n"                             \
	"  -n, --limit N         at most N records\n"

/* Zero it before the first option. cf->f points at cf's strings once
 * cli_filter_done has run: cf must outlive the filter's use. */
typedef struct cli_filter {
	hs_filter f;
	cli_addr agent;
	bool has_agent;
	char type[HS_NAME_MAX + 1];
	char event[HS_NAME_MAX + 1];
} cli_filter;

/* Applies a filter option; returns 0, or prints the problem and returns
 * 2. */
int cli_filter_opt(cli_filter *cf, const cli_cmd *cmd, int id,
		   const char *val);

/* Checks the combination once all options are read (0 or 2) and points
 * cf->f at its strings. */
int cli_filter_done(cli_filter *cf, const cli_cmd *cmd);

#endif /* HS_TOOLS_FILTER_H */
