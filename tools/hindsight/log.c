/* hindsight log: the records that pass the filters, one a line. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codec/base64.h"
#include "log/keys.h"

static int run(int argc, char **argv)
{
	return cli_log_records(&cli_cmd_log, argc, argv, false);
}

const cli_cmd cli_cmd_log = {
	.name = "log",
	.synopsis = "DB [--agent TYPE/ID] [--type T] [--event E]\n"
		    "         [--since TIME] [--until TIME] [--from GSEQ] "
		    "[--to GSEQ]\n"
		    "         [--reverse] [--limit N] [--json]",
	.summary = "Records, human-readable or as JSON Lines.",
	.help = "options:\n" CLI_FILTER_HELP
		"      --json            JSON Lines: one object a record, the "
		"event body as JSON\n"
		"                        (the keys: see `hindsight export "
		"--help`)\n\n"
		"A line: gseq 12  2026-11-22T10:00:00.000000000Z  "
		"ship/Gloria #3  depart\n"
		"{\"port\":\"Malmo\"}  caused by ship/x #2 (gseq 11)\n\n"
		CLI_TIME_HELP,
	.run = run,
};

typedef struct printer {
	const cli_cmd *cmd;
	bool json;
	bool snapshots; /* export --snapshots */
	FILE *to;       /* stdout, or an archive */
	hsi_log *log;
	hs_buf out, snap;
	uint64_t n, nsnap;
	cli_progress progress;
	int werr;
	int failed; /* a problem was printed: exit 2 */
} printer;

/* export --snapshots: after a record, the snapshot stored at its seq, if
 * any, as {"snapshot":{"type","id","seq","state"}} with the state's exact
 * msgpack bytes in base64 (a JSON rendering would not give them back).
 * A snapshot whose hash is not its record's state hash is refused here
 * rather than written for import to refuse. */
static int put_snapshot(printer *p, const hs_record *r)
{
	const char *t = r->agent.type, *i = r->agent.id;
	size_t tn = strlen(t), in = strlen(i);
	char key[HSI_KEY_TEXT_MAX], err[700];
	int rc;

	hs_buf_reset(&p->snap);
	rc = hsi_log_get_snapshot(p->log, t, tn, i, in, r->seq, &p->snap);
	if (rc == HS_ENOTFOUND)
		return 0;
	if (rc != 0) {
		hsi_log_error(p->log, err, sizeof(err));
		cli_progress_end(&p->progress);
		cli_error(p->cmd, "%s", err);
		p->failed = 1;
		return 1;
	}
	uint64_t h = hsi_state_hash(p->snap.data, p->snap.len);
	if (h != r->state_hash) {
		hsi_key_text(t, tn, i, in, r->seq, key, sizeof(key));
		cli_progress_end(&p->progress);
		cli_error(p->cmd,
			  "snapshots key %s: its hash %016" PRIx64
			  " is not the state hash %016" PRIx64
			  " of its record (gseq %" PRIu64
			  "): a corrupt log (hindsight check tells more)",
			  key, h, r->state_hash, r->gseq);
		p->failed = 1;
		return 1;
	}
	if ((rc = cli_put(&p->out, "{\"snapshot\":{\"type\":")) != 0 ||
	    (rc = cli_put_json_str(&p->out, t, tn)) != 0 ||
	    (rc = cli_put(&p->out, ",\"id\":")) != 0 ||
	    (rc = cli_put_json_str(&p->out, i, in)) != 0 ||
	    (rc = cli_putf(&p->out, ",\"seq\":%" PRIu64 ",\"state\":\"",
			   r->seq)) != 0 ||
	    (rc = hsi_base64_put(&p->out, p->snap.data, p->snap.len)) != 0 ||
	    (rc = cli_put(&p->out, "\"}}\n")) != 0)
		return rc;
	p->nsnap++;
	return 0;
}

static int on_record(void *udata, const hs_record *r)
{
	printer *p = udata;
	int rc = p->json ? cli_put_record_json(&p->out, r, 0)
			 : cli_put_record_line(&p->out, r);

	if (rc == 0)
		rc = cli_put(&p->out, "\n");
	if (rc == 0 && p->snapshots)
		rc = put_snapshot(p, r);
	if (rc != 0)
		return rc;
	p->n++;
	cli_progress_tick(&p->progress, p->n);
	if (p->out.len >= 1 << 16 && cli_flush_to(&p->out, p->to) != 0) {
		p->werr = 1;
		return 1;
	}
	return 0;
}

static int count_timer(void *udata, const void *key, size_t key_len,
		       const void *val, size_t len)
{
	(void)key, (void)key_len, (void)val, (void)len;
	++*(uint64_t *)udata;
	return 0;
}

