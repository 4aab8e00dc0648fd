/* Reading agents from outside their handler: deref, status, restart. */
#include <string.h>

#include "core/activate.h"
#include "core/activity.h"
#include "core/ask.h"
#include "core/effect.h"
#include "core/flow.h"
#include "core/passivate.h"
#include "core/runtime.h"
#include "core/send.h"
#include "core/timers.h"
#include "core/types.h"

/* Finds the agent (rebuilding it from the log if needed) and keeps it in
 * memory until unpin(), without holding its shard lock: taking the
 * agent's lock under the shard lock would deadlock with a handler that
 * holds the agent's lock and sends to an agent of the same shard. */
static int pin(hs_runtime *rt, const char *type, const char *id,
	       hsi_agent **a)
{
	if (rt == NULL)
		return HS_EINVAL;
	const hsi_type *t;
	size_t id_len;
	int rc = hsi_check_addr(rt, type, id, &t, &id_len);
	if (rc != 0)
		return rc;
	hsi_shard *s;
	rc = hsi_agent_acquire(rt, t, id, id_len, HSI_ACQUIRE_EXISTING, &s,
			       a);
	if (rc != 0)
		return rc;
	/* Under the shard lock, where the passivation sweep checks it. */
	atomic_fetch_add_explicit(&(*a)->pending, 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void unpin(hsi_agent *a)
{
	/* Pairs with the sweep's acquire load: the last touch of `a`. */
	atomic_fetch_sub_explicit(&a->pending, 1, memory_order_release);
}

int hs_deref(hs_runtime *rt, const char *type, const char *id, hs_buf *out)
{
	if (out == NULL)
		return HS_EINVAL;
	hsi_agent *a;
	int rc = pin(rt, type, id, &a);
	if (rc != 0)
		return rc;
	size_t len = out->len;
	hsi_spin_lock(&a->lock);
	rc = a->type->def.encode(a->state, out, a->type->def.udata);
	hsi_spin_unlock(&a->lock);
	unpin(a);
	hsi_check_resident(rt);
	if (rc != 0)
		out->len = len;
	return rc < 0 ? rc : (rc ? HS_EHANDLER : 0);
}

int hs_agent_status_get(hs_runtime *rt, const char *type, const char *id,
			hs_agent_status *out)
{
	if (out == NULL)
		return HS_EINVAL;
	hsi_agent *a;
	int rc = pin(rt, type, id, &a);
	if (rc != 0)
		return rc;
	hs_agent_status st;
	memset(&st, 0, sizeof(st));
	hsi_spin_lock(&a->lock);
	st.seq = a->seq;
	/* Relaxed: a snapshot for the report, like the fields beside it. */
	st.failed = atomic_load_explicit(&a->failed, memory_order_relaxed);
	if (a->err != NULL) {
		st.error = a->err->code;
		st.skipped = a->err->skipped;
		memcpy(st.error_event, a->err->event, sizeof(st.error_event));
		memcpy(st.error_msg, a->err->msg, sizeof(st.error_msg));
	}
	hsi_spin_unlock(&a->lock);
	unpin(a);
	*out = st;
	return 0;
}

/* A pending message dropped at restart: a timer's firing counts as
 * handled (its timer ends, as if the handler had ignored it), an agent's
 * question is answered with HS_EFAILED. */
static void drop_pending(hs_runtime *rt, hsi_agent *a, hsi_msg *m)
{
	hsi_timer *done = hsi_timer_done_of(m);
	if (done != NULL)
		hsi_effects_hold(rt, a, NULL, NULL, 0, done);
	hsi_effects_release(rt, hsi_ask_error_answer(rt, m, HS_EFAILED), 0, 0);
	hsi_drop(rt, a->type, a->id, m, HS_EFAILED);
}

int hs_restart(hs_runtime *rt, const char *type, const char *id,
	       unsigned flags)
{
	if ((flags & ~HS_RESTART_DROP_PENDING) != 0)
		return HS_EINVAL;
	hsi_agent *a;
	int rc = pin(rt, type, id, &a);
	if (rc != 0)
		return rc;
	bool expected = true;
	/* The winner of this exchange becomes the agent's consumer: a failed
	 * agent is unscheduled and producers do not schedule it. Pairs with
	 * the store in the worker's handle(). */
	if (!atomic_compare_exchange_strong_explicit(&a->failed, &expected,
						     false,
						     memory_order_acquire,
						     memory_order_relaxed)) {
		unpin(a);
		return HS_EINVAL;
	}
	if (flags & HS_RESTART_DROP_PENDING) {
		/* Room is made only once the drain is over: a sender let in
		 * by it would push into the mailbox being drained, and its
		 * message would go with the pending ones. */
		hsi_node *n;
		size_t dropped = 0;
		while ((n = hsi_mailbox_pop(&a->mbox)) != NULL) {
			drop_pending(rt, a, (hsi_msg *)n);
			dropped++;
		}
		hsi_rare_add(&rt->rare.unqueued, dropped);
		while (dropped-- > 0)
			hsi_flow_taken(rt, a);
	}
	hsi_spin_lock(&a->lock);
	if (a->err != NULL) {
		a->err->code = 0;
		a->err->event[0] = '\0';
		a->err->msg[0] = '\0';
	}
	hsi_spin_unlock(&a->lock);
	/* Relaxed: read by hs_await after it acquired `active`, which the
	 * activation below raises after this. */
	atomic_fetch_sub_explicit(&rt->nfailed, 1, memory_order_relaxed);
	hsi_rare_add(&rt->rare.restarts, 1);
	/* Scheduled (its idle bit is clear), so it stays in memory after
	 * the pin goes. */
	hsi_activate(rt, a);
	unpin(a);
	return 0;
}
