#ifndef HS_TOOLS_IMPORT_H
#define HS_TOOLS_IMPORT_H

/*
 * hindsight import, one file a job: import.c (the command, the target
 * directory, reading the lines), import_parse.c (a line into a record or
 * a snapshot), import_write.c (the rules between lines, and the writes).
 */

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "common/addr_map.h"

/* Records (and snapshots) per write batch. */
#define CLI_IMPORT_BATCH 4096

/* What the lines so far said of one agent. */
typedef struct cli_import_agent {
	uint64_t last_seq;
	int64_t last_time;
	uint64_t records;
} cli_import_agent;

/* The record line read last, which a snapshot line must follow. */
typedef struct cli_import_prev {
	bool record; /* the line before was a record */
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq;
	uint64_t gseq;
	uint64_t state_hash;
} cli_import_prev;

typedef struct cli_importer {
	const cli_cmd *cmd;
	const char *input; /* for messages */
	const char *target;
	char *tmp; /* the directory being built, or NULL */
	hsi_log *log;
	hsi_log_batch *batch;
	size_t in_batch;
	uint64_t line;
	uint64_t gseq;      /* the last written */
	uint64_t snapshots; /* written */
	cli_import_prev prev;
	hsi_addr_map agents; /* of cli_import_agent */
	hs_buf types;        /* names of types seen, each \0-terminated */
	hs_buf mp, rec, state;
	cli_progress progress;
} cli_importer;

/* A record line, parsed. r's strings point into the arrays beside it. */
typedef struct cli_import_record {
	hsi_record r;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char event[HS_NAME_MAX + 1];
	char cause_type[HS_NAME_MAX + 1];
	char cause_id[HS_ID_MAX + 1];
} cli_import_record;

/* A snapshot line, parsed; the state's bytes are im->state. */
typedef struct cli_import_snapshot {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq;
} cli_import_snapshot;

typedef struct cli_import_line {
	bool is_snapshot;
	cli_import_record rec;
	cli_import_snapshot snap;
} cli_import_line;

/* Prints "hindsight import: INPUT:LINE: message" and returns 2. */
int cli_import_line_error(cli_importer *im, const char *fmt, ...)
	HS_PRINTF(2, 3);

/* Parses one line (without its newline): its JSON, its keys and their
 * values. Returns 0, or prints the problem and returns 2. */
int cli_import_parse(cli_importer *im, const char *text, size_t len,
		     cli_import_line *out);

/* Adds a parsed record to the batch, after checking it against the lines
 * before (gseq, seq, time, cause order); flushes every
 * CLI_IMPORT_BATCH. Returns 0, or prints the problem and returns 2. */
int cli_import_add_record(cli_importer *im, const cli_import_record *p);

/* Adds a parsed snapshot (state in im->state), after checking that it
 * follows its record and hashes to its state hash. 0 or 2 as above. */
int cli_import_add_snapshot(cli_importer *im, const cli_import_snapshot *s);

/* Writes the batch (sync: fsync the WAL). 0 or 2 as above. */
int cli_import_flush(cli_importer *im, bool sync);

/* Once everything is written: each cause names the record at its gseq
 * (same agent and seq). 0 or 2 as above. */
int cli_import_check_causes(cli_importer *im);

#endif /* HS_TOOLS_IMPORT_H */
