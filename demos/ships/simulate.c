/*
 * hs-ships' simulation. Sender threads each own a slice of the fleet and
 * send its events. The simulation advances in steps of one simulated hour:
 * all threads send the events of the hour, the runtime handles them
 * (hs_await), then the shared simulated clock moves on. The runtime's
 * clock (hs_options.clock) reads that clock, so every record's time is the
 * simulated hour of its event.
 */
#include "hs_ships.h"

#include "common/splitmix.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int64_t sim_clock(void *udata)
{
	sim *s = udata;

	return atomic_load_explicit(&s->clock_ns, memory_order_relaxed);
}

static int send_event(sim *s, int ship_no, plan *p, int h)
{
	char id[32];
	int rc;

	ship_id(ship_no, id, sizeof(id));
	if (!p->started || p->at_sea) {
		rc = hs_sendf(s->rt, SHIP_TYPE, id, "arrive",
			      "port:s country:s", ports[p->port].city,
			      ports[p->port].country);
		p->started = true;
		p->at_sea = false;
		p->next_h = h + stay_hours(p);
		atomic_fetch_add_explicit(&s->arrives, 1,
					  memory_order_relaxed);
	} else {
		int from = p->port, to = pick_destination(p);
		int cargo = 20 + (int)(splitmix_next(&p->rng) % 1981);

		rc = hs_sendf(s->rt, SHIP_TYPE, id, "depart",
			      "port:s country:s cargo:i", ports[to].city,
			      ports[to].country, cargo);
		p->port = to;
		p->at_sea = true;
		p->next_h = h + sail_hours(from, to, p->knots);
		atomic_fetch_add_explicit(&s->departs, 1,
					  memory_order_relaxed);
	}
	if (rc != 0)
		fprintf(stderr, "hs-ships: sending to %s: %s\n", id,
			hs_strerror(rc));
	return rc;
}

/* Runs on one thread once every thread has sent hour h's events. */
static void step_done(sim *s, int h)
{
	int64_t end_ns = hour_ns(h + 1);
	int rc;

	if (atomic_load_explicit(&s->error, memory_order_relaxed) == 0 &&
	    (rc = hs_await(s->rt, 60000)) != 0) {
		fprintf(stderr, "hs-ships: waiting for hour %d: %s\n", h,
			hs_strerror(rc));
		atomic_store_explicit(&s->error, rc, memory_order_relaxed);
	}
	if (atomic_load_explicit(&s->error, memory_order_relaxed) != 0) {
		s->stop = true;
		return;
	}
	/* Every transition of hour h is handled and watched: the watcher's
	 * view is now the fleet as of any time in [h, h+1). */
	for (int q = 0; q < s->nqueries; q++) {
		query *qu = &s->queries[q];

		if (qu->time_ns >= hour_ns(h) && qu->time_ns < end_ns)
			seen_location(&s->w.ships[qu->ship], qu->watcher_loc,
				      sizeof(qu->watcher_loc));
	}
	if (s->census_ns >= hour_ns(h) && s->census_ns < end_ns)
		take_census(&s->w, &s->census_seen);
	if ((h + 1) % (24 * 10) == 0 || h + 1 == s->hours) {
		census c;

		take_census(&s->w, &c);
		printf("day %3d (%s): %lld departures, %lld arrivals so "
		       "far; %" PRId64 " ships at sea, %" PRId64 " in port\n",
		       (h + 1) / 24, rfc3339(end_ns).s,
		       (long long)atomic_load_explicit(&s->departs,
						       memory_order_relaxed),
		       (long long)atomic_load_explicit(&s->arrives,
						       memory_order_relaxed),
		       c.at_sea, c.total_in_port);
		fflush(stdout);
	}
	atomic_store_explicit(&s->clock_ns, end_ns, memory_order_relaxed);
}

typedef struct sender {
	sim *s;
	int first, last; /* the ships it owns: [first, last) */
	pthread_t thread;
} sender;

static void *sender_main(void *arg)
{
	sender *t = arg;
	sim *s = t->s;
	int gate;

	pthread_mutex_lock(&s->gate_mu);
	while ((gate = s->gate) == 0)
		pthread_cond_wait(&s->gate_cv, &s->gate_mu);
	pthread_mutex_unlock(&s->gate_mu);
	if (gate < 0)
		return NULL;
	for (int h = 0; h < s->hours; h++) {
		for (int i = t->first; i < t->last; i++) {
			plan *p = &s->plans[i];
			int rc;

			if (p->next_h != h ||
			    atomic_load_explicit(&s->error,
						 memory_order_relaxed))
				continue;
			if ((rc = send_event(s, i, p, h)) != 0) {
				int zero = 0;

				atomic_compare_exchange_strong_explicit(
					&s->error, &zero, rc,
					memory_order_relaxed,
					memory_order_relaxed);
			}
		}
		if (pthread_barrier_wait(&s->sent) ==
		    PTHREAD_BARRIER_SERIAL_THREAD)
			step_done(s, h);
		pthread_barrier_wait(&s->stepped);
		if (s->stop)
			break;
	}
	return NULL;
}

int simulate(sim *s)
{
	sender threads[MAX_THREADS];
	int started = 0, rc = 0;

	if (pthread_barrier_init(&s->sent, NULL, (unsigned)s->nthreads))
		return HS_ETHREAD;
	if (pthread_barrier_init(&s->stepped, NULL, (unsigned)s->nthreads)) {
		pthread_barrier_destroy(&s->sent);
		return HS_ETHREAD;
	}
	pthread_mutex_init(&s->gate_mu, NULL);
	pthread_cond_init(&s->gate_cv, NULL);
	s->gate = 0;
	for (int t = 0; t < s->nthreads; t++) {
		threads[t].s = s;
		threads[t].first = (int)((int64_t)s->nships * t / s->nthreads);
		threads[t].last =
			(int)((int64_t)s->nships * (t + 1) / s->nthreads);
		if (pthread_create(&threads[t].thread, NULL, sender_main,
				   &threads[t]) != 0) {
			rc = HS_ETHREAD;
			break;
		}
		started++;
	}
	if (rc != 0)
		fprintf(stderr, "hs-ships: cannot start %d sender threads\n",
			s->nthreads);
	pthread_mutex_lock(&s->gate_mu);
	s->gate = rc != 0 ? -1 : 1;
	pthread_cond_broadcast(&s->gate_cv);
	pthread_mutex_unlock(&s->gate_mu);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t].thread, NULL);
	pthread_cond_destroy(&s->gate_cv);
	pthread_mutex_destroy(&s->gate_mu);
	pthread_barrier_destroy(&s->sent);
	pthread_barrier_destroy(&s->stepped);
	return rc != 0 ? rc
		       : atomic_load_explicit(&s->error, memory_order_relaxed);
}
