/*
 * hs-ships: a fleet of ships sails between 20 real ports, each ship an
 * agent whose every departure and arrival is recorded; afterwards the log
 * answers where the ships were at past moments.
 *
 * Sender threads each own a slice of the fleet and send its events. The
 * simulation advances in steps of one simulated hour: all threads send the
 * events of the hour, the runtime handles them (hs_await), then the shared
 * simulated clock moves on. The runtime's clock (hs_options.clock) reads
 * that clock, so every record's time is the simulated hour of its event,
 * and a ship's schedule depends only on the seed and the ship's number:
 * the same seed gives the same history whatever the thread count.
 *
 * A watcher prints notable moments while the fleet sails and keeps its own
 * tally of where every ship is. After the run the program reopens the log
 * read-only and asks it: where some ships were at some past times
 * (hs_state_at), one ship's whole voyage history (hs_history), how many
 * ships were in each port at a past instant (hs_system_at), and whether
 * replaying the log gives the recorded states again (hs_verify). Each
 * answer about the past is checked against what the watcher saw then.
 *
 * usage: hs-ships [--ships N] [--days D] [--seed S] [--threads T]
 *                 [--db PATH] [--fresh]
 *
 * Uses only the public API, include/hindsight.h.
 */
#define _XOPEN_SOURCE 700 /* nftw */

#include "ships.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S INT64_C(1000000000)
#define NS_PER_HOUR (INT64_C(3600) * NS_PER_S)
#define EPOCH_NS (INT64_C(1767225600) * NS_PER_S) /* 2026-01-01T00:00Z */

#define DEFAULT_DB "./hindsight-data/ships"
#define MAX_SHIPS 100000
#define MAX_THREADS 64
#define NQUERY_SHIPS 3
#define NQUERY_TIMES 3
#define VISIT_MILESTONE 8   /* "arrives in X for the 8th time" */
#define VOYAGE_MILESTONE 30 /* "sets out on its 30th voyage" */
#define NOTABLE_LINES 12    /* notable moments printed at most */
#define ROUTE_FACTOR 1.25   /* sea route / great-circle distance */

/* ------------------------------------------------------------------ */
/* Ports                                                                */
/* ------------------------------------------------------------------ */

typedef struct port {
	const char *city;
	const char *country;
	double lat, lon;
} port;

static const port ports[] = {
	{"Malmo", "Sweden", 55.61, 13.00},
	{"Gothenburg", "Sweden", 57.71, 11.97},
	{"Oslo", "Norway", 59.91, 10.75},
	{"Copenhagen", "Denmark", 55.68, 12.57},
	{"Gdansk", "Poland", 54.35, 18.65},
	{"Helsinki", "Finland", 60.17, 24.94},
	{"Tallinn", "Estonia", 59.44, 24.75},
	{"Hamburg", "Germany", 53.55, 9.99},
	{"Rotterdam", "Netherlands", 51.92, 4.48},
	{"Antwerp", "Belgium", 51.22, 4.40},
	{"Felixstowe", "United Kingdom", 51.96, 1.35},
	{"Le Havre", "France", 49.49, 0.11},
	{"Lisbon", "Portugal", 38.72, -9.14},
	{"Valencia", "Spain", 39.47, -0.38},
	{"Genoa", "Italy", 44.41, 8.93},
	{"Piraeus", "Greece", 37.94, 23.65},
	{"Istanbul", "Turkey", 41.01, 28.98},
	{"Alexandria", "Egypt", 31.20, 29.92},
	{"New York", "United States", 40.71, -74.01},
	{"Singapore", "Singapore", 1.29, 103.85},
};
#define NPORTS ((int)(sizeof(ports) / sizeof(ports[0])))

static double dist_km[NPORTS][NPORTS];
/* Cumulative weights for choosing a destination: nearer ports are
 * chosen more often, as short-sea shipping outnumbers long hauls. */
static uint64_t dest_cum[NPORTS][NPORTS];

