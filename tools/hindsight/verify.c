/*
 * hindsight verify: replays the log through today's code (a types plugin)
 * and compares every rebuilt state with the recorded hash (hs_verify).
 * Agents are verified one at a time, so that progress can be shown; the
 * first divergence is shown in full, later ones a line each.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "core/introspect.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_verify = {
	.name = "verify",
	.synopsis = "DB --types LIB.so [--agent TYPE/ID | --type T]\n"
		    "         [--from GSEQ] [--to GSEQ] [--json]",
	.summary = "Replay through today's code; compare each state with "
		   "the record.",
	.help = "options:\n"
		"      --types LIB.so   the types plugin with the program's "
		"agent types\n"
		"                       (required)\n"
		"      --trust-types    load it even if its group or others "
		"can write to it\n"
		"  -a, --agent TYPE/ID  only this agent\n"
		"      --type T         only agents of type T\n"
		"      --from GSEQ      only records with gseq >= GSEQ (agents "
		"start from their\n"
		"                       newest snapshot before it)\n"
		"      --to GSEQ        only records with gseq <= GSEQ\n"
		"      --json           JSON Lines: one object per diverging "
		"agent, then\n"
		"                       {\"summary\":{records, agents, "
		"divergences,\n"
		"                       version_findings, upcast, unhashed}}\n\n"
		"Exit 0 when every rebuilt state matches its record; 1 when "
		"some agent diverges\n(the first divergence is shown with the "
		"states before, recorded and rebuilt,\nand their field-level "
		"diff); 2 for usage errors or a log that cannot be read.\n"
		"A types plugin is a shared object exporting "
		"hindsight_register_types(); see\ndocs/CLI.md.\n",
	.run = run,
};

enum { OPT_TYPES = 1, OPT_AGENT, OPT_TYPE, OPT_FROM, OPT_TO, OPT_JSON };

typedef struct vagent {
	size_t off; /* type \0 id \0 in names */
	uint64_t last_seq;
} vagent;

typedef struct verifier {
	const char *type; /* scope's type or NULL */
	vagent *agents;
	size_t n, cap;
	hs_buf names;
	uint64_t total;
	uint64_t versions; /* divergences of kind HS_DIVERGE_VERSION */
	bool json;
	uint64_t divergences;
	hs_buf out;
	/* Divergences are reported agent by agent; they are shown in gseq
	 * order at the end: the earliest in full (best), each other one a
	 * line (or each a JSON line) kept in `lines`. */
	struct found {
		uint64_t gseq;
		size_t off, len;
	} *found;
	size_t nfound, capfound;
	hs_buf lines;
	hs_buf best;
	uint64_t best_gseq;
} verifier;

static int on_agent(void *udata, const char *t, size_t tn, const char *i,
		    size_t in, uint64_t last_seq)
{
	verifier *v = udata;

	if (v->type != NULL &&
	    (strlen(v->type) != tn || memcmp(v->type, t, tn) != 0))
		return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		vagent *a = realloc(v->agents, cap * sizeof(*a));

		if (a == NULL)
			return HS_ENOMEM;
		v->agents = a;
		v->cap = cap;
	}
	v->agents[v->n++] = (vagent){v->names.len, last_seq};
	v->total += last_seq;
	if (hsi_buf_append(&v->names, t, tn) != 0 ||
	    hsi_buf_append(&v->names, "", 1) != 0 ||
	    hsi_buf_append(&v->names, i, in) != 0 ||
	    hsi_buf_append(&v->names, "", 1) != 0)
		return HS_ENOMEM;
	return 0;
}

static const char *kind_text(hs_divergence_kind k)
{
	switch (k) {
	case HS_DIVERGE_STATE:
		return "state";
	case HS_DIVERGE_REJECTED:
		return "rejected";
	case HS_DIVERGE_UNCHANGED:
		return "unchanged";
	case HS_DIVERGE_VERSION:
		return "version";
	}
	return "?";
}

static void put_json_or_null(hs_buf *b, const char *json)
{
	cli_put(b, json != NULL && json[0] != '\0' ? json : "null");
}

