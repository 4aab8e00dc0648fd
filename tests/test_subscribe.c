/*
 * Subscriptions (hs_subscribe): the history from the log, then new records
 * as they are written, checked against the log on disk: every matching
 * gseq exactly once and in order, across the seam between the two, with
 * filters, after a reopen from a stored position, for a reader too slow
 * for its buffer (the writer must not wait for it), and while
 * subscriptions come and go.
 */
#include "util.h"

#include "persist_util.h"

#include "core/runtime.h"
#include "subscribe/sub.h"

/* ------------------------------------------------------------------ */
/* Types and runtimes                                                   */
/* ------------------------------------------------------------------ */

/* "fwd" {to: ID} adds one to its own count and sends "inc" to ctr/ID. */
static int relay_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	char to[HS_ID_MAX + 1];
	if (!hs_event_is(ev, "fwd") ||
	    hs_event_strcpy(ev, "to", to, sizeof to) != 0)
		return HS_EINVAL;
	int rc = hs_ctx_send(ctx, "ctr", to, "inc", NULL, 0);
	if (rc != 0)
		return rc;
	*(int64_t *)state += 1;
	return HS_CHANGED;
}

static void register_types(hs_runtime *rt)
{
	hs_type ctr = hsu_counter_type("ctr", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_register(rt, &ctr));
	hs_type relay = hsu_counter_type("relay", HS_ON_ERROR_FAIL);
	relay.apply = relay_apply;
	assert_hs(0, hs_register(rt, &relay));
}

static hs_runtime *open_log(const char *path, unsigned workers, bool ro)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = workers;
	o.path = path;
	o.read_only = ro;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt = NULL;
	char err[512] = "";
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0)
		print_error("hs_open_err(%s): %s\n", path, err);
	assert_hs(0, rc);
	register_types(rt);
	return rt;
}

/* Sends a mix: relays (two records each: fwd, then the inc it causes),
 * adds with a body and noops (no record). */
static void send_mix(hs_runtime *rt, int i)
{
	char id[16], to[16];
	snprintf(to, sizeof to, "c%d", i % 5);
	switch (i % 3) {
	case 0:
		snprintf(id, sizeof id, "r%d", i % 4);
		assert_hs(0, hs_sendf(rt, "relay", id, "fwd", "to:s", to));
		break;
	case 1:
		assert_hs(0, hs_sendf(rt, "ctr", to, "add", "n:i", i));
		break;
	default:
		assert_hs(0, hs_send(rt, "ctr", to, "inc", NULL, 0));
		assert_hs(0, hs_send(rt, "ctr", to, "noop", NULL, 0));
		break;
	}
}

static int setup(void **state)
{
	(void)state;
	hsu_reset();
	return 0;
}

static int teardown(void **state)
{
	pu_cleanup_dirs(state);
	hsu_assert_no_cb_failures();
	return 0;
}

/* ------------------------------------------------------------------ */
/* What a subscription delivered                                        */
/* ------------------------------------------------------------------ */

typedef struct got {
	pu_rec *v;
	size_t n, cap;
	int stop_at; /* fn returns 1 when n reaches this (0: never) */
} got;

static void got_free(got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].body);
	free(g->v);
	memset(g, 0, sizeof *g);
}

/* Copies a record as pu_rec (the log reader's shape) for comparison. */
static int on_rec(void *udata, const hs_record *r)
{
	got *g = udata;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 256;
		g->v = realloc(g->v, g->cap * sizeof *g->v);
		CB_CHECK(g->v != NULL);
	}
	pu_rec *p = &g->v[g->n++];
	memset(p, 0, sizeof *p);
	p->key_gseq = r->gseq;
	p->version = 1; /* as pu_read_log checks */
	hsu_copy(p->type, sizeof p->type, r->agent.type);
	hsu_copy(p->id, sizeof p->id, r->agent.id);
	hsu_copy(p->event_type, sizeof p->event_type, r->event_type);
	p->seq = r->seq;
	p->gseq = r->gseq;
	p->time_ns = r->time_ns;
	CB_CHECK((r->body == NULL) == (r->body_len == 0));
	if (r->body_len != 0) {
		p->body = malloc(r->body_len);
		memcpy(p->body, r->body, r->body_len);
	}
	p->body_len = r->body_len;
	p->has_cause = r->cause_seq != 0;
	hsu_copy(p->cause_type, sizeof p->cause_type, r->cause.type);
	hsu_copy(p->cause_id, sizeof p->cause_id, r->cause.id);
	p->cause_seq = r->cause_seq;
	p->cause_gseq = r->cause_gseq;
	p->state_hash = r->state_hash;
	CB_CHECK(r->state == NULL && r->state_len == 0);
	return g->stop_at != 0 && (int)g->n == g->stop_at;
}

