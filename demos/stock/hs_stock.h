/*
 * The hs-stock program's own header (main.c says what it does). The part
 * agent type, which the types plugin shares, is in part.h.
 */
#ifndef HS_DEMOS_STOCK_HS_STOCK_H
#define HS_DEMOS_STOCK_HS_STOCK_H

#include "part.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define NNAMES 46 /* part names in the manifest */
#define NVARIANTS 10
#define NPARTS (NNAMES * NVARIANTS)
#define ID_CAP 64

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)
/* Simulated time 0: the seed post's date, 2016-02-09 19:59:38 UTC. */
#define EPOCH_NS (INT64_C(1455047978) * SEC)

#define DELIVERY_GAP_MAX_MS 1000

/* ---- manifest.c: the parts ---- */

/* "Bonnet/hood 3": a name from the manifest and a variant. */
extern char part_ids[NPARTS][ID_CAP];

/* Fills part_ids; call once first. */
void make_ids(void);
int part_index(const char *id);

/* ---- print.c: how times, parts and verdicts are printed ---- */

/* Formats a simulated time (ns since simulated 0) as seconds. */
const char *secs(char *buf, size_t cap, int64_t t);
#define S(t) secs((char[32]){0}, 32, (t))

/* An id in double quotes, for names with spaces. */
const char *quoted(char *buf, size_t cap, const char *id);
#define Q(id) quoted((char[ID_CAP + 2]){0}, ID_CAP + 2, (id))

const char *verdict(bool ok);

/* qsort() that accepts an empty (possibly NULL) array. */
static inline void sort(void *base, size_t n, size_t size,
			int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* ---- args.c: the command line ---- */

typedef struct opts {
	int64_t seconds;
	uint64_t seed;
	const char *db;
	const char *part;
	int64_t win_from, win_to; /* ms; -1 = default */
	int64_t at[16];           /* ms */
	size_t nat;
	int max_qty;
	unsigned workers;
	bool live; /* print backlog changes and progress as they happen */
	bool all_checks;
} opts;

/* Returns 0, or -1 after printing what is wrong; exits after --help. */
int parse(int argc, char **argv, opts *o);

/* ---- simulate.c: the two sources and the stepping ---- */

/* One event a source sent. */
typedef struct sent {
	int64_t t; /* simulated ns */
	int part;
	int qty;
} sent;

typedef struct sim sim;

typedef struct stream {
	sim *sim;
	uint64_t rng;
	/* The next event, published to the main thread by step(). */
	int64_t next_t;
	int next_part;
	int next_qty;
	int next_who;  /* customer or supplier number */
	bool send_now; /* set by the main thread for the step */
	int err;
	sent *log; /* what was sent, in time order */
	size_t n, cap;
	pthread_t thread;
} stream;

/* A part entering or leaving backlog, as the watcher saw it. */
typedef struct note {
	int part;
	bool enter; /* entered backlog, else recovered */
	int64_t t;  /* simulated ns */
	int64_t stock;
	int64_t since; /* recovered: when the backlog began */
	size_t order;  /* arrival, to keep one part's notes in seq order */
} note;

struct sim {
	hs_runtime *rt;
	int64_t duration;
	int max_qty;
	/* Steps: the main thread bumps `gen` and waits until `pending`
	 * sender threads have done their part of the step. */
	pthread_mutex_t step_mu;
	pthread_cond_t step_cv, done_cv;
	uint64_t gen;
	int pending;
	bool stop;
	/* The simulated clock in ns since the epoch; written by the main
	 * thread between steps, read by the workers. */
	atomic_llong now;
	stream orders, deliveries;

	/* Backlog notes from the watcher, which runs on the workers. */
	pthread_mutex_t mu;
	note *notes;
	size_t nnotes, capnotes;
	bool notes_oom;
};

/* Sets up both sources from the options; sim_free undoes it. */
void sim_init(sim *s, const opts *o);
void sim_free(sim *s);

/* The runtime's clock (hs_options.clock); udata is the sim. */
int64_t sim_clock(void *udata);

/* Starts the two sender threads. Returns 0, or -1 after printing why. */
int sim_start(sim *s);

/* Merges the two sources in time order, a step per event time, and
 * stops the sender threads. Returns 0 or the error that stopped it. */
int sim_run(sim *s, const opts *o, uint64_t *steps);

/* ---- watcher.c: the backlog watcher ---- */

/* The hs_watch callback; udata is the sim. */
void backlog_watch(void *udata, const hs_transition *tr);

/* Prints the watcher's notes from *printed on, and counts the parts in
 * backlog. Called by the main thread between steps, when no watcher
 * runs. */
int flush_notes(sim *s, size_t *printed, int *in_backlog, bool quiet);

/* Orders notes by part, then by arrival. */
int note_by_part(const void *a, const void *b);

/* ---- model.c: what the program itself knows, from its send logs ---- */

typedef struct period {
	int part;
	int64_t begin, end; /* simulated ns; end -1 = still open */
} period;

typedef struct periods {
	period *v;
	size_t n, cap;
	size_t ended;
} periods;

int periods_add(periods *p, int part, int64_t begin);
/* Closes the part's open period, the last one added for it. */
void periods_end(periods *p, int part, int64_t end);
int period_cmp(const void *a, const void *b);
bool periods_equal(const periods *a, const periods *b);

typedef struct model {
	int64_t ordered[NPARTS], delivered[NPARTS];
	int64_t since[NPARTS]; /* backlog_since at the end, -1 = none */
	periods backlog;
} model;

/* Plays both send logs in the order the agents saw them (time, and the
 * order before the delivery at the same time) through the backlog rule. */
int model_build(model *m, const stream *os, const stream *ds);

/* The part's stock after every event at or before t, from the send logs,
 * and how many events that was. */
int64_t sent_stock_at(const stream *os, const stream *ds, int part, int64_t t,
		      size_t *events);

/* Orders for the part in (from, to]. */
int64_t sent_orders_in(const stream *os, int part, int64_t from, int64_t to);

/* ---- checks.c: the final states against the send logs ---- */

/* A part ranked by orders, then by its window's peak. */
typedef struct ranked {
	int part;
	int64_t n, peak, peak_at;
} ranked;

int ranked_cmp(const void *a, const void *b);

/* Reads every part's final state (hs_deref) and compares it with the send
 * logs; prints the busiest parts by their 5 s windows. */
int check_final(sim *s, const opts *o, const model *m, bool *ok);

/* ---- questions.c: what the log is asked after the run ---- */

/* The stock of one part at past times: hs_state_at by time. */
int past_stock(hs_runtime *ro, const sim *s, const opts *o, const model *m,
	       int part, bool *ok);

/* Every backlog period, from each part's history with states. */
int backlog_periods(hs_runtime *ro, sim *s, const model *m, bool *ok);

/* Orders per part in a past window: hs_history filtered by time and
 * event type over the whole log. */
int busiest_window(hs_runtime *ro, const sim *s, const opts *o, bool *ok);

/* Replays the whole log (hs_verify). */
int verify(hs_runtime *ro, const sim *s, bool *ok);

#endif /* HS_DEMOS_STOCK_HS_STOCK_H */
