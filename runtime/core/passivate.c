/*
 * Passivation: with a resident limit, idle agents leave memory (their
 * state is in the log) so that more agents than fit in RAM can live in one
 * log. A clock sweep over the shards: an agent used since the hand last
 * passed keeps its place once more.
 */
#include "core/passivate.h"

#include "core/runtime.h"

/* Sweeps down to this share of the limit, so that one sweep pays for
 * many insertions. */
#define LOW_WATER(limit) ((limit) - (limit) / 8)

static bool evictable(hsi_agent *a, void *udata)
{
	(void)udata;
	/* First: a held ref lets its holder push without the shard lock.
	 * Refs go from 0 to 1 only under the lock we hold; acquire pairs
	 * with hs_ref_release's decrement, so the pushes made through the
	 * ref are visible in the `head` read below. */
	if (atomic_load_explicit(&a->refs, memory_order_acquire) != 0)
		return false;
	/* Acquire pairs with the worker's CAS in hsi_mailbox_try_idle: the
	 * state written by its last apply is visible to destroy. A failed or
	 * busy agent has the bit clear. Other producers push under the shard
	 * lock we hold, so the bit cannot change under us. */
	uintptr_t head = atomic_load_explicit(&a->mbox.head,
					      memory_order_acquire);
	if ((head & 1) == 0)
		return false;
	/* Pairs with the writer's release decrement in finish(). */
	if (atomic_load_explicit(&a->pending, memory_order_acquire) != 0)
		return false;
	/* Nothing in the log would bring back an agent without transitions
	 * (its init would run again) or the error and skip count of its
	 * status: such agents stay. Idle, so no worker writes these now. */
	if (a->seq == 0 || a->err != NULL)
		return false;
	if (atomic_exchange_explicit(&a->recent, false, memory_order_relaxed))
		return false;
	hsi_agent_free(a);
	return true;
}

void hsi_passivate(hs_runtime *rt)
{
	size_t limit = rt->opts.resident_limit;
	bool busy = false;
	/* Acquire pairs with the release store that ended the last sweep:
	 * this sweeper sees the hand where that one left it. */
	if (!atomic_compare_exchange_strong_explicit(&rt->sweeping, &busy, true,
						     memory_order_acquire,
						     memory_order_relaxed))
		return; /* another thread sweeps already */
	size_t target = LOW_WATER(limit);
	/* Two rounds: the first may only clear `recent` bits. */
	for (unsigned i = 0; i < 2 * HSI_REGISTRY_SHARDS; i++) {
		size_t resident = atomic_load_explicit(&rt->resident,
						       memory_order_relaxed);
		if (resident <= target)
			break;
		hsi_shard *s = &rt->registry.shards[rt->sweep_hand];
		rt->sweep_hand = (rt->sweep_hand + 1) % HSI_REGISTRY_SHARDS;
		pthread_mutex_lock(&s->mu);
		size_t gone = hsi_registry_sweep(s, evictable, NULL,
						 resident - target);
		hsi_count(&s->stats[HSI_SHARD_PASSIVATED], gone);
		pthread_mutex_unlock(&s->mu);
		atomic_fetch_sub_explicit(&rt->resident, gone,
					  memory_order_relaxed);
	}
	/* Pairs with the acquire CAS above, in the next sweeper. */
	atomic_store_explicit(&rt->sweeping, false, memory_order_release);
}

size_t hs_resident(hs_runtime *rt)
{
	return rt == NULL ? 0
			  : atomic_load_explicit(&rt->resident,
						 memory_order_relaxed);
}