static bool passes(const pu_rec *r, const char *type, const char *id,
		   const char *event)
{
	return (type == NULL || strcmp(r->type, type) == 0) &&
	       (id == NULL || strcmp(r->id, id) == 0) &&
	       (event == NULL || strcmp(r->event_type, event) == 0);
}

static void assert_same_rec(const pu_rec *a, const pu_rec *b)
{
	assert_int_equal(a->gseq, b->gseq);
	assert_string_equal(a->type, b->type);
	assert_string_equal(a->id, b->id);
	assert_int_equal(a->seq, b->seq);
	assert_string_equal(a->event_type, b->event_type);
	assert_int_equal(a->time_ns, b->time_ns);
	assert_int_equal(a->body_len, b->body_len);
	if (a->body_len != 0)
		assert_memory_equal(a->body, b->body, a->body_len);
	assert_int_equal(a->has_cause, b->has_cause);
	assert_int_equal(a->cause_seq, b->has_cause ? b->cause_seq : 0);
	if (b->has_cause) {
		assert_string_equal(a->cause_type, b->cause_type);
		assert_string_equal(a->cause_id, b->cause_id);
		assert_int_equal(a->cause_gseq, b->cause_gseq);
	} else {
		assert_string_equal(a->cause_type, "");
		assert_string_equal(a->cause_id, "");
		assert_int_equal(a->cause_gseq, 0);
	}
	assert_int_equal(a->state_hash, b->state_hash);
}

/*
 * Asserts that g holds exactly the records of the log with gseq > after
 * that pass the filters, in gseq order, each equal to the log's.
 */
static void assert_got_log(const got *g, const pu_recs *log, uint64_t after,
			   const char *type, const char *id, const char *event)
{
	size_t k = 0;
	for (size_t i = after; i < log->n; i++) {
		const pu_rec *r = &log->v[i];
		if (!passes(r, type, id, event))
			continue;
		if (k >= g->n)
			print_error("missing gseq %" PRIu64 " (got %zu)\n",
				    r->gseq, g->n);
		assert_true(k < g->n);
		if (g->v[k].gseq != r->gseq)
			print_error("record %zu: gseq %" PRIu64 " where %" PRIu64
				    " was expected\n",
				    k, g->v[k].gseq, r->gseq);
		assert_same_rec(&g->v[k], r);
		k++;
	}
	assert_int_equal(g->n, k);
}

/* Calls hs_sub_next (max per call) until the position reaches `to`;
 * fails the test after 60 s. */
static void drain_to(hs_sub *s, got *g, size_t max, uint64_t to)
{
	int64_t give_up = hsu_monotonic_ns() + 60 * 1000000000LL;
	while (hs_sub_position(s) < to) {
		int rc = hs_sub_next(s, on_rec, g, max, 100);
		if (rc < 0 && rc != HS_ETIMEDOUT)
			assert_hs(0, rc);
		if (rc > 0)
			assert_true((size_t)rc <= max);
		if (hsu_monotonic_ns() > give_up) {
			print_error("position %" PRIu64 ", waiting for %" PRIu64
				    "\n",
				    hs_sub_position(s), to);
			fail();
		}
	}
	assert_int_equal(hs_sub_position(s), to);
}

