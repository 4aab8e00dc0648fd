/*
 * Step 3 of the what-if, the report: the differences sorted by their
 * place in the what-if run (a missing record goes where its gseq was
 * reached), then each agent whose final state differs, by (type, id).
 * History states come from a per-agent replay cursor, so reporting a long
 * run of differences costs one pass over the agent's history.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/whatif.h"

/* A difference to report, at its place in the what-if run. */
struct hsi_wchange {
	uint64_t pos;
	uint64_t tie;
	uint8_t cls;
	uint8_t kind;
	hsi_wagent *a;
	uint64_t seq;
};

/* The history state of agent a after seq s, encoded into out: the cursor
 * moves forward record by record, or is rebuilt (from a snapshot) when it
 * would have to move back. */
static int hist_state(hsi_whatif *w, hsi_wagent *a, uint64_t s, hs_buf *out)
{
	hs_runtime *rt = w->rt;
	const hsi_type *t = a->t;
	int rc;
	if (a->hstate != NULL && a->hseq > s) {
		hsi_state_free(t, a->hstate);
		a->hstate = NULL;
	}
	if (a->hstate == NULL) {
		void *st = calloc(1, t->def.state_size);
		if (st == NULL)
			return HS_ENOMEM;
		rc = hsi_rebuild(rt, t, a->id, a->id_len, s, st, NULL, NULL);
		if (rc != 0) {
			hsi_state_free(t, st);
			return rc == HS_ENOAGENT ? HS_ECORRUPT : rc;
		}
		a->hstate = st;
		a->hseq = s;
	}
	while (a->hseq < s) {
		hsi_record r;
		char msg[256];
		uint64_t seq = a->hseq + 1;
		rc = hsi_read_record(rt, a->h[seq - 1].gseq, t, a->id,
				     a->id_len, seq, &w->crec, &r);
		if (rc != 0)
			return rc;
		rc = hsi_replay_apply(rt, t, a->id, a->id_len, a->hstate, &r,
				      NULL, msg, sizeof(msg));
		if (rc != HS_CHANGED) {
			hsi_set_error(rt,
				      "%s: rebuilding %s/%s: seq %llu "
				      "(gseq %llu, '%.*s') was recorded as "
				      "a change but apply now returns "
				      "%d%s%s",
				      hsi_log_path(rt->log), t->name, a->id,
				      (unsigned long long)seq,
				      (unsigned long long)r.gseq,
				      (int)r.event_type_len, r.event_type, rc,
				      msg[0] ? ": " : "", msg);
			hsi_state_free(t, a->hstate);
			a->hstate = NULL;
			return rc < 0 ? rc : HS_EHANDLER;
		}
		a->hseq = seq;
	}
	hsi_encode_state(t, a->hstate, out);
	return 0;
}

static int add_change(hsi_whatif *w, hsi_wagent *a, uint64_t seq, int kind)
{
	struct hsi_wchange *grown = hsi_whatif_grow(
		w->changes, w->nchanges, &w->changes_cap, sizeof(*grown), 64);
	if (grown == NULL)
		return HS_ENOMEM;
	w->changes = grown;
	struct hsi_wchange c = {.a = a, .seq = seq, .kind = (uint8_t)kind};
	if (kind == HS_WHATIF_MISSING) {
		/* Just before what the run made at the step of its gseq. */
		c.pos = a->h[seq - 1].wpos + 1;
		c.cls = 0;
		c.tie = a->h[seq - 1].gseq;
	} else {
		c.pos = a->w[seq - 1].gseq;
		c.cls = 1;
	}
	w->changes[w->nchanges++] = c;
	return 0;
}

static int cmp_change(const void *pa, const void *pb)
{
	const struct hsi_wchange *a = pa, *b = pb;
	if (a->pos != b->pos)
		return a->pos < b->pos ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	return a->tie < b->tie ? -1 : a->tie > b->tie;
}

/* The what-if transition seq s of agent a as a record, in wn. */
static int whatif_record(hsi_whatif *w, hsi_wagent *a, uint64_t s,
			 hsi_named_record *wn)
{
	const hsi_wtrans *x = &a->w[s - 1];
	hsi_record r = {
		.type = a->t->name,
		.type_len = a->t->name_len,
		.id = a->id,
		.id_len = a->id_len,
		.seq = s,
		.gseq = x->gseq,
		.time_ns = x->time_ns,
		.state_hash = x->hash,
	};
	if (x->src_gseq != 0) {
		hsi_record src;
		int rc = hsi_read_record(w->rt, x->src_gseq, NULL, NULL, 0, 0,
					 &w->srec, &src);
		if (rc != 0)
			return rc;
		r.event_type = src.event_type;
		r.event_type_len = src.event_type_len;
		r.body = src.body;
		r.body_len = src.body_len;
	} else {
		const char *ev = (const char *)w->events.data + x->ev_off;
		r.event_type = ev;
		r.event_type_len = x->ev_type_len;
		r.body = (const uint8_t *)ev + x->ev_type_len + 1;
		r.body_len = x->body_len;
	}
	if (x->cause != NULL) {
		r.cause = (hsi_cause){
			.type = x->cause->t->name,
			.type_len = x->cause->t->name_len,
			.id = x->cause->id,
			.id_len = x->cause->id_len,
			.seq = x->cause_seq,
			.gseq = x->cause_gseq,
		};
	}
	hsi_name_record(wn, &r);
	/* Reported, so it differs from history and its state was kept. */
	wn->pub.state = w->states.data + x->state_off;
	wn->pub.state_len = x->state_len;
	return 0;
}

