/* Questions about the past: a state at a point, records, the system at a
 * point. Everything reads the log and nothing writes it. */
#include <stdlib.h>
#include <string.h>

#include "replay/report.h"

static int need_log(hs_runtime *rt)
{
	if (rt == NULL)
		return HS_EINVAL;
	if (rt->log != NULL)
		return 0;
	hsi_set_error(rt, "this runtime keeps no log (opened without a "
			  "path): there is no past to query");
	return HS_ENOTSUP;
}

/* Checks a type name and an id as the public API takes them. */
static int check_names(hs_runtime *rt, const char *type, const char *id)
{
	size_t tn = strnlen(type, HS_NAME_MAX + 1);
	size_t in = strnlen(id, HS_ID_MAX + 1);
	if (tn == 0 || in == 0) {
		hsi_set_error(rt, "empty agent type or id");
		return HS_EINVAL;
	}
	if (tn > HS_NAME_MAX || in > HS_ID_MAX) {
		hsi_set_error(rt, "agent %s longer than %d bytes",
			      tn > HS_NAME_MAX ? "type" : "id",
			      tn > HS_NAME_MAX ? HS_NAME_MAX : HS_ID_MAX);
		return HS_ETOOLONG;
	}
	return 0;
}

/*
 * HS_ERANGE when time t is in the future: after both the runtime's clock
 * and the newest record (a log written with a simulated clock may run
 * ahead of the clock of whoever reads it).
 */
static int check_not_future(hs_runtime *rt, int64_t t)
{
	int64_t now = rt->opts.clock(rt->opts.clock_udata);
	if (t <= now)
		return 0;
	uint64_t last = hsi_log_last_gseq(rt->log);
	hs_buf rec = HS_BUF_INIT;
	hsi_record r;
	int64_t newest = INT64_MIN;
	if (last != 0 && hsi_log_get_event(rt->log, last, &rec) == 0 &&
	    hsi_record_decode(rec.data, rec.len, &r) == 0)
		newest = r.time_ns;
	hs_buf_free(&rec);
	if (t <= newest)
		return 0;
	hsi_set_error(rt, "time %lld ns is in the future (now is %lld, the "
			  "newest record is at %lld)",
		      (long long)t, (long long)now,
		      (long long)(newest == INT64_MIN ? 0 : newest));
	return HS_ERANGE;
}

/* Once the answer lies among this many index entries, one scan through
 * them costs less than further probes. */
#define SCAN_RANGE 64

/* A search of one agent's index for the last entry <= bound, by time or
 * by gseq (both non-decreasing in seq). Keeps v(lo) <= bound < v(hi). */
typedef struct search {
	hs_runtime *rt;
	const char *type;
	const char *id;
	hsi_index_cursor *c;
	bool by_time;
	int64_t bound;
	uint64_t first; /* the agent's first seq: 1, or its base */
	uint64_t lo, hi;
	int64_t vlo, vhi;
	uint64_t found; /* the scan's answer */
} search;

/* The value searched at seq. */
static int probe(search *s, uint64_t seq, int64_t *v)
{
	uint64_t gseq;
	int64_t time_ns;
	int rc = hsi_log_index_cursor_get(s->c, seq, &gseq, &time_ns);
	if (rc == 0) {
		*v = s->by_time ? time_ns : (int64_t)gseq;
		return 0;
	}
	if (rc == HS_ENOTFOUND)
		hsi_set_error(s->rt, "%s: index of %s/%s lacks seq %llu",
			      hsi_log_path(s->rt->log), s->type, s->id,
			      (unsigned long long)seq);
	else
		hsi_set_log_error(s->rt);
	return rc == HS_ENOTFOUND ? HS_ECORRUPT : rc;
}

/* Probes seq `at` in (lo, hi) and moves lo or hi to it: 1 when lo
 * moved, 0 when hi did, or an error. */
