#ifndef HS_AGENT_REGISTRY_H
#define HS_AGENT_REGISTRY_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>

#include "agent/agent.h"

#define HSI_REGISTRY_SHARDS 64

/* One slot of a shard's table: the agent's hash beside it, so that a
 * lookup compares hashes without touching agents that do not match. */
typedef struct hsi_slot {
	uint32_t hash;
	hsi_agent *agent; /* NULL: empty; HSI_SLOT_GONE: removed */
} hsi_slot;

typedef struct hsi_shard {
	alignas(64) pthread_mutex_t mu;
	/* Open addressing with linear probing; a removed agent leaves a
	 * tombstone that lookups step over and inserts reuse. */
	hsi_slot *slots;
	size_t nslots; /* a power of two */
	size_t count;  /* agents */
	size_t gone;   /* tombstones */
	/* Bumped whenever an agent leaves the shard, so that a thread that
	 * rebuilt an agent without the lock can tell whether a newer copy
	 * came and went meanwhile. */
	uint64_t evictions;
	/* Senders waiting for room in a full mailbox of one of the shard's
	 * agents sleep on `room` (with `mu`, CLOCK_MONOTONIC deadlines);
	 * `waiting` counts them, so that consumers signal only when someone
	 * waits (core/flow.c). */
	pthread_cond_t room;
	atomic_uint waiting;
	/* The runtime's counters of what happens under `mu` (pushes,
	 * creations, ...: core/metrics.h): written by the holder of `mu`,
	 * read anywhere. */
	_Atomic uint64_t stats[6];
} hsi_shard;

/* Maps (type, id) to agents. Agents live until hsi_registry_destroy. */
typedef struct hsi_registry {
	hsi_shard shards[HSI_REGISTRY_SHARDS];
} hsi_registry;

int hsi_registry_init(hsi_registry *r);

/* Calls fn on every agent, then frees the tables (not the agents). Only
 * when no other thread uses the registry. Accepts a half-initialised one
 * (zeroed memory). */
void hsi_registry_destroy(hsi_registry *r, void (*fn)(hsi_agent *, void *),
			  void *udata);

/* The hash of an address; selects the shard and the slot. */
uint32_t hsi_registry_hash(const hsi_type *type, const char *id,
			   size_t id_len);

static inline hsi_shard *hsi_registry_shard(hsi_registry *r, uint32_t hash)
{
	return &r->shards[hash % HSI_REGISTRY_SHARDS];
}

/* With the shard's lock held: the agent, or NULL. */
hsi_agent *hsi_registry_find(hsi_shard *s, const hsi_type *type,
			     const char *id, size_t id_len, uint32_t hash);

/* With the shard's lock held: adds an agent known to be absent. Returns 0
 * or HS_ENOMEM. */
int hsi_registry_insert(hsi_shard *s, hsi_agent *a);

/* With the shard's lock held: unlinks each agent for which fn returns
 * true (fn then owns it), until `max` are gone. Returns how many. */
size_t hsi_registry_sweep(hsi_shard *s, bool (*fn)(hsi_agent *, void *),
			  void *udata, size_t max);

#endif
