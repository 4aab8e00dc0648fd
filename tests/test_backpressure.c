/*
 * Bounded mailboxes (hs_type.mailbox_limit): fail-fast sends (HS_EAGAIN),
 * sends that wait for room (hs_send_timeout), handlers' sends that are
 * never held back, and hs_close / hs_restart while senders wait.
 */
#include "util.h"
#include "util_fs.h"

#include <limits.h>

#include "core/runtime.h"
#include "core/types.h"

/* ------------------------------------------------------------------ */
/* The gated agent type                                                 */
/* ------------------------------------------------------------------ */

/*
 * State: int64, encoded {"n": v}. Events:
 *   hold            waits until the gate opens, then +1
 *   inc             +1
 *   fail            returns HS_ERANGE
 *   fan {to, k}     hs_ctx_send of k "inc" to agent `to` of type "bp", +1
 *   relay {to}      hs_ctx_send of one "inc" to `to`, +1
 * Every send result of fan/relay is checked (0 expected).
 */
static atomic_int gate_open;
static atomic_int holding; /* handlers waiting at the gate now */
static atomic_long handled;

static int bp_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int64_t *v = state;
	atomic_fetch_add(&handled, 1);
	if (hs_event_is(ev, "hold")) {
		atomic_fetch_add(&holding, 1);
		while (!atomic_load(&gate_open))
			hsu_sleep_ms(1);
		atomic_fetch_sub(&holding, 1);
	} else if (hs_event_is(ev, "fan") || hs_event_is(ev, "relay")) {
		char to[HS_ID_MAX + 1];
		int64_t k = 1;
		CB_CHECK_EQ(hs_event_strcpy(ev, "to", to, sizeof to), 0);
		if (hs_event_is(ev, "fan"))
			CB_CHECK_EQ(hs_event_i64(ev, "k", &k), 0);
		for (int64_t i = 0; i < k; i++)
			CB_CHECK_EQ(hs_ctx_send(ctx, "bp", to, "inc", NULL, 0),
				    0);
	} else if (hs_event_is(ev, "fail")) {
		return HS_ERANGE;
	} else if (!hs_event_is(ev, "inc")) {
		hsu_cb_fail(__FILE__, __LINE__, "bp: unknown event %s",
			    hs_event_type(ev));
		return HS_EINVAL;
	}
	*v += 1;
	return HS_CHANGED;
}

static void register_bp(hs_runtime *rt, const char *name, unsigned limit)
{
	hs_type t = hsu_counter_type(name, HS_ON_ERROR_FAIL);
	t.apply = bp_apply;
	t.mailbox_limit = limit;
	assert_hs(0, hs_register(rt, &t));
}

static int setup(void **state)
{
	(void)state;
	hsu_reset();
	atomic_store(&gate_open, 0);
	atomic_store(&holding, 0);
	atomic_store(&handled, 0);
	return 0;
}

/* Senders now asleep in hs_send_timeout, from the shards' counts. */
static unsigned waiting_senders(hs_runtime *rt)
{
	unsigned n = 0;
	for (size_t i = 0; i < HSI_REGISTRY_SHARDS; i++)
		n += atomic_load(&rt->registry.shards[i].waiting);
	return n;
}

/* Polls until f(rt) == want, failing the test after 30 s. */
static void wait_for(unsigned (*f)(hs_runtime *), hs_runtime *rt,
		     unsigned want)
{
	int64_t end = hsu_monotonic_ns() + 30 * 1000000000LL;
	while (f(rt) != want) {
		if (hsu_monotonic_ns() > end) {
			print_error("waited 30 s for %u, have %u\n", want,
				    f(rt));
			fail();
		}
		hsu_sleep_ms(1);
	}
}

/* The count of messages waiting at an agent, as the runtime keeps it. */
static unsigned queued_of(hs_runtime *rt, const char *type, const char *id)
{
	const hsi_type *t = hsi_type_find(rt, type);
	assert_non_null(t);
	uint32_t hash = hsi_registry_hash(t, id, strlen(id));
	hsi_shard *s = hsi_registry_shard(&rt->registry, hash);
	pthread_mutex_lock(&s->mu);
	hsi_agent *a = hsi_registry_find(s, t, id, strlen(id), hash);
	unsigned n = a == NULL ? UINT_MAX : atomic_load(&a->queued);
	pthread_mutex_unlock(&s->mu);
	return n;
}

