/* The table of agent types: registration and lookup. */
#include "core/types.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "core/runtime.h"
#include "core/timers.h"

static unsigned version_of(unsigned v)
{
	return v == 0 ? 1 : v;
}

/* Each upcaster's from_version lies below the type's version, and no two
 * share an event and a from_version. */
static int check_upcasters(const hs_upcaster *u, size_t n, unsigned version,
			   bool events)
{
	if (n != 0 && u == NULL)
		return HS_EINVAL;
	for (size_t i = 0; i < n; i++) {
		const char *ev = events ? u[i].event : NULL;
		if (u[i].from_version == 0 || u[i].from_version >= version ||
		    (ev != NULL && (ev[0] == '\0' ||
				    strlen(ev) > HS_NAME_MAX)))
			return HS_EINVAL;
		for (size_t j = 0; j < i; j++) {
			const char *ej = events ? u[j].event : NULL;
			if (u[j].from_version == u[i].from_version &&
			    (ev == NULL ? ej == NULL
					: ej != NULL && strcmp(ev, ej) == 0))
				return HS_EINVAL;
		}
	}
	return 0;
}

static int check_versions(const hs_type *def)
{
	if (def->old_snapshots != HS_OLD_SNAPSHOTS_REBUILD &&
	    def->old_snapshots != HS_OLD_SNAPSHOTS_UPCAST)
		return HS_EINVAL;
	if (check_upcasters(def->event_upcasters, def->event_upcasters_len,
			    version_of(def->event_version), true) != 0)
		return HS_EINVAL;
	return check_upcasters(def->state_upcasters, def->state_upcasters_len,
			       version_of(def->state_version), false);
}

/* Copies both tables and their event names into one allocation that
 * t->def then points to (freed by hsi_type_free). */
static int copy_upcasters(hsi_type *t, const hs_type *def)
{
	size_t ne = def->event_upcasters_len, ns = def->state_upcasters_len;
	size_t names = 0;
	t->def.event_version = version_of(def->event_version);
	t->def.state_version = version_of(def->state_version);
	t->def.event_upcasters = t->def.state_upcasters = NULL;
	if (ne + ns == 0)
		return 0;
	for (size_t i = 0; i < ne; i++)
		if (def->event_upcasters[i].event != NULL)
			names += strlen(def->event_upcasters[i].event) + 1;
	hs_upcaster *u = malloc((ne + ns) * sizeof(*u) + names);
	if (u == NULL)
		return HS_ENOMEM;
	char *p = (char *)(u + ne + ns);
	for (size_t i = 0; i < ne; i++) {
		u[i] = def->event_upcasters[i];
		if (u[i].event != NULL) {
			size_t n = strlen(u[i].event) + 1;
			memcpy(p, u[i].event, n);
			u[i].event = p;
			p += n;
		}
	}
	for (size_t i = 0; i < ns; i++) {
		u[ne + i] = def->state_upcasters[i];
		u[ne + i].event = NULL;
	}
	t->upcasters = u;
	t->def.event_upcasters = ne != 0 ? u : NULL;
	t->def.state_upcasters = ns != 0 ? u + ne : NULL;
	return 0;
}

void hsi_type_free(hsi_type *t)
{
	if (t == NULL)
		return;
	free(t->upcasters);
	free(t->counts);
	free(t);
}

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

	if (check_versions(def) != 0)
		return HS_EINVAL;
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
	if (copy_upcasters(t, def) != 0) {
		hsi_type_free(t);
		return HS_ENOMEM;
	}
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
	if (rc != 0)
		hsi_type_free(t);
	else
		hsi_timers_types_changed(rt);
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
