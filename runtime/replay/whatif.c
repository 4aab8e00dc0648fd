/*
 * What-if: replays the whole log with edits (insert, drop, replace) into
 * a scratch overlay of agent states that this call owns, then compares the
 * what-if run with history. Neither the log nor the live agents are
 * touched.
 *
 * Three steps:
 *  1. index: one scan of the records up to `to` notes, per agent, each
 *     transition's gseq and state hash (32 bytes a record); each caused
 *     record under the gseq of its cause, with a hash of its event type
 *     and body (40 bytes); and finds every agent type the replay needs.
 *  2. run: a second scan walks history in gseq order: the inserts due
 *     before each record, then the record itself, unless it is dropped.
 *     A caused record is taken from history, at its place, only when the
 *     what-if transition of its cause ran as in history (the same seq of
 *     its agent, the same state after it) and sent it too: that
 *     transition's sends were paired with the records naming its history
 *     record as cause (per target agent in send order, by event type and
 *     body). Otherwise it is skipped. Sends left unpaired are delivered
 *     right after their transition, breadth-first in send order, each
 *     becoming a what-if transition caused by its sender's; except that a
 *     transition that ran as in history from the state history's started
 *     from sent what history's did, so its unpaired sends left no record
 *     in history and are dropped. Each what-if transition is compared
 *     with the history transition of the same agent and seq as soon as it
 *     is made; only those that differ keep their state, for the report.
 *  3. report: the differences sorted by their place in the what-if run
 *     (a missing record goes where its gseq was reached), then each agent
 *     whose final state differs, by (type, id). History states come from
 *     a per-agent replay cursor, so reporting a long run of differences
 *     costs one pass over the agent's history.
 *
 * Without edits every record runs as in history, so the run is history
 * itself and nothing is reported, however the log interleaved causes and
 * what they sent.
 *
 * Records are read in chunks and processed outside the RocksDB iterator,
 * so apply() and fn never run under RocksDB's frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "core/ctx.h"
#include "replay/report.h"

#define CHUNK_RECORDS 1024
#define CHUNK_BYTES ((size_t)4 << 20)
/* Messages that one delivered event may lead to, transitively, before
 * the what-if gives up on a cascade that does not end. */
#define CASCADE_MAX 1000000

/* How a what-if transition compares with history at its (agent, seq). */
enum {
	CMP_SAME,
	CMP_DIFFERS,
	CMP_EXTRA
};

typedef struct hist {
	uint64_t gseq;
	uint64_t hash;
	uint64_t wpos; /* what-if transitions made before its gseq's step */
	/* The what-if seq of the transition that applied this record's
	 * event unchanged, or 0 when none did (dropped, replaced, skipped,
	 * or apply made no change). */
	uint64_t wseq;
} hist;

struct wagent;

typedef struct wtrans {
	uint64_t gseq; /* place in the what-if run */
	int64_t time_ns;
	uint64_t hash;
	/* The history record whose event it applied unchanged, or 0: then
	 * the event is in whatif.events at ev_off: type, NUL, body. */
	uint64_t src_gseq;
	size_t ev_off;
	uint32_t body_len;
	uint8_t ev_type_len;
	uint8_t cmp;
	struct wagent *cause; /* NULL when it came from outside */
	uint64_t cause_seq;
	uint64_t cause_gseq;
	/* With cmp != CMP_SAME: its state, in whatif.states. */
	size_t state_off;
	size_t state_len;
} wtrans;

typedef struct wagent {
	const hsi_type *t;
	uint64_t key_hash;
	void *state; /* the what-if state; NULL until its first event */
	int64_t last_time;
	hist *h; /* history transitions up to `to`, by seq */
	size_t nh, caph;
	wtrans *w; /* what-if transitions, by seq */
	size_t nw, capw;
	void *hstate; /* history replay cursor for the report */
	uint64_t hseq;
	/* While one transition's sends are paired with history: its sends
	 * to this agent are pair[pair_next, pair_end) when pair_epoch is
	 * the current epoch. */
	uint64_t pair_epoch;
	size_t pair_next, pair_end;
	uint8_t id_len;
	char id[]; /* NUL-terminated */
} wagent;

/* An edit, checked and normalised. */
typedef struct wedit {
	const hs_edit *e;
	size_t idx;             /* its place in the caller's array */
	const hsi_type *t;      /* INSERT */
	size_t id_len;          /* INSERT */
	const char *event_type; /* NULL: REPLACE keeps the record's */
	size_t event_type_len;
	const void *body;
	size_t body_len;
} wedit;

/* A record that a handler sent, under the gseq of its cause. */
typedef struct kid {
	uint64_t cause_gseq;
	uint64_t gseq;
	uint64_t mhash; /* of its event type and body */
	wagent *to;     /* its agent */
	/* Paired with a send of the what-if transition of its cause, which
	 * ran as in history: taken from history at its place. */
	bool take;
} kid;

/* A send being paired. */
typedef struct psend {
	wagent *to; /* NULL: an agent without history */
	uint64_t mhash;
	size_t idx; /* its place among the transition's sends */
} psend;

/* The queue of messages sent in the what-if run, not yet delivered. */
typedef struct queue {
	hsi_effect *head;
	hsi_effect **tail;
} queue;

typedef struct change {
	uint64_t pos;
	uint64_t tie;
	uint8_t cls;
	uint8_t kind;
	wagent *a;
	uint64_t seq;
} change;

