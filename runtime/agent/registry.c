#include "agent/registry.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hash.h"

#define INITIAL_SLOTS 16

/* A removed agent's slot: not empty (probes go on past it), no agent. */
static char gone_marker;
#define GONE ((hsi_agent *)&gone_marker)

static bool live(const hsi_slot *e)
{
	return e->agent != NULL && e->agent != GONE;
}

int hsi_registry_init(hsi_registry *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < HSI_REGISTRY_SHARDS; i++) {
		hsi_shard *s = &r->shards[i];
		s->slots = calloc(INITIAL_SLOTS, sizeof(*s->slots));
		if (s->slots == NULL) {
			hsi_registry_destroy(r, NULL, NULL);
			return HS_ENOMEM;
		}
		s->nslots = INITIAL_SLOTS;
		pthread_mutex_init(&s->mu, NULL);
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->room, &ca);
		pthread_condattr_destroy(&ca);
		atomic_init(&s->waiting, 0);
	}
	return 0;
}

void hsi_registry_destroy(hsi_registry *r, void (*fn)(hsi_agent *, void *),
			  void *udata)
{
	for (size_t i = 0; i < HSI_REGISTRY_SHARDS; i++) {
		hsi_shard *s = &r->shards[i];
		if (s->slots == NULL)
			continue;
		for (size_t j = 0; j < s->nslots; j++)
			if (fn != NULL && live(&s->slots[j]))
				fn(s->slots[j].agent, udata);
		free(s->slots);
		s->slots = NULL;
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->room);
	}
}

uint32_t hsi_registry_hash(const hsi_type *type, const char *id,
			   size_t id_len)
{
	return (uint32_t)hsi_mix64(hsi_fnv1a(type->name_hash, id, id_len));
}

/* The shard index uses the low bits, so slots use the high ones. */
static size_t slot_of(size_t nslots, uint32_t hash)
{
	return (hash / HSI_REGISTRY_SHARDS) & (nslots - 1);
}

hsi_agent *hsi_registry_find(hsi_shard *s, const hsi_type *type,
			     const char *id, size_t id_len, uint32_t hash)
{
	size_t mask = s->nslots - 1;
	for (size_t j = slot_of(s->nslots, hash);; j = (j + 1) & mask) {
		const hsi_slot *e = &s->slots[j];
		if (e->agent == NULL)
			return NULL;
		/* The hash first: only a likely match is touched. */
		if (e->hash == hash && e->agent != GONE) {
			hsi_agent *a = e->agent;
			if (a->type == type && a->id_len == id_len &&
			    memcmp(a->id, id, id_len) == 0)
				return a;
		}
	}
}

/* Puts an agent known to be absent into a table with a free slot. Returns
 * true when it took a tombstone. */
static bool place(hsi_slot *slots, size_t nslots, uint32_t hash,
		  hsi_agent *a)
{
	size_t mask = nslots - 1;
	size_t j = slot_of(nslots, hash);
	while (live(&slots[j]))
		j = (j + 1) & mask;
	bool was_gone = slots[j].agent == GONE;
	slots[j].hash = hash;
	slots[j].agent = a;
	return was_gone;
}

/* A table without tombstones, at most half full after one more agent. */
static int rehash(hsi_shard *s)
{
	size_t nslots = INITIAL_SLOTS;
	while (nslots < 2 * (s->count + 1))
		nslots *= 2;
	hsi_slot *slots = calloc(nslots, sizeof(*slots));
	if (slots == NULL)
		return HS_ENOMEM;
	for (size_t j = 0; j < s->nslots; j++)
		if (live(&s->slots[j]))
			place(slots, nslots, s->slots[j].hash,
			      s->slots[j].agent);
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	s->gone = 0;
	return 0;
}

int hsi_registry_insert(hsi_shard *s, hsi_agent *a)
{
	/* Agents and tombstones together at most three quarters: probes
	 * stay short and always meet an empty slot. */
	if (4 * (s->count + s->gone + 1) > 3 * s->nslots &&
	    rehash(s) != 0 && s->count + s->gone + 1 >= s->nslots)
		return HS_ENOMEM; /* fuller is fine, up to a point */
	if (place(s->slots, s->nslots, a->hash, a))
		s->gone--;
	s->count++;
	return 0;
}

size_t hsi_registry_sweep(hsi_shard *s, bool (*fn)(hsi_agent *, void *),
			  void *udata, size_t max)
{
	size_t gone = 0;
	for (size_t j = 0; j < s->nslots && gone < max; j++) {
		hsi_slot *e = &s->slots[j];
		if (live(e) && fn(e->agent, udata)) {
			e->agent = GONE; /* fn may have freed it */
			s->count--;
			s->gone++;
			s->evictions++;
			gone++;
		}
	}
	return gone;
}
