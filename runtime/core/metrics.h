/*
 * The counters behind hs_metrics_get and hs_metrics_prometheus. None
 * costs a locked instruction on the hot path: each counter has one
 * writer at a time, who bumps it with a relaxed load and store (a plain
 * add on the cache line it owns), and readers sum the copies with relaxed
 * loads. The writers:
 *  - a worker, for what its turns do (hsi_worker.counts): events by
 *    outcome and type, turns, and its handlers' sends pushed without a
 *    lookup (core/send.c deliver_near);
 *  - whoever holds a registry shard's lock, for what happens under it
 *    (hsi_shard.stats): pushes, creations, activations, passivations;
 *  - the thread sending through an hs_ref it holds `busy` (core/ref.c);
 *  - the log's writer thread (hsi_writer.counts).
 * Rare events from any thread (a refused send, a drop, a restart, a
 * timer firing) take a relaxed fetch_add on hsi_rare.
 */
#ifndef HS_CORE_METRICS_H
#define HS_CORE_METRICS_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/types.h"
#include "hindsight.h"

typedef _Atomic uint64_t hsi_counter;

/* Bumps a counter that only the calling thread writes now (see above):
 * no read-modify-write instruction. */
static inline void hsi_count(hsi_counter *c, uint64_t n)
{
	atomic_store_explicit(
		c, atomic_load_explicit(c, memory_order_relaxed) + n,
		memory_order_relaxed);
}

static inline uint64_t hsi_counter_get(const hsi_counter *c)
{
	return atomic_load_explicit((hsi_counter *)c, memory_order_relaxed);
}

/* A worker's events of one type by outcome; handled is their sum. One
 * per worker in the type (hsi_type.counts), 128 bytes each: the adjacent
 * line prefetcher moves lines in pairs, and two workers' counts in one
 * pair cost W2 about a tenth of its speed. */
typedef struct hsi_type_counts {
	alignas(128) hsi_counter transitions;
	hsi_counter unchanged;
	hsi_counter errors; /* skipped or failed, per the type's on_error */
} hsi_type_counts;

/* In hsi_worker, which they fill to 128 bytes: a power of two keeps
 * indexing the workers a shift. */
typedef struct hsi_worker_counts {
	hsi_counter turns;
	hsi_counter pushed; /* messages pushed to remembered agents */
} hsi_worker_counts;

/* hsi_shard.stats, written under the shard's lock. */
enum {
	HSI_SHARD_PUSHED,
	HSI_SHARD_CREATED,
	HSI_SHARD_ACTIVATED,
	HSI_SHARD_ACTIVATION_NS,
	HSI_SHARD_PASSIVATED,
	HSI_SHARD_STATS
};

/* Rare events, from any thread. */
typedef struct hsi_rare {
	alignas(64) hsi_counter pushed; /* through a ref in use elsewhere */
	hsi_counter ref_pushed;         /* by refs released since */
	hsi_counter refused;
	hsi_counter dropped;
	hsi_counter unqueued; /* dropped from mailboxes, not handled */
	hsi_counter restarts;
	hsi_counter timers_fired;
} hsi_rare;

static inline void hsi_rare_add(hsi_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* The writer thread's, read by hs_metrics_get. */
typedef struct hsi_writer_counts {
	alignas(64) hsi_counter taken; /* records taken off the queue */
	hsi_counter records;           /* records written */
	hsi_counter snapshots;
	hsi_counter bytes;
	hsi_counter write_ns;
	hsi_counter write_ns_max;
	hsi_counter batch_buckets[HS_METRICS_BATCH_BUCKETS];
	hsi_counter write_buckets[HS_METRICS_LATENCY_BUCKETS];
} hsi_writer_counts;

/* The bucket of a batch of n records and of a write of ns nanoseconds. */
static inline unsigned hsi_batch_bucket(uint64_t n)
{
	unsigned i = n <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(n - 1);
	return i < HS_METRICS_BATCH_BUCKETS - 1 ? i
						: HS_METRICS_BATCH_BUCKETS - 1;
}

static inline unsigned hsi_latency_bucket(uint64_t ns)
{
	uint64_t us = (ns + 999) / 1000; /* <= 2^i us iff ns <= 2^i * 1000 */
	unsigned i = us <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(us - 1);
	return i < HS_METRICS_LATENCY_BUCKETS - 1
		       ? i
		       : HS_METRICS_LATENCY_BUCKETS - 1;
}

/* CLOCK_MONOTONIC in ns, for the durations above. */
int64_t hsi_mono_ns(void);

#endif