static int put_json(verifier *v, const hs_divergence *d)
{
	hs_buf *b = &v->lines;

	cli_put(b, "{\"kind\":");
	cli_putf(b, "\"%s\",\"apply_rc\":%d,\"error\":", kind_text(d->kind),
		 d->apply_rc);
	cli_put_json_str(b, d->error_msg ? d->error_msg : "",
			 d->error_msg ? strlen(d->error_msg) : 0);
	cli_putf(b, ",\"rebuilt_hash\":\"%016" PRIx64 "\",\"before\":",
		 d->rebuilt_hash);
	put_json_or_null(b, d->before_json);
	cli_put(b, ",\"recorded\":");
	put_json_or_null(b, d->recorded_json);
	cli_put(b, ",\"rebuilt\":");
	put_json_or_null(b, d->rebuilt_json);
	cli_put(b, ",\"diff\":");
	put_json_or_null(b, d->diff_json);
	cli_put(b, ",\"record\":");
	cli_put_record_json(b, &d->record, 0);
	return cli_put(b, "}\n");
}

static void put_what(hs_buf *b, const hs_divergence *d)
{
	switch (d->kind) {
	case HS_DIVERGE_STATE:
		cli_putf(b,
			 "today's apply() makes another state (hash %016" PRIx64
			 ", the record has %016" PRIx64 ")",
			 d->rebuilt_hash, d->record.state_hash);
		break;
	case HS_DIVERGE_REJECTED:
		cli_putf(b, "today's apply() rejects the event: %d (%s)%s%s",
			 d->apply_rc,
			 d->apply_rc < 0 ? hs_strerror(d->apply_rc)
					 : "not a result apply may give",
			 d->error_msg && d->error_msg[0] ? ": " : "",
			 d->error_msg ? d->error_msg : "");
		break;
	case HS_DIVERGE_UNCHANGED:
		cli_put(b, "today's apply() changes nothing (HS_UNCHANGED) "
			   "where the log has a transition");
		break;
	case HS_DIVERGE_VERSION:
		cli_putf(b, "today's code cannot read the event's recorded "
			    "version (event version %u): %s",
			 d->record.recorded_event_version,
			 d->error_msg ? d->error_msg : "");
		break;
	}
}

static void put_event(hs_buf *b, const hs_record *r)
{
	char t[CLI_TIME_MAX];

	cli_format_time(r->time_ns, t, sizeof(t));
	cli_put_addr(b, r->agent.type, r->agent.id);
	cli_putf(b, " #%" PRIu64 " (gseq %" PRIu64 ", %s)  ", r->seq, r->gseq,
		 t);
	cli_put_name(b, r->event_type, strlen(r->event_type));
	if (r->body_len != 0) {
		cli_put(b, " ");
		hs_json(b, r->body, r->body_len, 0);
	}
}

static void put_full(hs_buf *b, const hs_divergence *d)
{
	cli_put(b, "divergence: ");
	put_event(b, &d->record);
	cli_put(b, "\n  ");
	put_what(b, d);
	if (d->kind == HS_DIVERGE_VERSION) {
		/* Nothing was applied: the states say nothing. */
		cli_put(b, "\n");
		return;
	}
	cli_put(b, "\n  state before:   ");
	put_json_or_null(b, d->before_json);
	cli_put(b, "\n  recorded state: ");
	if (d->recorded_json != NULL && d->recorded_json[0] != '\0')
		cli_put(b, d->recorded_json);
	else
		cli_put(b, "(not stored: no snapshot at this seq; only its "
			   "hash is recorded)");
	cli_put(b, "\n  rebuilt state:  ");
	put_json_or_null(b, d->rebuilt_json);
	if (d->diff_json != NULL) {
		hs_buf diff = {(uint8_t *)d->diff_json, strlen(d->diff_json), 0};

		cli_putf(b, "\n  diff (%s -> rebuilt):\n",
			 d->recorded_json && d->recorded_json[0] ? "recorded"
								 : "before");
		if (cli_put_diff_lines(b, &diff, "    ") != 0)
			cli_putf(b, "    %s\n", d->diff_json);
	} else {
		cli_put(b, "\n");
	}
}