static unsigned holders(hs_runtime *rt)
{
	(void)rt;
	return (unsigned)atomic_load(&holding);
}

/* Sends "hold" to (type, id) and waits until its handler is at the gate:
 * from then on the agent's mailbox only fills. */
static void hold(hs_runtime *rt, const char *type, const char *id)
{
	unsigned before = holders(rt);
	assert_hs(0, hs_send(rt, type, id, "hold", NULL, 0));
	wait_for(holders, rt, before + 1);
}

/* A thread in hs_send_timeout. */
typedef struct sender {
	pthread_t th;
	hs_runtime *rt;
	const char *type;
	const char *id;
	int timeout_ms;
	int rc;
	atomic_bool done;
} sender;

static void *sender_main(void *p)
{
	sender *s = p;
	s->rc = hs_send_timeout(s->rt, s->type, s->id, "inc", NULL, 0,
				s->timeout_ms);
	atomic_store(&s->done, true);
	return NULL;
}

static void sender_start(sender *s, hs_runtime *rt, const char *type,
			 const char *id, int timeout_ms)
{
	*s = (sender){.rt = rt, .type = type, .id = id,
		      .timeout_ms = timeout_ms};
	atomic_init(&s->done, false);
	assert_int_equal(pthread_create(&s->th, NULL, sender_main, s), 0);
}

static int sender_join(sender *s)
{
	assert_int_equal(pthread_join(s->th, NULL), 0);
	return s->rc;
}

/* hs_close on a thread of its own. */
typedef struct closer_arg {
	hs_runtime *rt;
	int *rc;
} closer_arg;

