#ifndef HS_SCHED_SCHED_H
#define HS_SCHED_SCHED_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "agent/agent.h"

/* Runs one turn of an agent on worker `worker`. */
typedef void (*hsi_run_fn)(void *udata, unsigned worker, hsi_agent *a);

/* Each worker's own: the agent its current turn made runnable, run by
 * the same worker right after the turn (see hsi_sched_wake). Touched only
 * by that worker's thread. */
typedef struct hsi_sched_worker {
	alignas(64) struct hsi_sched *s;
	hsi_agent *next;
	unsigned index;
} hsi_sched_worker;

/*
 * A fixed pool of workers fed by one mutex-guarded FIFO of runnable
 * agents, plus one "next" slot per worker. An agent is in the queue or a
 * slot at most once (the mailbox's idle bit elects the one scheduler),
 * so no agent runs on two workers at once.
 */
typedef struct hsi_sched {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	hsi_agent *head, *tail;
	atomic_size_t queued; /* read without the lock as a hint */
	unsigned sleeping;
	bool stop;

	hsi_run_fn run;
	void *udata;
	unsigned nworkers;
	unsigned started;
	pthread_t *threads;
	hsi_sched_worker *workers;
} hsi_sched;

/* Starts nworkers threads. Returns 0, HS_ENOMEM or HS_ETHREAD (nothing
 * left running then). */
int hsi_sched_start(hsi_sched *s, unsigned nworkers, hsi_run_fn run,
		    void *udata);

/* Lets the workers finish the queue, then joins them. Accepts a sched
 * that failed to start. */
void hsi_sched_stop(hsi_sched *s);

/* Queues a runnable agent at the back of the shared queue. Thread-safe. */
void hsi_sched_push(hsi_sched *s, hsi_agent *a);

/*
 * Schedules an agent that just became runnable. On one of the sched's
 * workers, in a turn, it takes the worker's empty "next" slot: the worker
 * runs it right after the turn (a message passed from one agent to the
 * next costs no queue lock and no wake-up), unless other agents wait in
 * the shared queue by then (it goes behind them) or the turn goes on to
 * another message (hsi_sched_flush_next). Elsewhere, hsi_sched_push.
 * Thread-safe.
 */
void hsi_sched_wake(hsi_sched *s, hsi_agent *a);

/* The index of the calling thread's worker when it is one of s's, else
 * -1. */
int hsi_sched_current(const hsi_sched *s);

/* In a turn on a worker: moves the agent in the worker's slot, if any, to
 * the shared queue, so that an idle worker may take it while this turn
 * handles more messages. A no-op elsewhere. */
void hsi_sched_flush_next(hsi_sched *s);

/* True when other agents wait to run: a hint for fairness. */
static inline bool hsi_sched_others_waiting(hsi_sched *s)
{
	return atomic_load_explicit(&s->queued, memory_order_relaxed) != 0;
}

#endif
