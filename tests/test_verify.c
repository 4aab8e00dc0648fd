/*
 * Unit tests of hs_verify: a clean log verifies; a non-deterministic
 * apply and a changed apply are caught at the exact record, with the
 * right kind and the states around it as JSON; scopes (one agent, one
 * type, a gseq range) replay only what they name; an unregistered type
 * is an error, not a skip.
 *
 * A log is written by one runtime; the "new code" runs in a second
 * runtime opened read-only on the same directory once the first is
 * closed, with a different apply registered under the same type name.
 */
#include "util.h"

#include "persist_util.h"

/* ------------------------------------------------------------------ */
/* The tally type and its variants                                      */
/* ------------------------------------------------------------------ */

/*
 * State {"n": n, "events": events}. Events (v1):
 *   inc       n += 1, events += 1
 *   add {n}   n += n, events += 1
 *   x         events += 1
 */
typedef struct tally {
	int64_t n;
	int64_t events;
} tally;

static int tally_encode(const void *state, hs_buf *out, void *udata)
{
	const tally *t = state;
	(void)udata;
	return hs_packf(out, "n:I events:I", t->n, t->events);
}

static int tally_decode(void *state, const void *data, size_t len, void *udata)
{
	tally *t = state;
	(void)udata;
	int rc = hs_get_i64(data, len, "n", &t->n);
	if (rc == 0)
		rc = hs_get_i64(data, len, "events", &t->events);
	return rc;
}

static int tally_v1(hs_ctx *ctx, void *state, const hs_event *ev)
{
	tally *t = state;
	(void)ctx;
	if (hs_event_is(ev, "inc")) {
		t->n += 1;
	} else if (hs_event_is(ev, "add")) {
		int64_t n;
		int rc = hs_event_i64(ev, "n", &n);
		if (rc != 0)
			return rc;
		t->n += n;
	} else if (!hs_event_is(ev, "x")) {
		return HS_EINVAL;
	}
	t->events += 1;
	return HS_CHANGED;
}

/* v2: from seq 3 on, inc adds 2. */
static int tally_v2_double(hs_ctx *ctx, void *state, const hs_event *ev)
{
	tally *t = state;
	if (hs_event_is(ev, "inc") && hs_ctx_seq(ctx) >= 3) {
		t->n += 2;
		t->events += 1;
		return HS_CHANGED;
	}
	return tally_v1(ctx, state, ev);
}

/* v2: event x is rejected. */
static int tally_v2_reject(hs_ctx *ctx, void *state, const hs_event *ev)
{
	if (hs_event_is(ev, "x")) {
		hs_ctx_set_error(ctx, "x is gone since v%d", 2);
		return HS_EINVAL;
	}
	return tally_v1(ctx, state, ev);
}

/* v2: event x changes nothing. */
static int tally_v2_unchanged(hs_ctx *ctx, void *state, const hs_event *ev)
{
	if (hs_event_is(ev, "x"))
		return HS_UNCHANGED;
	return tally_v1(ctx, state, ev);
}

/* Not deterministic: n takes a process-wide counter, not the context. */
static atomic_long rnd_counter = 1000;

static int tally_nondet(hs_ctx *ctx, void *state, const hs_event *ev)
{
	tally *t = state;
	(void)ctx;
	(void)ev;
	t->n = atomic_fetch_add(&rnd_counter, 1);
	t->events += 1;
	return HS_CHANGED;
}

static void reg_tally(hs_runtime *rt, const char *name,
		      int (*apply)(hs_ctx *, void *, const hs_event *),
		      unsigned snapshot_every)
{
	hs_type t;
	memset(&t, 0, sizeof t);
	t.name = name;
	t.state_size = sizeof(tally);
	t.apply = apply;
	t.encode = tally_encode;
	t.decode = tally_decode;
	t.snapshot_every = snapshot_every;
	assert_hs(0, hs_register(rt, &t));
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static hs_runtime *open_rw(const char *path)
{
	return pu_open_rt(path, HS_DURABILITY_NONE, 1, NULL, NULL);
}

static hs_runtime *open_ro(const char *path)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.path = path;
	o.read_only = true;
	hs_runtime *rt = NULL;
	char err[512] = "";
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0)
		print_error("hs_open_err(%s, read_only): %d (%s): %s\n", path,
			    rc, hs_strerror(rc), err);
	assert_hs(0, rc);
	return rt;
}