static int on_divergence(void *udata, const hs_divergence *d)
{
	verifier *v = udata;
	size_t start = v->lines.len;
	int rc;

	v->divergences++;
	if (d->kind == HS_DIVERGE_VERSION)
		v->versions++;
	if (v->json) {
		rc = put_json(v, d);
	} else {
		rc = cli_put(&v->lines, "also diverges: ");
		put_event(&v->lines, &d->record);
		cli_put(&v->lines, ": ");
		put_what(&v->lines, d);
		if (rc == 0)
			rc = cli_put(&v->lines, "\n");
		if (rc == 0 && (v->best.len == 0 ||
				d->record.gseq < v->best_gseq)) {
			hs_buf_reset(&v->best);
			put_full(&v->best, d);
			v->best_gseq = d->record.gseq;
		}
	}
	if (rc != 0)
		return HS_ENOMEM;
	if (v->nfound == v->capfound) {
		size_t cap = v->capfound ? 2 * v->capfound : 16;
		struct found *f = realloc(v->found, cap * sizeof(*f));

		if (f == NULL)
			return HS_ENOMEM;
		v->found = f;
		v->capfound = cap;
	}
	v->found[v->nfound++] = (struct found){d->record.gseq, start,
					       v->lines.len - start};
	return 0;
}

static int by_gseq(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->gseq < y->gseq ? -1 : x->gseq > y->gseq;
}

/* The divergences in gseq order: the earliest in full, the others a
 * line each (or all as JSON lines). */
