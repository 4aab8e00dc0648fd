/*
 * hs-orders: many orders through two declarative machines (order.json,
 * shipment.json) on a simulated clock, then questions to the log.
 * Uses only the public API, include/hindsight.h.
 */
#ifndef HS_ORDERS_H
#define HS_ORDERS_H

#include <hindsight.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define T0 INT64_C(1767225600000000000) /* 2026-01-01T00:00Z */
#define SEC INT64_C(1000000000)
#define STEP_S 10 /* the simulation's step, simulated seconds */

/* The order machine's states, in the order the demo prints them. */
#define ORDER_STATES(X)                                                       \
	X(create) X(cart) X(submitted) X(fraud_approved) X(fraud_rejected)   \
	X(released) X(ship_finished) X(shipped) X(canceled)
#define NSTATES 9

typedef struct args {
	int orders;
	uint64_t seed;
	const char *db;
	const char *defs;
	int census_min; /* minutes after T0 */
} args;

/* What the watcher saw of one order (written on workers, read by the
 * main thread after hs_await). */
typedef struct order_seen {
	_Atomic int state;         /* index in ORDER_STATES, -1 none */
	_Atomic int64_t released;  /* time it entered "released", 0 */
	_Atomic int64_t finished;  /* time it left it, 0 */
} order_seen;

typedef struct sim {
	args a;
	_Atomic int64_t now;
	hs_machines *m;
	order_seen *seen;
	atomic_ulong transitions;
	atomic_int ended;
	/* the census the watcher saw at census time */
	int census[NSTATES];
	int64_t census_at;
	int64_t end;
	/* outcomes */
	int placed_ok, rejected_ok, fraud_rejects, removes;
	bool mismatch;
} sim;

extern const char *const state_names[NSTATES];
int state_index(const char *name, size_t len);
void order_id(char *buf, size_t cap, int i);
int64_t sim_clock(void *udata);

/* callbacks.c: the guards and updates the definitions name. */
int orders_callbacks(hs_machines *m);
/* defs.c: loads DIR/shipment.json and DIR/order.json into m (their
 * callbacks named first); prints what is wrong to stderr. 0 or -1. */
int orders_load(hs_machines *m, const char *dir, bool verbose);
/* simulate.c */
int simulate(sim *s, hs_runtime *rt);
void watcher(void *udata, const hs_transition *t);
/* questions.c */
int questions(sim *s);

#define CHECK(s, ok, ...)                                                     \
	do {                                                                  \
		printf("%s", (ok) ? "CHECK " : "MISMATCH ");                  \
		printf(__VA_ARGS__);                                          \
		printf("%s\n", (ok) ? ": ok" : "");                           \
		if (!(ok))                                                    \
			(s)->mismatch = true;                                 \
	} while (0)

#endif /* HS_ORDERS_H */
