#include <stdlib.h>

#include "core/runtime.h"

int hs_watch(hs_runtime *rt, hs_watch_fn fn, void *udata, int *id)
{
	if (rt == NULL || fn == NULL)
		return HS_EINVAL;
	pthread_rwlock_wrlock(&rt->watch_lock);
	hsi_watcher *grown = realloc(rt->watchers, (rt->nwatchers + 1) *
							   sizeof(*grown));
	if (grown == NULL) {
		pthread_rwlock_unlock(&rt->watch_lock);
		return HS_ENOMEM;
	}
	rt->watchers = grown;
	int wid = ++rt->next_watch_id;
	grown[rt->nwatchers++] = (hsi_watcher){fn, udata, wid};
	atomic_store_explicit(&rt->nwatchers_hint, rt->nwatchers,
			      memory_order_relaxed);
	pthread_rwlock_unlock(&rt->watch_lock);
	if (id != NULL)
		*id = wid;
	return 0;
}

int hs_unwatch(hs_runtime *rt, int id)
{
	if (rt == NULL)
		return HS_EINVAL;
	int rc = HS_ENOTFOUND;
	pthread_rwlock_wrlock(&rt->watch_lock);
	for (size_t i = 0; i < rt->nwatchers; i++) {
		if (rt->watchers[i].id == id) {
			rt->watchers[i] = rt->watchers[--rt->nwatchers];
			rc = 0;
			break;
		}
	}
	atomic_store_explicit(&rt->nwatchers_hint, rt->nwatchers,
			      memory_order_relaxed);
	pthread_rwlock_unlock(&rt->watch_lock);
	return rc;
}

void hsi_watchers_run(hs_runtime *rt, const hs_transition *t)
{
	pthread_rwlock_rdlock(&rt->watch_lock);
	for (size_t i = 0; i < rt->nwatchers; i++)
		rt->watchers[i].fn(rt->watchers[i].udata, t);
	pthread_rwlock_unlock(&rt->watch_lock);
}
