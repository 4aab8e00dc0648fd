/*
 * hindsight import: builds a new log from JSON Lines as `hindsight export`
 * writes them. Records keep their gseq, seq, time, cause and state hash;
 * index entries and meta type keys are written with them, and the
 * snapshot lines of `export --snapshots` become snapshots. The input must
 * be a complete log: gseq 1, 2, ... in order, each agent's seq 1, 2, ...
 * with times that never go back, causes that name earlier records, each
 * snapshot right after its record and hashing to its state hash.
 *
 * The log is built in a temporary directory beside the target and renamed
 * into place at the end, so that a failed import leaves nothing behind and
 * nobody sees a half-built log. This file: the command, the target
 * directory, the lines; import_parse.c and import_write.c do the rest.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "import.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_import = {
	.name = "import",
	.synopsis = "DB [FILE] < in.jsonl",
	.summary = "Build a new log from JSON Lines made by `hindsight "
		   "export`.",
	.help = "Reads FILE (default: standard input, also `-`) and writes a "
		"new log at DB, which\nmust not exist yet, be an empty "
		"directory, or an empty log. Each line is one\nrecord as "
		"`hindsight export` writes it (see `hindsight export "
		"--help`); `time`\nmay stand in for `time_ns`. Records keep "
		"their gseq, seq, time, cause and state\nhash; the index is "
		"rebuilt.\n\n"
		"Snapshots come from the lines of `hindsight export "
		"--snapshots`:\n"
		"  {\"snapshot\":{\"type\":..,\"id\":..,\"seq\":..,"
		"\"state\":\"BASE64\"}}\n"
		"each right after the record of its agent and seq, its state "
		"one msgpack value\nwhose FNV-1a 64 is that record's "
		"state_hash. Without them the new log rebuilds\nevery state "
		"from the agent's first record.\n\n"
		"The input must be a whole log in gseq order. A malformed "
		"line is named with its\nline and column and nothing is "
		"written (exit 2).\n",
	.run = run,
};

int cli_import_line_error(cli_importer *im, const char *fmt, ...)
{
	va_list ap;
	char msg[600];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_progress_end(&im->progress);
	cli_error(im->cmd, "%s:%" PRIu64 ": %s", im->input, im->line, msg);
	return CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* The target directory                                                 */
/* ------------------------------------------------------------------ */

static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[4096];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (unlink(p) != 0 && errno == EISDIR)
			remove_dir(p);
	}
	closedir(d);
	rmdir(path);
}

static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Decides where to build: a temporary directory beside a new target, or
 * in place in an existing empty log. */
