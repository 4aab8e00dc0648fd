/*
 * Durable timers: set and cancelled by handlers (hs_ctx_timer_*), written
 * with the transition that set them, fired by the runtime's clock as a
 * message caused by that transition, and deleted from the log with the
 * transition that handled the firing.
 *
 * Operations travel with their transition: the sink applies them at once
 * in memory; with a log the writer puts them in the transition's batch
 * (hsi_timers_write_*) and applies them to the table once it is written
 * (hsi_timers_apply), so the table never holds a timer that is not in the
 * log. A thread fires what is due; hs_timers_fire_due does it on the
 * caller's thread for simulated clocks.
 */
#ifndef HS_CORE_TIMERS_H
#define HS_CORE_TIMERS_H

#include <pthread.h>
#include <stdbool.h>

#include "agent/agent.h"
#include "log/log.h"
#include "timer/timer.h"

typedef struct hsi_timers {
	/* Held by whoever fires (the thread or hs_timers_fire_due) from
	 * taking timers off the table to delivering them, so that two firers
	 * do not deliver out of due order. Taken before mu. */
	pthread_mutex_t fire_mu;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* the firing thread waits here */
	/* Timers whose target type is not registered yet wait parked in it
	 * until hs_register adds one. */
	hsi_timer_table table;
	bool stop;
	bool inited;
	bool started;
	pthread_t thread;
} hsi_timers;

/* A handler's timer operations, in the order it made them. */
typedef struct hsi_timer_ops {
	hsi_timer *head;
	hsi_timer **tail;
} hsi_timer_ops;

static inline void hsi_timer_ops_init(hsi_timer_ops *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static inline void hsi_timer_ops_add(hsi_timer_ops *l, hsi_timer *t)
{
	t->next = NULL;
	*l->tail = t;
	l->tail = &t->next;
}

/* Loads the pending timers of a writable log and starts the firing
 * thread. Returns 0, HS_ENOMEM, HS_ECORRUPT (a stored timer that does not
 * decode, named in errbuf), HS_ETHREAD. */
int hsi_timers_start(hs_runtime *rt, char *errbuf, size_t errcap);

/* An hsi_log_check_fn: HS_ECORRUPT when a pending timer of the log does
 * not decode (hsi_timers_start would refuse the log), so that a writable
 * open refuses it before writing anything. */
int hsi_timers_check(void *udata, hsi_log *log, char *errbuf, size_t errcap);

/* A type was registered: parked timers are tried again. */
void hsi_timers_types_changed(hs_runtime *rt);

/* Stops the firing thread (what was fired is delivered already). */
void hsi_timers_stop(hs_runtime *rt);

/* Frees the table. Accepts timers that were never started. */
void hsi_timers_destroy(hs_runtime *rt);

/* Whether m is the firing of a timer that was re-armed or cancelled (or
 * whose new set or cancel is on its way to the log) since it fired: such
 * a firing is not handled. */
bool hsi_timers_stale(hs_runtime *rt, const hsi_msg *m);

/* Marks the timers that the SETs and CANCELs of ops (a transition the
 * log sink accepted) will replace, so that their firings in flight are
 * stale from now on. */
void hsi_timers_supersede(hs_runtime *rt, const hsi_timer *ops);

/* The DONE operation for a message that is the firing of a timer, or
 * NULL (not a firing, or out of memory: the firing is then handled again
 * after the next open). */
hsi_timer *hsi_timer_done_of(const hsi_msg *m);

/* The writer's two passes over a batch: first every commit's DONEs
 * (deletes of the fired timers that were not re-armed since), then every
 * commit's SETs and CANCELs in order, given the setting transition's
 * gseq. So a
 * name re-armed in the same batch as an older firing's DONE keeps its new
 * timer. Returns 0 or HS_ENOMEM. */
void hsi_timers_write_done(hs_runtime *rt, const hsi_timer *ops,
			   hsi_log_batch *b);
int hsi_timers_write_set(hs_runtime *rt, hsi_timer *ops, uint64_t gseq,
			 hsi_log_batch *b, hs_buf *scratch);

/* Applies written (or, in memory, final) operations to the table: takes
 * the SETs, frees the rest. Out of memory for the table, a timer is lost
 * from memory (it fires after the next open) and the error text says
 * so. */
void hsi_timers_apply(hs_runtime *rt, hsi_timer *ops);

#endif
