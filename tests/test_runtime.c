/*
 * Unit tests of the runtime core through the public API: opening and
 * closing, type registration, sending (and its input checks), handler
 * context, watchers, error modes, restart, await and close semantics.
 */
#include "util.h"

/* ------------------------------------------------------------------ */
/* The probe agent type                                                 */
/* ------------------------------------------------------------------ */

/*
 * A counter (state: int64, encoded {"n": v}) that records what its handler
 * saw in probe_log. Events:
 *   inc                      +1
 *   noop                     UNCHANGED
 *   fail                     hs_ctx_set_error, returns HS_ERANGE
 *   rand / rand_noop         three hs_ctx_random() values; +1 / UNCHANGED
 *   send {type,to,ev,then}   hs_ctx_sendf(type, to, ev, {of: self id, n: 1})
 *                            then returns CHANGED, or "fail" / "noop"
 *   check {of}               records whether sender_watcher has seen
 *                            "A"'s first transition, and its new state
 *   sleep {ms}               sleeps, +1
 *   block {to?}              waits for probe_gate; then, if "to" is given,
 *                            hs_ctx_send("counter", to, "inc") recording rc
 *   badsend                  tries hs_ctx_send(f) with bad arguments
 *   body                     records the body accessors' view
 */
#define PROBE_MAX 512

typedef struct probe_rec {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char ev[HS_NAME_MAX + 1];
	uint64_t seq;
	int64_t now;
	uint64_t rnd[3];
	bool replaying;
	int rc;              /* send / deref result */
	int64_t seen;        /* value read by "check" */
	bool watched_before; /* "check": watcher saw the sender's transition */
	size_t body_len;     /* "body" */
	bool body_null;
	int64_t body_n;
} probe_rec;

static pthread_mutex_t probe_mu = PTHREAD_MUTEX_INITIALIZER;
static probe_rec probe_log[PROBE_MAX];
static int probe_n;

static atomic_int probe_gate;
static atomic_int probe_blocked;
static atomic_int probe_init_calls;
static atomic_int probe_destroy_calls;
static atomic_int probe_sender_watched; /* set by sender_watcher */
static atomic_llong probe_sender_value; /* "A"'s state at seq 1 */
static int probe_udata_marker;
static char probe_init_type[HS_NAME_MAX + 1];
static char probe_init_id[HS_ID_MAX + 1];
static int probe_init_fail_rc; /* init fails for id "bad" with this */

/* Results of hs_ctx_send(f) with bad arguments, in order. */
#define BADSEND_N 16
static int badsend_rc[BADSEND_N];
static int badsend_n;

static void probe_log_add(const probe_rec *r)
{
	pthread_mutex_lock(&probe_mu);
	if (probe_n < PROBE_MAX)
		probe_log[probe_n] = *r;
	probe_n++;
	pthread_mutex_unlock(&probe_mu);
}

/* The i-th record of agent id (in handling order), or NULL. */
static const probe_rec *probe_find(const char *id, int i)
{
	const probe_rec *found = NULL;
	pthread_mutex_lock(&probe_mu);
	int n = probe_n < PROBE_MAX ? probe_n : PROBE_MAX;
	for (int k = 0; k < n; k++) {
		if (strcmp(probe_log[k].id, id) == 0 && i-- == 0) {
			found = &probe_log[k];
			break;
		}
	}
	pthread_mutex_unlock(&probe_mu);
	return found;
}

static int probe_count(const char *id)
{
	int c = 0;
	pthread_mutex_lock(&probe_mu);
	int n = probe_n < PROBE_MAX ? probe_n : PROBE_MAX;
	for (int k = 0; k < n; k++)
		if (strcmp(probe_log[k].id, id) == 0)
			c++;
	pthread_mutex_unlock(&probe_mu);
	return c;
}

static int probe_init(void *state, const hs_addr *self, void *udata)
{
	CB_CHECK(udata == &probe_udata_marker);
	CB_CHECK_EQ(*(int64_t *)state, 0);
	atomic_fetch_add(&probe_init_calls, 1);
	if (self == NULL || self->type == NULL || self->id == NULL) {
		CB_CHECK(!"init got no address");
		return 0;
	}
	if (probe_init_fail_rc != 0 && strcmp(self->id, "bad") == 0)
		return probe_init_fail_rc;
	pthread_mutex_lock(&probe_mu);
	hsu_copy(probe_init_type, sizeof probe_init_type, self->type);
	hsu_copy(probe_init_id, sizeof probe_init_id, self->id);
	pthread_mutex_unlock(&probe_mu);
	return 0;
}

static void probe_destroy(void *state, void *udata)
{
	(void)state;
	CB_CHECK(udata == &probe_udata_marker);
	atomic_fetch_add(&probe_destroy_calls, 1);
}

static int probe_encode(const void *state, hs_buf *out, void *udata)
{
	CB_CHECK(udata == &probe_udata_marker);
	return hsu_counter_encode(state, out, udata);
}

static int probe_decode(void *state, const void *data, size_t len, void *udata)
{
	CB_CHECK(udata == &probe_udata_marker);
	return hsu_counter_decode(state, data, len, udata);
}

static void probe_badsend(hs_ctx *ctx)
{
	char long_id[HS_ID_MAX + 2];
	memset(long_id, 'i', HS_ID_MAX + 1);
	long_id[HS_ID_MAX + 1] = '\0';
	uint8_t trailing[2] = {0x01, 0x02}; /* two values */
	uint8_t truncated[1] = {0x81};      /* map of one pair, no pair */
	int k = 0;
	badsend_rc[k++] = hs_ctx_send(ctx, NULL, "x", "inc", NULL, 0);
	badsend_rc[k++] = hs_ctx_send(ctx, "counter", NULL, "inc", NULL, 0);
	badsend_rc[k++] = hs_ctx_send(ctx, "counter", "x", NULL, NULL, 0);
	badsend_rc[k++] = hs_ctx_send(ctx, "counter", "", "inc", NULL, 0);
	badsend_rc[k++] = hs_ctx_send(ctx, "counter", long_id, "inc", NULL, 0);
	badsend_rc[k++] = hs_ctx_send(ctx, "nosuch", "x", "inc", NULL, 0);
	badsend_rc[k++] = hs_ctx_send(ctx, "counter", "x", "inc", trailing, 2);
	badsend_rc[k++] =
		hs_ctx_send(ctx, "counter", "x", "inc", truncated, 1);
	badsend_rc[k++] = hs_ctx_send(ctx, "counter", "x", "inc", NULL, 3);
	badsend_rc[k++] = hs_ctx_sendf(ctx, "counter", "x", "inc", "n:q", 1);
	badsend_rc[k++] = hs_ctx_send(ctx, "counter", "x", "", NULL, 0);
	badsend_n = k;
}

static int probe_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int64_t *v = state;
	probe_rec r;
	memset(&r, 0, sizeof r);
	hs_addr self = hs_ctx_self(ctx);
	hsu_copy(r.type, sizeof r.type, self.type);
	hsu_copy(r.id, sizeof r.id, self.id);
	hsu_copy(r.ev, sizeof r.ev, hs_event_type(ev));
	r.seq = hs_ctx_seq(ctx);
	r.now = hs_ctx_now(ctx);
	r.replaying = hs_ctx_replaying(ctx);
	r.seen = -1;
	/* The context's answers are stable during one apply. */
	CB_CHECK_EQ(hs_ctx_seq(ctx), r.seq);
	CB_CHECK_EQ(hs_ctx_now(ctx), r.now);

	int rc = HS_CHANGED;
	if (hs_event_is(ev, "inc")) {
		*v += 1;
	} else if (hs_event_is(ev, "noop")) {
		rc = HS_UNCHANGED;
	} else if (hs_event_is(ev, "fail")) {
		hs_ctx_set_error(ctx, "probe failed at %s", "fail");
		rc = HS_ERANGE;
	} else if (hs_event_is(ev, "rand") || hs_event_is(ev, "rand_noop")) {
		for (int i = 0; i < 3; i++)
			r.rnd[i] = hs_ctx_random(ctx);
		if (hs_event_is(ev, "rand"))
			*v += 1;
		else
			rc = HS_UNCHANGED;
	} else if (hs_event_is(ev, "send")) {
		char type[HS_NAME_MAX + 1], to[HS_ID_MAX + 1];
		char sev[HS_NAME_MAX + 1], then[16] = "";
		CB_CHECK_EQ(hs_event_strcpy(ev, "type", type, sizeof type), 0);
		CB_CHECK_EQ(hs_event_strcpy(ev, "to", to, sizeof to), 0);
		CB_CHECK_EQ(hs_event_strcpy(ev, "ev", sev, sizeof sev), 0);
		(void)hs_event_strcpy(ev, "then", then, sizeof then);
		r.rc = hs_ctx_sendf(ctx, type, to, sev, "of:s n:i", self.id,
				    1);
		if (strcmp(then, "fail") == 0) {
			hs_ctx_set_error(ctx, "failed after sending");
			rc = HS_ERANGE;
		} else if (strcmp(then, "noop") == 0) {
			rc = HS_UNCHANGED;
		} else {
			*v += 1;
		}
	} else if (hs_event_is(ev, "send_many")) {
		/* k messages to counter `to`, "expect" 1..k, in one apply */
		char to[HS_ID_MAX + 1];
		int64_t k = 0;
		CB_CHECK_EQ(hs_event_strcpy(ev, "to", to, sizeof to), 0);
		CB_CHECK_EQ(hs_event_i64(ev, "k", &k), 0);
		for (int64_t i = 1; i <= k; i++)
			CB_CHECK_EQ(hs_ctx_sendf(ctx, "counter", to, "expect",
						 "n:I", i),
				    0);
		*v += 1;
	} else if (hs_event_is(ev, "check")) {
		/* hs_deref is not allowed inside apply: what the sender's
		 * transition left is observed through its watcher instead. */
		char of[HS_ID_MAX + 1];
		CB_CHECK_EQ(hs_event_strcpy(ev, "of", of, sizeof of), 0);
		r.watched_before = atomic_load(&probe_sender_watched) != 0;
		r.seen = atomic_load(&probe_sender_value);
		*v += 1;
	} else if (hs_event_is(ev, "sleep")) {
		int64_t ms = 0;
		CB_CHECK_EQ(hs_event_i64(ev, "ms", &ms), 0);
		hsu_sleep_ms((long)ms);
		*v += 1;
	} else if (hs_event_is(ev, "block")) {
		atomic_store(&probe_blocked, 1);
		while (!atomic_load(&probe_gate))
			hsu_sleep_ms(1);
		char to[HS_ID_MAX + 1];
		if (hs_event_strcpy(ev, "to", to, sizeof to) == 0)
			r.rc = hs_ctx_sendf(ctx, "counter", to, "inc", "n:i",
					    7);
		*v += 1;
	} else if (hs_event_is(ev, "badsend")) {
		probe_badsend(ctx);
		*v += 1;
	} else if (hs_event_is(ev, "body")) {
		size_t len = 12345;
		const void *body = hs_event_body(ev, &len);
		r.body_len = len;
		r.body_null = body == NULL;
		r.body_n = -1;
		if (len > 0)
			(void)hs_event_i64(ev, "n", &r.body_n);
		*v += 1;
	} else {
		hsu_cb_fail(__FILE__, __LINE__, "probe: unknown event %s",
			    hs_event_type(ev));
		rc = HS_EINVAL;
	}
	if (rc == HS_CHANGED)
		atomic_fetch_add(&hsu_changed, 1);
	atomic_fetch_add(&hsu_applied, 1);
	probe_log_add(&r);
	return rc;
}