/* The newest gseq in the runtime's log. */
static uint64_t last_gseq(hs_runtime *rt)
{
	return hsi_log_last_gseq(rt->log);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_arguments_and_unsupported(void **state)
{
	(void)state;
	hs_sub *s = (hs_sub *)(uintptr_t)0x1; /* must stay untouched */
	hs_runtime *mem = hsu_open(1, 0);
	assert_hs(HS_ENOTSUP, hs_subscribe(mem, NULL, &s));
	assert_hs(0, hs_close(mem));

	char *dir = pu_mkdtemp("sub-args");
	hs_runtime *rt = open_log(dir, 1, false);
	for (int i = 0; i < 3; i++)
		assert_hs(0, hs_send_wait(rt, "ctr", "a", "inc", NULL, 0, NULL));
	hs_sub_options o;
	hs_sub_options_init(&o);
	assert_hs(HS_EINVAL, hs_subscribe(NULL, &o, &s));
	assert_hs(HS_EINVAL, hs_subscribe(rt, &o, NULL));
	o.type = "";
	assert_hs(HS_EINVAL, hs_subscribe(rt, &o, &s));
	char big[HS_ID_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	o.type = NULL;
	o.id = big;
	assert_hs(HS_ETOOLONG, hs_subscribe(rt, &o, &s));
	o.id = NULL;
	big[HS_NAME_MAX + 1] = '\0';
	o.event_type = big;
	assert_hs(HS_ETOOLONG, hs_subscribe(rt, &o, &s));
	o.event_type = NULL;
	o.after_gseq = 4; /* the log ends at 3 */
	assert_hs(HS_ERANGE, hs_subscribe(rt, &o, &s));
	char err[512];
	hs_last_error(rt, err, sizeof err);
	assert_non_null(strstr(err, "past the end"));
	assert_true(s == (hs_sub *)(uintptr_t)0x1);

	o.after_gseq = 3;
	assert_hs(0, hs_subscribe(rt, &o, &s));
	got g = {0};
	assert_hs(HS_EINVAL, hs_sub_next(s, NULL, &g, 1, 0));
	assert_hs(HS_EINVAL, hs_sub_next(s, on_rec, &g, 0, 0));
	assert_hs(HS_EINVAL, hs_sub_next(NULL, on_rec, &g, 1, 0));
	assert_hs(HS_ETIMEDOUT, hs_sub_next(s, on_rec, &g, 1, 0));
	assert_int_equal(hs_sub_position(s), 3);
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_unsubscribe(NULL));
	assert_non_null(strstr(hs_strerror(HS_EEND), "end of the log"));
	assert_hs(0, hs_close(rt));
	got_free(&g);
	free(dir);
}

/* hs_send_wait of "add" {n} to ctr/id; returns the receipt's gseq. */
static uint64_t add_wait(hs_runtime *rt, const char *id, int n)
{
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "n:i", n));
	hs_receipt r = {0, 0};
	int rc = hs_send_wait(rt, "ctr", id, "add", b.data, b.len, &r);
	hs_buf_free(&b);
	assert_hs(0, rc);
	assert_true(r.gseq != 0);
	return r.gseq;
}

/* The history from gseq 1, then each new record as soon as hs_send_wait
 * returns, from the live buffer; all equal to the log. Then a timeout. */
static void test_catch_up_then_live(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-live");
	hs_runtime *rt = open_log(dir, 2, false);
	for (int i = 0; i < 600; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	uint64_t history = last_gseq(rt);
	assert_true(history >= 600);

	hs_sub *s;
	assert_hs(0, hs_subscribe(rt, NULL, &s));
	assert_int_equal(hs_sub_position(s), 0);
	got g = {0};
	drain_to(s, &g, 7, history);
	assert_int_equal(g.n, history);
	assert_int_equal(s->nlog, history);
	assert_int_equal(s->nlive, 0);

	/* Each new record is there when hs_send_wait returns: no wait. */
	for (int i = 0; i < 100; i++) {
		uint64_t gseq = add_wait(rt, i % 2 ? "x" : "y", i);
		assert_int_equal(hs_sub_next(s, on_rec, &g, 10, 0), 1);
		assert_int_equal(g.v[g.n - 1].gseq, gseq);
		assert_int_equal(hs_sub_position(s), gseq);
	}
	assert_int_equal(s->nlive, 100);
	assert_int_equal(s->nlog, history);

	/* Nothing more: a timeout after about the time asked for. */
	int64_t t0 = hsu_monotonic_ns();
	assert_hs(HS_ETIMEDOUT, hs_sub_next(s, on_rec, &g, 10, 150));
	int64_t waited_ms = (hsu_monotonic_ns() - t0) / 1000000;
	assert_true(waited_ms >= 140);
	assert_true(waited_ms < 10000);
	assert_hs(HS_ETIMEDOUT, hs_sub_next(s, on_rec, &g, 10, 0));

	/* A reader waiting without a limit is woken by a new record. */
	uint64_t before = hs_sub_position(s);
	assert_hs(0, hs_send(rt, "ctr", "z", "inc", NULL, 0));
	assert_int_equal(hs_sub_next(s, on_rec, &g, 10, -1), 1);
	assert_int_equal(hs_sub_position(s), before + 1);
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_close(rt));

	pu_recs log;
	pu_read_log(dir, &log);
	assert_got_log(&g, &log, 0, NULL, NULL, NULL);
	pu_recs_free(&log);
	got_free(&g);
	free(dir);
}

/* fn returning non-zero stops the call after that record; the next call
 * goes on from there, in the history and in the live part. */
