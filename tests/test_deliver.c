/* Handlers' sends (effects): a worker pushes to the agents it delivered
 * to last without finding them again, only where that is safe (no
 * resident limit, no mailbox limit, not a question). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "util.h"
#include "persist_util.h"

#define TARGETS 9 /* more than a worker remembers */

/* "relay": on `go {rounds, to}` sends `expect {n}` to counters of type
 * `to` (c-0 .. c-8), round-robin, n rising per target. */
static int relay_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int64_t rounds;
	char to[16];
	CB_CHECK_EQ(hs_event_i64(ev, "rounds", &rounds), 0);
	CB_CHECK_EQ(hs_event_strcpy(ev, "to", to, sizeof to), 0);
	int64_t *sent = state; /* per target */
	for (int64_t r = 0; r < rounds; r++) {
		for (int k = 0; k < TARGETS; k++) {
			char id[16];
			snprintf(id, sizeof id, "c-%d", k);
			hs_buf b = HS_BUF_INIT;
			CB_CHECK_EQ(hs_packf(&b, "n:I", ++sent[k]), 0);
			CB_CHECK_EQ(hs_ctx_send(ctx, to, id, "expect", b.data,
						b.len),
				    0);
			hs_buf_free(&b);
		}
	}
	return HS_CHANGED;
}

static int relay_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	return hs_packf(out, "s0:I", ((const int64_t *)state)[0]);
}

static int relay_decode(void *state, const void *data, size_t len,
			void *udata)
{
	(void)udata;
	(void)len;
	(void)data;
	/* Only the first target's count comes back; the tests that reopen
	 * do not relay again. */
	return hs_get_i64(data, len, "s0", state);
}

static void register_relay(hs_runtime *rt)
{
	hs_type t = {
		.name = "relay",
		.state_size = TARGETS * sizeof(int64_t),
		.apply = relay_apply,
		.encode = relay_encode,
		.decode = relay_decode,
	};
	assert_hs(0, hs_register(rt, &t));
}

static void go(hs_runtime *rt, const char *relay, int rounds, const char *to)
{
	assert_hs(0, hs_sendf(rt, "relay", relay, "go", "rounds:i to:s",
			      rounds, to));
}

static void check_targets(hs_runtime *rt, const char *type, int64_t want)
{
	char id[16];
	for (int k = 0; k < TARGETS; k++) {
		snprintf(id, sizeof id, "c-%d", k);
		assert_int_equal(hsu_counter_value(rt, type, id), want);
	}
}

/* In memory: every message arrives, each sender's in order (the
 * counter's `expect` checks it), across hits and misses of the workers'
 * memory of targets. */
static void test_in_memory_order(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 5);
	register_relay(rt);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	for (int i = 0; i < 50; i++)
		go(rt, "r", 20, "c");
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	check_targets(rt, "c", 50 * 20);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* A bounded type counts every message from handlers (forced in): after
 * a flood far past the limit, the count is back to zero and an outside
 * send gets in. */
static void test_bounded_target_counts(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	register_relay(rt);
	hs_type t = hsu_counter_type("b", HS_ON_ERROR_FAIL);
	t.mailbox_limit = 2;
	assert_hs(0, hs_register(rt, &t));
	for (int i = 0; i < 20; i++)
		go(rt, "r", 10, "b");
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	check_targets(rt, "b", 200);
	assert_hs(0, hs_sendf(rt, "b", "c-0", "expect", "n:i", 201));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "b", "c-0"), 201);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* With a resident limit, targets leave memory between sends: a worker
 * must find them again each time (ASan catches a push to a freed one). */
static void test_resident_limit_targets(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("deliver-limit");
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = dir;
	o.resident_limit = 4;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	register_relay(rt);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	char relay[16];
	for (int i = 0; i < 40; i++) {
		/* A relay of its own each time: its sends all start at 1. */
		snprintf(relay, sizeof relay, "r-%d", i);
		go(rt, relay, 1, "c");
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
		/* Back to 0, so that the next relay's n = 1 is expected. */
		for (int k = 0; k < TARGETS; k++) {
			char id[16];
			snprintf(id, sizeof id, "c-%d", k);
			assert_hs(0, hs_sendf(rt, "c", id, "add", "n:i", -1));
		}
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	}
	check_targets(rt, "c", 0);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
	pu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory_order),
		cmocka_unit_test(test_bounded_target_counts),
		cmocka_unit_test(test_resident_limit_targets),
	};
	return cmocka_run_group_tests(tests, NULL, pu_cleanup_dirs);
}
