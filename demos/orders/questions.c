/*
 * Questions to the log, after the run, on the log reopened read-only:
 * the path of one order (and of its shipment) through its states, with
 * times and causes (hs_history with states); how many orders were in
 * each state at a past time (hs_system_at); which orders waited longest
 * for their shipment (hs_history over every order); a replay of the whole
 * log (hs_verify). Each answer is checked against what the watcher saw.
 */
#include "orders.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void clock_str(char *buf, size_t cap, int64_t t)
{
	int64_t s = (t - T0) / SEC;
	snprintf(buf, cap, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600,
		 s / 60 % 60, s % 60);
}

/* ---- the path of one execution ------------------------------------ */

typedef struct path_ctx {
	int steps;
	char last[HS_NAME_MAX + 1];
} path_ctx;

static int path_step(void *udata, const hs_record *r)
{
	path_ctx *p = udata;
	char when[32], state[HS_NAME_MAX + 1] = "", via[HS_NAME_MAX + 1] = "";
	char cause[HS_ID_MAX + 96];
	clock_str(when, sizeof when, r->time_ns);
	hs_get_strcpy(r->state, r->state_len, "state", state, sizeof state);
	hs_get_strcpy(r->state, r->state_len, "via", via, sizeof via);
	if (r->cause_seq == 0)
		snprintf(cause, sizeof cause, "from outside");
	else
		snprintf(cause, sizeof cause, "caused by %s %s #%" PRIu64,
			 r->cause.type, r->cause.id, r->cause_seq);
	printf("  #%-2" PRIu64 " %s  %-14s -> %-15s via %-13s %s\n", r->seq,
	       when, r->event_type, state, via, cause);
	snprintf(p->last, sizeof p->last, "%s", state);
	p->steps++;
	return 0;
}

static int print_path(hs_runtime *rt, const char *type, const char *id,
		      path_ctx *p)
{
	hs_filter f = {.type = type, .id = id, .flags = HS_HISTORY_STATES};
	printf("path of %s %s:\n", type, id);
	return hs_history(rt, &f, path_step, p);
}

/* ---- waits for shipment ------------------------------------------- */

typedef struct waits {
	int n;
	int64_t *released, *wait;
	int *attempts;
	int *prev; /* previous state index per order */
} waits;

static int wait_step(void *udata, const hs_record *r)
{
	waits *w = udata;
	int i = atoi(r->agent.id + 6);
	if (i < 0 || i >= w->n)
		return 0;
	const char *name = "";
	size_t len = 0;
	hs_get_str(r->state, r->state_len, "state", &name, &len);
	int now = state_index(name, len);
	if (now == 5 && w->prev[i] != 5)
		w->released[i] = r->time_ns;
	if (w->prev[i] == 5 && now != 5) {
		int64_t a = 0;
		w->wait[i] = r->time_ns - w->released[i];
		hs_get_i64(r->state, r->state_len, "context.ship_attempts", &a);
		w->attempts[i] = (int)a;
	}
	w->prev[i] = now;
	return 0;
}

/* ---- census ------------------------------------------------------- */

static int census_one(void *udata, hs_addr agent, const void *state,
		      size_t len, hs_receipt at)
{
	(void)agent;
	(void)at;
	int *counts = udata;
	const char *name = "";
	size_t n = 0;
	hs_get_str(state, len, "state", &name, &n);
	int i = state_index(name, n);
	if (i >= 0)
		counts[i]++;
	return 0;
}