/* Sends and waits; returns the gseq of the transition. */
static uint64_t send(hs_runtime *rt, const char *type, const char *id,
		     const char *ev, int64_t n)
{
	hs_buf b = HS_BUF_INIT;
	if (n != 0)
		assert_hs(0, hs_packf(&b, "n:I", n));
	hs_receipt r = {0, 0};
	assert_hs(0, hs_send_wait(rt, type, id, ev, b.data, b.len, &r));
	hs_buf_free(&b);
	assert_true(r.gseq != 0);
	return r.gseq;
}

#define DIV_MAX 16

/* One divergence as fn saw it, copied. */
typedef struct div_seen {
	hs_divergence_kind kind;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq, gseq, state_hash;
	char event[HS_NAME_MAX + 1];
	int apply_rc;
	char error_msg[256];
	uint64_t rebuilt_hash;
	char before[256], rebuilt[256], recorded[256], diff[512];
	bool has_before, has_rebuilt, has_recorded, has_diff;
} div_seen;

typedef struct divs {
	int n;
	div_seen v[DIV_MAX];
	int stop_after; /* 0 = never stop */
} divs;

static void copy_opt(char *dst, size_t cap, const char *src, bool *has)
{
	*has = src != NULL;
	hsu_copy(dst, cap, src);
}

static int on_div(void *udata, const hs_divergence *d)
{
	divs *ds = udata;
	if (ds->n < DIV_MAX) {
		div_seen *s = &ds->v[ds->n];
		s->kind = d->kind;
		hsu_copy(s->type, sizeof s->type, d->record.agent.type);
		hsu_copy(s->id, sizeof s->id, d->record.agent.id);
		s->seq = d->record.seq;
		s->gseq = d->record.gseq;
		s->state_hash = d->record.state_hash;
		hsu_copy(s->event, sizeof s->event, d->record.event_type);
		s->apply_rc = d->apply_rc;
		hsu_copy(s->error_msg, sizeof s->error_msg, d->error_msg);
		s->rebuilt_hash = d->rebuilt_hash;
		copy_opt(s->before, sizeof s->before, d->before_json,
			 &s->has_before);
		copy_opt(s->rebuilt, sizeof s->rebuilt, d->rebuilt_json,
			 &s->has_rebuilt);
		copy_opt(s->recorded, sizeof s->recorded, d->recorded_json,
			 &s->has_recorded);
		copy_opt(s->diff, sizeof s->diff, d->diff_json, &s->has_diff);
		CB_CHECK(d->record.state == NULL);
		CB_CHECK(d->error_msg != NULL);
	}
	ds->n++;
	if (ds->stop_after != 0 && ds->n == ds->stop_after)
		return 77;
	return 0;
}

static const div_seen *div_of(const divs *ds, const char *type, const char *id)
{
	for (int i = 0; i < ds->n && i < DIV_MAX; i++)
		if (strcmp(ds->v[i].type, type) == 0 &&
		    strcmp(ds->v[i].id, id) == 0)
			return &ds->v[i];
	return NULL;
}

static int verify(hs_runtime *rt, const hs_filter *f, divs *ds,
		  hs_verify_report *rep)
{
	memset(ds, 0, sizeof *ds);
	memset(rep, 0xab, sizeof *rep);
	return hs_verify(rt, f, on_div, ds, rep);
}

static void print_last_error(hs_runtime *rt)
{
	char err[512];
	hs_last_error(rt, err, sizeof err);
	print_message("last error: %s\n", err);
}