static hs_type probe_type(const char *name, hs_on_error on_error)
{
	hs_type t;
	memset(&t, 0, sizeof t);
	t.name = name;
	t.state_size = sizeof(int64_t);
	t.init = probe_init;
	t.destroy = probe_destroy;
	t.apply = probe_apply;
	t.encode = probe_encode;
	t.decode = probe_decode;
	t.on_error = on_error;
	t.udata = &probe_udata_marker;
	return t;
}

/* Opens a runtime with "counter", "counter_skip", "probe" (FAIL) and
 * "probe_skip" registered. */
static hs_runtime *open_std(unsigned workers)
{
	hs_runtime *rt = hsu_open(workers, 0);
	hsu_register_counter(rt, "counter", HS_ON_ERROR_FAIL);
	hsu_register_counter(rt, "counter_skip", HS_ON_ERROR_SKIP);
	hs_type p = probe_type("probe", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_register(rt, &p));
	p = probe_type("probe_skip", HS_ON_ERROR_SKIP);
	assert_hs(0, hs_register(rt, &p));
	return rt;
}

/* ------------------------------------------------------------------ */
/* A recording watcher                                                  */
/* ------------------------------------------------------------------ */

#define WREC_MAX 512

typedef struct wrec_entry {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char ev[HS_NAME_MAX + 1];
	uint64_t seq;
	int64_t time_ns;
	int64_t old_n, new_n;
	size_t body_len;
	uint8_t body[64];
} wrec_entry;

typedef struct wrec {
	pthread_mutex_t mu;
	atomic_int calls;
	atomic_int after_stop; /* calls after `stopped` was set */
	atomic_int stopped;
	int n;
	wrec_entry e[WREC_MAX];
} wrec;

static wrec wrec_a = {.mu = PTHREAD_MUTEX_INITIALIZER};
static wrec wrec_b = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void wrec_reset(wrec *w)
{
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->calls, 0);
	atomic_store(&w->after_stop, 0);
	atomic_store(&w->stopped, 0);
	w->n = 0;
	memset(w->e, 0, sizeof w->e);
	pthread_mutex_unlock(&w->mu);
}

static void wrec_fn(void *udata, const hs_transition *t)
{
	wrec *w = udata;
	if (atomic_load(&w->stopped))
		atomic_fetch_add(&w->after_stop, 1);
	atomic_fetch_add(&w->calls, 1);
	wrec_entry e;
	memset(&e, 0, sizeof e);
	hsu_copy(e.type, sizeof e.type, t->agent.type);
	hsu_copy(e.id, sizeof e.id, t->agent.id);
	hsu_copy(e.ev, sizeof e.ev, t->event_type);
	e.seq = t->seq;
	e.time_ns = t->time_ns;
	e.old_n = e.new_n = -1;
	CB_CHECK(t->old_state != NULL && t->new_state != NULL);
	if (t->old_state)
		CB_CHECK_EQ(
			hs_get_i64(t->old_state, t->old_len, "n", &e.old_n),
			0);
	if (t->new_state)
		CB_CHECK_EQ(
			hs_get_i64(t->new_state, t->new_len, "n", &e.new_n),
			0);
	e.body_len = t->event_len;
	if (t->event_len > 0 && t->event_len <= sizeof e.body)
		memcpy(e.body, t->event_body, t->event_len);
	pthread_mutex_lock(&w->mu);
	if (w->n < WREC_MAX)
		w->e[w->n++] = e;
	pthread_mutex_unlock(&w->mu);
}

/* The i-th transition of agent id seen by w, or NULL. */
static const wrec_entry *wrec_find(wrec *w, const char *id, int i)
{
	const wrec_entry *found = NULL;
	pthread_mutex_lock(&w->mu);
	for (int k = 0; k < w->n; k++) {
		if (strcmp(w->e[k].id, id) == 0 && i-- == 0) {
			found = &w->e[k];
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return found;
}

static int wrec_count(wrec *w, const char *id)
{
	int c = 0;
	pthread_mutex_lock(&w->mu);
	for (int k = 0; k < w->n; k++)
		if (strcmp(w->e[k].id, id) == 0)
			c++;
	pthread_mutex_unlock(&w->mu);
	return c;
}

/* Sets probe_sender_watched when the sender "A" makes its first
 * transition. */
static void sender_watcher(void *udata, const hs_transition *t)
{
	(void)udata;
	if (strcmp(t->agent.id, "A") == 0 && t->seq == 1) {
		int64_t n = -1;
		CB_CHECK_EQ(hs_get_i64(t->new_state, t->new_len, "n", &n), 0);
		atomic_store(&probe_sender_value, n);
		atomic_store(&probe_sender_watched, 1);
	}
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */
/* ------------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	hsu_reset();
	pthread_mutex_lock(&probe_mu);
	probe_n = 0;
	memset(probe_log, 0, sizeof probe_log);
	probe_init_type[0] = probe_init_id[0] = '\0';
	pthread_mutex_unlock(&probe_mu);
	atomic_store(&probe_gate, 0);
	atomic_store(&probe_blocked, 0);
	atomic_store(&probe_init_calls, 0);
	atomic_store(&probe_destroy_calls, 0);
	atomic_store(&probe_sender_watched, 0);
	atomic_store(&probe_sender_value, -1);
	probe_init_fail_rc = 0;
	badsend_n = 0;
	wrec_reset(&wrec_a);
	wrec_reset(&wrec_b);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* Never leave a handler blocked behind a failed assertion. */
	atomic_store(&probe_gate, 1);
	return 0;
}

static void wait_blocked(void)
{
	for (int i = 0; i < 30000 && !atomic_load(&probe_blocked); i++)
		hsu_sleep_ms(1);
	assert_int_equal(atomic_load(&probe_blocked), 1);
}

/* ------------------------------------------------------------------ */
/* Open and close                                                       */
/* ------------------------------------------------------------------ */

static void test_open_close_defaults(void **state)
{
	(void)state;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, NULL));
	assert_non_null(rt);
	assert_hs(0, hs_close(rt));

	hs_options o;
	memset(&o, 0xa5, sizeof o);
	hs_options_init(&o);
	assert_null(o.clock);
	assert_null(o.on_drop);
	rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	assert_non_null(rt);
	hsu_register_counter(rt, "counter", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_send(rt, "counter", "c", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 1);
	assert_hs(0, hs_close(rt));

	assert_hs(0, hs_close(NULL));
	assert_hs(HS_EINVAL, hs_open(NULL, NULL));
}

static void test_open_close_options(void **state)
{
	(void)state;
	static const unsigned cfg[][2] = {{1, 1}, {2, 3}, {8, 0}, {3, 1000}};
	for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
		hsu_reset();
		hs_runtime *rt = hsu_open(cfg[k][0], cfg[k][1]);
		hsu_register_counter(rt, "counter", HS_ON_ERROR_FAIL);
		for (int i = 0; i < 300; i++) {
			char id[8];
			snprintf(id, sizeof id, "c%d", i % 5);
			assert_hs(0,
				  hs_send(rt, "counter", id, "inc", NULL, 0));
		}
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
		for (int i = 0; i < 5; i++) {
			char id[8];
			snprintf(id, sizeof id, "c%d", i);
			assert_int_equal(hsu_counter_value(rt, "counter", id),
					 60);
		}
		assert_hs(0, hs_close(rt));
		assert_int_equal(atomic_load(&hsu_applied), 300);
		assert_int_equal(hsu_drop_count(), 0);
		hsu_assert_no_cb_failures();
	}
}

