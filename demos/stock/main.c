/*
 * hs-stock: a stock tracker that joins an order stream and a delivery
 * stream into stock levels, then answers questions about the past from
 * its log (after "Managing state with core.async", shared/seeds/000).
 *
 * 460 parts (46 car-body part names x 10 variants) are agents of type
 * "part" (part.c), with ids such as "Bonnet/hood 3". Two sender threads
 * play the two sources: one order every 10 simulated ms for a random
 * part, and deliveries of 1..max-qty units after random gaps of up to one
 * simulated second. Both route to the part's agent, which keeps its stock
 * (negative = unmet demand), whether it is in backlog (stock <= -4), and
 * a sliding window of its orders in the last 5 simulated seconds.
 *
 * Simulated time: hs_options.clock returns the simulated clock, so record
 * times are event times. The streams are merged in time order in steps:
 * at each step the main thread sets the clock to the time of the next
 * event(s), both threads send what they have at that time, and hs_await
 * waits until it is handled and written before the clock moves on. When
 * an order and a delivery for the same part fall on the same time, the
 * order goes in one step and the delivery in the next (same clock), so
 * that the run is deterministic for a seed.
 *
 * A watcher prints parts entering and leaving backlog. At the end the
 * program checks the final states against what it sent, then closes the
 * runtime, opens the log read-only and asks it: a part's stock at past
 * times (hs_state_at), every backlog period (hs_history with states), the
 * busiest parts over a past window (hs_history filtered by time and event
 * type), and finally replays the whole log (hs_verify). Lines starting
 * with CHECK compare an answer with the program's own record of what it
 * sent; the test (test.sh) reads them.
 *
 * Uses only the public API, include/hindsight.h.
 */
#include "part.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* The parts                                                            */
/* ------------------------------------------------------------------ */

/* The seed's `manifest`: Wikipedia's list of car body and main parts. */
/* clang-format off */
static const char *const manifest[] = {
	"Bonnet/hood", "Bonnet/hood latch", "Bumper", "Unexposed bumper",
	"Exposed bumper", "Cowl screen", "Decklid", "Fascia rear and support",
	"Fender (wing or mudguard)", "Front clip",
	"Front fascia and header panel", "Grille (also called grill)",
	"Pillar and hard trim", "Quarter panel", "Radiator core support",
	"Rocker", "Roof rack", "Spoiler", "Front spoiler (air dam)",
	"Rear spoiler (wing)", "Rims", "Hubcap", "Tire/Tyre", "Trim package",
	"Trunk/boot/hatch", "Trunk/boot latch", "Valance", "Welded assembly",
	"Outer door handle", "Inner door handle", "Door control module",
	"Door seal", "Door watershield", "Hinge", "Door latch",
	"Door lock and power door locks", "Center-locking",
	"Fuel tank (or fuel filler) door", "Window glass", "Sunroof",
	"Sunroof motor", "Window motor", "Window regulator",
	"Windshield (also called windscreen)", "Windshield washer motor",
	"Window seal",
};
/* clang-format on */

#define NNAMES ((int)(sizeof(manifest) / sizeof(manifest[0])))
#define NVARIANTS 10
#define NPARTS (NNAMES * NVARIANTS)
#define ID_CAP 64

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)
/* Simulated time 0: the seed post's date, 2016-02-09 19:59:38 UTC. */
#define EPOCH_NS (INT64_C(1455047978) * SEC)

#define ORDER_EVERY (10 * MS)
#define DELIVERY_GAP_MAX_MS 1000

static char ids[NPARTS][ID_CAP];

static void make_ids(void)
{
	for (int i = 0; i < NPARTS; i++)
		snprintf(ids[i], ID_CAP, "%s %d", manifest[i / NVARIANTS],
			 i % NVARIANTS);
}

static int part_index(const char *id)
{
	for (int i = 0; i < NPARTS; i++)
		if (strcmp(ids[i], id) == 0)
			return i;
	return -1;
}

/* Formats a simulated time (ns since simulated 0) as seconds. */
static const char *secs(char *buf, size_t cap, int64_t t)
{
	int64_t a = t < 0 ? -t : t;

	snprintf(buf, cap, "%s%" PRId64 ".%03" PRId64, t < 0 ? "-" : "",
		 a / SEC, a % SEC / MS);
	return buf;
}

#define S(t) secs((char[32]){0}, 32, (t))

/* An id in double quotes, for names with spaces. */
static const char *quoted(char *buf, size_t cap, const char *id)
{
	snprintf(buf, cap, "\"%s\"", id);
	return buf;
}

