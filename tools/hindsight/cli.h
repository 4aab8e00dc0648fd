#ifndef HS_TOOLS_CLI_H
#define HS_TOOLS_CLI_H

/*
 * What the commands of the `hindsight` tool share: option parsing, opening
 * a log read-only, names and times, printing records, progress, the types
 * plugin. Every command is one file (stats.c, check.c, ...) with one entry
 * point, `int cli_<name>(int argc, char **argv)`, returning the exit code.
 *
 * Exit codes: 0 ok, 1 a finding (check, verify), 2 a usage or input error.
 * Errors go to stderr as "hindsight <command>: <sentence>", results to
 * stdout. Nothing here ever writes to a log it reads.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codec/record.h"
#include "codec/record_names.h"
#include "hindsight.h"
#include "log/log.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FINDING = 1, CLI_EXIT_USAGE = 2 };

/* ------------------------------------------------------------------ */
/* Commands and options                                                 */
/* ------------------------------------------------------------------ */

typedef struct cli_cmd {
	const char *name;
	const char *synopsis; /* one line: the arguments */
	const char *summary;  /* one line: what it does */
	const char *help;     /* the rest of --help: options, notes */
	int (*run)(int argc, char **argv);
} cli_cmd;

/* The command table (main.c); cli_find_cmd returns NULL for no match. */
const cli_cmd *cli_find_cmd(const char *name);

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
 * options. */
void cli_args_init(cli_args *a, const cli_cmd *cmd, const cli_opt *opts,
		   int argc, char **argv);
int cli_args_next(cli_args *a, const char **val);

/* Prints the command's --help to stdout; returns 0. */
int cli_help(const cli_cmd *cmd);

/* Prints "hindsight <cmd>: <message>" and the synopsis to stderr; returns
 * 2. */
int cli_usage(const cli_cmd *cmd, const char *fmt, ...) HS_PRINTF(2, 3);

/* Prints "hindsight <cmd>: <message>" to stderr. */
void cli_error(const cli_cmd *cmd, const char *fmt, ...) HS_PRINTF(2, 3);

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

/* A decimal unsigned integer (no sign, no spaces). 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);

/*
 * A time: RFC 3339 ("2026-11-22T10:00:00Z", with an optional fraction of
 * up to 9 digits, and Z or an offset +hh:mm / -hh:mm; 't', 'z' and a
 * space for 'T' are accepted too) or an integer of nanoseconds since the
 * Unix epoch. Returns 0, or -1 with *why (may be NULL) naming the
 * problem.
 */
int cli_parse_time(const char *s, int64_t *out, const char **why);

/* A time as RFC 3339 in UTC with nanoseconds:
 * 2026-11-22T10:00:00.000000000Z. */
#define CLI_TIME_MAX 48
void cli_format_time(int64_t ns, char *out, size_t cap);

/* TYPE/ID (split at the first '/'). NUL-terminated copies in type and id.
 * Returns 0, or -1 with *why naming the problem. */
typedef struct cli_addr {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
} cli_addr;
int cli_parse_addr(const char *s, cli_addr *out, const char **why);

/* ------------------------------------------------------------------ */
/* Opening a log                                                        */
/* ------------------------------------------------------------------ */

typedef struct cli_db {
	const cli_cmd *cmd;
	const char *path;
	hsi_log *log;      /* raw reads */
	hs_runtime *rt;    /* queries and replay; NULL until opened */
	void *plugin;      /* dlopen handle of --types, or NULL */
	const char *types; /* its path */
} cli_db;

/* Opens the log read-only for raw reads. On failure prints what is wrong
 * with the path and returns 2 (db->log stays NULL). Works while another
 * process has the log open for writing. */
int cli_db_open(cli_db *db, const cli_cmd *cmd, const char *path);

/* Opens a read-only runtime on the same log (after cli_db_open), and
 * with `types` (may be NULL) loads that types plugin into it. Returns 0,
 * or prints the problem and returns 2. */
int cli_db_runtime(cli_db *db, const char *types);

/* Closes everything; accepts a zeroed db. */
void cli_db_close(cli_db *db);