static int setup(void **state)
{
	hsu_reset();
	*state = pu_mkdtemp("verify");
	return 0;
}

static int teardown(void **state)
{
	pu_rmtree(*state);
	free(*state);
	return 0;
}

/*
 * The standard log (tally v1 "tally", counter "cnt"):
 *   g1 tally/a inc   g2 tally/a inc   g3 tally/b inc   g4 tally/a add 10
 *   g5 tally/b x     g6 cnt/c inc     g7 tally/a inc   g8 tally/b inc
 *   g9 cnt/c inc     g10 tally/a x
 * a: seq 1..5 (g1 g2 g4 g7 g10), b: seq 1..3 (g3 g5 g8), c: 1..2 (g6 g9).
 */
static void write_std_log(const char *path, unsigned snapshot_every)
{
	hs_runtime *rt = open_rw(path);
	reg_tally(rt, "tally", tally_v1, snapshot_every);
	hsu_register_counter(rt, "cnt", HS_ON_ERROR_FAIL);
	assert_int_equal(send(rt, "tally", "a", "inc", 0), 1);
	assert_int_equal(send(rt, "tally", "a", "inc", 0), 2);
	assert_int_equal(send(rt, "tally", "b", "inc", 0), 3);
	assert_int_equal(send(rt, "tally", "a", "add", 10), 4);
	assert_int_equal(send(rt, "tally", "b", "x", 0), 5);
	assert_int_equal(send(rt, "cnt", "c", "inc", 0), 6);
	assert_int_equal(send(rt, "tally", "a", "inc", 0), 7);
	assert_int_equal(send(rt, "tally", "b", "inc", 0), 8);
	assert_int_equal(send(rt, "cnt", "c", "inc", 0), 9);
	assert_int_equal(send(rt, "tally", "a", "x", 0), 10);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_close(rt));
}

/* A read-only runtime over the log with tally's apply replaced. */
static hs_runtime *reopen(const char *path,
			  int (*apply)(hs_ctx *, void *, const hs_event *),
			  unsigned snapshot_every)
{
	hs_runtime *rt = open_ro(path);
	reg_tally(rt, "tally", apply, snapshot_every);
	hsu_register_counter(rt, "cnt", HS_ON_ERROR_FAIL);
	return rt;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_clean_log(void **state)
{
	const char *path = *state;
	divs ds;
	hs_verify_report rep;

	/* On the writing runtime itself, while it runs. */
	hs_runtime *rt = open_rw(path);
	reg_tally(rt, "tally", tally_v1, 0);
	hsu_register_counter(rt, "cnt", HS_ON_ERROR_FAIL);
	for (int i = 0; i < 20; i++) {
		char id[8];
		snprintf(id, sizeof id, "t%d", i % 4);
		send(rt, "tally", id, i % 3 ? "inc" : "x", 0);
		send(rt, "cnt", id, "inc", 0);
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	assert_int_equal(ds.n, 0);
	assert_int_equal(rep.records, 40);
	assert_int_equal(rep.agents, 8);
	assert_int_equal(rep.divergences, 0);
	/* report may be NULL, fn may be NULL. */
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, NULL));
	assert_hs(0, hs_close(rt));

	/* And read-only after close. */
	rt = reopen(path, tally_v1, 0);
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	assert_int_equal(ds.n, 0);
	assert_int_equal(rep.records, 40);
	assert_int_equal(rep.agents, 8);
	assert_int_equal(rep.divergences, 0);
	assert_hs(0, hs_close(rt));
}

