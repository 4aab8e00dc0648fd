/* One turn of an agent on a worker: handle up to BATCH messages. */
#include <stdlib.h>
#include <string.h>

#include "codec/record.h"
#include "common/buf.h"
#include "core/ctx.h"

static void record_error(hsi_agent *a, const hs_ctx *ctx, const char *event,
			 int code)
{
	hsi_agent_err *err = a->err;
	if (err == NULL) {
		/* Without memory only the error's description is lost. */
		err = calloc(1, sizeof(*err));
		if (err == NULL)
			return;
		a->err = err;
	}
	err->code = code;
	strncpy(err->event, event, sizeof(err->event) - 1);
	err->event[sizeof(err->event) - 1] = '\0';
	memcpy(err->msg, ctx->error, sizeof(err->msg));
}

void hsi_effects_release(hs_runtime *rt, hsi_effect *e, uint64_t gseq,
			 int rc)
{
	while (e != NULL) {
		hsi_effect *next = e->next;
		e->msg->cause_gseq = gseq;
		int drc = rc;
		if (drc == 0 && atomic_load(&rt->closing))
			drc = HS_ECLOSED;
		if (drc == 0)
			drc = hsi_deliver(rt, e->type, e->id, e->id_len,
					  e->msg);
		if (drc != 0) {
			hsi_drop(rt, e->type, e->id, e->msg, drc);
			free(e->msg);
		}
		free(e);
		e = next;
	}
}

static void notify_watchers(hs_runtime *rt, hsi_worker *w, hsi_agent *a,
			    const hs_event *ev, int64_t now)
{
	hs_transition t = {
		.agent = {a->type->name, a->id},
		.seq = a->seq,
		.time_ns = now,
		.event_type = ev->type,
		.event_body = ev->body,
		.event_len = ev->len,
		.old_state = w->old_state.data,
		.old_len = w->old_state.len,
		.new_state = w->new_state.data,
		.new_len = w->new_state.len,
	};
	hsi_watchers_run(rt, &t);
}

/* Hands the transition to the commit writer, which releases its effects
 * and waiter once it is written. Returns false when out of memory: the
 * transition then cannot be logged. */
static bool commit(hs_runtime *rt, hsi_worker *w, hsi_agent *a,
		   const hsi_msg *m, const hs_ctx *ctx)
{
	hsi_commit *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return false;
	const hsi_type *t = a->type;
	hsi_record r = {
		.version = HSI_FORMAT_VERSION,
		.type = t->name,
		.type_len = t->name_len,
		.id = a->id,
		.id_len = a->id_len,
		.seq = a->seq,
		.time_ns = ctx->now,
		.event_type = hsi_msg_event_type(m),
		.event_type_len = m->event_type_len,
		.body = m->body_len ? hsi_msg_body(m) : NULL,
		.body_len = m->body_len,
		.state_hash = hsi_state_hash(w->new_state.data,
					     w->new_state.len),
	};
	if (m->cause_seq != 0) {
		r.cause.type = hsi_msg_cause_type(m);
		r.cause.type_len = m->cause_type_len;
		r.cause.id = hsi_msg_cause_id(m);
		r.cause.id_len = m->cause_id_len;
		r.cause.seq = m->cause_seq;
		r.cause.gseq = m->cause_gseq;
	}
	unsigned every = t->def.snapshot_every;
	if (hsi_record_encode(&r, &c->rec, &c->gseq_off) != 0 ||
	    (every != 0 && a->seq % every == 0 &&
	     hsi_buf_append(&c->snapshot, w->new_state.data,
			    w->new_state.len) != 0)) {
		hs_buf_free(&c->rec);
		free(c);
		return false;
	}
	c->agent = a;
	c->effects = ctx->effects;
	c->waiter = m->waiter;
	c->seq = a->seq;
	c->time_ns = ctx->now;
	hsi_writer_push(rt, c);
	return true;
}

/*
 * An outcome that changed nothing still rests on the agent's state, which
 * may include transitions not yet written: its messages and its waiter
 * are then released behind them, by the writer, as a commit without a
 * record. Returns false when nothing is waiting to be written (or no
 * memory), and the caller releases them now.
 */
static bool hold_behind_writes(hs_runtime *rt, hsi_agent *a, hsi_effect *e,
			       hsi_waiter *waiter, int rc)
{
	if (rt->log == NULL || (e == NULL && waiter == NULL) ||
	    atomic_load_explicit(&a->pending, memory_order_relaxed) == 0)
		return false;
	hsi_commit *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return false;
	c->agent = a;
	c->effects = e;
	c->waiter = waiter;
	c->result = rc;
	hsi_writer_push(rt, c);
	return true;
}

