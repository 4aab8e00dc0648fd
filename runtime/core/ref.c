/*
 * Agent references. A ref pins its agent: the agent's `refs` count keeps
 * the passivation sweep from freeing it, so a send through the ref needs
 * neither the registry lookup nor the shard lock (core/send.c
 * hsi_push_pinned). The runtime keeps a list of the refs held so that
 * hs_close can free those not released.
 */
#include "core/ref.h"

#include <stdlib.h>

#include "core/activate.h"
#include "core/passivate.h"
#include "core/runtime.h"
#include "core/send.h"
#include "core/types.h"

struct hs_ref {
	hs_runtime *rt;
	hsi_agent *agent;
	/* Message blocks for the ref's sends (core/msgpool.h), used by one
	 * sending thread at a time: the one that sets `busy`; a concurrent
	 * sender through the same ref mallocs instead. */
	atomic_flag busy;
	hsi_blocks blocks;
	/* Messages pushed by the holder of `busy` (core/metrics.h); read by
	 * hs_metrics_get under rt->refs_mu, which also adds them to the
	 * runtime's count when the ref is released. */
	hsi_counter pushed;
	/* In rt->refs, under rt->refs_mu. */
	struct hs_ref *prev, *next;
};

int hs_agent_ref(hs_runtime *rt, const char *type, const char *id,
		 hs_ref **out)
{
	if (rt == NULL || out == NULL)
		return HS_EINVAL;
	hs_ref *ref = malloc(sizeof(*ref));
	if (ref == NULL)
		return HS_ENOMEM;
	/* Counted as a sender, so that hs_close waits for the pin below
	 * (it frees the agents) or has begun before it. */
	int rc = hsi_send_enter(rt);
	const hsi_type *t;
	size_t id_len;
	if (rc == 0)
		rc = hsi_check_addr(rt, type, id, &t, &id_len);
	hsi_shard *s;
	hsi_agent *a;
	if (rc == 0)
		rc = hsi_agent_acquire(rt, t, id, id_len, HSI_ACQUIRE_CREATE,
				       &s, &a);
	if (rc != 0) {
		hsi_send_leave(rt);
		free(ref);
		return rc;
	}
	/* Under the shard lock, where the passivation sweep checks it. */
	atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->mu);
	ref->rt = rt;
	ref->agent = a;
	atomic_flag_clear(&ref->busy);
	ref->blocks = (hsi_blocks){NULL, NULL, 0};
	atomic_init(&ref->pushed, 0);
	ref->prev = NULL;
	pthread_mutex_lock(&rt->refs_mu);
	ref->next = rt->refs;
	if (rt->refs != NULL)
		rt->refs->prev = ref;
	rt->refs = ref;
	pthread_mutex_unlock(&rt->refs_mu);
	hsi_send_leave(rt);
	*out = ref;
	return 0;
}

int hs_send_ref(hs_ref *ref, const char *event_type, const void *body,
		size_t len)
{
	if (ref == NULL)
		return HS_EINVAL;
	hs_runtime *rt = ref->rt;
	int rc = hsi_send_enter(rt);
	hsi_msg *m;
	/* Acquire pairs with the release clear below, in the previous
	 * sender through this ref: the list and count are as it left them. */
	bool own = rc == 0 && !atomic_flag_test_and_set_explicit(
				      &ref->busy, memory_order_acquire);
	if (own) {
		void *block = hsi_blocks_get(&rt->msgpool, &ref->blocks);
		rc = hsi_msg_build(event_type, body, len, NULL, &block, &m);
		if (block != NULL)
			hsi_blocks_unget(&rt->msgpool, &ref->blocks, block);
	} else if (rc == 0) {
		rc = hsi_msg_build(event_type, body, len, NULL, NULL, &m);
	}
	if (rc == 0) {
		rc = hsi_push_pinned(rt, ref->agent, m, 0,
				     own ? &ref->pushed : NULL);
		if (rc != 0)
			free(m);
	}
	if (own)
		atomic_flag_clear_explicit(&ref->busy, memory_order_release);
	hsi_send_leave(rt);
	return rc;
}

void hs_ref_release(hs_ref *ref)
{
	if (ref == NULL)
		return;
	hs_runtime *rt = ref->rt;
	pthread_mutex_lock(&rt->refs_mu);
	/* Under refs_mu, where hs_metrics_get sums the live refs' counts:
	 * the sum never goes back. */
	hsi_rare_add(&rt->rare.ref_pushed, hsi_counter_get(&ref->pushed));
	if (ref->prev != NULL)
		ref->prev->next = ref->next;
	else
		rt->refs = ref->next;
	if (ref->next != NULL)
		ref->next->prev = ref->prev;
	pthread_mutex_unlock(&rt->refs_mu);
	/* Release pairs with the sweep's acquire load of `refs`: the pushes
	 * made through this ref come before the agent may leave. */
	atomic_fetch_sub_explicit(&ref->agent->refs, 1, memory_order_release);
	hsi_blocks_free(&ref->blocks);
	free(ref);
	hsi_check_resident(rt);
}

uint64_t hsi_refs_pushed(hs_runtime *rt)
{
	pthread_mutex_lock(&rt->refs_mu);
	uint64_t n = hsi_counter_get(&rt->rare.ref_pushed);
	for (const hs_ref *ref = rt->refs; ref != NULL; ref = ref->next)
		n += hsi_counter_get(&ref->pushed);
	pthread_mutex_unlock(&rt->refs_mu);
	return n;
}

void hsi_refs_free(hs_runtime *rt)
{
	hs_ref *ref = rt->refs;
	while (ref != NULL) {
		hs_ref *next = ref->next;
		hsi_blocks_free(&ref->blocks);
		free(ref);
		ref = next;
	}
	rt->refs = NULL;
}
