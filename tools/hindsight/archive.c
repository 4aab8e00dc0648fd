/*
 * hindsight archive: retention. Writes the records before a gseq to an
 * archive file (JSON Lines, as `export --snapshots`), then cuts them from
 * the log (hsi_cut): each agent keeps its state at the cut as its base,
 * and the space is given back. The log must not be open for writing
 * elsewhere: the command holds RocksDB's lock while it works.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "retain/cut.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_archive = {
	.name = "archive",
	.synopsis = "DB (--before GSEQ | --before-time TIME) (--to FILE | "
		    "--discard)\n         --types LIB.so",
	.summary = "Retention: archive and drop the records before a gseq.",
	.help = "options:\n"
		"      --before GSEQ   the first record kept; the records "
		"before it go\n"
		"      --before-time TIME\n"
		"                      the first record kept is the first "
		"whose time is TIME or\n"
		"                      later (RFC 3339 or integer ns)\n"
		"      --to FILE       write them there first (a new file), "
		"as JSON Lines with\n"
		"                      their snapshots, as `hindsight export "
		"--snapshots` does\n"
		"      --discard       drop them without an archive\n"
		"      --types LIB.so  a types plugin with the agent types' code "
		"(required: each\n"
		"                      agent's state at the cut is rebuilt by "
		"replay)\n"
		CLI_TRUST_TYPES_HELP
		"\nEvery agent with a record before GSEQ keeps its state there "
		"as its base: a\nsnapshot that its later records build on. "
		"Queries at or after the cut answer\nexactly as before; "
		"earlier ones fail with \"archived\". gseqs go on from the "
		"log's\nend, and the disk space of the dropped records is "
		"given back.\n\n"
		"The cut is refused, and nothing changes, if today's code "
		"rebuilds a state whose\nhash is not the recorded one "
		"(`hindsight verify` shows where), if an agent's\ntype is "
		"not in the plugin, or if a program has the log open for "
		"writing.\n\n"
		"An archive is a whole log's export from where the previous "
		"cut left off:\n  cat first.jsonl second.jsonl | hindsight "
		"import - OLD\nmakes a log OLD that answers every query "
		"before the last cut.\n",
	.run = run,
};

enum { OPT_BEFORE = 1, OPT_BEFORE_TIME, OPT_TO, OPT_DISCARD, OPT_TYPES };

typedef struct time_cut {
	int64_t time_ns;
	uint64_t gseq; /* the first record at or after time_ns, or 0 */
	int rc;
} time_cut;

static int on_event(void *udata, uint64_t gseq, const void *data, size_t len)
{
	time_cut *c = udata;
	hsi_record r;

	if ((c->rc = hsi_record_decode(data, len, &r)) != 0)
		return 1;
	if (r.time_ns < c->time_ns)
		return 0;
	c->gseq = gseq;
	return 1;
}

/* The gseq a cut before a time starts at: the first record at or after
 * it (one past the end when there is none). */
static int gseq_at_time(cli_db *db, int64_t time_ns, uint64_t *out)
{
	time_cut c = {.time_ns = time_ns};
	uint64_t last = hsi_log_last_gseq(db->log);
	int rc = hsi_log_scan_events(db->log, hsi_log_base_gseq(db->log) + 1,
				     last, false, on_event, &c);
	if (rc < 0 || c.rc != 0) {
		char err[700];

		hsi_log_error(db->log, err, sizeof(err));
		cli_error(db->cmd, "%s", rc < 0 ? err : "a record does not "
						       "decode (hindsight "
						       "check tells more)");
		return CLI_EXIT_USAGE;
	}
	*out = c.gseq != 0 ? c.gseq : last + 1;
	return 0;
}

