/*
 * hs-stock's command line.
 */
#include "hs_stock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hs-stock [options]\n"
		"  --seconds N     simulated duration (default 120)\n"
		"  --seed N        seed of both streams (default 1)\n"
		"  --db PATH       the log's directory (default "
		"./hindsight-data/stock);\n"
		"                  a log left there by an earlier hs-stock "
		"run is replaced\n"
		"  --part NAME     the part whose past stock is shown, e.g. "
		"\"Rims 7\"\n"
		"                  (default: the first to recover from "
		"backlog)\n"
		"  --at T,T,...    the past times (simulated seconds) to ask "
		"for its stock\n"
		"                  (default: every eighth of the run, and its "
		"backlogs)\n"
		"  --window A,B    the past window, in simulated seconds, for "
		"the busiest\n"
		"                  parts by orders (default: the second "
		"quarter of the run)\n"
		"  --max-qty N     deliveries carry 1..N units (default 100)\n"
		"  --workers N     worker threads (default: one per core)\n"
		"  --live          print parts entering and leaving backlog, "
		"and progress,\n"
		"                  as they happen (~400 lines for the default "
		"run)\n"
		"  --quiet         the default: a summary of them instead\n"
		"  --all-checks    print a CHECK line for every part\n");
}

static bool num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Seconds with up to three decimals, as ms. */
static bool ms_arg(const char *s, size_t n, int64_t *out)
{
	char buf[32], *end;
	double v;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (*end != '\0' || !(v >= 0) || v > 1e7)
		return false;
	*out = (int64_t)(v * 1000 + 0.5);
	return true;
}

/* A list of up to 16 times in seconds, as ms. */
static bool at_list(const char *v, opts *o)
{
	o->nat = 0;
	for (;;) {
		const char *comma = strchr(v, ',');
		size_t n = comma ? (size_t)(comma - v) : strlen(v);

		if (o->nat == sizeof(o->at) / sizeof(o->at[0]) ||
		    !ms_arg(v, n, &o->at[o->nat++]))
			return false;
		if (comma == NULL)
			return true;
		v = comma + 1;
	}
}

int parse(int argc, char **argv, opts *o)
{
	*o = (opts){.seconds = 120,
		    .seed = 1,
		    .db = "./hindsight-data/stock",
		    .win_from = -1,
		    .win_to = -1,
		    .max_qty = 100};
	const char *a = NULL;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n;

		a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--live") == 0) {
			o->live = true;
			continue;
		} else if (strcmp(a, "--quiet") == 0) {
			o->live = false;
			continue;
		} else if (strcmp(a, "--all-checks") == 0) {
			o->all_checks = true;
			continue;
		}
		if (v == NULL)
			goto bad;
		i++;
		if (strcmp(a, "--seconds") == 0 && num(v, 1, 86400, &n))
			o->seconds = n;
		else if (strcmp(a, "--seed") == 0 && num(v, 0, INT64_MAX, &n))
			o->seed = (uint64_t)n;
		else if (strcmp(a, "--db") == 0 && v[0] != '\0')
			o->db = v;
		else if (strcmp(a, "--part") == 0)
			o->part = v;
		else if (strcmp(a, "--max-qty") == 0 && num(v, 1, 1000000, &n))
			o->max_qty = (int)n;
		else if (strcmp(a, "--workers") == 0 && num(v, 0, 256, &n))
			o->workers = (unsigned)n;
		else if (strcmp(a, "--at") == 0 && at_list(v, o))
			;
		else if (strcmp(a, "--window") == 0 && strchr(v, ',') &&
			 ms_arg(v, (size_t)(strchr(v, ',') - v),
				&o->win_from) &&
			 ms_arg(strchr(v, ',') + 1, strlen(strchr(v, ',') + 1),
				&o->win_to) &&
			 o->win_from <= o->win_to)
			;
		else
			goto bad;
	}
	for (size_t i = 0; i < o->nat; i++)
		if (o->at[i] > o->seconds * 1000) {
			fprintf(stderr,
				"hs-stock: --at after the end of the run "
				"(--seconds)\n");
			return -1;
		}
	if (o->part != NULL && part_index(o->part) < 0) {
		fprintf(stderr,
			"hs-stock: no part \"%s\"; ids are a name "
			"from the manifest and a variant 0-9, e.g. "
			"\"%s\"\n",
			o->part, part_ids[27]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "hs-stock: bad or incomplete option %s\n", a);
	usage(stderr);
	return -1;
}