static void ports_init(void)
{
	const double rad = 3.14159265358979323846 / 180.0, earth = 6371.0;

	for (int i = 0; i < NPORTS; i++) {
		uint64_t sum = 0;

		for (int j = 0; j < NPORTS; j++) {
			double la1 = ports[i].lat * rad,
			       la2 = ports[j].lat * rad;
			double dla = la2 - la1;
			double dlo = (ports[j].lon - ports[i].lon) * rad;
			double a = sin(dla / 2) * sin(dla / 2) +
				   cos(la1) * cos(la2) * sin(dlo / 2) *
					   sin(dlo / 2);

			dist_km[i][j] = 2 * earth * asin(sqrt(a));
			if (i != j)
				sum += (uint64_t)(1e9 /
						  pow(dist_km[i][j] + 250,
						      1.5));
			dest_cum[i][j] = sum;
		}
	}
}

static int port_index(const char *city)
{
	for (int i = 0; i < NPORTS; i++)
		if (strcmp(ports[i].city, city) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Times                                                                */
/* ------------------------------------------------------------------ */

typedef struct stamp {
	char s[32];
} stamp;

/* RFC 3339 in UTC, to the second. */
static stamp rfc3339(int64_t ns)
{
	stamp st;
	time_t secs = (time_t)(ns / NS_PER_S - (ns % NS_PER_S < 0));
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(st.s, sizeof(st.s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(st.s, sizeof(st.s), "%" PRId64 "ns", ns);
	return st;
}

static int64_t hour_ns(int h)
{
	return EPOCH_NS + (int64_t)h * NS_PER_HOUR;
}

/* ------------------------------------------------------------------ */
/* Each ship's schedule: a function of the seed and the ship's number  */
/* ------------------------------------------------------------------ */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* splitmix64 */
static uint64_t next_rand(uint64_t *s)
{
	*s += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(*s);
}

typedef struct plan {
	uint64_t rng;
	int port;   /* in port: where; at sea: where to */
	int next_h; /* the hour of its next event */
	int knots;
	bool started;
	bool at_sea;
} plan;

static void plan_init(plan *p, uint64_t seed, int ship_no)
{
	p->rng = mix64(seed ^ mix64((uint64_t)ship_no + 1));
	p->port = (int)(next_rand(&p->rng) % NPORTS);
	p->knots = 12 + (int)(next_rand(&p->rng) % 9);
	p->next_h = (int)(next_rand(&p->rng) % 24); /* enters service */
	p->started = false;
	p->at_sea = false;
}

static int stay_hours(plan *p)
{
	return 6 + (int)(next_rand(&p->rng) % 43);
}

static int pick_destination(plan *p)
{
	const uint64_t *cum = dest_cum[p->port];
	uint64_t r = next_rand(&p->rng) % cum[NPORTS - 1];
	int j = 0;

	while (cum[j] <= r)
		j++;
	return j;
}

static int sail_hours(int from, int to, int knots)
{
	double h = dist_km[from][to] * ROUTE_FACTOR / (knots * 1.852);
	int n = (int)ceil(h);

	return n < 1 ? 1 : n;
}

/* ------------------------------------------------------------------ */
/* The watcher                                                          */
/* ------------------------------------------------------------------ */

/* Where the watcher last saw a ship: written by the worker that handled
 * the ship's transition, read by the stepping thread after hs_await. */
typedef struct seen {
	int8_t status; /* ship_status */
	int8_t port;   /* index in ports[] */
	int8_t from;
} seen;

typedef struct watch {
	seen *ships;
	int nships;
	atomic_llong transitions;
	atomic_int bad;           /* transitions it could not read */
	pthread_mutex_t print_mu; /* notable lines and their count */
	int notable;
} watch;

static int ship_number(const char *id)
{
	char *end;
	long n;

	if (strncmp(id, "ship-", 5) != 0)
		return -1;
	n = strtol(id + 5, &end, 10);
	return *end == '\0' && n >= 0 && n < MAX_SHIPS ? (int)n : -1;
}

static const char *ordinal(int64_t n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1:
		return "st";
	case 2:
		return "nd";
	case 3:
		return "rd";
	default:
		return "th";
	}
}

static void notable(watch *w, const hs_transition *t, const char *what)
{
	pthread_mutex_lock(&w->print_mu);
	if (++w->notable <= NOTABLE_LINES)
		printf("  notable: %s %s %s\n", rfc3339(t->time_ns).s,
		       t->agent.id, what);
	pthread_mutex_unlock(&w->print_mu);
}

static void watcher(void *udata, const hs_transition *t)
{
	watch *w = udata;
	ship s;
	char what[128];
	int n;

	atomic_fetch_add_explicit(&w->transitions, 1, memory_order_relaxed);
	n = ship_number(t->agent.id);
	if (strcmp(t->agent.type, SHIP_TYPE) != 0 || n < 0 || n >= w->nships ||
	    ship_decode(&s, t->new_state, t->new_len) != 0) {
		atomic_fetch_add_explicit(&w->bad, 1, memory_order_relaxed);
		return;
	}
	w->ships[n].status = (int8_t)s.status;
	w->ships[n].port = (int8_t)port_index(s.port);
	w->ships[n].from = (int8_t)port_index(s.from);

	if (s.status == SHIP_IN_PORT &&
	    ship_visits_to(&s, s.port) == VISIT_MILESTONE) {
		snprintf(what, sizeof(what), "arrives in %s for the %d%s time",
			 s.port, VISIT_MILESTONE, ordinal(VISIT_MILESTONE));
		notable(w, t, what);
	} else if (s.status == SHIP_AT_SEA && s.voyages == VOYAGE_MILESTONE) {
		snprintf(what, sizeof(what),
			 "sets out on its %d%s voyage: %s->%s, %" PRId64
			 " TEU",
			 VOYAGE_MILESTONE, ordinal(VOYAGE_MILESTONE), s.from,
			 s.port, s.cargo);
		notable(w, t, what);
	}
}

static void seen_location(const seen *s, char *buf, size_t cap)
{
	if (s->status == SHIP_IN_PORT && s->port >= 0)
		snprintf(buf, cap, "in port %s, %s", ports[s->port].city,
			 ports[s->port].country);
	else if (s->status == SHIP_AT_SEA && s->port >= 0 && s->from >= 0)
		snprintf(buf, cap, "at sea %s->%s", ports[s->from].city,
			 ports[s->port].city);
	else if (s->status == SHIP_NEW)
		snprintf(buf, cap, "not in service");
	else
		snprintf(buf, cap, "unknown");
}

/* Ships per port, at sea and not yet in service. */
typedef struct census {
	int64_t in_port[NPORTS];
	int64_t at_sea, not_in_service, total_in_port;
} census;

/* ------------------------------------------------------------------ */
/* The simulation                                                       */
/* ------------------------------------------------------------------ */

typedef struct query {
	int ship;
	int64_t time_ns;
	char watcher_loc[80]; /* what the watcher had seen by then */
} query;

typedef struct sim {
	hs_runtime *rt;
	int nships, nthreads, hours, days;
	plan *plans;
	watch w;
	/* The simulated time, read by the runtime's clock on the workers.
	 * Relaxed is enough: it is stored by the stepping thread before a
	 * barrier, and read by a worker handling a message sent after that
	 * barrier, so the barrier and the mailbox order the two. */
	_Alignas(64) atomic_llong clock_ns;
	/* The first failed send (or hs_await), and events sent. Relaxed:
	 * they are read across threads only after a barrier or after the
	 * senders are joined. */
	atomic_int error;
	atomic_llong departs, arrives;
	pthread_barrier_t sent, stepped;
	/* The senders start together once all of them exist: the barriers
	 * count on every one. gate: 0 wait, 1 go, -1 give up. */
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	int gate;
	/* Written by the stepping thread only, between the two barriers. */
	bool stop;
	query queries[NQUERY_SHIPS * NQUERY_TIMES];
	int nqueries;
	int64_t census_ns;
	census census_seen; /* the watcher's tally then */
} sim;

static int64_t sim_clock(void *udata)
{
	sim *s = udata;

	return atomic_load_explicit(&s->clock_ns, memory_order_relaxed);
}

static int send_event(sim *s, int ship_no, plan *p, int h)
{
	char id[32];
	int rc;

	snprintf(id, sizeof(id), "ship-%06d", ship_no);
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
		int cargo = 20 + (int)(next_rand(&p->rng) % 1981);

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

static void take_census(const sim *s, census *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < s->nships; i++) {
		const seen *sh = &s->w.ships[i];

		if (sh->status == SHIP_IN_PORT && sh->port >= 0) {
			c->in_port[sh->port]++;
			c->total_in_port++;
		} else if (sh->status == SHIP_AT_SEA) {
			c->at_sea++;
		} else {
			c->not_in_service++;
		}
	}
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
		take_census(s, &s->census_seen);
	if ((h + 1) % (24 * 10) == 0 || h + 1 == s->hours) {
		census c;

		take_census(s, &c);
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

/* Runs the whole simulation; returns 0 or the first error. */
static int simulate(sim *s)
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

/* ------------------------------------------------------------------ */
/* Questions for the log                                                */
/* ------------------------------------------------------------------ */

static int failures; /* CHECKs that failed */

static void check(bool ok, const char *fmt, ...) HS_PRINTF(2, 3);
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "CHECK" : "MISMATCH");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static void log_error(hs_runtime *rt, const char *what, int rc)
{
	char msg[512];

	hs_last_error(rt, msg, sizeof(msg));
	fprintf(stderr, "hs-ships: %s: %s%s%s\n", what, hs_strerror(rc),
		msg[0] != '\0' ? ": " : "", msg);
}

static void ship_id(int n, char *buf, size_t cap)
{
	snprintf(buf, cap, "ship-%06d", n);
}

/* Where the log says ships were at the query times. */
static int ask_locations(hs_runtime *rt, const sim *s)
{
	hs_buf buf = HS_BUF_INIT;
	int rc = 0;

	printf("\n== Where were they? (hs_state_at) ==\n");
	for (int q = 0; q < s->nqueries && rc == 0; q++) {
		const query *qu = &s->queries[q];
		char id[32], loc[80];
		hs_receipt at = {0, 0};
		ship sh;

		ship_id(qu->ship, id, sizeof(id));
		hs_buf_reset(&buf);
		rc = hs_state_at(rt, SHIP_TYPE, id, hs_at_time(qu->time_ns),
				 &buf, &at);
		if (rc == HS_ENOAGENT) {
			/* No record yet: it had not entered service. */
			snprintf(loc, sizeof(loc), "not in service");
			rc = 0;
		} else if (rc != 0) {
			log_error(rt, "hs_state_at", rc);
			break;
		} else if ((rc = ship_decode(&sh, buf.data, buf.len)) != 0) {
			fprintf(stderr,
				"hs-ships: %s: undecodable state: %s\n", id,
				hs_strerror(rc));
			break;
		} else {
			ship_location(&sh, loc, sizeof(loc));
		}
		check(strcmp(loc, qu->watcher_loc) == 0,
		      "location %s at %s = %s (seq %" PRIu64 "; watcher: %s)",
		      id, rfc3339(qu->time_ns).s, loc, at.seq,
		      qu->watcher_loc);
	}
	hs_buf_free(&buf);
	return rc;
}

typedef struct history_ctx {
	int64_t records;
} history_ctx;

static int print_record(void *udata, const hs_record *rec)
{
	history_ctx *hc = udata;
	hs_buf body = HS_BUF_INIT;
	char loc[80];
	ship sh;
	int rc;

	hc->records++;
	if (rec->body != NULL &&
	    (rc = hs_json(&body, rec->body, rec->body_len, 0)) != 0)
		return rc;
	if ((rc = ship_decode(&sh, rec->state, rec->state_len)) != 0) {
		hs_buf_free(&body);
		return rc;
	}
	ship_location(&sh, loc, sizeof(loc));
	printf("  #%-3" PRIu64 " %s  %-6s %.*s\n", rec->seq,
	       rfc3339(rec->time_ns).s, rec->event_type, (int)body.len,
	       body.data != NULL ? (const char *)body.data : "");
	if (sh.status == SHIP_AT_SEA)
		printf("        -> %s, %" PRId64 " TEU aboard, voyage %" PRId64
		       "\n",
		       loc, sh.cargo, sh.voyages);
	else
		printf("        -> %s, visit %" PRId64 " there, %" PRId64
		       " TEU delivered so far\n",
		       loc, ship_visits_to(&sh, sh.port), sh.delivered);
	hs_buf_free(&body);
	return 0;
}

/* One ship's voyages, event by event with the state after each. */
static int ask_history(hs_runtime *rt, int ship_no)
{
	hs_filter f;
	history_ctx hc = {0};
	hs_buf state = HS_BUF_INIT, json = HS_BUF_INIT;
	char id[32];
	int rc;

	ship_id(ship_no, id, sizeof(id));
	printf("\n== The voyages of %s (hs_history) ==\n", id);
	memset(&f, 0, sizeof(f));
	f.type = SHIP_TYPE;
	f.id = id;
	f.flags = HS_HISTORY_STATES;
	if ((rc = hs_history(rt, &f, print_record, &hc)) != 0) {
		log_error(rt, "hs_history", rc);
		return rc;
	}
	printf("  %" PRId64 " events. Its state after the last one:\n",
	       hc.records);
	if (hc.records > 0) {
		rc = hs_state_at(rt, SHIP_TYPE, id,
				 hs_at_seq((uint64_t)hc.records), &state,
				 NULL);
		if (rc == 0)
			rc = hs_json(&json, state.data, state.len,
				     HS_JSON_PRETTY);
		if (rc != 0)
			log_error(rt, "hs_state_at", rc);
		else
			printf("%.*s\n", (int)json.len,
			       (const char *)json.data);
	}
	hs_buf_free(&state);
	hs_buf_free(&json);
	return rc;
}

static int count_ship(void *udata, hs_addr agent, const void *state,
		      size_t len, hs_receipt at)
{
	census *c = udata;
	ship sh;
	int rc, p;

	(void)at;
	if ((rc = ship_decode(&sh, state, len)) != 0) {
		fprintf(stderr, "hs-ships: %s: undecodable state\n", agent.id);
		return rc;
	}
	if (sh.status == SHIP_AT_SEA) {
		c->at_sea++;
	} else if (sh.status == SHIP_IN_PORT &&
		   (p = port_index(sh.port)) >= 0) {
		c->in_port[p]++;
		c->total_in_port++;
	} else {
		fprintf(stderr, "hs-ships: %s: in an unknown port '%s'\n",
			agent.id, sh.port);
		return HS_EBADMSG;
	}
	return 0;
}

/* How many ships were in each port at the census time. */
static int ask_census(hs_runtime *rt, const sim *s)
{
	census c;
	int order[NPORTS], rc;
	int64_t agents;
	bool same = true;

	printf("\n== Ships in port at %s (hs_system_at) ==\n",
	       rfc3339(s->census_ns).s);
	memset(&c, 0, sizeof(c));
	rc = hs_system_at(rt, SHIP_TYPE, hs_at_time(s->census_ns), count_ship,
			  &c);
	if (rc != 0) {
		log_error(rt, "hs_system_at", rc);
		return rc;
	}
	/* Ships without a record by then had not entered service. */
	agents = c.total_in_port + c.at_sea;
	c.not_in_service = s->nships - agents;
	for (int i = 0; i < NPORTS; i++)
		order[i] = i;
	for (int i = 1; i < NPORTS; i++) /* by count, then table order */
		for (int j = i;
		     j > 0 && c.in_port[order[j]] > c.in_port[order[j - 1]];
		     j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < NPORTS; i++) {
		const port *p = &ports[order[i]];
		char name[64];

		snprintf(name, sizeof(name), "%s, %s:", p->city, p->country);
		printf("  port %-30s %5" PRId64 "\n", name,
		       c.in_port[order[i]]);
	}
	printf("  %-35s %5" PRId64 "\n", "at sea:", c.at_sea);
	if (c.not_in_service > 0)
		printf("  %-35s %5" PRId64 "\n",
		       "not in service yet:", c.not_in_service);
	for (int i = 0; i < NPORTS; i++)
		same = same && c.in_port[i] == s->census_seen.in_port[i];
	check(same && c.total_in_port == s->census_seen.total_in_port &&
		      c.at_sea == s->census_seen.at_sea &&
		      c.not_in_service == s->census_seen.not_in_service,
	      "census at %s = %" PRId64 " in port + %" PRId64
	      " at sea + %" PRId64 " not in service (watcher: %" PRId64
	      " + %" PRId64 " + %" PRId64 ", %s per port)",
	      rfc3339(s->census_ns).s, c.total_in_port, c.at_sea,
	      c.not_in_service, s->census_seen.total_in_port,
	      s->census_seen.at_sea, s->census_seen.not_in_service,
	      same ? "same" : "different");
	return 0;
}

static int print_divergence(void *udata, const hs_divergence *d)
{
	int *shown = udata;

	if (++*shown <= 5)
		printf("  divergence: %s/%s seq %" PRIu64 " (%s): %s\n",
		       d->record.agent.type, d->record.agent.id, d->record.seq,
		       d->record.event_type,
		       d->diff_json != NULL ? d->diff_json : "");
	return 0;
}

/* Replays the whole log and compares every rebuilt state with the
 * recorded one. */
static int ask_verify(hs_runtime *rt, int64_t want_records, int nships)
{
	hs_verify_report rep;
	int shown = 0, rc;

	printf("\n== Replaying the log (hs_verify) ==\n");
	rc = hs_verify(rt, NULL, print_divergence, &shown, &rep);
	if (rc != 0) {
		log_error(rt, "hs_verify", rc);
		return rc;
	}
	printf("verified: %" PRIu64 " records, %" PRIu64 " agents, %" PRIu64
	       " divergences\n",
	       rep.records, rep.agents, rep.divergences);
	check(rep.divergences == 0 && (int64_t)rep.records == want_records &&
		      rep.agents <= (uint64_t)nships,
	      "replay = %" PRIu64 " records of %" PRIu64 " ships, %" PRIu64
	      " divergences (events sent: %" PRId64 ")",
	      rep.records, rep.agents, rep.divergences, want_records);
	return 0;
}

typedef struct fingerprint {
	uint64_t records;
	uint64_t sum;
} fingerprint;

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

static int fingerprint_record(void *udata, const hs_record *rec)
{
	fingerprint *fp = udata;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	/* Everything but gseq, which depends on how the sender threads
	 * interleaved; summed, so that the order of records does not
	 * count either. */
	h = fnv1a(h, rec->agent.id, strlen(rec->agent.id) + 1);
	h = fnv1a(h, &rec->seq, sizeof(rec->seq));
	h = fnv1a(h, &rec->time_ns, sizeof(rec->time_ns));
	h = fnv1a(h, rec->event_type, strlen(rec->event_type) + 1);
	if (rec->body != NULL)
		h = fnv1a(h, rec->body, rec->body_len);
	h = fnv1a(h, &rec->state_hash, sizeof(rec->state_hash));
	fp->records++;
	fp->sum += h;
	return 0;
}

/* A digest of the whole history that is the same for the same seed. */
static int ask_fingerprint(hs_runtime *rt)
{
	hs_filter f;
	fingerprint fp = {0, 0};
	int rc;

	memset(&f, 0, sizeof(f));
	f.type = SHIP_TYPE;
	if ((rc = hs_history(rt, &f, fingerprint_record, &fp)) != 0) {
		log_error(rt, "hs_history", rc);
		return rc;
	}
	printf("history fingerprint: %" PRIu64 " records, %016" PRIx64 "\n",
	       fp.records, fp.sum);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The log's directory                                                  */
/* ------------------------------------------------------------------ */

static int mkdir_parents(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "hs-ships: cannot create %s: %s\n",
				buf, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0) {
		fprintf(stderr, "hs-ships: cannot remove %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Makes `path` ready for a new log. A run never appends to an earlier one
 * (each starts its simulated clock at the same epoch), so an existing
 * path is refused, or with --fresh removed if it holds a hindsight log.
 * The default path is the demo's own scratch log, so there the previous
 * run's log is replaced without --fresh (`make demo` runs it again and
 * again). A directory that holds anything but a hindsight log is never
 * removed.
 */
static int prepare_db(const char *path, bool fresh)
{
	struct stat st;
	hs_options o;
	hs_runtime *rt;
	char err[512] = "";
	int rc;

	if (stat(path, &st) != 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "hs-ships: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		return mkdir_parents(path);
	}
	if (!fresh) {
		fprintf(stderr,
			"hs-ships: --db %s already exists.\n"
			"Each run starts its simulated clock at "
			"2026-01-01 again, so it does not append to an\n"
			"earlier log: run with --fresh to replace it, or "
			"give another --db PATH.\n",
			path);
		return -1;
	}
	/* Opening it for writing tells a hindsight log from anything else
	 * (HS_ENOTLOG, nothing changed) and from a log in use (HS_EBUSY). */
	hs_options_init(&o);
	o.path = path;
	o.workers = 1;
	rc = hs_open_err(&rt, &o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hs-ships: not removing %s: %s\n", path,
			err[0] != '\0' ? err : hs_strerror(rc));
		return -1;
	}
	hs_close(rt);
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return -1;
	printf("removed the previous log at %s\n", path);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Main                                                                 */
/* ------------------------------------------------------------------ */

typedef struct args {
	long ships, days, threads;
	uint64_t seed;
	const char *db;
	bool fresh;
} args;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hs-ships [--ships N] [--days D] [--seed S] "
		"[--threads T] [--db PATH] [--fresh]\n"
		"  --ships N    ships in the fleet (1..%d, default 1000)\n"
		"  --days D     simulated days (1..3650, default 60)\n"
		"  --seed S     the schedule's seed (default 1): the same "
		"seed, the same history\n"
		"  --threads T  sender threads (1..%d, default 4)\n"
		"  --db PATH    the log's directory (default %s,\n"
		"               where each run replaces the previous "
		"run's log)\n"
		"  --fresh      replace an earlier log at --db PATH (without "
		"it, an existing\n"
		"               PATH is refused; only a hindsight log is ever "
		"removed)\n",
		MAX_SHIPS, MAX_THREADS, DEFAULT_DB);
}

static bool number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, args *a)
{
	const char *opt = NULL;

	a->ships = 1000;
	a->days = 60;
	a->threads = 4;
	a->seed = 1;
	a->db = DEFAULT_DB;
	a->fresh = false;
	for (int i = 1; i < argc; i++) {
		const char *val = NULL, *eq;
		char name[16];
		size_t n;
		bool ok = true;
		long v;

		opt = argv[i];
		eq = strchr(opt, '=');
		n = eq != NULL ? (size_t)(eq - opt) : strlen(opt);

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(opt, "--fresh") == 0) {
			a->fresh = true;
			continue;
		}
		if (n >= sizeof(name) || strncmp(opt, "--", 2) != 0)
			goto bad;
		memcpy(name, opt, n);
		name[n] = '\0';
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			goto bad;
		if (strcmp(name, "--ships") == 0)
			ok = number(val, 1, MAX_SHIPS, &a->ships);
		else if (strcmp(name, "--days") == 0)
			ok = number(val, 1, 3650, &a->days);
		else if (strcmp(name, "--threads") == 0)
			ok = number(val, 1, MAX_THREADS, &a->threads);
		else if (strcmp(name, "--seed") == 0) {
			ok = number(val, 0, LONG_MAX, &v);
			a->seed = (uint64_t)v;
		} else if (strcmp(name, "--db") == 0 && val[0] != '\0')
			a->db = val;
		else
			goto bad;
		if (!ok)
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "hs-ships: bad or incomplete option '%s'\n", opt);
	usage(stderr);
	return -1;
}

static void choose_queries(sim *s, uint64_t seed)
{
	int chosen[NQUERY_SHIPS], nchosen = 0;

	for (int k = 0; k < NQUERY_SHIPS && k < s->nships; k++) {
		int n = (int)(mix64(seed ^ (UINT64_C(0xa11ce) + (uint64_t)k)) %
			      (uint64_t)s->nships);
		bool again = true;

		while (again) {
			again = false;
			for (int j = 0; j < nchosen; j++)
				if (chosen[j] == n) {
					n = (n + 1) % s->nships;
					again = true;
				}
		}
		chosen[nchosen++] = n;
	}
	for (int k = 0; k < nchosen; k++)
		for (int t = 1; t <= NQUERY_TIMES; t++) {
			query *q = &s->queries[s->nqueries++];

			q->ship = chosen[k];
			q->time_ns =
				hour_ns(s->hours * t / (NQUERY_TIMES + 1)) +
				30 * 60 * NS_PER_S;
			snprintf(q->watcher_loc, sizeof(q->watcher_loc),
				 "(not seen)");
		}
	s->census_ns = hour_ns(s->hours / 2) + 15 * 60 * NS_PER_S;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define TRY(what, call)                                                       \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ != 0) {                                               \
			log_error(rt, what, rc_);                             \
			goto out;                                             \
		}                                                             \
	} while (0)

int main(int argc, char **argv)
{
	args a;
	sim *s;
	hs_options o;
	hs_runtime *rt = NULL;
	char err[512] = "";
	int wid = -1, status = 1, rc;
	int64_t sent, departs, arrives, watched, unread;
	double t0;

	if (parse_args(argc, argv, &a) != 0)
		return 2;
	ports_init();
	if (prepare_db(a.db, a.fresh || strcmp(a.db, DEFAULT_DB) == 0) != 0)
		return 2;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return 1;
	s->nships = (int)a.ships;
	s->nthreads = (int)a.threads;
	s->days = (int)a.days;
	s->hours = s->days * 24;
	s->plans = calloc((size_t)s->nships, sizeof(*s->plans));
	s->w.ships = calloc((size_t)s->nships, sizeof(*s->w.ships));
	s->w.nships = s->nships;
	pthread_mutex_init(&s->w.print_mu, NULL);
	atomic_init(&s->clock_ns, EPOCH_NS);
	if (s->plans == NULL || s->w.ships == NULL) {
		fprintf(stderr, "hs-ships: out of memory\n");
		goto out;
	}
	for (int i = 0; i < s->nships; i++)
		plan_init(&s->plans[i], a.seed, i);
	choose_queries(s, a.seed);

	hs_options_init(&o);
	o.path = a.db;
	o.clock = sim_clock;
	o.clock_udata = s;
	if ((rc = hs_open_err(&rt, &o, err, sizeof(err))) != 0) {
		fprintf(stderr, "hs-ships: cannot open the log at %s: %s\n",
			a.db, err[0] != '\0' ? err : hs_strerror(rc));
		goto out;
	}
	s->rt = rt;
	TRY("registering the ship type", hindsight_register_types(rt));
	TRY("hs_watch", hs_watch(rt, watcher, &s->w, &wid));

	printf("hs-ships: %d ships, %d ports, %d days from %s, seed %" PRIu64
	       ", %d sender threads\nlog: %s\n",
	       s->nships, NPORTS, s->days, rfc3339(EPOCH_NS).s, a.seed,
	       s->nthreads, a.db);
	t0 = wall_s();
	if (simulate(s) != 0)
		goto out;
	TRY("hs_unwatch", hs_unwatch(rt, wid));
	/* The senders are joined and the watcher removed: relaxed loads
	 * see their final counts. */
	departs = atomic_load_explicit(&s->departs, memory_order_relaxed);
	arrives = atomic_load_explicit(&s->arrives, memory_order_relaxed);
	watched =
		atomic_load_explicit(&s->w.transitions, memory_order_relaxed);
	unread = atomic_load_explicit(&s->w.bad, memory_order_relaxed);
	sent = departs + arrives;
	printf("sailed: %" PRId64 " departures and %" PRId64 " arrivals in %d "
	       "simulated days, %.1f s of wall time\n",
	       departs, arrives, s->days, wall_s() - t0);
	printf("notable moments: %d (%d shown)\n", s->w.notable,
	       s->w.notable < NOTABLE_LINES ? s->w.notable : NOTABLE_LINES);
	rc = hs_close(rt);
	rt = NULL;
	if (rc != 0) {
		fprintf(stderr, "hs-ships: hs_close: %s\n", hs_strerror(rc));
		goto out;
	}
	check(watched == sent && unread == 0,
	      "watcher saw %" PRId64 " transitions for %" PRId64
	      " events sent",
	      watched, sent);

	/* Ask the log, reopened read-only. Its clock is the end of the
	 * simulation: queries of times after "now" are refused. */
	hs_options_init(&o);
	o.path = a.db;
	o.read_only = true;
	o.workers = 1;
	o.clock = sim_clock;
	o.clock_udata = s;
	if ((rc = hs_open_err(&rt, &o, err, sizeof(err))) != 0) {
		fprintf(stderr, "hs-ships: cannot reopen %s: %s\n", a.db,
			err[0] != '\0' ? err : hs_strerror(rc));
		goto out;
	}
	TRY("registering the ship type", hindsight_register_types(rt));
	printf("\nreopened %s read-only; now is %s\n", a.db,
	       rfc3339(sim_clock(s)).s);
	if (ask_locations(rt, s) != 0 ||
	    ask_history(rt, s->nqueries > 0 ? s->queries[0].ship : 0) != 0 ||
	    ask_census(rt, s) != 0 || ask_verify(rt, sent, s->nships) != 0 ||
	    ask_fingerprint(rt) != 0)
		goto out;
	rc = hs_close(rt);
	rt = NULL;
	if (rc != 0) {
		fprintf(stderr, "hs-ships: hs_close: %s\n", hs_strerror(rc));
		goto out;
	}
	if (failures == 0) {
		printf("\nhs-ships: ok\n");
		status = 0;
	} else {
		printf("\nhs-ships: %d checks FAILED\n", failures);
	}
out:
	if (rt != NULL)
		hs_close(rt);
	pthread_mutex_destroy(&s->w.print_mu);
	free(s->plans);
	free(s->w.ships);
	free(s);
	return status;
}
