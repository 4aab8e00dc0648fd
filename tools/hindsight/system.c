/* hindsight system: every agent's state at one point (hs_system_at). */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_system = {
	.name = "system",
	.synopsis = "DB --at TIME | --gseq N [--type T] --types LIB.so "
		    "[--json]",
	.summary = "Every agent's state at one point: a consistent cut.",
	.help = "options:\n"
		"      --gseq N        the whole system after transition N of "
		"the log: a\n"
		"                      consistent cut (every agent after its "
		"last transition\n"
		"                      with gseq <= N)\n"
		"      --at TIME       each agent in the state in force at TIME\n"
		"      --type T        only the agents of type T\n"
		"      --types LIB.so  a types plugin with the agent types' code "
		"(required: the\n"
		"                      states are rebuilt by replay)\n"
		CLI_TRUST_TYPES_HELP
		"      --json          JSON Lines: one object an agent, {type, "
		"id, seq, gseq,\n"
		"                      time_ns, time, state}\n\n"
		"One line an agent that had a transition by then, in (type, "
		"id) order, with the\ntransition that made its state:\n"
		"  counter/a #4 (gseq 8, 2026-11-22T10:00:08.000000000Z) "
		"{\"n\":10,\"adds\":3}\n"
		"Agents created later are not listed. TIME is RFC 3339 "
		"(2026-11-22T10:00:00Z) or\ninteger nanoseconds.\n",
	.run = run,
};

enum { OPT_AT = 1, OPT_GSEQ, OPT_TYPE, OPT_TYPES, OPT_JSON };

typedef struct sys_out {
	cli_db *db;
	bool json;
	hs_buf out;
	uint64_t agents;
	int err; /* a CLI exit code when a callback failed */
} sys_out;

static int on_state(void *udata, hs_addr agent, const void *state,
		    size_t len, hs_receipt at)
{
	sys_out *s = udata;
	size_t tn = strlen(agent.type), in = strlen(agent.id);
	char ts[CLI_TIME_MAX];
	uint64_t g;
	int64_t t;
	int rc;

	if (hsi_log_index_get(s->db->log, agent.type, tn, agent.id, in,
			      at.seq, &g, &t) != 0) {
		cli_error(s->db->cmd,
			  "%s: the index of %s/%s lacks seq %" PRIu64
			  " (hindsight check tells more)",
			  s->db->path, agent.type, agent.id, at.seq);
		s->err = CLI_EXIT_USAGE;
		return 1;
	}
	cli_format_time(t, ts, sizeof(ts));
	if (s->json) {
		cli_put(&s->out, "{\"type\":");
		cli_put_json_str(&s->out, agent.type, tn);
		cli_put(&s->out, ",\"id\":");
		cli_put_json_str(&s->out, agent.id, in);
		cli_putf(&s->out,
			 ",\"seq\":%" PRIu64 ",\"gseq\":%" PRIu64
			 ",\"time_ns\":%" PRId64 ",\"time\":\"%s\",\"state\":",
			 at.seq, at.gseq, t, ts);
	} else {
		cli_put_addr(&s->out, agent.type, agent.id);
		cli_putf(&s->out, " #%" PRIu64 " (gseq %" PRIu64 ", %s) ",
			 at.seq, at.gseq, ts);
	}
	rc = hs_json(&s->out, state, len, 0);
	if (rc != 0) {
		cli_error(s->db->cmd,
			  "the state of %s/%s is not valid msgpack (%s)",
			  agent.type, agent.id, hs_strerror(rc));
		s->err = CLI_EXIT_USAGE;
		return 1;
	}
	cli_put(&s->out, s->json ? "}\n" : "\n");
	s->agents++;
	if (s->out.len >= 1 << 16 && cli_flush(&s->out) != 0) {
		s->err = CLI_EXIT_USAGE;
		return 1;
	}
	return 0;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"at", 0, true, OPT_AT},
		{"gseq", 0, true, OPT_GSEQ},
		{"type", 0, true, OPT_TYPE},
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{"json", 0, false, OPT_JSON},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_system;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *types = NULL, *type = NULL, *val, *why;
	bool trust = false;
	char what[300];
	hs_point point = {0};
	bool has_point = false, json = false;
	uint64_t n;
	int64_t t;
	int id, rc;
	cli_args a;

	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		switch (id) {
		case OPT_AT:
		case OPT_GSEQ:
			if (has_point)
				return cli_usage(cmd, "give one point: --at "
						      "or --gseq");
			has_point = true;
			if (id == OPT_AT) {
				if (cli_parse_time(val, &t, &why) != 0)
					return cli_usage(
						cmd,
						"malformed time for --at: "
						"'%s': %s (expected RFC 3339, "
						"e.g. 2026-11-22T10:00:00Z, "
						"or integer nanoseconds)",
						val, why);
				point = hs_at_time(t);
				snprintf(what, sizeof(what),
					 "the system at %s", val);
			} else {
				if (cli_parse_u64(val, &n) != 0 || n == 0)
					return cli_usage(cmd,
							 "--gseq: '%s' is not "
							 "an integer >= 1",
							 val);
				point = hs_at_gseq(n);
				snprintf(what, sizeof(what),
					 "the system at gseq %s", val);
			}
			break;
		case OPT_TYPE:
			if (val[0] == '\0')
				return cli_usage(cmd, "--type: the agent type "
						      "is empty");
			type = val;
			break;
		case OPT_TYPES:
			types = val;
			break;
		case CLI_OPT_TRUST_TYPES:
			trust = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		}
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	if (!has_point)
		return cli_usage(cmd, "give the point: --at TIME or --gseq N");
	if (types == NULL)
		return cli_usage(cmd,
				 "system needs --types LIB.so: the states "
				 "are rebuilt by replay, which runs the "
				 "program's apply() (a types plugin is a "
				 "shared object exporting %s(); see "
				 "docs/CLI.md)",
				 HS_PLUGIN_SYMBOL);

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, pos[0].val)) != 0)
		return rc;
	if ((rc = cli_db_runtime(&db, types, trust)) != 0)
		goto out;
	/* The runtime's handle may see more than the one opened before it
	 * (a writer goes on): read the times through a newer one. */
	{
		hsi_log *newer;
		char err[1024];

		if (hsi_log_open(db.path, HSI_LOG_READONLY, &newer, err,
				 sizeof(err)) != 0) {
			cli_error(cmd, "%s", err);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		hsi_log_close(db.log);
		db.log = newer;
	}

	sys_out s = {.db = &db, .json = json, .out = HS_BUF_INIT};
	rc = hs_system_at(db.rt, type, point, on_state, &s);
	if (rc == 1 && s.err != 0)
		rc = s.err;
	else if (rc != 0)
		rc = cli_db_fail(&db, rc, what);
	else if (cli_flush(&s.out) != 0)
		rc = CLI_EXIT_USAGE;
	else if (s.agents == 0)
		cli_error(cmd, "no agent%s%s had a transition by then",
			  type ? " of type " : "", type ? type : "");
	hs_buf_free(&s.out);
out:
	cli_db_close(&db);
	return rc;
}