static void *closer_main(void *p)
{
	closer_arg *c = p;
	*c->rc = hs_close(c->rt);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Fail fast                                                            */
/* ------------------------------------------------------------------ */

/* Once `limit` messages wait, every non-waiting send fails with
 * HS_EAGAIN and queues nothing; the limit is per agent; after the agent
 * drains, sends succeed again. A type without a limit takes anything. */
static void test_fail_fast(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bp(rt, "bp", 4);
	register_bp(rt, "free", 0);

	hold(rt, "bp", "a");
	for (int i = 0; i < 4; i++)
		assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(HS_EAGAIN, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(HS_EAGAIN, hs_sendf(rt, "bp", "a", "inc", ""));
	assert_hs(HS_EAGAIN, hs_send_at(rt, "bp", "a", "inc", NULL, 0,
					hsu_realtime_ns()));
	assert_hs(HS_EAGAIN, hs_send_wait(rt, "bp", "a", "inc", NULL, 0,
					  NULL));
	assert_hs(HS_EAGAIN, hs_send_timeout(rt, "bp", "a", "inc", NULL, 0,
					     0));
	/* The same checks as hs_send come first. */
	assert_hs(HS_ENOTYPE, hs_send_timeout(rt, "nope", "a", "inc", NULL, 0,
					      100));
	assert_hs(HS_EINVAL, hs_send_timeout(rt, "bp", "", "inc", NULL, 0,
					     100));
	/* Another agent of the type has its own mailbox. */
	assert_hs(0, hs_send(rt, "bp", "b", "inc", NULL, 0));

	/* No limit: thousands queue behind a held handler. */
	hold(rt, "free", "f");
	for (int i = 0; i < 5000; i++)
		assert_hs(0, hs_send(rt, "free", "f", "inc", NULL, 0));
	assert_hs(0, hs_send_timeout(rt, "free", "f", "inc", NULL, 0, 10));

	atomic_store(&gate_open, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 5);
	assert_int_equal(hsu_counter_value(rt, "bp", "b"), 1);
	assert_int_equal(hsu_counter_value(rt, "free", "f"), 5002);

	/* Drained: room for `limit` again, then full again. */
	atomic_store(&gate_open, 0);
	hold(rt, "bp", "a");
	for (int i = 0; i < 4; i++)
		assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(HS_EAGAIN, hs_send(rt, "bp", "a", "inc", NULL, 0));
	atomic_store(&gate_open, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 10);
	assert_hs(0, hs_close(rt));
	assert_int_equal(hsu_drop_count(), 0);
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Waiting for room                                                     */
/* ------------------------------------------------------------------ */

/* A sender with a timeout (and one without) waits while the mailbox is
 * full and gets in when the agent drains. */
static void test_wait_then_succeed(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bp(rt, "bp", 2);
	hold(rt, "bp", "a");
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));

	sender s1, s2;
	sender_start(&s1, rt, "bp", "a", 60000);
	sender_start(&s2, rt, "bp", "a", -1);
	wait_for(waiting_senders, rt, 2);
	hsu_sleep_ms(50);
	assert_false(atomic_load(&s1.done));
	assert_false(atomic_load(&s2.done));

	atomic_store(&gate_open, 1);
	assert_hs(0, sender_join(&s1));
	assert_hs(0, sender_join(&s2));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 5);
	assert_int_equal(waiting_senders(rt), 0);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* A mailbox that does not drain: the wait ends with HS_ETIMEDOUT after
 * the timeout, and nothing was queued. */
static void test_wait_times_out(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bp(rt, "bp", 3);
	hold(rt, "bp", "a");
	for (int i = 0; i < 3; i++)
		assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));

	int64_t t0 = hsu_monotonic_ns();
	assert_hs(HS_ETIMEDOUT,
		  hs_send_timeout(rt, "bp", "a", "inc", NULL, 0, 200));
	int64_t ms = (hsu_monotonic_ns() - t0) / 1000000;
	assert_true(ms >= 199);
	assert_true(ms < 20000);
	assert_int_equal(waiting_senders(rt), 0);

	atomic_store(&gate_open, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 4);
	/* Room again: a waiting send goes straight in. */
	assert_hs(0, hs_send_timeout(rt, "bp", "a", "inc", NULL, 0, 200));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 5);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Handlers' sends                                                      */
/* ------------------------------------------------------------------ */

/* Handlers' messages to a full mailbox are never refused or delayed:
 * the worker (in memory) or the writer thread (with a log) delivers them
 * over the limit; outside senders stay held back until the agent is
 * under it again, then get in. Also an agent sending to its own full
 * mailbox. Nothing is dropped. */
static void effects_over_limit(const char *path)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = path;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt;
	assert_hs(0, hs_open(&rt, &o));
	register_bp(rt, "bp", 2);

	hold(rt, "bp", "a");
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(HS_EAGAIN, hs_send(rt, "bp", "a", "inc", NULL, 0));

	/* "f" sends 10 to the full "a"; hs_send_wait returns after its
	 * transition is done (written) and its messages delivered. */
	hs_buf body = HS_BUF_INIT;
	assert_hs(0, hs_packf(&body, "to:s k:i", "a", 10));
	hs_receipt r;
	assert_hs(0, hs_send_wait(rt, "bp", "f", "fan", body.data, body.len,
				  &r));
	hs_buf_free(&body);
	assert_int_equal(r.seq, 1);
	assert_true(path == NULL ? r.gseq == 0 : r.gseq >= 1);
	/* Twelve wait now, over the limit of 2. */
	assert_int_equal(queued_of(rt, "bp", "a"), 12);
	assert_hs(HS_EAGAIN, hs_send(rt, "bp", "a", "inc", NULL, 0));
	sender s;
	sender_start(&s, rt, "bp", "a", -1);
	wait_for(waiting_senders, rt, 1);

	atomic_store(&gate_open, 1);
	assert_hs(0, sender_join(&s));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* hold + 2 + 10 from "f" + the waiting sender's. */
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 14);

	/* An agent that sends to itself past its own limit. */
	atomic_store(&gate_open, 0);
	hold(rt, "bp", "s");
	assert_hs(0, hs_sendf(rt, "bp", "s", "fan", "to:s k:i", "s", 20));
	assert_hs(0, hs_sendf(rt, "bp", "s", "relay", "to:s", "s"));
	atomic_store(&gate_open, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "s"), 1 + 1 + 1 + 21);
	assert_hs(0, hs_close(rt));
	assert_int_equal(hsu_drop_count(), 0);
	hsu_assert_no_cb_failures();
}

