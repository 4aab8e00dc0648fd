/* One turn of an agent on a worker: handle up to BATCH messages. */
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"

static void record_error(hsi_agent *a, const hs_ctx *ctx, const char *event,
			 int code)
{
	hsi_agent_err *err = a->err;
	if (err == NULL) {
		/* Without memory the error is still counted in `failed` or
		 * simply skipped; only its description is lost. */
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

/* Delivers a handler's messages in the order sent, or reports them as
 * dropped when the runtime is closing. */
static void release_effects(hs_runtime *rt, hsi_effect *e)
{
	while (e != NULL) {
		hsi_effect *next = e->next;
		int rc = HS_ECLOSED;
		if (!atomic_load(&rt->closing))
			rc = hsi_deliver(rt, e->type, e->id, e->id_len, e->msg);
		if (rc != 0) {
			hsi_drop(rt, e->type, e->id, e->msg);
			free(e->msg);
		}
		free(e);
		e = next;
	}
}

static void notify_watchers(hs_runtime *rt, hsi_worker *w, hsi_agent *a,
			    const hs_event *ev, int64_t now)
{
	hs_buf_reset(&w->new_state);
	/* A state that cannot be encoded now is shown empty; the handler's
	 * transition itself stands. */
	if (a->type->def.encode(a->state, &w->new_state, a->type->def.udata))
		hs_buf_reset(&w->new_state);
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

/* Handles one message. Returns false when the agent has failed. */
static bool handle(hs_runtime *rt, hsi_worker *w, hsi_agent *a,
		   const hsi_msg *m)
{
	const hs_type *def = &a->type->def;
	hs_event ev = {hsi_msg_event_type(m), hsi_msg_body(m), m->body_len};
	int64_t now = rt->opts.clock(rt->opts.clock_udata);
	if (now < a->last_time)
		now = a->last_time;
	hs_ctx ctx = {
		.rt = rt,
		.type = a->type,
		.id = a->id,
		.seq = a->seq + 1,
		.now = now,
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
	if (rc == HS_CHANGED) {
		a->seq++;
		a->last_time = now;
	} else if (rc < 0) {
		record_error(a, &ctx, ev.type, rc);
		if (def->on_error == HS_ON_ERROR_SKIP && a->err != NULL)
			a->err->skipped++;
	} else if (rc != HS_UNCHANGED) {
		record_error(a, &ctx, ev.type, HS_EHANDLER);
		rc = HS_EHANDLER;
	}
	hsi_spin_unlock(&a->lock);

	if (rc < 0) {
		hsi_effects_free(ctx.effects);
		if (def->on_error == HS_ON_ERROR_SKIP)
			return true;
		atomic_fetch_add(&rt->nfailed, 1);
		atomic_store(&a->failed, true);
		return false;
	}
	if (rc == HS_CHANGED && watched)
		notify_watchers(rt, w, a, &ev, now);
	release_effects(rt, ctx.effects);
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
			 * so new messages queue up until hs_restart. */
			hsi_deactivate(rt);
			return;
		}
	}
}
