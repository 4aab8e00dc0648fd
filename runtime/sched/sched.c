#include "sched/sched.h"

#include <stdlib.h>

#include "hindsight.h"

/* How often an idle worker polls the queue before it sleeps: a sender that
 * keeps one agent busy would otherwise pay for a wake-up per message. */
#define SPIN_POLLS 200

typedef struct worker_arg {
	hsi_sched *s;
	unsigned index;
} worker_arg;

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

static void *worker_main(void *p)
{
	worker_arg *arg = p;
	hsi_sched *s = arg->s;
	unsigned index = arg->index;
	free(arg);

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
		s->run(s->udata, index, a);
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
	s->threads = calloc(nworkers, sizeof(*s->threads));
	if (s->threads == NULL)
		return HS_ENOMEM;
	for (unsigned i = 0; i < nworkers; i++) {
		worker_arg *arg = malloc(sizeof(*arg));
		if (arg == NULL) {
			hsi_sched_stop(s);
			return HS_ENOMEM;
		}
		arg->s = s;
		arg->index = i;
		if (pthread_create(&s->threads[i], NULL, worker_main, arg)) {
			free(arg);
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