/* Creates the archive (it must not exist). */
static FILE *create_archive(const cli_cmd *cmd, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		cli_error(cmd, "%s: %s%s", path, strerror(errno),
			  errno == EEXIST ? " (an archive is never "
					    "overwritten: choose another name)"
					  : "");
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		cli_error(cmd, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* Flushes the archive to the disk, with its directory entry, before the
 * log lets go of what it holds. */
static int sync_archive(const cli_cmd *cmd, const char *path, FILE *f)
{
	int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0) {
		char *copy = strdup(path);
		int dfd = copy != NULL ? open(dirname(copy), O_RDONLY) : -1;
		rc = dfd >= 0 && fsync(dfd) == 0 ? 0 : -1;
		if (dfd >= 0)
			close(dfd);
		free(copy);
	}
	if (rc != 0)
		cli_error(cmd, "%s: cannot write the archive: %s", path,
			  strerror(errno));
	return rc;
}

static int open_writer(const cli_cmd *cmd, const char *path, hsi_log **out)
{
	char err[1024];
	int rc = hsi_log_open(path, 0, out, err, sizeof(err));
	if (rc == HS_EBUSY)
		cli_error(cmd, "%s (a program has the log open for writing: "
			       "stop it first; a cut needs the log to itself)",
			  err);
	else if (rc != 0)
		cli_error(cmd, "%s", err);
	return rc == 0 ? 0 : CLI_EXIT_USAGE;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"before", 0, true, OPT_BEFORE},
		{"before-time", 0, true, OPT_BEFORE_TIME},
		{"to", 0, true, OPT_TO},
		{"discard", 0, false, OPT_DISCARD},
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_archive;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *types = NULL, *to = NULL, *val, *why;
	bool discard = false, by_time = false, trust = false;
	uint64_t before = 0;
	int64_t before_ns = 0;
	int id, rc;
	cli_args a;

	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		switch (id) {
		case OPT_BEFORE:
			if (cli_parse_u64(val, &before) != 0 || before == 0)
				return cli_usage(cmd, "--before takes a gseq "
						      "(an integer >= 1), "
						      "not '%s'",
						 val);
			break;
		case OPT_BEFORE_TIME:
			if (cli_parse_time(val, &before_ns, &why) != 0)
				return cli_usage(cmd, "--before-time: %s", why);
			by_time = true;
			break;
		case OPT_TO:
			to = val;
			break;
		case OPT_DISCARD:
			discard = true;
			break;
		case OPT_TYPES:
			types = val;
			break;
		case CLI_OPT_TRUST_TYPES:
			trust = true;
			break;
		}
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	if ((before == 0) == !by_time)
		return cli_usage(cmd, "give --before GSEQ or --before-time "
				      "TIME (the first record to keep), one "
				      "of the two");
	if ((to == NULL) == !discard)
		return cli_usage(cmd, "give --to FILE (where the records go) "
				      "or --discard (drop them), one of "
				      "the two");
	if (types == NULL)
		return cli_usage(cmd, "archive needs --types LIB.so: each "
				      "agent's state at the cut is rebuilt "
				      "by its type's apply()");
	const char *path = pos[0].val;

	hsi_log *wlog;
	if ((rc = open_writer(cmd, path, &wlog)) != 0)
		return rc;
	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0) {
		hsi_log_close(wlog);
		return rc;
	}
	if ((rc = cli_db_runtime(&db, types, trust)) != 0 ||
	    (by_time && (rc = gseq_at_time(&db, before_ns, &before)) != 0))
		goto out;
	uint64_t base = hsi_log_base_gseq(db.log);
	uint64_t last = hsi_log_last_gseq(db.log);
	if (before <= base + 1 || before > last + 1) {
		cli_error(cmd, "%s: --before %" PRIu64 ": the log holds gseqs "
			       "%" PRIu64 " to %" PRIu64 ", so a cut lies "
			       "after %" PRIu64 " and at most at %" PRIu64,
			  path, before, base + 1, last, base + 1, last + 1);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	uint64_t records = 0, snapshots = 0;
	if (to != NULL) {
		FILE *f = create_archive(cmd, to);
		if (f == NULL) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		rc = cli_export_range(cmd, &db, base + 1, before - 1, f,
				      &records, &snapshots);
		if (rc != 0) {
			fclose(f);
			unlink(to);
			goto out;
		}
		if (sync_archive(cmd, to, f) != 0) {
			unlink(to);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	hsi_cut_report rep;
	if ((rc = hsi_cut(db.rt, wlog, before, &rep)) != 0) {
		rc = cli_db_fail(&db, rc, "the cut");
		if (to != NULL)
			unlink(to); /* nothing was cut: the log has it all */
		goto out;
	}
	printf("%s: cut before gseq %" PRIu64 ": %" PRIu64 " record%s "
	       "(gseq %" PRIu64 "-%" PRIu64 ") %s; %" PRIu64
	       " agent%s keep their state there as a base\n",
	       path, before, rep.events, rep.events == 1 ? "" : "s",
	       rep.from_gseq, before - 1,
	       to != NULL ? "archived" : "discarded", rep.bases,
	       rep.bases == 1 ? "" : "s");
	if (to != NULL)
		printf("%s: %" PRIu64 " record%s and %" PRIu64
		       " snapshot%s\n",
		       to, records, records == 1 ? "" : "s", snapshots,
		       snapshots == 1 ? "" : "s");
	if (rep.unchecked != 0)
		printf("note: %" PRIu64 " base%s rebuilt from records of an "
		       "older state version: their hash could not be "
		       "compared with the recorded one\n",
		       rep.unchecked, rep.unchecked == 1 ? "" : "s");
	rc = CLI_EXIT_OK;
out:
	cli_db_close(&db);
	hsi_log_close(wlog);
	return rc;
}