static void test_empty_and_errors(void **state)
{
	const char *path = *state;
	divs ds;
	hs_verify_report rep;

	/* In memory: not supported. */
	hs_runtime *mem = hsu_open(1, 0);
	assert_hs(HS_ENOTSUP, hs_verify(mem, NULL, NULL, NULL, NULL));
	assert_hs(0, hs_close(mem));
	assert_hs(HS_EINVAL, hs_verify(NULL, NULL, NULL, NULL, NULL));

	hs_runtime *rt = open_rw(path);
	reg_tally(rt, "tally", tally_v1, 0);
	/* An empty log verifies. */
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	assert_int_equal(rep.records, 0);
	assert_int_equal(rep.agents, 0);
	assert_int_equal(rep.divergences, 0);
	send(rt, "tally", "a", "inc", 0);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	hs_filter f;
	memset(&f, 0, sizeof f);
	f.id = "a"; /* id without type */
	assert_hs(HS_EINVAL, verify(rt, &f, &ds, &rep));
	f.type = "tally";
	f.from_gseq = 5;
	f.to_gseq = 2;
	assert_hs(HS_EINVAL, verify(rt, &f, &ds, &rep));
	memset(&f, 0, sizeof f);
	f.type = "tally";
	f.id = "nobody";
	assert_hs(HS_ENOAGENT, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 0xababababababababull); /* untouched */
	assert_hs(0, hs_close(rt));
}

static void test_nondeterministic_apply(void **state)
{
	const char *path = *state;
	hs_runtime *rt = open_rw(path);
	reg_tally(rt, "rnd", tally_nondet, 0);
	uint64_t g1 = send(rt, "rnd", "p", "e", 0);
	uint64_t g2 = send(rt, "rnd", "q", "e", 0);
	send(rt, "rnd", "p", "e", 0);
	send(rt, "rnd", "q", "e", 0);
	send(rt, "rnd", "p", "e", 0);
	assert_hs(0, hs_close(rt));

	rt = open_ro(path);
	reg_tally(rt, "rnd", tally_nondet, 0);
	divs ds;
	hs_verify_report rep;
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	assert_int_equal(ds.n, 2);
	assert_int_equal(rep.divergences, 2);
	assert_int_equal(rep.agents, 2);
	assert_int_equal(rep.records, 2); /* each stops at its first */
	const div_seen *p = div_of(&ds, "rnd", "p");
	const div_seen *q = div_of(&ds, "rnd", "q");
	assert_non_null(p);
	assert_non_null(q);
	assert_int_equal(p->kind, HS_DIVERGE_STATE);
	assert_int_equal(p->seq, 1);
	assert_int_equal(p->gseq, g1);
	assert_int_equal(q->kind, HS_DIVERGE_STATE);
	assert_int_equal(q->seq, 1);
	assert_int_equal(q->gseq, g2);
	assert_string_equal(p->event, "e");
	assert_int_equal(p->apply_rc, HS_CHANGED);
	assert_true(p->rebuilt_hash != p->state_hash);
	assert_true(p->has_before && p->has_rebuilt && p->has_diff);
	assert_false(p->has_recorded);
	assert_string_equal(p->before, "{\"n\":0,\"events\":0}");
	assert_non_null(strstr(p->rebuilt, "\"events\":1"));
	assert_string_equal(p->error_msg, "");
	assert_hs(0, hs_close(rt));
}

