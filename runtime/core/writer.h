/*
 * The group-commit writer: one thread gives queued transitions their gseq
 * in queue order, writes them in one RocksDB batch, syncs per the
 * durability mode, shows them to the durable watchers, and only then
 * releases their held effects and waiters.
 */
#ifndef HS_CORE_WRITER_H
#define HS_CORE_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "agent/agent.h"
#include "common/buf.h"
#include "core/effect.h"
#include "core/metrics.h"
#include "core/types.h"
#include "core/watch.h"
#include "log/log.h"

/* A transition on its way to the log. Its effects and waiter are held
 * until it is written (and fsynced under HS_DURABILITY_SYNC). An entry
 * with an empty record only holds the outcome of an event that changed
 * nothing until the agent's earlier transitions are written. */
typedef struct hsi_commit {
	struct hsi_commit *next;
	hsi_agent *agent;
	hsi_effect *effects;
	hsi_waiter *waiter;
	hsi_watched *watched; /* for the durable watchers, or NULL */
	hsi_timer *timers;    /* operations written with it */
	uint64_t seq;
	uint64_t gseq; /* set by the writer */
	int64_t time_ns;
	int result; /* without a record: the outcome for the waiter */
	size_t gseq_off;
	hs_buf rec;
	hs_buf snapshot; /* empty when none is due */
} hsi_commit;

typedef struct hsi_writer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	hsi_commit *head;
	hsi_commit **tail;
	/* Under mu: records queued since start (the next one's gseq is
	 * first_gseq + queued; written under mu, also read without it by
	 * hs_metrics_get) and the durable watchers that need a copy of
	 * each (hsi_commit.watched). */
	uint64_t first_gseq;
	hsi_counter queued;
	size_t durable;
	bool stop;
	bool inited;
	bool started;
	pthread_t thread;
	/* Writer thread only. */
	uint64_t last_gseq;
	hsi_log_batch *batch;
	hs_buf timer_value;
	bool type_logged[HSI_MAX_TYPES];
	/* HS_EIO once a write failed: the log is behind memory from then on,
	 * so nothing more is written or accepted. */
	atomic_int failed;
	/* Written by the writer thread only. */
	hsi_writer_counts counts;
} hsi_writer;

/* Starts and stops the writer (stop writes everything queued first). */
int hsi_writer_start(hs_runtime *rt);
void hsi_writer_stop(hs_runtime *rt);

/* Queues c (counted in `active` until written) and returns true; returns
 * false, queueing nothing, when c has a record but no copy for the
 * durable watchers and one is now registered: build it and push again. */
bool hsi_writer_push(hs_runtime *rt, hsi_commit *c);

/* Adds or removes a durable watcher's claim on copies; adding returns the
 * gseq of the first record queued after it. */
uint64_t hsi_writer_durable_add(hsi_writer *w);
void hsi_writer_durable_remove(hsi_writer *w);

#endif
