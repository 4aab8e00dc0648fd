/*
 * The what-if's agents by (type, id): an open-addressing map over the
 * list of all. Kept apart so that the shared (type, id) map can take its
 * place.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "replay/whatif.h"

static uint64_t key_hash(const char *type, size_t type_len, const char *id,
			 size_t id_len)
{
	uint64_t h = hsi_fnv1a(HSI_FNV_SEED, type, type_len);
	h = hsi_fnv1a(h, "", 1);
	return hsi_mix64(hsi_fnv1a(h, id, id_len));
}

static bool same_agent(const hsi_wagent *a, uint64_t h, const char *type,
		       size_t type_len, const char *id, size_t id_len)
{
	return a->key_hash == h && a->t->name_len == type_len &&
	       a->id_len == id_len &&
	       memcmp(a->t->name, type, type_len) == 0 &&
	       memcmp(a->id, id, id_len) == 0;
}

hsi_wagent *hsi_whatif_find_agent(const hsi_whatif *w, const char *type,
				  size_t type_len, const char *id,
				  size_t id_len)
{
	if (w->map_cap == 0)
		return NULL;
	uint64_t h = key_hash(type, type_len, id, id_len);
	for (size_t i = h & (w->map_cap - 1);;
	     i = (i + 1) & (w->map_cap - 1)) {
		hsi_wagent *a = w->map[i];
		if (a == NULL)
			return NULL;
		if (same_agent(a, h, type, type_len, id, id_len))
			return a;
	}
}

static int map_grow(hsi_whatif *w)
{
	size_t cap = w->map_cap ? 2 * w->map_cap : 256;
	hsi_wagent **map = calloc(cap, sizeof(*map));
	if (map == NULL)
		return HS_ENOMEM;
	for (size_t k = 0; k < w->nagents; k++) {
		hsi_wagent *a = w->list[k];
		size_t i = a->key_hash & (cap - 1);
		while (map[i] != NULL)
			i = (i + 1) & (cap - 1);
		map[i] = a;
	}
	free(w->map);
	w->map = map;
	w->map_cap = cap;
	return 0;
}

/* The agent (type, id), added when absent; `t` is its type when known,
 * else it is looked up (HS_ENOTYPE, naming `where`, when missing). */
int hsi_whatif_get_agent(hsi_whatif *w, const char *type, size_t type_len,
			 const char *id, size_t id_len, const hsi_type *t,
			 const char *where, hsi_wagent **out)
{
	hsi_wagent *a = hsi_whatif_find_agent(w, type, type_len, id, id_len);
	if (a != NULL) {
		*out = a;
		return 0;
	}
	if (id_len == 0 || id_len > HS_ID_MAX)
		return HS_ECORRUPT;
	int rc = t != NULL ? 0
			   : hsi_replay_type(w->rt, type, type_len, where, &t);
	if (rc != 0)
		return rc;
	if (2 * (w->nagents + 1) > w->map_cap && (rc = map_grow(w)) != 0)
		return rc;
	if (w->nagents == w->list_cap) {
		size_t cap = w->list_cap ? 2 * w->list_cap : 256;
		hsi_wagent **list = realloc(w->list, cap * sizeof(*list));
		if (list == NULL)
			return HS_ENOMEM;
		w->list = list;
		w->list_cap = cap;
	}
	a = calloc(1, sizeof(*a) + id_len + 1);
	if (a == NULL)
		return HS_ENOMEM;
	a->t = t;
	a->key_hash = key_hash(type, type_len, id, id_len);
	a->id_len = (uint8_t)id_len;
	memcpy(a->id, id, id_len);
	size_t i = a->key_hash & (w->map_cap - 1);
	while (w->map[i] != NULL)
		i = (i + 1) & (w->map_cap - 1);
	w->map[i] = a;
	w->list[w->nagents++] = a;
	*out = a;
	return 0;
}

static void free_agent(hsi_wagent *a)
{
	hsi_state_free(a->t, a->state);
	hsi_state_free(a->t, a->hstate);
	free(a->h);
	free(a->w);
	free(a);
}

void hsi_whatif_free_agents(hsi_whatif *w)
{
	for (size_t i = 0; i < w->nagents; i++)
		free_agent(w->list[i]);
	free(w->list);
	free(w->map);
}
