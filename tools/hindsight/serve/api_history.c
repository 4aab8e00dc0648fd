/* /api/history and /api/state: one agent's transitions by page, with the
 * state after each and what changed; its state at a point. */
#include "server.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "core/introspect.h"

#define HISTORY_LIMIT_MAX 1000

/* The agent named by parameter `agent`, and its last seq. 0, or -1 with
 * q answered (400 malformed or missing, 404 unknown, 500). */
static int agent_arg(srv_req *q, cli_addr *ag, uint64_t *last)
{
	uint64_t g;
	int rc = srv_arg_agent(q, "agent", ag);

	if (rc < 0)
		return -1;
	if (rc > 0) {
		srv_error(q, 400,
			  "agent: missing (TYPE/ID, e.g. ship/Gloria)");
		return -1;
	}
	rc = hsi_log_agent_last(q->v->db.log, ag->type, strlen(ag->type),
				ag->id, strlen(ag->id), last, &g);
	if (rc == HS_ENOTFOUND) {
		srv_error(q, 404,
			  "unknown agent %s/%s: the log has no record "
			  "of it",
			  ag->type, ag->id);
		return -1;
	}
	if (rc != 0) {
		char err[700];

		hsi_log_error(q->v->db.log, err, sizeof(err));
		srv_error(q, 500, "%s", err[0] ? err : hs_strerror(rc));
		return -1;
	}
	return 0;
}

/* The gseq of the agent's transition seq (in the index). */
static int gseq_of(srv_req *q, const cli_addr *ag, uint64_t seq,
		   uint64_t *gseq)
{
	int64_t ns;
	int rc = hsi_log_index_get(q->v->db.log, ag->type, strlen(ag->type),
				   ag->id, strlen(ag->id), seq, gseq, &ns);

	if (rc != 0) {
		srv_error(q, 500, "%s: the index of %s/%s lacks seq %" PRIu64,
			  q->s->path, ag->type, ag->id, seq);
		return -1;
	}
	return 0;
}

/* The state before transition `seq`: the initial state for seq 1. */
static int state_before(srv_req *q, const cli_addr *ag, uint64_t seq,
			hs_buf *out)
{
	hs_runtime *rt = q->v->db.rt;

	if (seq <= 1)
		return hsi_introspect_initial_state(rt, ag->type, ag->id, out);
	return hs_state_at(rt, ag->type, ag->id, hs_at_seq(seq - 1), out,
			   NULL);
}

typedef struct page {
	srv_req *q;
	bool states;
	hs_buf prev; /* the state before the current record */
	hs_buf diff;
	hs_buf recs;  /* the records' JSON, one after another */
	size_t *ends; /* where each ends in recs */
	size_t n, cap;
} page;

static int on_record(void *udata, const hs_record *r)
{
	page *p = udata;
	int rc = 0;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		size_t *e = realloc(p->ends, cap * sizeof(*e));

		if (e == NULL)
			return HS_ENOMEM;
		p->ends = e;
		p->cap = cap;
	}
	rc |= srv_put_record(&p->recs, r, p->states);
	if (p->states) {
		hs_buf_reset(&p->diff);
		rc |= hs_json_diff(&p->diff, p->prev.data, p->prev.len,
				   r->state, r->state_len);
		rc |= cli_put(&p->recs, ",\"state\":");
		rc |= hs_json(&p->recs, r->state, r->state_len, 0);
		rc |= cli_put(&p->recs, ",\"diff\":");
		rc |= hsi_buf_append(&p->recs, p->diff.data, p->diff.len);
		rc |= cli_put(&p->recs, "}");
		hs_buf_reset(&p->prev);
		rc |= hsi_buf_append(&p->prev, r->state, r->state_len);
	}
	p->ends[p->n++] = p->recs.len;
	return rc ? HS_ENOMEM : 0;
}

