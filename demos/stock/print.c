/*
 * How hs-stock prints simulated times, part ids and verdicts.
 */
#include "hs_stock.h"

#include <inttypes.h>
#include <stdio.h>

const char *secs(char *buf, size_t cap, int64_t t)
{
	int64_t a = t < 0 ? -t : t;

	snprintf(buf, cap, "%s%" PRId64 ".%03" PRId64, t < 0 ? "-" : "",
		 a / SEC, a % SEC / MS);
	return buf;
}

const char *quoted(char *buf, size_t cap, const char *id)
{
	snprintf(buf, cap, "\"%s\"", id);
	return buf;
}

const char *verdict(bool ok)
{
	return ok ? "ok" : "MISMATCH";
}
