/*
 * hindsight backup: a consistent copy of a log, as a RocksDB checkpoint
 * made through a read-only handle (hsi_log_checkpoint), so that it works
 * while a program has the log open for writing: SST files are hard links
 * on the same file system, the MANIFEST and the WAL are copied up to their
 * length at that moment, and the copy recovers as a prefix of whole write
 * batches, i.e. gseqs 1..N of the log.
 *
 * A writer in another process may delete a file the read-only handle
 * still lists (after a flush or a compaction): the checkpoint then fails,
 * or could in principle miss a WAL the writer retired meanwhile. So the
 * copy is opened afterwards and its gseqs checked to run 1..N without a
 * gap, N at least what the source showed; if not, or if the checkpoint
 * failed that way, the copy is removed and made again from a reopened
 * handle, a few times.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_backup = {
	.name = "backup",
	.synopsis = "DB DEST",
	.summary = "A consistent copy of a log (a RocksDB checkpoint).",
	.help = "Copies the log DB to DEST, which must not exist (its parent "
		"must). Works while\na program has DB open for writing: the "
		"copy holds the log as it was at one\nmoment, gseqs 1 to N "
		"with everything they wrote (index, snapshots, pending\n"
		"timers). Files that never change (SST) are hard links when "
		"DEST is on the same\nfile system as DB, and take no space "
		"until DB compacts them away; elsewhere\nthey are copied. "
		"The rest is copied.\n\n"
		"The copy is checked for gseqs 1..N without a gap before the "
		"command says ok;\n`hindsight check DEST` checks everything. "
		"To restore, stop the program and\nopen the copy (move it to "
		"the program's hs_options.path, or point the path\nat it): "
		"it is a log like any other.\n",
	.run = run,
};

/* Attempts at a copy while a writer retires files under our feet. */
#define ATTEMPTS 5

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a directory tree that this command made. */
static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct gap_scan {
	uint64_t next; /* the gseq expected next */
} gap_scan;

static int on_event(void *udata, uint64_t gseq, const void *rec, size_t len)
{
	gap_scan *g = udata;

	(void)rec;
	(void)len;
	if (gseq != g->next)
		return 1;
	g->next++;
	return 0;
}

/*
 * Opens the copy and checks that its gseqs run 1..N without a gap, N >=
 * min_last. Returns 0 with N in *last; 1 when the copy is not whole (try
 * again), with the reason in why; 2 when it does not open (printed).
 */
static int check_copy(const cli_cmd *cmd, const char *dest,
		      uint64_t min_last, uint64_t *last, char *why,
		      size_t cap)
{
	hsi_log *log;
	char err[1024];
	gap_scan g = {1};
	int rc = hsi_log_open(dest, HSI_LOG_READONLY, &log, err, sizeof(err));

	if (rc != 0) {
		cli_error(cmd, "the copy does not open: %s", err);
		return CLI_EXIT_USAGE;
	}
	uint64_t n = hsi_log_last_gseq(log);
	rc = n == 0 ? 0 : hsi_log_scan_events(log, 1, n, false, on_event, &g);
	if (rc < 0) {
		hsi_log_error(log, err, sizeof(err));
		hsi_log_close(log);
		cli_error(cmd, "the copy does not read: %s", err);
		return CLI_EXIT_USAGE;
	}
	hsi_log_close(log);
	if (rc == 1 || g.next != n + 1) {
		snprintf(why, cap, "its gseqs have a gap at %" PRIu64, g.next);
		return 1;
	}
	if (n < min_last) {
		snprintf(why, cap,
			 "it ends at gseq %" PRIu64 ", before %" PRIu64, n,
			 min_last);
		return 1;
	}
	*last = n;
	return 0;
}

/* Files in dir, and how many of them have another link (shared with the
 * log). */
static void count_files(const char *dir, unsigned *files, unsigned *linked,
			uint64_t *copied_bytes)
{
	char path[4096];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	*files = *linked = 0;
	*copied_bytes = 0;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		(*files)++;
		if (st.st_nlink > 1)
			(*linked)++;
		else
			*copied_bytes += (uint64_t)st.st_size;
	}
	closedir(d);
}

