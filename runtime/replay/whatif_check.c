/*
 * The what-if run against history: how each what-if transition compares
 * with history's at the same (agent, seq), and which caused records still
 * hold. A caused record holds when the what-if transition of its cause
 * ran as in history (the same seq of its agent, the same state after it)
 * and sent it too: that transition's sends are paired with the records
 * naming its history record as cause, per target agent in send order, by
 * event type and body.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "core/ctx.h"
#include "replay/whatif.h"

/* A send being paired. */
struct hsi_send_key {
	hsi_wagent *to; /* NULL: an agent without history */
	uint64_t mhash;
	size_t idx; /* its place among the transition's sends */
};

/* The hash that pairs a send with a record: event type and body (the
 * target agent is compared apart). A nil body is no body, as stored. */
uint64_t hsi_whatif_msg_hash(const char *ev, size_t ev_len, const void *body,
			     size_t body_len)
{
	if (body_len == 1 && *(const uint8_t *)body == 0xc0)
		body_len = 0;
	uint64_t h = hsi_fnv1a(HSI_FNV_SEED, ev, ev_len);
	h = hsi_fnv1a(h, "", 1);
	return hsi_mix64(hsi_fnv1a(h, body, body_len));
}

int hsi_whatif_upcast(hsi_whatif *w, const hsi_type *t, const hsi_record *r,
		      const void **body, size_t *len)
{
	*body = r->body;
	*len = r->body_len;
	if (r->event_version == t->def.event_version)
		return 0;
	char why[256];
	hsi_event_name name;
	hsi_copy_name(name.s, sizeof(name.s), r->event_type,
		      r->event_type_len);
	int rc = hsi_upcast_event(t, name.s, r->event_version, r->body,
				  r->body_len, &w->up, body, len, why,
				  sizeof(why));
	if (rc != 0)
		hsi_set_error(w->rt, "%s: what-if: events key %016llx: %s",
			      hsi_log_path(w->rt->log),
			      (unsigned long long)r->gseq, why);
	return rc;
}

/* How transition x (seq s of agent a, event ev) compares with history:
 * HSI_CMP_* in *out. */
int hsi_whatif_compare(hsi_whatif *w, hsi_wagent *a, const hsi_wtrans *x,
		       uint64_t s, const char *ev, size_t ev_len,
		       const void *body, size_t body_len, uint8_t *out)
{
	if (s > a->nh) {
		*out = HSI_CMP_EXTRA;
		return 0;
	}
	hsi_htrans *h = &a->h[s - 1];
	if (s <= a->unhashed) {
		/* History's hash is of another state shape: the run is as
		 * history only while it applies history's own events from
		 * history's state (today's code then rebuilds history). */
		bool same = x->src_gseq == h->gseq &&
			    (s == 1 || a->w[s - 2].cmp == HSI_CMP_SAME);
		if (same)
			h->hash = x->hash;
		*out = same ? HSI_CMP_SAME : HSI_CMP_DIFFERS;
		return 0;
	}
	if (x->hash != h->hash) {
		*out = HSI_CMP_DIFFERS;
		return 0;
	}
	if (x->src_gseq == h->gseq) {
		*out = HSI_CMP_SAME;
		return 0;
	}
	hsi_record hr;
	int rc = hsi_read_record(w->rt, h->gseq, a->t, a->id, a->id_len, s,
				 &w->rec, &hr);
	if (rc != 0)
		return rc;
	bool same = hr.event_type_len == ev_len &&
		    memcmp(hr.event_type, ev, ev_len) == 0 &&
		    hr.body_len == body_len &&
		    (body_len == 0 || memcmp(hr.body, body, body_len) == 0);
	*out = same ? HSI_CMP_SAME : HSI_CMP_DIFFERS;
	return 0;
}