#define Q(id) quoted((char[ID_CAP + 2]){0}, ID_CAP + 2, (id))

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort() that accepts an empty (possibly NULL) array. */
static void sort(void *base, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* splitmix64: a small seeded generator per stream. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A value in [lo, hi]. */
static int64_t rnd_in(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

/* ------------------------------------------------------------------ */
/* The two sources                                                      */
/* ------------------------------------------------------------------ */

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

static int64_t sim_clock(void *udata)
{
	sim *s = udata;

	/* Acquire pairs with the release store in run(): a worker that
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
		rc = hs_sendf(st->sim->rt, "part", ids[st->next_part], "order",
			      "qty:i customer:s", st->next_qty, who);
	} else {
		snprintf(who, sizeof(who), "S%02d", st->next_who);
		rc = hs_sendf(st->sim->rt, "part", ids[st->next_part],
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

/* ------------------------------------------------------------------ */
/* The backlog watcher                                                  */
/* ------------------------------------------------------------------ */

/* Runs on the worker that made each transition, several at once. It only
 * notes crossings of the backlog line; the main thread prints them after
 * each step, so that the output does not depend on thread timing. */
static void backlog_watch(void *udata, const hs_transition *tr)
{
	sim *s = udata;
	part_state old, cur;
	bool enter, leave;

	if (strcmp(tr->agent.type, "part") != 0 ||
	    part_state_read(tr->new_state, tr->new_len, &cur) != 0)
		return;
	/* A new agent's old state is the zeroed one. */
	if (part_state_read(tr->old_state, tr->old_len, &old) != 0)
		memset(&old, 0, sizeof(old));
	enter = old.stock > STOCK_BACKLOG && cur.stock <= STOCK_BACKLOG;
	leave = old.stock <= STOCK_BACKLOG && cur.stock > STOCK_BACKLOG;
	if (!enter && !leave)
		return;

	note n = {
		.part = part_index(tr->agent.id),
		.enter = enter,
		.t = tr->time_ns - EPOCH_NS,
		.stock = cur.stock,
		.since = old.backlog_since ? old.backlog_since - EPOCH_NS : -1,
	};
	pthread_mutex_lock(&s->mu);
	if (s->nnotes == s->capnotes) {
		size_t cap = s->capnotes ? 2 * s->capnotes : 256;
		note *v = realloc(s->notes, cap * sizeof(*v));

		if (v == NULL) {
			s->notes_oom = true;
			pthread_mutex_unlock(&s->mu);
			return;
		}
		s->notes = v;
		s->capnotes = cap;
	}
	n.order = s->nnotes;
	s->notes[s->nnotes++] = n;
	pthread_mutex_unlock(&s->mu);
}

static int note_by_part(const void *a, const void *b)
{
	const note *x = a, *y = b;

	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

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
	bool quiet;
	bool all_checks;
} opts;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hs-stock [options]\n"
		"  --seconds N     simulated duration (default 120)\n"
		"  --seed N        seed of both streams (default 1)\n"
		"  --db PATH       the log's directory (default "
		"./hindsight-data/stock);\n"
		"                  a log left there by an earlier hs-stock "
		"run is replaced\n"
		"  --part NAME     the part whose past stock is shown, e.g. "
		"\"Rims 7\"\n"
		"                  (default: the first to recover from "
		"backlog)\n"
		"  --at T,T,...    the past times (simulated seconds) to ask "
		"for its stock\n"
		"                  (default: every eighth of the run, and its "
		"backlogs)\n"
		"  --window A,B    the past window, in simulated seconds, for "
		"the busiest\n"
		"                  parts by orders (default: the second "
		"quarter of the run)\n"
		"  --max-qty N     deliveries carry 1..N units (default 100)\n"
		"  --workers N     worker threads (default: one per core)\n"
		"  --quiet         do not print backlog changes and progress "
		"as they happen\n"
		"  --all-checks    print a CHECK line for every part\n");
}

static bool num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Seconds with up to three decimals, as ms. */
static bool ms_arg(const char *s, size_t n, int64_t *out)
{
	char buf[32], *end;
	double v;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (*end != '\0' || !(v >= 0) || v > 1e7)
		return false;
	*out = (int64_t)(v * 1000 + 0.5);
	return true;
}

/* A list of up to 16 times in seconds, as ms. */
static bool at_list(const char *v, opts *o)
{
	o->nat = 0;
	for (;;) {
		const char *comma = strchr(v, ',');
		size_t n = comma ? (size_t)(comma - v) : strlen(v);

		if (o->nat == sizeof(o->at) / sizeof(o->at[0]) ||
		    !ms_arg(v, n, &o->at[o->nat++]))
			return false;
		if (comma == NULL)
			return true;
		v = comma + 1;
	}
}

static int parse(int argc, char **argv, opts *o)
{
	*o = (opts){.seconds = 120,
		    .seed = 1,
		    .db = "./hindsight-data/stock",
		    .win_from = -1,
		    .win_to = -1,
		    .max_qty = 100};
	const char *a = NULL;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n;

		a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--quiet") == 0) {
			o->quiet = true;
			continue;
		} else if (strcmp(a, "--all-checks") == 0) {
			o->all_checks = true;
			continue;
		}
		if (v == NULL)
			goto bad;
		i++;
		if (strcmp(a, "--seconds") == 0 && num(v, 1, 86400, &n))
			o->seconds = n;
		else if (strcmp(a, "--seed") == 0 && num(v, 0, INT64_MAX, &n))
			o->seed = (uint64_t)n;
		else if (strcmp(a, "--db") == 0 && v[0] != '\0')
			o->db = v;
		else if (strcmp(a, "--part") == 0)
			o->part = v;
		else if (strcmp(a, "--max-qty") == 0 && num(v, 1, 1000000, &n))
			o->max_qty = (int)n;
		else if (strcmp(a, "--workers") == 0 && num(v, 0, 256, &n))
			o->workers = (unsigned)n;
		else if (strcmp(a, "--at") == 0 && at_list(v, o))
			;
		else if (strcmp(a, "--window") == 0 && strchr(v, ',') &&
			 ms_arg(v, (size_t)(strchr(v, ',') - v),
				&o->win_from) &&
			 ms_arg(strchr(v, ',') + 1, strlen(strchr(v, ',') + 1),
				&o->win_to) &&
			 o->win_from <= o->win_to)
			;
		else
			goto bad;
	}
	for (size_t i = 0; i < o->nat; i++)
		if (o->at[i] > o->seconds * 1000) {
			fprintf(stderr,
				"hs-stock: --at after the end of the run "
				"(--seconds)\n");
			return -1;
		}
	if (o->part != NULL && part_index(o->part) < 0) {
		fprintf(stderr,
			"hs-stock: no part \"%s\"; ids are a name "
			"from the manifest and a variant 0-9, e.g. "
			"\"%s\"\n",
			o->part, ids[27]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "hs-stock: bad or incomplete option %s\n", a);
	usage(stderr);
	return -1;
}

