/* Passivation: a resident limit keeps memory bounded while every agent's
 * state survives, rebuilt from the log on its next use. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "util.h"
#include "persist_util.h"

#define LIMIT 64
#define AGENTS 1000

static hs_runtime *open_limited(const char *path, size_t limit)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = path;
	o.resident_limit = limit;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hs_type t = hsu_counter_type("c", HS_ON_ERROR_FAIL);
	t.snapshot_every = 3;
	assert_hs(0, hs_register(rt, &t));
	return rt;
}

static void id_of(char *buf, size_t cap, int i)
{
	snprintf(buf, cap, "agent-%04d", i);
}

static void test_limit_needs_path(void **state)
{
	(void)state;
	hs_options o;
	hs_options_init(&o);
	o.resident_limit = 10;
	hs_runtime *rt = NULL;
	assert_hs(HS_EINVAL, hs_open(&rt, &o));
	assert_null(rt);
}

static void test_bounded_and_intact(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("passivate");
	hs_runtime *rt = open_limited(dir, LIMIT);
	char id[32];
	/* Four rounds so that agents leave memory and come back between
	 * their events. */
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < AGENTS; i++) {
			id_of(id, sizeof id, i);
			assert_hs(0, hs_sendf(rt, "c", id, "add", "n:i", i));
		}
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	}
	/* A deref of a resident agent triggers the sweep once all idle. */
	id_of(id, sizeof id, AGENTS - 1);
	assert_int_equal(hsu_counter_value(rt, "c", id), 4 * (AGENTS - 1));
	assert_true(hs_resident(rt) <= LIMIT);

	for (int i = 0; i < AGENTS; i++) {
		id_of(id, sizeof id, i);
		assert_int_equal(hsu_counter_value(rt, "c", id), 4 * i);
		assert_true(hs_resident(rt) <= LIMIT + 1);
		hs_agent_status st;
		assert_hs(0, hs_agent_status_get(rt, "c", id, &st));
		assert_int_equal(st.seq, 4);
	}
	assert_hs(0, hs_close(rt));

	/* The log holds exactly the transitions, in order. */
	pu_recs recs;
	pu_read_log(dir, &recs);
	assert_int_equal(recs.n, 4 * AGENTS);
	assert_int_equal(pu_check_order_and_causes(&recs), 0);
	pu_recs_free(&recs);
	hsu_assert_no_cb_failures();
	pu_rmtree(dir);
	free(dir);
}

static void test_failed_agent_stays(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("passivate-failed");
	hs_runtime *rt = open_limited(dir, 8);
	assert_hs(0, hs_sendf(rt, "c", "sick", "fail", ""));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_sendf(rt, "c", "sick", "inc", ""));
	char id[32];
	for (int i = 0; i < 200; i++) {
		id_of(id, sizeof id, i);
		assert_hs(0, hs_sendf(rt, "c", id, "inc", ""));
	}
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	/* Still failed, still holding its message: it never left memory. */
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "c", "sick", &st));
	assert_true(st.failed);
	assert_hs(0, hs_restart(rt, "c", "sick", 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "c", "sick"), 1);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

/* An agent with no transition has nothing in the log to come back from,
 * and one with a recorded error would lose it: both stay in memory. */
static void test_unlogged_agents_stay(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("passivate-unlogged");
	hs_runtime *rt = open_limited(dir, 8);
	hs_type skip = hsu_counter_type("s", HS_ON_ERROR_SKIP);
	assert_hs(0, hs_register(rt, &skip));
	assert_hs(0, hs_sendf(rt, "c", "quiet", "noop", ""));
	assert_hs(0, hs_sendf(rt, "s", "grumpy", "inc", ""));
	assert_hs(0, hs_sendf(rt, "s", "grumpy", "fail", ""));
	char id[32];
	for (int i = 0; i < 200; i++) {
		id_of(id, sizeof id, i);
		assert_hs(0, hs_sendf(rt, "c", id, "inc", ""));
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	id_of(id, sizeof id, 0);
	assert_int_equal(hsu_counter_value(rt, "c", id), 1); /* sweeps */
	assert_int_equal(hsu_counter_value(rt, "c", "quiet"), 0);
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "s", "grumpy", &st));
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.error, HS_ERANGE);
	assert_true(hs_resident(rt) <= 8 + 2 + 1);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_needs_path),
		cmocka_unit_test(test_bounded_and_intact),
		cmocka_unit_test(test_failed_agent_stays),
		cmocka_unit_test(test_unlogged_agents_stay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
