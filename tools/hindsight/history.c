/* hindsight history: every transition of one agent, with what changed. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "core/introspect.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_history = {
	.name = "history",
	.synopsis = "DB TYPE/ID [--types LIB.so] [--json]",
	.summary = "Every transition of an agent: time, event, what "
		   "changed.",
	.help = "options:\n"
		"      --types LIB.so  a types plugin with the agent type's "
		"code: replays the\n"
		"                      agent and shows the field-level change "
		"of each transition\n"
		CLI_TRUST_TYPES_HELP
		"      --json          JSON Lines: each record (as `hindsight "
		"export`) with\n"
		"                      \"state\" (after it) and \"diff\" (a "
		"list of {path, old, new})\n\n"
		"Without --types only the events are shown: what changed "
		"needs the agent type's\ncode (a types plugin; see "
		"docs/CLI.md). The first transition's change is\nshown "
		"against the type's initial state.\n",
	.run = run,
};

enum { OPT_TYPES = 1, OPT_JSON };

typedef struct walker {
	cli_db *db;
	bool json;
	bool states;
	hs_buf prev;
	hs_buf diff;
	hs_buf out;
	cli_progress progress;
	uint64_t n;
	int werr;
} walker;

static int on_record(void *udata, const hs_record *r)
{
	walker *w = udata;
	int rc = 0;

	if (w->states) {
		/* Before the first transition: the type's initial state
		 * (or, should init fail, nothing: an empty map). */
		if (w->prev.len == 0 &&
		    hsi_introspect_initial_state(w->db->rt, r->agent.type,
						 r->agent.id, &w->prev) != 0)
			cli_put(&w->prev, "\x80");
		hs_buf_reset(&w->diff);
		rc = hs_json_diff(&w->diff, w->prev.data, w->prev.len,
				  r->state, r->state_len);
		if (rc != 0)
			return rc;
	}
	if (w->json) {
		rc = cli_put_record_json(&w->out, r,
					 w->states ? CLI_JSON_OPEN : 0);
		if (rc == 0 && w->states) {
			rc = cli_put(&w->out, ",\"state\":");
			if (rc == 0)
				rc = hs_json(&w->out, r->state, r->state_len,
					     0);
			if (rc == 0)
				rc = cli_put(&w->out, ",\"diff\":");
			if (rc == 0)
				rc = hsi_buf_append(&w->out, w->diff.data,
						    w->diff.len);
			if (rc == 0)
				rc = cli_put(&w->out, "}");
		}
		if (rc == 0)
			rc = cli_put(&w->out, "\n");
	} else {
		char t[CLI_TIME_MAX];

		cli_format_time(r->time_ns, t, sizeof(t));
		rc = cli_putf(&w->out, "#%" PRIu64 "  gseq %" PRIu64 "  %s  ",
			      r->seq, r->gseq, t);
		if (rc == 0)
			rc = cli_put_name(&w->out, r->event_type,
					  strlen(r->event_type));
		if (rc == 0 && r->body_len != 0) {
			rc = cli_put(&w->out, " ");
			if (rc == 0)
				rc = hs_json(&w->out, r->body, r->body_len, 0);
		}
		if (rc == 0 && r->event_version != r->recorded_event_version)
			rc = cli_putf(&w->out, "  (upcast from v%u to v%u)",
				      r->recorded_event_version,
				      r->event_version);
		if (rc == 0 && r->cause_seq != 0) {
			rc = cli_put(&w->out, "  caused by ");
			if (rc == 0)
				rc = cli_put_addr(&w->out, r->cause.type,
						  r->cause.id);
			if (rc == 0)
				rc = cli_putf(&w->out,
					      " #%" PRIu64 " (gseq %" PRIu64
					      ")",
					      r->cause_seq, r->cause_gseq);
		}
		if (rc == 0)
			rc = cli_put(&w->out, "\n");
		if (rc == 0 && w->states)
			rc = cli_put_diff_lines(&w->out, &w->diff, "    ");
	}
	if (rc != 0)
		return rc;
	if (w->states) {
		hs_buf_reset(&w->prev);
		if (hsi_buf_append(&w->prev, r->state, r->state_len) != 0)
			return HS_ENOMEM;
	}
	w->n++;
	cli_progress_tick(&w->progress, w->n);
	if (w->out.len >= 1 << 16 && cli_flush(&w->out) != 0) {
		w->werr = 1;
		return 1;
	}
	return 0;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{"json", 0, false, OPT_JSON},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_history;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}, {CLI_MISSING_AGENT, NULL}};
	const char *types = NULL, *val, *why;
	bool trust = false;
	walker w = {0};
	cli_addr ag;
	cli_args a;
	uint64_t last;
	int id, rc;

	cli_args_init(&a, cmd, opts, pos, 2, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		if (id == OPT_TYPES)
			types = val;
		else if (id == CLI_OPT_TRUST_TYPES)
			trust = true;
		else if (id == OPT_JSON)
			w.json = true;
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	const char *path = pos[0].val, *agent = pos[1].val;
	if (cli_parse_addr(agent, &ag, &why) != 0)
		return cli_usage(cmd, "'%s': %s", agent, why);

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0)
		return rc;
	if ((rc = cli_db_agent(&db, &ag, &last, NULL)) != 0 ||
	    (rc = cli_db_runtime(&db, types, trust)) != 0) {
		cli_db_close(&db);
		return rc;
	}
	hs_filter f = {.type = ag.type, .id = ag.id};
	w.db = &db;
	w.states = types != NULL;
	if (w.states)
		f.flags = HS_HISTORY_STATES | HS_HISTORY_UPCAST;
	else
		cli_error(cmd,
			  "showing the events only: what changed needs the "
			  "code of agent type '%s': pass --types LIB.so (a "
			  "types plugin; see docs/CLI.md)",
			  ag.type);
	cli_progress_start(&w.progress, "transitions", last);
	rc = hs_history(db.rt, &f, on_record, &w);
	cli_progress_end(&w.progress);
	if (rc == 0 && cli_flush(&w.out) != 0)
		w.werr = 1;
	if (w.werr) {
		cli_error(cmd, "cannot write the output");
		rc = CLI_EXIT_USAGE;
	} else if (rc != 0) {
		char what[400];

		cli_flush(&w.out);
		snprintf(what, sizeof(what), "history of %s/%s", ag.type,
			 ag.id);
		rc = cli_db_fail(&db, rc, what);
	}
	hs_buf_free(&w.prev);
	hs_buf_free(&w.diff);
	hs_buf_free(&w.out);
	cli_db_close(&db);
	return rc;
}
