#include "core/activity.h"

#include <errno.h>
#include <time.h>

#include "core/runtime.h"

void hsi_activate(hs_runtime *rt, hsi_agent *a)
{
	hsi_activity_begin(rt);
	hsi_sched_push(&rt->sched, a);
}

void hsi_activity_begin(hs_runtime *rt)
{
	atomic_fetch_add(&rt->active, 1);
}

void hsi_deactivate(hs_runtime *rt)
{
	/* seq_cst with the idle_waiters increment in hs_await: either the
	 * waiter sees 0 or we see the waiter. */
	if (atomic_fetch_sub(&rt->active, 1) == 1 &&
	    atomic_load(&rt->idle_waiters) != 0) {
		pthread_mutex_lock(&rt->idle_mu);
		pthread_cond_broadcast(&rt->idle_cv);
		pthread_mutex_unlock(&rt->idle_mu);
	}
}

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int hs_await(hs_runtime *rt, int timeout_ms)
{
	if (rt == NULL)
		return HS_EINVAL;
	struct timespec deadline;
	if (timeout_ms >= 0)
		deadline_after(&deadline, timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&rt->idle_mu);
	atomic_fetch_add(&rt->idle_waiters, 1);
	while (atomic_load(&rt->active) != 0) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&rt->idle_cv, &rt->idle_mu);
		} else if (pthread_cond_timedwait(&rt->idle_cv, &rt->idle_mu,
						  &deadline) == ETIMEDOUT) {
			if (atomic_load(&rt->active) != 0)
				rc = HS_ETIMEDOUT;
			break;
		}
	}
	atomic_fetch_sub(&rt->idle_waiters, 1);
	pthread_mutex_unlock(&rt->idle_mu);
	if (rc == 0 && atomic_load(&rt->nfailed) != 0)
		rc = HS_EFAILED;
	return rc;
}