typedef struct whatif {
	hs_runtime *rt;
	uint64_t to;
	hs_whatif_fn fn;
	void *udata;

	/* Agents: an open-addressing map and the list of all. */
	wagent **map;
	size_t map_cap, nagents;
	wagent **list;
	size_t list_cap;

	wedit *ins, *mods;
	size_t nins, nmods, ins_i, mods_i;

	/* Every caused record up to `to`, by (cause_gseq, gseq). */
	kid *kids;
	size_t nkids, kids_cap;

	/* Scratch for pairing one transition's sends. */
	psend *ps;
	hsi_effect **sends;
	bool *paired;
	size_t ps_cap;
	uint64_t epoch;

	/* The what-if run. */
	uint64_t wcount;
	int64_t last_time; /* of the last history record */
	hs_buf events;
	hs_buf states;

	/* Reading records in chunks. */
	hs_buf chunk;
	size_t *offs;
	size_t *lens;
	size_t nchunk;
	uint64_t next;
	int chunk_err;

	hs_buf rec;  /* a history record, compared or reported */
	hs_buf srec; /* the source record of a what-if event */
	hs_buf crec; /* a record applied by the history cursor */
	hs_buf enc;  /* an encoded state */
	hs_buf hbuf; /* a history state */
	hs_buf wbuf; /* a what-if state */
	hs_buf json[2];

	change *changes;
	size_t nchanges, changes_cap;
} whatif;

/* ------------------------------------------------------------------ */
/* Agents                                                               */
/* ------------------------------------------------------------------ */

static uint64_t key_hash(const char *type, size_t type_len, const char *id,
			 size_t id_len)
{
	uint64_t h = hsi_fnv1a(HSI_FNV_SEED, type, type_len);
	h = hsi_fnv1a(h, "", 1);
	return hsi_mix64(hsi_fnv1a(h, id, id_len));
}

static bool same_agent(const wagent *a, uint64_t h, const char *type,
		       size_t type_len, const char *id, size_t id_len)
{
	return a->key_hash == h && a->t->name_len == type_len &&
	       a->id_len == id_len &&
	       memcmp(a->t->name, type, type_len) == 0 &&
	       memcmp(a->id, id, id_len) == 0;
}

static wagent *find_agent(const whatif *w, const char *type, size_t type_len,
			  const char *id, size_t id_len)
{
	if (w->map_cap == 0)
		return NULL;
	uint64_t h = key_hash(type, type_len, id, id_len);
	for (size_t i = h & (w->map_cap - 1);;
	     i = (i + 1) & (w->map_cap - 1)) {
		wagent *a = w->map[i];
		if (a == NULL)
			return NULL;
		if (same_agent(a, h, type, type_len, id, id_len))
			return a;
	}
}

static int map_grow(whatif *w)
{
	size_t cap = w->map_cap ? 2 * w->map_cap : 256;
	wagent **map = calloc(cap, sizeof(*map));
	if (map == NULL)
		return HS_ENOMEM;
	for (size_t k = 0; k < w->nagents; k++) {
		wagent *a = w->list[k];
		size_t i = a->key_hash & (cap - 1);
		while (map[i] != NULL)
			i = (i + 1) & (cap - 1);
		map[i] = a;
	}
	free(w->map);
	w->map = map;
	w->map_cap = cap;
	return 0;
}

/* The agent (type, id), added when absent; `t` is its type when known,
 * else it is looked up (HS_ENOTYPE, naming `where`, when missing). */
static int get_agent(whatif *w, const char *type, size_t type_len,
		     const char *id, size_t id_len, const hsi_type *t,
		     const char *where, wagent **out)
{
	wagent *a = find_agent(w, type, type_len, id, id_len);
	if (a != NULL) {
		*out = a;
		return 0;
	}
	if (id_len == 0 || id_len > HS_ID_MAX)
		return HS_ECORRUPT;
	int rc = t != NULL ? 0
			   : hsi_replay_type(w->rt, type, type_len, where, &t);
	if (rc != 0)
		return rc;
	if (2 * (w->nagents + 1) > w->map_cap && (rc = map_grow(w)) != 0)
		return rc;
	if (w->nagents == w->list_cap) {
		size_t cap = w->list_cap ? 2 * w->list_cap : 256;
		wagent **list = realloc(w->list, cap * sizeof(*list));
		if (list == NULL)
			return HS_ENOMEM;
		w->list = list;
		w->list_cap = cap;
	}
	a = calloc(1, sizeof(*a) + id_len + 1);
	if (a == NULL)
		return HS_ENOMEM;
	a->t = t;
	a->key_hash = key_hash(type, type_len, id, id_len);
	a->id_len = (uint8_t)id_len;
	memcpy(a->id, id, id_len);
	size_t i = a->key_hash & (w->map_cap - 1);
	while (w->map[i] != NULL)
		i = (i + 1) & (w->map_cap - 1);
	w->map[i] = a;
	w->list[w->nagents++] = a;
	*out = a;
	return 0;
}

static void free_agent(wagent *a)
{
	hsi_state_free(a->t, a->state);
	hsi_state_free(a->t, a->hstate);
	free(a->h);
	free(a->w);
	free(a);
}

/* ------------------------------------------------------------------ */
/* Reading records                                                      */
/* ------------------------------------------------------------------ */

