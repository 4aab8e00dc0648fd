#ifndef HS_SCHED_SCHED_H
#define HS_SCHED_SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "agent/agent.h"

/* Runs one turn of an agent on worker `worker`. */
typedef void (*hsi_run_fn)(void *udata, unsigned worker, hsi_agent *a);

/*
 * A fixed pool of workers fed by one mutex-guarded FIFO of runnable
 * agents. An agent is in the queue at most once (the mailbox's idle bit
 * elects the one scheduler), so no agent runs on two workers at once.
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
} hsi_sched;

/* Starts nworkers threads. Returns 0, HS_ENOMEM or HS_ETHREAD (nothing
 * left running then). */
int hsi_sched_start(hsi_sched *s, unsigned nworkers, hsi_run_fn run,
		    void *udata);

/* Lets the workers finish the queue, then joins them. Accepts a sched
 * that failed to start. */
void hsi_sched_stop(hsi_sched *s);

/* Queues a runnable agent at the back. Thread-safe. */
void hsi_sched_push(hsi_sched *s, hsi_agent *a);

/* True when other agents wait to run: a hint for fairness. */
static inline bool hsi_sched_others_waiting(hsi_sched *s)
{
	return atomic_load_explicit(&s->queued, memory_order_relaxed) != 0;
}

#endif
