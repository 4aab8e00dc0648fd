/*
 * Back-pressure: outside senders against a full mailbox wait on their
 * shard's `room` condition; the consumer wakes them when it has drained
 * the mailbox to half the limit, and hs_close wakes them all.
 *
 * Lost wake-ups: a sender increments the shard's `waiting` and then reads
 * the agent's `queued`; the consumer decrements `queued` and then reads
 * `waiting`; all four seq_cst, so at least one sees the other's write.
 * Either the sender sees the room, or the consumer sees the sender and
 * broadcasts under the shard lock, which the sender holds from its check
 * until it sleeps.
 */
#include "core/flow.h"

#include <errno.h>
#include <pthread.h>

#include "common/deadline.h"
#include "core/runtime.h"

/* Waiting senders are let in at this count: between it and the limit,
 * the agent has work while they wake, and one broadcast admits many. */
#define LOW_WATER(limit) ((limit) / 2)

int hsi_flow_admit(hs_runtime *rt, hsi_shard *s, hsi_agent *a,
		   hsi_admit *ad)
{
	unsigned limit = a->type->def.mailbox_limit;
	/* Relaxed: other producers change it only under the lock we hold,
	 * and the consumer only lowers it: a stale value errs towards
	 * "full", which the wait below rechecks. */
	if (atomic_load_explicit(&a->queued, memory_order_relaxed) < limit)
		goto admit;
	if (ad->timeout_ms == 0) {
		hsi_rare_add(&rt->rare.refused, 1);
		return HS_EAGAIN;
	}
	/* Relaxed: hs_close sets it before it takes each shard lock to wake
	 * us, and we hold this one. */
	if (atomic_load_explicit(&rt->closing, memory_order_relaxed))
		return HS_ECLOSED;
	if (ad->expired) {
		hsi_rare_add(&rt->rare.refused, 1);
		return HS_ETIMEDOUT;
	}
	if (ad->timeout_ms > 0 && !ad->has_deadline) {
		ad->deadline =
			hsi_deadline_in_ms(CLOCK_MONOTONIC, ad->timeout_ms);
		ad->has_deadline = true;
	}

	/* seq_cst, pairs with the decrement of `queued` and the load of
	 * `waiting` in hsi_flow_taken_slow (see the top of the file). */
	atomic_fetch_add_explicit(&s->waiting, 1, memory_order_seq_cst);
	int rc = HSI_FLOW_RETRY;
	if (atomic_load_explicit(&a->queued, memory_order_seq_cst) < limit) {
		rc = 0;
	} else if (ad->has_deadline) {
		if (pthread_cond_timedwait(&s->room, &s->mu, &ad->deadline) ==
		    ETIMEDOUT)
			ad->expired = true;
	} else {
		pthread_cond_wait(&s->room, &s->mu);
	}
	/* Relaxed: only makes consumers skip a broadcast; we are awake. */
	atomic_fetch_sub_explicit(&s->waiting, 1, memory_order_relaxed);
	if (rc != 0)
		return rc;
admit:
	hsi_flow_force(a);
	return 0;
}

void hsi_flow_taken_slow(hs_runtime *rt, hsi_agent *a, unsigned limit)
{
	/* seq_cst, pairs with the increment of `waiting` and the load of
	 * `queued` in hsi_flow_admit. */
	unsigned left = atomic_fetch_sub_explicit(&a->queued, 1,
						  memory_order_seq_cst) -
			1;
	/* The count moves by one at a time, so a mailbox that was full
	 * when a sender went to sleep passes this value on its way down. */
	if (left != LOW_WATER(limit))
		return;
	hsi_shard *s = hsi_registry_shard(&rt->registry, a->hash);
	if (atomic_load_explicit(&s->waiting, memory_order_seq_cst) == 0)
		return;
	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->mu);
}

void hsi_flow_close(hs_runtime *rt)
{
	for (size_t i = 0; i < HSI_REGISTRY_SHARDS; i++) {
		hsi_shard *s = &rt->registry.shards[i];
		pthread_mutex_lock(&s->mu);
		pthread_cond_broadcast(&s->room);
		pthread_mutex_unlock(&s->mu);
	}
}
