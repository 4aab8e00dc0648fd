/*
 * How hs-ships reports: a CHECK line for each answer it compares, and
 * errors with the runtime's own account of them.
 */
#include "hs_ships.h"

#include <stdarg.h>
#include <stdio.h>

static int failures; /* CHECKs that failed */

void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "CHECK" : "MISMATCH");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

void log_error(hs_runtime *rt, const char *what, int rc)
{
	char msg[512];

	hs_last_error(rt, msg, sizeof(msg));
	fprintf(stderr, "hs-ships: %s: %s%s%s\n", what, hs_strerror(rc),
		msg[0] != '\0' ? ": " : "", msg);
}

int check_failures(void)
{
	return failures;
}
