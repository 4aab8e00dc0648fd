/* Races between handlers and the calls other threads make on agents. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "util.h"

/* A restart that races the worker which has just failed the agent: the
 * restarter becomes the consumer (and with DROP_PENDING frees the failed
 * message) while the worker finishes. TSan and ASan watch the handover. */
static void test_restart_races_failing_worker(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	int rounds = 20000;
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	rounds = 3000;
#endif
	for (int i = 0; i < rounds; i++) {
		assert_hs(0, hs_sendf(rt, "c", "x", "fail", ""));
		assert_hs(0, hs_sendf(rt, "c", "x", "inc", ""));
		unsigned flags = (i & 1) ? HS_RESTART_DROP_PENDING : 0;
		int rc;
		while ((rc = hs_restart(rt, "c", "x", flags)) == HS_EINVAL)
			;
		assert_hs(0, rc);
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* Every even round's inc ran; odd rounds' may have been dropped. */
	int64_t n = hsu_counter_value(rt, "c", "x");
	assert_true(n >= rounds / 2 && n <= rounds);
	assert_hs(0, hs_close(rt));
}

/* apply() of "hub" sends with hs_send to many agents (some share the
 * hub's registry shard) while another thread reads the hub: reading must
 * not take the agent's lock under its shard lock. */
#define SPOKES 200

static int hub_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	hs_runtime *rt = hs_ctx_udata(ctx);
	(void)ev;
	for (int i = 0; i < SPOKES; i++) {
		char id[16];
		snprintf(id, sizeof id, "s%d", i);
		CB_CHECK_EQ(hs_sendf(rt, "c", id, "inc", ""), 0);
	}
	++*(int64_t *)state;
	return HS_CHANGED;
}

static void test_send_from_apply_beside_deref(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_type hub = hsu_counter_type("hub", HS_ON_ERROR_FAIL);
	hub.apply = hub_apply;
	hub.udata = rt;
	assert_hs(0, hs_register(rt, &hub));
	alarm(120); /* a deadlock fails the test instead of hanging CI */
	int rounds = 200;
	for (int i = 0; i < rounds; i++) {
		assert_hs(0, hs_sendf(rt, "hub", "h", "go", ""));
		hs_buf b = HS_BUF_INIT;
		for (int k = 0; k < 20; k++) {
			hs_buf_reset(&b);
			int rc = hs_deref(rt, "hub", "h", &b);
			assert_true(rc == 0 || rc == HS_ENOAGENT);
		}
		hs_buf_free(&b);
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	alarm(0);
	assert_int_equal(hsu_counter_value(rt, "hub", "h"), rounds);
	assert_int_equal(hsu_counter_value(rt, "c", "s7"), rounds);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_races_failing_worker),
		cmocka_unit_test(test_send_from_apply_beside_deref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
