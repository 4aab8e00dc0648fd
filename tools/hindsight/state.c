/* hindsight state: an agent's state at a point of its history. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_state = {
	.name = "state",
	.synopsis = "DB TYPE/ID [--at TIME | --seq N | --gseq N]\n"
		    "         [--types LIB.so] [--json]",
	.summary = "An agent's state at a point (default: its latest).",
	.help = "options:\n"
		"      --at TIME       the state in force at TIME (after every "
		"transition at or\n"
		"                      before it)\n"
		"      --seq N         the state after the agent's transition "
		"N\n"
		"      --gseq N        the state after every transition of the "
		"log up to gseq N\n"
		"      --types LIB.so  a types plugin with the agent type's "
		"code, to rebuild the\n"
		"                      state by replay\n"
		CLI_TRUST_TYPES_HELP
		"      --json          one JSON object: type, id, seq, gseq, "
		"time_ns, time,\n"
		"                      source (\"snapshot\" or \"replay\"), "
		"state\n\n"
		"Without --types the state can be shown only where a snapshot "
		"was stored exactly\nat that point. TIME is RFC 3339 "
		"(2026-11-22T10:00:00Z) or integer nanoseconds.\nA types "
		"plugin is a shared object exporting "
		"hindsight_register_types(); see\ndocs/CLI.md.\n",
	.run = run,
};

enum { OPT_AT = 1, OPT_SEQ, OPT_GSEQ, OPT_TYPES, OPT_JSON };

/* The largest seq in [first, last] whose index entry (gseq, or time when
 * by_time) is <= bound; first - 1 when none. Index values grow with
 * seq. */
static int search(cli_db *db, const cli_addr *ag, uint64_t first,
		  uint64_t last, bool by_time, int64_t tbound, uint64_t gbound,
		  uint64_t *out)
{
	size_t tn = strlen(ag->type), in = strlen(ag->id);
	uint64_t lo = first - 1, hi = last;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2, g;
		int64_t t;
		int rc = hsi_log_index_get(db->log, ag->type, tn, ag->id, in,
					   mid, &g, &t);

		if (rc != 0) {
			char err[700];

			hsi_log_error(db->log, err, sizeof(err));
			cli_error(db->cmd,
				  "%s: the index of %s/%s lacks seq %" PRIu64
				  " (%s; hindsight check tells more)",
				  db->path, ag->type, ag->id, mid,
				  rc == HS_ENOTFOUND ? "not found" : err);
			return CLI_EXIT_USAGE;
		}
		if (by_time ? t <= tbound : g <= gbound)
			lo = mid;
		else
			hi = mid - 1;
	}
	*out = lo;
	return 0;
}

/* The state at a point before the agent's base in a cut log. */
static void archived(cli_db *db, const cli_addr *ag, const char *text,
		     uint64_t first)
{
	cli_error(db->cmd,
		  "%s: the state of %s/%s at %s is archived: the log holds "
		  "this agent from seq %" PRIu64 " (the cut after gseq %" PRIu64
		  "); `hindsight archive` wrote what it dropped to an archive "
		  "file: import it into a new log to query that part",
		  db->path, ag->type, ag->id, text, first,
		  hsi_log_base_gseq(db->log));
}

/*
 * The seq of the agent's transition in force at the point: kind is
 * OPT_AT (t), OPT_SEQ or OPT_GSEQ (n), or 0 for the latest. `text` is the
 * point as the user wrote it. Prints the problem and returns 2 when there
 * is none.
 */
