/* Bringing agents into memory: found in the registry, rebuilt from the
 * log, or created. */
#include "core/activate.h"

#include "core/rebuild.h"
#include "core/runtime.h"

/* Builds an agent from its newest snapshot and the records after it,
 * and says in *ns how long that took. HS_ENOAGENT when the log has no
 * record of it (or there is no log). */
static int agent_load(hs_runtime *rt, const hsi_type *type, const char *id,
		      size_t id_len, uint32_t hash, hsi_agent **out,
		      uint64_t *ns)
{
	if (rt->log == NULL)
		return HS_ENOAGENT;
	int64_t t0 = hsi_mono_ns();
	uint64_t last_seq, last_gseq;
	int rc = hsi_log_agent_last(rt->log, type->name, type->name_len, id,
				    id_len, &last_seq, &last_gseq);
	if (rc == HS_ENOTFOUND)
		return HS_ENOAGENT;
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	hsi_agent *a;
	rc = hsi_agent_new(type, id, id_len, hash, false, &a);
	if (rc != 0)
		return rc;
	rc = hsi_rebuild(rt, type, a->id, id_len, last_seq, a->state, NULL,
			 &a->last_time);
	if (rc != 0) {
		hsi_agent_free(a);
		return rc == HS_ENOAGENT ? HS_ECORRUPT : rc;
	}
	a->seq = last_seq;
	*out = a;
	*ns = (uint64_t)(hsi_mono_ns() - t0);
	return 0;
}

/* With the shard locked: the agent, created fresh if absent. init() runs
 * under the lock so that it runs exactly once per agent. */
static int find_or_create(hsi_shard *s, const hsi_type *type, const char *id,
			  size_t id_len, uint32_t hash, atomic_size_t *resident,
			  hsi_agent **out)
{
	hsi_agent *a = hsi_registry_find(s, type, id, id_len, hash);
	if (a == NULL) {
		int rc = hsi_agent_new(type, id, id_len, hash, true, &a);
		if (rc == 0 && (rc = hsi_registry_insert(s, a)) != 0)
			hsi_agent_free(a);
		if (rc != 0)
			return rc;
		/* Relaxed: a count read as a hint by passivation. */
		atomic_fetch_add_explicit(resident, 1, memory_order_relaxed);
		hsi_count(&s->stats[HSI_SHARD_CREATED], 1);
	}
	*out = a;
	return 0;
}

int hsi_agent_acquire(hs_runtime *rt, const hsi_type *type, const char *id,
		      size_t id_len, int mode, hsi_shard **shard,
		      hsi_agent **out)
{
	uint32_t hash = hsi_registry_hash(type, id, id_len);
	hsi_shard *s = hsi_registry_shard(&rt->registry, hash);

	pthread_mutex_lock(&s->mu);
	hsi_agent *a;
	hsi_agent *loaded;
	uint64_t load_ns = 0;
	int rc;
retry:
	a = hsi_registry_find(s, type, id, id_len, hash);
	if (a != NULL)
		goto found;
	/* Rebuilding from the log reads storage and runs apply(): do it
	 * without the shard lock. If another thread brought the agent in
	 * meanwhile, ours is a spare and goes; if one brought it in, changed
	 * it and let it go again, ours is stale and we start over. */
	uint64_t evictions = s->evictions;
	pthread_mutex_unlock(&s->mu);
	loaded = NULL;
	rc = agent_load(rt, type, id, id_len, hash, &loaded, &load_ns);
	if (rc != 0 && (rc != HS_ENOAGENT || mode != HSI_ACQUIRE_CREATE))
		return rc;
	pthread_mutex_lock(&s->mu);
	a = hsi_registry_find(s, type, id, id_len, hash);
	if (a == NULL && s->evictions != evictions) {
		hsi_agent_free(loaded);
		goto retry;
	}
	if (a != NULL) {
		hsi_agent_free(loaded);
	} else if (loaded != NULL) {
		rc = hsi_registry_insert(s, loaded);
		if (rc != 0) {
			pthread_mutex_unlock(&s->mu);
			hsi_agent_free(loaded);
			return rc;
		}
		atomic_fetch_add_explicit(&rt->resident, 1,
					  memory_order_relaxed);
		hsi_count(&s->stats[HSI_SHARD_ACTIVATED], 1);
		hsi_count(&s->stats[HSI_SHARD_ACTIVATION_NS], load_ns);
		a = loaded;
	} else {
		rc = find_or_create(s, type, id, id_len, hash, &rt->resident,
				    &a);
		if (rc != 0) {
			pthread_mutex_unlock(&s->mu);
			return rc;
		}
	}
found:
	atomic_store_explicit(&a->recent, true, memory_order_relaxed);
	*shard = s;
	*out = a;
	return 0;
}
