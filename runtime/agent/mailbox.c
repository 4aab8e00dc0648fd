#include "agent/mailbox.h"

#include <assert.h>
#include <stdlib.h>

#define IDLE_BIT ((uintptr_t)1)

void hsi_mailbox_init(hsi_mailbox *mb)
{
	atomic_init(&mb->stub.next, NULL);
	mb->tail = &mb->stub;
	atomic_init(&mb->head, (uintptr_t)&mb->stub | IDLE_BIT);
}

bool hsi_mailbox_push(hsi_mailbox *mb, hsi_node *n)
{
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	/* acq_rel: release publishes n->next = NULL before n is reachable;
	 * acquire pairs with the CAS in try_idle so that the producer that
	 * schedules the agent sees the consumer's last tail. */
	uintptr_t prev = atomic_exchange_explicit(&mb->head, (uintptr_t)n,
						  memory_order_acq_rel);
	hsi_node *p = (hsi_node *)(prev & ~IDLE_BIT);
	/* Pairs with the acquire load in hsi_mailbox_pop. */
	atomic_store_explicit(&p->next, n, memory_order_release);
	return (prev & IDLE_BIT) != 0;
}

hsi_node *hsi_mailbox_pop(hsi_mailbox *mb)
{
	hsi_node *spent;
	hsi_node *n = hsi_mailbox_pop_spent(mb, &spent);
	free(spent);
	return n;
}

hsi_node *hsi_mailbox_pop_spent(hsi_mailbox *mb, hsi_node **spent)
{
	hsi_node *tail = mb->tail;
	/* Pairs with the release store in hsi_mailbox_push. */
	hsi_node *next = atomic_load_explicit(&tail->next,
					      memory_order_acquire);
	*spent = NULL;
	if (next == NULL)
		return NULL;
	mb->tail = next;
	if (tail != &mb->stub)
		*spent = tail;
	/* The consumer reads the message after this one soon: start
	 * bringing it over from the producer's cache while this one is
	 * handled. Relaxed: a hint only; the next pop loads it again with
	 * acquire. Two lines: a message's header and the start of its
	 * data. */
	hsi_node *after = atomic_load_explicit(&next->next,
					       memory_order_relaxed);
	if (after != NULL) {
		__builtin_prefetch(after);
		__builtin_prefetch((const char *)after + 64);
	}
	return next;
}

bool hsi_mailbox_drained(const hsi_mailbox *mb)
{
	return atomic_load_explicit(&mb->tail->next, memory_order_acquire) ==
	       NULL;
}

bool hsi_mailbox_try_idle(hsi_mailbox *mb)
{
	hsi_node *spent;
	bool idle = hsi_mailbox_try_idle_spent(mb, &spent);
	free(spent);
	return idle;
}

bool hsi_mailbox_try_idle_spent(hsi_mailbox *mb, hsi_node **spent)
{
	hsi_node *tail = mb->tail;
	*spent = NULL;
	if (atomic_load_explicit(&tail->next, memory_order_acquire) != NULL)
		return false;

	/* Swap the stub back in so that an idle agent does not keep its last
	 * message alive. The stub is free: it was popped long ago. */
	if (tail != &mb->stub) {
		atomic_store_explicit(&mb->stub.next, NULL,
				      memory_order_relaxed);
		mb->tail = &mb->stub;
	}
	uintptr_t expected = (uintptr_t)tail;
	/* Release publishes mb->tail to the producer that next finds the idle
	 * bit (its acquire exchange) and so to the next consumer. Fails when
	 * a producer has exchanged head since tail was pushed. */
	if (atomic_compare_exchange_strong_explicit(
		    &mb->head, &expected, (uintptr_t)&mb->stub | IDLE_BIT,
		    memory_order_acq_rel, memory_order_relaxed)) {
		if (tail != &mb->stub)
			*spent = tail;
		return true;
	}
	mb->tail = tail;
	return false;
}

void hsi_mailbox_destroy(hsi_mailbox *mb)
{
	assert(hsi_mailbox_drained(mb));
	if (mb->tail != &mb->stub)
		free(mb->tail);
	mb->tail = &mb->stub;
}
