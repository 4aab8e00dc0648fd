/*
 * The live part of a subscription: a durable watcher that copies the
 * matching transitions, as the log writer shows them, into a bounded
 * single-producer single-consumer ring, and the reader's side of it.
 *
 * The producer is the log's writer thread (through hsi_live_watch) and
 * never waits for the reader: when the ring is full it drops the record
 * and remembers its gseq. Each record it does buffer carries `base`, the
 * gseq of the last record it dropped before it (or the gseq before the
 * first one it was shown): every matching record with a gseq in
 * (base, gseq) is in the ring before it. So a reader at position P may
 * take a buffered record straight away when base <= P, and must first
 * read (P, gseq) from the log when base > P.
 *
 * `seen` is the last gseq shown (0 before the first) and `dropped` the
 * last one dropped. A reader that finds the ring empty after loading
 * seen = S knows that every matching record up to S that was not dropped
 * is behind it; with dropped <= P it may move its position to S.
 */
#ifndef HS_SUBSCRIBE_LIVE_H
#define HS_SUBSCRIBE_LIVE_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hindsight.h"
#include "subscribe/filter.h"

/* One buffered record; every pointer of `rec` points into `data`. */
typedef struct hsi_live_rec {
	uint64_t base;
	hs_record rec;
	char data[];
} hsi_live_rec;

typedef struct hsi_live {
	/* Fixed at creation. */
	const hsi_sub_filter *filter;
	hs_runtime *rt; /* for the types' schema versions */
	size_t cap;
	hsi_live_rec **slots;

	/* The producer's own (the writer thread, or nobody). */
	alignas(64) uint64_t base;
	bool started;

	/* Written by the producer, read by the reader. */
	alignas(64) atomic_uint_fast64_t head;
	atomic_uint_fast64_t seen;
	atomic_uint_fast64_t dropped;
	atomic_uint_fast64_t ndropped; /* records dropped, for tests */

	/* Written by the reader (tail), or by whoever wakes it. */
	alignas(64) atomic_uint_fast64_t tail;
	atomic_bool waiting;
	atomic_bool cancelled;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
} hsi_live;

/* Returns a live part with room for cap records (>= 1), or NULL when out
 * of memory. The filter must outlive it. */
hsi_live *hsi_live_create(const hsi_sub_filter *filter, size_t cap);

/* Frees l and the records still in it. The producer must be gone (its
 * watcher removed). Accepts NULL. */
void hsi_live_destroy(hsi_live *l);

/* The durable watcher (udata is the hsi_live): the producer. */
void hsi_live_watch(void *udata, const hs_transition *t);

/* The reader's side; one thread at a time. */

/* The last gseq shown (0 before the first); load it before peeking. */
uint64_t hsi_live_seen(hsi_live *l);

/* The last gseq dropped (0 for none); load it after seen. */
uint64_t hsi_live_dropped(hsi_live *l);

/* The oldest buffered record, or NULL when the ring is empty. It stays
 * valid until hsi_live_pop. */
hsi_live_rec *hsi_live_peek(hsi_live *l);

/* Frees the oldest buffered record and gives its slot back. */
void hsi_live_pop(hsi_live *l);

/* Sleeps until a gseq after `seen` is shown, the subscription is
 * cancelled, or `deadline` (CLOCK_MONOTONIC; NULL = none) passes. */
void hsi_live_wait(hsi_live *l, uint64_t seen,
		   const struct timespec *deadline);

/* Wakes the reader and makes it stop. Thread-safe. */
void hsi_live_cancel(hsi_live *l);
bool hsi_live_cancelled(hsi_live *l);

#endif