/* Hands ch to the caller's fn with the history and what-if states as
 * JSON text (NULL for a missing or empty state). */
static int tell(hsi_whatif *w, hs_whatif_change *ch, const void *hstate,
		size_t hlen, const void *wstate, size_t wlen)
{
	int rc = hsi_json_text(&w->json[0], hstate, hlen,
			       &ch->history_state_json);
	if (rc == 0)
		rc = hsi_json_text(&w->json[1], wstate, wlen,
				   &ch->whatif_state_json);
	if (rc != 0)
		return rc;
	return w->fn != NULL ? w->fn(w->udata, ch) : 0;
}

static int report_change(hsi_whatif *w, const struct hsi_wchange *c)
{
	hsi_wagent *a = c->a;
	hsi_named_record hn, wn;
	hs_whatif_change ch = {
		.kind = (hs_whatif_kind)c->kind,
		.agent = {a->t->name, a->id},
		.seq = c->seq,
	};
	const void *hstate = NULL, *wstate = NULL;
	size_t hlen = 0, wlen = 0;
	int rc;
	if (c->kind != HS_WHATIF_EXTRA) {
		hsi_record hr;
		rc = hist_state(w, a, c->seq, &w->hbuf);
		if (rc == 0)
			rc = hsi_read_record(w->rt, a->h[c->seq - 1].gseq,
					     a->t, a->id, a->id_len, c->seq,
					     &w->rec, &hr);
		if (rc != 0)
			return rc;
		hsi_name_record(&hn, &hr);
		hstate = w->hbuf.data;
		hlen = w->hbuf.len;
		hn.pub.state = hstate;
		hn.pub.state_len = hlen;
		ch.history = &hn.pub;
	}
	if (c->kind != HS_WHATIF_MISSING) {
		rc = whatif_record(w, a, c->seq, &wn);
		if (rc != 0)
			return rc;
		wstate = wn.pub.state;
		wlen = wn.pub.state_len;
		ch.whatif = &wn.pub;
	}
	return tell(w, &ch, hstate, hlen, wstate, wlen);
}

static int cmp_agent(const void *pa, const void *pb)
{
	const hsi_wagent *a = *(hsi_wagent *const *)pa;
	const hsi_wagent *b = *(hsi_wagent *const *)pb;
	int c = strcmp(a->t->name, b->t->name);
	return c != 0 ? c : strcmp(a->id, b->id);
}

/* An agent's final states, when they differ. */
static int report_final(hsi_whatif *w, hsi_wagent *a)
{
	if (a->nh == 0 && a->nw == 0)
		return 0;
	/* Equal hashes of the encoded states stand for equal states. */
	if (a->nh != 0 && a->nw != 0 &&
	    a->h[a->nh - 1].hash == a->w[a->nw - 1].hash)
		return 0;
	hs_buf_reset(&w->hbuf);
	hs_buf_reset(&w->wbuf);
	int rc = 0;
	if (a->nh != 0)
		rc = hist_state(w, a, a->nh, &w->hbuf);
	if (rc != 0)
		return rc;
	if (a->nw != 0)
		hsi_encode_state(a->t, a->state, &w->wbuf);
	if (a->nh != 0 && a->nw != 0 && w->hbuf.len == w->wbuf.len &&
	    memcmp(w->hbuf.data, w->wbuf.data, w->hbuf.len) == 0)
		return 0;
	hs_whatif_change ch = {
		.kind = HS_WHATIF_FINAL,
		.agent = {a->t->name, a->id},
		.seq = a->nw,
	};
	return tell(w, &ch, w->hbuf.data, w->hbuf.len, w->wbuf.data,
		    w->wbuf.len);
}

int hsi_whatif_report(hsi_whatif *w)
{
	size_t nagents = w->agents.count;
	if (nagents == 0)
		return 0;
	/* The map keeps the order the agents were met in; the final states
	 * go by a sorted copy, made before fn is first called. */
	hsi_wagent **sorted = malloc(nagents * sizeof(*sorted));
	if (sorted == NULL)
		return HS_ENOMEM;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nagents; i++) {
		hsi_wagent *a = sorted[i] = hsi_whatif_agent(w, i);
		size_t n = a->nh > a->nw ? a->nh : a->nw;
		for (size_t s = 1; rc == 0 && s <= n; s++) {
			if (s > a->nw)
				rc = add_change(w, a, s, HS_WHATIF_MISSING);
			else if (a->w[s - 1].cmp == HSI_CMP_EXTRA)
				rc = add_change(w, a, s, HS_WHATIF_EXTRA);
			else if (a->w[s - 1].cmp == HSI_CMP_DIFFERS)
				rc = add_change(w, a, s, HS_WHATIF_CHANGED);
		}
	}
	if (rc == 0 && w->nchanges > 1)
		qsort(w->changes, w->nchanges, sizeof(*w->changes),
		      cmp_change);
	for (size_t i = 0; rc == 0 && i < w->nchanges; i++)
		rc = report_change(w, &w->changes[i]);
	if (rc == 0 && nagents > 1)
		qsort(sorted, nagents, sizeof(*sorted), cmp_agent);
	for (size_t i = 0; rc == 0 && i < nagents; i++)
		rc = report_final(w, sorted[i]);
	free(sorted);
	return rc;
}
