#ifndef HS_TOOLS_TIMES_H
#define HS_TOOLS_TIMES_H

/* Times as the user writes and reads them. */

#include <stddef.h>
#include <stdint.h>

#define CLI_TIME_HELP                                                         \
	"TIME is RFC 3339 (2026-11-22T10:00:00Z, 2026-11-22T12:00:00.5+02:00) " \
	"or\ninteger nanoseconds since the Unix epoch.\n"

/*
 * A time: RFC 3339 ("2026-11-22T10:00:00Z", with an optional fraction of
 * up to 9 digits, and Z or an offset +hh:mm / -hh:mm; 't', 'z' and a
 * space for 'T' are accepted too) or an integer of nanoseconds since the
 * Unix epoch. Returns 0, or -1 with *why (may be NULL) naming the
 * problem.
 */
int cli_parse_time(const char *s, int64_t *out, const char **why);

/* A time as RFC 3339 in UTC with nanoseconds, NUL-terminated in out
 * (cap >= CLI_TIME_MAX): 2026-11-22T10:00:00.000000000Z. */
#define CLI_TIME_MAX 48
void cli_format_time(int64_t ns, char *out, size_t cap);

#endif /* HS_TOOLS_TIMES_H */