static int run(int argc, char **argv)
{
	const cli_cmd *cmd = &cli_cmd_backup;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL},
			 {"missing DEST (where the copy goes; it must not "
			  "exist)",
			  NULL}};
	static const cli_opt opts[] = {{NULL, 0, 0, 0}};
	const char *val;
	char tmp[4096], why[200] = "";
	struct stat st;
	cli_args a;
	int id, rc;

	cli_args_init(&a, cmd, opts, pos, 2, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0)
		;
	if (id == CLI_ARG_STOP)
		return a.exit;
	const char *path = pos[0].val, *dest = pos[1].val;

	if (lstat(dest, &st) == 0) {
		cli_error(cmd,
			  "%s already exists: a backup goes to a new path "
			  "(remove it, or name another)",
			  dest);
		return CLI_EXIT_USAGE;
	}
	if (errno != ENOENT) {
		cli_error(cmd, "%s: %s", dest, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	/* Its parent must be a directory. */
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", dest);
	char *slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), ".");
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_error(cmd, "%s: %s is not a directory (the copy goes "
			       "into an existing one)",
			  dest, parent);
		return CLI_EXIT_USAGE;
	}
	/* RocksDB builds the copy in DEST.tmp and renames it: a leftover
	 * one is not ours to remove. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
	if (lstat(tmp, &st) == 0) {
		cli_error(cmd,
			  "%s exists (a backup that was interrupted?): "
			  "remove it first",
			  tmp);
		return CLI_EXIT_USAGE;
	}

	cli_db db;
	uint64_t last = 0, seen = 0;
	int attempt;
	for (attempt = 1;; attempt++) {
		char err[1024];

		/* A read-only open reads the WAL files the MANIFEST names,
		 * which the writer may retire meanwhile: try again quietly,
		 * and let cli_db_open say what is wrong otherwise. */
		memset(&db, 0, sizeof(db));
		db.cmd = cmd;
		db.path = path;
		rc = hsi_log_open(path, HSI_LOG_READONLY, &db.log, err,
				  sizeof(err));
		if (rc != 0) {
			db.log = NULL;
			if (rc == HS_EIO && strstr(err, "No such file") &&
			    attempt < ATTEMPTS)
				continue;
			return cli_db_open(&db, cmd, path);
		}
		seen = hsi_log_last_gseq(db.log);
		rc = hsi_log_checkpoint(db.log, dest);
		if (rc != 0) {
			hsi_log_error(db.log, err, sizeof(err));
			cli_db_close(&db);
			if (lstat(tmp, &st) == 0)
				rm_tree(tmp);
			if ((rc == HS_ENOTFOUND || rc == HS_EIO) &&
			    attempt < ATTEMPTS)
				continue;
			cli_error(cmd, "%s", err);
			return CLI_EXIT_USAGE;
		}
		cli_db_close(&db);
		rc = check_copy(cmd, dest, seen, &last, why, sizeof(why));
		if (rc == 0)
			break;
		rm_tree(dest);
		if (rc != 1)
			return rc;
		if (attempt == ATTEMPTS) {
			cli_error(cmd,
				  "%d copies of %s were not whole (the last: "
				  "%s); is a writer retiring files very fast?",
				  ATTEMPTS, path, why);
			return CLI_EXIT_USAGE;
		}
	}

	unsigned files, linked;
	uint64_t copied;
	hs_buf out = HS_BUF_INIT;
	count_files(dest, &files, &linked, &copied);
	cli_putf(&out, "ok: %s -> %s: %" PRIu64 " record%s", path, dest, last,
		 last == 1 ? "" : "s");
	if (last > 0)
		cli_putf(&out, " (gseq 1 to %" PRIu64 ")", last);
	cli_putf(&out, ", %u files, %u hard-linked, %" PRIu64 " bytes copied",
		 files, linked, copied);
	if (attempt > 1)
		cli_putf(&out, " (attempt %d: a writer retired files under "
			       "the earlier ones)",
			 attempt);
	cli_put(&out, "\n");
	rc = cli_flush(&out) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	hs_buf_free(&out);
	return rc;
}