int api_history(srv_req *q)
{
	cli_addr ag;
	uint64_t last, from = 0, limit = 100, lo, hi, glo = 0, ghi = 0;
	bool reverse;
	char what[HS_NAME_MAX + HS_ID_MAX + 32];

	if (agent_arg(q, &ag, &last) != 0 ||
	    srv_arg_u64(q, "from", 1, UINT64_MAX, &from) < 0 ||
	    srv_arg_u64(q, "limit", 1, HISTORY_LIMIT_MAX, &limit) < 0 ||
	    srv_arg_order(q, &reverse) != 0)
		return 0;
	if (from > last)
		return srv_error(q, 400,
				 "from: %s/%s has %" PRIu64
				 " transitions; seq %" PRIu64
				 " is after the last",
				 ag.type, ag.id, last, from);
	/* In a cut log, the agent's records start after its base. */
	uint64_t first = 1;
	hsi_log_base base;
	if (hsi_log_agent_base(q->v->db.log, ag.type, strlen(ag.type), ag.id,
			       strlen(ag.id), &base) == 0)
		first = base.seq + 1;
	if (from != 0 && from < first)
		return srv_error(q, 410,
				 "from: the transitions of %s/%s before seq "
				 "%" PRIu64 " are archived",
				 ag.type, ag.id, first);
	/* The page is the seqs [lo, hi], read in order either way; empty
	 * (lo > hi) for an agent whose records were all archived. */
	if (reverse) {
		hi = from ? from : last;
		lo = hi - first + 1 > limit ? hi - limit + 1 : first;
	} else {
		lo = from ? from : first;
		hi = last + 1 - lo > limit ? lo + limit - 1 : last;
	}
	if (lo <= hi &&
	    (gseq_of(q, &ag, lo, &glo) != 0 || gseq_of(q, &ag, hi, &ghi) != 0))
		return 0;

	snprintf(what, sizeof(what), "history of %s/%s", ag.type, ag.id);
	page p = {.q = q, .states = q->s->types != NULL && lo <= hi};
	int rc = 0;
	if (p.states) {
		rc = state_before(q, &ag, lo, &p.prev);
		if (rc == HS_ENOTYPE)
			p.states = false; /* the plugin lacks this type */
		else if (rc != 0)
			return srv_fail(q, rc, what);
	}
	hs_filter f = {.type = ag.type,
		       .id = ag.id,
		       .from_gseq = glo,
		       .to_gseq = ghi,
		       .flags = p.states ? HS_HISTORY_STATES : 0};
	if (lo <= hi)
		rc = hs_history(q->v->db.rt, &f, on_record, &p);
	if (rc == 0) {
		hs_buf *b = &q->body;

		rc |= cli_put(b, "{\"agent\":{\"type\":");
		rc |= cli_put_json_str(b, ag.type, strlen(ag.type));
		rc |= cli_put(b, ",\"id\":");
		rc |= cli_put_json_str(b, ag.id, strlen(ag.id));
		rc |= cli_putf(b,
			       ",\"seq\":%" PRIu64 ",\"first\":%" PRIu64
			       "},\"states\":%s",
			       last, first, p.states ? "true" : "false");
		rc |= cli_put(b, ",\"records\":[");
		for (size_t k = 0; k < p.n; k++) {
			size_t i = reverse ? p.n - 1 - k : k;
			size_t start = i ? p.ends[i - 1] : 0;

			if (k)
				rc |= cli_put(b, ",");
			rc |= hsi_buf_append(b, p.recs.data + start,
					     p.ends[i] - start);
		}
		uint64_t next = reverse ? (lo > first ? lo - 1 : 0)
					: (hi < last ? hi + 1 : 0);
		if (next)
			rc |= cli_putf(b, "],\"next\":%" PRIu64 "}\n", next);
		else
			rc |= cli_put(b, "],\"next\":null}\n");
		if (rc != 0)
			srv_nomem(q);
	} else {
		srv_fail(q, rc, what);
	}
	hs_buf_free(&p.prev);
	hs_buf_free(&p.diff);
	hs_buf_free(&p.recs);
	free(p.ends);
	return 0;
}