/* Handles one message. Returns false when the agent has failed. */
static bool handle(hs_runtime *rt, hsi_worker *w, hsi_agent *a,
		   const hsi_msg *m)
{
	const hs_type *def = &a->type->def;
	hs_event ev = {hsi_msg_event_type(m), hsi_msg_body(m), m->body_len};
	hs_ctx ctx = {
		.rt = rt,
		.type = a->type,
		.id = a->id,
		.id_len = a->id_len,
		.seq = a->seq + 1,
		.now = m->time_ns < a->last_time ? a->last_time : m->time_ns,
		.floor = a->last_time,
		.has_now = m->has_time,
	};
	ctx.effects_tail = &ctx.effects;

	bool watched = atomic_load_explicit(&rt->nwatchers_hint,
					    memory_order_relaxed) != 0;
	if (watched) {
		hs_buf_reset(&w->old_state);
		if (def->encode(a->state, &w->old_state, def->udata))
			hs_buf_reset(&w->old_state);
	}

	hsi_spin_lock(&a->lock);
	int rc = def->apply(&ctx, a->state, &ev);
	/* Someone will see this transition's state and time. */
	bool observed = watched || rt->log != NULL;
	if (rc == HS_CHANGED) {
		a->seq++;
		/* A time nobody saw need not be read. */
		if (observed || ctx.has_now)
			a->last_time = hsi_ctx_time(&ctx);
	} else if (rc > 0) {
		hs_ctx_set_error(&ctx, "apply returned %d", rc);
		rc = HS_EHANDLER;
	}
	if (rc < 0) {
		record_error(a, &ctx, ev.type, rc);
		if (def->on_error == HS_ON_ERROR_SKIP && a->err != NULL)
			a->err->skipped++;
	}
	hsi_spin_unlock(&a->lock);

	if (rc < 0) {
		hsi_effects_free(ctx.effects);
		hsi_waiter *waiter = m->waiter;
		if (def->on_error == HS_ON_ERROR_SKIP) {
			if (!hold_behind_writes(rt, a, NULL, waiter, rc))
				hsi_waiter_done(waiter, rc, 0, 0);
			return true;
		}
		atomic_fetch_add(&rt->nfailed, 1);
		/* From this store on, hs_restart may make another thread the
		 * agent's consumer, which frees `m` and may run the agent:
		 * neither `a` nor `m` is touched after it. The waiter (the
		 * sender's) then wakes to an agent already failed. */
		atomic_store(&a->failed, true);
		hsi_waiter_done(waiter, rc, 0, 0);
		return false;
	}
	if (rc == HS_UNCHANGED) {
		/* Nothing was recorded, so the messages have no cause. */
		for (hsi_effect *e = ctx.effects; e != NULL; e = e->next)
			e->msg->cause_seq = 0;
		if (!hold_behind_writes(rt, a, ctx.effects, m->waiter, 0)) {
			hsi_effects_release(rt, ctx.effects, 0, 0);
			hsi_waiter_done(m->waiter, 0, 0, 0);
		}
		return true;
	}

	if (observed) {
		hs_buf_reset(&w->new_state);
		/* A state that cannot be encoded is logged and watched as
		 * empty; replay will then report the divergence. */
		if (def->encode(a->state, &w->new_state, def->udata))
			hs_buf_reset(&w->new_state);
	}
	if (watched)
		notify_watchers(rt, w, a, &ev, ctx.now);
	if (rt->log == NULL) {
		hsi_effects_release(rt, ctx.effects, 0, 0);
		hsi_waiter_done(m->waiter, 0, a->seq, 0);
	} else if (!commit(rt, w, a, m, &ctx)) {
		hsi_set_error(rt, "%s/%s seq %llu: out of memory building its "
				  "record; the log stops here",
			      a->type->name, a->id,
			      (unsigned long long)a->seq);
		atomic_store(&rt->writer.failed, HS_ENOMEM);
		hsi_effects_release(rt, ctx.effects, 0, HS_ENOMEM);
		hsi_waiter_done(m->waiter, HS_ENOMEM, 0, 0);
	}
	return true;
}

void hsi_run_agent(void *udata, unsigned worker, hsi_agent *a)
{
	hs_runtime *rt = udata;
	hsi_worker *w = &rt->workers[worker];
	unsigned handled = 0;

	for (;;) {
		if (handled == rt->opts.batch) {
			if (hsi_sched_others_waiting(&rt->sched)) {
				hsi_sched_push(&rt->sched, a);
				return;
			}
			handled = 0;
		}
		hsi_node *n = hsi_mailbox_pop(&a->mbox);
		if (n == NULL) {
			if (hsi_mailbox_try_idle(&a->mbox)) {
				hsi_deactivate(rt);
				return;
			}
			continue; /* a producer is between its two steps */
		}
		handled++;
		if (!handle(rt, w, a, (const hsi_msg *)n)) {
			/* Failed: left unscheduled with its idle bit clear,
			 * so new messages queue up until hs_restart. `a` may
			 * already belong to a restarter: hands off. */
			hsi_deactivate(rt);
			return;
		}
	}
}