/* ------------------------------------------------------------------ */
/* The log's directory                                                  */
/* ------------------------------------------------------------------ */

static int rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (d == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char child[4096];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) >=
			    (int)sizeof(child) ||
		    lstat(child, &st) != 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode))
			rc = rm_tree(child);
		else
			rc = unlink(child);
	}
	closedir(d);
	return rc == 0 ? rmdir(path) : rc;
}

static int first_record(void *udata, const hs_record *rec)
{
	snprintf(udata, HS_NAME_MAX + 1, "%s", rec->agent.type);
	return 1;
}

/* Makes `path` ready for a new log: creates its parent directories, and
 * removes a log an earlier run of hs-stock left there (one whose first
 * record is a "part"). Refuses anything else. */
static int prepare_db(const char *path)
{
	char buf[4096], type[HS_NAME_MAX + 1] = "", err[512];
	struct stat st;
	hs_options o;
	hs_runtime *ro;
	hs_filter f = {.limit = 1};
	DIR *d;
	struct dirent *e;
	bool empty = true;
	int rc;

	if (strlen(path) >= sizeof(buf)) {
		fprintf(stderr, "hs-stock: --db path too long\n");
		return -1;
	}
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			goto sys;
		/* mkdir -p of the parent: hs_open creates the last part. */
		strcpy(buf, path);
		for (char *p = buf + 1; *p != '\0'; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
				path = buf;
				goto sys;
			}
			*p = '/';
		}
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hs-stock: %s is not a directory\n", path);
		return -1;
	}
	if ((d = opendir(path)) == NULL)
		goto sys;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 ||
			strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (empty)
		return 0;

	hs_options_init(&o);
	o.path = path;
	o.read_only = true;
	if ((rc = hs_open_err(&ro, &o, err, sizeof(err))) != 0) {
		fprintf(stderr,
			"hs-stock: %s is not empty and not a log "
			"hs-stock can replace (%s); choose another "
			"--db\n",
			path, err);
		return -1;
	}
	rc = hs_history(ro, &f, first_record, type);
	hs_close(ro);
	if (rc < 0 || (type[0] != '\0' && strcmp(type, "part") != 0)) {
		fprintf(stderr,
			"hs-stock: %s holds a log of another program; "
			"choose another --db\n",
			path);
		return -1;
	}
	printf("replacing the log of an earlier run at %s\n", path);
	if (rm_tree(path) != 0)
		goto sys;
	return 0;
sys:
	fprintf(stderr, "hs-stock: %s: %s\n", path, strerror(errno));
	return -1;
}

/* ------------------------------------------------------------------ */
/* The run                                                              */
/* ------------------------------------------------------------------ */

/* Prints the watcher's notes from *printed on, and counts the parts in
 * backlog. Called by the main thread between steps, when no watcher
 * runs. */
static int flush_notes(sim *s, size_t *printed, int *in_backlog, bool quiet)
{
	size_t from = *printed, to;
	int rc;

	pthread_mutex_lock(&s->mu);
	to = s->nnotes;
	/* One step's notes share a time: order them by part. */
	if (to > from)
		sort(s->notes + from, to - from, sizeof(note), note_by_part);
	for (size_t i = from; i < to; i++) {
		const note *n = &s->notes[i];

		*in_backlog += n->enter ? 1 : -1;
		if (quiet)
			continue;
		if (n->enter)
			printf("  %10s s  backlog    \"%s\": stock %" PRId64
			       "\n",
			       S(n->t), ids[n->part], n->stock);
		else
			printf("  %10s s  recovered  \"%s\": stock %" PRId64
			       ", after %s s in backlog\n",
			       S(n->t), ids[n->part], n->stock,
			       S(n->t - n->since));
	}
	rc = s->notes_oom ? HS_ENOMEM : 0;
	pthread_mutex_unlock(&s->mu);
	*printed = to;
	return rc;
}

