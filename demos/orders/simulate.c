/*
 * The simulation: a seeded schedule of outside actions for every order
 * (start, add and remove items, place, the fraud check's verdict, cancel
 * after a rejection), played on a simulated clock in steps of STEP_S
 * seconds. In each step the clock moves, due timers (the shipments'
 * wait-for retries) fire, the step's actions are sent, and hs_await waits
 * until everything that follows from them has happened. `place` is asked
 * (hs_ask) and its answer checked. A watcher keeps each order's state.
 */
#include "orders.h"

#include "common/splitmix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const state_names[NSTATES] = {
	"create",   "cart",	     "submitted",
	"fraud-approved", "fraud-rejected", "released",
	"ship-finished",  "shipped",	     "canceled"};

int state_index(const char *name, size_t len)
{
	for (int i = 0; i < NSTATES; i++)
		if (strlen(state_names[i]) == len &&
		    memcmp(state_names[i], name, len) == 0)
			return i;
	return -1;
}

void order_id(char *buf, size_t cap, int i)
{
	snprintf(buf, cap, "order-%04d", i);
}

int64_t sim_clock(void *udata)
{
	sim *s = udata;
	return atomic_load(&s->now);
}

void watcher(void *udata, const hs_transition *t)
{
	sim *s = udata;
	atomic_fetch_add(&s->transitions, 1);
	if (strcmp(t->agent.type, "order") != 0)
		return;
	int i = atoi(t->agent.id + 6);
	if (i < 0 || i >= s->a.orders)
		return;
	const char *name = "";
	size_t len = 0, olen = 0;
	const char *old = "";
	hs_get_str(t->new_state, t->new_len, "state", &name, &len);
	if (t->old_len > 0)
		hs_get_str(t->old_state, t->old_len, "state", &old, &olen);
	int now = state_index(name, len), was = state_index(old, olen);
	order_seen *o = &s->seen[i];
	atomic_store(&o->state, now);
	if (now == 5 && was != 5)
		atomic_store(&o->released, t->time_ns);
	if (was == 5 && now != 5)
		atomic_store(&o->finished, t->time_ns);
	if ((now == 7 || now == 8) && was != now)
		atomic_fetch_add(&s->ended, 1);
}

/* One outside action at a time. */
typedef struct ev {
	int64_t t;
	int order, n; /* n: its place in the order's own schedule */
	const char *action;
	int qty;
} ev;

static int ev_cmp(const void *a, const void *b)
{
	const ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->n - y->n;
}

/* A time of the grid: t0 + k steps. */
static int64_t at(int64_t t0, uint64_t steps)
{
	return t0 + (int64_t)steps * STEP_S * SEC;
}

static ev *schedule(sim *s, size_t *count)
{
	size_t cap = (size_t)s->a.orders * 10, n = 0;
	ev *e = calloc(cap, sizeof *e);
	if (e == NULL)
		return NULL;
	for (int i = 0; i < s->a.orders; i++) {
		uint64_t r = s->a.seed * UINT64_C(1000003) + (uint64_t)i;
		int k = 0;
		int64_t t = at(T0, splitmix_next(&r) % 360); /* first hour */
		e[n++] = (ev){t, i, k++, "$start", 0};
		int adds = 1 + (int)(splitmix_next(&r) % 4), items = 0;
		for (int a = 0; a < adds; a++) {
			int q = 1 + (int)(splitmix_next(&r) % 3);
			t = at(t, 1 + splitmix_next(&r) % 6);
			e[n++] = (ev){t, i, k++, "add", q};
			items += q;
		}
		/* a remove that leaves the cart not empty */
		if (splitmix_next(&r) % 5 == 0 && items > 1) {
			t = at(t, 1 + splitmix_next(&r) % 6);
			e[n++] = (ev){t, i, k++, "remove", 1};
			s->removes++;
		}
		t = at(t, 3 + splitmix_next(&r) % 10);
		e[n++] = (ev){t, i, k++, "place", 0};
		if (i == 0) /* too late to add: refused, recorded as nothing */
			e[n++] = (ev){at(t, 1), i, k++, "add-late", 1};
		t = at(t, 6 + splitmix_next(&r) % 54);
		if (splitmix_next(&r) % 100 < 15) {
			e[n++] = (ev){t, i, k++, "fraud-reject", 0};
			e[n++] = (ev){at(t, 6), i, k++, "cancel", 0};
			s->fraud_rejects++;
		} else {
			e[n++] = (ev){t, i, k++, "fraud-approve", 0};
		}
	}
	qsort(e, n, sizeof *e, ev_cmp);
	*count = n;
	return e;
}