static void test_changed_apply_state(void **state)
{
	const char *path = *state;
	write_std_log(path, 0);
	hs_runtime *rt = reopen(path, tally_v2_double, 0);
	divs ds;
	hs_verify_report rep;
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	if (ds.n != 2)
		print_last_error(rt);
	assert_int_equal(ds.n, 2);
	assert_int_equal(rep.divergences, 2);
	assert_int_equal(rep.agents, 3);
	/* a: seq 1..4 (diverges at 4: g7 inc), b: seq 1..3 (at 3: g8),
	 * c: 2. */
	assert_int_equal(rep.records, 4 + 3 + 2);

	const div_seen *a = div_of(&ds, "tally", "a");
	assert_non_null(a);
	assert_int_equal(a->kind, HS_DIVERGE_STATE);
	assert_int_equal(a->seq, 4);
	assert_int_equal(a->gseq, 7);
	assert_string_equal(a->event, "inc");
	assert_int_equal(a->apply_rc, HS_CHANGED);
	assert_string_equal(a->before, "{\"n\":12,\"events\":3}");
	assert_string_equal(a->rebuilt, "{\"n\":14,\"events\":4}");
	assert_false(a->has_recorded);
	/* Without a snapshot, the diff is before -> rebuilt. */
	assert_true(a->has_diff);
	assert_non_null(strstr(a->diff, "\"path\":\"n\""));
	assert_non_null(strstr(a->diff, "\"path\":\"events\""));

	const div_seen *b = div_of(&ds, "tally", "b");
	assert_non_null(b);
	assert_int_equal(b->kind, HS_DIVERGE_STATE);
	assert_int_equal(b->seq, 3);
	assert_int_equal(b->gseq, 8);
	assert_string_equal(b->before, "{\"n\":1,\"events\":2}");
	assert_string_equal(b->rebuilt, "{\"n\":3,\"events\":3}");
	/* The order is by agent (type, id): a before b. */
	assert_string_equal(ds.v[0].id, "a");
	assert_string_equal(ds.v[1].id, "b");

	/* fn's non-zero result stops the walk and is returned. */
	memset(&ds, 0, sizeof ds);
	ds.stop_after = 1;
	memset(&rep, 0, sizeof rep);
	assert_int_equal(hs_verify(rt, NULL, on_div, &ds, &rep), 77);
	assert_int_equal(ds.n, 1);
	assert_int_equal(rep.divergences, 1);
	assert_hs(0, hs_close(rt));
}

static void test_changed_apply_rejected(void **state)
{
	const char *path = *state;
	write_std_log(path, 0);
	hs_runtime *rt = reopen(path, tally_v2_reject, 0);
	divs ds;
	hs_verify_report rep;
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	assert_int_equal(ds.n, 2);
	assert_int_equal(rep.divergences, 2);
	assert_int_equal(rep.records, 5 + 2 + 2);
	const div_seen *a = div_of(&ds, "tally", "a");
	assert_non_null(a);
	assert_int_equal(a->kind, HS_DIVERGE_REJECTED);
	assert_int_equal(a->seq, 5);
	assert_int_equal(a->gseq, 10);
	assert_string_equal(a->event, "x");
	const div_seen *b = div_of(&ds, "tally", "b");
	assert_non_null(b);
	assert_int_equal(b->kind, HS_DIVERGE_REJECTED);
	assert_int_equal(b->seq, 2);
	assert_int_equal(b->gseq, 5);
	assert_string_equal(b->event, "x");
	assert_int_equal(b->apply_rc, HS_EINVAL);
	assert_string_equal(b->error_msg, "x is gone since v2");
	/* Rejected: the state stays as it was. */
	assert_string_equal(b->before, "{\"n\":1,\"events\":1}");
	assert_string_equal(b->rebuilt, "{\"n\":1,\"events\":1}");
	assert_string_equal(b->diff, "[]");
	assert_hs(0, hs_close(rt));

	rt = reopen(path, tally_v2_unchanged, 0);
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	assert_int_equal(ds.n, 2);
	b = div_of(&ds, "tally", "b");
	assert_non_null(b);
	assert_int_equal(b->kind, HS_DIVERGE_UNCHANGED);
	assert_int_equal(b->seq, 2);
	assert_int_equal(b->gseq, 5);
	assert_int_equal(b->apply_rc, HS_UNCHANGED);
	assert_string_equal(b->error_msg, "");
	a = div_of(&ds, "tally", "a");
	assert_non_null(a);
	assert_int_equal(a->kind, HS_DIVERGE_UNCHANGED);
	assert_int_equal(a->gseq, 10);
	assert_hs(0, hs_close(rt));
}