int questions(sim *s)
{
	hs_options o;
	hs_options_init(&o);
	o.path = s->a.db;
	o.read_only = true;
	o.clock = sim_clock;
	o.clock_udata = s;
	hs_runtime *rt = NULL;
	char err[512];
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "hs-orders: reopening %s: %s\n", s->a.db, err);
		return rc;
	}
	rc = hs_machines_register(s->m, rt);

	/* Waits, from the log, for every order. */
	int n = s->a.orders;
	waits w = {n, calloc(n, sizeof(int64_t)), calloc(n, sizeof(int64_t)),
		   calloc(n, sizeof(int)), calloc(n, sizeof(int))};
	if (!w.released || !w.wait || !w.attempts || !w.prev)
		rc = HS_ENOMEM;
	for (int i = 0; rc == 0 && i < n; i++)
		w.prev[i] = -1;
	hs_filter all = {.type = "order", .flags = HS_HISTORY_STATES};
	if (rc == 0)
		rc = hs_history(rt, &all, wait_step, &w);
	int longest = 0;
	for (int i = 1; rc == 0 && i < n; i++)
		if (w.wait[i] > w.wait[longest])
			longest = i;

	/* 1. The path of the order that waited longest, and its shipment. */
	char id[32], child[64], when[32];
	order_id(id, sizeof id, longest);
	path_ctx p = {0, ""};
	if (rc == 0)
		rc = print_path(rt, "order", id, &p);
	if (rc == 0) {
		int seen = atomic_load(&s->seen[longest].state);
		CHECK(s, seen >= 0 && strcmp(p.last, state_names[seen]) == 0,
		      "path of %s ends in %s after %d steps (watcher: %s)", id,
		      p.last, p.steps, seen >= 0 ? state_names[seen] : "-");
		snprintf(child, sizeof child, "%s/ship-1", id);
		path_ctx c = {0, ""};
		rc = print_path(rt, "shipment", child, &c);
	}

	/* 2. How many orders were in each state at a past time. */
	int counts[NSTATES] = {0};
	clock_str(when, sizeof when, s->census_at);
	if (rc == 0)
		rc = hs_system_at(rt, "order", hs_at_time(s->census_at),
				  census_one, counts);
	if (rc == 0) {
		printf("orders by state at %s:\n", when);
		int sum = 0;
		bool same = true;
		for (int i = 0; i < NSTATES; i++) {
			printf("  %-15s %5d\n", state_names[i], counts[i]);
			sum += counts[i];
			same = same && counts[i] == s->census[i];
		}
		CHECK(s, same, "census at %s: %d orders started, same per "
			       "state as the watcher saw then",
		      when, sum);
	}

	/* 3. Who waited longest for shipment. */
	if (rc == 0) {
		printf("longest waits for shipment (released -> shipment "
		       "done):\n");
		bool *shown = calloc(n, sizeof *shown);
		int agree = 0, shown_n = 0;
		for (int k = 0; shown && k < 5; k++) {
			int best = -1;
			for (int i = 0; i < n; i++)
				if (!shown[i] && w.wait[i] > 0 &&
				    (best < 0 || w.wait[i] > w.wait[best]))
					best = i;
			if (best < 0)
				break;
			shown[best] = true;
			shown_n++;
			char rel[32], dur[32];
			clock_str(rel, sizeof rel, w.released[best]);
			clock_str(dur, sizeof dur, T0 + w.wait[best]);
			order_id(id, sizeof id, best);
			printf("  %s waited %s (released at %s, %d shipment "
			       "attempts)\n",
			       id, dur, rel, w.attempts[best]);
			order_seen *o = &s->seen[best];
			if (atomic_load(&o->finished) -
				    atomic_load(&o->released) ==
			    w.wait[best])
				agree++;
		}
		free(shown);
		CHECK(s, shown_n > 0 && agree == shown_n,
		      "%d longest waits from the log agree with the watcher",
		      shown_n);
	}

	/* 4. Replay everything. */
	hs_verify_report rep = {0};
	if (rc == 0)
		rc = hs_verify(rt, NULL, NULL, NULL, &rep);
	if (rc == 0) {
		printf("verified: %" PRIu64 " records, %" PRIu64
		       " agents, %" PRIu64 " divergences\n",
		       rep.records, rep.agents, rep.divergences);
		unsigned long seen = atomic_load(&s->transitions);
		CHECK(s, rep.divergences == 0 && rep.records == seen,
		      "the log replays: %" PRIu64 " records, as many as the "
		      "watcher saw (%lu)",
		      rep.records, seen);
	}
	free(w.released);
	free(w.wait);
	free(w.attempts);
	free(w.prev);
	int crc = hs_close(rt);
	return rc != 0 ? rc : crc;
}
