/* Agent references: hs_agent_ref, hs_send_ref, hs_ref_release. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "util.h"
#include "persist_util.h"

static void test_send_through_ref(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_ref *r = NULL;
	assert_hs(0, hs_agent_ref(rt, "c", "x", &r));
	assert_non_null(r);
	for (int i = 0; i < 1000; i++)
		assert_hs(0, hs_send_ref(r, "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "c", "x"), 1000);
	/* Two refs to one agent are two pins on the same agent. */
	hs_ref *r2 = NULL;
	assert_hs(0, hs_agent_ref(rt, "c", "x", &r2));
	assert_hs(0, hs_send_ref(r2, "inc", NULL, 0));
	hs_ref_release(r);
	assert_hs(0, hs_send_ref(r2, "inc", NULL, 0));
	hs_ref_release(r2);
	hs_ref_release(NULL);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "c", "x"), 1002);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* Messages from one thread reach the agent in the order sent, whether
 * through a ref or by name: the counter's "expect" checks each n. */
static void test_order_mixed_with_hs_send(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 3);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_ref *r;
	assert_hs(0, hs_agent_ref(rt, "c", "o", &r));
	for (int n = 1; n <= 20000; n++) {
		if (n % 3 == 0)
			assert_hs(0, hs_sendf(rt, "c", "o", "expect", "n:i", n));
		else {
			hs_buf body = HS_BUF_INIT;
			assert_hs(0, hs_packf(&body, "n:i", n));
			assert_hs(0, hs_send_ref(r, "expect", body.data,
						 body.len));
			hs_buf_free(&body);
		}
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "c", "o"), 20000);
	hs_ref_release(r);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

static void test_errors(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(1, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_ref *r = (hs_ref *)&r; /* written only on success */
	assert_hs(HS_EINVAL, hs_agent_ref(NULL, "c", "x", &r));
	assert_hs(HS_EINVAL, hs_agent_ref(rt, "c", "x", NULL));
	assert_hs(HS_EINVAL, hs_agent_ref(rt, "c", "", &r));
	assert_hs(HS_EINVAL, hs_agent_ref(rt, NULL, "x", &r));
	assert_hs(HS_ENOTYPE, hs_agent_ref(rt, "nope", "x", &r));
	char longid[HS_ID_MAX + 2];
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	assert_hs(HS_ETOOLONG, hs_agent_ref(rt, "c", longid, &r));
	assert_ptr_equal(r, (hs_ref *)&r);

	assert_hs(0, hs_agent_ref(rt, "c", "x", &r));
	assert_hs(HS_EINVAL, hs_send_ref(NULL, "inc", NULL, 0));
	assert_hs(HS_EINVAL, hs_send_ref(r, NULL, NULL, 0));
	assert_hs(HS_EINVAL, hs_send_ref(r, "", NULL, 0));
	assert_hs(HS_EINVAL, hs_send_ref(r, "inc", NULL, 3));
	const uint8_t bad[] = {0x82, 0xa1, 'n'}; /* truncated map */
	assert_hs(HS_EBADMSG, hs_send_ref(r, "inc", bad, sizeof bad));
	const uint8_t two[] = {0x01, 0x02}; /* two values */
	assert_hs(HS_EBADMSG, hs_send_ref(r, "inc", two, sizeof two));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "c", "x"), 0);
	assert_int_equal(atomic_load(&hsu_applied), 0);
	hs_ref_release(r);
	assert_hs(0, hs_close(rt));
}

/* A ref still held at hs_close is freed by it (LeakSanitizer would
 * report it otherwise) after its messages were handled. */
static void test_close_with_ref_held(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_ref *r1, *r2;
	assert_hs(0, hs_agent_ref(rt, "c", "a", &r1));
	assert_hs(0, hs_agent_ref(rt, "c", "b", &r2));
	for (int i = 0; i < 100; i++) {
		assert_hs(0, hs_send_ref(r1, "inc", NULL, 0));
		assert_hs(0, hs_send_ref(r2, "inc", NULL, 0));
	}
	assert_hs(0, hs_close(rt));
	assert_int_equal(atomic_load(&hsu_changed), 200);
	hsu_assert_no_cb_failures();
}

/* hs_agent_ref creates the agent as a first send would: init runs once,
 * and its error comes back. */
static atomic_int inits;

static int init_counted(void *state, const hs_addr *self, void *udata)
{
	(void)state;
	(void)udata;
	atomic_fetch_add(&inits, 1);
	return strcmp(self->id, "bad") == 0 ? HS_ERANGE : 0;
}

