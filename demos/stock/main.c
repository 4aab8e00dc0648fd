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
#include "hs_stock.h"

#include "common/logdir.h"
#include "common/wall_clock.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Makes `path` ready for a new log: creates its parent directories, and
 * removes a log an earlier run of hs-stock left there (one whose first
 * record is a "part"). Refuses anything else. */
static int prepare_db(const char *path)
{
	char err[512];
	struct stat st;
	DIR *d;
	struct dirent *e;
	bool empty = true;
	int rc = logdir_stat("hs-stock", path, &st);

	if (rc <= 0)
		return rc;
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hs-stock: %s is not a directory\n", path);
		return -1;
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "hs-stock: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 ||
			strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (empty)
		return 0;

	rc = logdir_check(path, "part", err, sizeof(err));
	if (rc == HS_ETYPE) {
		fprintf(stderr,
			"hs-stock: %s holds a log of another program; "
			"choose another --db\n",
			path);
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr,
			"hs-stock: %s is not empty and not a log "
			"hs-stock can replace (%s); choose another "
			"--db\n",
			path, err);
		return -1;
	}
	printf("replacing the log of an earlier run at %s\n", path);
	return logdir_remove("hs-stock", path);
}

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
	sim_init(&s, &o);

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

	if (sim_start(&s) != 0)
		goto out;
	if (o.live)
		printf("\nrunning; parts entering and leaving backlog (stock "
		       "<= %d), from a watcher:\n",
		       STOCK_BACKLOG);
	else
		printf("\nrunning (--live prints parts entering and leaving "
		       "backlog as they happen)\n");
	t0 = wall_clock_s();
	rc = sim_run(&s, &o, &steps);
	if (rc != 0)
		goto out;
	printf("sent %zu orders and %zu deliveries in %" PRIu64 " steps\n",
	       s.orders.n, s.deliveries.n, steps);
	printf("wall time of the run: %.2f s\n", wall_clock_s() - t0);
	if (!o.live) {
		size_t entered = 0;

		for (size_t i = 0; i < s.nnotes; i++)
			entered += s.notes[i].enter;
		printf("a watcher saw %zu backlog periods (stock <= %d) "
		       "begin and %zu end\n",
		       entered, STOCK_BACKLOG, s.nnotes - entered);
	}

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
	sim_free(&s);
	free(m.backlog.v);
	return status;
}
