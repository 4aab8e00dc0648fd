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
#include "hs_ships.h"

#include "common/logdir.h"
#include "common/wall_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char err[512];
	int rc = logdir_stat("hs-ships", path, &st);

	if (rc <= 0)
		return rc;
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
	if (logdir_check(path, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "hs-ships: not removing %s: %s\n", path, err);
		return -1;
	}
	if (logdir_remove("hs-ships", path) != 0)
		return -1;
	printf("removed the previous log at %s\n", path);
	return 0;
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
	watch_milestones(&s->w, s->days);
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
	t0 = wall_clock_s();
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
	       departs, arrives, s->days, wall_clock_s() - t0);
	if (s->w.notable > 0)
		printf("notable moments: %d (%d shown): a ship's %d%s call "
		       "at one port, or its %d%s voyage\n",
		       s->w.notable,
		       s->w.notable < NOTABLE_LINES ? s->w.notable
						    : NOTABLE_LINES,
		       s->w.visit_milestone, ordinal(s->w.visit_milestone),
		       s->w.voyage_milestone, ordinal(s->w.voyage_milestone));
	else
		printf("notable moments: none: no ship called at one port "
		       "for the %d%s time or set out on its %d%s voyage in "
		       "%d day%s (a longer run, --days, has some)\n",
		       s->w.visit_milestone, ordinal(s->w.visit_milestone),
		       s->w.voyage_milestone, ordinal(s->w.voyage_milestone),
		       s->days, s->days == 1 ? "" : "s");
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
	if (ask_the_log(rt, s, sent) != 0)
		goto out;
	rc = hs_close(rt);
	rt = NULL;
	if (rc != 0) {
		fprintf(stderr, "hs-ships: hs_close: %s\n", hs_strerror(rc));
		goto out;
	}
	if (check_failures() == 0) {
		printf("\nhs-ships: ok\n");
		status = 0;
	} else {
		printf("\nhs-ships: %d checks FAILED\n", check_failures());
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
