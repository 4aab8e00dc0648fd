/*
 * Step 1 of the what-if, the index: one scan of the records up to `to`
 * notes, per agent, each transition's gseq and state hash (32 bytes a
 * record); each caused record under the gseq of its cause, with a hash of
 * its event type and body (40 bytes); and finds every agent type the
 * replay needs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "replay/whatif.h"

/* Notes caused record r of agent a under its cause, which must be an
 * earlier record of the log. */
static int add_caused(hsi_whatif *w, hsi_wagent *a, const hsi_record *r)
{
	const hsi_cause *c = &r->cause;
	hsi_wagent *ca = hsi_whatif_find_agent(w, c->type, c->type_len, c->id,
					       c->id_len);
	if (ca == NULL || c->gseq >= r->gseq || c->seq > ca->nh ||
	    ca->h[c->seq - 1].gseq != c->gseq) {
		hsi_set_error(w->rt,
			      "%s: events key %016llx: its cause %.*s/%.*s "
			      "seq %llu gseq %llu is not an earlier record "
			      "of the log",
			      hsi_log_path(w->rt->log),
			      (unsigned long long)r->gseq, (int)c->type_len,
			      c->type, (int)c->id_len, c->id,
			      (unsigned long long)c->seq,
			      (unsigned long long)c->gseq);
		return HS_ECORRUPT;
	}
	hsi_caused *k = hsi_whatif_grow(w->caused, w->ncaused, &w->caused_cap,
					sizeof(*k), 256);
	if (k == NULL)
		return HS_ENOMEM;
	w->caused = k;
	/* Paired with what today's code sends: the body as it reads it. */
	const void *body;
	size_t len;
	int rc = hsi_whatif_upcast(w, a->t, r, &body, &len);
	if (rc != 0)
		return rc;
	w->caused[w->ncaused++] = (hsi_caused){
		.cause_gseq = c->gseq,
		.gseq = r->gseq,
		.mhash = hsi_whatif_msg_hash(r->event_type, r->event_type_len,
					     body, len),
		.to = a,
	};
	return 0;
}

static int cmp_caused(const void *pa, const void *pb)
{
	const hsi_caused *a = pa, *b = pb;
	if (a->cause_gseq != b->cause_gseq)
		return a->cause_gseq < b->cause_gseq ? -1 : 1;
	return a->gseq < b->gseq ? -1 : a->gseq > b->gseq;
}

size_t hsi_whatif_first_caused(const hsi_whatif *w, uint64_t cause_gseq,
			       uint64_t gseq)
{
	size_t lo = 0, hi = w->ncaused;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const hsi_caused *k = &w->caused[mid];
		if (k->cause_gseq < cause_gseq ||
		    (k->cause_gseq == cause_gseq && k->gseq < gseq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Each record's gseq and hash, under its agent; each caused record under
 * its cause. */
static int index_record(hsi_whatif *w, const hsi_record *r)
{
	char where[64];
	snprintf(where, sizeof(where), "(events key %016llx)",
		 (unsigned long long)r->gseq);
	hsi_wagent *a;
	int rc = hsi_whatif_get_agent(w, r->type, r->type_len, r->id,
				      r->id_len, NULL, where, &a);
	if (rc == HS_ECORRUPT)
		hsi_set_error(w->rt, "%s: events key %016llx: bad agent id",
			      hsi_log_path(w->rt->log),
			      (unsigned long long)r->gseq);
	if (rc != 0)
		return rc;
	if (r->seq != a->nh + 1) {
		hsi_set_error(w->rt,
			      "%s: events key %016llx: %s/%s seq %llu "
			      "follows seq %llu",
			      hsi_log_path(w->rt->log),
			      (unsigned long long)r->gseq, a->t->name, a->id,
			      (unsigned long long)r->seq,
			      (unsigned long long)a->nh);
		return HS_ECORRUPT;
	}
	if (r->cause.seq != 0 && (rc = add_caused(w, a, r)) != 0)
		return rc;
	hsi_htrans *h = hsi_whatif_grow(a->h, a->nh, &a->caph, sizeof(*h), 8);
	if (h == NULL)
		return HS_ENOMEM;
	a->h = h;
	a->h[a->nh++] = (hsi_htrans){r->gseq, r->state_hash, 0, 0};
	if (r->state_version != a->t->def.state_version)
		a->unhashed = r->seq;
	w->last_time = r->time_ns;
	return 0;
}

int hsi_whatif_index(hsi_whatif *w)
{
	int rc = hsi_whatif_scan(w, index_record);
	if (rc == 0 && w->ncaused > 1)
		qsort(w->caused, w->ncaused, sizeof(*w->caused), cmp_caused);
	return rc;
}