/* Prints the runtime's last error (or the code's text) for a failed
 * query, with the advice that fits the code; returns 2. `what` names the
 * query, e.g. "state of ship/Gloria". */
int cli_db_fail(cli_db *db, int rc, const char *what);

/* The agent's last seq and its gseq; prints "unknown agent ..." (or the
 * log's error) and returns 2 when the log has no record of it. */
int cli_db_agent(cli_db *db, const cli_addr *ag, uint64_t *last,
		 uint64_t *last_gseq);

/* The sentence for state and history without --types. */
void cli_need_types(const cli_cmd *cmd, const char *type);

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

/* Reads and decodes event gseq; on failure prints the problem naming the
 * key and returns 2. */
int cli_read_record(cli_db *db, uint64_t gseq, hs_buf *buf, hsi_record *r);

/* Appends a name for people: control bytes and backslash as \xNN. */
int cli_put_name(hs_buf *b, const char *s, size_t n);

/* Appends "type/id" for people. */
int cli_put_addr(hs_buf *b, const char *type, const char *id);

/* Appends one record as a human line (no newline):
 * gseq 12  2026-11-22T10:00:00.000000000Z  ship/Gloria #3  depart
 * {"port":"Malmo"}  caused by ship/x #2 (gseq 11) */
int cli_put_record_line(hs_buf *b, const hs_record *r);

/*
 * Appends one record as a JSON object (no newline), with its keys always
 * in this order:
 * {"gseq","seq","time_ns","time","type","id","event","body","cause",
 *  "state_hash"}; `body` is the event body as JSON (null when none),
 * `cause` null or {"type","id","seq","gseq"}, `state_hash` 16 hex digits.
 * When `open` is true, the closing brace is left off so that the caller
 * can add fields.
 */
int cli_put_record_json(hs_buf *b, const hs_record *r, bool open);

/* Appends the changes of an hs_json_diff() result for people, one a line,
 * each line starting with `indent`:  path: old -> new, path: + new
 * (added), path: - old (removed). "(no change)" for an empty diff. */
int cli_put_diff_lines(hs_buf *b, const hs_buf *diff_json,
		       const char *indent);

/* Appends a JSON string. */
int cli_put_json_str(hs_buf *b, const char *s, size_t n);

/* Appends text. */
int cli_put(hs_buf *b, const char *s);
int cli_putf(hs_buf *b, const char *fmt, ...) HS_PRINTF(2, 3);

/* Writes b to stdout and resets it; returns 0 or -1 (write error). */
int cli_flush(hs_buf *b);

/* ------------------------------------------------------------------ */
/* Record filters (log, export, tail)                                   */
/* ------------------------------------------------------------------ */

/* Option ids of the filters; commands use ids below CLI_OPT_OWN. */
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

#define CLI_TIME_HELP                                                         \
	"TIME is RFC 3339 (2026-11-22T10:00:00Z, 2026-11-22T12:00:00.5+02:00) " \
	"or\ninteger nanoseconds since the Unix epoch.\n"

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

/* ------------------------------------------------------------------ */
/* Progress on stderr                                                   */
/* ------------------------------------------------------------------ */

/* Shown only when stderr is a terminal and the work has run for about a
 * second: "what: 12,345 of 100,000 (12%)  45,000/s  ETA 2s". */
typedef struct cli_progress {
	bool tty;
	bool shown;
	const char *what;
	uint64_t total; /* 0 when unknown */
	double start, last;
	unsigned ticks;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *what, uint64_t total);
void cli_progress_tick(cli_progress *p, uint64_t done);
void cli_progress_end(cli_progress *p);

double cli_now(void); /* CLOCK_MONOTONIC seconds */

/* ------------------------------------------------------------------ */
/* The commands, one file each                                          */
/* ------------------------------------------------------------------ */

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

/* log and export: records through the filters, as text lines or JSON
 * Lines (log.c). */
int cli_log_records(const cli_cmd *cmd, int argc, char **argv, bool export);

#endif /* HS_TOOLS_CLI_H */
