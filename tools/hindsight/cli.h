#ifndef HS_TOOLS_CLI_H
#define HS_TOOLS_CLI_H

/*
 * What the commands of the `hindsight` tool share, one header a job:
 * msg.h (the command, its help, exit codes and messages), args.h
 * (options, positionals, values), times.h, db.h (opening a log and the
 * types plugin), print.h (records for people and as JSON), filter.h
 * (the record filters), progress.h, tally.h (agents by type). Every command is one file (stats.c,
 * check.c, ...) that defines its cli_cmd, whose run() returns the exit
 * code. Only archive (which cuts the log) and import (which makes a new
 * one) write a log.
 */

#include <stdbool.h>
#include <stdio.h>

#include "args.h"
#include "codec/record.h"
#include "codec/record_names.h"
#include "db.h"
#include "filter.h"
#include "hindsight.h"
#include "log/log.h"
#include "msg.h"
#include "print.h"
#include "progress.h"
#include "tally.h"
#include "times.h"

/* The command table (main.c); cli_find_cmd returns NULL for no match. */
const cli_cmd *cli_find_cmd(const char *name);

extern const cli_cmd cli_cmd_stats;
extern const cli_cmd cli_cmd_check;
extern const cli_cmd cli_cmd_log;
extern const cli_cmd cli_cmd_state;
extern const cli_cmd cli_cmd_history;
extern const cli_cmd cli_cmd_verify;
extern const cli_cmd cli_cmd_replay;
extern const cli_cmd cli_cmd_tail;
extern const cli_cmd cli_cmd_export;
extern const cli_cmd cli_cmd_import;
extern const cli_cmd cli_cmd_machine;
extern const cli_cmd cli_cmd_serve;
extern const cli_cmd cli_cmd_backup;
extern const cli_cmd cli_cmd_system;
extern const cli_cmd cli_cmd_whatif;
extern const cli_cmd cli_cmd_archive;

/* log and export: records through the filters, as text lines or JSON
 * Lines (log.c). */
int cli_log_records(const cli_cmd *cmd, int argc, char **argv, bool export);

/* Writes the records from <= gseq <= to of db (opened with a runtime) to
 * f as `export --snapshots` does, counting them; returns the exit code,
 * with any problem printed. */
int cli_export_range(const cli_cmd *cmd, cli_db *db, uint64_t from,
		     uint64_t to, FILE *f, uint64_t *records,
		     uint64_t *snapshots);

#endif /* HS_TOOLS_CLI_H */
