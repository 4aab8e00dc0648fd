/* The sinks: what makes a transition final once the watchers saw it. */
#include "core/sink.h"

#include <stdlib.h>
#include <string.h>

#include "codec/record.h"
#include "core/runtime.h"
#include "core/waiter.h"
#include "core/transition.h"

void hsi_sink_memory(void *rt, const hs_transition *t)
{
	hsi_transition *tr = (hsi_transition *)t;
	hsi_timers_apply(rt, tr->timers);
	hsi_effects_release(rt, tr->effects, 0, 0);
	hsi_waiter_done(tr->waiter, 0, t->seq, 0);
}

/* The record of t, its gseq a placeholder at *gseq_off. */
static int encode_record(const hsi_transition *tr, hs_buf *out,
			 size_t *gseq_off)
{
	const hs_transition *t = &tr->pub;
	const hsi_agent *a = tr->agent;
	hsi_record r = {
		.version = HSI_FORMAT_VERSION,
		.type = a->type->name,
		.type_len = a->type->name_len,
		.id = a->id,
		.id_len = a->id_len,
		.seq = t->seq,
		.time_ns = t->time_ns,
		.event_type = t->event_type,
		.event_type_len = strlen(t->event_type),
		.body = t->event_len != 0 ? t->event_body : NULL,
		.body_len = t->event_len,
		.state_hash = hsi_state_hash(t->new_state, t->new_len),
		.event_version = a->type->def.event_version,
		.state_version = a->type->def.state_version,
	};
	if (t->cause_seq != 0) {
		r.cause.type = t->cause.type;
		r.cause.type_len = strlen(t->cause.type);
		r.cause.id = t->cause.id;
		r.cause.id_len = strlen(t->cause.id);
		r.cause.seq = t->cause_seq;
		r.cause.gseq = t->cause_gseq;
	}
	return hsi_record_encode(&r, out, gseq_off);
}

static hsi_commit *build_commit(const hsi_transition *tr)
{
	const hs_transition *t = &tr->pub;
	hsi_commit *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	unsigned every = tr->agent->type->def.snapshot_every;
	if (encode_record(tr, &c->rec, &c->gseq_off) != 0 ||
	    (every != 0 && t->seq % every == 0 &&
	     hsi_buf_append(&c->snapshot, t->new_state, t->new_len) != 0)) {
		hs_buf_free(&c->rec);
		hs_buf_free(&c->snapshot);
		free(c);
		return NULL;
	}
	c->agent = tr->agent;
	c->effects = tr->effects;
	c->waiter = tr->waiter;
	c->timers = tr->timers;
	c->seq = t->seq;
	c->time_ns = t->time_ns;
	return c;
}

static void free_commit(hsi_commit *c)
{
	hs_buf_free(&c->rec);
	hs_buf_free(&c->snapshot);
	free(c->watched);
	free(c);
}

void hsi_sink_log(void *p, const hs_transition *t)
{
	hs_runtime *rt = p;
	hsi_transition *tr = (hsi_transition *)t;
	/* Firings of timers this transition re-arms or cancels are stale
	 * from now on, though the table changes only once it is written. */
	hsi_timers_supersede(rt, tr->timers);
	hsi_commit *c = build_commit(tr);
	bool copy = hsi_watchers_want_durable(&rt->watchers);
	for (;;) {
		if (c != NULL && copy && c->watched == NULL &&
		    (c->watched = hsi_watched_copy(t)) == NULL) {
			free_commit(c);
			c = NULL;
		}
		if (c == NULL)
			break;
		if (hsi_writer_push(rt, c))
			return;
		copy = true; /* a durable watcher came meanwhile */
	}
	hsi_set_error(rt, "%s/%s seq %llu: out of memory building its record; "
			  "the log stops here",
		      t->agent.type, t->agent.id, (unsigned long long)t->seq);
	/* Every later write would leave a gap. Relaxed: a flag read by
	 * senders and the writer; the text is under its own lock. */
	atomic_store_explicit(&rt->writer.failed, HS_ENOMEM,
			      memory_order_relaxed);
	hsi_effects_release(rt, tr->effects, 0, HS_ENOMEM);
	hsi_timers_free(tr->timers);
	hsi_waiter_done(tr->waiter, HS_ENOMEM, 0, 0);
	tr->rc = HS_ENOMEM;
}