static void put_found(verifier *v)
{
	if (v->nfound > 1)
		qsort(v->found, v->nfound, sizeof(*v->found), by_gseq);
	if (!v->json && v->best.len != 0)
		hsi_buf_append(&v->out, v->best.data, v->best.len);
	for (size_t i = 0; i < v->nfound; i++) {
		if (!v->json && v->found[i].gseq == v->best_gseq)
			continue;
		hsi_buf_append(&v->out, v->lines.data + v->found[i].off,
			       v->found[i].len);
	}
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{"agent", 'a', true, OPT_AGENT},
		{"type", 0, true, OPT_TYPE},
		{"from", 0, true, OPT_FROM},
		{"to", 0, true, OPT_TO},
		{"json", 0, false, OPT_JSON},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_verify;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *types = NULL, *agent = NULL, *type = NULL;
	bool trust = false;
	const char *val, *why;
	hs_filter scope;
	verifier v;
	cli_addr ag;
	cli_args a;
	int id, rc;

	memset(&scope, 0, sizeof(scope));
	memset(&v, 0, sizeof(v));
	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		uint64_t u;

		switch (id) {
		case OPT_TYPES:
			types = val;
			break;
		case CLI_OPT_TRUST_TYPES:
			trust = true;
			break;
		case OPT_AGENT:
			agent = val;
			break;
		case OPT_TYPE:
			type = val;
			break;
		case OPT_FROM:
		case OPT_TO:
			if (cli_parse_u64(val, &u) != 0 || u == 0)
				return cli_usage(cmd,
						 "--%s: '%s' is not a gseq (an "
						 "integer >= 1)",
						 id == OPT_FROM ? "from" : "to",
						 val);
			if (id == OPT_FROM)
				scope.from_gseq = u;
			else
				scope.to_gseq = u;
			break;
		case OPT_JSON:
			v.json = true;
			break;
		}
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	const char *path = pos[0].val;
	if (types == NULL)
		return cli_usage(cmd, "verify needs --types LIB.so: replay "
				      "runs the agent types' code (a types "
				      "plugin: a shared object that exports "
				      "hindsight_register_types(); see "
				      "docs/CLI.md)");
	if (agent != NULL && type != NULL)
		return cli_usage(cmd, "give --agent or --type, not both");
	if (agent != NULL && cli_parse_addr(agent, &ag, &why) != 0)
		return cli_usage(cmd, "--agent %s: %s", agent, why);
	if (type != NULL && (strlen(type) == 0 || strlen(type) > HS_NAME_MAX))
		return cli_usage(cmd, "--type: a name of 1 to %d bytes",
				 HS_NAME_MAX);
	if (scope.to_gseq != 0 && scope.from_gseq > scope.to_gseq)
		return cli_usage(cmd, "--from %" PRIu64 " is after --to %" PRIu64,
				 scope.from_gseq, scope.to_gseq);

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0)
		return rc;
	if (agent != NULL &&
	    (rc = cli_db_agent(&db, &ag, NULL, NULL)) != 0)
		goto out;
	if ((rc = cli_db_runtime(&db, types, trust)) != 0)
		goto out;

	/* The agents in scope, and a check that the plugin knows their
	 * types before anything is replayed. */
	if (agent != NULL) {
		uint64_t last;

		cli_db_agent(&db, &ag, &last, NULL);
		rc = on_agent(&v, ag.type, strlen(ag.type), ag.id,
			      strlen(ag.id), last);
	} else {
		v.type = type;
		rc = hsi_log_scan_agents(db.log, on_agent, &v);
	}
	if (rc != 0) {
		char err[700];

		if (rc == HS_ENOMEM)
			snprintf(err, sizeof(err), "out of memory");
		else
			hsi_log_error(db.log, err, sizeof(err));
		cli_error(cmd, "%s", err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < v.n; i++) {
		const char *t = (const char *)v.names.data + v.agents[i].off;

		if (!hsi_introspect_has_type(db.rt, t)) {
			cli_error(cmd,
				  "agent type '%s' (agent %s/%s and maybe "
				  "more) is not registered by the types "
				  "plugin %s: replay needs its code",
				  t, t, t + strlen(t) + 1, types);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}

	hs_verify_report sum = {0};
	cli_progress progress;
	uint64_t done = 0;
	cli_progress_start(&progress, "verified", v.total);
	for (size_t i = 0; i < v.n; i++) {
		hs_verify_report rep = {0};
		const char *t = (const char *)v.names.data + v.agents[i].off;

		scope.type = t;
		scope.id = t + strlen(t) + 1;
		rc = hs_verify(db.rt, &scope, on_divergence, &v, &rep);
		if (rc != 0) {
			cli_progress_end(&progress);
			put_found(&v);
			cli_flush(&v.out);
			char what[400];
			snprintf(what, sizeof(what), "verifying %s/%s", t,
				 scope.id);
			rc = cli_db_fail(&db, rc, what);
			goto out;
		}
		sum.records += rep.records;
		sum.agents += rep.agents;
		sum.divergences += rep.divergences;
		sum.upcast += rep.upcast;
		sum.unhashed += rep.unhashed;
		done += v.agents[i].last_seq;
		/* One tick per agent: show progress whatever the sizes. */
		progress.ticks |= 255;
		cli_progress_tick(&progress, done);
	}
	cli_progress_end(&progress);
	put_found(&v);
	if (v.json)
		cli_putf(&v.out,
			 "{\"summary\":{\"records\":%" PRIu64
			 ",\"agents\":%" PRIu64 ",\"divergences\":%" PRIu64
			 ",\"version_findings\":%" PRIu64
			 ",\"upcast\":%" PRIu64 ",\"unhashed\":%" PRIu64
			 "}}\n",
			 sum.records, sum.agents, sum.divergences, v.versions,
			 sum.upcast, sum.unhashed);
	else if (sum.divergences == 0)
		cli_putf(&v.out,
			 "ok: %" PRIu64 " record%s of %" PRIu64
			 " agent%s replayed with %s: every rebuilt state "
			 "matches its record\n",
			 sum.records, sum.records == 1 ? "" : "s", sum.agents,
			 sum.agents == 1 ? "" : "s", types);
	else
		cli_putf(&v.out,
			 "verify: %" PRIu64 " record%s of %" PRIu64
			 " agent%s replayed with %s: %" PRIu64 " agent%s "
			 "diverge%s\n",
			 sum.records, sum.records == 1 ? "" : "s", sum.agents,
			 sum.agents == 1 ? "" : "s", types, sum.divergences,
			 sum.divergences == 1 ? "" : "s",
			 sum.divergences == 1 ? "s" : "");
	if (!v.json && v.versions != 0)
		cli_putf(&v.out,
			 "  %" PRIu64 " of them at an event whose recorded "
			 "version today's code cannot read (newer than the "
			 "type's, or no upcaster)\n",
			 v.versions);
	if (!v.json && (sum.upcast != 0 || sum.unhashed != 0))
		cli_putf(&v.out,
			 "  %" PRIu64 " event%s read through upcasters; %" PRIu64
			 " recorded state hash%s of another state version "
			 "not compared\n",
			 sum.upcast, sum.upcast == 1 ? "" : "s", sum.unhashed,
			 sum.unhashed == 1 ? "" : "es");
	if (cli_flush(&v.out) != 0) {
		cli_error(cmd, "cannot write the output");
		rc = CLI_EXIT_USAGE;
	} else {
		rc = sum.divergences ? CLI_EXIT_FINDING : CLI_EXIT_OK;
	}
out:
	free(v.agents);
	free(v.found);
	hs_buf_free(&v.lines);
	hs_buf_free(&v.best);
	hs_buf_free(&v.names);
	hs_buf_free(&v.out);
	cli_db_close(&db);
	return rc;
}