static void test_snapshot_gives_recorded(void **state)
{
	const char *path = *state;
	write_std_log(path, 1);
	hs_runtime *rt = reopen(path, tally_v2_double, 1);
	divs ds;
	hs_verify_report rep;
	assert_hs(0, verify(rt, NULL, &ds, &rep));
	assert_int_equal(ds.n, 2);
	const div_seen *a = div_of(&ds, "tally", "a");
	assert_non_null(a);
	assert_int_equal(a->seq, 4);
	assert_true(a->has_recorded);
	assert_string_equal(a->recorded, "{\"n\":13,\"events\":4}");
	assert_string_equal(a->rebuilt, "{\"n\":14,\"events\":4}");
	assert_string_equal(a->before, "{\"n\":12,\"events\":3}");
	/* recorded -> rebuilt: only n differs. */
	assert_string_equal(a->diff,
			    "[{\"path\":\"n\",\"old\":13,\"new\":14}]");
	assert_hs(0, hs_close(rt));
}

static void test_scopes(void **state)
{
	const char *path = *state;
	write_std_log(path, 0);
	hs_runtime *rt = reopen(path, tally_v1, 0);
	divs ds;
	hs_verify_report rep;
	hs_filter f;

	memset(&f, 0, sizeof f);
	f.type = "tally";
	f.id = "a";
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 5);
	assert_int_equal(rep.agents, 1);

	memset(&f, 0, sizeof f);
	f.type = "cnt";
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 2);
	assert_int_equal(rep.agents, 1);

	memset(&f, 0, sizeof f);
	f.type = "tally";
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 8);
	assert_int_equal(rep.agents, 2);

	/* g4..g8: a g4 g7, b g5 g8, c g6. */
	memset(&f, 0, sizeof f);
	f.from_gseq = 4;
	f.to_gseq = 8;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 5);
	assert_int_equal(rep.agents, 3);
	assert_int_equal(ds.n, 0);

	/* g9..: c g9, a g10. */
	memset(&f, 0, sizeof f);
	f.from_gseq = 9;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 2);
	assert_int_equal(rep.agents, 2);

	/* ..g3: a g1 g2, b g3. */
	memset(&f, 0, sizeof f);
	f.to_gseq = 3;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 3);
	assert_int_equal(rep.agents, 2);

	/* One agent and a range. */
	memset(&f, 0, sizeof f);
	f.type = "tally";
	f.id = "a";
	f.from_gseq = 3;
	f.to_gseq = 9;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 2);
	assert_int_equal(rep.agents, 1);
	assert_hs(0, hs_close(rt));

	/* With the changed code, a range that starts after the change
	 * still finds it (replaying from a's start), and one that ends
	 * before it finds nothing. */
	rt = reopen(path, tally_v2_double, 0);
	memset(&f, 0, sizeof f);
	f.type = "tally";
	f.from_gseq = 6;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(ds.n, 2);
	assert_int_equal(div_of(&ds, "tally", "a")->gseq, 7);
	assert_int_equal(div_of(&ds, "tally", "b")->gseq, 8);
	assert_int_equal(rep.records, 2);
	memset(&f, 0, sizeof f);
	f.to_gseq = 6;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(ds.n, 0);
	assert_int_equal(rep.records, 6);
	assert_hs(0, hs_close(rt));
}

/* With snapshots, a range starting late replays from the newest snapshot
 * before it; a snapshot after the change hides the change from ranges
 * that start after it. */