/* Merges the two sources in time order, a step per event time. */
static int run(sim *s, const opts *o, uint64_t *steps)
{
	stream *os = &s->orders, *ds = &s->deliveries;
	size_t printed = 0;
	int in_backlog = 0, rc = 0;
	int64_t report = 10 * SEC;

	for (;;) {
		int64_t t = os->next_t < ds->next_t ? os->next_t : ds->next_t;

		if (t >= s->duration)
			break;
		if (t >= report && !o->quiet)
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
		if ((rc = flush_notes(s, &printed, &in_backlog, o->quiet)) !=
		    0)
			break;
	}
	/* The end of the run is the end of the simulated duration. */
	atomic_store_explicit(&s->now, EPOCH_NS + s->duration,
			      memory_order_release);
	s->stop = true;
	step(s, 0);
	return rc;
}

/* ------------------------------------------------------------------ */
/* What the program itself knows: the send logs                         */
/* ------------------------------------------------------------------ */

typedef struct period {
	int part;
	int64_t begin, end; /* simulated ns; end -1 = still open */
} period;

typedef struct periods {
	period *v;
	size_t n, cap;
	size_t ended;
} periods;

static int periods_add(periods *p, int part, int64_t begin)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		period *v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL)
			return HS_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (period){part, begin, -1};
	return 0;
}

/* Closes the part's open period, the last one added for it. */
static void periods_end(periods *p, int part, int64_t end)
{
	for (size_t i = p->n; i-- > 0;)
		if (p->v[i].part == part) {
			if (p->v[i].end < 0) {
				p->v[i].end = end;
				p->ended++;
			}
			return;
		}
}

static int period_cmp(const void *a, const void *b)
{
	const period *x = a, *y = b;

	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

static bool periods_equal(const periods *a, const periods *b)
{
	if (a->n != b->n || a->ended != b->ended)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (period_cmp(&a->v[i], &b->v[i]) != 0)
			return false;
	return true;
}

typedef struct model {
	int64_t ordered[NPARTS], delivered[NPARTS];
	int64_t since[NPARTS]; /* backlog_since at the end, -1 = none */
	periods backlog;
} model;

/* Plays both send logs in the order the agents saw them (time, and the
 * order before the delivery at the same time) through the backlog rule. */
static int model_build(model *m, const stream *os, const stream *ds)
{
	int64_t stock[NPARTS] = {0};
	size_t i = 0, j = 0;
	int rc = 0;

	for (int p = 0; p < NPARTS; p++)
		m->since[p] = -1;
	while (rc == 0 && (i < os->n || j < ds->n)) {
		bool order = j == ds->n ||
			     (i < os->n && os->log[i].t <= ds->log[j].t);
		const sent *e = order ? &os->log[i++] : &ds->log[j++];
		int p = e->part;

		if (order) {
			stock[p] -= e->qty;
			m->ordered[p] += e->qty;
		} else {
			stock[p] += e->qty;
			m->delivered[p] += e->qty;
		}
		if (stock[p] <= STOCK_BACKLOG && m->since[p] < 0) {
			m->since[p] = e->t;
			rc = periods_add(&m->backlog, p, e->t);
		} else if (stock[p] > STOCK_BACKLOG && m->since[p] >= 0) {
			m->since[p] = -1;
			periods_end(&m->backlog, p, e->t);
		}
	}
	sort(m->backlog.v, m->backlog.n, sizeof(period), period_cmp);
	return rc;
}

/* The part's stock after every event at or before t, from the send logs,
 * and how many events that was. */
static int64_t sent_stock_at(const stream *os, const stream *ds, int part,
			     int64_t t, size_t *events)
{
	int64_t stock = 0;

	*events = 0;
	for (size_t i = 0; i < os->n && os->log[i].t <= t; i++)
		if (os->log[i].part == part)
			stock -= os->log[i].qty, ++*events;
	for (size_t i = 0; i < ds->n && ds->log[i].t <= t; i++)
		if (ds->log[i].part == part)
			stock += ds->log[i].qty, ++*events;
	return stock;
}

static int64_t sent_orders_in(const stream *os, int part, int64_t from,
			      int64_t to)
{
	int64_t n = 0;

	for (size_t i = 0; i < os->n; i++)
		n += os->log[i].part == part && os->log[i].t > from &&
		     os->log[i].t <= to;
	return n;
}

static const char *verdict(bool ok)
{
	return ok ? "ok" : "MISMATCH";
}

/* ------------------------------------------------------------------ */
/* Checks on the live runtime                                           */
/* ------------------------------------------------------------------ */

typedef struct ranked {
	int part;
	int64_t n, peak, peak_at;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->peak != y->peak)
		return x->peak > y->peak ? -1 : 1;
	return x->part - y->part;
}

/* Reads every part's final state (hs_deref) and compares it with the send
 * logs; prints the busiest parts by their 5 s windows. */