int api_state(srv_req *q)
{
	cli_addr ag;
	uint64_t last, seq = 0, gseq = 0;
	int64_t at = 0;
	int got_seq, got_gseq, got_at;
	char what[HS_NAME_MAX + HS_ID_MAX + 32];

	if (agent_arg(q, &ag, &last) != 0 ||
	    (got_seq = srv_arg_u64(q, "seq", 0, UINT64_MAX, &seq)) < 0 ||
	    (got_gseq = srv_arg_u64(q, "gseq", 1, UINT64_MAX, &gseq)) < 0 ||
	    (got_at = srv_arg_time(q, "at", &at)) < 0)
		return 0;
	if ((got_seq == 0) + (got_gseq == 0) + (got_at == 0) > 1)
		return srv_error(q, 400, "give one of at, seq and gseq");
	if (q->s->types == NULL)
		return srv_error(q, 409,
				 "the state of %s/%s needs the code of "
				 "agent type '%s': start hindsight "
				 "serve with --types LIB.so",
				 ag.type, ag.id, ag.type);

	hs_point pt = got_at == 0     ? hs_at_time(at)
		      : got_gseq == 0 ? hs_at_gseq(gseq)
		      : got_seq == 0  ? hs_at_seq(seq)
				      : hs_at_seq(last);
	hs_runtime *rt = q->v->db.rt;
	hs_buf state = HS_BUF_INIT;
	hs_receipt rcpt = {0};
	int rc;

	snprintf(what, sizeof(what), "state of %s/%s", ag.type, ag.id);
	if (pt.kind == HS_POINT_SEQ && pt.seq == 0) {
		rc = hsi_introspect_initial_state(rt, ag.type, ag.id, &state);
	} else {
		rc = hs_state_at(rt, ag.type, ag.id, pt, &state, &rcpt);
		/* Before its first transition the agent has its initial
		 * state (the agent exists: agent_arg found it). */
		if (rc == HS_ENOAGENT) {
			hs_buf_reset(&state);
			rcpt = (hs_receipt){0};
			rc = hsi_introspect_initial_state(rt, ag.type, ag.id,
							  &state);
		}
	}
	if (rc != 0) {
		hs_buf_free(&state);
		return srv_fail(q, rc, what);
	}
	int64_t ns = 0;
	bool timed = rcpt.seq != 0 &&
		     hsi_log_index_get(q->v->db.log, ag.type, strlen(ag.type),
				       ag.id, strlen(ag.id), rcpt.seq, &gseq,
				       &ns) == 0;
	char t[CLI_TIME_MAX];
	hs_buf *b = &q->body;

	rc |= cli_put(b, "{\"agent\":{\"type\":");
	rc |= cli_put_json_str(b, ag.type, strlen(ag.type));
	rc |= cli_put(b, ",\"id\":");
	rc |= cli_put_json_str(b, ag.id, strlen(ag.id));
	rc |= cli_putf(b, ",\"seq\":%" PRIu64 "},\"seq\":%" PRIu64, last,
		       rcpt.seq);
	if (timed) {
		cli_format_time(ns, t, sizeof(t));
		rc |= cli_putf(b,
			       ",\"gseq\":%" PRIu64 ",\"time_ns\":\"%" PRId64
			       "\",\"time\":\"%s\"",
			       rcpt.gseq, ns, t);
	} else {
		rc |= cli_put(b,
			      ",\"gseq\":null,\"time_ns\":null,\"time\":null");
	}
	rc |= cli_put(b, ",\"state\":");
	rc |= hs_json(b, state.data, state.len, 0);
	rc |= cli_put(b, "}\n");
	hs_buf_free(&state);
	return rc ? srv_nomem(q) : 0;
}