static int point_seq(cli_db *db, const cli_addr *ag, int kind, uint64_t n,
		     int64_t t, const char *text, uint64_t *seq)
{
	size_t tn = strlen(ag->type), in = strlen(ag->id);
	uint64_t last, last_g, first_g, first = 1, s = 0;
	int64_t first_t;
	hsi_log_base base;
	int rc = cli_db_agent(db, ag, &last, &last_g);

	if (rc != 0)
		return rc;
	rc = hsi_log_agent_base(db->log, ag->type, tn, ag->id, in, &base);
	if (rc == 0) {
		first = base.seq;
	} else if (rc != HS_ENOTFOUND) {
		char err[700];

		hsi_log_error(db->log, err, sizeof(err));
		cli_error(db->cmd, "%s", err);
		return CLI_EXIT_USAGE;
	}
	switch (kind) {
	case 0:
		s = last;
		break;
	case OPT_SEQ:
		if (n > last) {
			cli_error(db->cmd,
				  "%s/%s has %" PRIu64 " transition%s: seq %" PRIu64
				  " is after the last",
				  ag->type, ag->id, last, last == 1 ? "" : "s",
				  n);
			return CLI_EXIT_USAGE;
		}
		s = n;
		if (s < first) {
			archived(db, ag, text, first);
			return CLI_EXIT_USAGE;
		}
		break;
	case OPT_GSEQ:
		if (n > hsi_log_last_gseq(db->log)) {
			cli_error(db->cmd,
				  "gseq %" PRIu64 " is after the end of the "
				  "log (%" PRIu64 ")",
				  n, hsi_log_last_gseq(db->log));
			return CLI_EXIT_USAGE;
		}
		if ((rc = search(db, ag, first, last, false, 0, n, &s)) != 0)
			return rc;
		break;
	case OPT_AT: {
		/* As hs_state_at: a time is in the future only past both the
		 * clock and the newest record (a log written on a simulated
		 * clock may run ahead of ours). */
		struct timespec now;
		int64_t end;

		clock_gettime(CLOCK_REALTIME, &now);
		end = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		if (t > end) {
			hs_buf b = HS_BUF_INIT;
			hsi_record r;

			if (hsi_log_get_event(db->log, hsi_log_last_gseq(db->log),
					      &b) == 0 &&
			    hsi_record_decode(b.data, b.len, &r) == 0 &&
			    r.time_ns > end)
				end = r.time_ns;
			hs_buf_free(&b);
		}
		if (t > end) {
			cli_error(db->cmd,
				  "%s is in the future: the state in force "
				  "then is not known yet",
				  text);
			return CLI_EXIT_USAGE;
		}
		if ((rc = search(db, ag, first, last, true, t, 0, &s)) != 0)
			return rc;
		break;
	}
	}
	if (s < first && first > 1) {
		archived(db, ag, text, first);
		return CLI_EXIT_USAGE;
	}
	if (s == 0) {
		char ft[CLI_TIME_MAX];

		if (hsi_log_index_get(db->log, ag->type, tn, ag->id, in, 1,
				      &first_g, &first_t) != 0) {
			first_g = 0;
			first_t = 0;
		}
		cli_format_time(first_t, ft, sizeof(ft));
		cli_error(db->cmd,
			  "%s/%s had no transition yet at %s (its first is "
			  "gseq %" PRIu64 " at %s)",
			  ag->type, ag->id, text, first_g, ft);
		return CLI_EXIT_USAGE;
	}
	*seq = s;
	return 0;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"at", 0, true, OPT_AT},
		{"seq", 0, true, OPT_SEQ},
		{"gseq", 0, true, OPT_GSEQ},
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{"json", 0, false, OPT_JSON},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_state;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}, {CLI_MISSING_AGENT, NULL}};
	const char *types = NULL, *val;
	bool trust = false;
	const char *point = "the latest", *why;
	char point_text[200];
	int kind = 0, id, rc;
	uint64_t n = 0;
	int64_t t = 0;
	bool json = false;
	cli_addr ag;
	cli_args a;

	cli_args_init(&a, cmd, opts, pos, 2, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		switch (id) {
		case OPT_AT:
		case OPT_SEQ:
		case OPT_GSEQ:
			if (kind != 0)
				return cli_usage(cmd, "give one point: --at, "
						      "--seq or --gseq");
			kind = id;
			if (id == OPT_AT) {
				if (cli_parse_time(val, &t, &why) != 0)
					return cli_usage(
						cmd,
						"malformed time for --at: "
						"'%s': %s (expected RFC 3339, "
						"e.g. 2026-11-22T10:00:00Z, "
						"or integer nanoseconds)",
						val, why);
				snprintf(point_text, sizeof(point_text), "%s",
					 val);
			} else {
				if (cli_parse_u64(val, &n) != 0 || n == 0)
					return cli_usage(
						cmd,
						"--%s: '%s' is not an integer "
						">= 1",
						id == OPT_SEQ ? "seq" : "gseq",
						val);
				snprintf(point_text, sizeof(point_text),
					 "%s %s", id == OPT_SEQ ? "seq" : "gseq",
					 val);
			}
			point = point_text;
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
	const char *path = pos[0].val, *agent = pos[1].val;
	if (cli_parse_addr(agent, &ag, &why) != 0)
		return cli_usage(cmd, "'%s': %s", agent, why);

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0)
		return rc;
	hs_buf state = HS_BUF_INIT, out = HS_BUF_INIT;
	uint64_t seq, snap;
	bool from_snapshot = false;
	size_t tn = strlen(ag.type), in = strlen(ag.id);

	rc = point_seq(&db, &ag, kind, n, t, point, &seq);
	if (rc != 0)
		goto out;
	if (types == NULL) {
		rc = hsi_log_snapshot_at(db.log, ag.type, tn, ag.id, in, seq,
					 &snap, &state);
		if (rc != 0 && rc != HS_ENOTFOUND) {
			char err[700];

			hsi_log_error(db.log, err, sizeof(err));
			cli_error(cmd, "%s", err);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (rc == HS_ENOTFOUND || snap != seq) {
			cli_error(cmd,
				  "no snapshot of %s/%s at seq %" PRIu64
				  " (%s)",
				  ag.type, ag.id, seq,
				  rc == HS_ENOTFOUND
					  ? "it has none at or before"
					  : "the nearest before is older");
			cli_need_types(cmd, ag.type);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		from_snapshot = true;
	} else {
		hs_receipt at;

		if ((rc = cli_db_runtime(&db, types, trust)) != 0)
			goto out;
		char what[400];
		snprintf(what, sizeof(what), "state of %s/%s at seq %" PRIu64,
			 ag.type, ag.id, seq);
		rc = hs_state_at(db.rt, ag.type, ag.id, hs_at_seq(seq), &state,
				 &at);
		if (rc != 0) {
			rc = cli_db_fail(&db, rc, what);
			goto out;
		}
	}
	/* The transition that made the state: its gseq and time. */
	uint64_t g;
	int64_t tm;
	if (hsi_log_index_get(db.log, ag.type, tn, ag.id, in, seq, &g, &tm) !=
	    0) {
		cli_error(cmd, "%s: the index of %s/%s lacks seq %" PRIu64,
			  path, ag.type, ag.id, seq);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	char ts[CLI_TIME_MAX];
	cli_format_time(tm, ts, sizeof(ts));
	if (json) {
		cli_put(&out, "{\"type\":");
		cli_put_json_str(&out, ag.type, tn);
		cli_put(&out, ",\"id\":");
		cli_put_json_str(&out, ag.id, in);
		cli_putf(&out,
			 ",\"seq\":%" PRIu64 ",\"gseq\":%" PRIu64
			 ",\"time_ns\":%" PRId64 ",\"time\":\"%s\","
			 "\"source\":\"%s\",\"state\":",
			 seq, g, tm, ts, from_snapshot ? "snapshot" : "replay");
		rc = hs_json(&out, state.data, state.len, 0);
		cli_put(&out, "}\n");
	} else {
		cli_put_addr(&out, ag.type, ag.id);
		cli_putf(&out,
			 " after seq %" PRIu64 " (gseq %" PRIu64 ", %s), %s\n",
			 seq, g, ts,
			 from_snapshot ? "from the snapshot at that seq"
				       : "rebuilt by replay");
		rc = hs_json(&out, state.data, state.len, HS_JSON_PRETTY);
		cli_put(&out, "\n");
	}
	if (rc != 0) {
		cli_error(cmd, "the state of %s/%s is not valid msgpack (%s)",
			  ag.type, ag.id, hs_strerror(rc));
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = cli_flush(&out) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
out:
	hs_buf_free(&state);
	hs_buf_free(&out);
	cli_db_close(&db);
	return rc;
}
