/*
 * hs-stock's two sources, orders and deliveries, each a sender thread, and
 * the main thread that merges them in simulated-time order: each step it
 * sets the clock to the time of the next event(s), lets both threads send
 * what falls on it, and waits (hs_await) before the clock moves on.
 */
#include "hs_stock.h"

#include "common/splitmix.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ORDER_EVERY (10 * MS)

/* A value in [lo, hi]. */
static int64_t rnd_in(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(splitmix_next(s) % (uint64_t)(hi - lo + 1));
}

int64_t sim_clock(void *udata)
{
	sim *s = udata;

	/* Acquire pairs with the release store in sim_run(): a worker that
	 * handles a message sent in a step sees that step's time. (The
	 * step mutex and the mailbox order it already; this says so.) */
	return atomic_load_explicit(&s->now, memory_order_acquire);
}

/* Draws the stream's next event after time `after` (-1: the first). */
static void stream_next(stream *st, int64_t after)
{
	bool order = st == &st->sim->orders;

	if (order)
		st->next_t = after < 0 ? 0 : after + ORDER_EVERY;
	else
		st->next_t = (after < 0 ? 0 : after) +
			     rnd_in(&st->rng, 1, DELIVERY_GAP_MAX_MS) * MS;
	st->next_part = (int)rnd_in(&st->rng, 0, NPARTS - 1);
	st->next_qty = order ? 1 : (int)rnd_in(&st->rng, 1, st->sim->max_qty);
	st->next_who = (int)rnd_in(&st->rng, 1, order ? 999 : 49);
}

static int stream_send(stream *st)
{
	char who[16];
	int rc;

	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 1024;
		sent *v = realloc(st->log, cap * sizeof(*v));

		if (v == NULL)
			return HS_ENOMEM;
		st->log = v;
		st->cap = cap;
	}
	if (st == &st->sim->orders) {
		snprintf(who, sizeof(who), "C%03d", st->next_who);
		rc = hs_sendf(st->sim->rt, "part", part_ids[st->next_part],
			      "order", "qty:i customer:s", st->next_qty, who);
	} else {
		snprintf(who, sizeof(who), "S%02d", st->next_who);
		rc = hs_sendf(st->sim->rt, "part", part_ids[st->next_part],
			      "delivery", "qty:i supplier:s", st->next_qty,
			      who);
	}
	if (rc != 0)
		return rc;
	st->log[st->n++] = (sent){st->next_t, st->next_part, st->next_qty};
	return 0;
}

/* Starts a step of `threads` sender threads and waits until they have
 * done it. The mutex orders everything the main thread wrote before (the
 * clock, send_now) before the step, and the threads' sends, logs and next
 * events before the return. */
static void step(sim *s, int threads)
{
	pthread_mutex_lock(&s->step_mu);
	s->gen++;
	s->pending = threads;
	pthread_cond_broadcast(&s->step_cv);
	while (s->pending > 0)
		pthread_cond_wait(&s->done_cv, &s->step_mu);
	pthread_mutex_unlock(&s->step_mu);
}

/* A sender thread: one source. Each step it sends its next event if the
 * main thread says it falls on this step, then draws the following one. */
static void *stream_main(void *arg)
{
	stream *st = arg;
	sim *s = st->sim;
	uint64_t seen = 0;

	for (;;) {
		bool stop;

		pthread_mutex_lock(&s->step_mu);
		while (s->gen == seen)
			pthread_cond_wait(&s->step_cv, &s->step_mu);
		seen = s->gen;
		stop = s->stop;
		pthread_mutex_unlock(&s->step_mu);
		if (stop)
			break;
		if (st->send_now && st->err == 0) {
			st->err = stream_send(st);
			if (st->err == 0)
				stream_next(st, st->next_t);
		}
		pthread_mutex_lock(&s->step_mu);
		if (--s->pending == 0)
			pthread_cond_signal(&s->done_cv);
		pthread_mutex_unlock(&s->step_mu);
	}
	return NULL;
}

void sim_init(sim *s, const opts *o)
{
	s->duration = o->seconds * SEC;
	s->max_qty = o->max_qty;
	/* Each stream its own generator: what one sends does not depend
	 * on the other. */
	s->orders =
		(stream){.sim = s, .rng = o->seed ^ UINT64_C(0x6f72646572)};
	s->deliveries =
		(stream){.sim = s, .rng = o->seed ^ UINT64_C(0x64656c6976)};
	stream_next(&s->orders, -1);
	stream_next(&s->deliveries, -1);
	atomic_init(&s->now, EPOCH_NS);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->step_mu, NULL);
	pthread_cond_init(&s->step_cv, NULL);
	pthread_cond_init(&s->done_cv, NULL);
}

void sim_free(sim *s)
{
	pthread_cond_destroy(&s->step_cv);
	pthread_cond_destroy(&s->done_cv);
	pthread_mutex_destroy(&s->step_mu);
	pthread_mutex_destroy(&s->mu);
	free(s->orders.log);
	free(s->deliveries.log);
	free(s->notes);
}

int sim_start(sim *s)
{
	if (pthread_create(&s->orders.thread, NULL, stream_main, &s->orders) !=
	    0) {
		fprintf(stderr, "hs-stock: cannot start a thread\n");
		return -1;
	}
	if (pthread_create(&s->deliveries.thread, NULL, stream_main,
			   &s->deliveries) != 0) {
		fprintf(stderr, "hs-stock: cannot start a thread\n");
		s->stop = true;
		step(s, 0);
		pthread_join(s->orders.thread, NULL);
		return -1;
	}
	return 0;
}

int sim_run(sim *s, const opts *o, uint64_t *steps)
{
	stream *os = &s->orders, *ds = &s->deliveries;
	size_t printed = 0;
	int in_backlog = 0, rc = 0;
	int64_t report = 10 * SEC;

	for (;;) {
		int64_t t = os->next_t < ds->next_t ? os->next_t : ds->next_t;

		if (t >= s->duration)
			break;
		if (t >= report && o->live)
			printf("  %10s s  -- %zu orders and %zu deliveries "
			       "sent, %d parts in backlog\n",
			       S(report), os->n, ds->n, in_backlog);
		while (t >= report)
			report += 10 * SEC;
		os->send_now = os->next_t == t;
		/* Same time, same part: the order first, the delivery in a
		 * step of its own at the same time. */
		ds->send_now =
			ds->next_t == t &&
			!(os->send_now && os->next_part == ds->next_part);
		/* Release pairs with the acquire in sim_clock(). */
		atomic_store_explicit(&s->now, EPOCH_NS + t,
				      memory_order_release);
		step(s, 2);
		(*steps)++;
		if ((rc = os->err) != 0 || (rc = ds->err) != 0) {
			fprintf(stderr, "hs-stock: sending: %s\n",
				hs_strerror(rc));
			break;
		}
		if ((rc = hs_await(s->rt, 60000)) != 0) {
			fprintf(stderr, "hs-stock: hs_await: %s\n",
				hs_strerror(rc));
			break;
		}
		if ((rc = flush_notes(s, &printed, &in_backlog, !o->live)) !=
		    0)
			break;
	}
	/* The end of the run is the end of the simulated duration. */
	atomic_store_explicit(&s->now, EPOCH_NS + s->duration,
			      memory_order_release);
	s->stop = true;
	step(s, 0);
	pthread_join(s->orders.thread, NULL);
	pthread_join(s->deliveries.thread, NULL);
	return rc;
}