static int narrow(search *s, uint64_t at)
{
	int64_t v;
	int rc = probe(s, at, &v);
	if (rc != 0)
		return rc;
	if (v <= s->bound) {
		s->lo = at;
		s->vlo = v;
		return 1;
	}
	s->hi = at;
	s->vhi = v;
	return 0;
}

static int scan_step(void *p, uint64_t seq, uint64_t gseq, int64_t time_ns)
{
	search *s = p;
	if ((s->by_time ? time_ns : (int64_t)gseq) > s->bound)
		return 1; /* stops the scan */
	s->found = seq;
	return 0;
}

/*
 * Narrows (lo, hi) until at most SCAN_RANGE entries remain, then scans
 * them. Times and gseqs grow about linearly with seq, so each round
 * guesses by interpolation; a guess that leaves the range wider than
 * half gallops from it toward the answer (steps of SCAN_RANGE / 2 times
 * 8^k) and bisects once a step would pass the middle, so a round at
 * least halves the range.
 */
static int run_search(search *s)
{
	int rc;
	while (s->hi - s->lo > SCAN_RANGE) {
		uint64_t width = s->hi - s->lo;
		double f = ((double)s->bound - (double)s->vlo) /
			   ((double)s->vhi - (double)s->vlo);
		uint64_t at = s->lo + (uint64_t)(f * (double)width);
		at = at <= s->lo ? s->lo + 1 : at >= s->hi ? s->hi - 1 : at;
		if ((rc = narrow(s, at)) < 0)
			return rc;
		for (uint64_t d = SCAN_RANGE / 2;
		     s->hi - s->lo > SCAN_RANGE && s->hi - s->lo > width / 2;
		     d *= 8) {
			uint64_t left = s->hi - s->lo;
			if (d >= left / 2)
				at = s->lo + left / 2;
			else
				at = rc == 1 ? s->lo + d : s->hi - d;
			if ((rc = narrow(s, at)) < 0)
				return rc;
		}
	}
	s->found = s->lo;
	if (s->hi - s->lo > 1 &&
	    (rc = hsi_log_index_cursor_scan(s->c, s->lo + 1, s->hi - 1,
					    scan_step, s)) < 0) {
		hsi_set_log_error(s->rt);
		return rc;
	}
	return 0;
}

/* Sets lo and hi for run_search from the hints below (a seq at or below
 * the bound) and above (one past it), 0 = none, checking each with a
 * probe: a hint that is wrong (a damaged times entry) is ignored. Without
 * one, the ends are the agent's first seq and `last`. Sets *done, with s->found, when
 * the answer is already known. */
static int bracket(search *s, uint64_t last, uint64_t below, uint64_t above,
		   bool *done)
{
	int64_t v;
	int rc;
	*done = false;
	s->lo = 0;
	if (below >= s->first && below <= last) {
		if ((rc = probe(s, below, &v)) != 0)
			return rc;
		if (v <= s->bound)
			s->lo = below, s->vlo = v;
	}
	if (s->lo == 0) {
		if ((rc = probe(s, s->first, &s->vlo)) != 0)
			return rc;
		if (s->vlo > s->bound) {
			s->found = 0;
			*done = true;
			return 0;
		}
		s->lo = s->first;
	}
	s->hi = 0;
	if (above > s->lo && above <= last) {
		if ((rc = probe(s, above, &v)) != 0)
			return rc;
		if (v > s->bound)
			s->hi = above, s->vhi = v;
	}
	if (s->hi == 0) {
		if ((rc = probe(s, last, &s->vhi)) != 0)
			return rc;
		if (s->vhi <= s->bound) {
			s->found = last;
			*done = true;
			return 0;
		}
		s->hi = last;
	}
	return 0;
}

/* The largest seq in [first, last] whose index entry satisfies
 * entry <= bound (gseq or time); 0 if none. below and above are hints
 * for bracket(). */
