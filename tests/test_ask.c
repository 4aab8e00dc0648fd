/*
 * Questions and answers: hs_ask (blocking, with a timeout) and
 * hs_ask_async from outside; hs_ctx_ask from a handler, answered later as
 * an ordinary event, with a timeout that is a durable timer; failures
 * answered with HS_EFAILED or an error answer, never a hang.
 */
#include "util.h"

#include "persist_util.h"

/* ------------------------------------------------------------------ */
/* A "bank" account: the counter of util.h plus questions               */
/* ------------------------------------------------------------------ */

/* Set while "slow" handlers must wait (test_ask_timeout). */
static atomic_bool hold_slow;

/*
 * get            answers {"n": balance}, changes nothing
 * deposit {n}    adds n (0 without), answers {"n": new balance}
 * silent         changes nothing, answers nothing
 * slow           waits while hold_slow, then answers {"n": balance}
 * boom           fails (HS_ERANGE)
 */
static int bank_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int64_t *v = state;
	hs_buf b = HS_BUF_INIT;
	int rc = HS_UNCHANGED;
	if (hs_event_is(ev, "deposit")) {
		int64_t n = 0;
		hs_event_i64(ev, "n", &n); /* none: 0 */
		*v += n;
		rc = HS_CHANGED;
	} else if (hs_event_is(ev, "slow")) {
		while (atomic_load(&hold_slow))
			hsu_sleep_ms(1);
	} else if (hs_event_is(ev, "boom")) {
		return HS_ERANGE;
	} else if (hs_event_is(ev, "silent")) {
		return HS_UNCHANGED;
	} else if (!hs_event_is(ev, "get")) {
		return HS_EINVAL;
	}
	if (!hs_ctx_asked(ctx)) {
		if (!hs_ctx_replaying(ctx))
			CB_CHECK_EQ(hs_ctx_reply(ctx, NULL, 0), HS_EINVAL);
		return rc;
	}
	CB_CHECK_EQ(hs_packf(&b, "n:I", *v), 0);
	CB_CHECK_EQ(hs_ctx_reply(ctx, b.data, b.len), 0);
	CB_CHECK(!hs_ctx_asked(ctx));
	CB_CHECK_EQ(hs_ctx_reply(ctx, b.data, b.len), HS_EEXIST);
	hs_buf_free(&b);
	return rc;
}

static void register_bank(hs_runtime *rt, const char *name,
			  hs_on_error on_error)
{
	hs_type t = hsu_counter_type(name, on_error);
	t.apply = bank_apply;
	assert_hs(0, hs_register(rt, &t));
}

static int64_t reply_n(const hs_buf *b)
{
	int64_t n = -1;
	assert_hs(0, hs_get_i64(b->data, b->len, "n", &n));
	return n;
}

/* ------------------------------------------------------------------ */
/* An "asker" agent                                                     */
/* ------------------------------------------------------------------ */

/* What the asker last heard. */
typedef struct asker {
	int64_t asked;   /* ask id of the last question */
	int64_t answers; /* answers received */
	int64_t ask, reply_n, error, timeout;
} asker;

static int asker_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	const asker *a = state;
	return hs_packf(out, "asked:I answers:I ask:I n:I error:I timeout:I",
			a->asked, a->answers, a->ask, a->reply_n, a->error,
			a->timeout);
}

static int asker_decode(void *state, const void *data, size_t len,
			void *udata)
{
	(void)udata;
	asker *a = state;
	int rc = hs_get_i64(data, len, "asked", &a->asked);
	if (rc == 0)
		rc = hs_get_i64(data, len, "answers", &a->answers);
	if (rc == 0)
		rc = hs_get_i64(data, len, "ask", &a->ask);
	if (rc == 0)
		rc = hs_get_i64(data, len, "n", &a->reply_n);
	if (rc == 0)
		rc = hs_get_i64(data, len, "error", &a->error);
	if (rc == 0)
		rc = hs_get_i64(data, len, "timeout", &a->timeout);
	return rc;
}

/*
 * ask {to, q, timeout}   asks bank/to the question q, answer event "answer"
 * answer {...}           keeps what the answer says
 */
