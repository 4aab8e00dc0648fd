/*
 * hs-orders: the order workflow of jeffh/workflow's example
 * (shared/seeds/004) as two declarative machines, order.json and
 * shipment.json, run by hindsight: every order is an execution (an
 * agent), its shipment a child execution, every step a recorded
 * transition. Many orders run at once on a simulated clock, with random
 * fraud verdicts and a flaky carrier (retries wait 5 minutes on a
 * durable timer); then the log answers questions (questions.c).
 *
 * usage: hs-orders [--orders N] [--seed S] [--db DIR] [--defs DIR]
 *                  [--census MINUTES]
 *
 * Uses only the public API, include/hindsight.h.
 */
#include "orders.h"

#include "common/logdir.h"
#include "common/wall_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HS_ORDERS_DEFS
#define HS_ORDERS_DEFS "demos/orders"
#endif

static int usage(void)
{
	fprintf(stderr, "usage: hs-orders [--orders N] [--seed S] [--db DIR] "
			"[--defs DIR] [--census MINUTES]\n");
	return 2;
}

static int parse(int argc, char **argv, args *a)
{
	*a = (args){200, 1, "hindsight-data/orders", HS_ORDERS_DEFS, 30};
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return -1;
		if (strcmp(argv[i], "--orders") == 0)
			a->orders = atoi(v);
		else if (strcmp(argv[i], "--seed") == 0)
			a->seed = strtoull(v, NULL, 10);
		else if (strcmp(argv[i], "--db") == 0)
			a->db = v;
		else if (strcmp(argv[i], "--defs") == 0)
			a->defs = v;
		else if (strcmp(argv[i], "--census") == 0)
			a->census_min = atoi(v);
		else
			return -1;
		i++;
	}
	return a->orders > 0 && a->orders <= 9999 && a->census_min >= 0 ? 0
									  : -1;
}

/* Makes the log's directory ready: a log an earlier run left is
 * replaced, anything else refused. */
static int prepare_db(const char *path)
{
	struct stat st;
	char err[512];
	int rc = logdir_stat("hs-orders", path, &st);
	if (rc <= 0)
		return rc;
	if (logdir_check(path, "order", err, sizeof err) != 0) {
		fprintf(stderr, "hs-orders: %s: %s\n", path, err);
		return -1;
	}
	return logdir_remove("hs-orders", path);
}

int main(int argc, char **argv)
{
	static sim s;
	if (parse(argc, argv, &s.a) != 0)
		return usage();
	if (prepare_db(s.a.db) != 0)
		return 1;
	if (hs_machines_create(&s.m) != 0 || orders_callbacks(s.m) != 0 ||
	    orders_load(s.m, s.a.defs, true) != 0)
		return 1;
	s.seen = calloc(s.a.orders, sizeof *s.seen);
	if (s.seen == NULL)
		return 1;
	for (int i = 0; i < s.a.orders; i++)
		atomic_store(&s.seen[i].state, -1);
	s.census_at = T0 + (int64_t)s.a.census_min * 60 * SEC;
	atomic_store(&s.now, T0);

	hs_options o;
	hs_options_init(&o);
	o.path = s.a.db;
	o.clock = sim_clock;
	o.clock_udata = &s;
	hs_runtime *rt = NULL;
	char err[512];
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "hs-orders: %s: %s\n", s.a.db, err);
		return 1;
	}
	double w0 = wall_clock_s();
	rc = hs_machines_register(s.m, rt);
	if (rc == 0)
		rc = hs_watch(rt, watcher, &s, NULL);
	if (rc == 0)
		rc = simulate(&s, rt);
	int crc = hs_close(rt);
	if (rc != 0 || crc != 0) {
		fprintf(stderr, "hs-orders: the run failed: %s\n",
			hs_strerror(rc ? rc : crc));
		return 1;
	}
	double wall = wall_clock_s() - w0;

	int final[NSTATES] = {0};
	for (int i = 0; i < s.a.orders; i++) {
		int st = atomic_load(&s.seen[i].state);
		if (st >= 0)
			final[st]++;
	}
	int64_t mins = (s.end - T0) / SEC / 60;
	printf("ran: %d orders in %lld simulated minutes, %lu transitions, "
	       "%.2f s of wall time\n",
	       s.a.orders, (long long)mins,
	       (unsigned long)atomic_load(&s.transitions), wall);
	printf("outcome: %d shipped, %d canceled (%d by the fraud check, %d "
	       "for want of a shipment), %d still open\n",
	       final[7], final[8], s.fraud_rejects, final[8] - s.fraud_rejects,
	       s.a.orders - final[7] - final[8]);
	CHECK(&s, final[7] + final[8] == s.a.orders,
	      "every order ended: %d shipped + %d canceled = %d", final[7],
	      final[8], s.a.orders);
	CHECK(&s, s.placed_ok == s.a.orders,
	      "%d orders placed, each answered 'submitted'", s.placed_ok);
	CHECK(&s, s.rejected_ok == 1,
	      "an action the state does not accept was refused");

	rc = questions(&s);
	hs_machines_destroy(s.m);
	free(s.seen);
	if (rc != 0) {
		fprintf(stderr, "hs-orders: questions: %s\n", hs_strerror(rc));
		return 1;
	}
	if (s.mismatch)
		return 1;
	printf("hs-orders: ok\n");
	return 0;
}
