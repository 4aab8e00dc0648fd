#ifndef HS_TOOLS_PRINT_H
#define HS_TOOLS_PRINT_H

/* Output for people and for programs: names, records, diffs, appended to
 * an hs_buf the caller owns, and written to stdout by cli_flush. Each
 * call returns 0 or HS_ENOMEM (what was appended may be cut short). */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hindsight.h"

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
 * Flags: CLI_JSON_OPEN leaves the closing brace off so that the caller
 * can add fields; CLI_JSON_TIME_STRING writes time_ns as a string, for
 * readers whose numbers are doubles (JavaScript).
 */
#define CLI_JSON_OPEN 1u
#define CLI_JSON_TIME_STRING 2u
int cli_put_record_json(hs_buf *b, const hs_record *r, unsigned flags);

/* Appends the changes of an hs_json_diff() result for people, one a line,
 * each line starting with `indent`:  path: old -> new, path: + new
 * (added), path: - old (removed). "(no change)" for an empty diff.
 * Returns 0, HS_ENOMEM, or HS_EBADMSG when diff_json is not a diff. */
int cli_put_diff_lines(hs_buf *b, const hs_buf *diff_json,
		       const char *indent);

/* Appends a JSON string. */
int cli_put_json_str(hs_buf *b, const char *s, size_t n);

/* Appends text. */
int cli_put(hs_buf *b, const char *s);
int cli_putf(hs_buf *b, const char *fmt, ...) HS_PRINTF(2, 3);

/* Writes b to stdout and resets it; returns 0 or -1 (write error). */
int cli_flush(hs_buf *b);

/* cli_flush to another stream. */
int cli_flush_to(hs_buf *b, FILE *f);

#endif /* HS_TOOLS_PRINT_H */
