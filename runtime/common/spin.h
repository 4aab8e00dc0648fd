#ifndef HS_COMMON_SPIN_H
#define HS_COMMON_SPIN_H

#include <sched.h>
#include <stdatomic.h>

/* A 4-byte lock for per-agent data: agents are many and the lock is almost
 * never contended (only a deref or status read meets a running handler), so
 * a pthread mutex would cost memory for nothing. */
typedef struct hsi_spin {
	atomic_uint held;
} hsi_spin;

static inline void hsi_spin_lock(hsi_spin *s)
{
	for (unsigned n = 0;; n++) {
		/* Pairs with the release store in hsi_spin_unlock. */
		if (!atomic_exchange_explicit(&s->held, 1, memory_order_acquire))
			return;
		while (atomic_load_explicit(&s->held, memory_order_relaxed)) {
			if (++n > 64)
				sched_yield();
		}
	}
}

static inline void hsi_spin_unlock(hsi_spin *s)
{
	/* Pairs with the acquire exchange in hsi_spin_lock. */
	atomic_store_explicit(&s->held, 0, memory_order_release);
}

#endif
