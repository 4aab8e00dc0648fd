/* Reading agents from outside their handler: deref, status, restart. Each
 * works with the agent's shard locked, so that the agent stays in memory
 * meanwhile. */
#include <string.h>

#include "core/runtime.h"

static int acquire(hs_runtime *rt, const char *type, const char *id,
		   hsi_shard **s, hsi_agent **a)
{
	if (rt == NULL)
		return HS_EINVAL;
	const hsi_type *t;
	size_t id_len;
	int rc = hsi_check_addr(rt, type, id, &t, &id_len);
	if (rc != 0)
		return rc;
	return hsi_agent_acquire(rt, t, id, id_len, HSI_ACQUIRE_EXISTING, s,
				 a);
}

int hs_deref(hs_runtime *rt, const char *type, const char *id, hs_buf *out)
{
	if (out == NULL)
		return HS_EINVAL;
	hsi_shard *s;
	hsi_agent *a;
	int rc = acquire(rt, type, id, &s, &a);
	if (rc != 0)
		return rc;
	size_t len = out->len;
	hsi_spin_lock(&a->lock);
	rc = a->type->def.encode(a->state, out, a->type->def.udata);
	hsi_spin_unlock(&a->lock);
	pthread_mutex_unlock(&s->mu);
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
	hsi_shard *s;
	hsi_agent *a;
	int rc = acquire(rt, type, id, &s, &a);
	if (rc != 0)
		return rc;
	hs_agent_status st;
	memset(&st, 0, sizeof(st));
	hsi_spin_lock(&a->lock);
	st.seq = a->seq;
	st.failed = atomic_load(&a->failed);
	if (a->err != NULL) {
		st.error = a->err->code;
		st.skipped = a->err->skipped;
		memcpy(st.error_event, a->err->event, sizeof(st.error_event));
		memcpy(st.error_msg, a->err->msg, sizeof(st.error_msg));
	}
	hsi_spin_unlock(&a->lock);
	pthread_mutex_unlock(&s->mu);
	*out = st;
	return 0;
}

int hs_restart(hs_runtime *rt, const char *type, const char *id,
	       unsigned flags)
{
	if ((flags & ~HS_RESTART_DROP_PENDING) != 0)
		return HS_EINVAL;
	hsi_shard *s;
	hsi_agent *a;
	int rc = acquire(rt, type, id, &s, &a);
	if (rc != 0)
		return rc;
	bool expected = true;
	/* The winner of this exchange becomes the agent's consumer: a failed
	 * agent is unscheduled and producers do not schedule it. Pairs with
	 * the store in the worker's handle(). */
	if (!atomic_compare_exchange_strong(&a->failed, &expected, false)) {
		pthread_mutex_unlock(&s->mu);
		return HS_EINVAL;
	}
	if (flags & HS_RESTART_DROP_PENDING) {
		hsi_node *n;
		while ((n = hsi_mailbox_pop(&a->mbox)) != NULL)
			hsi_drop(rt, a->type, a->id, (hsi_msg *)n, HS_EFAILED);
	}
	hsi_spin_lock(&a->lock);
	if (a->err != NULL) {
		a->err->code = 0;
		a->err->event[0] = '\0';
		a->err->msg[0] = '\0';
	}
	hsi_spin_unlock(&a->lock);
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_sub(&rt->nfailed, 1);
	hsi_activate(rt, a);
	return 0;
}