static int check_final(sim *s, const opts *o, const model *m, bool *ok)
{
	hs_buf b = HS_BUF_INIT;
	ranked *r = calloc(NPARTS, sizeof(*r));
	int bad = 0, rc = 0, top;
	int64_t end = s->duration;

	if (r == NULL)
		return HS_ENOMEM;
	if (o->all_checks)
		printf("final stock of each part (hs_deref) = delivered - "
		       "ordered, as sent:\n");
	for (int p = 0; p < NPARTS && rc == 0; p++) {
		part_state st;
		int64_t win, want_win, want_since;
		bool good;

		hs_buf_reset(&b);
		rc = hs_deref(s->rt, "part", ids[p], &b);
		if (rc == HS_ENOAGENT) { /* no event reached it */
			memset(&st, 0, sizeof(st));
			rc = 0;
		} else if (rc == 0) {
			rc = part_state_read(b.data, b.len, &st);
		}
		if (rc != 0) {
			fprintf(stderr, "hs-stock: state of \"%s\": %s\n",
				ids[p], hs_strerror(rc));
			break;
		}
		win = part_window_at(&st, EPOCH_NS + end);
		want_win = sent_orders_in(&s->orders, p, end - STOCK_WINDOW_NS,
					  end);
		want_since = m->since[p] < 0 ? 0 : EPOCH_NS + m->since[p];
		good = st.stock == m->delivered[p] - m->ordered[p] &&
		       st.ordered == m->ordered[p] &&
		       st.delivered == m->delivered[p] && win == want_win &&
		       st.backlog_since == want_since;
		bad += !good;
		if (o->all_checks || !good)
			printf("CHECK stock \"%s\" = %" PRId64
			       " = delivered %" PRId64 " - ordered %" PRId64
			       ": %s\n",
			       ids[p], st.stock, m->delivered[p],
			       m->ordered[p], verdict(good));
		if (!good)
			printf("  state: ordered %" PRId64
			       " delivered %" PRId64 " window %" PRId64
			       " backlog_since %" PRId64
			       "; sent: window %" PRId64
			       " backlog_since %" PRId64 "\n",
			       st.ordered, st.delivered, win, st.backlog_since,
			       want_win, want_since);
		r[p] = (ranked){p, win, st.peak, st.peak_at};
	}
	hs_buf_free(&b);
	if (rc == 0) {
		printf("CHECK final states of %d parts (stock, ordered, "
		       "delivered, 5 s window, backlog_since) = send logs: "
		       "%s\n",
		       NPARTS, verdict(bad == 0));
		*ok &= bad == 0;

		qsort(r, NPARTS, sizeof(*r), ranked_cmp);
		printf("\nbusiest parts at the end: orders in the last 5 s "
		       "(%s .. %s s), from each part's window\n",
		       S(end > STOCK_WINDOW_NS ? end - STOCK_WINDOW_NS : 0),
		       S(end));
		for (top = 0; top < 5 && r[top].n > 0; top++)
			printf("  %-40s %3" PRId64
			       " order%s  (most ever in 5 s: "
			       "%" PRId64 ", at %s s)\n",
			       Q(ids[r[top].part]), r[top].n,
			       r[top].n == 1 ? " " : "s", r[top].peak,
			       S(r[top].peak_at - EPOCH_NS));
		if (top == 0)
			printf("  (no orders in the last 5 s)\n");
	}
	free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Questions for the log                                                */
/* ------------------------------------------------------------------ */

static int64_t cmp64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int time_cmp(const void *a, const void *b)
{
	return (int)cmp64(*(const int64_t *)a, *(const int64_t *)b);
}

/* The stock of one part at past times: hs_state_at by time. */
static int past_stock(hs_runtime *ro, const sim *s, const opts *o,
		      const model *m, int part, bool *ok)
{
	int64_t times[16];
	size_t nt = 0, good_n = 0, k;
	hs_buf b = HS_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < o->nat; i++)
		times[nt++] = o->at[i] * MS;
	for (int i = 1; i <= 8 && o->nat == 0; i++)
		times[nt++] = s->duration * i / 8;
	/* And the first two backlog periods' ends, when it had any. */
	for (size_t i = 0, seen = 0;
	     i < m->backlog.n && seen < 2 && o->nat == 0; i++) {
		const period *p = &m->backlog.v[i];

		if (p->part != part)
			continue;
		seen++;
		times[nt++] = p->begin;
		if (p->end >= 0)
			times[nt++] = p->end;
	}
	qsort(times, nt, sizeof(times[0]), time_cmp);
	k = 0;
	for (size_t i = 0; i < nt; i++)
		if (k == 0 || times[i] != times[k - 1])
			times[k++] = times[i];
	nt = k;

	printf("\nstock of %s at past times, from the log (hs_state_at "
	       "by time):\n",
	       Q(ids[part]));
	for (k = 0; k < nt && rc == 0; k++) {
		int64_t t = times[k], want;
		size_t events;
		hs_receipt at = {0, 0};
		part_state st;
		const char *mark = "";
		bool good;

		for (size_t i = 0; i < m->backlog.n; i++) {
			const period *p = &m->backlog.v[i];

			if (p->part == part && p->begin == t)
				mark = "   <- backlog began";
			else if (p->part == part && p->end == t)
				mark = "   <- recovered";
		}
		want = sent_stock_at(&s->orders, &s->deliveries, part, t,
				     &events);
		hs_buf_reset(&b);
		rc = hs_state_at(ro, "part", ids[part],
				 hs_at_time(EPOCH_NS + t), &b, &at);
		if (rc == HS_ENOAGENT) {
			rc = 0;
			good = events == 0;
			printf("  %10s s  no transition yet%s\n", S(t), mark);
			if (o->all_checks)
				printf("CHECK state_at %s %s s = none, %zu "
				       "events sent by then: %s\n",
				       Q(ids[part]), S(t), events,
				       verdict(good));
			good_n += good;
			continue;
		}
		if (rc != 0 || (rc = part_state_read(b.data, b.len, &st)) != 0)
			break;
		good = st.stock == want && at.seq == events;
		good_n += good;
		printf("  %10s s  stock %5" PRId64 "  (ordered %" PRId64
		       ", delivered %" PRId64 ", its transition %" PRIu64
		       ")%s\n",
		       S(t), st.stock, st.ordered, st.delivered, at.seq, mark);
		if (o->all_checks || !good)
			printf("CHECK state_at %s %s s = %" PRId64
			       " = send log %" PRId64 " (transition %" PRIu64
			       " = event %zu): %s\n",
			       Q(ids[part]), S(t), st.stock, want, at.seq,
			       events, verdict(good));
	}
	hs_buf_free(&b);
	if (rc != 0) {
		char err[512];

		hs_last_error(ro, err, sizeof(err));
		fprintf(stderr, "hs-stock: hs_state_at: %s: %s\n",
			hs_strerror(rc), err);
		return rc;
	}
	printf("CHECK state_at %s at %zu times = send log: %s\n", Q(ids[part]),
	       nt, verdict(good_n == nt));
	*ok &= good_n == nt;
	return 0;
}