static int chunk_add(void *p, uint64_t gseq, const void *rec, size_t len)
{
	whatif *w = p;
	if (gseq != w->next) {
		w->chunk_err = HS_ECORRUPT;
		return HS_ECORRUPT;
	}
	size_t off = w->chunk.len;
	if (hsi_buf_append(&w->chunk, rec, len) != 0) {
		w->chunk_err = HS_ENOMEM;
		return HS_ENOMEM;
	}
	w->offs[w->nchunk] = off;
	w->lens[w->nchunk] = len;
	w->nchunk++;
	w->next++;
	return w->nchunk == CHUNK_RECORDS || w->chunk.len >= CHUNK_BYTES ? 1
									 : 0;
}

typedef int (*record_fn)(whatif *w, const hsi_record *r);

/* Calls fn for every record with gseq 1..w->to, in order. */
static int for_each_record(whatif *w, record_fn fn)
{
	hs_runtime *rt = w->rt;
	const char *path = hsi_log_path(rt->log);
	uint64_t g = 1;
	while (g <= w->to) {
		hs_buf_reset(&w->chunk);
		w->nchunk = 0;
		w->next = g;
		w->chunk_err = 0;
		int rc = hsi_log_scan_events(rt->log, g, w->to, false,
					     chunk_add, w);
		if (rc < 0) {
			if (w->chunk_err == HS_ECORRUPT)
				hsi_set_error(rt,
					      "%s: events key %016llx "
					      "missing: gseq jumps to a "
					      "later key",
					      path,
					      (unsigned long long)w->next);
			else if (w->chunk_err == HS_ENOMEM)
				hsi_set_error(rt, "what-if: out of memory");
			else
				hsi_set_log_error(rt);
			return rc;
		}
		if (w->nchunk == 0) {
			hsi_set_error(rt,
				      "%s: events key %016llx missing: the "
				      "log ends before gseq %llu",
				      path, (unsigned long long)g,
				      (unsigned long long)w->to);
			return HS_ECORRUPT;
		}
		for (size_t i = 0; i < w->nchunk; i++) {
			hsi_record r;
			uint64_t gseq = g + i;
			rc = hsi_record_decode(w->chunk.data + w->offs[i],
					       w->lens[i], &r);
			if (rc == 0 && r.gseq != gseq)
				rc = HS_ECORRUPT;
			if (rc != 0) {
				hsi_set_error(rt, "%s: events key %016llx: %s",
					      path, (unsigned long long)gseq,
					      rc == HS_EVERSION
						      ? "record of a newer "
							"format"
						      : "record does not "
							"decode");
				return rc;
			}
			rc = fn(w, &r);
			if (rc != 0)
				return rc;
		}
		g = w->next;
	}
	return 0;
}

/* The hash that pairs a send with a record: event type and body (the
 * target agent is compared apart). A nil body is no body, as stored. */
static uint64_t msg_hash(const char *ev, size_t ev_len, const void *body,
			 size_t body_len)
{
	if (body_len == 1 && *(const uint8_t *)body == 0xc0)
		body_len = 0;
	uint64_t h = hsi_fnv1a(HSI_FNV_SEED, ev, ev_len);
	h = hsi_fnv1a(h, "", 1);
	return hsi_mix64(hsi_fnv1a(h, body, body_len));
}

/* Notes caused record r of agent a under its cause, which must be an
 * earlier record of the log. */
static int add_kid(whatif *w, wagent *a, const hsi_record *r)
{
	const hsi_cause *c = &r->cause;
	wagent *ca = find_agent(w, c->type, c->type_len, c->id, c->id_len);
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
	if (w->nkids == w->kids_cap) {
		size_t cap = w->kids_cap ? 2 * w->kids_cap : 256;
		kid *k = realloc(w->kids, cap * sizeof(*k));
		if (k == NULL)
			return HS_ENOMEM;
		w->kids = k;
		w->kids_cap = cap;
	}
	w->kids[w->nkids++] = (kid){
		.cause_gseq = c->gseq,
		.gseq = r->gseq,
		.mhash = msg_hash(r->event_type, r->event_type_len, r->body,
				  r->body_len),
		.to = a,
	};
	return 0;
}

static int cmp_kid(const void *pa, const void *pb)
{
	const kid *a = pa, *b = pb;
	if (a->cause_gseq != b->cause_gseq)
		return a->cause_gseq < b->cause_gseq ? -1 : 1;
	return a->gseq < b->gseq ? -1 : a->gseq > b->gseq;
}