static void test_fn_stops(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-stop");
	hs_runtime *rt = open_log(dir, 1, false);
	for (int i = 0; i < 10; i++)
		add_wait(rt, "a", i);
	hs_sub *s;
	assert_hs(0, hs_subscribe(rt, NULL, &s));
	got g = {.stop_at = 3};
	assert_int_equal(hs_sub_next(s, on_rec, &g, 100, 0), 3);
	assert_int_equal(hs_sub_position(s), 3);
	g.stop_at = 0;
	assert_int_equal(hs_sub_next(s, on_rec, &g, 100, 0), 7);
	for (int i = 0; i < 5; i++)
		add_wait(rt, "a", i);
	g.stop_at = 12;
	assert_int_equal(hs_sub_next(s, on_rec, &g, 100, 0), 2);
	assert_int_equal(hs_sub_position(s), 12);
	g.stop_at = 0;
	assert_int_equal(hs_sub_next(s, on_rec, &g, 100, 0), 3);
	assert_int_equal(hs_sub_position(s), 15);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.v[i].gseq, i + 1);
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_close(rt));
	got_free(&g);
	free(dir);
}

typedef struct sender_arg {
	hs_runtime *rt;
	int which;
	int n;
	bool wait;           /* hs_send_wait instead of hs_send */
	int64_t max_wait_ns; /* the slowest hs_send_wait */
	atomic_bool *done;
} sender_arg;

static void *sender(void *p)
{
	sender_arg *a = p;
	char relay[16], to[16];
	for (int i = 0; i < a->n; i++) {
		snprintf(relay, sizeof relay, "s%d-%d", a->which, i % 13);
		snprintf(to, sizeof to, "c%d", i % 17);
		if (!a->wait) {
			CB_CHECK_EQ(hs_sendf(a->rt, "relay", relay, "fwd",
					     "to:s", to),
				    0);
			continue;
		}
		int64_t t0 = hsu_monotonic_ns();
		CB_CHECK_EQ(hs_send_wait(a->rt, "ctr", to, "inc", NULL, 0,
					 NULL),
			    0);
		int64_t dt = hsu_monotonic_ns() - t0;
		if (dt > a->max_wait_ns)
			a->max_wait_ns = dt;
	}
	if (a->done != NULL)
		atomic_store(a->done, true);
	return NULL;
}

/* A subscription from 0 started while senders run reads the history and
 * meets the live records at a seam that moves: every record exactly once,
 * in order, unfiltered and filtered alike. */