static int asker_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	asker *a = state;
	if (hs_event_is(ev, "ask") || hs_event_is(ev, "ask_quiet")) {
		char to[HS_ID_MAX + 1], q[HS_NAME_MAX + 1];
		int64_t timeout = 0;
		uint64_t id = 0;
		CB_CHECK_EQ(hs_event_strcpy(ev, "to", to, sizeof to), 0);
		CB_CHECK_EQ(hs_event_strcpy(ev, "q", q, sizeof q), 0);
		hs_event_i64(ev, "timeout", &timeout);
		int rc = hs_ctx_ask(ctx, "bank", to, q, NULL, 0, "answer",
				    timeout, &id);
		CB_CHECK_EQ(rc, 0);
		CB_CHECK_EQ(id >> 16, hs_ctx_seq(ctx));
		a->asked = (int64_t)id;
		return hs_event_is(ev, "ask_quiet") ? HS_UNCHANGED : HS_CHANGED;
	}
	if (!hs_event_is(ev, "answer"))
		return HS_EINVAL;
	a->answers++;
	CB_CHECK_EQ(hs_event_i64(ev, "ask", &a->ask), 0);
	hs_value v;
	a->reply_n = a->error = a->timeout = 0;
	if (hs_event_get(ev, "reply.n", &v) == 0)
		a->reply_n = v.as.i;
	if (hs_event_get(ev, "error", &v) == 0)
		a->error = v.as.i;
	if (hs_event_get(ev, "timeout", &v) == 0)
		a->timeout = 1;
	return HS_CHANGED;
}

static void register_asker(hs_runtime *rt)
{
	hs_type t;
	memset(&t, 0, sizeof t);
	t.name = "asker";
	t.state_size = sizeof(asker);
	t.apply = asker_apply;
	t.encode = asker_encode;
	t.decode = asker_decode;
	assert_hs(0, hs_register(rt, &t));
}

static asker asker_state(hs_runtime *rt, const char *id)
{
	hs_buf b = HS_BUF_INIT;
	asker a;
	memset(&a, 0, sizeof a);
	assert_hs(0, hs_deref(rt, "asker", id, &b));
	assert_hs(0, asker_decode(&a, b.data, b.len, NULL));
	hs_buf_free(&b);
	return a;
}

static _Atomic int64_t sim_now = INT64_C(1767225600000000000);

static int64_t sim_clock(void *udata)
{
	(void)udata;
	return atomic_load(&sim_now);
}

static hs_runtime *open_log(const char *dir)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = dir;
	o.clock = sim_clock;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	register_bank(rt, "bank", HS_ON_ERROR_FAIL);
	register_asker(rt);
	return rt;
}

static int setup(void **state)
{
	(void)state;
	hsu_reset();
	atomic_store(&hold_slow, false);
	return 0;
}

static int teardown(void **state)
{
	pu_cleanup_dirs(state);
	hsu_assert_no_cb_failures();
	return 0;
}

/* ------------------------------------------------------------------ */
/* From outside                                                         */
/* ------------------------------------------------------------------ */

/* A question answered by a handler that changes nothing (a query) and by
 * one that changes the state (answered once it is written). */
static void test_ask_answers(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("ask-answers");
	hs_runtime *rt = open_log(dir);
	hs_buf r = HS_BUF_INIT;
	assert_hs(0, hs_ask(rt, "bank", "a", "get", NULL, 0, 10000, &r));
	assert_int_equal(reply_n(&r), 0);
	hs_buf_reset(&r);
	assert_hs(0, hs_ask(rt, "bank", "a", "deposit", "\x81\xa1n\x07", 4,
			    10000, &r));
	assert_int_equal(reply_n(&r), 7);
	hs_buf_reset(&r);
	assert_hs(0, hs_ask(rt, "bank", "a", "get", NULL, 0, -1, &r));
	assert_int_equal(reply_n(&r), 7);
	hs_buf_reset(&r);
	/* Handled without an answer. */
	assert_hs(HS_ENOREPLY, hs_ask(rt, "bank", "a", "silent", NULL, 0,
				      10000, &r));
	assert_int_equal(r.len, 0);
	/* Bad arguments. */
	assert_hs(HS_EINVAL, hs_ask(rt, "bank", "a", "get", NULL, 0, 0, NULL));
	assert_hs(HS_ENOTYPE,
		  hs_ask(rt, "nosuch", "a", "get", NULL, 0, 1000, &r));
	hs_buf_free(&r);
	assert_hs(0, hs_close(rt));
	pu_recs recs;
	pu_read_log(dir, &recs);
	assert_int_equal(recs.n, 1); /* the deposit */
	pu_recs_free(&recs);
	free(dir);
}