/* Backlog periods of one part from its history with states. */
typedef struct scan {
	periods *out;
	int part;
	int64_t prev_since;
	bool odd; /* a begin not at its record's time */
} scan;

static int on_part_record(void *udata, const hs_record *rec)
{
	scan *sc = udata;
	part_state st;
	int rc = part_state_read(rec->state, rec->state_len, &st);

	if (rc != 0)
		return rc;
	if (sc->prev_since == 0 && st.backlog_since != 0) {
		sc->odd |= st.backlog_since != rec->time_ns;
		rc = periods_add(sc->out, sc->part,
				 st.backlog_since - EPOCH_NS);
	} else if (sc->prev_since != 0 && st.backlog_since == 0) {
		periods_end(sc->out, sc->part, rec->time_ns - EPOCH_NS);
	}
	sc->prev_since = st.backlog_since;
	return rc;
}

static int period_len_cmp(const void *a, const void *b)
{
	const period *x = a, *y = b;
	int64_t lx = x->end - x->begin, ly = y->end - y->begin;

	if (lx != ly)
		return lx > ly ? -1 : 1;
	return period_cmp(a, b);
}

static int backlog_periods(hs_runtime *ro, sim *s, const model *m, bool *ok)
{
	periods log = {0}, seen = {0};
	bool odd = false;
	int rc = 0;

	for (int p = 0; p < NPARTS && rc == 0; p++) {
		hs_filter f = {.type = "part",
			       .id = ids[p],
			       .flags = HS_HISTORY_STATES};
		scan sc = {&log, p, 0, false};

		rc = hs_history(ro, &f, on_part_record, &sc);
		if (rc == HS_ENOAGENT) /* no record of this part */
			rc = 0;
		odd |= sc.odd;
	}
	if (rc != 0) {
		char err[512];

		hs_last_error(ro, err, sizeof(err));
		fprintf(stderr, "hs-stock: hs_history: %s: %s\n",
			hs_strerror(rc), err);
		free(log.v);
		return rc;
	}

	/* What the watcher saw, in each part's seq order. */
	sort(s->notes, s->nnotes, sizeof(note), note_by_part);
	for (size_t i = 0; i < s->nnotes && rc == 0; i++) {
		if (s->notes[i].enter)
			rc = periods_add(&seen, s->notes[i].part,
					 s->notes[i].t);
		else
			periods_end(&seen, s->notes[i].part, s->notes[i].t);
	}
	sort(seen.v, seen.n, sizeof(period), period_cmp);

	printf("\nbacklog periods (stock <= %d), from the log (hs_history "
	       "of each part, with states):\n"
	       "  %zu began, %zu ended, %zu still open at %s s\n",
	       STOCK_BACKLOG, log.n, log.ended, log.n - log.ended,
	       S(s->duration));
	if (log.ended > 0 && rc == 0) {
		period *v = malloc(log.n * sizeof(*v));
		size_t n = 0;

		if (v == NULL) {
			rc = HS_ENOMEM;
		} else {
			for (size_t i = 0; i < log.n; i++)
				if (log.v[i].end >= 0)
					v[n++] = log.v[i];
			qsort(v, n, sizeof(*v), period_len_cmp);
			printf("  the longest that ended:\n");
			for (size_t i = 0; i < n && i < 5; i++)
				printf("    %-40s %10s .. %10s s  (%s s)\n",
				       Q(ids[v[i].part]), S(v[i].begin),
				       S(v[i].end), S(v[i].end - v[i].begin));
			free(v);
		}
	}
	if (rc == 0) {
		bool w = periods_equal(&log, &seen) && !odd;
		bool l = periods_equal(&log, &m->backlog);

		printf("CHECK backlog periods from the log = those the "
		       "watcher saw (%zu began, %zu ended): %s\n",
		       seen.n, seen.ended, verdict(w));
		printf("CHECK backlog periods from the log = send logs (%zu "
		       "began, %zu ended): %s\n",
		       m->backlog.n, m->backlog.ended, verdict(l));
		*ok &= w && l;
	}
	free(log.v);
	free(seen.v);
	return rc;
}

