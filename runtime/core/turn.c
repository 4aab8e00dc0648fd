/* One turn of an agent on a worker: handle up to BATCH messages, each
 * ending in a transition for the watchers, an error, or no change. */
#include <stdlib.h>
#include <string.h>

#include "core/turn.h"

#include "common/buf.h"
#include "core/ask.h"
#include "core/activity.h"
#include "core/ctx.h"
#include "core/flow.h"
#include "core/runtime.h"
#include "core/waiter.h"
#include "core/transition.h"

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
	/* Up to its NUL: the rest of ctx->error was never written. */
	size_t n = strnlen(ctx->error, sizeof(err->msg) - 1);
	memcpy(err->msg, ctx->error, n);
	err->msg[n] = '\0';
}

/* The watchers' view of the transition m made: its states are in the
 * worker's buffers, its effects and waiter go to the sink. */
static void publish(hs_runtime *rt, hsi_worker *w, hsi_agent *a,
		    const hsi_msg *m, hs_ctx *ctx)
{
	hsi_transition tr = {
		.pub = {
			.agent = {a->type->name, a->id},
			.seq = a->seq,
			.time_ns = ctx->now,
			.event_type = hsi_msg_event_type(m),
			.event_body = hsi_msg_body(m),
			.event_len = m->body_len,
			.old_state = w->old_state.data,
			.old_len = w->old_state.len,
			.new_state = w->new_state.data,
			.new_len = w->new_state.len,
			.cause = {"", ""},
		},
		.agent = a,
		.effects = ctx->effects.head,
		.waiter = m->waiter,
		.timers = ctx->timers.head,
	};
	if (m->cause_seq != 0) {
		tr.pub.cause.type = hsi_msg_cause_type(m);
		tr.pub.cause.id = hsi_msg_cause_id(m);
		tr.pub.cause_seq = m->cause_seq;
		tr.pub.cause_gseq = m->cause_gseq;
	}
	hsi_watchers_run(&rt->watchers, &tr.pub);
}

/* The effects but the questions (freed). */
static hsi_effect *without_questions(hsi_effect *e)
{
	hsi_effect *head = NULL, **tail = &head;
	while (e != NULL) {
		hsi_effect *next = e->next;
		e->next = NULL;
		if (e->msg->tail_kind == HSI_TAIL_ASK) {
			hsi_effects_free(e);
		} else {
			*tail = e;
			tail = &e->next;
		}
		e = next;
	}
	return head;
}

/* An answer to this agent's question ends the question's timeout. */
static void end_timer(hsi_agent *a, const hsi_msg *m, hs_ctx *ctx)
{
	hsi_timer *t = hsi_timer_new(HSI_TIMER_CANCEL, a->type->name,
				     a->type->name_len, a->id, a->id_len,
				     hsi_msg_tail(m), m->tail_len, NULL);
	/* Without memory the timeout fires: the handler is told so. */
	if (t != NULL)
		hsi_timer_ops_add(&ctx->timers, t);
}

/* The worker's counts of the agent's type, found where an outcome is
 * counted: a pointer kept across apply() would cost a register. */
#define COUNTS(rt, w, a) (&(a)->type->counts[(w) - (rt)->workers])

