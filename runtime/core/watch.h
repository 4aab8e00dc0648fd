/*
 * Watchers: what follows a transition. Three kinds, run in this order:
 *  - before-durable watchers (hs_watch), synchronous on the worker;
 *  - the sink, one built-in watcher set at open: the log (core/sink.c)
 *    or, in memory, the immediate release of the transition's effects;
 *  - durable watchers (hs_watch_durable), run by the log writer after the
 *    write that covers the transition, in gseq order.
 */
#ifndef HS_CORE_WATCH_H
#define HS_CORE_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"

typedef struct hsi_watcher {
	hs_watch_fn fn;
	void *udata;
	int id;
	uint64_t from_gseq; /* durable: the first position it is shown */
} hsi_watcher;

typedef struct hsi_watchers {
	/* Workers and the writer run watchers under the read lock. */
	pthread_rwlock_t lock;
	hsi_watcher *before;
	size_t nbefore;
	hsi_watcher *durable;
	size_t ndurable;
	int next_id;
	/* Read without the lock to skip encoding states nobody watches. */
	atomic_size_t nbefore_hint;
	atomic_size_t ndurable_hint;
	hsi_watcher sink;
} hsi_watchers;

/* A transition kept for the durable watchers: one allocation holding
 * every string and state that `t` points to. */
typedef struct hsi_watched {
	hs_transition t;
	char data[];
} hsi_watched;

void hsi_watchers_init(hsi_watchers *ws, hs_watch_fn sink, void *udata);
void hsi_watchers_destroy(hsi_watchers *ws);

/* hs_watch_durable that also gives the gseq of the first transition fn
 * will be shown: every record before it is written or queued for writing
 * when this returns, so a reader of the log up to *from - 1 followed by
 * fn misses nothing (those queued may still be on their way to the log). */
int hsi_watch_durable_from(hs_runtime *rt, hs_watch_fn fn, void *udata,
			   int *id, uint64_t *from);

/* Whether a transition's old and new states must be encoded for the
 * watchers (a hint: a watcher may come or go meanwhile). */
static inline bool hsi_watchers_want_states(hsi_watchers *ws)
{
	return atomic_load_explicit(&ws->nbefore_hint, memory_order_relaxed) |
	       atomic_load_explicit(&ws->ndurable_hint, memory_order_relaxed);
}

static inline bool hsi_watchers_want_durable(hsi_watchers *ws)
{
	return atomic_load_explicit(&ws->ndurable_hint,
				    memory_order_relaxed) != 0;
}

/* Shows t to the before-durable watchers, then hands it to the sink. */
void hsi_watchers_run(hsi_watchers *ws, const hs_transition *t);

/* A copy of t for the durable watchers, or NULL when out of memory.
 * Free it with free(). */
hsi_watched *hsi_watched_copy(const hs_transition *t);

/* The writer shows written transitions (gseq set, in gseq order) to the
 * durable watchers between begin and end; each sees those at or after
 * the position it was registered at. */
void hsi_watchers_durable_begin(hsi_watchers *ws);
void hsi_watchers_durable_show(hsi_watchers *ws, const hs_transition *t);
void hsi_watchers_durable_end(hsi_watchers *ws);

#endif
