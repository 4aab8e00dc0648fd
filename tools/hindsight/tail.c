/*
 * hindsight tail: the newest records; with -f, follows a log that a
 * running program is writing.
 *
 * A read-only RocksDB handle sees the log as it was when opened, so -f
 * reopens it every interval (default 200 ms) and prints what came after
 * the last record it printed. Read-only opens take no lock: the writer is
 * never in their way, nor they in its.
 */
#include "cli.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_tail = {
	.name = "tail",
	.synopsis = "DB [-n N] [-f] [--interval MS] [--json]",
	.summary = "The newest records; with -f, follow a log being "
		   "written.",
	.help = "options:\n"
		"  -n, --lines N      show the last N records first (default "
		"10; 0 for none)\n"
		"  -f, --follow       then wait for new records and print "
		"them as they come,\n"
		"                     until interrupted (Ctrl-C, SIGTERM: "
		"exit 0)\n"
		"      --interval MS  how often -f looks (default 200)\n"
		"      --json         JSON Lines, as `hindsight export`\n"
		"Another process shares only the files: -f reopens the log. "
		"A program\nfollows its own log in-process with "
		"hs_subscribe() (no polling).\n",
	.run = run,
};

enum { OPT_LINES = 1, OPT_FOLLOW, OPT_INTERVAL, OPT_JSON };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

typedef struct tailer {
	cli_db *db;
	bool json;
	uint64_t seen; /* the last gseq printed */
	hs_buf out;
	int bad;
} tailer;

static int on_event(void *udata, uint64_t gseq, const void *data, size_t len)
{
	tailer *t = udata;
	hsi_record r;
	hsi_named_record cr;
	int rc = hsi_record_decode(data, len, &r);

	if (rc == 0 && r.gseq != gseq)
		rc = HS_ECORRUPT;
	if (rc != 0) {
		cli_flush(&t->out);
		cli_error(t->db->cmd, "%s: events key %016" PRIx64 ": %s",
			  t->db->path, gseq,
			  rc == HS_EVERSION ? "record of a newer format"
					    : "record does not decode");
		t->bad = 1;
		return 1;
	}
	hsi_name_record(&cr, &r);
	rc = t->json ? cli_put_record_json(&t->out, &cr.pub, 0)
		     : cli_put_record_line(&t->out, &cr.pub);
	if (rc == 0)
		rc = cli_put(&t->out, "\n");
	if (rc != 0)
		return rc;
	t->seen = gseq;
	if (t->out.len >= 1 << 16 && cli_flush(&t->out) != 0) {
		t->bad = 1;
		return 1;
	}
	return 0;
}

/* Prints the records after t->seen up to `last`. */
static int print_new(tailer *t, uint64_t last)
{
	int rc = 0;

	if (last > t->seen)
		rc = hsi_log_scan_events(t->db->log, t->seen + 1, last, false,
					 on_event, t);
	if (t->bad)
		return CLI_EXIT_USAGE;
	if (rc != 0) {
		char err[700];

		hsi_log_error(t->db->log, err, sizeof(err));
		cli_error(t->db->cmd, "%s", err);
		return CLI_EXIT_USAGE;
	}
	if (cli_flush(&t->out) != 0 || fflush(stdout) != 0)
		return CLI_EXIT_USAGE;
	return 0;
}

static void nap(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	/* A signal cuts it short (no SA_RESTART): stop is seen at once. */
	nanosleep(&ts, NULL);
}

static int follow(tailer *t, unsigned interval)
{
	struct sigaction sa;
	unsigned failures = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		nap(interval);
		if (stop)
			break;
		/* A fresh read-only handle sees what was written since. */
		char err[1024];
		hsi_log *log;
		int rc = hsi_log_open(t->db->path, HSI_LOG_READONLY, &log, err,
				      sizeof(err));

		if (rc == HS_ENOTFOUND || rc == HS_ENOTLOG ||
		    rc == HS_EVERSION) {
			cli_error(t->db->cmd, "%s", err);
			return CLI_EXIT_USAGE;
		}
		if (rc != 0) {
			/* The writer may be switching files under us: try
			 * again, and say so if it lasts. */
			if (++failures == 25)
				cli_error(t->db->cmd,
					  "still cannot reopen the log: %s",
					  err);
			continue;
		}
		failures = 0;
		hsi_log_close(t->db->log);
		t->db->log = log;
		rc = print_new(t, hsi_log_last_gseq(log));
		if (rc != 0)
			return rc;
	}
	return CLI_EXIT_OK;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"lines", 'n', true, OPT_LINES},
		{"follow", 'f', false, OPT_FOLLOW},
		{"interval", 0, true, OPT_INTERVAL},
		{"json", 0, false, OPT_JSON},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_tail;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *val;
	uint64_t lines = 10, interval = 200;
	bool f = false;
	tailer t = {0};
	cli_args a;
	int id, rc;

	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		switch (id) {
		case OPT_LINES:
			if (cli_parse_u64(val, &lines) != 0)
				return cli_usage(cmd, "--lines: '%s' is not a "
						      "count",
						 val);
			break;
		case OPT_FOLLOW:
			f = true;
			break;
		case OPT_INTERVAL:
			if (cli_parse_u64(val, &interval) != 0 ||
			    interval == 0 || interval > 3600000)
				return cli_usage(cmd, "--interval: '%s' is not "
						      "a time in ms (1 to "
						      "3600000)",
						 val);
			break;
		case OPT_JSON:
			t.json = true;
			break;
		}
	}
	if (id == CLI_ARG_STOP)
		return a.exit;

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, pos[0].val)) != 0)
		return rc;
	t.db = &db;
	uint64_t last = hsi_log_last_gseq(db.log);
	t.seen = last > lines ? last - lines : 0;
	rc = print_new(&t, last);
	if (rc == 0 && f)
		rc = follow(&t, (unsigned)interval);
	hs_buf_free(&t.out);
	cli_db_close(&db);
	return rc;
}