static int search_seq(hs_runtime *rt, const char *type, size_t type_len,
		      const char *id, size_t id_len, uint64_t first,
		      uint64_t last, bool by_time, int64_t bound,
		      uint64_t below, uint64_t above, uint64_t *out)
{
	search s = {.rt = rt, .type = type, .id = id, .by_time = by_time,
		    .bound = bound, .first = first};
	int rc = hsi_log_index_cursor_open(rt->log, type, type_len, id,
					   id_len, &s.c);
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	bool done;
	if ((rc = bracket(&s, last, below, above, &done)) == 0 && !done)
		rc = run_search(&s);
	if (rc == 0)
		*out = s.found;
	rc = hsi_log_index_cursor_close(s.c, rc);
	if (rc != 0)
		hsi_set_log_error(rt);
	return rc;
}

/* search_seq by time, narrowed by the times entries around it. */
static int search_time(hs_runtime *rt, const hsi_type *t, const char *id,
		       size_t id_len, uint64_t first, uint64_t last,
		       int64_t time_ns, uint64_t *out)
{
	uint64_t below, above;
	int rc = hsi_log_time_bracket(rt->log, t->name, t->name_len, id,
				      id_len, time_ns, &below, &above);
	if (rc == HS_ENOTSUP)
		below = above = 0; /* an older log, read-only */
	else if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	return search_seq(rt, t->name, t->name_len, id, id_len, first, last,
			  true, time_ns, below, above, out);
}

/* The agent's first seq in the index: 1, or its base in a cut log. */
static int agent_first(hs_runtime *rt, const char *type, size_t type_len,
		       const char *id, size_t id_len, uint64_t *first)
{
	hsi_log_base base;
	int rc = hsi_log_agent_base(rt->log, type, type_len, id, id_len,
				    &base);
	*first = rc == 0 ? base.seq : 1;
	if (rc == HS_ENOTFOUND)
		rc = 0;
	if (rc != 0)
		hsi_set_log_error(rt);
	return rc;
}

/* The seq of agent (t, id) whose state is in force at point p. */
static int seq_at(hs_runtime *rt, const hsi_type *t, const char *id,
		  size_t id_len, hs_point p, uint64_t *out)
{
	const char *path = hsi_log_path(rt->log);
	uint64_t last, last_gseq;
	int rc = hsi_log_agent_last(rt->log, t->name, t->name_len, id, id_len,
				    &last, &last_gseq);
	if (rc == HS_ENOTFOUND) {
		hsi_set_error(rt, "%s: no record of agent %s/%s", path,
			      t->name, id);
		return HS_ENOAGENT;
	}
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	uint64_t first;
	if ((rc = agent_first(rt, t->name, t->name_len, id, id_len,
			      &first)) != 0)
		return rc;
	uint64_t seq = 0;
	switch (p.kind) {
	case HS_POINT_SEQ:
		if (p.seq == 0) {
			hsi_set_error(rt, "seq 0 is before the first "
					  "transition; seqs start at 1");
			return HS_EINVAL;
		}
		if (p.seq < first)
			return hsi_archived_or(rt, t, id, id_len, p.seq,
					       HS_ECORRUPT);
		if (p.seq > last) {
			hsi_set_error(rt, "%s/%s has %llu transitions; seq %llu "
					  "is after the last",
				      t->name, id, (unsigned long long)last,
				      (unsigned long long)p.seq);
			return HS_ERANGE;
		}
		seq = p.seq;
		break;
	case HS_POINT_GSEQ: {
		uint64_t end = hsi_log_last_gseq(rt->log);
		if (p.seq == 0) {
			hsi_set_error(rt, "gseq 0 is before the first "
					  "transition; gseqs start at 1");
			return HS_EINVAL;
		}
		if (p.seq > end) {
			hsi_set_error(rt, "%s: gseq %llu is after the end of "
					  "the log (%llu)",
				      path, (unsigned long long)p.seq,
				      (unsigned long long)end);
			return HS_ERANGE;
		}
		rc = p.seq >= last_gseq
			     ? (seq = last, 0)
			     : search_seq(rt, t->name, t->name_len, id, id_len,
					  first, last, false, (int64_t)p.seq,
					  0, 0, &seq);
		break;
	}
	case HS_POINT_TIME: {
		if ((rc = check_not_future(rt, p.time_ns)) != 0)
			return rc;
		rc = search_time(rt, t, id, id_len, first, last, p.time_ns,
				 &seq);
		break;
	}
	default:
		return HS_EINVAL;
	}
	if (rc != 0)
		return rc;
	if (seq == 0 && first > 1) {
		hsi_set_error(rt, "%s: %s/%s at that point is archived: the log "
				  "holds this agent from seq %llu (the cut "
				  "after gseq %llu)",
			      path, t->name, id, (unsigned long long)first,
			      (unsigned long long)hsi_log_base_gseq(rt->log));
		return HS_EARCHIVED;
	}
	if (seq == 0) {
		hsi_set_error(rt, "%s/%s had no transition yet at that point",
			      t->name, id);
		return HS_ENOAGENT;
	}
	*out = seq;
	return 0;
}

