#include "core/activity.h"

#include <errno.h>
#include <time.h>

#include "common/deadline.h"
#include "core/runtime.h"

void hsi_activate(hs_runtime *rt, hsi_agent *a)
{
	hsi_activity_begin(rt);
	hsi_sched_wake(&rt->sched, a);
}

void hsi_activity_begin(hs_runtime *rt)
{
	/* Relaxed: the caller either holds a unit already (a turn, an
	 * unwritten transition), whose later decrement cannot come before
	 * this one in the counter's order, or is an outside sender that
	 * hs_await does not wait for anyway. */
	atomic_fetch_add_explicit(&rt->active, 1, memory_order_relaxed);
}

void hsi_deactivate(hs_runtime *rt)
{
	/* seq_cst, pairs with the idle_waiters increment and the loads of
	 * `active` in hs_await: either the waiter sees 0 or we see the
	 * waiter. The decrement also releases this unit's work to it. */
	if (atomic_fetch_sub_explicit(&rt->active, 1, memory_order_seq_cst) ==
		    1 &&
	    atomic_load_explicit(&rt->idle_waiters, memory_order_seq_cst) !=
		    0) {
		pthread_mutex_lock(&rt->idle_mu);
		pthread_cond_broadcast(&rt->idle_cv);
		pthread_mutex_unlock(&rt->idle_mu);
	}
}

int hs_await(hs_runtime *rt, int timeout_ms)
{
	if (rt == NULL)
		return HS_EINVAL;
	struct timespec deadline;
	if (timeout_ms >= 0)
		deadline = hsi_deadline_in_ms(CLOCK_REALTIME, timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&rt->idle_mu);
	/* seq_cst, pairs with hsi_deactivate (see there). */
	atomic_fetch_add_explicit(&rt->idle_waiters, 1, memory_order_seq_cst);
	while (atomic_load_explicit(&rt->active, memory_order_seq_cst) != 0) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&rt->idle_cv, &rt->idle_mu);
		} else if (pthread_cond_timedwait(&rt->idle_cv, &rt->idle_mu,
						  &deadline) == ETIMEDOUT) {
			if (atomic_load_explicit(&rt->active,
						 memory_order_seq_cst) != 0)
				rc = HS_ETIMEDOUT;
			break;
		}
	}
	/* Relaxed: a stale count only costs hsi_deactivate a broadcast. */
	atomic_fetch_sub_explicit(&rt->idle_waiters, 1, memory_order_relaxed);
	pthread_mutex_unlock(&rt->idle_mu);
	/* Relaxed: a failure is counted before its turn's decrement of
	 * `active`, which the load above acquired. */
	if (rc == 0 &&
	    atomic_load_explicit(&rt->nfailed, memory_order_relaxed) != 0)
		rc = HS_EFAILED;
	return rc;
}
