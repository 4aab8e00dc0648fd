/*
 * The what-if's agents by (type, id): each on the heap, so that pointers
 * to it last, and held by pointer in the shared address map.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/whatif.h"

hsi_wagent *hsi_whatif_find_agent(const hsi_whatif *w, const char *type,
				  size_t type_len, const char *id,
				  size_t id_len)
{
	hsi_wagent **a =
		hsi_addr_map_find(&w->agents, type, type_len, id, id_len);
	return a != NULL ? *a : NULL;
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
	/* Made before it is added: the map cannot take an entry back. */
	a = calloc(1, sizeof(*a) + id_len + 1);
	if (a == NULL)
		return HS_ENOMEM;
	a->t = t;
	a->id_len = (uint8_t)id_len;
	memcpy(a->id, id, id_len);
	void *v;
	rc = hsi_addr_map_find_or_add(&w->agents, type, type_len, id, id_len,
				      &v, NULL);
	if (rc != 0) {
		free(a);
		return rc;
	}
	*(hsi_wagent **)v = a;
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
	for (size_t i = 0; i < w->agents.count; i++)
		free_agent(hsi_whatif_agent(w, i));
	hsi_addr_map_free(&w->agents);
}
