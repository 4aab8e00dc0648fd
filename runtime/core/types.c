/* The table of agent types: registration and lookup. */
#include "core/types.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "core/runtime.h"
#include "core/timers.h"

int hs_register(hs_runtime *rt, const hs_type *def)
{
	if (rt == NULL || def == NULL || def->name == NULL ||
	    def->name[0] == '\0' || def->state_size == 0 ||
	    def->apply == NULL || def->encode == NULL || def->decode == NULL ||
	    (def->on_error != HS_ON_ERROR_FAIL &&
	     def->on_error != HS_ON_ERROR_SKIP))
		return HS_EINVAL;
	size_t name_len = strlen(def->name);
	if (name_len > HS_NAME_MAX)
		return HS_ETOOLONG;

	hsi_type *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return HS_ENOMEM;
	size_t counts = rt->opts.workers * sizeof(*t->counts);
	t->counts = aligned_alloc(alignof(hsi_type_counts), counts);
	if (t->counts == NULL) {
		free(t);
		return HS_ENOMEM;
	}
	memset(t->counts, 0, counts);
	t->def = *def;
	memcpy(t->name, def->name, name_len + 1);
	t->def.name = t->name;
	/* From here on 0 means never (see hsi_sink_log). */
	if (def->snapshot_every == 0)
		t->def.snapshot_every = HS_SNAPSHOT_EVERY_DEFAULT;
	else if (def->snapshot_every == HS_SNAPSHOT_NEVER)
		t->def.snapshot_every = 0;
	t->name_len = (uint8_t)name_len;
	t->name_hash = hsi_fnv1a(HSI_FNV_SEED, t->name, name_len + 1);

	int rc = 0;
	pthread_mutex_lock(&rt->types_mu);
	unsigned n = atomic_load_explicit(&rt->ntypes, memory_order_relaxed);
	if (hsi_type_find(rt, def->name) != NULL)
		rc = HS_EEXIST;
	else if (n == HSI_MAX_TYPES)
		rc = HS_ENOMEM;
	else {
		t->index = n;
		rt->types[n] = t;
		/* Pairs with the acquire load in hsi_type_find. */
		atomic_store_explicit(&rt->ntypes, n + 1,
				      memory_order_release);
	}
	pthread_mutex_unlock(&rt->types_mu);
	if (rc != 0) {
		free(t->counts);
		free(t);
	} else {
		hsi_timers_types_changed(rt);
	}
	return rc;
}

const hsi_type *hsi_type_find(hs_runtime *rt, const char *name)
{
	/* Pairs with the release store in hs_register. */
	unsigned n = atomic_load_explicit(&rt->ntypes, memory_order_acquire);
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(rt->types[i]->name, name) == 0)
			return rt->types[i];
	}
	return NULL;
}

int hsi_check_addr(hs_runtime *rt, const char *type, const char *id,
		   const hsi_type **out_type, size_t *id_len)
{
	if (type == NULL || id == NULL)
		return HS_EINVAL;
	size_t n = strnlen(id, HS_ID_MAX + 1);
	if (n == 0 || type[0] == '\0')
		return HS_EINVAL;
	if (n > HS_ID_MAX)
		return HS_ETOOLONG;
	const hsi_type *t = hsi_type_find(rt, type);
	if (t == NULL)
		return strnlen(type, HS_NAME_MAX + 1) > HS_NAME_MAX
			       ? HS_ETOOLONG
			       : HS_ENOTYPE;
	*out_type = t;
	*id_len = n;
	return 0;
}
