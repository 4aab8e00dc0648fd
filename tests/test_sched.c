/* Scheduling: an agent woken by a turn runs next on the same worker, but
 * never ahead of agents that waited, nor held back while the turn goes
 * on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

/*
 * The "p" type: `ball {n}` passes {n-1} to its partner (a <-> b) while
 * n > 0 and counts hits; `probe` records how many balls had been hit
 * when it ran; `hold` waits for the gate; `kick` sends `ping` to "b";
 * `ping` sets pinged; `wait` waits (up to 5 s) for pinged.
 */
static atomic_long hits;
static atomic_long hits_at_probe;
static atomic_int gate_open;
static atomic_int holding;
static atomic_int pinged;

static size_t ball(uint8_t *out, uint32_t k)
{
	out[0] = 0x81;
	out[1] = 0xa1;
	out[2] = 'n';
	out[3] = 0xce;
	for (int i = 0; i < 4; i++)
		out[4 + i] = (uint8_t)(k >> (24 - 8 * i));
	return 8;
}

static int p_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	hs_addr self = hs_ctx_self(ctx);
	if (hs_event_is(ev, "ball")) {
		int64_t k;
		int rc = hs_event_i64(ev, "n", &k);
		CB_CHECK_EQ(rc, 0);
		atomic_fetch_add(&hits, 1);
		if (k > 0) {
			uint8_t b[8];
			rc = hs_ctx_send(ctx, "p", self.id[0] == 'a' ? "b" : "a",
					 "ball", b, ball(b, (uint32_t)k - 1));
			CB_CHECK_EQ(rc, 0);
		}
	} else if (hs_event_is(ev, "probe")) {
		atomic_store(&hits_at_probe, atomic_load(&hits));
	} else if (hs_event_is(ev, "hold")) {
		atomic_store(&holding, 1);
		while (!atomic_load(&gate_open))
			hsu_sleep_ms(1);
	} else if (hs_event_is(ev, "kick")) {
		CB_CHECK_EQ(hs_ctx_send(ctx, "p", "b", "ping", NULL, 0), 0);
	} else if (hs_event_is(ev, "ping")) {
		atomic_store(&pinged, 1);
	} else if (hs_event_is(ev, "wait")) {
		for (int i = 0; i < 5000 && !atomic_load(&pinged); i++)
			hsu_sleep_ms(1);
		CB_CHECK(atomic_load(&pinged));
	}
	++*(int64_t *)state;
	return HS_CHANGED;
}

static int p_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	return hs_packf(out, "n:I", *(const int64_t *)state);
}

static int p_decode(void *state, const void *data, size_t len, void *udata)
{
	(void)udata;
	return hs_get_i64(data, len, "n", state);
}

static hs_runtime *open_p(unsigned workers)
{
	hsu_reset();
	atomic_store(&hits, 0);
	atomic_store(&hits_at_probe, -1);
	atomic_store(&gate_open, 0);
	atomic_store(&holding, 0);
	atomic_store(&pinged, 0);
	hs_runtime *rt = hsu_open(workers, 0);
	hs_type t = {
		.name = "p",
		.state_size = sizeof(int64_t),
		.apply = p_apply,
		.encode = p_encode,
		.decode = p_decode,
	};
	assert_hs(0, hs_register(rt, &t));
	return rt;
}

/* One worker, a long ping-pong between a and b (each hop wakes the
 * partner into the worker's slot): an agent sent to from outside runs
 * long before the ping-pong ends, as it waits in the shared queue. */
static void test_chain_does_not_starve_queue(void **state)
{
	(void)state;
	hs_runtime *rt = open_p(1);
	const uint32_t total = 400000;
	uint8_t b[8];
	assert_hs(0, hs_send(rt, "p", "a", "ball", b, ball(b, total - 1)));
	while (atomic_load(&hits) < 1000)
		hsu_sleep_ms(1);
	assert_hs(0, hs_send(rt, "p", "c", "probe", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&hits), total);
	long at = atomic_load(&hits_at_probe);
	assert_true(at >= 1000);
	assert_true(at < (long)total / 2);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* Two workers: a turn that woke b and goes on to more messages hands b
 * to the shared queue, where the other worker takes it, instead of
 * keeping it until the turn ends (a's `wait` would then time out). */
static void test_woken_agent_not_held_by_long_turn(void **state)
{
	(void)state;
	hs_runtime *rt = open_p(2);
	assert_hs(0, hs_send(rt, "p", "a", "hold", NULL, 0));
	while (!atomic_load(&holding))
		hsu_sleep_ms(1);
	assert_hs(0, hs_send(rt, "p", "a", "kick", NULL, 0));
	assert_hs(0, hs_send(rt, "p", "a", "wait", NULL, 0));
	atomic_store(&gate_open, 1);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(atomic_load(&pinged), 1);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* Ping-pong on two workers and on one: every hit lands. */
static void test_ping_pong_counts(void **state)
{
	(void)state;
	for (unsigned workers = 1; workers <= 2; workers++) {
		hs_runtime *rt = open_p(workers);
		uint8_t b[8];
		assert_hs(0, hs_send(rt, "p", "a", "ball", b, ball(b, 9999)));
		assert_hs(0, hs_send(rt, "p", "b", "ball", b, ball(b, 999)));
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
		assert_int_equal(atomic_load(&hits), 10000 + 1000);
		assert_hs(0, hs_close(rt));
		hsu_assert_no_cb_failures();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_does_not_starve_queue),
		cmocka_unit_test(test_woken_agent_not_held_by_long_turn),
		cmocka_unit_test(test_ping_pong_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
