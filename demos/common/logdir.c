/*
 * A demo's log directory (see logdir.h).
 */
#define _XOPEN_SOURCE 700 /* nftw */

#include "common/logdir.h"

#include <hindsight.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* mkdir -p of the directories above path. */
static int make_parents(const char *prog, const char *path)
{
	char buf[4096];

	strcpy(buf, path); /* logdir_stat checked the length */
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "%s: cannot create %s: %s\n", prog,
				buf, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int logdir_stat(const char *prog, const char *path, struct stat *st)
{
	if (strlen(path) >= 4096) {
		fprintf(stderr, "%s: --db path too long\n", prog);
		return -1;
	}
	if (stat(path, st) == 0)
		return 1;
	if (errno != ENOENT) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	return make_parents(prog, path);
}

static int first_record(void *udata, const hs_record *rec)
{
	snprintf(udata, HS_NAME_MAX + 1, "%s", rec->agent.type);
	return 1;
}

int logdir_check(const char *path, const char *type, char *err, size_t cap)
{
	char first[HS_NAME_MAX + 1] = "";
	hs_filter f = {.limit = 1};
	hs_options o;
	hs_runtime *rt;
	int rc;

	/* Opening it for writing tells a hindsight log from anything else
	 * (HS_ENOTLOG, nothing changed) and from a log in use (HS_EBUSY). */
	hs_options_init(&o);
	o.path = path;
	o.workers = 1;
	err[0] = '\0';
	if ((rc = hs_open_err(&rt, &o, err, cap)) == 0) {
		if (type != NULL)
			rc = hs_history(rt, &f, first_record, first);
		if (rc < 0)
			hs_last_error(rt, err, cap);
		else if (first[0] != '\0' && strcmp(first, type) != 0) {
			snprintf(err, cap, "its agents are of type \"%s\"",
				 first);
			rc = HS_ETYPE;
		}
		hs_close(rt);
	}
	if (rc >= 0)
		return 0;
	if (err[0] == '\0')
		snprintf(err, cap, "%s", hs_strerror(rc));
	return rc;
}

/* The demo's name, for remove_entry's messages: nftw passes its callback
 * no pointer of the caller's. */
static const char *tree_prog;

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0) {
		fprintf(stderr, "%s: cannot remove %s: %s\n", tree_prog, path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int logdir_remove(const char *prog, const char *path)
{
	tree_prog = prog;
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return -1;
	return 0;
}