/* Asks order `id` for `action`; returns the answer's ok and state (or
 * error text). */
static int ask(hs_runtime *rt, const char *id, const char *action,
	       const void *body, size_t len, bool *ok, char *text,
	       size_t cap)
{
	hs_buf reply = HS_BUF_INIT;
	int rc = hs_ask(rt, "order", id, action, body, len, 60000, &reply);
	if (rc == 0)
		rc = hs_get_bool(reply.data, reply.len, "ok", ok);
	if (rc == 0)
		rc = hs_get_strcpy(reply.data, reply.len,
				   *ok ? "state" : "error", text, cap);
	hs_buf_free(&reply);
	return rc;
}

static int send_one(sim *s, hs_runtime *rt, const ev *e)
{
	char id[32], text[256];
	order_id(id, sizeof id, e->order);
	hs_buf body = HS_BUF_INIT;
	int rc = 0;
	bool ok = false;
	if (e->qty > 0)
		rc = hs_packf(&body, "qty:i", e->qty);
	if (rc != 0)
		return rc;
	if (strcmp(e->action, "$start") == 0) {
		rc = hs_machine_start(rt, s->m, "order", id, 0, NULL, 0);
	} else if (strcmp(e->action, "place") == 0) {
		rc = ask(rt, id, "place", NULL, 0, &ok, text, sizeof text);
		if (rc == 0 && ok && strcmp(text, "submitted") == 0)
			s->placed_ok++;
		else if (rc == 0)
			printf("place %s: %s\n", id, text);
	} else if (strcmp(e->action, "add-late") == 0) {
		rc = ask(rt, id, "add", body.data, body.len, &ok, text,
			 sizeof text);
		if (rc == 0) {
			printf("asked %s to add after placing: %s\n", id, text);
			if (!ok && strstr(text, "does not accept"))
				s->rejected_ok++;
		}
	} else {
		rc = hs_send(rt, "order", id, e->action, body.data, body.len);
	}
	hs_buf_free(&body);
	return rc;
}

int simulate(sim *s, hs_runtime *rt)
{
	size_t n = 0, k = 0;
	ev *e = schedule(s, &n);
	if (e == NULL)
		return HS_ENOMEM;
	int64_t last = n ? e[n - 1].t : T0;
	int64_t limit = last + 3 * 3600 * SEC;
	int rc = 0;
	int64_t t;
	for (t = T0; rc == 0 && t <= limit; t += STEP_S * SEC) {
		atomic_store(&s->now, t);
		rc = hs_timers_fire_due(rt, NULL);
		for (; rc == 0 && k < n && e[k].t == t; k++)
			rc = send_one(s, rt, &e[k]);
		if (rc == 0)
			rc = hs_await(rt, -1);
		if (rc == 0 && t == s->census_at) {
			for (int i = 0; i < s->a.orders; i++) {
				int st = atomic_load(&s->seen[i].state);
				if (st >= 0)
					s->census[st]++;
			}
		}
		if (k == n && atomic_load(&s->ended) == s->a.orders &&
		    t >= s->census_at)
			break;
	}
	s->end = t;
	free(e);
	return rc;
}