static void test_two_runtimes_are_independent(void **state)
{
	(void)state;
	hs_runtime *a = hsu_open(2, 0);
	hs_runtime *b = hsu_open(1, 0);
	/* The same type name in both: no process-wide registry. */
	hsu_register_counter(a, "counter", HS_ON_ERROR_FAIL);
	hsu_register_counter(b, "counter", HS_ON_ERROR_FAIL);
	for (int i = 0; i < 10; i++)
		assert_hs(0, hs_send(a, "counter", "c", "inc", NULL, 0));
	for (int i = 0; i < 3; i++)
		assert_hs(0, hs_send(b, "counter", "c", "inc", NULL, 0));
	assert_hs(0, hs_await(a, HSU_AWAIT_MS));
	assert_hs(0, hs_await(b, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(a, "counter", "c"), 10);
	assert_int_equal(hsu_counter_value(b, "counter", "c"), 3);
	assert_hs(0, hs_close(a));
	/* b still works after a is gone. */
	assert_hs(0, hs_send(b, "counter", "c", "inc", NULL, 0));
	assert_hs(0, hs_await(b, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(b, "counter", "c"), 4);
	assert_hs(0, hs_close(b));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Registration                                                         */
/* ------------------------------------------------------------------ */

static void test_register_errors(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(1, 0);
	hs_type t = hsu_counter_type("counter", HS_ON_ERROR_FAIL);

	assert_hs(HS_EINVAL, hs_register(NULL, &t));
	assert_hs(HS_EINVAL, hs_register(rt, NULL));

	hs_type bad = t;
	bad.name = NULL;
	assert_hs(HS_EINVAL, hs_register(rt, &bad));
	bad = t;
	bad.name = "";
	assert_hs(HS_EINVAL, hs_register(rt, &bad));
	bad = t;
	bad.apply = NULL;
	assert_hs(HS_EINVAL, hs_register(rt, &bad));
	bad = t;
	bad.encode = NULL;
	assert_hs(HS_EINVAL, hs_register(rt, &bad));
	bad = t;
	bad.decode = NULL;
	assert_hs(HS_EINVAL, hs_register(rt, &bad));
	bad = t;
	bad.state_size = 0;
	assert_hs(HS_EINVAL, hs_register(rt, &bad));

	char name[HS_NAME_MAX + 2];
	memset(name, 'n', HS_NAME_MAX + 1);
	name[HS_NAME_MAX + 1] = '\0';
	bad = t;
	bad.name = name;
	assert_hs(HS_ETOOLONG, hs_register(rt, &bad));
	/* None of the failed registrations left a type behind. */
	assert_hs(HS_ENOTYPE, hs_send(rt, "counter", "c", "inc", NULL, 0));

	/* Exactly HS_NAME_MAX bytes is fine; the name is copied. */
	name[HS_NAME_MAX] = '\0';
	hs_type longest = t;
	longest.name = name;
	assert_hs(0, hs_register(rt, &longest));
	char expect_name[HS_NAME_MAX + 1];
	memcpy(expect_name, name, sizeof expect_name);
	memset(name, 'z', HS_NAME_MAX); /* clobber the caller's copy */

	/* init and destroy are optional. */
	assert_hs(0, hs_register(rt, &t));
	assert_hs(HS_EEXIST, hs_register(rt, &t));
	hs_type other = hsu_counter_type("counter", HS_ON_ERROR_SKIP);
	assert_hs(HS_EEXIST, hs_register(rt, &other));

	/* The definition is copied: the caller's struct may go away. */
	char tname[] = "copied";
	hs_type tmp = hsu_counter_type(tname, HS_ON_ERROR_FAIL);
	assert_hs(0, hs_register(rt, &tmp));
	memset(&tmp, 0, sizeof tmp);
	memset(tname, 'x', sizeof tname - 1);

	assert_hs(0, hs_send(rt, "copied", "c", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, expect_name, "c", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "counter", "c", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "copied", "c"), 1);
	assert_int_equal(hsu_counter_value(rt, expect_name, "c"), 1);
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 1);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_register_while_running(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "counter", HS_ON_ERROR_FAIL);
	for (int i = 0; i < 1000; i++)
		assert_hs(0, hs_send(rt, "counter", "c", "inc", NULL, 0));
	hsu_register_counter(rt, "late", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_send(rt, "late", "c", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 1000);
	assert_int_equal(hsu_counter_value(rt, "late", "c"), 1);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Sending: input checks                                                */
/* ------------------------------------------------------------------ */

static void test_send_bad_input(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	char long_id[HS_ID_MAX + 2];
	memset(long_id, 'i', HS_ID_MAX + 1);
	long_id[HS_ID_MAX + 1] = '\0';
	char long_ev[HS_NAME_MAX + 2];
	memset(long_ev, 'e', HS_NAME_MAX + 1);
	long_ev[HS_NAME_MAX + 1] = '\0';
	char long_type[HS_NAME_MAX + 2];
	memset(long_type, 't', HS_NAME_MAX + 1);
	long_type[HS_NAME_MAX + 1] = '\0';

	assert_hs(HS_EINVAL, hs_send(NULL, "probe", "x", "inc", NULL, 0));
	assert_hs(HS_EINVAL, hs_send(rt, NULL, "x", "inc", NULL, 0));
	assert_hs(HS_EINVAL, hs_send(rt, "", "x", "inc", NULL, 0));
	assert_hs(HS_EINVAL, hs_send(rt, "probe", NULL, "inc", NULL, 0));
	assert_hs(HS_EINVAL, hs_send(rt, "probe", "", "inc", NULL, 0));
	assert_hs(HS_EINVAL, hs_send(rt, "probe", "x", NULL, NULL, 0));
	assert_hs(HS_EINVAL, hs_send(rt, "probe", "x", "", NULL, 0));
	assert_hs(HS_ETOOLONG, hs_send(rt, "probe", long_id, "inc", NULL, 0));
	assert_hs(HS_ETOOLONG, hs_send(rt, "probe", "x", long_ev, NULL, 0));
	int rc = hs_send(rt, long_type, "x", "inc", NULL, 0);
	if (rc != HS_ETOOLONG && rc != HS_ENOTYPE)
		fail_msg("long type name: %d (%s)", rc, hs_strerror(rc));
	assert_hs(HS_ENOTYPE, hs_send(rt, "nosuch", "x", "inc", NULL, 0));

	assert_hs(HS_EINVAL, hs_sendf(NULL, "probe", "x", "inc", "n:i", 1));
	assert_hs(HS_EINVAL, hs_sendf(rt, NULL, "x", "inc", "n:i", 1));
	assert_hs(HS_EINVAL, hs_sendf(rt, "probe", NULL, "inc", "n:i", 1));
	assert_hs(HS_EINVAL, hs_sendf(rt, "probe", "", "inc", "n:i", 1));
	assert_hs(HS_EINVAL, hs_sendf(rt, "probe", "x", NULL, "n:i", 1));
	assert_hs(HS_ETOOLONG,
		  hs_sendf(rt, "probe", long_id, "inc", "n:i", 1));
	assert_hs(HS_ENOTYPE, hs_sendf(rt, "nosuch", "x", "inc", "n:i", 1));

	/* Nothing reached an agent, no agent was created. */
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&probe_init_calls), 0);
	assert_int_equal(atomic_load(&hsu_applied), 0);
	hs_buf b = HS_BUF_INIT;
	assert_hs(HS_ENOAGENT, hs_deref(rt, "probe", "x", &b));

	/* An id of exactly HS_ID_MAX bytes and an event type of exactly
	 * HS_NAME_MAX bytes are fine. */
	char max_id[HS_ID_MAX + 1];
	memset(max_id, 'm', HS_ID_MAX);
	max_id[HS_ID_MAX] = '\0';
	char max_ev[HS_NAME_MAX + 1];
	memset(max_ev, 'e', HS_NAME_MAX);
	max_ev[HS_NAME_MAX] = '\0';
	assert_hs(0, hs_send(rt, "counter", max_id, "inc", NULL, 0));
	assert_hs(0, hs_sendf(rt, "counter", max_id, "add", "n:i", 2));
	assert_hs(0, hs_send(rt, "counter_skip", "e", max_ev, NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", max_id), 3);
	/* The counter does not know max_ev: its apply returned an error and
	 * the skip type dropped it, so it did arrive. */
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "counter_skip", "e", &st));
	assert_int_equal(st.skipped, 1);
	assert_string_equal(st.error_event, max_ev);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	/* The unknown event above was reported by the counter on purpose. */
	assert_int_equal(atomic_load(&hsu_cb_failures), 1);
}

static void test_send_bad_body(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "n:i", 5));
	assert_true(b.len > 1);

	/* Truncated. */
	assert_hs(HS_EBADMSG,
		  hs_send(rt, "counter", "c", "add", b.data, b.len - 1));
	/* Trailing bytes: two values. */
	uint8_t two[64];
	memcpy(two, b.data, b.len);
	two[b.len] = 0xc0; /* nil */
	assert_hs(HS_EBADMSG,
		  hs_send(rt, "counter", "c", "add", two, b.len + 1));
	/* A byte msgpack never uses. */
	uint8_t never[1] = {0xc1};
	assert_hs(HS_EBADMSG, hs_send(rt, "counter", "c", "add", never, 1));
	/* A string header longer than the data. */
	uint8_t short_str[3] = {0xa5, 'a', 'b'};
	assert_hs(HS_EBADMSG,
		  hs_send(rt, "counter", "c", "add", short_str, 3));
	/* NULL body with a length. */
	assert_hs(HS_EINVAL, hs_send(rt, "counter", "c", "add", NULL, 4));

	/* Bad formats. */
	assert_hs(HS_EFORMAT, hs_sendf(rt, "counter", "c", "add", "n:q", 1));
	assert_hs(HS_EFORMAT, hs_sendf(rt, "counter", "c", "add", "{n:i", 1));
	assert_hs(HS_EFORMAT, hs_sendf(rt, "counter", "c", "add", "[i", 1));

	/* Nothing was delivered, not even an agent created. */
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&hsu_applied), 0);
	int64_t v;
	assert_hs(HS_ENOAGENT, hsu_deref_n(rt, "counter", "c", &v));

	/* The good body and a body-less event go through. */
	assert_hs(0, hs_send(rt, "counter", "c", "add", b.data, b.len));
	assert_hs(0, hs_sendf(rt, "counter", "c", "add", "n:i", 10));
	assert_hs(0,
		  hs_sendf(rt, "counter", "c", "add", "{n:I}", (int64_t)100));
	assert_hs(0, hs_send(rt, "counter", "c", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 116);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_body_is_copied(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	/* Block the agent so the message waits in the mailbox while the
	 * caller's buffer is clobbered. */
	assert_hs(0, hs_send(rt, "probe", "p", "block", NULL, 0));
	wait_blocked();
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "n:i", 77));
	char ev[] = "body";
	char id[] = "p";
	assert_hs(0, hs_send(rt, "probe", id, ev, b.data, b.len));
	memset(b.data, 0xc1, b.len);
	memset(ev, 'x', sizeof ev - 1);
	id[0] = 'q';
	assert_hs(0, hs_send(rt, "probe", "p", "body", NULL, 0));
	atomic_store(&probe_gate, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	assert_int_equal(probe_count("p"), 3);
	assert_int_equal(probe_count("q"), 0);
	const probe_rec *r = probe_find("p", 1);
	assert_non_null(r);
	assert_string_equal(r->ev, "body");
	assert_int_equal(r->body_n, 77);
	assert_false(r->body_null);
	r = probe_find("p", 2);
	assert_non_null(r);
	assert_int_equal(r->body_len, 0);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Reading agents                                                       */
/* ------------------------------------------------------------------ */

static void test_deref_and_status_errors(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	assert_hs(0, hs_send(rt, "counter", "c", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "s", "prefix"));
	size_t prefix = b.len;
	assert_hs(HS_ENOAGENT, hs_deref(rt, "counter", "nobody", &b));
	assert_hs(HS_ENOAGENT, hs_deref(rt, "probe", "c", &b));
	assert_hs(HS_ENOTYPE, hs_deref(rt, "nosuch", "c", &b));
	assert_hs(HS_EINVAL, hs_deref(NULL, "counter", "c", &b));
	assert_hs(HS_EINVAL, hs_deref(rt, NULL, "c", &b));
	assert_hs(HS_EINVAL, hs_deref(rt, "counter", NULL, &b));
	assert_hs(HS_EINVAL, hs_deref(rt, "counter", "c", NULL));
	assert_int_equal(b.len, prefix); /* failures write nothing */

	/* Success appends after what the buffer holds. */
	assert_hs(0, hs_deref(rt, "counter", "c", &b));
	assert_true(b.len > prefix);
	assert_hs(0, hs_msgpack_check(b.data + prefix, b.len - prefix));
	int64_t v = 0;
	assert_hs(0, hs_get_i64(b.data + prefix, b.len - prefix, "n", &v));
	assert_int_equal(v, 1);
	hs_buf_free(&b);

	hs_agent_status st;
	memset(&st, 0x5a, sizeof st);
	hs_agent_status before = st;
	assert_hs(HS_ENOAGENT,
		  hs_agent_status_get(rt, "counter", "nobody", &st));
	assert_hs(HS_ENOTYPE, hs_agent_status_get(rt, "nosuch", "c", &st));
	assert_hs(HS_EINVAL, hs_agent_status_get(NULL, "counter", "c", &st));
	assert_hs(HS_EINVAL, hs_agent_status_get(rt, NULL, "c", &st));
	assert_hs(HS_EINVAL, hs_agent_status_get(rt, "counter", NULL, &st));
	assert_hs(HS_EINVAL, hs_agent_status_get(rt, "counter", "c", NULL));
	assert_memory_equal(&st, &before, sizeof st);
	assert_hs(0, hs_agent_status_get(rt, "counter", "c", &st));
	assert_int_equal(st.seq, 1);
	assert_int_equal(st.skipped, 0);
	assert_false(st.failed);
	assert_int_equal(st.error, 0);

	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

static void test_strerror(void **state)
{
	(void)state;
	static const int codes[] = {
#define HS_T_CODE(name, code, text) HS_##name,
		HS_ERRNO_MAP(HS_T_CODE)
#undef HS_T_CODE
	};
	const size_t n = sizeof codes / sizeof codes[0];
	assert_int_equal(n, 27);
	assert_string_equal(hs_strerror(HS_EAGAIN), "HS_EAGAIN: mailbox full");
	const char *ok = hs_strerror(HS_OK);
	assert_non_null(ok);
	assert_true(ok[0] != '\0');
	for (size_t i = 0; i < n; i++) {
		assert_true(codes[i] < 0);
		const char *s = hs_strerror(codes[i]);
		assert_non_null(s);
		assert_true(s[0] != '\0');
		assert_string_not_equal(s, ok);
		for (size_t j = 0; j < i; j++) {
			assert_true(codes[i] != codes[j]);
			assert_string_not_equal(s, hs_strerror(codes[j]));
		}
	}
	static const int unknown[] = {-28, -1000,     1,        2,
				      42,  INT32_MIN, INT32_MAX};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		const char *s = hs_strerror(unknown[i]);
		assert_non_null(s);
		assert_true(s[0] != '\0');
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(s, hs_strerror(codes[j]));
	}
}

/* ------------------------------------------------------------------ */
/* Agents and the handler context                                       */
/* ------------------------------------------------------------------ */

static void test_agent_created_on_first_message(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	hs_buf b = HS_BUF_INIT;
	assert_hs(HS_ENOAGENT, hs_deref(rt, "probe", "Gloria", &b));
	for (int i = 0; i < 5; i++)
		assert_hs(0, hs_send(rt, "probe", "Gloria", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&probe_init_calls), 1);
	pthread_mutex_lock(&probe_mu);
	assert_string_equal(probe_init_type, "probe");
	assert_string_equal(probe_init_id, "Gloria");
	pthread_mutex_unlock(&probe_mu);
	assert_int_equal(hsu_counter_value(rt, "probe", "Gloria"), 5);

	/* hs_ctx_self names the agent; hs_ctx_seq counts from 1. */
	for (int i = 0; i < 5; i++) {
		const probe_rec *r = probe_find("Gloria", i);
		assert_non_null(r);
		assert_string_equal(r->type, "probe");
		assert_string_equal(r->id, "Gloria");
		assert_int_equal(r->seq, (uint64_t)i + 1);
		assert_false(r->replaying);
	}

	/* A second agent gets its own init. */
	assert_hs(0, hs_send(rt, "probe", "Bertha", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&probe_init_calls), 2);
	pthread_mutex_lock(&probe_mu);
	assert_string_equal(probe_init_id, "Bertha");
	pthread_mutex_unlock(&probe_mu);
	assert_int_equal(hsu_counter_value(rt, "probe", "Bertha"), 1);
	assert_int_equal(hsu_counter_value(rt, "probe", "Gloria"), 5);
	hs_buf_free(&b);
	assert_int_equal(atomic_load(&probe_destroy_calls), 0);
	assert_hs(0, hs_close(rt));
	/* close releases every agent's state */
	assert_int_equal(atomic_load(&probe_destroy_calls), 2);
	hsu_assert_no_cb_failures();
}

static void test_init_error_fails_first_send(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	probe_init_fail_rc = HS_ERANGE;
	assert_hs(HS_ERANGE, hs_send(rt, "probe", "bad", "inc", NULL, 0));
	assert_hs(HS_ERANGE, hs_sendf(rt, "probe", "bad", "inc", "n:i", 1));
	assert_hs(0, hs_send(rt, "probe", "good", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(probe_count("bad"), 0);
	assert_int_equal(probe_count("good"), 1);
	hs_buf b = HS_BUF_INIT;
	assert_hs(HS_ENOAGENT, hs_deref(rt, "probe", "bad", &b));
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	/* only "good" had a state to release */
	assert_int_equal(atomic_load(&probe_destroy_calls), 1);
	hsu_assert_no_cb_failures();
}

static void test_unchanged_makes_no_transition(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	int wid = -1;
	assert_hs(0, hs_watch(rt, wrec_fn, &wrec_a, &wid));
	const char *evs[] = {"inc", "noop", "noop", "inc", "noop", "inc"};
	for (size_t i = 0; i < 6; i++)
		assert_hs(0, hs_send(rt, "probe", "u", evs[i], NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "probe", "u", &st));
	assert_int_equal(st.seq, 3);
	assert_int_equal(hsu_counter_value(rt, "probe", "u"), 3);
	assert_int_equal(atomic_load(&wrec_a.calls), 3);
	/* hs_ctx_seq is the seq the transition would get. */
	static const uint64_t want_seq[] = {1, 2, 2, 2, 3, 3};
	for (int i = 0; i < 6; i++) {
		const probe_rec *r = probe_find("u", i);
		assert_non_null(r);
		assert_string_equal(r->ev, evs[i]);
		assert_int_equal(r->seq, want_seq[i]);
	}
	for (int i = 0; i < 3; i++) {
		const wrec_entry *e = wrec_find(&wrec_a, "u", i);
		assert_non_null(e);
		assert_int_equal(e->seq, (uint64_t)i + 1);
		assert_string_equal(e->ev, "inc");
	}

	/* Only noops: the agent exists, at seq 0. */
	assert_hs(0, hs_send(rt, "probe", "quiet", "noop", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_agent_status_get(rt, "probe", "quiet", &st));
	assert_int_equal(st.seq, 0);
	assert_int_equal(hsu_counter_value(rt, "probe", "quiet"), 0);
	assert_int_equal(atomic_load(&wrec_a.calls), 3);
	assert_hs(0, hs_unwatch(rt, wid));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_watcher_sees_transition(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	int wid = -1;
	assert_hs(0, hs_watch(rt, wrec_fn, &wrec_a, &wid));
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "n:i", 5));
	assert_hs(0, hs_send(rt, "counter", "w", "add", b.data, b.len));
	assert_hs(0, hs_send(rt, "counter", "w", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	assert_int_equal(wrec_count(&wrec_a, "w"), 2);
	const wrec_entry *e = wrec_find(&wrec_a, "w", 0);
	assert_non_null(e);
	assert_string_equal(e->type, "counter");
	assert_string_equal(e->id, "w");
	assert_string_equal(e->ev, "add");
	assert_int_equal(e->seq, 1);
	assert_int_equal(e->old_n, 0);
	assert_int_equal(e->new_n, 5);
	assert_int_equal(e->body_len, b.len);
	assert_memory_equal(e->body, b.data, b.len);
	e = wrec_find(&wrec_a, "w", 1);
	assert_non_null(e);
	assert_string_equal(e->ev, "inc");
	assert_int_equal(e->seq, 2);
	assert_int_equal(e->old_n, 5);
	assert_int_equal(e->new_n, 6);
	assert_int_equal(e->body_len, 0);
	hs_buf_free(&b);
	assert_hs(0, hs_unwatch(rt, wid));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_event_accessors(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	assert_hs(0, hs_send(rt, "probe", "b", "body", NULL, 0));
	assert_hs(0, hs_sendf(rt, "probe", "b", "body", "n:i", 9));
	assert_hs(0, hs_sendf(rt, "probe", "b", "body", ""));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	const probe_rec *r = probe_find("b", 0);
	assert_non_null(r);
	assert_int_equal(r->body_len, 0);
	assert_int_equal(r->body_n, -1);
	r = probe_find("b", 1);
	assert_non_null(r);
	assert_false(r->body_null);
	assert_true(r->body_len > 0);
	assert_int_equal(r->body_n, 9);
	r = probe_find("b", 2);
	assert_non_null(r);
	assert_int_equal(r->body_len, 1); /* an empty map */
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Sending from handlers                                                */
/* ------------------------------------------------------------------ */

static void test_ctx_send_after_transition(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	int wid = -1;
	assert_hs(0, hs_watch(rt, sender_watcher, NULL, &wid));
	/* A increments itself and sends "check" to B; when B handles it,
	 * A's transition must be complete: its watchers have run. */
	assert_hs(0, hs_sendf(rt, "probe", "A", "send", "type:s to:s ev:s",
			      "probe", "B", "check"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	const probe_rec *a = probe_find("A", 0);
	assert_non_null(a);
	assert_hs(0, a->rc);
	const probe_rec *b = probe_find("B", 0);
	assert_non_null(b);
	assert_true(b->watched_before); /* A's transition was done */
	assert_int_equal(b->seen, 1);
	assert_int_equal(hsu_counter_value(rt, "probe", "B"), 1);

	/* Sending to a counter from a handler. */
	assert_hs(0, hs_sendf(rt, "probe", "A", "send", "type:s to:s ev:s",
			      "counter", "c", "add"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 1);
	assert_int_equal(hsu_counter_value(rt, "probe", "A"), 2);
	assert_hs(0, hs_unwatch(rt, wid));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_ctx_send_discarded_on_error(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	/* Skip mode: the failing event is dropped and its send with it. */
	assert_hs(0, hs_sendf(rt, "probe_skip", "S", "send",
			      "type:s to:s ev:s then:s", "counter", "c1",
			      "add", "fail"));
	assert_hs(0, hs_send(rt, "probe_skip", "S", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	const probe_rec *r = probe_find("S", 0);
	assert_non_null(r);
	assert_hs(0, r->rc); /* the send was accepted at the call */
	int64_t v;
	assert_hs(HS_ENOAGENT, hsu_deref_n(rt, "counter", "c1", &v));
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "probe_skip", "S", &st));
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.seq, 1);

	/* Fail mode: not delivered on failure, nor after the restart. */
	assert_hs(0,
		  hs_sendf(rt, "probe", "F", "send", "type:s to:s ev:s then:s",
			   "counter", "c2", "add", "fail"));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_restart(rt, "probe", "F", 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(HS_ENOAGENT, hsu_deref_n(rt, "counter", "c2", &v));
	assert_int_equal(hsu_drop_count(), 0);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* The header says sends are discarded only when apply returns an error,
 * so a handler that sends and returns HS_UNCHANGED still sends. */
static void test_ctx_send_from_unchanged_is_delivered(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	assert_hs(0,
		  hs_sendf(rt, "probe", "N", "send", "type:s to:s ev:s then:s",
			   "counter", "c", "add", "noop"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 1);
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "probe", "N", &st));
	assert_int_equal(st.seq, 0);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_ctx_send_bad_input(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	assert_hs(0, hs_send(rt, "probe", "bs", "badsend", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	static const int want[] = {
		HS_EINVAL,   /* NULL type */
		HS_EINVAL,   /* NULL id */
		HS_EINVAL,   /* NULL event type */
		HS_EINVAL,   /* empty id */
		HS_ETOOLONG, /* id of HS_ID_MAX + 1 */
		HS_ENOTYPE,  /* unknown type */
		HS_EBADMSG,  /* trailing bytes */
		HS_EBADMSG,  /* truncated */
		HS_EINVAL,   /* NULL body with a length */
		HS_EFORMAT,  /* bad format */
		HS_EINVAL,   /* empty event type */
	};
	assert_int_equal(badsend_n, (int)(sizeof want / sizeof want[0]));
	for (int i = 0; i < badsend_n; i++) {
		if (badsend_rc[i] != want[i])
			print_error("bad hs_ctx_send #%d\n", i);
		assert_hs(want[i], badsend_rc[i]);
	}
	/* Nothing was sent; the handler's transition itself went through. */
	assert_int_equal(hsu_counter_value(rt, "probe", "bs"), 1);
	int64_t v;
	assert_hs(HS_ENOAGENT, hsu_deref_n(rt, "counter", "x", &v));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_ctx_send_order_and_self(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	/* Several sends from one apply arrive in the order sent. */
	assert_hs(0, hs_sendf(rt, "probe", "m", "send_many", "to:s k:i", "c",
			      50));
	/* A handler may send to its own agent: delivered after this
	 * transition, as a new message. */
	assert_hs(0, hs_sendf(rt, "probe", "self", "send", "type:s to:s ev:s",
			      "probe", "self", "inc"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 50);
	assert_int_equal(hsu_counter_value(rt, "probe", "self"), 2);
	const probe_rec *r = probe_find("self", 1);
	assert_non_null(r);
	assert_string_equal(r->ev, "inc");
	assert_int_equal(r->seq, 2);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures(); /* includes the order checks */
}

static void test_batch_lets_others_run(void **state)
{
	(void)state;
	/* One worker, batch 10: a busy agent yields to a waiting one after
	 * at most 10 messages. */
	hs_runtime *rt = hsu_open(1, 10);
	hs_type p = probe_type("probe", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_register(rt, &p));
	assert_hs(0, hs_send(rt, "probe", "busy", "block", NULL, 0));
	wait_blocked();
	for (int i = 0; i < 100; i++)
		assert_hs(0, hs_send(rt, "probe", "busy", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "probe", "other", "inc", NULL, 0));
	atomic_store(&probe_gate, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	int pos = -1;
	pthread_mutex_lock(&probe_mu);
	for (int k = 0; k < probe_n && k < PROBE_MAX; k++)
		if (strcmp(probe_log[k].id, "other") == 0)
			pos = k;
	int total = probe_n;
	pthread_mutex_unlock(&probe_mu);
	assert_int_equal(total, 102);
	/* "block", then at most one more turn of 10 */
	if (pos < 0 || pos > 11)
		print_error("\"other\" handled at position %d\n", pos);
	assert_true(pos >= 1 && pos <= 11);
	assert_int_equal(hsu_counter_value(rt, "probe", "busy"), 101);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Time and randomness                                                  */
/* ------------------------------------------------------------------ */

static void test_ctx_now_default_clock(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	int wid = -1;
	assert_hs(0, hs_watch(rt, wrec_fn, &wrec_a, &wid));
	int64_t before = hsu_realtime_ns();
	for (int i = 0; i < 60; i++)
		assert_hs(0, hs_send(rt, "probe", "t", i % 3 ? "inc" : "noop",
				     NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	int64_t after = hsu_realtime_ns();
	int64_t prev = INT64_MIN; /* time of the previous transition */
	int transitions = 0;
	for (int i = 0; i < 60; i++) {
		const probe_rec *r = probe_find("t", i);
		assert_non_null(r);
		assert_true(r->now >= prev);
		if (strcmp(r->ev, "inc") == 0)
			prev = r->now;
		/* CLOCK_REALTIME (a second of slack for clock steps). */
		assert_true(r->now >= before - 1000000000LL);
		assert_true(r->now <= after + 1000000000LL);
		if (strcmp(r->ev, "inc") == 0) {
			const wrec_entry *e =
				wrec_find(&wrec_a, "t", transitions++);
			assert_non_null(e);
			assert_int_equal(e->seq, r->seq);
			assert_int_equal(e->time_ns, r->now);
		}
	}
	assert_int_equal(transitions, 40);
	assert_int_equal(wrec_count(&wrec_a, "t"), 40);
	assert_hs(0, hs_unwatch(rt, wid));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

typedef struct fake_clock {
	atomic_llong next;
	long long step;
	atomic_int calls;
} fake_clock;

static int64_t fake_clock_fn(void *udata)
{
	fake_clock *c = udata;
	atomic_fetch_add(&c->calls, 1);
	return atomic_fetch_add(&c->next, c->step);
}

static void run_with_clock(fake_clock *clk)
{
	long long start = atomic_load(&clk->next);
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.clock = fake_clock_fn;
	o.clock_udata = clk;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hs_type p = probe_type("probe", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_register(rt, &p));
	int wid = -1;
	assert_hs(0, hs_watch(rt, wrec_fn, &wrec_a, &wid));
	for (int i = 0; i < 30; i++) {
		assert_hs(0, hs_send(rt, "probe", "k", i % 4 ? "inc" : "noop",
				     NULL, 0));
		assert_hs(0, hs_send(rt, "probe", "l", "inc", NULL, 0));
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	long long end = atomic_load(&clk->next);
	assert_true(atomic_load(&clk->calls) > 0);
	const char *ids[] = {"k", "l"};
	for (int a = 0; a < 2; a++) {
		int64_t prev = INT64_MIN;
		int transitions = 0;
		for (int i = 0; i < 30; i++) {
			const probe_rec *r = probe_find(ids[a], i);
			assert_non_null(r);
			/* never earlier than the previous transition (an
			 * UNCHANGED result is not a transition) */
			assert_true(r->now >= prev);
			if (strcmp(r->ev, "inc") == 0)
				prev = r->now;
			/* a value the clock returned (or held back to stay
			 * monotonic) */
			long long lo = clk->step > 0 ? start : end;
			long long hi = clk->step > 0 ? end : start;
			if (clk->step > 0) {
				assert_true(r->now >= lo && r->now <= hi);
			} else {
				assert_true(r->now <= hi);
			}
			if (strcmp(r->ev, "inc") == 0) {
				const wrec_entry *e = wrec_find(
					&wrec_a, ids[a], transitions++);
				assert_non_null(e);
				assert_int_equal(e->time_ns, r->now);
			}
		}
	}
	assert_hs(0, hs_unwatch(rt, wid));
	assert_hs(0, hs_close(rt));
}

static void test_custom_clock(void **state)
{
	(void)state;
	static fake_clock fwd;
	atomic_store(&fwd.next, 5000000000000000000LL);
	fwd.step = 1000;
	atomic_store(&fwd.calls, 0);
	run_with_clock(&fwd);
	hsu_assert_no_cb_failures();
}

static void test_ctx_now_never_goes_back(void **state)
{
	(void)state;
	/* A clock that runs backwards: hs_ctx_now must still not decrease
	 * per agent. */
	static fake_clock back;
	atomic_store(&back.next, 4000000000000000000LL);
	back.step = -1000;
	atomic_store(&back.calls, 0);
	run_with_clock(&back);
	hsu_assert_no_cb_failures();
}

static void collect_random(uint64_t out[][3], int n_events)
{
	hs_runtime *rt = open_std(2);
	for (int i = 0; i < n_events; i++) {
		assert_hs(0, hs_send(rt, "probe", "r1", "rand", NULL, 0));
		assert_hs(0, hs_send(rt, "probe", "r2", "rand", NULL, 0));
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	for (int i = 0; i < n_events; i++) {
		const probe_rec *a = probe_find("r1", i);
		const probe_rec *b = probe_find("r2", i);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(a->seq, (uint64_t)i + 1);
		memcpy(out[2 * i], a->rnd, sizeof a->rnd);
		memcpy(out[2 * i + 1], b->rnd, sizeof b->rnd);
	}
	assert_hs(0, hs_close(rt));
}

static void test_ctx_random_deterministic(void **state)
{
	(void)state;
	enum {
		N = 8
	};
	uint64_t first[2 * N][3], second[2 * N][3];
	collect_random(first, N);
	pthread_mutex_lock(&probe_mu);
	probe_n = 0;
	pthread_mutex_unlock(&probe_mu);
	collect_random(second, N);
	/* Same agent, seq and call index: same numbers, across runtimes. */
	assert_memory_equal(first, second, sizeof first);
	/* The numbers differ by call index, seq and agent (a collision of
	 * 64-bit values would be a 2^-64 accident). */
	for (int i = 0; i < 2 * N; i++) {
		assert_true(first[i][0] != first[i][1]);
		assert_true(first[i][1] != first[i][2]);
		assert_true(first[i][0] != first[i][2]);
		for (int j = 0; j < i; j++)
			assert_true(first[i][0] != first[j][0]);
	}

	/* Determined by (agent, seq, index) only: an UNCHANGED apply at seq 1
	 * sees the same numbers as the CHANGED apply that then gets seq 1. */
	hs_runtime *rt = open_std(1);
	pthread_mutex_lock(&probe_mu);
	probe_n = 0;
	pthread_mutex_unlock(&probe_mu);
	assert_hs(0, hs_send(rt, "probe", "r1", "rand_noop", NULL, 0));
	assert_hs(0, hs_send(rt, "probe", "r1", "rand", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	const probe_rec *a = probe_find("r1", 0);
	const probe_rec *b = probe_find("r1", 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->seq, 1);
	assert_int_equal(b->seq, 1);
	assert_memory_equal(a->rnd, b->rnd, sizeof a->rnd);
	assert_memory_equal(a->rnd, first[0], sizeof a->rnd);
	assert_false(a->replaying);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Error modes and restart                                              */
/* ------------------------------------------------------------------ */

static void send_expect(hs_runtime *rt, const char *type, const char *id,
			int n)
{
	assert_hs(0, hs_sendf(rt, type, id, "expect", "n:i", n));
}

static void test_fail_mode(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	send_expect(rt, "counter", "c", 1);
	send_expect(rt, "counter", "c", 2);
	assert_hs(0, hs_send(rt, "counter", "c", "fail", NULL, 0));
	for (int n = 3; n <= 5; n++)
		send_expect(rt, "counter", "c", n);
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));

	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "counter", "c", &st));
	assert_true(st.failed);
	assert_int_equal(st.seq, 2);
	assert_int_equal(st.skipped, 0);
	assert_hs(HS_ERANGE, st.error);
	assert_string_equal(st.error_event, "fail");
	assert_string_equal(st.error_msg, "boom 42");
	/* The state is the one before the failing event. */
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 2);
	assert_int_equal(atomic_load(&hsu_applied), 3);

	/* A failed agent keeps accepting messages; other agents go on. */
	send_expect(rt, "counter", "c", 6);
	assert_hs(0, hs_send(rt, "counter", "other", "inc", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "other"), 1);
	assert_int_equal(atomic_load(&hsu_applied), 4);

	assert_hs(0, hs_restart(rt, "counter", "c", 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 6);
	assert_hs(0, hs_agent_status_get(rt, "counter", "c", &st));
	assert_false(st.failed);
	assert_int_equal(st.error, 0);
	assert_int_equal(st.seq, 6);
	assert_int_equal(atomic_load(&hsu_applied), 8);
	assert_int_equal(hsu_drop_count(), 0);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures(); /* includes the order checks */
}

static void test_error_message(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	assert_hs(0, hs_send(rt, "probe", "p", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "probe", "p", "fail", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "probe", "p", &st));
	assert_true(st.failed);
	assert_hs(HS_ERANGE, st.error);
	assert_string_equal(st.error_event, "fail");
	assert_string_equal(st.error_msg, "probe failed at fail");
	assert_hs(0, hs_restart(rt, "probe", "p", 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* A failure without hs_ctx_set_error has an empty message. */
	assert_hs(0,
		  hs_send(rt, "counter_skip", "q", "unknown-event", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_agent_status_get(rt, "counter_skip", "q", &st));
	assert_int_equal(st.skipped, 1);
	assert_false(st.failed);
	assert_string_equal(st.error_msg, "");
	assert_hs(0, hs_close(rt));
	assert_int_equal(atomic_load(&hsu_cb_failures), 1); /* on purpose */
}

static void test_restart_drop_pending(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	assert_hs(0, hs_send(rt, "counter", "d", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "counter", "d", "fail", NULL, 0));
	for (int n = 1; n <= 3; n++)
		assert_hs(0, hs_sendf(rt, "counter", "d", "add", "n:i", n));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_drop_count(), 0);
	assert_hs(0, hs_restart(rt, "counter", "d", HS_RESTART_DROP_PENDING));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_drop_count(), 3);
	pthread_mutex_lock(&hsu_drop_log.mu);
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		hsu_drop_rec *r = &hsu_drop_log.recs[i];
		assert_string_equal(r->type, "counter");
		assert_string_equal(r->id, "d");
		assert_string_equal(r->event_type, "add");
		assert_true(r->n >= 1 && r->n <= 3);
		seen |= 1 << r->n;
	}
	pthread_mutex_unlock(&hsu_drop_log.mu);
	assert_int_equal(seen, 0xe);
	assert_int_equal(hsu_counter_value(rt, "counter", "d"), 1);

	/* The agent goes on with new messages. */
	assert_hs(0, hs_sendf(rt, "counter", "d", "add", "n:i", 10));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "d"), 11);
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "counter", "d", &st));
	assert_false(st.failed);
	assert_int_equal(st.seq, 2);
	assert_hs(0, hs_close(rt));
	assert_int_equal(hsu_drop_count(), 3);
	hsu_assert_no_cb_failures();
}

static void test_restart_errors(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	assert_hs(0, hs_send(rt, "counter", "ok", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(HS_EINVAL, hs_restart(rt, "counter", "ok", 0));
	assert_hs(HS_EINVAL,
		  hs_restart(rt, "counter", "ok", HS_RESTART_DROP_PENDING));
	assert_hs(HS_ENOAGENT, hs_restart(rt, "counter", "nobody", 0));
	assert_hs(HS_ENOTYPE, hs_restart(rt, "nosuch", "ok", 0));
	assert_hs(HS_EINVAL, hs_restart(NULL, "counter", "ok", 0));
	assert_hs(HS_EINVAL, hs_restart(rt, NULL, "ok", 0));
	assert_hs(HS_EINVAL, hs_restart(rt, "counter", NULL, 0));

	/* Restarting twice: the second finds a healthy agent. */
	assert_hs(0, hs_send(rt, "counter", "f", "fail", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_restart(rt, "counter", "f", 0));
	assert_hs(HS_EINVAL, hs_restart(rt, "counter", "f", 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "ok"), 1);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_skip_mode(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	int wid = -1;
	assert_hs(0, hs_watch(rt, wrec_fn, &wrec_a, &wid));
	const char *evs[] = {"inc", "fail", "inc", "fail", "inc"};
	for (int i = 0; i < 5; i++)
		assert_hs(0,
			  hs_send(rt, "counter_skip", "s", evs[i], NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "counter_skip", "s", &st));
	assert_false(st.failed);
	assert_int_equal(st.skipped, 2);
	assert_int_equal(st.seq, 3);
	assert_int_equal(hsu_counter_value(rt, "counter_skip", "s"), 3);
	assert_int_equal(atomic_load(&wrec_a.calls), 3);
	for (int i = 0; i < 3; i++) {
		const wrec_entry *e = wrec_find(&wrec_a, "s", i);
		assert_non_null(e);
		assert_int_equal(e->seq, (uint64_t)i + 1);
		assert_string_equal(e->ev, "inc");
	}
	assert_hs(HS_EINVAL, hs_restart(rt, "counter_skip", "s", 0));
	assert_int_equal(hsu_drop_count(), 0);
	assert_hs(0, hs_unwatch(rt, wid));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Await                                                                */
/* ------------------------------------------------------------------ */

static void test_await_timeout(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	assert_hs(0, hs_sendf(rt, "probe", "z", "sleep", "ms:i", 400));
	assert_hs(HS_ETIMEDOUT, hs_await(rt, 20));
	assert_hs(HS_ETIMEDOUT, hs_await(rt, 0));
	assert_hs(0, hs_await(rt, -1));
	assert_int_equal(hsu_counter_value(rt, "probe", "z"), 1);
	/* Idle: a zero timeout is enough. */
	assert_hs(0, hs_await(rt, 0));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_await_waits_for_chains(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	/* A -> B (probe "check" of A) and A -> counter: the runtime is only
	 * idle once the sent messages are handled too. */
	for (int i = 0; i < 20; i++)
		assert_hs(0,
			  hs_sendf(rt, "probe", "A", "send",
				   "type:s to:s ev:s", "counter", "c", "inc"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 20);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* hs_send_wait (in memory)                                             */
/* ------------------------------------------------------------------ */

static void test_send_wait(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	hs_receipt rc_out = {77, 77};
	assert_hs(0,
		  hs_send_wait(rt, "counter", "c", "inc", NULL, 0, &rc_out));
	assert_int_equal(rc_out.seq, 1);
	assert_int_equal(rc_out.gseq, 0); /* in memory */
	/* Returned after the handling: the state is there already. */
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 1);
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "n:i", 5));
	assert_hs(0, hs_send_wait(rt, "counter", "c", "add", b.data, b.len,
				  &rc_out));
	assert_int_equal(rc_out.seq, 2);
	assert_int_equal(hsu_counter_value(rt, "counter", "c"), 6);
	/* No change: seq 0. */
	assert_hs(0,
		  hs_send_wait(rt, "counter", "c", "noop", NULL, 0, &rc_out));
	assert_int_equal(rc_out.seq, 0);
	assert_int_equal(rc_out.gseq, 0);
	assert_hs(0, hs_send_wait(rt, "counter", "c", "inc", NULL, 0, NULL));

	/* Input errors as hs_send; the receipt is not written. */
	rc_out = (hs_receipt){77, 77};
	assert_hs(HS_EINVAL,
		  hs_send_wait(NULL, "counter", "c", "inc", NULL, 0, &rc_out));
	assert_hs(HS_EINVAL,
		  hs_send_wait(rt, "counter", "", "inc", NULL, 0, &rc_out));
	assert_hs(HS_ENOTYPE,
		  hs_send_wait(rt, "nosuch", "c", "inc", NULL, 0, &rc_out));
	assert_hs(HS_EBADMSG, hs_send_wait(rt, "counter", "c", "add", b.data,
					   b.len - 1, &rc_out));
	assert_int_equal(rc_out.seq, 77);
	assert_int_equal(rc_out.gseq, 77);

	/* apply's error comes back, in both error modes. */
	assert_hs(HS_ERANGE, hs_send_wait(rt, "counter_skip", "s", "fail",
					  NULL, 0, &rc_out));
	assert_int_equal(rc_out.seq, 77);
	assert_hs(HS_ERANGE,
		  hs_send_wait(rt, "counter", "f", "fail", NULL, 0, &rc_out));
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "counter", "f", &st));
	assert_true(st.failed);
	assert_hs(0, hs_restart(rt, "counter", "f", 0));
	assert_hs(0,
		  hs_send_wait(rt, "counter", "f", "inc", NULL, 0, &rc_out));
	assert_int_equal(rc_out.seq, 1);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

typedef struct waiter_args {
	hs_runtime *rt;
	int rc;
	hs_receipt receipt;
	atomic_int done;
} waiter_args;

static void *waiter_main(void *arg)
{
	waiter_args *w = arg;
	w->rc = hs_send_wait(w->rt, "counter", "f", "inc", NULL, 0,
			     &w->receipt);
	atomic_store(&w->done, 1);
	return NULL;
}

static void test_send_wait_on_failed_agent(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	assert_hs(0, hs_send(rt, "counter", "f", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "counter", "f", "fail", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	/* The message waits with the failed agent until the restart (or,
	 * if the thread is late, arrives after it): handled either way. */
	waiter_args w = {rt, 12345, {0, 0}, 0};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	hsu_sleep_ms(50);
	assert_int_equal(atomic_load(&w.done), 0); /* never before */
	assert_hs(0, hs_restart(rt, "counter", "f", 0));
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_hs(0, w.rc);
	assert_int_equal(w.receipt.seq, 2);
	assert_int_equal(hsu_counter_value(rt, "counter", "f"), 2);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_resident_and_last_error_in_memory(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	assert_int_equal(hs_resident(rt), 0);
	assert_hs(0, hs_send(rt, "counter", "a", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "counter", "b", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "probe", "a", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hs_resident(rt), 3);
	assert_int_equal(hs_resident(NULL), 0);
	char buf[64];
	memset(buf, 'x', sizeof buf);
	hs_last_error(rt, buf, sizeof buf);
	assert_string_equal(buf, "");
	assert_hs(0, hs_close(rt));
}

/* ------------------------------------------------------------------ */
/* Close                                                                */
/* ------------------------------------------------------------------ */

static void test_close_handles_pending(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	int wid = -1;
	assert_hs(0, hs_watch(rt, wrec_fn, &wrec_a, &wid));
	enum {
		AGENTS = 4,
		EACH = 5000
	};
	for (int i = 0; i < EACH; i++) {
		for (int a = 0; a < AGENTS; a++) {
			char id[8];
			snprintf(id, sizeof id, "c%d", a);
			assert_hs(0, hs_sendf(rt, "counter", id, "expect",
					      "n:i", i + 1));
		}
	}
	assert_hs(0, hs_close(rt));
	assert_int_equal(atomic_load(&hsu_applied), AGENTS * EACH);
	assert_int_equal(atomic_load(&wrec_a.calls), AGENTS * EACH);
	assert_int_equal(hsu_drop_count(), 0);
	hsu_assert_no_cb_failures();
}

static void test_close_with_failed_agent(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	assert_hs(0, hs_send(rt, "counter", "bad", "fail", NULL, 0));
	for (int n = 1; n <= 3; n++)
		assert_hs(0, hs_sendf(rt, "counter", "bad", "add", "n:i", n));
	assert_hs(0, hs_send(rt, "counter", "good", "inc", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	/* Queued at a healthy agent: handled by close. */
	for (int i = 0; i < 100; i++)
		assert_hs(0, hs_send(rt, "counter", "good", "inc", NULL, 0));
	assert_hs(HS_EFAILED, hs_close(rt));
	assert_int_equal(hsu_drop_count(), 3);
	int seen = 0;
	pthread_mutex_lock(&hsu_drop_log.mu);
	for (int i = 0; i < 3; i++) {
		hsu_drop_rec *r = &hsu_drop_log.recs[i];
		assert_string_equal(r->type, "counter");
		assert_string_equal(r->id, "bad");
		assert_string_equal(r->event_type, "add");
		assert_true(r->n >= 1 && r->n <= 3);
		seen |= 1 << r->n;
	}
	pthread_mutex_unlock(&hsu_drop_log.mu);
	assert_int_equal(seen, 0xe);
	/* 1 fail + 101 incs at "good" */
	assert_int_equal(atomic_load(&hsu_applied), 102);
	hsu_assert_no_cb_failures();
}

static void test_close_with_failed_agent_nothing_held(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(1);
	assert_hs(0, hs_send(rt, "counter", "bad", "fail", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	/* Nothing is discarded, so close succeeds. */
	assert_hs(0, hs_close(rt));
	assert_int_equal(hsu_drop_count(), 0);
	hsu_assert_no_cb_failures();
}

typedef struct closer {
	hs_runtime *rt;
	int rc;
	atomic_int done;
} closer;

static void *closer_main(void *arg)
{
	closer *c = arg;
	c->rc = hs_close(c->rt);
	atomic_store(&c->done, 1);
	return NULL;
}

static void test_send_during_close(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	/* "blk" blocks inside apply; when let go it sends to counter
	 * "sink". While it blocks, hs_close cannot finish, so rt stays
	 * valid for the sends below. */
	assert_hs(0, hs_sendf(rt, "probe", "blk", "block", "to:s", "sink"));
	wait_blocked();

	closer c = {rt, 12345, 0};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, closer_main, &c), 0);

	/* Sends from outside succeed until close has begun, then fail with
	 * HS_ECLOSED. */
	int accepted = 0, rc = 0;
	for (int i = 0; i < 20000; i++) {
		rc = hs_send(rt, "counter", "x", "inc", NULL, 0);
		if (rc != 0)
			break;
		accepted++;
		hsu_sleep_ms(1);
	}
	if (rc != HS_ECLOSED)
		atomic_store(&probe_gate, 1);
	assert_hs(HS_ECLOSED, rc);
	assert_hs(HS_ECLOSED, hs_send(rt, "counter", "x", "inc", NULL, 0));
	assert_hs(HS_ECLOSED, hs_send(rt, "counter", "new", "inc", NULL, 0));
	assert_hs(HS_ECLOSED, hs_sendf(rt, "counter", "x", "add", "n:i", 1));
	assert_int_equal(atomic_load(&c.done), 0);

	/* Let the handler go: its send happens while closing. */
	atomic_store(&probe_gate, 1);
	assert_int_equal(pthread_join(th, NULL), 0);

	const probe_rec *r = probe_find("blk", 0);
	assert_non_null(r);
	int drops = hsu_drop_count();
	print_message("handler's send during close: %s; %d sends accepted "
		      "before close began\n",
		      r->rc == 0 ? "accepted, then dropped" : "refused",
		      accepted);
	if (r->rc == 0) {
		/* Accepted at the call, discarded at delivery. */
		assert_int_equal(drops, 1);
		assert_string_equal(hsu_drop_log.recs[0].type, "counter");
		assert_string_equal(hsu_drop_log.recs[0].id, "sink");
		assert_string_equal(hsu_drop_log.recs[0].event_type, "inc");
		assert_int_equal(hsu_drop_log.recs[0].n, 7);
	} else {
		/* Refused at the call. */
		assert_hs(HS_ECLOSED, r->rc);
		assert_int_equal(drops, 0);
	}
	/* HS_EFAILED is for messages held by failed agents; a handler's
	 * send cut off by the close is not a failure. */
	assert_hs(0, c.rc);
	/* Every accepted message at the healthy "x" was handled, nothing
	 * reached "sink". */
	assert_int_equal(atomic_load(&hsu_applied), accepted + 1);
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Watchers                                                             */
/* ------------------------------------------------------------------ */

typedef struct sender_args {
	hs_runtime *rt;
	int n;
	atomic_int *stop;
} sender_args;

static void *sender_main(void *arg)
{
	sender_args *s = arg;
	for (int i = 0; i < s->n && !atomic_load(s->stop); i++) {
		char id[8];
		snprintf(id, sizeof id, "w%d", i % 4);
		int rc = hs_send(s->rt, "counter", id, "inc", NULL, 0);
		CB_CHECK_EQ(rc, 0);
	}
	return NULL;
}

static void count_watcher(void *udata, const hs_transition *t)
{
	(void)t;
	wrec *w = udata;
	if (atomic_load(&w->stopped))
		atomic_fetch_add(&w->after_stop, 1);
	atomic_fetch_add(&w->calls, 1);
}

static void test_watch_unwatch(void **state)
{
	(void)state;
	hs_runtime *rt = open_std(2);
	int id_a = -1, id_b = -1;
	assert_hs(HS_EINVAL, hs_watch(rt, NULL, NULL, &id_a));
	assert_hs(HS_EINVAL, hs_watch(NULL, count_watcher, &wrec_a, &id_a));
	assert_int_equal(id_a, -1); /* failures write no out-parameter */
	assert_hs(0, hs_watch(rt, count_watcher, &wrec_a, &id_a));
	assert_hs(0, hs_watch(rt, count_watcher, &wrec_b, &id_b));
	assert_true(id_a != id_b);

	/* Unwatch while transitions are being made on other threads. */
	atomic_int stop = 0;
	sender_args sa = {rt, 20000, &stop};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, sender_main, &sa), 0);
	while (atomic_load(&wrec_a.calls) < 100 &&
	       atomic_load(&hsu_changed) < 20000)
		hsu_sleep_ms(1);
	assert_hs(0, hs_unwatch(rt, id_a));
	atomic_store(&wrec_a.stopped, 1);
	int at_unwatch = atomic_load(&wrec_a.calls);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	for (int i = 0; i < 100; i++)
		assert_hs(0, hs_send(rt, "counter", "w0", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	assert_int_equal(atomic_load(&wrec_a.after_stop), 0);
	assert_int_equal(atomic_load(&wrec_a.calls), at_unwatch);
	/* The other watcher saw everything. */
	assert_int_equal(atomic_load(&wrec_b.calls), 20100);
	assert_int_equal(atomic_load(&hsu_changed), 20100);

	assert_hs(HS_ENOTFOUND, hs_unwatch(rt, id_a));
	assert_hs(HS_ENOTFOUND, hs_unwatch(rt, id_a + id_b + 1000));
	assert_hs(0, hs_unwatch(rt, id_b));
	assert_hs(HS_ENOTFOUND, hs_unwatch(rt, id_b));
	assert_hs(0, hs_send(rt, "counter", "w0", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&wrec_b.calls), 20100);

	/* A watcher added later sees only later transitions. */
	int id_c = -1;
	wrec_reset(&wrec_a);
	assert_hs(0, hs_watch(rt, wrec_fn, &wrec_a, &id_c));
	assert_hs(0, hs_send(rt, "counter", "w0", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&wrec_a.calls), 1);
	const wrec_entry *e = wrec_find(&wrec_a, "w0", 0);
	assert_non_null(e);
	assert_int_equal(e->seq, (uint64_t)e->new_n);
	assert_hs(0, hs_unwatch(rt, id_c));
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_open_close_defaults),
		T(test_open_close_options),
		T(test_two_runtimes_are_independent),
		T(test_register_errors),
		T(test_register_while_running),
		T(test_send_bad_input),
		T(test_send_bad_body),
		T(test_body_is_copied),
		T(test_deref_and_status_errors),
		T(test_strerror),
		T(test_agent_created_on_first_message),
		T(test_init_error_fails_first_send),
		T(test_unchanged_makes_no_transition),
		T(test_watcher_sees_transition),
		T(test_event_accessors),
		T(test_ctx_send_after_transition),
		T(test_ctx_send_discarded_on_error),
		T(test_ctx_send_from_unchanged_is_delivered),
		T(test_ctx_send_bad_input),
		T(test_ctx_send_order_and_self),
		T(test_batch_lets_others_run),
		T(test_ctx_now_default_clock),
		T(test_custom_clock),
		T(test_ctx_now_never_goes_back),
		T(test_ctx_random_deterministic),
		T(test_fail_mode),
		T(test_error_message),
		T(test_restart_drop_pending),
		T(test_restart_errors),
		T(test_skip_mode),
		T(test_await_timeout),
		T(test_await_waits_for_chains),
		T(test_send_wait),
		T(test_send_wait_on_failed_agent),
		T(test_resident_and_last_error_in_memory),
		T(test_close_handles_pending),
		T(test_close_with_failed_agent),
		T(test_close_with_failed_agent_nothing_held),
		T(test_send_during_close),
		T(test_watch_unwatch),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
