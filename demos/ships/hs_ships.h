/*
 * The hs-ships program's own header (main.c says what it does). The ship
 * agent type, which the types plugin shares, is in ships.h.
 */
#ifndef HS_DEMOS_SHIPS_HS_SHIPS_H
#define HS_DEMOS_SHIPS_HS_SHIPS_H

#include "ships.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_PER_S INT64_C(1000000000)
#define NS_PER_HOUR (INT64_C(3600) * NS_PER_S)
#define EPOCH_NS (INT64_C(1767225600) * NS_PER_S) /* 2026-01-01T00:00Z */

#define DEFAULT_DB "./hindsight-data/ships"
#define MAX_SHIPS 100000
#define MAX_THREADS 64
#define NQUERY_SHIPS 3
#define NQUERY_TIMES 3
#define NOTABLE_LINES 12 /* notable moments printed at most */

/* ---- schedule.c: the ports, simulated time, each ship's schedule ---- */

typedef struct port {
	const char *city;
	const char *country;
	double lat, lon;
} port;

#define NPORTS 20
extern const port ports[NPORTS];

/* Fills the distance tables; call once before any schedule. */
void ports_init(void);
int port_index(const char *city);

typedef struct stamp {
	char s[32];
} stamp;

/* RFC 3339 in UTC, to the second. */
stamp rfc3339(int64_t ns);
int64_t hour_ns(int h);

/* The agent id of ship number n: "ship-000042". */
void ship_id(int n, char *buf, size_t cap);

/* One ship's schedule: a function of the seed and the ship's number. */
typedef struct plan {
	uint64_t rng;
	int port;   /* in port: where; at sea: where to */
	int next_h; /* the hour of its next event */
	int knots;
	bool started;
	bool at_sea;
} plan;

void plan_init(plan *p, uint64_t seed, int ship_no);
int stay_hours(plan *p);
int pick_destination(plan *p);
int sail_hours(int from, int to, int knots);

/* ---- watcher.c: the watcher's view of the fleet ---- */

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
	/* Notable: a ship's visit_milestone-th call at one port, or its
	 * voyage_milestone-th voyage (8 and 30 over the default 60 days,
	 * fewer in shorter runs: watch_milestones). */
	int visit_milestone, voyage_milestone;
} watch;

/* Ships per port, at sea and not yet in service. */
typedef struct census {
	int64_t in_port[NPORTS];
	int64_t at_sea, not_in_service, total_in_port;
} census;

/* The hs_watch callback; udata is a watch. */
void watcher(void *udata, const hs_transition *t);
void seen_location(const seen *s, char *buf, size_t cap);
void take_census(const watch *w, census *c);
/* Sets the milestones for a run of `days`. */
void watch_milestones(watch *w, int days);
/* "st", "nd", "rd" or "th". */
const char *ordinal(int64_t n);

/* ---- simulate.c: the sender threads and the stepping ---- */

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

/* The runtime's clock (hs_options.clock); udata is the sim. */
int64_t sim_clock(void *udata);

/* Runs the whole simulation; returns 0 or the first error. */
int simulate(sim *s);

/* ---- questions.c: what the log is asked after the run ---- */

/* Chooses the ships and times to ask about, and the census time. */
void choose_queries(sim *s, uint64_t seed);

/* Asks the log, opened read-only, every question, checking each answer
 * against what the watcher saw. Returns 0 or the error that stopped it. */
int ask_the_log(hs_runtime *rt, const sim *s, int64_t events_sent);

/* ---- check.c: CHECK lines and errors ---- */

/* Prints "CHECK <what>: ok", or "MISMATCH <what>: FAILED" and counts a
 * failure. */
void check(bool ok, const char *fmt, ...) HS_PRINTF(2, 3);
int check_failures(void);
void log_error(hs_runtime *rt, const char *what, int rc);

/* ---- args.c: the command line ---- */

typedef struct args {
	long ships, days, threads;
	uint64_t seed;
	const char *db;
	bool fresh;
} args;

/* Returns 0, or -1 after printing what is wrong; exits after --help. */
int parse_args(int argc, char **argv, args *a);

#endif /* HS_DEMOS_SHIPS_HS_SHIPS_H */