static void test_range_from_snapshot(void **state)
{
	const char *path = *state;
	hs_runtime *rt = open_rw(path);
	reg_tally(rt, "tally", tally_v1, 2);
	for (int i = 0; i < 10; i++)
		send(rt, "tally", "s", "inc", 0); /* g1..g10, seq 1..10 */
	assert_hs(0, hs_close(rt));

	rt = reopen(path, tally_v2_double, 2);
	divs ds;
	hs_verify_report rep;
	hs_filter f;
	memset(&f, 0, sizeof f);
	f.from_gseq = 6; /* starts from the snapshot at seq 4 */
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(ds.n, 1);
	/* seq 5 is replayed from the snapshot but lies before the range:
	 * its divergence is still the first one. */
	assert_int_equal(ds.v[0].seq, 5);
	assert_int_equal(ds.v[0].gseq, 5);
	assert_int_equal(rep.records, 0);
	assert_int_equal(rep.agents, 1);

	f.from_gseq = 5; /* snapshot at seq 4, then seq 5 */
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(ds.n, 1);
	assert_int_equal(ds.v[0].seq, 5);
	assert_string_equal(ds.v[0].before, "{\"n\":4,\"events\":4}");
	assert_false(ds.v[0].has_recorded); /* snapshots at even seqs */
	assert_int_equal(rep.records, 1);
	assert_hs(0, hs_close(rt));

	/* Clean code, range from a snapshot: exactly the range. */
	rt = reopen(path, tally_v1, 2);
	f.from_gseq = 7;
	f.to_gseq = 9;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(ds.n, 0);
	assert_int_equal(rep.records, 3);
	assert_int_equal(rep.agents, 1);
	assert_hs(0, hs_close(rt));
}

/* A record that does not decode stops verify with the key named; a
 * divergence before it is still reported first. */
static void test_corrupt_record(void **state)
{
	const char *path = *state;
	hs_runtime *rt = open_rw(path);
	reg_tally(rt, "tally", tally_v1, 0);
	hsu_register_counter(rt, "cnt", HS_ON_ERROR_FAIL);
	hs_receipt r[6];
	for (int i = 0; i < 6; i++)
		assert_hs(0, hs_send_wait(rt, "cnt", "k", "inc", NULL, 0,
					  &r[i]));
	assert_hs(0, hs_close(rt));

	static const char garbage[] = "\xc1 not a record";
	uint8_t key[8];
	pu_db d;
	pu_db_open(&d, path);
	pu_be64(key, r[3].gseq);
	pu_db_put(&d, "events", key, 8, garbage, sizeof garbage - 1);
	pu_db_close(&d);

	rt = reopen(path, tally_v1, 0);
	divs ds;
	hs_verify_report rep;
	assert_hs(HS_ECORRUPT, verify(rt, NULL, &ds, &rep));
	char err[512], want[32];
	hs_last_error(rt, err, sizeof err);
	snprintf(want, sizeof want, "%016llx", (unsigned long long)r[3].gseq);
	assert_non_null(strstr(err, want));
	assert_hs(0, hs_close(rt));
}

static void test_unregistered_type(void **state)
{
	const char *path = *state;
	write_std_log(path, 0);
	hs_runtime *rt = open_ro(path);
	reg_tally(rt, "tally", tally_v1, 0); /* no "cnt" */
	divs ds;
	hs_verify_report rep;
	char err[512];

	assert_hs(HS_ENOTYPE, verify(rt, NULL, &ds, &rep));
	assert_int_equal(ds.n, 0);
	hs_last_error(rt, err, sizeof err);
	assert_non_null(strstr(err, "'cnt'"));

	hs_filter f;
	memset(&f, 0, sizeof f);
	f.type = "cnt";
	assert_hs(HS_ENOTYPE, verify(rt, &f, &ds, &rep));
	hs_last_error(rt, err, sizeof err);
	assert_non_null(strstr(err, "'cnt'"));
	f.id = "c";
	assert_hs(HS_ENOTYPE, verify(rt, &f, &ds, &rep));

	/* A scope without the missing type is fine. */
	f.type = "tally";
	f.id = NULL;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 8);
	/* So is a range in which no cnt agent has a record. */
	memset(&f, 0, sizeof f);
	f.to_gseq = 5;
	assert_hs(0, verify(rt, &f, &ds, &rep));
	assert_int_equal(rep.records, 5);
	assert_hs(0, hs_close(rt));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_log, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nondeterministic_apply,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_apply_state,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_apply_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_gives_recorded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_from_snapshot,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unregistered_type, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