typedef struct slow_arg {
	hs_runtime *rt;
} slow_arg;

/* A question not answered in time returns HS_ETIMEDOUT; its late answer
 * goes nowhere. */
static void test_ask_timeout(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bank(rt, "bank", HS_ON_ERROR_FAIL);
	atomic_store(&hold_slow, true);
	hs_buf r = HS_BUF_INIT;
	int64_t t0 = hsu_monotonic_ns();
	assert_hs(HS_ETIMEDOUT,
		  hs_ask(rt, "bank", "s", "slow", NULL, 0, 50, &r));
	assert_true(hsu_monotonic_ns() - t0 >= 45 * INT64_C(1000000));
	assert_int_equal(r.len, 0);
	atomic_store(&hold_slow, false);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_ask(rt, "bank", "s", "get", NULL, 0, 10000, &r));
	assert_int_equal(reply_n(&r), 0);
	hs_buf_free(&r);
	assert_hs(0, hs_close(rt));
}

/* An agent that fails on a question answers HS_EFAILED, and a failed
 * agent answers it at once; with HS_ON_ERROR_SKIP the handler's error. */
static void test_ask_failed_agent(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bank(rt, "bank", HS_ON_ERROR_FAIL);
	register_bank(rt, "skip", HS_ON_ERROR_SKIP);
	hs_buf r = HS_BUF_INIT;
	assert_hs(HS_EFAILED, hs_ask(rt, "bank", "f", "boom", NULL, 0, -1, &r));
	assert_hs(HS_EFAILED, hs_ask(rt, "bank", "f", "get", NULL, 0, -1, &r));
	assert_hs(HS_ERANGE, hs_ask(rt, "skip", "k", "boom", NULL, 0, -1, &r));
	assert_hs(0, hs_ask(rt, "skip", "k", "get", NULL, 0, -1, &r));
	assert_int_equal(reply_n(&r), 0);
	assert_hs(0, hs_restart(rt, "bank", "f", 0));

	/* A bounded mailbox keeps no room for refused questions. */
	hs_type lim = hsu_counter_type("lim", HS_ON_ERROR_FAIL);
	lim.apply = bank_apply;
	lim.mailbox_limit = 2;
	assert_hs(0, hs_register(rt, &lim));
	assert_hs(HS_EFAILED, hs_ask(rt, "lim", "l", "boom", NULL, 0, -1, &r));
	for (int i = 0; i < 5; i++)
		assert_hs(HS_EFAILED,
			  hs_ask(rt, "lim", "l", "get", NULL, 0, -1, &r));
	assert_hs(0, hs_restart(rt, "lim", "l", 0));
	for (int i = 0; i < 2; i++)
		assert_hs(0, hs_send(rt, "lim", "l", "deposit", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	hs_buf_free(&r);
	assert_hs(0, hs_close(rt));
}

typedef struct answers {
	pthread_mutex_t mu;
	int calls;
	int rc;
	int64_t n;
} answers;

static void on_answer(void *udata, int rc, const void *reply, size_t len)
{
	answers *a = udata;
	pthread_mutex_lock(&a->mu);
	a->calls++;
	a->rc = rc;
	a->n = -1;
	if (rc == 0)
		CB_CHECK_EQ(hs_get_i64(reply, len, "n", &a->n), 0);
	pthread_mutex_unlock(&a->mu);
}

static int answer_calls(answers *a)
{
	pthread_mutex_lock(&a->mu);
	int n = a->calls;
	pthread_mutex_unlock(&a->mu);
	return n;
}

/* The callback form: called once with the answer; with HS_ECLOSED when
 * hs_close drops a question that a failed agent holds; never when the
 * call fails. */
static void test_ask_async(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bank(rt, "bank", HS_ON_ERROR_FAIL);
	answers a = {.mu = PTHREAD_MUTEX_INITIALIZER};
	assert_hs(0, hs_send(rt, "bank", "x", "deposit", "\x81\xa1n\x05", 4));
	assert_hs(0, hs_ask_async(rt, "bank", "x", "get", NULL, 0, on_answer,
				  &a));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(answer_calls(&a), 1);
	assert_hs(0, a.rc);
	assert_int_equal(a.n, 5);
	assert_hs(HS_ENOTYPE, hs_ask_async(rt, "nosuch", "x", "get", NULL, 0,
					   on_answer, &a));
	assert_hs(HS_EINVAL,
		  hs_ask_async(rt, "bank", "x", "get", NULL, 0, NULL, &a));

	/* A question queued behind the event the agent fails on. */
	answers late = {.mu = PTHREAD_MUTEX_INITIALIZER};
	atomic_store(&hold_slow, true);
	assert_hs(0, hs_send(rt, "bank", "y", "slow", NULL, 0));
	assert_hs(0, hs_send(rt, "bank", "y", "boom", NULL, 0));
	assert_hs(0, hs_ask_async(rt, "bank", "y", "get", NULL, 0, on_answer,
				  &late));
	atomic_store(&hold_slow, false);
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(answer_calls(&late), 0);
	assert_hs(HS_EFAILED, hs_close(rt));
	assert_int_equal(answer_calls(&late), 1);
	assert_hs(HS_ECLOSED, late.rc);
	assert_int_equal(answer_calls(&a), 1);
}

/* ------------------------------------------------------------------ */
/* From a handler                                                       */
/* ------------------------------------------------------------------ */

static int count_change(void *udata, const hs_whatif_change *c)
{
	(void)c;
	++*(int *)udata;
	return 0;
}

typedef struct sends_seen {
	int sends, timers;
	char last_send[128];
} sends_seen;

static int on_effect(void *udata, const hs_effect_info *e)
{
	sends_seen *s = udata;
	if (e->timer != NULL) {
		s->timers++;
		CB_CHECK(strncmp(e->timer, "hs.ask.", 7) == 0);
	} else {
		s->sends++;
		snprintf(s->last_send, sizeof s->last_send, "%s/%s %s",
			 e->to.type, e->to.id, e->event_type);
	}
	return 0;
}

/* The answer arrives as an event, caused by the asking transition, and
 * ends the question's timeout. */
static void test_ctx_ask_answered(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("ask-ctx");
	hs_runtime *rt = open_log(dir);
	assert_hs(0, hs_send(rt, "bank", "b", "deposit", "\x81\xa1n\x03", 4));
	assert_hs(0, hs_sendf(rt, "asker", "q", "ask", "to:s q:s timeout:I",
			      "b", "get", INT64_C(5000000000)));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	asker a = asker_state(rt, "q");
	assert_int_equal(a.answers, 1);
	assert_int_equal(a.ask, a.asked);
	assert_int_equal(a.reply_n, 3);
	assert_int_equal(hs_timers_pending(rt), 0);
	/* A question that changes the answerer's state. */
	assert_hs(0, hs_sendf(rt, "asker", "q", "ask", "to:s q:s", "b",
			      "deposit"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	a = asker_state(rt, "q");
	assert_int_equal(a.answers, 2);
	assert_int_equal(a.reply_n, 3); /* deposit without n: +0 */
	hs_verify_report rep;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &rep));
	assert_int_equal(rep.divergences, 0);
	/* The asking transition, run again: its question and its timeout. */
	sends_seen seen = {0};
	assert_hs(0, hs_replay_effects(rt, "asker", "q", 1, on_effect, &seen));
	assert_int_equal(seen.sends, 1);
	assert_int_equal(seen.timers, 1);
	assert_string_equal(seen.last_send, "bank/b get");
	/* A what-if without edits is history, answers included. */
	int changes = 0;
	assert_hs(0, hs_whatif(rt, NULL, 0, 0, count_change, &changes));
	assert_int_equal(changes, 0);
	assert_hs(0, hs_close(rt));

	pu_recs recs;
	pu_read_log(dir, &recs);
	/* deposit, ask, answer, ask, deposit, answer */
	assert_int_equal(recs.n, 6);
	for (size_t i = 0; i < recs.n; i++) {
		const pu_rec *r = &recs.v[i];
		if (strcmp(r->event_type, "answer") != 0)
			continue;
		assert_true(r->has_cause);
		const pu_rec *q = &recs.v[r->cause_gseq - 1];
		assert_string_equal(q->type, "asker");
		assert_string_equal(q->event_type, "ask");
		assert_int_equal(q->seq, r->cause_seq);
	}
	pu_recs_free(&recs);
	free(dir);
}

/* No answer: the timeout comes as an event (a durable timer); a failing
 * answerer gives an error answer. */
static void test_ctx_ask_timeout_and_error(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("ask-timeout");
	hs_runtime *rt = open_log(dir);
	assert_hs(0, hs_sendf(rt, "asker", "q", "ask", "to:s q:s timeout:I",
			      "b", "silent", INT64_C(2000000000)));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(asker_state(rt, "q").answers, 0);
	assert_int_equal(hs_timers_pending(rt), 1);
	atomic_fetch_add(&sim_now, INT64_C(3000000000));
	assert_hs(0, hs_timers_fire_due(rt, NULL));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	asker a = asker_state(rt, "q");
	assert_int_equal(a.answers, 1);
	assert_int_equal(a.timeout, 1);
	assert_int_equal(a.ask, a.asked);

	assert_hs(0, hs_sendf(rt, "asker", "q", "ask", "to:s q:s timeout:I",
			      "c", "boom", INT64_C(2000000000)));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	a = asker_state(rt, "q");
	assert_int_equal(a.answers, 2);
	assert_int_equal(a.error, HS_ERANGE);
	assert_int_equal(hs_timers_pending(rt), 0);
	/* A handler that changes nothing asks nothing. */
	assert_hs(0, hs_sendf(rt, "asker", "q2", "ask_quiet",
			      "to:s q:s timeout:I", "quiet", "get",
			      INT64_C(2000000000)));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	hs_buf nb = HS_BUF_INIT;
	assert_hs(HS_ENOAGENT, hs_deref(rt, "bank", "quiet", &nb));
	hs_buf_free(&nb);
	assert_int_equal(hs_timers_pending(rt), 0);
	/* A question to the failed agent is answered at once. */
	assert_hs(0, hs_sendf(rt, "asker", "q", "ask", "to:s q:s", "c", "get"));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	a = asker_state(rt, "q");
	assert_int_equal(a.answers, 3);
	assert_int_equal(a.error, HS_EFAILED);
	assert_hs(0, hs_restart(rt, "bank", "c", 0));
	assert_hs(0, hs_close(rt));
	free(dir);
}

/* hs_ctx_reply outside a question, and hs_ctx_ask's arguments. */
static int misuse_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	(void)state;
	(void)ev;
	CB_CHECK_EQ(hs_ctx_reply(ctx, NULL, 0), HS_EINVAL);
	CB_CHECK_EQ(hs_ctx_reply(ctx, "\xc1", 1), HS_EBADMSG);
	CB_CHECK_EQ(hs_ctx_ask(ctx, "bank", "x", "get", NULL, 0, "", 0, NULL),
		    HS_EINVAL);
	CB_CHECK_EQ(hs_ctx_ask(ctx, "bank", "x", "get", NULL, 0, NULL, 0,
			       NULL),
		    HS_EINVAL);
	CB_CHECK_EQ(hs_ctx_ask(ctx, "nosuch", "x", "get", NULL, 0, "a", 0,
			       NULL),
		    HS_ENOTYPE);
	return HS_UNCHANGED;
}

static void test_misuse(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(1, 0);
	register_bank(rt, "bank", HS_ON_ERROR_FAIL);
	hs_type t = hsu_counter_type("misuse", HS_ON_ERROR_FAIL);
	t.apply = misuse_apply;
	assert_hs(0, hs_register(rt, &t));
	assert_hs(0, hs_send(rt, "misuse", "m", "go", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_close(rt));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ask_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ask_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ask_failed_agent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ask_async, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ctx_ask_answered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_ctx_ask_timeout_and_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