/* Handles one message. Returns false when the agent has failed. */
static bool handle(hs_runtime *rt, hsi_worker *w, hsi_agent *a,
		   const hsi_msg *m)
{
	const hs_type *def = &a->type->def;
	hs_event ev = {hsi_msg_event_type(m), hsi_msg_body(m), m->body_len};
	/* The owner re-armed or cancelled the timer since it fired. */
	if (hsi_timers_stale(rt, m)) {
		hsi_count(&COUNTS(rt, w, a)->unchanged, 1);
		return true;
	}
	hs_ctx ctx;
	hsi_ctx_init(&ctx, rt, a->type, a->id, a->id_len, a->seq + 1);
	ctx.msg = m;
	ctx.now = m->time_ns < a->last_time ? a->last_time : m->time_ns;
	ctx.floor = a->last_time;
	ctx.has_now = m->has_time;

	/* A watcher that comes before publish sees an empty old state, not
	 * the worker's buffer of an earlier transition. */
	bool watched = hsi_watchers_want_states(&rt->watchers);
	hs_buf_reset(&w->old_state);
	if (watched && def->encode(a->state, &w->old_state, def->udata))
		hs_buf_reset(&w->old_state);

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

	/* A firing is handled whatever the outcome: its timer ends. */
	hsi_timer *done = hsi_timer_done_of(m);
	if (rc != HS_CHANGED)
		hsi_timers_free(ctx.timers.head);
	if (rc < 0) {
		hsi_count(&COUNTS(rt, w, a)->errors, 1);
		hsi_effects_free(ctx.effects.head);
		/* An agent's question gets an error answer; an outside asker
		 * learns that the agent failed. */
		hsi_effect *answer = hsi_ask_error_answer(rt, m, rc);
		hsi_waiter *waiter = m->waiter;
		if (def->on_error == HS_ON_ERROR_SKIP) {
			if (!hsi_effects_hold(rt, a, answer, waiter, rc, done)) {
				hsi_effects_release(rt, answer, 0, 0);
				hsi_waiter_done(waiter, rc, 0, 0);
			}
			return true;
		}
		if (hsi_waiter_asks(waiter))
			rc = HS_EFAILED;
		if (!hsi_effects_hold(rt, a, answer, NULL, rc, done))
			hsi_effects_release(rt, answer, 0, 0);
		atomic_fetch_add_explicit(&rt->nfailed, 1,
					  memory_order_relaxed);
		/* From this store on, hs_restart may make another thread the
		 * agent's consumer, which frees `m` and may run the agent:
		 * neither `a` nor `m` is touched after it. The waiter (the
		 * sender's) then wakes to an agent already failed. Release
		 * pairs with the CAS in hs_restart: the new consumer sees
		 * this turn's writes to the agent. */
		atomic_store_explicit(&a->failed, true, memory_order_release);
		hsi_waiter_done(waiter, rc, 0, 0);
		return false;
	}
	if (rc == HS_UNCHANGED) {
		hsi_count(&COUNTS(rt, w, a)->unchanged, 1);
		/* Nothing was recorded, so the messages have no cause, and
		 * no questions leave: their ask ids come from the seq. */
		hsi_effect *e = without_questions(ctx.effects.head);
		hsi_effects_uncause(e);
		if (!hsi_effects_hold(rt, a, e, m->waiter, 0, done)) {
			hsi_effects_release(rt, e, 0, 0);
			hsi_waiter_done(m->waiter, 0, 0, 0);
		}
		return true;
	}

	/* A state that cannot be encoded is logged and watched as empty;
	 * replay will then report the divergence. */
	hs_buf_reset(&w->new_state);
	if (observed && def->encode(a->state, &w->new_state, def->udata))
		hs_buf_reset(&w->new_state);
	if (done != NULL)
		hsi_timer_ops_add(&ctx.timers, done);
	if (m->tail_kind == HSI_TAIL_CANCEL)
		end_timer(a, m, &ctx);
	hsi_count(&COUNTS(rt, w, a)->transitions, 1);
	publish(rt, w, a, m, &ctx);
	return true;
}

void hsi_run_agent(void *udata, unsigned worker, hsi_agent *a)
{
	hs_runtime *rt = udata;
	hsi_worker *w = &rt->workers[worker];
	unsigned handled = 0;
	hsi_count(&w->counts.turns, 1);

	for (;;) {
		if (handled == rt->opts.batch) {
			if (hsi_sched_others_waiting(&rt->sched)) {
				hsi_sched_push(&rt->sched, a);
				return;
			}
			handled = 0;
		}
		hsi_node *spent;
		hsi_node *n = hsi_mailbox_pop_spent(&a->mbox, &spent);
		if (spent != NULL)
			hsi_blocks_put(&rt->msgpool, &w->blocks, spent);
		if (n == NULL) {
			bool idle = hsi_mailbox_try_idle_spent(&a->mbox, &spent);
			if (spent != NULL)
				hsi_blocks_put(&rt->msgpool, &w->blocks, spent);
			if (idle) {
				hsi_deactivate(rt);
				return;
			}
			continue; /* a producer is between its two steps */
		}
		/* The turn goes on: what it woke so far need not wait for
		 * its end (another worker may take it now). */
		if (handled++ != 0)
			hsi_sched_flush_next(&rt->sched);
		/* Before handling: a failed agent is not ours afterwards. */
		hsi_flow_taken(rt, a);
		if (!handle(rt, w, a, (const hsi_msg *)n)) {
			/* Failed: left unscheduled with its idle bit clear,
			 * so new messages queue up until hs_restart. `a` may
			 * already belong to a restarter: hands off. */
			hsi_deactivate(rt);
			return;
		}
	}
}
