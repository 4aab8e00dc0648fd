/*
 * hs-ships' command line.
 */
#include "hs_ships.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hs-ships [--ships N] [--days D] [--seed S] "
		"[--threads T] [--db PATH] [--fresh]\n"
		"  --ships N    ships in the fleet (1..%d, default 1000)\n"
		"  --days D     simulated days (1..3650, default 60)\n"
		"  --seed S     the schedule's seed (default 1): the same "
		"seed, the same history\n"
		"  --threads T  sender threads (1..%d, default 4)\n"
		"  --db PATH    the log's directory (default %s,\n"
		"               where each run replaces the previous "
		"run's log)\n"
		"  --fresh      replace an earlier log at --db PATH (without "
		"it, an existing\n"
		"               PATH is refused; only a hindsight log is ever "
		"removed)\n",
		MAX_SHIPS, MAX_THREADS, DEFAULT_DB);
}

static bool number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int parse_args(int argc, char **argv, args *a)
{
	const char *opt = NULL;

	a->ships = 1000;
	a->days = 60;
	a->threads = 4;
	a->seed = 1;
	a->db = DEFAULT_DB;
	a->fresh = false;
	for (int i = 1; i < argc; i++) {
		const char *val = NULL, *eq;
		char name[16];
		size_t n;
		bool ok = true;
		long v;

		opt = argv[i];
		eq = strchr(opt, '=');
		n = eq != NULL ? (size_t)(eq - opt) : strlen(opt);

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(opt, "--fresh") == 0) {
			a->fresh = true;
			continue;
		}
		if (n >= sizeof(name) || strncmp(opt, "--", 2) != 0)
			goto bad;
		memcpy(name, opt, n);
		name[n] = '\0';
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			goto bad;
		if (strcmp(name, "--ships") == 0)
			ok = number(val, 1, MAX_SHIPS, &a->ships);
		else if (strcmp(name, "--days") == 0)
			ok = number(val, 1, 3650, &a->days);
		else if (strcmp(name, "--threads") == 0)
			ok = number(val, 1, MAX_THREADS, &a->threads);
		else if (strcmp(name, "--seed") == 0) {
			ok = number(val, 0, LONG_MAX, &v);
			a->seed = (uint64_t)v;
		} else if (strcmp(name, "--db") == 0 && val[0] != '\0')
			a->db = val;
		else
			goto bad;
		if (!ok)
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "hs-ships: bad or incomplete option '%s'\n", opt);
	usage(stderr);
	return -1;
}