/* Orders per part in a past window: hs_history filtered by time and
 * event type over the whole log. */
typedef struct tally {
	int64_t count[NPARTS];
	int64_t total;
	bool unknown;
} tally;

static int on_order(void *udata, const hs_record *rec)
{
	tally *t = udata;
	int p = part_index(rec->agent.id);

	if (p < 0)
		t->unknown = true;
	else
		t->count[p]++;
	t->total++;
	return 0;
}

static int busiest_window(hs_runtime *ro, const sim *s, const opts *o,
			  bool *ok)
{
	int64_t from = o->win_from >= 0 ? o->win_from * MS : s->duration / 4;
	int64_t to = o->win_to >= 0 ? o->win_to * MS : s->duration / 2;
	hs_filter f = {.type = "part",
		       .event_type = "order",
		       .has_since = true,
		       .since_ns = EPOCH_NS + from,
		       .has_until = true,
		       .until_ns = EPOCH_NS + to};
	tally *t = calloc(1, sizeof(*t));
	ranked r[NPARTS];
	int64_t want_total = 0;
	int bad = 0, rc;

	if (t == NULL)
		return HS_ENOMEM;
	rc = hs_history(ro, &f, on_order, t);
	if (rc != 0) {
		char err[512];

		hs_last_error(ro, err, sizeof(err));
		fprintf(stderr, "hs-stock: hs_history: %s: %s\n",
			hs_strerror(rc), err);
		free(t);
		return rc;
	}
	for (int p = 0; p < NPARTS; p++) {
		int64_t want = 0;

		for (size_t i = 0; i < s->orders.n; i++)
			want += s->orders.log[i].part == p &&
				s->orders.log[i].t >= from &&
				s->orders.log[i].t <= to;
		want_total += want;
		bad += t->count[p] != want;
		r[p] = (ranked){p, t->count[p], 0, 0};
	}
	qsort(r, NPARTS, sizeof(r[0]), ranked_cmp);
	printf("\nbusiest parts by orders in %s .. %s s, from the log "
	       "(hs_history: type part, event order, since/until):\n",
	       S(from), S(to));
	for (int i = 0; i < 5 && r[i].n > 0; i++)
		printf("  %-40s %3" PRId64 " order%s\n", Q(ids[r[i].part]),
		       r[i].n, r[i].n == 1 ? "" : "s");
	printf("CHECK orders in %s .. %s s: %" PRId64 " in the log, %" PRId64
	       " sent, equal for every part: %s\n",
	       S(from), S(to), t->total, want_total,
	       verdict(bad == 0 && !t->unknown && t->total == want_total));
	*ok &= bad == 0 && !t->unknown && t->total == want_total;
	free(t);
	return 0;
}

static int on_divergence(void *udata, const hs_divergence *d)
{
	(void)udata;
	printf("  divergence at %s/%s seq %" PRIu64 " (%s): %s\n",
	       d->record.agent.type, d->record.agent.id, d->record.seq,
	       d->record.event_type, d->diff_json ? d->diff_json : "?");
	return 0;
}

static int verify(hs_runtime *ro, const sim *s, bool *ok)
{
	hs_verify_report rep = {0, 0, 0};
	uint64_t nsent = s->orders.n + s->deliveries.n;
	int rc = hs_verify(ro, NULL, on_divergence, NULL, &rep);

	if (rc != 0) {
		char err[512];

		hs_last_error(ro, err, sizeof(err));
		fprintf(stderr, "hs-stock: hs_verify: %s: %s\n",
			hs_strerror(rc), err);
		return rc;
	}
	printf("\nreplaying the whole log through today's part.c "
	       "(hs_verify):\n");
	printf("verified: %" PRIu64 " records, %" PRIu64
	       " divergences (%" PRIu64 " agents)\n",
	       rep.records, rep.divergences, rep.agents);
	printf("CHECK verified records = events sent (%" PRIu64 "): %s\n",
	       nsent, verdict(rep.records == nsent && rep.divergences == 0));
	*ok &= rep.records == nsent && rep.divergences == 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Main                                                                 */
/* ------------------------------------------------------------------ */

/* The part whose past is shown by default: the first to recover. */
static int default_part(const model *m)
{
	const period *best = NULL;

	for (size_t i = 0; i < m->backlog.n; i++) {
		const period *p = &m->backlog.v[i];

		if (p->end >= 0 && (best == NULL || p->end < best->end))
			best = p;
	}
	if (best == NULL && m->backlog.n > 0)
		best = &m->backlog.v[0];
	return best != NULL ? best->part : 0;
}

#define TRY(call)                                                             \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ != 0) {                                               \
			fprintf(stderr, "hs-stock: %s: %s\n", #call,          \
				hs_strerror(rc_));                            \
			goto out;                                             \
		}                                                             \
	} while (0)

