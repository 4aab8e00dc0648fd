#include "agent/registry.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hash.h"

#define INITIAL_SLOTS 16

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
		for (size_t j = 0; j < s->nslots; j++) {
			hsi_agent *a = s->slots[j];
			while (a != NULL) {
				hsi_agent *next = a->hash_next;
				if (fn != NULL)
					fn(a, udata);
				a = next;
			}
		}
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
static size_t slot_of(const hsi_shard *s, uint32_t hash)
{
	return (hash / HSI_REGISTRY_SHARDS) & (s->nslots - 1);
}

hsi_agent *hsi_registry_find(hsi_shard *s, const hsi_type *type,
			     const char *id, size_t id_len, uint32_t hash)
{
	for (hsi_agent *a = s->slots[slot_of(s, hash)]; a != NULL;
	     a = a->hash_next) {
		if (a->hash == hash && a->type == type &&
		    a->id_len == id_len && memcmp(a->id, id, id_len) == 0)
			return a;
	}
	return NULL;
}

static int grow(hsi_shard *s)
{
	size_t nslots = s->nslots * 2;
	hsi_agent **slots = calloc(nslots, sizeof(*slots));
	if (slots == NULL)
		return HS_ENOMEM;
	hsi_agent **old = s->slots;
	size_t nold = s->nslots;
	s->slots = slots;
	s->nslots = nslots;
	for (size_t i = 0; i < nold; i++) {
		hsi_agent *a = old[i];
		while (a != NULL) {
			hsi_agent *next = a->hash_next;
			size_t j = slot_of(s, a->hash);
			a->hash_next = slots[j];
			slots[j] = a;
			a = next;
		}
	}
	free(old);
	return 0;
}

int hsi_registry_insert(hsi_shard *s, hsi_agent *a)
{
	if (s->count >= s->nslots && grow(s) != 0 && s->count >= 4 * s->nslots)
		return HS_ENOMEM; /* a longer chain is fine, up to a point */
	size_t j = slot_of(s, a->hash);
	a->hash_next = s->slots[j];
	s->slots[j] = a;
	s->count++;
	return 0;
}

size_t hsi_registry_sweep(hsi_shard *s, bool (*fn)(hsi_agent *, void *),
			  void *udata, size_t max)
{
	size_t gone = 0;
	for (size_t j = 0; j < s->nslots && gone < max; j++) {
		hsi_agent **link = &s->slots[j];
		while (*link != NULL && gone < max) {
			hsi_agent *a = *link;
			hsi_agent *next = a->hash_next;
			if (fn(a, udata)) {
				*link = next; /* fn may have freed a */
				s->count--;
				s->evictions++;
				gone++;
			} else {
				link = &a->hash_next;
			}
		}
	}
	return gone;
}
