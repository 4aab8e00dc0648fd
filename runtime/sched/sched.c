#include "sched/sched.h"

#include <stdalign.h>
#include <stdlib.h>

#include "hindsight.h"

/* How often an idle worker polls the queue before it sleeps: a sender that
 * keeps one agent busy would otherwise pay for a wake-up per message. */
#define SPIN_POLLS 200

/* The worker that runs on this thread, if any: how hsi_sched_wake, called
 * deep inside a turn (a handler's send), finds its worker's slot. A
 * thread-local instead of a parameter through every layer between the
 * turn and the mailbox push; it names a worker of one sched, so two
 * runtimes in one process keep apart (the slot is used only when
 * w->s is the sched woken). */
static _Thread_local hsi_sched_worker *this_worker;

static hsi_agent *take(hsi_sched *s)
{
	hsi_agent *a = s->head;
	s->head = a->run_next;
	if (s->head == NULL)
		s->tail = NULL;
	a->run_next = NULL;
	atomic_fetch_sub_explicit(&s->queued, 1, memory_order_relaxed);
	return a;
}

static void spin_for_work(hsi_sched *s)
{
	for (int i = 0; i < SPIN_POLLS; i++) {
		if (atomic_load_explicit(&s->queued, memory_order_relaxed))
			return;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
}

/* Runs `a`, then what its turn woke in this worker's slot, and so on,
 * while no other agent waits in the shared queue. */
static void run_chain(hsi_sched *s, hsi_sched_worker *w, hsi_agent *a)
{
	for (;;) {
		s->run(s->udata, w->index, a);
		a = w->next;
		if (a == NULL)
			return;
		w->next = NULL;
		if (hsi_sched_others_waiting(s)) {
			hsi_sched_push(s, a); /* behind those who waited */
			return;
		}
	}
}

static void *worker_main(void *p)
{
	hsi_sched_worker *w = p;
	hsi_sched *s = w->s;
	this_worker = w;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->head == NULL && !s->stop) {
			pthread_mutex_unlock(&s->mu);
			spin_for_work(s);
			pthread_mutex_lock(&s->mu);
			if (s->head != NULL || s->stop)
				break;
			s->sleeping++;
			pthread_cond_wait(&s->cv, &s->mu);
			s->sleeping--;
		}
		if (s->head == NULL) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		hsi_agent *a = take(s);
		pthread_mutex_unlock(&s->mu);
		run_chain(s, w, a);
	}
}

int hsi_sched_start(hsi_sched *s, unsigned nworkers, hsi_run_fn run,
		    void *udata)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->head = s->tail = NULL;
	atomic_init(&s->queued, 0);
	s->sleeping = 0;
	s->stop = false;
	s->run = run;
	s->udata = udata;
	s->nworkers = nworkers;
	s->started = 0;
	s->workers = NULL;
	s->threads = calloc(nworkers, sizeof(*s->threads));
	size_t wsize = nworkers * sizeof(*s->workers);
	s->workers = aligned_alloc(alignof(hsi_sched_worker), wsize);
	if (s->threads == NULL || s->workers == NULL) {
		hsi_sched_stop(s);
		return HS_ENOMEM;
	}
	for (unsigned i = 0; i < nworkers; i++) {
		hsi_sched_worker *w = &s->workers[i];
		w->s = s;
		w->next = NULL;
		w->index = i;
		if (pthread_create(&s->threads[i], NULL, worker_main, w)) {
			hsi_sched_stop(s);
			return HS_ETHREAD;
		}
		s->started++;
	}
	return 0;
}

void hsi_sched_stop(hsi_sched *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->started; i++)
		pthread_join(s->threads[i], NULL);
	free(s->threads);
	s->threads = NULL;
	free(s->workers);
	s->workers = NULL;
	s->started = 0;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

void hsi_sched_push(hsi_sched *s, hsi_agent *a)
{
	pthread_mutex_lock(&s->mu);
	a->run_next = NULL;
	if (s->tail != NULL)
		s->tail->run_next = a;
	else
		s->head = a;
	s->tail = a;
	atomic_fetch_add_explicit(&s->queued, 1, memory_order_relaxed);
	if (s->sleeping != 0)
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void hsi_sched_wake(hsi_sched *s, hsi_agent *a)
{
	hsi_sched_worker *w = this_worker;
	if (w != NULL && w->s == s && w->next == NULL) {
		w->next = a;
		return;
	}
	hsi_sched_push(s, a);
}

void hsi_sched_flush_next(hsi_sched *s)
{
	hsi_sched_worker *w = this_worker;
	if (w == NULL || w->s != s || w->next == NULL)
		return;
	hsi_agent *a = w->next;
	w->next = NULL;
	hsi_sched_push(s, a);
}

int hsi_sched_current(const hsi_sched *s)
{
	hsi_sched_worker *w = this_worker;
	return w != NULL && w->s == s ? (int)w->index : -1;
}