static void test_seam_while_senders_run(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-seam");
	hs_runtime *rt = open_log(dir, 2, false);
	for (int i = 0; i < 3000; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	enum { SENDERS = 2, PER = 3000 };
	pthread_t th[SENDERS];
	sender_arg args[SENDERS];
	atomic_bool done[SENDERS];
	for (int i = 0; i < SENDERS; i++) {
		atomic_init(&done[i], false);
		args[i] = (sender_arg){rt, i, PER, false, 0, &done[i]};
		assert_int_equal(pthread_create(&th[i], NULL, sender, &args[i]),
				 0);
	}
	hs_sub *all, *ctr;
	hs_sub_options o;
	hs_sub_options_init(&o);
	assert_hs(0, hs_subscribe(rt, &o, &all));
	o.type = "ctr";
	o.buffer = 64;
	assert_hs(0, hs_subscribe(rt, &o, &ctr));
	got ga = {0}, gc = {0};
	/* Read while the senders write, until they are done. */
	bool senders_done = false;
	while (!senders_done) {
		senders_done = true;
		for (int i = 0; i < SENDERS; i++)
			senders_done &= atomic_load(&done[i]);
		int rc = hs_sub_next(all, on_rec, &ga, 50, 10);
		assert_true(rc > 0 || rc == HS_ETIMEDOUT);
		rc = hs_sub_next(ctr, on_rec, &gc, 50, 10);
		assert_true(rc > 0 || rc == HS_ETIMEDOUT);
	}
	for (int i = 0; i < SENDERS; i++)
		pthread_join(th[i], NULL);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	drain_to(all, &ga, 50, last_gseq(rt));
	drain_to(ctr, &gc, 50, last_gseq(rt));
	/* And some live records at the end, one by one. */
	for (int i = 0; i < 20; i++) {
		uint64_t gseq = add_wait(rt, "tail", i);
		assert_int_equal(hs_sub_next(all, on_rec, &ga, 50, 0), 1);
		assert_int_equal(hs_sub_next(ctr, on_rec, &gc, 50, 0), 1);
		assert_int_equal(hs_sub_position(all), gseq);
		assert_int_equal(hs_sub_position(ctr), gseq);
	}
	uint64_t end = last_gseq(rt);
	drain_to(all, &ga, 50, end);
	drain_to(ctr, &gc, 50, end);
	assert_true(all->nlog > 0);
	assert_true(all->nlive >= 20);
	assert_true(ctr->nlive >= 20);
	assert_hs(0, hs_unsubscribe(all));
	assert_hs(0, hs_unsubscribe(ctr));
	assert_hs(0, hs_close(rt));

	pu_recs log;
	pu_read_log(dir, &log);
	assert_int_equal(log.n, end);
	assert_got_log(&ga, &log, 0, NULL, NULL, NULL);
	assert_got_log(&gc, &log, 0, "ctr", NULL, NULL);
	pu_recs_free(&log);
	got_free(&ga);
	got_free(&gc);
	free(dir);
}

/* Positions stored in one run resume in the next, with and without a
 * filter; a filter that skips everything still moves the position. */
static void test_resume_after_reopen(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-resume");
	hs_runtime *rt = open_log(dir, 2, false);
	for (int i = 0; i < 300; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	hs_sub *s, *f;
	hs_sub_options o;
	hs_sub_options_init(&o);
	assert_hs(0, hs_subscribe(rt, &o, &s));
	o.event_type = "fwd";
	assert_hs(0, hs_subscribe(rt, &o, &f));
	got g1 = {0}, f1 = {0};
	while (g1.n < 120)
		assert_true(hs_sub_next(s, on_rec, &g1, 120 - g1.n, 0) > 0);
	assert_int_equal(hs_sub_position(s), 120);
	while (f1.n < 30)
		assert_true(hs_sub_next(f, on_rec, &f1, 30 - f1.n, 0) > 0);
	uint64_t pos = hs_sub_position(s);
	uint64_t fpos = hs_sub_position(f);
	assert_int_equal(fpos, f1.v[29].gseq);
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_unsubscribe(f));
	assert_hs(0, hs_close(rt));

	rt = open_log(dir, 2, false);
	o.after_gseq = pos;
	o.event_type = NULL;
	assert_hs(0, hs_subscribe(rt, &o, &s));
	o.after_gseq = fpos;
	o.event_type = "fwd";
	assert_hs(0, hs_subscribe(rt, &o, &f));
	for (int i = 300; i < 400; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	uint64_t end = last_gseq(rt);
	got g2 = {0}, f2 = {0};
	drain_to(s, &g2, 16, end);
	drain_to(f, &f2, 16, end);
	assert_int_equal(g2.v[0].gseq, pos + 1);

	/* Records that all fail the filter: the position passes them. */
	for (int i = 0; i < 10; i++)
		assert_hs(0, hs_send(rt, "ctr", "q", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(HS_ETIMEDOUT, hs_sub_next(f, on_rec, &f2, 16, 0));
	assert_int_equal(hs_sub_position(f), end + 10);
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_unsubscribe(f));
	assert_hs(0, hs_close(rt));

	/* And from the skipped position, on a reopened runtime, nothing is
	 * read again. */
	rt = open_log(dir, 1, false);
	o.after_gseq = end + 10;
	assert_hs(0, hs_subscribe(rt, &o, &f));
	got none = {0};
	assert_hs(HS_ETIMEDOUT, hs_sub_next(f, on_rec, &none, 16, 0));
	assert_int_equal(f->nlog + f->nlive, 0);
	assert_hs(0, hs_unsubscribe(f));
	assert_hs(0, hs_close(rt));

	pu_recs log;
	pu_read_log(dir, &log);
	assert_got_log(&g1, &(pu_recs){.v = log.v, .n = pos}, 0, NULL, NULL,
		       NULL);
	assert_got_log(&g2, &(pu_recs){.v = log.v, .n = end}, pos, NULL, NULL,
		       NULL);
	assert_got_log(&f1, &(pu_recs){.v = log.v, .n = fpos}, 0, NULL, NULL,
		       "fwd");
	assert_got_log(&f2, &log, fpos, NULL, NULL, "fwd");
	pu_recs_free(&log);
	got_free(&g1);
	got_free(&g2);
	got_free(&f1);
	got_free(&f2);
	free(dir);
}

/* Each filter, and their combinations, over history and live records. */
static void test_filters(void **state)
{
	(void)state;
	static const struct {
		const char *type, *id, *event;
	} fs[] = {
		{"ctr", NULL, NULL},    {"relay", NULL, NULL},
		{"ctr", "c3", NULL},    {NULL, "c3", NULL},
		{NULL, NULL, "add"},    {"ctr", NULL, "inc"},
		{"ctr", "c1", "add"},   {"nosuch", NULL, NULL},
		{NULL, "r2", "fwd"},
	};
	enum { NF = sizeof fs / sizeof fs[0] };
	char *dir = pu_mkdtemp("sub-filter");
	hs_runtime *rt = open_log(dir, 2, false);
	for (int i = 0; i < 300; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	hs_sub *s[NF];
	got g[NF];
	memset(g, 0, sizeof g);
	for (int k = 0; k < NF; k++) {
		hs_sub_options o;
		hs_sub_options_init(&o);
		o.type = fs[k].type;
		o.id = fs[k].id;
		o.event_type = fs[k].event;
		o.buffer = 8;
		assert_hs(0, hs_subscribe(rt, &o, &s[k]));
	}
	/* Half read before the rest is written. */
	for (int k = 0; k < NF; k++)
		drain_to(s[k], &g[k], 5, last_gseq(rt));
	for (int i = 300; i < 600; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	uint64_t end = last_gseq(rt);
	for (int k = 0; k < NF; k++)
		drain_to(s[k], &g[k], 5, end);
	for (int k = 0; k < NF; k++)
		assert_hs(0, hs_unsubscribe(s[k]));
	assert_hs(0, hs_close(rt));

	pu_recs log;
	pu_read_log(dir, &log);
	for (int k = 0; k < NF; k++) {
		assert_got_log(&g[k], &log, 0, fs[k].type, fs[k].id,
			       fs[k].event);
		if (strcmp(fs[k].type ? fs[k].type : "", "nosuch") != 0)
			assert_true(g[k].n > 0);
		got_free(&g[k]);
	}
	pu_recs_free(&log);
	free(dir);
}

/* Records written after the subscription began that all fail its filter
 * do not let it skip the history it has not read yet. */
static void test_history_behind_skipped_live_records(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-behind");
	hs_runtime *rt = open_log(dir, 1, false);
	for (int i = 0; i < 50; i++)
		add_wait(rt, "a", i);
	hs_sub_options o;
	hs_sub_options_init(&o);
	o.event_type = "add";
	hs_sub *s;
	assert_hs(0, hs_subscribe(rt, &o, &s));
	for (int i = 0; i < 30; i++)
		assert_hs(0, hs_send_wait(rt, "ctr", "b", "inc", NULL, 0, NULL));
	got g = {0};
	drain_to(s, &g, 8, 80);
	assert_int_equal(g.n, 50);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.v[i].gseq, i + 1);
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_close(rt));
	got_free(&g);
	free(dir);
}

typedef struct slow_reader {
	hs_sub *s;
	got g;
	atomic_bool *senders_done;
	atomic_bool in_fn;
	atomic_bool waited_out; /* gave up waiting for the senders */
	/* Set by the test once everything is written: read up to here. */
	atomic_uint_fast64_t target;
	atomic_int rc;
} slow_reader;

/* Holds up the first record until the senders are done (or 30 s: then
 * the writer waited for the reader, and the test fails). */
static int slow_fn(void *udata, const hs_record *r)
{
	slow_reader *sr = udata;
	if (sr->g.n == 0) {
		atomic_store(&sr->in_fn, true);
		int64_t give_up = hsu_monotonic_ns() + 30 * 1000000000LL;
		while (!atomic_load(sr->senders_done)) {
			if (hsu_monotonic_ns() > give_up) {
				atomic_store(&sr->waited_out, true);
				break;
			}
			hsu_sleep_ms(1);
		}
	} else if (sr->g.n % 16 == 0) {
		hsu_sleep_ms(1); /* and stays slow */
	}
	return on_rec(&sr->g, r);
}

static void *slow_main(void *p)
{
	slow_reader *sr = p;
	int64_t give_up = 0;
	for (;;) {
		uint64_t target = atomic_load(&sr->target);
		if (target != 0 && hs_sub_position(sr->s) >= target)
			return NULL;
		if (target != 0 && give_up == 0)
			give_up = hsu_monotonic_ns() + 60 * 1000000000LL;
		if (give_up != 0 && hsu_monotonic_ns() > give_up) {
			atomic_store(&sr->rc, HS_ETIMEDOUT);
			return NULL;
		}
		int rc = hs_sub_next(sr->s, slow_fn, sr, 3, 100);
		if (rc < 0 && rc != HS_ETIMEDOUT) {
			atomic_store(&sr->rc, rc);
			return NULL;
		}
	}
}

/* A reader stuck in its callback with a buffer of 4 records: the senders'
 * hs_send_wait calls all return meanwhile (the writer does not wait for
 * it), and the reader then gets every record, the dropped ones from the
 * log, exactly once and in order. */
static void test_slow_subscriber(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-slow");
	hs_runtime *rt = open_log(dir, 2, false);
	atomic_bool senders_done = false;
	slow_reader sr = {.senders_done = &senders_done};
	hs_sub_options o;
	hs_sub_options_init(&o);
	o.buffer = 4;
	o.type = "ctr";
	assert_hs(0, hs_subscribe(rt, &o, &sr.s));
	pthread_t rd;
	assert_int_equal(pthread_create(&rd, NULL, slow_main, &sr), 0);
	add_wait(rt, "first", 1);
	while (!atomic_load(&sr.in_fn))
		hsu_sleep_ms(1);

	enum { SENDERS = 2, PER = 400 };
	pthread_t th[SENDERS];
	sender_arg args[SENDERS];
	for (int i = 0; i < SENDERS; i++) {
		args[i] = (sender_arg){rt, i, PER, true, 0, NULL};
		assert_int_equal(pthread_create(&th[i], NULL, sender, &args[i]),
				 0);
	}
	for (int i = 0; i < SENDERS; i++)
		pthread_join(th[i], NULL);
	/* Also records the filter skips, and some without waiting. */
	for (int i = 0; i < 300; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* The reader is still held in its callback. */
	assert_false(atomic_load(&sr.waited_out));
	atomic_store(&senders_done, true);
	for (int i = 0; i < SENDERS; i++)
		assert_true(args[i].max_wait_ns < 5 * 1000000000LL);
	/* A second wave while the reader, released, is still slow: the
	 * buffer fills, drops, and takes records again, in turns. */
	for (int i = 0; i < SENDERS; i++) {
		args[i] = (sender_arg){rt, i, PER, true, 0, NULL};
		assert_int_equal(pthread_create(&th[i], NULL, sender, &args[i]),
				 0);
	}
	for (int i = 0; i < SENDERS; i++)
		pthread_join(th[i], NULL);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	uint64_t end = last_gseq(rt);
	atomic_store(&sr.target, end);
	pthread_join(rd, NULL);
	assert_hs(0, atomic_load(&sr.rc));
	assert_false(atomic_load(&sr.waited_out));
	assert_int_equal(hs_sub_position(sr.s), end);
	/* The buffer overflowed, and the log made up for it. */
	assert_true(atomic_load(&sr.s->live->ndropped) > 0);
	assert_true(sr.s->nlog > 0);
	assert_hs(0, hs_unsubscribe(sr.s));
	assert_hs(0, hs_close(rt));

	pu_recs log;
	pu_read_log(dir, &log);
	assert_got_log(&sr.g, &log, 0, "ctr", NULL, NULL);
	pu_recs_free(&log);
	got_free(&sr.g);
	free(dir);
}

/* Subscriptions come and go while records are written; each saw a
 * gap-free, in-order run of the log, and none is left behind. */
static void test_unsubscribe_while_flowing(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-churn");
	hs_runtime *rt = open_log(dir, 2, false);
	enum { SENDERS = 2, PER = 3000, ROUNDS = 30 };
	pthread_t th[SENDERS];
	sender_arg args[SENDERS];
	for (int i = 0; i < SENDERS; i++) {
		args[i] = (sender_arg){rt, i, PER, false, 0, NULL};
		assert_int_equal(pthread_create(&th[i], NULL, sender, &args[i]),
				 0);
	}
	got runs[ROUNDS];
	uint64_t after[ROUNDS];
	memset(runs, 0, sizeof runs);
	for (int k = 0; k < ROUNDS; k++) {
		hs_sub_options o;
		hs_sub_options_init(&o);
		o.after_gseq = after[k] = k % 2 ? last_gseq(rt) / 2 : 0;
		o.buffer = k % 3 ? 16 : 0;
		hs_sub *s;
		assert_hs(0, hs_subscribe(rt, &o, &s));
		for (int i = 0; i < 1 + k % 4; i++) {
			int rc = hs_sub_next(s, on_rec, &runs[k], 64, 5);
			assert_true(rc > 0 || rc == HS_ETIMEDOUT);
		}
		if (k % 5 == 0)
			hs_sub_cancel(s);
		assert_hs(0, hs_unsubscribe(s));
	}
	for (int i = 0; i < SENDERS; i++)
		pthread_join(th[i], NULL);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* Every subscription's watcher is gone. */
	assert_int_equal(atomic_load(&rt->watchers.ndurable_hint), 0);
	assert_hs(0, hs_close(rt));

	pu_recs log;
	pu_read_log(dir, &log);
	for (int k = 0; k < ROUNDS; k++) {
		got *g = &runs[k];
		for (size_t i = 0; i < g->n; i++) {
			assert_int_equal(g->v[i].gseq, after[k] + 1 + i);
			assert_same_rec(&g->v[i], &log.v[g->v[i].gseq - 1]);
		}
		got_free(g);
	}
	pu_recs_free(&log);
	free(dir);
}

typedef struct canceller {
	hs_sub *s;
	int delay_ms;
} canceller;

static void *cancel_main(void *p)
{
	canceller *c = p;
	hsu_sleep_ms(c->delay_ms);
	hs_sub_cancel(c->s);
	return NULL;
}

/* A reader waiting without a limit is released by hs_sub_cancel. */
static void test_cancel_wakes_a_waiting_reader(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-cancel");
	hs_runtime *rt = open_log(dir, 1, false);
	add_wait(rt, "a", 1);
	hs_sub *s;
	assert_hs(0, hs_subscribe(rt, NULL, &s));
	got g = {0};
	assert_int_equal(hs_sub_next(s, on_rec, &g, 10, -1), 1);
	canceller c = {s, 50};
	pthread_t th;
	int64_t t0 = hsu_monotonic_ns();
	assert_int_equal(pthread_create(&th, NULL, cancel_main, &c), 0);
	assert_hs(HS_ECLOSED, hs_sub_next(s, on_rec, &g, 10, -1));
	assert_true(hsu_monotonic_ns() - t0 >= 40 * 1000000LL);
	pthread_join(th, NULL);
	assert_hs(HS_ECLOSED, hs_sub_next(s, on_rec, &g, 10, 0));
	assert_int_equal(g.n, 1);
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_close(rt));
	got_free(&g);
	free(dir);
}

/* On a read-only runtime: the log as it was at open, then HS_EEND. */
static void test_read_only_delivers_history_then_ends(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-ro");
	hs_runtime *rt = open_log(dir, 2, false);
	for (int i = 0; i < 200; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	uint64_t end = last_gseq(rt);
	/* A read-only runtime beside the writer sees the log as of now. */
	hs_runtime *ro = open_log(dir, 1, true);
	for (int i = 0; i < 30; i++)
		send_mix(rt, i);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	hs_sub_options o;
	hs_sub_options_init(&o);
	o.type = "relay";
	hs_sub *s;
	assert_hs(0, hs_subscribe(ro, &o, &s));
	got g = {0};
	int rc;
	while ((rc = hs_sub_next(s, on_rec, &g, 9, -1)) > 0)
		;
	assert_hs(HS_EEND, rc);
	assert_hs(HS_EEND, hs_sub_next(s, on_rec, &g, 9, 1000));
	assert_int_equal(hs_sub_position(s), end);
	assert_hs(0, hs_unsubscribe(s));
	o.after_gseq = end;
	assert_hs(0, hs_subscribe(ro, &o, &s));
	assert_hs(HS_EEND, hs_sub_next(s, on_rec, &g, 9, 0));
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_close(ro));
	assert_hs(0, hs_close(rt));

	pu_recs log;
	pu_read_log(dir, &log);
	assert_got_log(&g, &(pu_recs){.v = log.v, .n = end}, 0, "relay", NULL,
		       NULL);
	assert_true(g.n > 0);
	pu_recs_free(&log);
	got_free(&g);
	free(dir);
}

/* The records of a reaction: fn may call the runtime, here hs_send_wait
 * to another agent for each record it is given. */
static int react(void *udata, const hs_record *r)
{
	hs_runtime *rt = udata;
	return hs_send_wait(rt, "ctr", "audit", "inc", NULL, 0, NULL) != 0 ||
	       r->gseq == 0;
}

static void test_fn_may_call_the_runtime(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("sub-react");
	hs_runtime *rt = open_log(dir, 2, false);
	hs_sub_options o;
	hs_sub_options_init(&o);
	o.event_type = "add";
	hs_sub *s;
	assert_hs(0, hs_subscribe(rt, &o, &s));
	for (int i = 0; i < 20; i++)
		add_wait(rt, "a", i);
	int total = 0;
	while (total < 20) {
		int rc = hs_sub_next(s, react, rt, 4, 1000);
		assert_true(rc > 0);
		total += rc;
	}
	assert_int_equal(hsu_counter_value(rt, "ctr", "audit"), 20);
	assert_hs(HS_ETIMEDOUT, hs_sub_next(s, react, rt, 4, 20));
	assert_hs(0, hs_unsubscribe(s));
	assert_hs(0, hs_close(rt));
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arguments_and_unsupported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up_then_live, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fn_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seam_while_senders_run,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_reopen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_history_behind_skipped_live_records, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_slow_subscriber, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe_while_flowing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_cancel_wakes_a_waiting_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_read_only_delivers_history_then_ends, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_fn_may_call_the_runtime,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
