/* Message blocks recycled between consumers and producers
 * (core/msgpool.c), and the messages built in them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"
#include "core/msgpool.h"

static hsi_msg *small_msg(void **block)
{
	hsi_msg *m = hsi_msg_new("ev", 2, "\x80", 1, NULL, block);
	assert_non_null(m);
	return m;
}

/* A message that fits is built in the block given, and marked pooled;
 * one that does not fit leaves the block to the caller. */
static void test_build_in_block(void **state)
{
	(void)state;
	void *block = malloc(HSI_MSG_BLOCK);
	void *given = block;
	hsi_msg *m = small_msg(&block);
	assert_ptr_equal(m, given);
	assert_null(block);
	assert_true(m->pooled);
	assert_string_equal(hsi_msg_event_type(m), "ev");
	free(m);

	uint8_t big[HSI_MSG_BLOCK];
	memset(big, 0, sizeof big);
	big[0] = 0xc4; /* bin 8 */
	big[1] = (uint8_t)(sizeof big - 2);
	block = malloc(HSI_MSG_BLOCK);
	given = block;
	m = hsi_msg_new("ev", 2, big, sizeof big, NULL, &block);
	assert_non_null(m);
	assert_ptr_equal(block, given);
	assert_false(m->pooled);
	free(m);
	free(block);
}

/* Spent pooled messages come back as blocks: kept privately up to a
 * length, then through the pool to another list; others are freed. */
static void test_put_give_take(void **state)
{
	(void)state;
	hsi_msgpool pool = {0};
	hsi_blocks consumer = {0}, producer = {0};
	assert_null(hsi_blocks_get(&pool, &producer));
	for (int i = 0; i < 200; i++)
		hsi_blocks_put(&pool, &consumer, &small_msg(NULL)->node);
	/* Past 64 the list went to the pool, more than once. */
	assert_true(consumer.n <= 65);
	assert_true(atomic_load(&pool.count) >= 64);
	size_t pooled = atomic_load(&pool.count) + consumer.n;
	assert_int_equal(pooled, 200);
	/* A producer takes the pool whole, block by block. */
	for (size_t i = 0; i < 200 - consumer.n; i++) {
		void *b = hsi_blocks_get(&pool, &producer);
		assert_non_null(b);
		hsi_msg *m = small_msg(&b);
		assert_null(b);
		free(m);
	}
	assert_null(hsi_blocks_get(&pool, &producer));
	assert_int_equal(atomic_load(&pool.count), 0);
	/* An unused block goes back to the list. */
	void *b = hsi_blocks_get(&pool, &consumer);
	assert_non_null(b);
	size_t n = consumer.n;
	hsi_blocks_unget(&pool, &consumer, b);
	assert_int_equal(consumer.n, n + 1);
	/* A message too large for a block is freed, not kept. */
	uint8_t big[HSI_MSG_BLOCK];
	memset(big, 0, sizeof big);
	big[0] = 0xc4;
	big[1] = (uint8_t)(sizeof big - 2);
	hsi_msg *m = hsi_msg_new("ev", 2, big, sizeof big, NULL, NULL);
	hsi_blocks_put(&pool, &consumer, &m->node);
	assert_int_equal(consumer.n, n + 1);
	hsi_blocks_free(&consumer);
	hsi_blocks_free(&producer);
	hsi_msgpool_destroy(&pool);
}

/* The pool keeps a bounded number of blocks: past it, lists are freed
 * (LeakSanitizer checks that nothing is lost). */
static void test_pool_bounded(void **state)
{
	(void)state;
	hsi_msgpool pool = {0};
	hsi_blocks consumer = {0};
	for (int i = 0; i < 20000; i++)
		hsi_blocks_put(&pool, &consumer, &small_msg(NULL)->node);
	assert_true(atomic_load(&pool.count) <= 4096 + 65);
	hsi_blocks_free(&consumer);
	hsi_msgpool_destroy(&pool);
}

/* Through a runtime: W1's shape (one ref, one agent) and W2's (handlers
 * passing a ball), every message handled, on blocks recycled. */
static void test_runtime_recycles(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_ref *r;
	assert_hs(0, hs_agent_ref(rt, "c", "x", &r));
	for (int i = 1; i <= 100000; i++) {
		hs_buf b = HS_BUF_INIT;
		assert_hs(0, hs_packf(&b, "n:i", i));
		assert_hs(0, hs_send_ref(r, "expect", b.data, b.len));
		hs_buf_free(&b);
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "c", "x"), 100000);
	hs_ref_release(r);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_in_block),
		cmocka_unit_test(test_put_give_take),
		cmocka_unit_test(test_pool_bounded),
		cmocka_unit_test(test_runtime_recycles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
