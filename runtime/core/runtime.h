/*
 * The runtime's shared state. Each job has its own header beside its .c
 * (send.h, turn.h, writer.h, ...); this one only defines the struct that
 * they all hang off and the error text kept for hs_last_error().
 */
#ifndef HS_CORE_RUNTIME_H
#define HS_CORE_RUNTIME_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>

#include "agent/registry.h"
#include "core/metrics.h"
#include "core/msgpool.h"
#include "core/timers.h"
#include "core/watch.h"
#include "core/writer.h"
#include "log/log.h"
#include "sched/sched.h"

/* How many agents a worker remembers having delivered to (core/send.c). */
#define HSI_NEAR 4

/* Per-worker scratch, reused across transitions. */
typedef struct hsi_worker {
	alignas(64) hs_buf old_state;
	hs_buf new_state;
	/* The agents this worker's handlers sent to last, when agents never
	 * leave memory (no resident_limit): pushed to without a lookup. */
	hsi_agent *near[HSI_NEAR];
	unsigned near_next;
	/* Message blocks this worker consumed, for the next it builds. */
	hsi_blocks blocks;
	/* Written by this worker only, read by hs_metrics_get. */
	hsi_worker_counts counts;
} hsi_worker;

struct hs_runtime {
	hs_options opts;
	hsi_registry registry;
	hsi_sched sched;
	hsi_worker *workers;
	hsi_msgpool msgpool;

	/* Types: appended under types_mu, read without it up to ntypes. */
	pthread_mutex_t types_mu;
	const hsi_type *types[HSI_MAX_TYPES];
	atomic_uint ntypes;

	hsi_watchers watchers;

	/* Lifecycle. `active` counts agents scheduled or running plus
	 * transitions not yet written; the runtime is idle at 0. */
	alignas(64) atomic_long active;
	atomic_long nfailed;
	atomic_long senders;  /* hs_send calls in progress */
	atomic_bool closing;
	atomic_int idle_waiters;
	pthread_mutex_t idle_mu;
	pthread_cond_t idle_cv;

	/* Agents in memory; passivation keeps it near the resident limit.
	 * sweep_hand is touched only by the one thread that won
	 * `sweeping`. */
	atomic_size_t resident;
	atomic_bool sweeping;
	unsigned sweep_hand;

	/* Counters of rare events (core/metrics.h). */
	hsi_rare rare;

	/* hs_ref handles not yet released (a list under refs_mu), freed by
	 * hs_close. */
	pthread_mutex_t refs_mu;
	struct hs_ref *refs;

	/* Persistence; log is NULL in memory. */
	hsi_log *log;
	char *path;
	hsi_writer writer;
	hsi_timers timers;
	pthread_mutex_t error_mu;
	char last_error[512];
};

/* Keeps the text of a storage error for hs_last_error(). */
void hsi_set_error(hs_runtime *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hsi_set_log_error(hs_runtime *rt);

#endif