/* Records are exported, pending timers are not: says so on stderr. */
static void warn_timers(const cli_cmd *cmd, cli_db *db)
{
	uint64_t n = 0;
	if (hsi_log_scan_timers(db->log, count_timer, &n) == 0 && n != 0)
		fprintf(stderr,
			"hindsight %s: warning: %s has %" PRIu64
			" pending timer%s, which the export does not carry: "
			"a log imported from it will not fire %s\n",
			cmd->name, db->path, n, n == 1 ? "" : "s",
			n == 1 ? "it" : "them");
}

/* Whether any filter option was given. */
static int print_records(printer *p, cli_db *db, const hs_filter *f);

static bool filtered(const cli_filter *cf)
{
	const hs_filter *f = &cf->f;

	return f->type != NULL || f->event_type != NULL || f->has_since ||
	       f->has_until || f->from_gseq != 0 || f->to_gseq != 0 ||
	       f->reverse || f->limit != 0;
}

int cli_log_records(const cli_cmd *cmd, int argc, char **argv, bool export)
{
	static const cli_opt log_opts[] = {
		CLI_FILTER_OPTS,
		{"json", 0, false, 1},
		{NULL, 0, 0, 0},
	};
	static const cli_opt export_opts[] = {
		CLI_FILTER_OPTS,
		{"json", 0, false, 1},
		{"snapshots", 0, false, 2},
		{NULL, 0, 0, 0},
	};
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *val;
	cli_filter cf;
	printer p = {.cmd = cmd, .json = export, .to = stdout};
	cli_args a;
	int id, rc;

	memset(&cf, 0, sizeof(cf));
	cli_args_init(&a, cmd, export ? export_opts : log_opts, pos, 1, argc,
		      argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		if (id == 1)
			p.json = true;
		else if (id == 2)
			p.snapshots = true;
		else if ((rc = cli_filter_opt(&cf, cmd, id, val)) != 0)
			return rc;
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	const char *path = pos[0].val;
	if ((rc = cli_filter_done(&cf, cmd)) != 0)
		return rc;
	/* Snapshot lines are for import, which takes only a whole log. */
	if (p.snapshots && filtered(&cf))
		return cli_usage(cmd, "--snapshots exports a whole log (for "
				      "hindsight import, which takes only "
				      "that): it does not go with filters");

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0)
		return rc;
	if ((cf.has_agent &&
	     (rc = cli_db_agent(&db, &cf.agent, NULL, NULL)) != 0) ||
	    (rc = cli_db_runtime(&db, NULL, false)) != 0) {
		cli_db_close(&db);
		return rc;
	}
	if (hsi_log_base_gseq(db.log) != 0 && cf.f.from_gseq == 0 && !cf.has_agent)
		fprintf(stderr,
			"hindsight %s: note: %s was cut: the records up to gseq "
			"%" PRIu64 " are archived\n",
			cmd->name, path, hsi_log_base_gseq(db.log));
	rc = print_records(&p, &db, &cf.f);
	if (rc == 0 && export)
		warn_timers(cmd, &db);
	cli_db_close(&db);
	return rc;
}

/* Prints the records through the filter with p; the exit code. */
static int print_records(printer *p, cli_db *db, const hs_filter *f)
{
	p->log = db->log;
	cli_progress_start(&p->progress, "records",
			   f->id == NULL ? hsi_log_last_gseq(db->log) : 0);
	int rc = hs_history(db->rt, f, on_record, p);
	cli_progress_end(&p->progress);
	if (rc == 0 && cli_flush_to(&p->out, p->to) != 0)
		p->werr = 1;
	if (p->werr) {
		cli_error(p->cmd, "cannot write the output");
		rc = CLI_EXIT_USAGE;
	} else if (p->failed) {
		rc = CLI_EXIT_USAGE;
	} else if (rc == HS_ENOMEM) {
		cli_error(p->cmd, "out of memory");
		rc = CLI_EXIT_USAGE;
	} else if (rc != 0) {
		rc = cli_db_fail(db, rc, "reading the records");
	}
	hs_buf_free(&p->out);
	hs_buf_free(&p->snap);
	return rc;
}

int cli_export_range(const cli_cmd *cmd, cli_db *db, uint64_t from,
		     uint64_t to, FILE *f, uint64_t *records,
		     uint64_t *snapshots)
{
	printer p = {.cmd = cmd, .json = true, .snapshots = true, .to = f};
	hs_filter filter = {.from_gseq = from, .to_gseq = to};
	int rc = print_records(&p, db, &filter);

	*records = p.n;
	*snapshots = p.nsnap;
	return rc;
}