static int cmp_send_key(const void *pa, const void *pb)
{
	const struct hsi_send_key *a = pa, *b = pb;
	uintptr_t x = (uintptr_t)a->to, y = (uintptr_t)b->to;
	if (x != y)
		return x < y ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * Pairs *sent, the sends of a what-if transition that ran as the history
 * record at cause_gseq did, with the records that name that record as
 * cause: per target agent, in order, each record takes the first send
 * after the previous pair with the same event type and body. A paired
 * record is taken from history at its place (hsi_caused.take), so its
 * send is dropped from *sent. With drop_rest (the transition also started
 * from history's state), the unpaired sends go too, and every record that
 * names it as cause is taken: besides sends, its timers' firings and the
 * answers to its questions, which a replay cannot re-derive (an answer
 * comes from the answerer's handler, a firing was paired above when its
 * timer was set again).
 */
static int pair_with_history(hsi_whatif *w, uint64_t cause_gseq,
			     bool drop_rest, hsi_effect **sent)
{
	size_t lo = hsi_whatif_first_caused(w, cause_gseq, 0);
	size_t hi = hsi_whatif_first_caused(w, cause_gseq + 1, 0);
	if (drop_rest)
		for (size_t k = lo; k < hi; k++)
			w->caused[k].take = true;
	size_t n = 0;
	for (hsi_effect *e = *sent; e != NULL; e = e->next)
		n++;
	if (n == 0 || (lo == hi && !drop_rest))
		return 0;
	if (n > w->sends_cap) {
		size_t cap = w->sends_cap ? w->sends_cap : 16;
		while (cap < n)
			cap *= 2;
		struct hsi_send_key *keys =
			realloc(w->send_keys, cap * sizeof(*keys));
		if (keys != NULL)
			w->send_keys = keys;
		hsi_effect **sends = realloc(w->sends, cap * sizeof(*sends));
		if (sends != NULL)
			w->sends = sends;
		bool *paired = realloc(w->paired, cap * sizeof(*paired));
		if (paired != NULL)
			w->paired = paired;
		if (keys == NULL || sends == NULL || paired == NULL)
			return HS_ENOMEM;
		w->sends_cap = cap;
	}
	struct hsi_send_key *keys = w->send_keys;
	size_t i = 0;
	for (hsi_effect *e = *sent; e != NULL; e = e->next, i++) {
		const hsi_msg *m = e->msg;
		w->sends[i] = e;
		w->paired[i] = false;
		keys[i] = (struct hsi_send_key){
			.to = hsi_whatif_find_agent(w, e->type->name,
						    e->type->name_len, e->id,
						    e->id_len),
			.mhash = hsi_whatif_msg_hash(
				hsi_msg_event_type(m), m->event_type_len,
				hsi_msg_body(m), m->body_len),
			.idx = i,
		};
	}
	if (lo < hi) {
		qsort(keys, n, sizeof(*keys), cmp_send_key);
		uint64_t epoch = ++w->epoch;
		for (i = 0; i < n;) {
			size_t j = i + 1;
			while (j < n && keys[j].to == keys[i].to)
				j++;
			hsi_wagent *to = keys[i].to;
			if (to != NULL) {
				to->pair_epoch = epoch;
				to->pair_next = i;
				to->pair_end = j;
			}
			i = j;
		}
		for (size_t k = lo; k < hi; k++) {
			hsi_caused *c = &w->caused[k];
			hsi_wagent *to = c->to;
			if (to->pair_epoch != epoch)
				continue;
			for (size_t q = to->pair_next; q < to->pair_end; q++) {
				if (keys[q].mhash == c->mhash) {
					c->take = true;
					w->paired[keys[q].idx] = true;
					to->pair_next = q + 1;
					break;
				}
			}
		}
	}
	hsi_effect **tail = sent;
	*sent = NULL;
	for (i = 0; i < n; i++) {
		hsi_effect *e = w->sends[i];
		e->next = NULL;
		if (w->paired[i] || drop_rest) {
			hsi_effects_free(e);
		} else {
			*tail = e;
			tail = &e->next;
		}
	}
	return 0;
}

/*
 * Transition a->nw has just applied the event of history record he
 * unchanged and sent *sent. When it runs as in history (the same seq of
 * its agent, the same resulting state), its sends are paired with the
 * records that name he as cause: those records are taken from history at
 * their places instead, and their sends leave *sent. A send left
 * unpaired stays, to be delivered, unless the transition also started
 * from the state that history's did: then it sent what history's sent,
 * and a send that left no record left none in history either (its target
 * did not change, or it was on its way at `to`).
 */
int hsi_whatif_pair_sends(hsi_whatif *w, hsi_wagent *a, const hsi_htrans *he,
			  hsi_effect **sent)
{
	uint64_t s = a->nw, hs = (uint64_t)(he - a->h) + 1;
	if (s != hs || a->w[s - 1].cmp != HSI_CMP_SAME)
		return 0;
	bool before_same = s == 1 || a->w[s - 2].hash == a->h[s - 2].hash;
	return pair_with_history(w, he->gseq, before_same, sent);
}

/* Whether caused record r holds: *cause_seq is the what-if transition of
 * *cause that paired a send with it, or 0 when none did and r goes. */
int hsi_whatif_caused_holds(hsi_whatif *w, const hsi_record *r,
			    hsi_wagent **cause, uint64_t *cause_seq)
{
	const hsi_cause *c = &r->cause;
	size_t k = hsi_whatif_first_caused(w, c->gseq, r->gseq);
	hsi_wagent *ca = hsi_whatif_find_agent(w, c->type, c->type_len, c->id,
					       c->id_len);
	if (k == w->ncaused || w->caused[k].gseq != r->gseq ||
	    w->caused[k].cause_gseq != c->gseq || ca == NULL ||
	    c->seq > ca->nh || ca->h[c->seq - 1].gseq != c->gseq)
		return hsi_whatif_log_changed(w, r->gseq);
	*cause = ca;
	*cause_seq = 0;
	if (!w->caused[k].take)
		return 0;
	/* Paired by that cause's transition, which recorded its seq. */
	uint64_t ws = ca->h[c->seq - 1].wseq;
	if (ws == 0 || ws > ca->nw) {
		hsi_set_error(w->rt, "what-if: a record lost its cause");
		return HS_ECORRUPT;
	}
	*cause_seq = ws;
	return 0;
}