/* The index of the first kid at or after (cause_gseq, gseq). */
static size_t kid_lower(const whatif *w, uint64_t cause_gseq, uint64_t gseq)
{
	size_t lo = 0, hi = w->nkids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const kid *k = &w->kids[mid];
		if (k->cause_gseq < cause_gseq ||
		    (k->cause_gseq == cause_gseq && k->gseq < gseq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Step 1: each record's gseq and hash, under its agent; each caused
 * record under its cause. */
static int index_record(whatif *w, const hsi_record *r)
{
	char where[64];
	snprintf(where, sizeof(where), "(events key %016llx)",
		 (unsigned long long)r->gseq);
	wagent *a;
	int rc = get_agent(w, r->type, r->type_len, r->id, r->id_len, NULL,
			   where, &a);
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
	if (r->cause.seq != 0 && (rc = add_kid(w, a, r)) != 0)
		return rc;
	if (a->nh == a->caph) {
		size_t cap = a->caph ? 2 * a->caph : 8;
		hist *h = realloc(a->h, cap * sizeof(*h));
		if (h == NULL)
			return HS_ENOMEM;
		a->h = h;
		a->caph = cap;
	}
	a->h[a->nh++] = (hist){r->gseq, r->state_hash, 0, 0};
	w->last_time = r->time_ns;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The what-if run                                                      */
/* ------------------------------------------------------------------ */

static void queue_push(queue *q, hsi_effect *list)
{
	*q->tail = list;
	while (*q->tail != NULL)
		q->tail = &(*q->tail)->next;
}

static hsi_effect *queue_pop(queue *q)
{
	hsi_effect *e = q->head;
	if (e != NULL) {
		q->head = e->next;
		if (q->head == NULL)
			q->tail = &q->head;
		e->next = NULL;
	}
	return e;
}

/* How transition x (seq s of agent a, event ev) compares with history. */
static int compare(whatif *w, wagent *a, const wtrans *x, uint64_t s,
		   const char *ev, size_t ev_len, const void *body,
		   size_t body_len, uint8_t *out)
{
	if (s > a->nh) {
		*out = CMP_EXTRA;
		return 0;
	}
	const hist *h = &a->h[s - 1];
	if (x->hash != h->hash) {
		*out = CMP_DIFFERS;
		return 0;
	}
	if (x->src_gseq == h->gseq) {
		*out = CMP_SAME;
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
	*out = same ? CMP_SAME : CMP_DIFFERS;
	return 0;
}

/*
 * Delivers one event to agent a in the what-if run. If apply changes the
 * state, the transition is recorded (what-if seq and gseq, hash, how it
 * compares with history), *made is set and *sent receives the messages
 * its handler sent, in send order. An event that apply rejects or that
 * changes nothing leaves no transition, and its sends are discarded: the
 * live runtime would record no transition either (sends from an
 * unchanged transition reach history as records from outside, which the
 * run takes from history).
 */
static int transit(whatif *w, wagent *a, const char *ev, size_t ev_len,
		   const void *body, size_t body_len, int64_t time_ns,
		   uint64_t src_gseq, wagent *cause, uint64_t cause_seq,
		   uint64_t cause_gseq, bool *made, hsi_effect **out)
{
	hs_runtime *rt = w->rt;
	const hsi_type *t = a->t;
	int rc;

	*made = false;
	*out = NULL;

	if (a->state == NULL && (rc = hsi_state_new(t, a->id, &a->state))) {
		hsi_set_error(rt, "what-if: init() of %s/%s failed (%d)",
			      t->name, a->id, rc);
		return rc;
	}
	if (time_ns < a->last_time)
		time_ns = a->last_time;
	if (a->nw == a->capw) {
		size_t cap = a->capw ? 2 * a->capw : 8;
		wtrans *v = realloc(a->w, cap * sizeof(*v));
		if (v == NULL)
			return HS_ENOMEM;
		a->w = v;
		a->capw = cap;
	}
	uint64_t seq = a->nw + 1;
	hsi_record r = {
		.version = HSI_FORMAT_VERSION,
		.type = t->name,
		.type_len = t->name_len,
		.id = a->id,
		.id_len = a->id_len,
		.seq = seq,
		.time_ns = time_ns,
		.event_type = ev,
		.event_type_len = ev_len,
		.body = body_len != 0 ? body : NULL,
		.body_len = body_len,
	};
	hsi_effect *sent = NULL;
	int arc = hsi_replay_apply(rt, t, a->id, a->id_len, a->state, &r,
				   &sent, NULL, 0);
	if (arc != HS_CHANGED) {
		hsi_effects_free(sent);
		return 0;
	}
	wtrans x = {
		.gseq = w->wcount + 1,
		.time_ns = time_ns,
		.src_gseq = src_gseq,
		.ev_type_len = (uint8_t)ev_len,
		.body_len = (uint32_t)body_len,
		.cause = cause,
		.cause_seq = cause_seq,
		.cause_gseq = cause_gseq,
	};
	rc = 0;
	if (src_gseq == 0) {
		x.ev_off = w->events.len;
		if (hsi_buf_reserve(&w->events, ev_len + 1 + body_len) != 0)
			rc = HS_ENOMEM;
		else {
			hsi_buf_append(&w->events, ev, ev_len);
			hsi_buf_append(&w->events, "", 1);
			hsi_buf_append(&w->events, body, body_len);
		}
	}
	hsi_encode_state(t, a->state, &w->enc);
	x.hash = hsi_state_hash(w->enc.data, w->enc.len);
	if (rc == 0)
		rc = compare(w, a, &x, seq, ev, ev_len, body, body_len,
			     &x.cmp);
	if (rc == 0 && x.cmp != CMP_SAME) {
		x.state_off = w->states.len;
		x.state_len = w->enc.len;
		rc = hsi_buf_append(&w->states, w->enc.data, w->enc.len);
	}
	if (rc != 0) {
		hsi_effects_free(sent);
		if (rc == HS_ENOMEM)
			hsi_set_error(rt, "what-if: out of memory");
		return rc;
	}
	a->w[a->nw++] = x;
	a->last_time = time_ns;
	w->wcount++;
	for (hsi_effect *e = sent; e != NULL; e = e->next)
		e->msg->cause_gseq = x.gseq;
	*made = true;
	*out = sent;
	return 0;
}

static int cmp_psend(const void *pa, const void *pb)
{
	const psend *a = pa, *b = pb;
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
 * record is taken from history at its place (kid.take), so its send is
 * dropped from *sent. With drop_rest, the unpaired sends go too.
 */
static int pair_sends(whatif *w, uint64_t cause_gseq, bool drop_rest,
		      hsi_effect **sent)
{
	size_t lo = kid_lower(w, cause_gseq, 0);
	size_t hi = kid_lower(w, cause_gseq + 1, 0);
	size_t n = 0;
	for (hsi_effect *e = *sent; e != NULL; e = e->next)
		n++;
	if (n == 0 || (lo == hi && !drop_rest))
		return 0;
	if (n > w->ps_cap) {
		size_t cap = w->ps_cap ? w->ps_cap : 16;
		while (cap < n)
			cap *= 2;
		psend *ps = realloc(w->ps, cap * sizeof(*ps));
		if (ps != NULL)
			w->ps = ps;
		hsi_effect **sends = realloc(w->sends, cap * sizeof(*sends));
		if (sends != NULL)
			w->sends = sends;
		bool *paired = realloc(w->paired, cap * sizeof(*paired));
		if (paired != NULL)
			w->paired = paired;
		if (ps == NULL || sends == NULL || paired == NULL)
			return HS_ENOMEM;
		w->ps_cap = cap;
	}
	size_t i = 0;
	for (hsi_effect *e = *sent; e != NULL; e = e->next, i++) {
		const hsi_msg *m = e->msg;
		w->sends[i] = e;
		w->paired[i] = false;
		w->ps[i] = (psend){
			.to = find_agent(w, e->type->name, e->type->name_len,
					 e->id, e->id_len),
			.mhash = msg_hash(hsi_msg_event_type(m),
					  m->event_type_len, hsi_msg_body(m),
					  m->body_len),
			.idx = i,
		};
	}
	if (lo < hi) {
		qsort(w->ps, n, sizeof(*w->ps), cmp_psend);
		uint64_t epoch = ++w->epoch;
		for (i = 0; i < n;) {
			size_t j = i + 1;
			while (j < n && w->ps[j].to == w->ps[i].to)
				j++;
			wagent *to = w->ps[i].to;
			if (to != NULL) {
				to->pair_epoch = epoch;
				to->pair_next = i;
				to->pair_end = j;
			}
			i = j;
		}
		for (size_t k = lo; k < hi; k++) {
			kid *c = &w->kids[k];
			wagent *to = c->to;
			if (to->pair_epoch != epoch)
				continue;
			for (size_t q = to->pair_next; q < to->pair_end; q++) {
				if (w->ps[q].mhash == c->mhash) {
					c->take = true;
					w->paired[w->ps[q].idx] = true;
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
 * Delivers one event to agent a and then, breadth-first in send order,
 * every message that follows from it. `he` is the history record whose
 * event it is, applied unchanged (NULL for an insert or a replacement);
 * `cause` is the what-if transition that sent it, if any.
 *
 * When the event of `he` makes a transition that runs as in history (the
 * same seq of its agent, the same resulting state), its sends are paired
 * with the records that name `he` as cause: those records are taken from
 * history at their places instead. A send left unpaired is delivered
 * here, unless the transition also started from the state that history's
 * did: then it sent what history's sent, and a send that left no record
 * left none in history either (its target did not change, or it was on
 * its way at `to`).
 */
static int deliver(whatif *w, wagent *a, const char *ev, size_t ev_len,
		   const void *body, size_t body_len, int64_t time_ns,
		   hist *he, wagent *cause, uint64_t cause_seq,
		   uint64_t cause_gseq)
{
	queue q = {NULL, &q.head};
	size_t delivered = 0;
	bool made;
	hsi_effect *sent;
	int rc = transit(w, a, ev, ev_len, body, body_len, time_ns,
			 he != NULL ? he->gseq : 0, cause, cause_seq,
			 cause_gseq, &made, &sent);
	if (rc == 0 && made && he != NULL) {
		uint64_t s = a->nw, hs = (uint64_t)(he - a->h) + 1;
		he->wseq = s;
		if (s == hs && a->w[s - 1].cmp == CMP_SAME) {
			bool before_same =
				s == 1 || a->w[s - 2].hash == a->h[s - 2].hash;
			rc = pair_sends(w, he->gseq, before_same, &sent);
		}
	}
	queue_push(&q, sent);
	hsi_effect *e;
	while (rc == 0 && (e = queue_pop(&q)) != NULL) {
		hsi_msg *m = e->msg;
		/* The sender is the transition that transit() just recorded
		 * and that set the message's cause. */
		wagent *from =
			find_agent(w, hsi_msg_cause_type(m), m->cause_type_len,
				   hsi_msg_cause_id(m), m->cause_id_len);
		wagent *to = NULL;
		if (from == NULL || m->cause_seq == 0 ||
		    m->cause_seq > from->nw) {
			hsi_set_error(w->rt, "what-if: a message lost its "
					     "sender");
			rc = HS_ECORRUPT;
		} else if (++delivered > CASCADE_MAX) {
			hsi_set_error(w->rt,
				      "what-if: one event led to more than "
				      "%d messages; a cascade that does not "
				      "end?",
				      CASCADE_MAX);
			rc = HS_ERANGE;
		} else {
			rc = get_agent(w, e->type->name, e->type->name_len,
				       e->id, e->id_len, e->type, "", &to);
		}
		if (rc == 0)
			rc = transit(w, to, hsi_msg_event_type(m),
				     m->event_type_len, hsi_msg_body(m),
				     m->body_len,
				     from->w[m->cause_seq - 1].time_ns, 0,
				     from, m->cause_seq, m->cause_gseq, &made,
				     &sent);
		if (rc == 0)
			queue_push(&q, sent);
		hsi_effects_free(e);
	}
	hsi_effects_free(q.head);
	return rc;
}

static int run_insert(whatif *w, const wedit *ed, int64_t time_ns)
{
	wagent *a;
	int rc = get_agent(w, ed->e->type, strlen(ed->e->type), ed->e->id,
			   ed->id_len, ed->t, "", &a);
	if (rc != 0)
		return rc;
	return deliver(w, a, ed->event_type, ed->event_type_len, ed->body,
		       ed->body_len, time_ns, NULL, NULL, 0, 0);
}

/* A caused record r of agent a, taken from history when the what-if
 * transition of its cause paired a send with it; else skipped. */
static int run_caused(whatif *w, wagent *a, hist *he, const hsi_record *r)
{
	const hsi_cause *c = &r->cause;
	size_t k = kid_lower(w, c->gseq, r->gseq);
	wagent *ca = find_agent(w, c->type, c->type_len, c->id, c->id_len);
	if (k == w->nkids || w->kids[k].gseq != r->gseq ||
	    w->kids[k].cause_gseq != c->gseq || ca == NULL ||
	    c->seq > ca->nh || ca->h[c->seq - 1].gseq != c->gseq) {
		hsi_set_error(w->rt,
			      "%s: events key %016llx changed while "
			      "the what-if read it",
			      hsi_log_path(w->rt->log),
			      (unsigned long long)r->gseq);
		return HS_ECORRUPT;
	}
	if (!w->kids[k].take)
		return 0;
	/* Paired by that cause's transition, which recorded its seq. */
	uint64_t ws = ca->h[c->seq - 1].wseq;
	if (ws == 0 || ws > ca->nw) {
		hsi_set_error(w->rt, "what-if: a record lost its cause");
		return HS_ECORRUPT;
	}
	return deliver(w, a, r->event_type, r->event_type_len, r->body,
		       r->body_len, r->time_ns, he, ca, ws,
		       ca->w[ws - 1].gseq);
}

/* Step 2, at each record: the inserts due before it, then the record
 * unless it is dropped, or caused by a transition that did not run (or
 * send it) as in history. */
static int run_record(whatif *w, const hsi_record *r)
{
	uint64_t step = w->wcount;
	int rc;
	while (w->ins_i < w->nins && w->ins[w->ins_i].e->gseq == r->gseq) {
		rc = run_insert(w, &w->ins[w->ins_i++], r->time_ns);
		if (rc != 0)
			return rc;
	}
	wagent *a = find_agent(w, r->type, r->type_len, r->id, r->id_len);
	if (a == NULL || r->seq == 0 || r->seq > a->nh ||
	    a->h[r->seq - 1].gseq != r->gseq) {
		hsi_set_error(w->rt,
			      "%s: events key %016llx changed while "
			      "the what-if read it",
			      hsi_log_path(w->rt->log),
			      (unsigned long long)r->gseq);
		return HS_ECORRUPT;
	}
	hist *he = &a->h[r->seq - 1];
	he->wpos = step;
	const wedit *m = NULL;
	if (w->mods_i < w->nmods && w->mods[w->mods_i].e->gseq == r->gseq)
		m = &w->mods[w->mods_i++];
	if (m != NULL && m->e->kind == HS_EDIT_DROP)
		return 0;
	if (r->cause.seq != 0)
		return run_caused(w, a, he, r); /* never edited */
	if (m == NULL)
		return deliver(w, a, r->event_type, r->event_type_len, r->body,
			       r->body_len, r->time_ns, he, NULL, 0, 0);
	const char *ev = m->event_type != NULL ? m->event_type : r->event_type;
	size_t ev_len =
		m->event_type != NULL ? m->event_type_len : r->event_type_len;
	return deliver(w, a, ev, ev_len, m->body, m->body_len, r->time_ns,
		       NULL, NULL, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Edits                                                                */
/* ------------------------------------------------------------------ */

static int cmp_edit(const void *pa, const void *pb)
{
	const wedit *a = pa, *b = pb;
	if (a->e->gseq != b->e->gseq)
		return a->e->gseq < b->e->gseq ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int bad_edit(hs_runtime *rt, size_t i, const char *why)
{
	hsi_set_error(rt, "what-if edit %zu: %s", i, why);
	return HS_EINVAL;
}

/* Checks an event type and body of edit i into ed. */
static int check_event(hs_runtime *rt, size_t i, const hs_edit *e, wedit *ed)
{
	if (e->event_type != NULL) {
		size_t n = strnlen(e->event_type, HS_NAME_MAX + 1);
		if (n == 0 || n > HS_NAME_MAX)
			return bad_edit(rt, i,
					"event type empty or longer "
					"than HS_NAME_MAX");
		ed->event_type = e->event_type;
		ed->event_type_len = n;
	}
	if (e->body == NULL && e->body_len != 0)
		return bad_edit(rt, i, "body NULL with a length");
	if (e->body_len > UINT32_MAX)
		return bad_edit(rt, i, "body too long");
	if (e->body_len != 0 && hs_msgpack_check(e->body, e->body_len) != 0)
		return bad_edit(rt, i, "body is not one msgpack value");
	ed->body = e->body;
	ed->body_len = e->body_len;
	/* A nil body is no body, as in hs_send. */
	if (ed->body_len == 1 && *(const uint8_t *)ed->body == 0xc0)
		ed->body_len = 0;
	return 0;
}

static int check_edits(whatif *w, const hs_edit *edits, size_t nedits)
{
	hs_runtime *rt = w->rt;
	char why[256];
	if (nedits == 0)
		return 0;
	w->ins = calloc(nedits, sizeof(*w->ins));
	w->mods = calloc(nedits, sizeof(*w->mods));
	if (w->ins == NULL || w->mods == NULL)
		return HS_ENOMEM;
	for (size_t i = 0; i < nedits; i++) {
		const hs_edit *e = &edits[i];
		wedit ed = {.e = e, .idx = i};
		if (e->gseq == 0)
			return bad_edit(rt, i,
					"gseq 0 names no record; gseqs "
					"start at 1");
		int rc = check_event(rt, i, e, &ed);
		if (rc != 0)
			return rc;
		if (e->kind == HS_EDIT_INSERT) {
			if (e->event_type == NULL)
				return bad_edit(rt, i,
						"insert without an "
						"event type");
			rc = hsi_check_addr(rt, e->type, e->id, &ed.t,
					    &ed.id_len);
			if (rc == HS_ENOTYPE) {
				hsi_set_error(rt,
					      "what-if edit %zu: agent "
					      "type '%s' is not "
					      "registered",
					      i, e->type);
				return rc;
			}
			if (rc != 0)
				return bad_edit(rt, i,
						"insert needs an agent "
						"type and id (1..255 "
						"bytes)");
			w->ins[w->nins++] = ed;
			continue;
		}
		if (e->kind != HS_EDIT_DROP && e->kind != HS_EDIT_REPLACE)
			return bad_edit(rt, i, "unknown kind");
		if (e->gseq > w->to) {
			snprintf(why, sizeof(why),
				 "gseq %llu names no record "
				 "(the what-if covers "
				 "1..%llu)",
				 (unsigned long long)e->gseq,
				 (unsigned long long)w->to);
			return bad_edit(rt, i, why);
		}
		hsi_record r;
		rc = hsi_read_record(rt, e->gseq, NULL, NULL, 0, 0, &w->rec,
				     &r);
		if (rc != 0)
			return rc;
		if (r.cause.seq != 0) {
			snprintf(why, sizeof(why),
				 "record gseq %llu (%.*s/%.*s "
				 "seq %llu) was sent by "
				 "%.*s/%.*s seq %llu; its "
				 "event follows from that "
				 "cause: edit the cause "
				 "instead",
				 (unsigned long long)e->gseq, (int)r.type_len,
				 r.type, (int)r.id_len, r.id,
				 (unsigned long long)r.seq,
				 (int)r.cause.type_len, r.cause.type,
				 (int)r.cause.id_len, r.cause.id,
				 (unsigned long long)r.cause.seq);
			return bad_edit(rt, i, why);
		}
		w->mods[w->nmods++] = ed;
	}
	if (w->nins > 1)
		qsort(w->ins, w->nins, sizeof(*w->ins), cmp_edit);
	if (w->nmods > 1)
		qsort(w->mods, w->nmods, sizeof(*w->mods), cmp_edit);
	for (size_t k = 1; k < w->nmods; k++) {
		if (w->mods[k].e->gseq == w->mods[k - 1].e->gseq) {
			snprintf(why, sizeof(why),
				 "record gseq %llu is "
				 "already dropped or "
				 "replaced by edit %zu",
				 (unsigned long long)w->mods[k].e->gseq,
				 w->mods[k - 1].idx);
			return bad_edit(rt, w->mods[k].idx, why);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The report                                                           */
/* ------------------------------------------------------------------ */

/* The history state of agent a after seq s, encoded into out: the cursor
 * moves forward record by record, or is rebuilt (from a snapshot) when it
 * would have to move back. */
static int hist_state(whatif *w, wagent *a, uint64_t s, hs_buf *out)
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

static int add_change(whatif *w, wagent *a, uint64_t seq, int kind)
{
	if (w->nchanges == w->changes_cap) {
		size_t cap = w->changes_cap ? 2 * w->changes_cap : 64;
		change *c = realloc(w->changes, cap * sizeof(*c));
		if (c == NULL)
			return HS_ENOMEM;
		w->changes = c;
		w->changes_cap = cap;
	}
	change c = {.a = a, .seq = seq, .kind = (uint8_t)kind};
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
	const change *a = pa, *b = pb;
	if (a->pos != b->pos)
		return a->pos < b->pos ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	return a->tie < b->tie ? -1 : a->tie > b->tie;
}

/* The what-if transition seq s of agent a as a record, in wn. */
static int whatif_record(whatif *w, wagent *a, uint64_t s,
			 hsi_named_record *wn)
{
	const wtrans *x = &a->w[s - 1];
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
	if (x->cmp != CMP_SAME) {
		wn->pub.state = w->states.data + x->state_off;
		wn->pub.state_len = x->state_len;
	}
	return 0;
}

static int report_change(whatif *w, const change *c)
{
	wagent *a = c->a;
	hsi_named_record hn, wn;
	hs_whatif_change ch = {
		.kind = (hs_whatif_kind)c->kind,
		.agent = {a->t->name, a->id},
		.seq = c->seq,
	};
	int rc = 0;
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
		hn.pub.state = w->hbuf.data;
		hn.pub.state_len = w->hbuf.len;
		ch.history = &hn.pub;
		rc = hsi_json_text(&w->json[0], w->hbuf.data, w->hbuf.len,
				   &ch.history_state_json);
	}
	if (rc == 0 && c->kind != HS_WHATIF_MISSING) {
		rc = whatif_record(w, a, c->seq, &wn);
		if (rc == 0) {
			ch.whatif = &wn.pub;
			rc = hsi_json_text(&w->json[1], wn.pub.state,
					   wn.pub.state_len,
					   &ch.whatif_state_json);
		}
	}
	if (rc != 0)
		return rc;
	return w->fn != NULL ? w->fn(w->udata, &ch) : 0;
}

static int cmp_agent(const void *pa, const void *pb)
{
	const wagent *a = *(wagent *const *)pa, *b = *(wagent *const *)pb;
	int c = strcmp(a->t->name, b->t->name);
	return c != 0 ? c : strcmp(a->id, b->id);
}

/* An agent's final states, when they differ. */
static int report_final(whatif *w, wagent *a)
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
	rc = hsi_json_text(&w->json[0], w->hbuf.data, w->hbuf.len,
			   &ch.history_state_json);
	if (rc == 0)
		rc = hsi_json_text(&w->json[1], w->wbuf.data, w->wbuf.len,
				   &ch.whatif_state_json);
	if (rc != 0)
		return rc;
	return w->fn != NULL ? w->fn(w->udata, &ch) : 0;
}

static int report(whatif *w)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < w->nagents; i++) {
		wagent *a = w->list[i];
		size_t n = a->nh > a->nw ? a->nh : a->nw;
		for (size_t s = 1; rc == 0 && s <= n; s++) {
			if (s > a->nw)
				rc = add_change(w, a, s, HS_WHATIF_MISSING);
			else if (a->w[s - 1].cmp == CMP_EXTRA)
				rc = add_change(w, a, s, HS_WHATIF_EXTRA);
			else if (a->w[s - 1].cmp == CMP_DIFFERS)
				rc = add_change(w, a, s, HS_WHATIF_CHANGED);
		}
	}
	if (rc != 0)
		return rc;
	if (w->nchanges > 1)
		qsort(w->changes, w->nchanges, sizeof(*w->changes),
		      cmp_change);
	for (size_t i = 0; rc == 0 && i < w->nchanges; i++)
		rc = report_change(w, &w->changes[i]);
	if (rc != 0)
		return rc;
	if (w->nagents > 1)
		qsort(w->list, w->nagents, sizeof(*w->list), cmp_agent);
	for (size_t i = 0; rc == 0 && i < w->nagents; i++)
		rc = report_final(w, w->list[i]);
	return rc;
}

/* ------------------------------------------------------------------ */

static void whatif_free(whatif *w)
{
	for (size_t i = 0; i < w->nagents; i++)
		free_agent(w->list[i]);
	free(w->list);
	free(w->map);
	free(w->ins);
	free(w->mods);
	free(w->kids);
	free(w->ps);
	free(w->sends);
	free(w->paired);
	free(w->offs);
	free(w->lens);
	free(w->changes);
	hs_buf *bufs[] = {&w->events, &w->states,  &w->chunk,  &w->rec,
			  &w->srec,   &w->crec,    &w->enc,    &w->hbuf,
			  &w->wbuf,   &w->json[0], &w->json[1]};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		hs_buf_free(bufs[i]);
	free(w);
}

int hs_whatif(hs_runtime *rt, const hs_edit *edits, size_t nedits,
	      uint64_t to_gseq, hs_whatif_fn fn, void *udata)
{
	if (rt == NULL || (edits == NULL && nedits != 0))
		return HS_EINVAL;
	if (rt->log == NULL)
		return HS_ENOTSUP;
	/* The log as far as it was written when the call began. */
	uint64_t end = hsi_log_last_gseq(rt->log);
	if (to_gseq > end) {
		hsi_set_error(rt,
			      "%s: gseq %llu is after the end of the log "
			      "(%llu)",
			      hsi_log_path(rt->log),
			      (unsigned long long)to_gseq,
			      (unsigned long long)end);
		return HS_ERANGE;
	}
	whatif *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return HS_ENOMEM;
	w->rt = rt;
	w->to = to_gseq != 0 ? to_gseq : end;
	w->fn = fn;
	w->udata = udata;
	w->offs = malloc(CHUNK_RECORDS * sizeof(*w->offs));
	w->lens = malloc(CHUNK_RECORDS * sizeof(*w->lens));
	int rc = w->offs == NULL || w->lens == NULL ? HS_ENOMEM : 0;
	if (rc == 0)
		rc = check_edits(w, edits, nedits);
	if (rc == 0)
		rc = for_each_record(w, index_record);
	if (rc == 0 && w->nkids > 1)
		qsort(w->kids, w->nkids, sizeof(*w->kids), cmp_kid);
	if (rc == 0)
		rc = for_each_record(w, run_record);
	/* Inserts after the last record. */
	while (rc == 0 && w->ins_i < w->nins)
		rc = run_insert(w, &w->ins[w->ins_i++], w->last_time);
	if (rc == 0)
		rc = report(w);
	if (rc == HS_ENOMEM)
		hsi_set_error(rt, "what-if: out of memory");
	whatif_free(w);
	return rc;
}