static void test_creates_like_first_send(void **state)
{
	(void)state;
	hsu_reset();
	atomic_store(&inits, 0);
	hs_runtime *rt = hsu_open(1, 0);
	hs_type t = hsu_counter_type("c", HS_ON_ERROR_FAIL);
	t.init = init_counted;
	assert_hs(0, hs_register(rt, &t));
	hs_ref *r;
	assert_hs(0, hs_agent_ref(rt, "c", "x", &r));
	assert_int_equal(atomic_load(&inits), 1);
	assert_int_equal(hs_resident(rt), 1);
	assert_hs(0, hs_sendf(rt, "c", "x", "inc", ""));
	assert_hs(0, hs_send_ref(r, "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&inits), 1);
	assert_int_equal(hsu_counter_value(rt, "c", "x"), 2);
	hs_ref *bad = NULL;
	assert_hs(HS_ERANGE, hs_agent_ref(rt, "c", "bad", &bad));
	assert_null(bad);
	hs_ref_release(r);
	assert_hs(0, hs_close(rt));
}

/* A type with a mailbox limit: a send through a ref is refused with
 * HS_EAGAIN like hs_send when the mailbox is full. */
static atomic_int gate_open;
static atomic_int at_gate;

static int gated_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	(void)ctx;
	(void)ev;
	atomic_fetch_add(&at_gate, 1);
	while (!atomic_load(&gate_open))
		hsu_sleep_ms(1);
	++*(int64_t *)state;
	return HS_CHANGED;
}

static void test_mailbox_limit(void **state)
{
	(void)state;
	hsu_reset();
	atomic_store(&gate_open, 0);
	atomic_store(&at_gate, 0);
	hs_runtime *rt = hsu_open(1, 0);
	hs_type t = hsu_counter_type("g", HS_ON_ERROR_FAIL);
	t.apply = gated_apply;
	t.mailbox_limit = 3;
	assert_hs(0, hs_register(rt, &t));
	hs_ref *r;
	assert_hs(0, hs_agent_ref(rt, "g", "x", &r));
	assert_hs(0, hs_send_ref(r, "e", NULL, 0));
	while (atomic_load(&at_gate) == 0)
		hsu_sleep_ms(1);
	/* One in the handler, three waiting: full. */
	for (int i = 0; i < 3; i++)
		assert_hs(0, hs_send_ref(r, "e", NULL, 0));
	assert_hs(HS_EAGAIN, hs_send_ref(r, "e", NULL, 0));
	assert_hs(HS_EAGAIN, hs_sendf(rt, "g", "x", "e", ""));
	atomic_store(&gate_open, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_send_ref(r, "e", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "g", "x"), 5);
	hs_ref_release(r);
	assert_hs(0, hs_close(rt));
}

/* With a resident limit, a held ref keeps its agent in memory (it is
 * never rebuilt, and the ref stays usable); once released it may leave. */
static atomic_int held_replays;

static int replay_counted(hs_ctx *ctx, void *state, const hs_event *ev)
{
	if (hs_ctx_replaying(ctx) && strcmp(hs_ctx_self(ctx).id, "held") == 0)
		atomic_fetch_add(&held_replays, 1);
	return hsu_counter_apply(ctx, state, ev);
}

static void flood(hs_runtime *rt, int from, int n)
{
	char id[32];
	for (int i = from; i < from + n; i++) {
		snprintf(id, sizeof id, "other-%04d", i);
		assert_hs(0, hs_sendf(rt, "c", id, "inc", ""));
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* Sweeps run on sends: once more with everything idle. */
	for (int i = from; i < from + n; i++) {
		snprintf(id, sizeof id, "other-%04d", i);
		assert_hs(0, hs_sendf(rt, "c", id, "inc", ""));
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
}

static void test_ref_pins_against_passivation(void **state)
{
	(void)state;
	hsu_reset();
	atomic_store(&held_replays, 0);
	char *dir = pu_mkdtemp("ref-passivate");
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = dir;
	o.resident_limit = 8;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hs_type t = hsu_counter_type("c", HS_ON_ERROR_FAIL);
	t.apply = replay_counted;
	assert_hs(0, hs_register(rt, &t));

	hs_ref *r;
	assert_hs(0, hs_agent_ref(rt, "c", "held", &r));
	assert_hs(0, hs_send_ref(r, "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	flood(rt, 0, 200);
	assert_hs(0, hs_send_ref(r, "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "c", "held"), 2);
	assert_int_equal(atomic_load(&held_replays), 0);

	hs_ref_release(r);
	flood(rt, 200, 200);
	/* It left memory: reading it rebuilds it from the log. */
	assert_int_equal(hsu_counter_value(rt, "c", "held"), 2);
	assert_true(atomic_load(&held_replays) > 0);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
	pu_rmtree(dir);
	free(dir);
}

static void test_read_only(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("ref-ro");
	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_sendf(rt, "c", "x", "inc", ""));
	assert_hs(0, hs_close(rt));
	o.read_only = true;
	assert_hs(0, hs_open(&rt, &o));
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_ref *r = NULL;
	assert_hs(HS_ENOTSUP, hs_agent_ref(rt, "c", "x", &r));
	assert_null(r);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_through_ref),
		cmocka_unit_test(test_order_mixed_with_hs_send),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_close_with_ref_held),
		cmocka_unit_test(test_creates_like_first_send),
		cmocka_unit_test(test_mailbox_limit),
		cmocka_unit_test(test_ref_pins_against_passivation),
		cmocka_unit_test(test_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, pu_cleanup_dirs);
}