/* Rebuilds (t, id) after seq and appends its encoding to out. */
static int encode_at(hs_runtime *rt, const hsi_type *t, const char *id,
		     size_t id_len, uint64_t seq, hs_buf *out, uint64_t *gseq)
{
	void *state = calloc(1, t->def.state_size);
	if (state == NULL)
		return HS_ENOMEM;
	int rc = hsi_rebuild(rt, t, id, id_len, seq, state, gseq, NULL);
	if (rc == HS_ENOAGENT)
		rc = HS_ECORRUPT; /* seq_at saw it in the index */
	size_t len = out->len;
	if (rc == 0 && t->def.encode(state, out, t->def.udata) != 0) {
		out->len = len;
		hsi_set_error(rt, "%s/%s: encode failed at seq %llu", t->name,
			      id, (unsigned long long)seq);
		rc = HS_EHANDLER;
	}
	if (t->def.destroy != NULL)
		t->def.destroy(state, t->def.udata);
	free(state);
	return rc;
}

static int find_type(hs_runtime *rt, const char *name, const hsi_type **t)
{
	return hsi_replay_type(rt, name, strlen(name), "", t);
}

int hs_state_at(hs_runtime *rt, const char *type, const char *id,
		hs_point point, hs_buf *out, hs_receipt *at)
{
	int rc = need_log(rt);
	if (rc != 0)
		return rc;
	if (type == NULL || id == NULL || out == NULL)
		return HS_EINVAL;
	const hsi_type *t;
	if ((rc = check_names(rt, type, id)) != 0)
		return rc;
	size_t id_len = strlen(id);
	if ((rc = find_type(rt, type, &t)) != 0)
		return rc;
	uint64_t seq, gseq;
	rc = seq_at(rt, t, id, id_len, point, &seq);
	if (rc == 0)
		rc = encode_at(rt, t, id, id_len, seq, out, &gseq);
	if (rc == 0 && at != NULL) {
		at->seq = seq;
		at->gseq = gseq;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* History                                                              */
/* ------------------------------------------------------------------ */

typedef struct walk {
	hs_runtime *rt;
	const hs_filter *f;
	hs_record_fn fn;
	void *udata;
	uint64_t emitted;
	bool limit_reached;
	hs_buf rec;
	hs_buf state;
	hsi_upcast up; /* HS_HISTORY_UPCAST: the event as today's code
			* reads it */
	/* One agent, in order: its state, kept up to date record by
	 * record. */
	const hsi_type *t;
	void *live;
	/* One agent: index entries to visit, for reverse order. */
	uint64_t *seqs;
	uint64_t *gseqs;
	size_t n, cap;
} walk;

static bool passes(const hs_filter *f, const hsi_record *r)
{
	if (f->type != NULL && (strlen(f->type) != r->type_len ||
				memcmp(f->type, r->type, r->type_len) != 0))
		return false;
	if (f->id != NULL && (strlen(f->id) != r->id_len ||
			      memcmp(f->id, r->id, r->id_len) != 0))
		return false;
	if (f->event_type != NULL &&
	    (strlen(f->event_type) != r->event_type_len ||
	     memcmp(f->event_type, r->event_type, r->event_type_len) != 0))
		return false;
	if (f->has_since && r->time_ns < f->since_ns)
		return false;
	if (f->has_until && r->time_ns > f->until_ns)
		return false;
	return true;
}

/* Emits one record that passed the filter; `state` is the state after it
 * or NULL to rebuild it when asked for. */
static int emit(walk *w, const hsi_record *r, const void *state,
		size_t state_len)
{
	hsi_named_record nr;
	hsi_name_record(&nr, r);
	const hsi_type *ut;
	if ((w->f->flags & HS_HISTORY_UPCAST) &&
	    (ut = hsi_type_find(w->rt, nr.type)) != NULL &&
	    r->event_version != ut->def.event_version) {
		char why[256];
		int rc = hsi_upcast_event(ut, nr.event, r->event_version,
					  r->body, r->body_len, &w->up,
					  &nr.pub.body, &nr.pub.body_len, why,
					  sizeof(why));
		if (rc != 0) {
			hsi_set_error(w->rt, "%s: %s/%s seq %llu (gseq %llu): "
					     "%s",
				      hsi_log_path(w->rt->log), nr.type, nr.id,
				      (unsigned long long)r->seq,
				      (unsigned long long)r->gseq, why);
			return rc;
		}
		nr.pub.event_version = ut->def.event_version;
	}
	if ((w->f->flags & HS_HISTORY_STATES) && state == NULL) {
		const hsi_type *t;
		int rc = find_type(w->rt, nr.type, &t);
		hs_buf_reset(&w->state);
		if (rc == 0)
			rc = encode_at(w->rt, t, nr.id, r->id_len, r->seq,
				       &w->state, NULL);
		if (rc != 0)
			return rc;
		state = w->state.data;
		state_len = w->state.len;
	}
	nr.pub.state = state;
	nr.pub.state_len = state_len;
	w->emitted++;
	return w->fn(w->udata, &nr.pub);
}

static int on_event(void *p, uint64_t gseq, const void *data, size_t len)
{
	walk *w = p;
	hsi_record r;
	int rc = hsi_record_decode(data, len, &r);
	if (rc == 0 && r.gseq != gseq)
		rc = HS_ECORRUPT;
	if (rc != 0) {
		hsi_set_error(w->rt, "%s: events key %016llx: %s",
			      hsi_log_path(w->rt->log),
			      (unsigned long long)gseq,
			      rc == HS_EVERSION ? "record of a newer format"
						: "record does not decode");
		return rc;
	}
	if (!passes(w->f, &r))
		return 0;
	rc = emit(w, &r, NULL, 0);
	if (rc == 0 && w->f->limit != 0 && w->emitted == w->f->limit) {
		w->limit_reached = true;
		return 1; /* stops the scan */
	}
	return rc;
}

static int collect(void *p, uint64_t seq, uint64_t gseq, int64_t time_ns)
{
	walk *w = p;
	const hs_filter *f = w->f;
	/* With states in order, every record is needed to keep the state
	 * current; otherwise filter on what the index knows. */
	(void)gseq;
	if (w->live == NULL &&
	    ((f->has_since && time_ns < f->since_ns) ||
	     (f->has_until && time_ns > f->until_ns)))
		return 0;
	/* In order, once the limit's worth is collected the rest is not
	 * needed (an event filter may still drop some of them). */
	if (!f->reverse && f->limit != 0 && f->event_type == NULL &&
	    w->n == f->limit)
		return 1;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		uint64_t *s = realloc(w->seqs, cap * sizeof(*s));
		if (s == NULL)
			return HS_ENOMEM;
		w->seqs = s;
		uint64_t *g = realloc(w->gseqs, cap * sizeof(*g));
		if (g == NULL)
			return HS_ENOMEM;
		w->gseqs = g;
		w->cap = cap;
	}
	w->seqs[w->n] = seq;
	w->gseqs[w->n++] = gseq;
	return 0;
}

/* The seqs [*lo, *hi] of an agent's records whose gseqs lie in the
 * filter's gseq range (gseq grows with seq); *lo > *hi when none do. A
 * cut log's base entry is not a record: the records start after it. */
static int seq_range(hs_runtime *rt, const hs_filter *f, const char *type,
		     size_t id_len, uint64_t last, uint64_t last_gseq,
		     uint64_t *lo, uint64_t *hi)
{
	size_t type_len = strlen(type);
	uint64_t first;
	int rc = agent_first(rt, type, type_len, f->id, id_len, &first);
	if (rc != 0)
		return rc;
	uint64_t start = first > 1 ? first + 1 : 1;
	*lo = start;
	*hi = last;
	if (f->from_gseq > 1) {
		rc = search_seq(rt, type, type_len, f->id, id_len, first, last,
				false, (int64_t)(f->from_gseq - 1), 0, 0, lo);
		++*lo;
		if (*lo < start)
			*lo = start;
	}
	if (rc == 0 && f->to_gseq != 0 && f->to_gseq < last_gseq)
		rc = search_seq(rt, type, type_len, f->id, id_len, first, last,
				false, (int64_t)f->to_gseq,
				*lo > 1 ? *lo - 1 : 0, 0, hi);
	return rc;
}

/* The state before seq `first`, in w->live: the type's initial state, or
 * the one rebuilt from the newest snapshot before it. */
static int start_state(walk *w, const hsi_type *t, size_t id_len,
		       uint64_t first)
{
	const char *id = w->f->id;
	w->t = t;
	w->live = calloc(1, t->def.state_size);
	if (w->live == NULL)
		return HS_ENOMEM;
	if (first > 1)
		return hsi_rebuild(w->rt, t, id, id_len, first - 1, w->live,
				   NULL, NULL);
	if (t->def.init != NULL) {
		hs_addr self = {t->name, id};
		int rc = t->def.init(w->live, &self, t->def.udata);
		if (rc != 0)
			return rc < 0 ? rc : HS_EHANDLER;
	}
	return 0;
}

/* One agent: its index gives exactly its records, and the gseq range
 * gives the seqs to read, so a page of a long history costs the page. */
static int agent_history(walk *w, const hsi_type *t, const char *type,
			 size_t id_len)
{
	hs_runtime *rt = w->rt;
	const hs_filter *f = w->f;
	uint64_t last, last_gseq, lo, hi;
	int rc = hsi_log_agent_last(rt->log, type, strlen(type), f->id, id_len,
				    &last, &last_gseq);
	if (rc == HS_ENOTFOUND) {
		hsi_set_error(rt, "%s: no record of agent %s/%s",
			      hsi_log_path(rt->log), type, f->id);
		return HS_ENOAGENT;
	}
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	if ((rc = seq_range(rt, f, type, id_len, last, last_gseq, &lo, &hi)))
		return rc;
	if (lo > hi)
		return 0;
	bool in_order = (f->flags & HS_HISTORY_STATES) && !f->reverse;
	if (in_order && (rc = start_state(w, t, id_len, lo)) != 0)
		return rc;
	rc = hsi_log_scan_agent(rt->log, type, strlen(type), f->id, id_len, lo,
				hi, collect, w);
	if (rc == 1)
		rc = 0; /* collect has the limit's worth */
	if (rc != 0) {
		if (rc != HS_ENOMEM)
			hsi_set_log_error(rt);
		return rc;
	}
	for (size_t k = 0; k < w->n; k++) {
		size_t i = f->reverse ? w->n - 1 - k : k;
		hsi_record r;
		rc = hsi_read_record(rt, w->gseqs[i], NULL, NULL, 0, 0, &w->rec,
				     &r);
		if (rc != 0)
			return rc;
		if (r.seq != w->seqs[i] || r.id_len != id_len ||
		    memcmp(r.id, f->id, id_len) != 0 ||
		    r.type_len != strlen(type) ||
		    memcmp(r.type, type, r.type_len) != 0) {
			hsi_set_error(rt, "%s: events key %016llx does not "
					  "match its index entry %s/%s seq "
					  "%llu",
				      hsi_log_path(rt->log),
				      (unsigned long long)w->gseqs[i], type,
				      f->id, (unsigned long long)w->seqs[i]);
			return HS_ECORRUPT;
		}
		const void *state = NULL;
		size_t state_len = 0;
		if (in_order) {
			char msg[256];
			rc = hsi_replay_apply(rt, t, f->id, id_len, w->live,
					      &r, NULL, msg, sizeof(msg));
			if (rc == HS_ESCHEMA) {
				hsi_set_error(rt, "%s: replaying %s/%s seq "
						  "%llu (gseq %llu): %s",
					      hsi_log_path(rt->log), type,
					      f->id,
					      (unsigned long long)r.seq,
					      (unsigned long long)r.gseq, msg);
				return rc;
			}
			if (rc != HS_CHANGED) {
				hsi_set_error(rt, "replaying %s/%s seq %llu: "
						  "apply returns %d%s%s",
					      type, f->id,
					      (unsigned long long)r.seq, rc,
					      msg[0] ? ": " : "", msg);
				return rc < 0 ? rc : HS_EHANDLER;
			}
			hs_buf_reset(&w->state);
			if (t->def.encode(w->live, &w->state, t->def.udata))
				return HS_EHANDLER;
			state = w->state.data;
			state_len = w->state.len;
		}
		if (!passes(f, &r))
			continue;
		rc = emit(w, &r, state, state_len);
		if (rc != 0)
			return rc;
		if (f->limit != 0 && w->emitted == f->limit)
			return 0;
	}
	return 0;
}

int hs_history(hs_runtime *rt, const hs_filter *filter, hs_record_fn fn,
	       void *udata)
{
	int rc = need_log(rt);
	if (rc != 0)
		return rc;
	if (filter == NULL || fn == NULL ||
	    (filter->id != NULL && filter->type == NULL) ||
	    (filter->to_gseq != 0 && filter->to_gseq < filter->from_gseq))
		return HS_EINVAL;
	walk w = {.rt = rt, .f = filter, .fn = fn, .udata = udata,
		  .up = HSI_UPCAST_INIT};
	const hsi_type *t = NULL;
	if (filter->id != NULL) {
		if ((rc = check_names(rt, filter->type, filter->id)) != 0)
			return rc;
		size_t id_len = strlen(filter->id);
		if ((filter->flags & HS_HISTORY_STATES) &&
		    (rc = find_type(rt, filter->type, &t)) != 0)
			return rc;
		rc = agent_history(&w, t, filter->type, id_len);
	} else {
		uint64_t to = filter->to_gseq ? filter->to_gseq : UINT64_MAX;
		uint64_t from = filter->from_gseq ? filter->from_gseq : 1;
		rc = hsi_log_scan_events(rt->log, from, to, filter->reverse,
					 on_event, &w);
		if (w.limit_reached)
			rc = 0;
	}
	if (w.live != NULL) {
		if (w.t->def.destroy != NULL)
			w.t->def.destroy(w.live, w.t->def.udata);
		free(w.live);
	}
	free(w.seqs);
	free(w.gseqs);
	hs_buf_free(&w.rec);
	hs_buf_free(&w.state);
	hsi_upcast_free(&w.up);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The system at a point                                                */
/* ------------------------------------------------------------------ */

typedef struct cut {
	hs_runtime *rt;
	const char *type;
	hs_point point;
	hs_state_fn fn;
	void *udata;
	hs_buf state;
	int rc; /* on_agent's own result, to tell it from the scan's */
} cut;

static int on_agent_do(cut *c, const char *type, size_t type_len,
		       const char *id, size_t id_len)
{
	if (c->type != NULL && (strlen(c->type) != type_len ||
				memcmp(c->type, type, type_len) != 0))
		return 0;
	char tname[HS_NAME_MAX + 1], iname[HS_ID_MAX + 1];
	hsi_copy_name(tname, sizeof(tname), type, type_len);
	hsi_copy_name(iname, sizeof(iname), id, id_len);
	const hsi_type *t;
	int rc = find_type(c->rt, tname, &t);
	if (rc != 0)
		return rc;
	uint64_t seq, gseq;
	rc = seq_at(c->rt, t, iname, id_len, c->point, &seq);
	if (rc == HS_ENOAGENT)
		return 0; /* not yet born at that point */
	if (rc != 0)
		return rc;
	hs_buf_reset(&c->state);
	rc = encode_at(c->rt, t, iname, id_len, seq, &c->state, &gseq);
	if (rc != 0)
		return rc;
	hs_addr addr = {tname, iname};
	hs_receipt at = {seq, gseq};
	return c->fn(c->udata, addr, c->state.data, c->state.len, at);
}

static int on_agent(void *p, const char *type, size_t type_len,
		    const char *id, size_t id_len, uint64_t last_seq)
{
	cut *c = p;
	(void)last_seq;
	return c->rc = on_agent_do(c, type, type_len, id, id_len);
}

int hs_system_at(hs_runtime *rt, const char *type, hs_point point,
		 hs_state_fn fn, void *udata)
{
	int rc = need_log(rt);
	if (rc != 0)
		return rc;
	if (fn == NULL)
		return HS_EINVAL;
	if ((point.kind != HS_POINT_GSEQ && point.kind != HS_POINT_TIME) ||
	    (point.kind == HS_POINT_GSEQ && point.seq == 0)) {
		hsi_set_error(rt, "the system is taken at a gseq (>= 1) or a "
				  "time, not at a seq");
		return HS_EINVAL;
	}
	if (point.kind == HS_POINT_GSEQ &&
	    point.seq > hsi_log_last_gseq(rt->log)) {
		hsi_set_error(rt, "%s: gseq %llu is after the end of the log "
				  "(%llu)",
			      hsi_log_path(rt->log),
			      (unsigned long long)point.seq,
			      (unsigned long long)hsi_log_last_gseq(rt->log));
		return HS_ERANGE;
	}
	if (point.kind == HS_POINT_GSEQ &&
	    point.seq < hsi_log_base_gseq(rt->log)) {
		hsi_set_error(rt, "%s: the system at gseq %llu is archived: the "
				  "log holds the states from gseq %llu (its "
				  "cut) on",
			      hsi_log_path(rt->log),
			      (unsigned long long)point.seq,
			      (unsigned long long)hsi_log_base_gseq(rt->log));
		return HS_EARCHIVED;
	}
	if (point.kind == HS_POINT_TIME &&
	    (rc = check_not_future(rt, point.time_ns)) != 0)
		return rc;
	cut c = {rt, type, point, fn, udata, HS_BUF_INIT, 0};
	rc = hsi_log_scan_agents(rt->log, on_agent, &c);
	hs_buf_free(&c.state);
	if (rc < 0 && c.rc == 0)
		hsi_set_log_error(rt); /* the scan's own: a key or a read */
	return rc;
}