static int prepare(cli_importer *im)
{
	struct stat st;
	char err[1024];
	int rc;

	if (stat(im->target, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			cli_error(im->cmd,
				  "%s exists and is not a directory: import "
				  "builds a new log (give a path that does "
				  "not exist)",
				  im->target);
			return CLI_EXIT_USAGE;
		}
		if (dir_empty(im->target) != 1) {
			hsi_log *old;

			rc = hsi_log_open(im->target, HSI_LOG_READONLY, &old,
					  err, sizeof(err));
			if (rc != 0) {
				cli_error(im->cmd,
					  "%s is not empty and not a "
					  "hindsight log: import builds a new "
					  "log (give a path that does not "
					  "exist)",
					  im->target);
				return CLI_EXIT_USAGE;
			}
			uint64_t n = hsi_log_last_gseq(old);
			hsi_log_close(old);
			if (n != 0) {
				cli_error(im->cmd,
					  "%s already holds a log with %" PRIu64
					  " records: import builds a new log "
					  "(give a path that does not exist)",
					  im->target, n);
				return CLI_EXIT_USAGE;
			}
			/* An empty log: fill it in place. */
			rc = hsi_log_open(im->target, 0, &im->log, err,
					  sizeof(err));
			if (rc != 0) {
				cli_error(im->cmd, "%s", err);
				return CLI_EXIT_USAGE;
			}
			return 0;
		}
	} else if (errno != ENOENT) {
		cli_error(im->cmd, "%s: %s", im->target, strerror(errno));
		return CLI_EXIT_USAGE;
	}

	size_t n = strlen(im->target);
	while (n > 1 && im->target[n - 1] == '/')
		n--;
	im->tmp = malloc(n + 32);
	if (im->tmp == NULL) {
		cli_error(im->cmd, "out of memory");
		return CLI_EXIT_USAGE;
	}
	snprintf(im->tmp, n + 32, "%.*s.import-XXXXXX", (int)n, im->target);
	if (mkdtemp(im->tmp) == NULL) {
		cli_error(im->cmd, "cannot make a directory beside %s: %s",
			  im->target, strerror(errno));
		free(im->tmp);
		im->tmp = NULL;
		return CLI_EXIT_USAGE;
	}
	rc = hsi_log_open(im->tmp, HSI_LOG_CREATE, &im->log, err, sizeof(err));
	if (rc != 0) {
		cli_error(im->cmd, "%s", err);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* Moves the finished log into place. */
static int finish(cli_importer *im)
{
	if (im->tmp == NULL)
		return 0;
	if (rename(im->tmp, im->target) != 0) {
		cli_error(im->cmd, "cannot move the new log to %s: %s",
			  im->target, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	/* Make the rename durable: fsync the directory that holds it. */
	char *dir = strdup(im->tmp), *slash;
	if (dir != NULL) {
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			strcpy(dir, ".");
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	free(im->tmp);
	im->tmp = NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */
/* ------------------------------------------------------------------ */

static int import_all(cli_importer *im, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	cli_import_line p;
	int rc = 0;

	cli_progress_start(&im->progress, "imported", 0);
	while ((n = getline(&line, &cap, in)) >= 0) {
		im->line++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n == 0) {
			rc = cli_import_line_error(im, "empty line (each line "
						       "is one record)");
			break;
		}
		if ((rc = cli_import_parse(im, line, (size_t)n, &p)) != 0)
			break;
		rc = p.is_snapshot ? cli_import_add_snapshot(im, &p.snap)
				   : cli_import_add_record(im, &p.rec);
		if (rc != 0)
			break;
		cli_progress_tick(&im->progress, im->gseq);
	}
	if (rc == 0 && ferror(in)) {
		cli_error(im->cmd, "%s: read error: %s", im->input,
			  strerror(errno));
		rc = CLI_EXIT_USAGE;
	}
	free(line);
	cli_progress_end(&im->progress);
	if (rc == 0)
		rc = cli_import_flush(im, true);
	if (rc == 0)
		rc = cli_import_check_causes(im);
	return rc;
}

static int run(int argc, char **argv)
{
	const cli_cmd *cmd = &cli_cmd_import;
	cli_pos pos[] = {{"missing DB (the new log's directory)", NULL},
			 {NULL, NULL}}; /* FILE, optional */
	const char *val;
	cli_importer im;
	cli_args a;
	FILE *in = stdin;
	int rc;

	cli_args_init(&a, cmd, NULL, pos, 2, argc, argv);
	if (cli_args_opt(&a, &val) == CLI_ARG_STOP) /* no options */
		return a.exit;
	const char *path = pos[0].val, *file = pos[1].val;
	if (file != NULL && strcmp(file, "-") != 0) {
		in = fopen(file, "r");
		if (in == NULL) {
			cli_error(cmd, "%s: %s", file, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	memset(&im, 0, sizeof(im));
	hsi_addr_map_init(&im.agents, sizeof(cli_import_agent));
	im.cmd = cmd;
	im.target = path;
	im.input = in == stdin ? "<stdin>" : file;
	rc = prepare(&im);
	if (rc == 0) {
		im.batch = hsi_log_batch_new();
		rc = im.batch != NULL ? import_all(&im, in)
				      : (cli_error(cmd, "out of memory"),
					 CLI_EXIT_USAGE);
	}
	hsi_log_batch_free(im.batch);
	hsi_log_close(im.log);
	im.log = NULL;
	if (rc == 0)
		rc = finish(&im);
	if (im.tmp != NULL) {
		remove_dir(im.tmp);
		free(im.tmp);
	}
	if (rc == 0 && im.snapshots == 0)
		fprintf(stderr, "hindsight import: %" PRIu64
				" records into %s\n",
			im.gseq, path);
	else if (rc == 0)
		fprintf(stderr,
			"hindsight import: %" PRIu64 " records and %" PRIu64
			" snapshot%s into %s\n",
			im.gseq, im.snapshots, im.snapshots == 1 ? "" : "s",
			path);
	if (in != stdin)
		fclose(in);
	hsi_addr_map_free(&im.agents);
	hs_buf_free(&im.types);
	hs_buf_free(&im.mp);
	hs_buf_free(&im.rec);
	hs_buf_free(&im.state);
	return rc;
}