static void test_effects_over_limit_in_memory(void **state)
{
	(void)state;
	effects_over_limit(NULL);
}

static void test_effects_over_limit_persisted(void **state)
{
	(void)state;
	char dir[PATH_MAX];
	assert_int_equal(hsu_mkdtemp(dir, sizeof dir, "backpressure"), 0);
	effects_over_limit(dir);
	assert_int_equal(hsu_rm_rf(dir), 0);
}

/* ------------------------------------------------------------------ */
/* Close and restart while senders wait                                 */
/* ------------------------------------------------------------------ */

/* hs_close wakes the waiting senders at once, with HS_ECLOSED and
 * nothing queued, then handles what was queued and returns 0. */
static void test_close_while_senders_wait(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bp(rt, "bp", 1);
	hold(rt, "bp", "a");
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	enum { N = 4 };
	sender s[N];
	for (int i = 0; i < N; i++)
		sender_start(&s[i], rt, "bp", "a", i % 2 ? -1 : 60000);
	wait_for(waiting_senders, rt, N);

	/* hs_close waits for the held handler, so it runs on its own
	 * thread; the senders must return before the gate opens. */
	pthread_t closer;
	int close_rc = -1;
	closer_arg ca = {rt, &close_rc};
	assert_int_equal(pthread_create(&closer, NULL, closer_main, &ca), 0);
	for (int i = 0; i < N; i++)
		assert_hs(HS_ECLOSED, sender_join(&s[i]));
	atomic_store(&gate_open, 1);
	assert_int_equal(pthread_join(closer, NULL), 0);
	assert_hs(0, close_rc);
	/* The hold and the one inc; no sender's message. */
	assert_int_equal(atomic_load(&handled), 2);
	assert_int_equal(hsu_drop_count(), 0);
	hsu_assert_no_cb_failures();
}

/* A failed agent's mailbox stays full: senders wait (or time out) until
 * hs_restart; dropping the waiting messages lets them in. */
static void test_restart_lets_senders_in(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(2, 0);
	register_bp(rt, "bp", 2);
	assert_hs(0, hs_send(rt, "bp", "a", "fail", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(HS_ETIMEDOUT,
		  hs_send_timeout(rt, "bp", "a", "inc", NULL, 0, 20));
	sender s;
	sender_start(&s, rt, "bp", "a", -1);
	wait_for(waiting_senders, rt, 1);
	assert_hs(0, hs_restart(rt, "bp", "a", HS_RESTART_DROP_PENDING));
	assert_hs(0, sender_join(&s));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 1);
	assert_int_equal(hsu_drop_count(), 2);

	/* Without dropping: the agent handles them and the sender gets in. */
	assert_hs(0, hs_send(rt, "bp", "a", "fail", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	assert_hs(0, hs_send(rt, "bp", "a", "inc", NULL, 0));
	sender_start(&s, rt, "bp", "a", 60000);
	wait_for(waiting_senders, rt, 1);
	assert_hs(0, hs_restart(rt, "bp", "a", 0));
	assert_hs(0, sender_join(&s));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "bp", "a"), 4);
	assert_int_equal(queued_of(rt, "bp", "a"), 0);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fail_fast, setup),
		cmocka_unit_test_setup(test_wait_then_succeed, setup),
		cmocka_unit_test_setup(test_wait_times_out, setup),
		cmocka_unit_test_setup(test_effects_over_limit_in_memory,
				       setup),
		cmocka_unit_test_setup(test_effects_over_limit_persisted,
				       setup),
		cmocka_unit_test_setup(test_close_while_senders_wait, setup),
		cmocka_unit_test_setup(test_restart_lets_senders_in, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