int main(int argc, char **argv)
{
	static sim s; /* large: the send logs' owners and the notes */
	static model m;
	opts o;
	hs_options ho;
	hs_runtime *ro = NULL;
	char err[512];
	uint64_t steps = 0;
	double t0;
	bool ok = true;
	int status = 1, rc;

	make_ids();
	if (parse(argc, argv, &o) != 0)
		return 2;
	s.duration = o.seconds * SEC;
	s.max_qty = o.max_qty;
	/* Each stream its own generator: what one sends does not depend
	 * on the other. */
	s.orders = (stream){.sim = &s, .rng = o.seed ^ UINT64_C(0x6f72646572)};
	s.deliveries =
		(stream){.sim = &s, .rng = o.seed ^ UINT64_C(0x64656c6976)};
	stream_next(&s.orders, -1);
	stream_next(&s.deliveries, -1);
	atomic_init(&s.now, EPOCH_NS);
	pthread_mutex_init(&s.mu, NULL);
	pthread_mutex_init(&s.step_mu, NULL);
	pthread_cond_init(&s.step_cv, NULL);
	pthread_cond_init(&s.done_cv, NULL);

	printf("hs-stock: %d parts (%d names x %d variants), %" PRId64
	       " simulated seconds, seed %" PRIu64 "\n"
	       "  orders: 1 unit every 10 ms; deliveries: 1..%d units, "
	       "1..%d ms apart\n"
	       "  log: %s (simulated time 0 is 2016-02-09 19:59:38 UTC)\n",
	       NPARTS, NNAMES, NVARIANTS, o.seconds, o.seed, o.max_qty,
	       DELIVERY_GAP_MAX_MS, o.db);
	if (prepare_db(o.db) != 0)
		goto out;

	hs_options_init(&ho);
	ho.path = o.db;
	ho.clock = sim_clock;
	ho.clock_udata = &s;
	ho.workers = o.workers;
	if ((rc = hs_open_err(&s.rt, &ho, err, sizeof(err))) != 0) {
		fprintf(stderr, "hs-stock: opening the log: %s: %s\n",
			hs_strerror(rc), err);
		goto out;
	}
	TRY(stock_register_types(s.rt));
	TRY(hs_watch(s.rt, backlog_watch, &s, NULL));

	if (pthread_create(&s.orders.thread, NULL, stream_main, &s.orders) !=
	    0) {
		fprintf(stderr, "hs-stock: cannot start a thread\n");
		goto out;
	}
	if (pthread_create(&s.deliveries.thread, NULL, stream_main,
			   &s.deliveries) != 0) {
		fprintf(stderr, "hs-stock: cannot start a thread\n");
		s.stop = true;
		step(&s, 0);
		pthread_join(s.orders.thread, NULL);
		goto out;
	}
	printf("\nrunning; parts entering and leaving backlog (stock <= "
	       "%d), from a watcher:\n",
	       STOCK_BACKLOG);
	t0 = wall_s();
	rc = run(&s, &o, &steps);
	pthread_join(s.orders.thread, NULL);
	pthread_join(s.deliveries.thread, NULL);
	if (rc != 0)
		goto out;
	printf("sent %zu orders and %zu deliveries in %" PRIu64 " steps\n",
	       s.orders.n, s.deliveries.n, steps);
	printf("wall time of the run: %.2f s\n", wall_s() - t0);

	TRY(model_build(&m, &s.orders, &s.deliveries));
	TRY(check_final(&s, &o, &m, &ok));
	rc = hs_close(s.rt);
	s.rt = NULL;
	TRY(rc);

	/* Everything below reads the log on disk, opened read-only. */
	hs_options_init(&ho);
	ho.path = o.db;
	ho.read_only = true;
	if ((rc = hs_open_err(&ro, &ho, err, sizeof(err))) != 0) {
		fprintf(stderr, "hs-stock: reopening the log: %s: %s\n",
			hs_strerror(rc), err);
		goto out;
	}
	TRY(stock_register_types(ro));
	printf("\nthe runtime is closed; the log at %s, opened read-only, "
	       "answers:\n",
	       o.db);
	TRY(past_stock(ro, &s, &o, &m,
		       o.part ? part_index(o.part) : default_part(&m), &ok));
	TRY(backlog_periods(ro, &s, &m, &ok));
	TRY(busiest_window(ro, &s, &o, &ok));
	TRY(verify(ro, &s, &ok));
	printf("\nhs-stock: %s\n", ok ? "ok" : "MISMATCH");
	status = ok ? 0 : 1;
out:
	hs_close(ro);
	hs_close(s.rt);
	pthread_cond_destroy(&s.step_cv);
	pthread_cond_destroy(&s.done_cv);
	pthread_mutex_destroy(&s.step_mu);
	pthread_mutex_destroy(&s.mu);
	free(s.orders.log);
	free(s.deliveries.log);
	free(s.notes);
	free(m.backlog.v);
	return status;
}
