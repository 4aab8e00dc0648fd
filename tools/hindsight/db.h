#ifndef HS_TOOLS_DB_H
#define HS_TOOLS_DB_H

/* Opening a log read-only, for raw reads and for queries through a
 * read-only runtime with the types plugin loaded into it. Nothing here
 * ever writes to the log. */

#include <stdbool.h>
#include <stdint.h>

#include "args.h"
#include "codec/record.h"
#include "hindsight.h"
#include "log/log.h"
#include "msg.h"

typedef struct cli_db {
	const cli_cmd *cmd;
	const char *path;  /* the caller's string: it must outlive the db */
	hsi_log *log;      /* raw reads */
	hs_runtime *rt;    /* queries and replay; NULL until opened */
	void *plugin;      /* dlopen handle of --types, or NULL */
	const char *types; /* its path (the caller's string) */
} cli_db;

/* Opens the log read-only for raw reads. On failure prints what is wrong
 * with the path and returns 2 (db->log stays NULL). Works while another
 * process has the log open for writing. */
int cli_db_open(cli_db *db, const cli_cmd *cmd, const char *path);

/* --trust-types, beside --types in every command that loads a plugin. */
enum { CLI_OPT_TRUST_TYPES = 900 };
#define CLI_TRUST_TYPES_OPT {"trust-types", 0, false, CLI_OPT_TRUST_TYPES}
#define CLI_TRUST_TYPES_HELP                                                  \
	"      --trust-types   load the --types plugin even if its group or "   \
	"others can\n                      write to it\n"

/* Opens a read-only runtime on the same log (after cli_db_open), and
 * with `types` (may be NULL) loads that types plugin into it: dlopen
 * runs its code in this process. A plugin file that its group or others
 * may write is refused unless `trust_types` (--trust-types). Returns 0,
 * or prints the problem and returns 2. */
int cli_db_runtime(cli_db *db, const char *types, bool trust_types);

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

/* Reads event gseq into buf (the caller's, reset first) and decodes it
 * into r, which points into buf. On failure prints the problem naming the
 * key and returns 2. */
int cli_read_record(cli_db *db, uint64_t gseq, hs_buf *buf, hsi_record *r);

#endif /* HS_TOOLS_DB_H */
